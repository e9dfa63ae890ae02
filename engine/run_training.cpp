#include "engine/run_training.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "models/scenario/diagnostics.hpp"
#include "models/scenario/units.hpp"
#include "models/workload/memory_model.hpp"
#include "models/workload/overlap.hpp"
#include "models/workload/stragglers.hpp"
#include "models/workload/training_costs.hpp"
#include "models/workload/training_sim.hpp"
#include "engine/run_reliability.hpp"

namespace dcsim::engine {
using scenario::Dimension;
using scenario::format_quantity;
using namespace workload;

namespace {

// A plan that does not fit: which stage, how much, of what, and what would fit instead.
[[noreturn]] void not_enough_memory(const ClusterRuntime& rt, const std::vector<StageMemory>& mem, std::int64_t stage,
                                    double hbm) {
  const auto& cfg = rt.scenario.training;
  const StageMemory& s = mem[stage];
  std::string msg = fmt::format(
      "{}: error: workload: the plan does not fit in memory: pipeline stage {} needs {} per device (weights {}, "
      "gradients {}, optimizer {}, activations {}, buffers {}, fragmentation {}, context/NCCL/workspaces {}) but {} "
      "has {}\n",
      rt.scenario.source, stage, format_quantity(s.total(), Dimension::Bytes), format_quantity(s.weights, Dimension::Bytes),
      format_quantity(s.gradients, Dimension::Bytes), format_quantity(s.optimizer, Dimension::Bytes),
      format_quantity(s.activations, Dimension::Bytes), format_quantity(s.buffers, Dimension::Bytes),
      format_quantity(s.fragmentation, Dimension::Bytes), format_quantity(s.runtime, Dimension::Bytes),
      rt.cluster.accelerator().name, format_quantity(hbm, Dimension::Bytes));
  // Try the usual remedies one at a time and say which would fit.
  std::vector<std::string> fits;
  auto try_plan = [&](const std::string& what, ParallelPlan p) {
    network::NetworkSim& net = *rt.network;
    try {
      const auto costs = training_costs(cfg.model, p, rt.cluster.accelerator(), net);
      const auto m2 = memory_per_stage(cfg.model, p, costs, cfg.memory);
      double peak = 0;
      for (const auto& x : m2) peak = std::max(peak, x.total());
      if (peak <= hbm) fits.push_back(fmt::format("{} ({} per device)", what, format_quantity(peak, Dimension::Bytes)));
    } catch (const std::exception&) {
    }
  };
  ParallelPlan p = cfg.plan;
  if (p.recompute != Recompute::Full) {
    ParallelPlan q = p;
    q.recompute = Recompute::Full;
    try_plan("recompute: full", q);
  }
  for (int z = p.zero + 1; z <= 3; ++z) {
    ParallelPlan q = p;
    q.zero = z;
    try_plan(fmt::format("zero: {}", z), q);
  }
  if (p.microbatch > 1) {
    ParallelPlan q = p;
    q.microbatch = 1;
    try_plan("batch.microbatch: 1", q);
  }
  msg += fits.empty() ? "  none of recompute: full, a higher ZeRO stage or microbatch 1 alone would fit: add pipeline "
                        "or tensor parallelism, or a chip with more memory\n"
                      : "  would fit: " + [&] {
                          std::string all;
                          for (const auto& f : fits) all += (all.empty() ? "" : "; ") + f;
                          return all;
                        }() + "\n";
  throw scenario::InputError(msg);
}

std::vector<std::int64_t> trace_ranks(const ClusterRuntime& rt, const ParallelPlan& plan, std::string& note) {
  if (!rt.scenario.output.trace_ranks.empty()) {
    return rt.scenario.output.trace_ranks;  // plan_training checked each
  }
  std::vector<std::int64_t> out;
  for (std::int64_t p = 0; p < plan.pp && out.size() < 64; ++p) out.push_back(rank_of(plan, {0, 0, 0, p}));
  if (plan.world() > std::int64_t(out.size()))
    note = fmt::format("trace.json shows {} of {} ranks (the first rank of each pipeline stage in data-parallel "
                       "replica 0); choose others with output.trace_ranks", out.size(), plan.world());
  return out;
}

nlohmann::ordered_json breakdown_json(const TimeBreakdown& b, double total) {
  auto entry = [total](double s) { return nlohmann::ordered_json{{"seconds", s}, {"fraction", total > 0 ? s / total : 0}}; };
  return {{"compute", entry(b.compute)},          {"tp_exposed", entry(b.tp_exposed)},
          {"ep_exposed", entry(b.ep_exposed)},    {"cp_exposed", entry(b.cp_exposed)},
          {"fsdp_exposed", entry(b.fsdp_exposed)}, {"pp_exposed", entry(b.pp_exposed)},
          {"pipeline_bubble", entry(b.bubble)},    {"dp_exposed", entry(b.dp_exposed)},
          {"optimizer", entry(b.optimizer)}};
}

}  // namespace

PlannedTraining plan_training(ClusterRuntime& rt) {
  const auto& cfg = rt.scenario.training;
  const auto& chip = rt.cluster.accelerator();
  const ParallelPlan& plan = cfg.plan;
  if (!chip.supports(plan.precision))
    throw scenario::InputError(fmt::format("{}: error: workload.precision: {} has no {} support\n", rt.scenario.source,
                                           chip.name, hardware::to_string(plan.precision)));
  for (const std::int64_t r : rt.scenario.output.trace_ranks)
    if (r >= plan.world())
      throw scenario::InputError(fmt::format("{}: error: output.trace_ranks: rank {} is not in the plan; allowed: 0 to {}\n",
                                             rt.scenario.source, r, plan.world() - 1));
  PlannedTraining out{training_costs(cfg.model, plan, chip, *rt.network), {}, 0, 0, true};
  out.memory = memory_per_stage(cfg.model, plan, out.costs, cfg.memory);
  for (std::size_t p = 0; p < out.memory.size(); ++p)
    if (out.memory[p].total() > out.peak_memory) {
      out.peak_memory = out.memory[p].total();
      out.peak_stage = std::int64_t(p);
    }
  out.fits = out.peak_memory <= chip.hbm_bytes;
  if (!out.fits && cfg.enforce_memory) not_enough_memory(rt, out.memory, out.peak_stage, chip.hbm_bytes);
  return out;
}

std::string run_training_workload(ClusterRuntime& rt, TraceWriter* trace, nlohmann::ordered_json& results,
                                  std::string& warnings) {
  const auto& cfg = rt.scenario.training;
  const auto& chip = rt.cluster.accelerator();
  const ParallelPlan& plan = cfg.plan;
  const PlannedTraining planned = plan_training(rt);
  const TrainingCosts& costs = planned.costs;
  const auto& memory = planned.memory;
  const double peak_memory = planned.peak_memory;
  const std::int64_t peak_stage = planned.peak_stage;
  const bool fits = planned.fits;
  if (!fits) {
    warnings += fmt::format("warning: the plan does not fit in memory: pipeline stage {} needs {} per device but {} has {}; "
                            "simulated anyway (enforce_memory: false)\n",
                            peak_stage, format_quantity(peak_memory, Dimension::Bytes), chip.name,
                            format_quantity(chip.hbm_bytes, Dimension::Bytes));
  }

  // Warnings a researcher should see first.
  const std::int64_t tp_span = plan.order[0] == 't' ? plan.tp : plan.world();
  if (plan.tp > 1 && (tp_span > rt.cluster.domain_size() || rt.cluster.domain_size() % plan.tp != 0))
    warnings += fmt::format("warning: TP groups of {} do not fit in one scale-up domain of {}: TP traffic crosses the "
                            "scale-out network\n", plan.tp, rt.cluster.domain_size());
  if (rt.power->clock(power::Activity::Compute) < 1.0)
    warnings += fmt::format("warning: power caps hold compute at {:.0f} % of nominal clock ({:.0f} W per device)\n",
                            100 * rt.power->clock(power::Activity::Compute), rt.power->device_limit_w());
  std::string trace_note;
  TrainingOptions options;
  options.group_identical_ranks = cfg.group_identical_ranks;
  options.compute_slowness = slowest_device_factor(plan.world(), cfg.device_variability);
  if (trace) options.trace_ranks = trace_ranks(rt, plan, trace_note);
  if (!trace_note.empty()) warnings += "note: " + trace_note + "\n";

  TrainingSim sim(rt.sim, *rt.network, rt.power.get(), cfg.model, plan, costs, trace, options);
  std::vector<IterationResult> iterations;
  for (std::int64_t i = 0; i < cfg.iterations; ++i) iterations.push_back(sim.run_iteration());
  const IterationResult& it = iterations.back();
  const double T = it.seconds;
  const double tokens = double(plan.global_batch) * double(cfg.model.seq_len);
  const double devices = double(rt.cluster.devices());
  const double model_flops = cfg.model.model_flops_per_token() * tokens;
  const double recompute_flops =
      plan.recompute == Recompute::Full ? model_flops / 3
      : plan.recompute == Recompute::Selective
          ? 4.0 * double(cfg.model.layers) * double(cfg.model.seq_len) * double(cfg.model.hidden) * tokens
      : plan.recompute == Recompute::Op ? 2.0 * op_policy_recomputed_params(cfg.model) * tokens
                                        : 0.0;
  const double peak = chip.peak(plan.precision);
  const double tflops = model_flops / T / devices;
  const double hardware_tflops = (model_flops + recompute_flops) / T / devices;
  const double iterations_to_train = cfg.train_tokens > 0 ? std::ceil(cfg.train_tokens / tokens) : 0;
  const double time_to_train = iterations_to_train * T;

  rt.finish();
  const double simulated = rt.sim.now().seconds();
  rt.write_json(results, simulated);
  warnings += rt.capacity_warning();
  // Whole-run energy and cost scale the simulated iterations' average power.
  const double facility_w = rt.power->facility_average_w();
  const double run_seconds = time_to_train > 0 ? time_to_train : simulated;
  const double run_energy_j = facility_w * run_seconds;
  const power::Cost run_cost = power::run_cost(rt.scenario.cost, double(rt.cluster.servers()), run_seconds, run_energy_j);
  const power::Cost iter_cost = power::run_cost(rt.scenario.cost, double(rt.cluster.servers()), T, facility_w * T);
  // IT energy over the same span as the facility's (rt.write_json gave the simulated span's).
  const double it_w = simulated > 0 ? results["energy"]["it_kwh"].get<double>() * 3.6e6 / simulated : 0.0;
  results["energy"]["it_kwh"] = it_w * run_seconds / 3.6e6;
  results["energy"]["facility_kwh"] = run_energy_j / 3.6e6;
  results["energy"]["per_iteration_kwh"] = facility_w * T / 3.6e6;
  results["energy"]["scope"] = time_to_train > 0 ? "run" : "simulated";
  results["cost"]["total_usd"] = run_cost.total_usd();
  results["cost"]["compute_usd"] = run_cost.compute_usd;
  results["cost"]["energy_usd"] = run_cost.energy_usd;
  results["cost"]["per_iteration_usd"] = iter_cost.total_usd();
  results["cost"]["scope"] = time_to_train > 0 ? "run" : "simulated";

  nlohmann::ordered_json stages = nlohmann::ordered_json::array();
  for (std::size_t p = 0; p < memory.size(); ++p)
    stages.push_back({{"stage", p},
                      {"weights_bytes", memory[p].weights},
                      {"gradients_bytes", memory[p].gradients},
                      {"optimizer_bytes", memory[p].optimizer},
                      {"activations_bytes", memory[p].activations},
                      {"buffers_bytes", memory[p].buffers},
                      {"allocated_bytes", memory[p].allocated()},
                      {"fragmentation_bytes", memory[p].fragmentation},
                      {"reserved_bytes", memory[p].reserved()},
                      {"runtime_bytes", memory[p].runtime},
                      {"total_bytes", memory[p].total()}});
  results["memory"] = {{"fits", fits},
                       {"peak_bytes_per_device", peak_memory},
                       {"peak_stage", peak_stage},
                       {"hbm_bytes", chip.hbm_bytes},
                       {"per_stage", stages}};
  const auto& m = cfg.model;
  results["training"] = {
      {"model",
       {{"name", m.name}, {"parameters", m.total_params()}, {"active_parameters", m.active_params()}, {"layers", m.layers},
        {"hidden", m.hidden}, {"seq_len", m.seq_len}, {"experts", m.experts}}},
      {"parallelism",
       {{"tp", plan.tp}, {"pp", plan.pp}, {"dp", plan.dp}, {"cp", plan.cp}, {"ep", plan.ep},
        {"virtual_stages", plan.virtual_stages}, {"schedule", to_string(plan.schedule)},
        {"microbatch", plan.microbatch}, {"global_batch", plan.global_batch}, {"microbatches", plan.microbatches()},
        {"recompute", to_string(plan.recompute)}, {"zero", plan.zero},
        {"precision", hardware::to_string(plan.precision)}}},
      {"iteration_time_s", T},
      {"tokens_per_iteration", tokens},
      {"tokens_per_s", tokens / T},
      {"tokens_per_s_per_device", tokens / T / devices},
      {"tflops_per_device", tflops / 1e12},
      {"hardware_tflops_per_device", hardware_tflops / 1e12},
      {"mfu", tflops / peak},
      {"hfu", hardware_tflops / peak},
      {"model_flops_per_token", m.model_flops_per_token()},
      {"train_tokens", cfg.train_tokens},
      {"iterations_to_train", iterations_to_train},
      {"time_to_train_s", time_to_train},
      {"iterations_simulated", cfg.iterations},
      {"slowest_device_factor", options.compute_slowness},
      {"breakdown", breakdown_json(it.breakdown, T)}};
  // The interleaved schedule's microbatch group (docs/training.md, "Pipeline schedules").
  if (plan.schedule == Schedule::Interleaved) results["training"]["parallelism"]["microbatch_group"] = plan.group();
  // Whose FSDP shards the weights (docs/training.md, "FSDP copies").
  if (plan.zero >= 3) results["training"]["parallelism"]["fsdp_implementation"] = to_string(plan.fsdp);
  // Whose FP8 linears and which scaling (docs/compute.md, "FP8 quantization").
  if (plan.precision == hardware::Precision::fp8) {
    results["training"]["parallelism"]["fp8_implementation"] = plan.fp8_torchao ? "torchao" : "transformer_engine";
    results["training"]["parallelism"]["fp8_recipe"] = to_string(plan.fp8_recipe);
  }
  // Whose TP runs, and whose overlap (docs/training.md, "Communication and overlap").
  if (plan.tp > 1) results["training"]["parallelism"]["tp_implementation"] = plan.tp_dtensor ? "torch" : "transformer_engine";
  if (plan.tp > 1 && plan.tp_comm_overlap)
    results["training"]["parallelism"]["tp_overlap_implementation"] = plan.tp_overlap_torch ? "torch" : "transformer_engine";
  if (plan.tp > 1 && plan.tp_comm_overlap && !plan.tp_overlap_torch) {
    // The userbuffer pairings that ran: the recipe's, or the preset's (docs/training.md).
    nlohmann::ordered_json pairings = nlohmann::ordered_json::object();
    const auto ub = workload::userbuffer_pairings(plan);
    for (std::size_t i = 0; i < ub.size(); ++i) {
      nlohmann::ordered_json e = {{"method", workload::to_string(ub[i].method)}};
      if (ub[i].method != workload::UbMethod::None) e["num_sm"] = ub[i].num_sm, e["set_sm_margin"] = ub[i].set_sm_margin;
      if (ub[i].method == workload::UbMethod::Pipeline) e["num_splits"] = ub[i].num_splits;
      if (ub[i].method == workload::UbMethod::RingExchange) e["aggregate"] = ub[i].aggregate;
      e["from"] = plan.ub_pairings[i] ? "scenario" : "preset";
      pairings[workload::kUbPairingNames[i]] = std::move(e);
    }
    results["training"]["parallelism"]["tp_overlap_config"] = std::move(pairings);
  }
  if (!it.timeline.empty()) {
    nlohmann::ordered_json spans = nlohmann::ordered_json::array();
    for (const PipelineSpan& sp : it.timeline)
      spans.push_back({sp.stage, to_string(sp.kind), sp.start_s, sp.end_s, sp.mb, sp.chunk});
    results["training"]["timeline"] = {{"replica", 0},
                                       {"columns", {"stage", "kind", "start_s", "end_s", "microbatch", "chunk"}},
                                       {"spans", std::move(spans)}};
  }
  // What the figures rest on that is assumed rather than measured (docs name each one).
  nlohmann::ordered_json assumed = nlohmann::ordered_json::object();
  for (const auto& [figure, why] : chip.assumed) assumed[chip.name + "." + figure] = why;
  if (cfg.device_variability > 0)
    assumed["device_variability"] = fmt::format("{:.3g} relative standard deviation of device speed (docs/training.md, "
                                                "\"Stragglers\"): the slowest of {} devices sets the pace, x{:.4f}",
                                                cfg.device_variability, plan.world(), options.compute_slowness);
  const double clock = rt.power->clock(power::Activity::Compute);
  if (clock < 1.0)
    assumed["power_cap_clock"] = fmt::format("a {:.0f} W per-device limit holds GEMMs at {:.1f} % of the chip's clock by the "
                                             "cube law of docs/power.md, not measured below its {:.0f} W rating",
                                             rt.power->device_limit_w(), 100 * clock, chip.power.max_w);
  if (plan.flash2)
    assumed["attention_flash2"] =
        chip.compute.attention_flash2.max_efficiency > 0
            ? std::string("FlashAttention-2's curve is its published short-run H100 benchmark scaled by H100's measured "
                          "steady-state / short-run GEMM ratio (0.93), forward and backward alike (docs/compute.md)")
            : chip.name + " has no FlashAttention-2 curve: its own attention curve stands in (docs/compute.md)";
  if (plan.zero >= 3 && plan.fsdp == FsdpImplementation::Fsdp1 && plan.dp * plan.cp > 1)
    assumed["fsdp1_post_backward"] = std::string(
        "FSDP1's gradient cast and pre-divide run on its post-backward stream beside the next layer's backward; "
        "dcsim serializes them with the compute, an upper bound on their cost (docs/training.md, \"FSDP copies\")");
  if (plan.norm_kernel == NormKernel::Composite)
    assumed["norm_composite"] = std::string(
        "RMSNorm written as PyTorch ops: its bytes are counted op by op from autograd's formulas (36 forward, 92 "
        "backward per element) and each of its kernels, reductions included, is timed at the measured add/copy rate "
        "(docs/training.md, \"Kernels of a layer\")");
  if (!plan.fused_cross_entropy)
    assumed["cross_entropy_eager"] = std::string(
        plan.tp > 1 ? "the eager loss under TP runs as PyTorch's loss_parallel decomposes it: its element-wise ops' "
                      "bytes are counted from that code, each op timed at the streaming rate (docs/training.md)"
                    : "PyTorch's log-softmax over rows too long for shared memory is read as three passes over each "
                      "row and one write, our reading of its kernel (docs/training.md)");
  if (plan.tp > 1 && plan.tp_comm_overlap && plan.tp_overlap_torch)
    assumed["tp_overlap_torch"] = std::string(
        "PyTorch's async TP copies peers' shards on copy engines: they take no SMs, and the HBM bandwidth they use "
        "does not slow the GEMMs they run beside (docs/training.md, \"Communication and overlap\")");
  if (plan.tp > 1 && plan.tp_comm_overlap && workload::splits_tp_gemms(plan))
    assumed["tp_overlap_pieces"] = std::string(
        "the GEMMs TP overlap runs in pieces (a ring exchange's one per rank's chunk, a pipelined reduce-scatter's "
        "num_splits, async TP's one per peer) are timed whole: on an H200, 512- and 1,024-row pieces run back to back "
        "on one stream took -1 to +39 % longer than their GEMM, and Transformer Engine's launch on three streams "
        "takes back a share not measured (docs/compute.md, \"Measured on an H200 beside the fits\")");
  if (const int c = plan.tp > 1 && plan.tp_comm_overlap ? workload::widest_sm_margin(plan) : 0; c > 0 && chip.compute.sms > 0)
    assumed["tp_overlap_sm_margin"] = fmt::format(
        "GEMMs paired with set_sm_margin run on the SMs their communication leaves (up to {} of {}) for their whole "
        "time and are charged c / (SMs - c) more ({:.1f} % at {}), our reading of Transformer Engine's _math_sms, not "
        "measured; on fewer SMs a GEMM draws less power, so under a power cap this is an upper bound (docs/training.md, "
        "\"Communication and overlap\")",
        c, chip.compute.sms, 100 * workload::sm_margin_slowdown(chip, c, 1.0), c);
  if (!plan.separate_grad_accumulation && (plan.zero < 3 || plan.fsdp == FsdpImplementation::Megatron) &&
      chip.compute.sms > 0)
    assumed["wgrad_accumulation_fused"] = std::string(
        "weight-gradient GEMMs add into the fp32 main gradients from their epilogue (Megatron's "
        "gradient_accumulation_fusion), timed as GEMMs with a 16-bit output: the epilogue's 8 bytes per weight "
        "each microbatch are taken to hide under the GEMM's math, not measured (docs/training.md)");
  if (plan.precision == hardware::Precision::fp8 && plan.fp8_torchao)
    assumed["fp8_casts_torchao"] = std::string(
        "torchao's float8 casts are counted as torch.compile is taken to emit them, each writing the FP8 copy and its "
        "transpose in one kernel with its amax folded into the kernel before it; checked against torchao's published "
        "compiled Float8Linear speed-ups on an H100 (1.34 against 1.39 at 4096 x 8192 x 16384), not measured in a "
        "training step (docs/compute.md, \"FP8 quantization\")");
  if (plan.cp > 1 && plan.cp_torch)
    assumed["cp_ring_torch"] = std::string(
        "PyTorch's ring attention's casts, fp32 merges and concatenations are counted as separate eager element-wise "
        "kernels at the streaming rate, with bytes read from its code; torch.compile may have fused some of them, so "
        "their cost is an upper bound (docs/training.md, \"Ring attention in PyTorch\")");
  if (const int qps = rt.fabric->spec().qps_per_connection; qps > 1)
    assumed["queue_pairs"] = fmt::format("each transfer's {} queue pairs per connection move at one rate, set by the "
                                         "most loaded of their hashed paths; none runs ahead on a freer path "
                                         "(docs/network.md, \"Routing\")",
                                         qps);
  results["assumptions"] = assumed;

  // The summary, humanized.
  std::string out;
  out += fmt::format("{}: {} ({:.1f} B parameters) on {} x {}\n", rt.scenario.name, m.name, m.total_params() / 1e9,
                     rt.cluster.devices(), chip.name);
  out += fmt::format("  plan                TP{} PP{} DP{}{}{}{}, {} schedule, microbatch {}, global batch {} ({} microbatches), "
                     "recompute {}, ZeRO-{}, {}\n",
                     plan.tp, plan.pp, plan.dp, plan.cp > 1 ? fmt::format(" CP{}", plan.cp) : "",
                     plan.ep > 1 ? fmt::format(" EP{}", plan.ep) : "",
                     plan.virtual_stages > 1 ? fmt::format(" VP{}", plan.virtual_stages) : "", to_string(plan.schedule),
                     plan.microbatch, plan.global_batch, plan.microbatches(), to_string(plan.recompute), plan.zero,
                     hardware::to_string(plan.precision));
  out += fmt::format("  iteration           {}\n", format_quantity(T, Dimension::Duration));
  out += fmt::format("  throughput          {} tokens/s ({} per device), {:.0f} TFLOP/s per device\n",
                     scenario::format_count(tokens / T), scenario::format_count(tokens / T / devices), tflops / 1e12);
  out += fmt::format("  MFU / HFU           {:.1f} % / {:.1f} %  (of {} {} peak)\n", 100 * tflops / peak,
                     100 * hardware_tflops / peak, format_quantity(peak, Dimension::Compute),
                     hardware::to_string(plan.precision));
  const auto& b = it.breakdown;
  auto pct = [T](double s) { return 100 * s / T; };
  // Only the parts that took time, largest first.
  std::vector<std::pair<const char*, double>> parts = {
      {"compute", b.compute},   {"TP", b.tp_exposed},   {"EP", b.ep_exposed},         {"CP", b.cp_exposed},
      {"FSDP", b.fsdp_exposed}, {"PP", b.pp_exposed},   {"pipeline bubble", b.bubble}, {"DP", b.dp_exposed},
      {"optimizer", b.optimizer}};
  std::stable_sort(parts.begin(), parts.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  std::string where;
  for (const auto& [name, seconds] : parts)
    if (pct(seconds) >= 0.05) where += fmt::format("{}{} {:.1f} %", where.empty() ? "" : ", ", name, pct(seconds));
  out += "  where time goes     " + where + "\n";
  out += fmt::format("  memory              {} peak per device (stage {}) of {}\n", format_quantity(peak_memory, Dimension::Bytes),
                     peak_stage, format_quantity(chip.hbm_bytes, Dimension::Bytes));
  if (!chip.assumed.empty()) {
    std::string names;
    for (const auto& [figure, why] : chip.assumed) names += (names.empty() ? "" : ", ") + figure;
    out += fmt::format("  rests on            assumed {} figures: {} (results.json \"assumptions\")\n", chip.name, names);
  }
  // The run's own assumptions (the plan's kernels, overlap, power cap), by name; the chip's
  // are on the line above.
  std::string modeled;
  for (const auto& [name, why] : assumed.items())
    if (name.rfind(chip.name + ".", 0) != 0 && name != "device_variability") modeled += (modeled.empty() ? "" : ", ") + name;
  if (!modeled.empty())
    out += fmt::format("  {}assumed in the model: {} (results.json \"assumptions\")\n",
                       chip.assumed.empty() ? "rests on            " : "                    ", modeled);
  out += fmt::format("  power               {} average, {} peak (facility)\n", format_quantity(facility_w, Dimension::Power),
                     format_quantity(rt.power->facility_peak_w(), Dimension::Power));
  if (time_to_train > 0) {
    out += fmt::format("  time to train       {} for {} tokens ({} iterations)\n",
                       format_quantity(time_to_train, Dimension::Duration), scenario::format_count(cfg.train_tokens),
                       scenario::format_count(iterations_to_train));
    out += fmt::format("  energy, cost        {}, {} for the run\n", format_quantity(run_energy_j, Dimension::Energy),
                       format_quantity(run_cost.total_usd(), Dimension::Money));
  } else {
    out += fmt::format("  energy, cost        {}, {} per iteration\n",
                       format_quantity(facility_w * T, Dimension::Energy), format_quantity(iter_cost.total_usd(), Dimension::Money));
  }
  if (rt.scenario.reliability.present) out += run_whole_run(rt, {T, iterations_to_train, facility_w}, results);
  return out;
}

}  // namespace dcsim::engine
