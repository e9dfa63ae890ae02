#include "models/workload/memory_model.hpp"

#include <algorithm>

namespace dcsim::workload {

double layer_activation_bytes(const TransformerSpec& m, const ParallelPlan& plan) {
  const double tokens = double(plan.microbatch) * double(m.seq_len) / double(plan.cp);
  const double t = double(plan.tp), h = double(m.hidden);
  if (plan.recompute == Recompute::Full) return 2 * tokens * h / (plan.sequence_parallel ? t : 1.0);
  // Korthikanti et al.: 34 s b h bytes per layer for a 4h GeLU MLP with flash attention
  // (the 5 a s^2 b score term is never stored): 18 h for attention, norms and residuals,
  // plus 4 bytes per MLP inner element (fc1 output and activation output, bf16), 6 for SwiGLU.
  const double inner = m.moe() ? double(m.top_k) * double(m.expert_ffn) : double(m.ffn);
  const double per_inner = m.activation == Activation::SwiGlu ? 6.0 : 4.0;
  const double sp = plan.sequence_parallel ? t : 1.0;
  double bytes = tokens * (18 * h / sp + per_inner * inner / t);
  // Without flash attention the softmax output, dropout mask and output are kept: 5 a s^2 b.
  if (!plan.flash_attention && plan.recompute == Recompute::None)
    bytes += 5 * double(m.heads) / t * double(m.seq_len) * tokens;
  return bytes;
}

std::int64_t in_flight(const ParallelPlan& plan, std::int64_t p) {
  const std::int64_t m = plan.microbatches();
  switch (plan.schedule) {
    case Schedule::GPipe: return m * plan.virtual_stages;
    case Schedule::OneFOneB: return std::min(m, plan.pp - p);
    case Schedule::Interleaved:
      return std::min(m * plan.virtual_stages, (plan.pp - p - 1) * 2 + (plan.virtual_stages - 1) * plan.pp + 1);
  }
  return m;
}

std::vector<StageMemory> memory_per_stage(const TransformerSpec& m, const ParallelPlan& plan, const TrainingCosts& costs,
                                          double reserved) {
  std::vector<StageMemory> out(static_cast<std::size_t>(plan.pp));
  const double dp = double(plan.dp), edp = std::max(1.0, double(plan.dp) / double(plan.ep));
  const double act_layer = layer_activation_bytes(m, plan);
  for (std::int64_t p = 0; p < plan.pp; ++p) {
    StageMemory& s = out[p];
    const double dense = costs.dense_params[p], expert = costs.expert_params[p];
    s.weights = 2 * (plan.zero >= 3 ? dense / dp + expert / edp : dense + expert);
    s.gradients = plan.grad_bytes * (plan.zero >= 2 ? dense / dp + expert / edp : dense + expert);
    s.optimizer = 12 * (plan.zero >= 1 ? dense / dp + expert / edp : dense + expert);
    // Layers per chunk on this rank times the chunks in flight at the peak.
    double layers = 0;
    for (std::int64_t v = p; v < plan.stages(); v += plan.pp) layers += double(costs.chunks[v].layers);
    const double per_chunk_layers = layers / double(plan.virtual_stages);
    s.activations = act_layer * per_chunk_layers * double(in_flight(plan, p));
    const double tokens = double(plan.microbatch) * double(m.seq_len) / double(plan.cp);
    if (p == plan.pp - 1) s.activations += 2 * 4 * tokens * double(m.vocab) / double(plan.tp);  // fp32 logits and grads
    // Buffers: two DP buckets in flight, pipeline send/receive buffers.
    s.buffers = 2 * plan.bucket_params * plan.grad_bytes * (plan.dp > 1 ? 1 : 0) + 4 * costs.pp_message_bytes;
    s.reserved = reserved;
  }
  return out;
}

}  // namespace dcsim::workload
