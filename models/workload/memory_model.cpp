#include "models/workload/memory_model.hpp"

#include <algorithm>

#include "models/workload/layer_ops.hpp"

namespace dcsim::workload {
namespace {
bool fp8(const ParallelPlan& plan) { return plan.precision == hardware::Precision::fp8; }

// Bytes per token one layer saves on one rank (docs/memory.md, "Activations"), as Transformer
// Engine layers with flash attention save them: the norm input and output of each sub-layer
// (the output in FP8 under FP8; gathered over TP under PyTorch's TP), Q, K, V and the
// attention output (plus its FP8 copy for the projection), fp32 softmax statistics, the MLP's
// pre-activation and its activation output (FP8 under FP8), 1-byte dropout masks where the
// model has dropout. Sequence parallelism splits the norm and residual terms by TP; without it
// every TP rank keeps them whole.
double per_token(const TransformerSpec& m, const ParallelPlan& plan, bool moe_layer) {
  const double t = double(plan.tp), sp = plan.sequence_parallel ? t : 1.0;
  const double h = double(m.hidden), kv = double(m.kv_dim());
  const double low = fp8(plan) ? 1.0 : 2.0;  // bytes of a saved GEMM input
  const double gated = m.mlp_matrices() - 1;
  // A norm's output is the next GEMMs' input: PyTorch's TP (DTensor) saves it gathered.
  const double gathered = plan.tp_dtensor ? 1.0 : sp;
  // Transformer Engine's MXFP8 under SP saves the norm output in bf16 and casts it again before
  // the backward's gather (TE 2.2 layernorm_linear.py; docs/compute.md, "FP8 quantization").
  const bool mx_bf16_norm = fp8(plan) && plan.fp8_recipe == Fp8Recipe::Mx && !plan.fp8_torchao && !plan.tp_dtensor &&
                            plan.sequence_parallel && plan.tp > 1;
  const double norm_out = mx_bf16_norm ? 2.0 : low;
  double bytes = 2 * h / sp + norm_out * h / gathered  // attention norm: input, output
                 + 2 * (h + 2 * (plan.kv_repeat ? h : kv)) / t  // Q, K, V (repeated to every head: h)
                 + 2 * h / t + (fp8(plan) ? h / t : 0)  // attention output (and its FP8 copy)
                 + 4 * double(m.heads) / t             // softmax statistics (fp32)
                 + 2 * h / sp + norm_out * h / gathered;  // MLP norm: input, output
  if (!moe_layer) {
    const double f = double(m.ffn) / t;
    bytes += 2 * gated * f + low * f;  // pre-activation, activation output
  } else {
    // Each token's hidden state is routed to top_k experts: the expert GEMMs' input, their
    // pre-activations and activation outputs, per routed token.
    const double f = double(m.expert_ffn) / t;
    bytes += double(m.top_k) * (low * h + 2 * gated * f + low * f);
  }
  if (m.dropout) bytes += 2 * h / sp;  // two 1-byte masks
  if (!plan.flash_attention && plan.recompute == Recompute::None) {
    // Unfused attention keeps softmax output, its dropout mask and output per score.
    bytes += (m.dropout ? 5.0 : 2.0) * double(m.heads) / t * double(m.seq_len);
  }
  return bytes;
}

// Bytes per token one layer saves under torchtitan's per-op policy (recompute: op): the
// block's input, the attention core's output and fp32 statistics, the saved GEMMs' outputs
// (wq, wv, w1 and w2 of a SwiGLU layer; wq, wv and w1 with GeLU; in 16 bits under FP8 too)
// and, with TP, the reduce-scatters' outputs.
double per_token_op_policy(const TransformerSpec& m, const ParallelPlan& plan) {
  const double t = double(plan.tp), sp = plan.sequence_parallel ? t : 1.0;
  const double h = double(m.hidden), kv = double(m.kv_dim()), f = double(m.ffn) / t;
  double bytes = 2 * h / sp + 2 * h / t + 4 * double(m.heads) / t;
  bytes += 2 * h / t + 2 * kv / t + 2 * f + (m.mlp_matrices() > 2 ? 2 * h / t : 0.0);
  if (plan.tp > 1) bytes += 2 * 2 * h / sp;
  return bytes;
}

// The rank's transformer layers (all its model chunks).
double layers_on_rank(const ParallelPlan& plan, const TrainingCosts& costs, std::int64_t p) {
  double layers = 0;
  for (std::int64_t v = p; v < plan.stages(); v += plan.pp) layers += double(costs.chunks[std::size_t(v)].layers);
  return layers;
}

// Communicators a rank uses every step, each with its own NCCL buffers.
int nccl_groups(const ParallelPlan& plan) {
  return (plan.tp > 1) + (plan.cp > 1) + (plan.dp > 1) + (plan.pp > 1);
}
}  // namespace

double layer_activation_bytes(const TransformerSpec& m, const ParallelPlan& plan, bool moe_layer) {
  const double tokens = tokens_per_rank(m, plan);
  if (plan.recompute == Recompute::Full && plan.recompute_layers == 0)
    return 2 * tokens * double(m.hidden) / (plan.sequence_parallel ? double(plan.tp) : 1.0);  // the layer's input
  if (plan.recompute == Recompute::Op) return tokens * per_token_op_policy(m, plan);
  return tokens * per_token(m, plan, moe_layer);
}

std::int64_t in_flight(const ParallelPlan& plan, std::int64_t p) {
  // The warm-up's forwards, and the one each 1F1B step runs before its backward.
  if (plan.schedule == Schedule::GPipe) return plan.warmup_forwards(p);
  return std::min(plan.microbatches() * plan.virtual_stages, plan.warmup_forwards(p) + 1);
}

std::vector<StageMemory> memory_per_stage(const TransformerSpec& m, const ParallelPlan& plan, const TrainingCosts& costs,
                                          const MemoryOverheads& o) {
  std::vector<StageMemory> out(static_cast<std::size_t>(plan.pp));
  // The distributed optimizer shards over DP x CP; experts over their own data-parallel group.
  const double D = double(plan.dp * plan.cp), De = std::max(1.0, D / double(plan.ep));
  const double T = tokens_per_rank(m, plan);
  const double h = double(m.hidden), t = double(plan.tp), sp = plan.sequence_parallel ? t : 1.0;
  // Weights as kept: bf16, or FP8 with its transposed copy; bf16 weights under FP8 also keep
  // an FP8 cache (row-wise and transposed) across microbatches, except under FSDP.
  const double weight_bytes = !fp8(plan) ? 2.0 : plan.fp8_params ? 2.0 : plan.zero >= 3 ? 2.0 : 4.0;
  const double gathered_bytes = plan.fp8_params ? 1.0 : 2.0;
  // Adam: fp32 master weights and two moments; Megatron's distributed optimizer also keeps an
  // fp32 copy of a 16-bit gradient shard (ZeRO-0/2/3 as in the ZeRO paper: 2 + 2 + 12 bytes).
  // With bf16 optimizer state (optimizer_dtype: bf16) the three take 6 bytes and the 16-bit
  // gradient shard is used as it is.
  // Apex's fused Adam (optimizer: distributed_fused_adam) keeps no fp32 gradient copy.
  const double optimizer_bytes =
      plan.optimizer_state_bytes < 4 ? 3 * plan.optimizer_state_bytes
                                     : 12.0 + (plan.grad_bytes < 4 && plan.zero == 1 && !plan.fused_adam ? 4.0 : 0.0);
  const bool moe_model = m.moe();
  const double dense_act = layer_activation_bytes(m, plan, false);
  const double moe_act = moe_model ? layer_activation_bytes(m, plan, true) : 0.0;
  const double checkpoint = 2 * T * h / sp;  // a fully recomputed layer keeps its input
  // A recomputed layer's backward first runs its forward again: while it does, that layer of
  // that microbatch holds its full activations beside what the schedule keeps.
  double recomputed = 0;
  if (plan.recompute == Recompute::Full) {
    ParallelPlan kept = plan;
    kept.recompute = Recompute::None;
    recomputed = std::max(layer_activation_bytes(m, kept, false), moe_model ? layer_activation_bytes(m, kept, true) : 0.0);
  }
  for (std::int64_t p = 0; p < plan.pp; ++p) {
    StageMemory& s = out[std::size_t(p)];
    const double dense = costs.dense_params[std::size_t(p)], expert = costs.expert_params[std::size_t(p)];
    const double params = dense + expert;
    const double sharded = dense / D + expert / De;
    s.weights = (plan.zero >= 3 ? 2.0 * sharded : weight_bytes * params);
    s.gradients = plan.grad_bytes * (plan.zero >= 2 ? sharded : params);
    s.optimizer = optimizer_bytes * (plan.zero >= 1 ? sharded : params);

    // Activations: the average layer of this rank's chunks, times the layer-microbatches in
    // flight at the peak; recompute_layers of each chunk keep only their input.
    const double layers = layers_on_rank(plan, costs, p);
    const double chunk_layers = layers / double(plan.virtual_stages);
    const double moe_share = moe_model ? double(m.moe_layers()) / double(m.layers) : 0.0;
    double per_layer = (1 - moe_share) * dense_act + moe_share * moe_act;
    if (plan.recompute == Recompute::Full && plan.recompute_layers > 0) {
      const double re = std::min(double(plan.recompute_layers), chunk_layers);
      per_layer = (re * checkpoint + (chunk_layers - re) * per_layer) / std::max(1.0, chunk_layers);
    }
    const double held = per_layer * chunk_layers * double(in_flight(plan, p));
    // Offloaded layers (this rank's share of them) leave one layer in transit on the device.
    const double offloaded = std::min(layers, double(plan.offload_layers) * layers / double(m.layers));
    s.activations = held * (layers > 0 ? 1 - offloaded / layers : 1) + (offloaded > 0 ? per_layer : 0);
    // The loss of one microbatch over this rank's vocabulary shard (docs/memory.md), beside the
    // output layer's saved 16-bit input (gathered under PyTorch's TP), peaks before the first
    // layer's backward, so the last stage holds the larger of the two.
    const double loss = p == plan.pp - 1 ? loss_bytes_per_logit(plan).peak * T * double(m.vocab) / t +
                                               2 * T * h / (plan.tp_dtensor ? 1.0 : sp)
                                         : 0.0;
    s.activations += std::max(loss, recomputed);

    // Transient buffers: pipeline messages in flight; FSDP's gathered weights (two layers, or
    // the whole stage when not resharded after forward) and one layer's full gradients before
    // their reduce-scatter; TP userbuffers (one T x h bf16 buffer per overlapped GEMM pass).
    if (plan.pp > 1) s.buffers += 4 * costs.pp_message_bytes;
    if (plan.zero >= 2 && plan.dp * plan.cp > 1) {
      const double layer_params = layers > 0 ? params / layers : 0;
      const double gathered = plan.zero >= 3 ? (plan.reshard_after_forward ? 2 * layer_params : params) : 0;
      s.buffers += gathered_bytes * gathered + plan.grad_bytes * layer_params;
    }
    if (plan.tp > 1 && plan.tp_comm_overlap && !plan.tp_overlap_torch) s.buffers += 12 * T * h * 2;

    s.runtime = o.cuda_context + o.workspace + o.nccl_per_group * nccl_groups(plan) + (plan.ep > 1 ? o.nccl_all_to_all : 0);
    // PyTorch's async TP: one symmetric workspace per TP group, grown to its largest request
    // (a reduce-scatter's two chunk buffers: 2 x T/t x h, 16-bit), mapped outside the caching
    // allocator.
    if (plan.tp > 1 && plan.tp_comm_overlap && plan.tp_overlap_torch) s.runtime += 2 * (T / t) * h * 2;
    s.fragmentation = o.fragmentation * s.allocated();
  }
  return out;
}

}  // namespace dcsim::workload
