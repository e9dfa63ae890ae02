#include "models/scenario/training_section.hpp"

#include <fmt/format.h>

namespace dcsim::scenario {
namespace {
// A scalar a number could be read from (digits, sign, point, exponent).
bool looks_numeric(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789+-.eE_") == std::string_view::npos;
}

void read_model(MapReader& w, workload::TransformerSpec& m) {
  const ConfigNode* node = w.raw("model");
  if (!node) {
    w.error("model", "missing required key \"model\" (a preset name or a map of shape fields)");
    return;
  }
  std::string allowed;
  for (const auto& n : workload::model_preset_names()) allowed += (allowed.empty() ? "" : ", ") + n;
  if (!node->is_scalar() && !node->is_map()) {
    w.diagnostics().error(node->where(), w.key_path("model"),
                          "expected a preset name or a map of shape fields; presets: " + allowed);
    return;
  }
  std::string preset;
  if (node->is_scalar()) {
    preset = node->text();
    if (preset.empty()) {
      w.diagnostics().error(node->where(), w.key_path("model"), "an empty preset name; presets: " + allowed);
      return;
    }
  }
  MapReader r(node->is_map() ? node : nullptr, w.key_path("model"), w.diagnostics());
  if (node->is_map()) preset = r.string("preset", "");
  if (!preset.empty()) {
    if (auto p = workload::model_preset(preset)) {
      m = *p;
    } else {
      std::string msg = fmt::format("unknown model preset \"{}\"", preset);
      if (auto guess = closest_match(preset, workload::model_preset_names())) msg += fmt::format("; did you mean \"{}\"?", *guess);
      w.diagnostics().error(node->is_map() ? r.where_of("preset") : node->where(), w.key_path("model"), msg + "; allowed: " + allowed);
      return;
    }
  }
  if (!node->is_map()) return;
  const bool custom = preset.empty();
  auto req = [&](std::int64_t current) { return custom ? std::optional<std::int64_t>() : std::optional<std::int64_t>(current); };
  m.name = r.string("name", custom ? "custom" : m.name);
  m.layers = r.integer("layers", req(m.layers), 1, 100000);
  m.hidden = r.integer("hidden", req(m.hidden), 1);
  m.heads = r.integer("heads", req(m.heads), 1);
  m.kv_heads = r.integer("kv_heads", m.kv_heads > 0 ? m.kv_heads : m.heads, 1);
  m.ffn = r.integer("ffn", m.ffn > 0 ? m.ffn : 4 * m.hidden, 1);
  m.vocab = r.integer("vocab", req(m.vocab), 1);
  m.seq_len = r.integer("seq_len", req(m.seq_len), 1);
  const std::string activation =
      r.choice("activation", {"gelu", "squared_relu", "swiglu"},
               m.activation == workload::Activation::SwiGlu        ? "swiglu"
               : m.activation == workload::Activation::SquaredRelu ? "squared_relu"
                                                                   : "gelu");
  m.activation = activation == "swiglu"         ? workload::Activation::SwiGlu
                 : activation == "squared_relu" ? workload::Activation::SquaredRelu
                                                : workload::Activation::Gelu;
  m.tied_embeddings = r.boolean("tied_embeddings", m.tied_embeddings);
  // learned and alibi add nothing to the layers' work (their cost is negligible here).
  m.rotary = r.choice("position_embedding", {"rotary", "learned", "alibi"}, m.rotary ? "rotary" : "learned") == "rotary";
  m.dropout = r.boolean("dropout", m.dropout);
  m.experts = r.integer("experts", m.experts, 0);
  m.top_k = r.integer("top_k", m.top_k, 1);
  m.expert_ffn = r.integer("expert_ffn", m.expert_ffn > 0 ? m.expert_ffn : m.ffn, 1);
  m.moe_every = r.integer("moe_every", m.moe_every, 1);
  if (m.hidden % m.heads != 0) r.error("heads", fmt::format("hidden {} is not a multiple of heads {}", m.hidden, m.heads));
  if (m.heads % m.kv_heads != 0) r.error("kv_heads", fmt::format("heads {} is not a multiple of kv_heads {}", m.heads, m.kv_heads));
  if (m.experts > 0 && m.top_k > m.experts) r.error("top_k", fmt::format("top_k {} exceeds experts {}", m.top_k, m.experts));
  r.finish();
}

// A recipe's Transformer Engine userbuffer pairings (`tp_overlap_config`), by TE's names, each
// {method, num_sm, set_sm_margin, num_splits, aggregate} as its tp_comm_overlap config sets
// them; only for Transformer Engine's overlap.
void read_ub_pairings(MapReader& w, workload::ParallelPlan& plan) {
  MapReader cfg = w.map("tp_overlap_config");
  if (!cfg.present()) return;
  if (!(plan.tp > 1 && plan.tp_comm_overlap && !plan.tp_overlap_torch))
    w.error("tp_overlap_config",
            "sets Transformer Engine's userbuffer pairings, but its TP overlap does not run: it needs tp >= 2, "
            "overlap.tp: true and tp_overlap_implementation: transformer_engine");
  for (std::size_t i = 0; i < workload::kUbPairingNames.size(); ++i) {
    const std::string name = workload::kUbPairingNames[i];
    if (!cfg.has(name)) continue;
    MapReader e = cfg.map(name, true);
    workload::UbPairing ub;
    const std::string method = e.choice("method", {"ring_exchange", "pipeline", "bulk", "none"});
    ub.method = method == "pipeline" ? workload::UbMethod::Pipeline
                : method == "bulk"   ? workload::UbMethod::Bulk
                : method == "none"   ? workload::UbMethod::None
                                     : workload::UbMethod::RingExchange;
    const bool sms_needed = ub.method == workload::UbMethod::Pipeline || ub.method == workload::UbMethod::Bulk;
    ub.num_sm = int(e.integer("num_sm", sms_needed ? std::nullopt : std::optional<std::int64_t>(1), 1, 1024));
    if (ub.method == workload::UbMethod::None && (e.has("num_sm") || e.has("set_sm_margin")))
      e.error(e.has("num_sm") ? "num_sm" : "set_sm_margin",
              "sets the SMs of overlapped communication, but method is none: the collective runs alone");
    ub.set_sm_margin = e.boolean("set_sm_margin", false);
    ub.num_splits = int(e.integer("num_splits", 4, 1, 64));
    ub.aggregate = e.boolean("aggregate", false);
    if (e.has("num_splits") && ub.method != workload::UbMethod::Pipeline)
      e.error("num_splits", "splits a pipelined GEMM: it needs method: pipeline");
    if (e.has("aggregate") && ub.method != workload::UbMethod::RingExchange)
      e.error("aggregate", "pairs the chunks of a ring exchange: it needs method: ring_exchange");
    e.finish();
    plan.ub_pairings[i] = ub;
  }
  cfg.finish();
}
}  // namespace

void read_training(MapReader& w, TrainingConfig& out, std::int64_t devices) {
  read_model(w, out.model);
  auto& plan = out.plan;
  MapReader par = w.map("parallelism", true);
  plan.tp = par.integer("tp", 1, 1, 1024);
  plan.pp = par.integer("pp", 1, 1, 1024);
  plan.cp = par.integer("cp", 1, 1, 1024);
  plan.ep = par.integer("ep", 1, 1, 1024);
  plan.virtual_stages = par.integer("virtual_stages", 1, 1, 64);
  plan.sequence_parallel = par.boolean("sequence_parallel", plan.tp > 1);
  const std::string schedule = par.choice("schedule", {"1f1b", "interleaved", "gpipe"},
                                          plan.virtual_stages > 1 ? "interleaved" : "1f1b");
  plan.schedule = schedule == "gpipe" ? workload::Schedule::GPipe
                  : schedule == "interleaved" ? workload::Schedule::Interleaved
                                              : workload::Schedule::OneFOneB;
  if (plan.schedule != workload::Schedule::Interleaved && plan.virtual_stages > 1)
    par.error("virtual_stages", "virtual stages need schedule: interleaved");
  if (plan.schedule == workload::Schedule::Interleaved && plan.virtual_stages < 2)
    par.error("schedule", "the interleaved schedule needs virtual_stages >= 2");
  plan.microbatch_group = par.integer("microbatch_group", 0, 1, 1 << 20);
  if (plan.microbatch_group > 0 && plan.schedule != workload::Schedule::Interleaved)
    par.error("microbatch_group", "microbatch groups belong to schedule: interleaved");
  // Below pp, Megatron's warm-up deadlocks, and no published schedule says what replaces it
  // (docs/training.md, "Pipeline schedules").
  if (plan.microbatch_group > 0 && plan.microbatch_group < plan.pp)
    par.error("microbatch_group", fmt::format("{} is less than pp {}; allowed: pp or more (Megatron-core's rule)",
                                              plan.microbatch_group, plan.pp));
  const std::string order = par.string("order", "tp-cp-ep-dp-pp");
  if (!workload::parse_order(order, plan.order))
    par.error("order", fmt::format("\"{}\" is not an order of tp, cp, dp and pp (ep optional), e.g. tp-cp-ep-dp-pp", order));
  const std::int64_t model_parallel = plan.tp * plan.pp * plan.cp;
  out.dp_given = par.has("dp");
  if (out.dp_given) {
    plan.dp = par.integer("dp", std::nullopt, 1, 10'000'000);
  } else {
    par.raw("dp");
    if (devices > 0 && devices % model_parallel != 0)
      par.error("tp", fmt::format("tp x pp x cp = {} does not divide the cluster's {} devices", model_parallel, devices));
    plan.dp = devices > 0 ? std::max<std::int64_t>(1, devices / model_parallel) : 1;
  }
  if (devices > 0 && plan.world() != devices)
    par.error(out.dp_given ? "dp" : "tp", fmt::format("tp {} x pp {} x cp {} x dp {} = {} ranks, but the cluster has {} devices",
                                                      plan.tp, plan.pp, plan.cp, plan.dp, plan.world(), devices));
  if (plan.dp % plan.ep != 0) par.error("ep", fmt::format("ep {} must divide dp {}", plan.ep, plan.dp));
  const auto& m = out.model;
  if (m.heads > 0 && m.heads % plan.tp != 0) par.error("tp", fmt::format("tp {} must divide the model's {} heads", plan.tp, m.heads));
  if (m.kv_heads > 0 && plan.tp > m.kv_heads && plan.tp % m.kv_heads != 0)
    par.error("tp", fmt::format("tp {} and the model's {} KV heads do not divide", plan.tp, m.kv_heads));
  if (m.layers > 0 && m.layers < plan.pp * plan.virtual_stages)
    par.error("pp", fmt::format("{} layers cannot fill pp {} x virtual_stages {} stages", m.layers, plan.pp, plan.virtual_stages));
  if (m.experts > 0 && m.experts % plan.ep != 0) par.error("ep", fmt::format("ep {} must divide the {} experts", plan.ep, m.experts));
  if (m.experts == 0 && plan.ep > 1) par.error("ep", "expert parallelism needs a mixture-of-experts model");
  if (m.seq_len > 0 && m.seq_len % plan.cp != 0) par.error("cp", fmt::format("cp {} must divide the sequence length {}", plan.cp, m.seq_len));
  par.finish();

  MapReader batch = w.map("batch", true);
  plan.microbatch = batch.integer("microbatch", 1, 1, 4096);
  if (batch.has("global_tokens") && m.seq_len > 0) {
    // As many tokens as the largest global batch allowed below, 100 M sequences, holds.
    const std::size_t errors = batch.diagnostics().size();
    const double tokens = batch.number("global_tokens", std::nullopt, 1, 1e8 * double(m.seq_len));
    plan.global_batch = static_cast<std::int64_t>(tokens / double(m.seq_len) + 0.5);
    batch.raw("global");
    if (batch.diagnostics().size() == errors && std::abs(double(plan.global_batch * m.seq_len) - tokens) > 0.5)
      batch.error("global_tokens", fmt::format("{} tokens are not a whole number of {}-token sequences", tokens, m.seq_len));
  } else {
    plan.global_batch = batch.integer("global", std::nullopt, 1, 100'000'000);
    batch.raw("global_tokens");
  }
  if (plan.global_batch % (plan.microbatch * plan.dp) != 0)
    batch.error("global", fmt::format("the global batch {} is not a multiple of microbatch {} x dp {}", plan.global_batch,
                                      plan.microbatch, plan.dp));
  if (plan.schedule == workload::Schedule::Interleaved && plan.global_batch % (plan.microbatch * plan.dp) == 0 &&
      plan.microbatches() % plan.group() != 0)
    batch.error("global", fmt::format("the interleaved schedule runs microbatches in groups of {} ({}): global {} / "
                                      "(microbatch {} x dp {}) = {} microbatches is not a multiple of {}",
                                      plan.group(), plan.microbatch_group > 0 ? "parallelism.microbatch_group" : "pp",
                                      plan.global_batch, plan.microbatch, plan.dp, plan.microbatches(), plan.group()));
  batch.finish();

  const std::string recompute = w.choice("recompute", {"none", "selective", "full", "op"}, "selective");
  plan.recompute = recompute == "full"  ? workload::Recompute::Full
                   : recompute == "none" ? workload::Recompute::None
                   : recompute == "op"   ? workload::Recompute::Op
                                         : workload::Recompute::Selective;
  if (plan.recompute == workload::Recompute::Op && m.moe())
    w.error("recompute", "recompute: op (torchtitan's per-op policy) is modeled for dense models only");
  const std::string zero = w.choice("zero", {"0", "1", "2", "3", "fsdp"}, "1");
  plan.zero = zero == "fsdp" ? 3 : std::stoi(zero);
  const std::string precision = w.choice("precision", {"bf16", "fp16", "fp8"}, "bf16");
  plan.precision = precision == "fp8"    ? hardware::Precision::fp8
                   : precision == "fp16" ? hardware::Precision::fp16
                                         : hardware::Precision::bf16;
  const std::string recipe = w.choice("fp8_recipe", {"delayed", "current", "mxfp8"}, "delayed");
  plan.fp8_recipe = recipe == "current" ? workload::Fp8Recipe::Current
                    : recipe == "mxfp8" ? workload::Fp8Recipe::Mx
                                        : workload::Fp8Recipe::Delayed;
  const ConfigNode* bucket = w.raw("dp_bucket_params");
  if (bucket && bucket->is_scalar() && bucket->text() == "auto") {
    plan.bucket_params = 0;
  } else if (bucket && bucket->is_scalar() && !looks_numeric(bucket->text())) {
    w.error("dp_bucket_params", fmt::format("\"{}\" is not allowed; allowed: auto or a number of parameters >= 1000",
                                            bucket->text()));
  } else if (bucket) {
    plan.bucket_params = w.number("dp_bucket_params", std::nullopt, 1e3);
  }
  plan.grad_bytes = w.boolean("grad_reduce_in_fp32", true) ? 4.0 : 2.0;
  plan.optimizer_state_bytes = w.choice("optimizer_dtype", {"fp32", "bf16"}, "fp32") == "bf16" ? 2.0 : 4.0;
  const std::string optimizer =
      w.choice("optimizer", {"distributed", "distributed_fused_adam", "deepspeed_bf16"}, "distributed");
  plan.fused_adam = optimizer == "distributed_fused_adam";
  plan.all_reduce_gradients = optimizer == "deepspeed_bf16";
  if (plan.all_reduce_gradients) {
    // BF16_Optimizer accumulates and all-reduces fp32 gradients and shards only its own state;
    // the pipeline engine refuses ZeRO stages above 1 with it.
    if (plan.zero != 1) w.error("optimizer", "deepspeed_bf16 (DeepSpeed's BF16_Optimizer) shards its optimizer state: it needs zero: 1");
    if (plan.grad_bytes < 4)
      w.error("grad_reduce_in_fp32", "deepspeed_bf16 (DeepSpeed's BF16_Optimizer) reduces fp32 gradients: leave grad_reduce_in_fp32 true");
    // DeepSpeed's buffered all-reduce: MEMORY_OPT_ALLREDUCE_SIZE, 500 M elements per bucket.
    if (!bucket) plan.bucket_params = 500e6;
  }
  plan.fp8_torchao = w.choice("fp8_implementation", {"transformer_engine", "torchao"}, "transformer_engine") == "torchao";
  if (w.raw("fp8_implementation") && plan.precision != hardware::Precision::fp8)
    w.error("fp8_implementation", "sets whose FP8 linears run, but precision is not fp8: it needs precision: fp8");
  if (plan.fp8_torchao && plan.fp8_recipe != workload::Fp8Recipe::Current)
    w.error("fp8_implementation", "torchao's float8 as dcsim models it scales every tensor each step (tensorwise, "
                                  "dynamic): it needs fp8_recipe: current");
  plan.fp8_params = w.boolean("fp8_params", false);
  if (plan.fp8_params && plan.precision != hardware::Precision::fp8)
    w.error("fp8_params", "FP8 weights need precision: fp8");
  plan.reshard_after_forward = w.boolean("reshard_after_forward", true);
  const std::string fsdp = w.choice("fsdp_implementation", {"fsdp2", "fsdp1", "megatron"}, "fsdp2");
  plan.fsdp = fsdp == "fsdp1"      ? workload::FsdpImplementation::Fsdp1
              : fsdp == "megatron" ? workload::FsdpImplementation::Megatron
                                   : workload::FsdpImplementation::Fsdp2;
  if (w.raw("fsdp_implementation") && plan.zero < 3)
    w.error("fsdp_implementation", fmt::format("sets whose FSDP shards the weights, but zero is {}: use zero: fsdp", plan.zero));
  plan.recompute_layers = w.integer("recompute_layers", 0, 0, 100000);
  if (plan.recompute_layers > 0 && plan.recompute != workload::Recompute::Full)
    w.error("recompute_layers", "recompute_layers counts layers of full recomputation: it needs recompute: full");
  plan.offload_layers = w.integer("activation_offload_layers", 0, 0, 100000);
  if (plan.offload_layers > m.layers)
    w.error("activation_offload_layers", fmt::format("{} exceeds the model's {} layers", plan.offload_layers, m.layers));
  const std::string attention = w.choice("attention", {"flash", "flash2", "unfused"}, "flash");
  plan.flash_attention = attention != "unfused";
  plan.flash2 = attention == "flash2";
  plan.cp_torch = w.choice("cp_implementation", {"transformer_engine", "torch"}, "transformer_engine") == "torch";
  if (w.raw("cp_implementation") && plan.cp < 2)
    w.error("cp_implementation", fmt::format("sets whose ring attention runs, but parallelism.cp is {}: it needs cp >= 2", plan.cp));
  if (plan.cp_torch && !plan.flash_attention)
    w.error("cp_implementation", "PyTorch's ring attention runs SDPA's fused kernels: use attention: flash or flash2");
  if (plan.recompute == workload::Recompute::Op && !plan.flash_attention)
    w.error("attention", "recompute: op models torchtitan's policy around SDPA's fused attention: use attention: flash or flash2");
  plan.separate_grad_accumulation = w.choice("grad_accumulation", {"fused", "separate"}, "fused") == "separate";
  // DeepSpeed's BF16_Optimizer adds each microbatch's bf16 gradients into its fp32 buffer
  // itself (update_hp_grads): its accumulation is always separate.
  if (plan.all_reduce_gradients) {
    if (w.raw("grad_accumulation") && !plan.separate_grad_accumulation)
      w.error("grad_accumulation", "deepspeed_bf16 (DeepSpeed's BF16_Optimizer) adds every microbatch's gradients into "
                                   "its fp32 buffer in separate kernels: use grad_accumulation: separate or leave it out");
    plan.separate_grad_accumulation = true;
  }
  MapReader fusion = w.map("fusion");
  plan.fused_activation = fusion.boolean("activation", true);
  const std::string rope = fusion.choice("rope", {"true", "false", "complex"}, "true");
  plan.rope_kernel = rope == "complex" ? workload::RopeKernel::Complex
                     : rope == "false" ? workload::RopeKernel::RotateHalf
                                       : workload::RopeKernel::Fused;
  const std::string norm = fusion.choice("norm", {"true", "false", "composite"}, "true");
  plan.norm_kernel = norm == "composite" ? workload::NormKernel::Composite
                     : norm == "false"   ? workload::NormKernel::Native
                                         : workload::NormKernel::Fused;
  plan.fused_cross_entropy = fusion.boolean("cross_entropy", true);
  plan.fused_projections = fusion.boolean("projections", true);
  plan.kv_repeat = !fusion.boolean("gqa", true);
  fusion.finish();
  // PyTorch's ring attention of 2024 ran SDPA on K and V repeated to every query head: its
  // exchanges and merges are counted so (docs/training.md, "Ring attention in PyTorch").
  if (plan.cp_torch && m.kv_heads < m.heads && !plan.kv_repeat)
    w.error("cp_implementation", fmt::format("PyTorch's ring attention ran SDPA on K and V repeated to every query head, "
                                             "but the model's {} KV heads are grouped: set fusion.gqa: false",
                                             m.kv_heads));
  MapReader ov = w.map("overlap");
  plan.overlap_dp = ov.boolean("dp", true);
  plan.overlap_pp = ov.boolean("pp", true);
  plan.overlap_param_gather = ov.boolean("param_gather", false);
  plan.tp_comm_overlap = ov.boolean("tp", false);
  if (plan.tp_comm_overlap && plan.tp > 1 && !plan.sequence_parallel)
    ov.error("tp", "TP communication overlap (userbuffers) needs sequence parallelism: set sequence_parallel: true");
  ov.finish();
  // Whose TP: Transformer Engine's (Megatron's) or PyTorch's DTensor styles; PyTorch's async TP
  // overlaps only the latter, so it implies it and is its default overlap.
  plan.tp_dtensor = w.choice("tp_implementation", {"transformer_engine", "torch"}, "transformer_engine") == "torch";
  if (w.raw("tp_implementation") && plan.tp < 2)
    w.error("tp_implementation", fmt::format("sets how TP runs, but parallelism.tp is {}: it needs tp >= 2", plan.tp));
  plan.tp_overlap_torch = w.choice("tp_overlap_implementation", {"transformer_engine", "torch"},
                                   plan.tp_dtensor ? "torch" : "transformer_engine") == "torch";
  if (w.raw("tp_overlap_implementation") && !(plan.tp_comm_overlap && plan.tp > 1))
    w.error("tp_overlap_implementation",
            fmt::format("sets whose TP overlap runs, but TP communication is not overlapped (tp {}, overlap.tp {}): it "
                        "needs tp >= 2 and overlap.tp: true",
                        plan.tp, plan.tp_comm_overlap));
  else if (w.raw("tp_overlap_implementation") && w.raw("tp_implementation") && plan.tp_overlap_torch != plan.tp_dtensor)
    w.error("tp_overlap_implementation",
            plan.tp_dtensor ? "Transformer Engine's userbuffers overlap Transformer Engine's TP, but tp_implementation is "
                              "torch: PyTorch's TP overlaps as async TP (tp_overlap_implementation: torch)"
                            : "PyTorch's async TP overlaps PyTorch's TP (DTensor), but tp_implementation is "
                              "transformer_engine: set tp_implementation: torch");
  if (plan.tp_comm_overlap && plan.tp_overlap_torch) plan.tp_dtensor = true;
  if (plan.fp8_torchao && plan.tp > 1 && !plan.tp_dtensor)
    w.error("fp8_implementation", "torchao's float8 shards over TP with PyTorch's tensor-parallel styles "
                                  "(Float8ColwiseParallel, Float8RowwiseParallel): set tp_implementation: torch");
  read_ub_pairings(w, plan);
  out.train_tokens = w.number("train_tokens", 0.0, 0.0);
  out.iterations = w.integer("iterations", 1, 1, 1000);
  MapReader mem = w.map("memory_overheads");
  out.memory.cuda_context = mem.quantity("cuda_context", Dimension::Bytes, out.memory.cuda_context);
  out.memory.nccl_per_group = mem.quantity("nccl_per_group", Dimension::Bytes, out.memory.nccl_per_group);
  out.memory.nccl_all_to_all = mem.quantity("nccl_all_to_all", Dimension::Bytes, out.memory.nccl_all_to_all);
  out.memory.workspace = mem.quantity("workspace", Dimension::Bytes, out.memory.workspace);
  out.memory.fragmentation = mem.number("fragmentation", out.memory.fragmentation, 0.0, 1.0);
  mem.finish();
  out.group_identical_ranks = w.boolean("group_identical_ranks", true);
  out.enforce_memory = w.boolean("enforce_memory", true);
  out.device_variability = w.number("device_variability", workload::kDeviceVariability, 0.0, 0.5);
}

}  // namespace dcsim::scenario
