#include "study/plan_estimate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "models/network/collectives.hpp"

namespace dcsim::study {
using workload::ParallelPlan;

double dp_seconds(const ParallelPlan& plan, network::CollectiveOp op, double bytes, network::CollectiveTimer& timer) {
  if (plan.dp < 2 || bytes <= 0) return 0;
  std::vector<std::int64_t> ranks;
  for (std::int64_t d = 0; d < plan.dp; ++d) ranks.push_back(workload::rank_of(plan, {0, 0, d, 0}));
  return timer.seconds(op, ranks, bytes);
}

double pp_send_seconds(const ParallelPlan& plan, double bytes, network::CollectiveTimer& timer) {
  if (plan.pp < 2 || bytes <= 0) return 0;
  return timer.seconds(network::CollectiveOp::SendRecv, {0, workload::rank_of(plan, {0, 0, 0, 1})}, bytes);
}

PlanEstimate estimate_iteration(const ParallelPlan& plan, const workload::TrainingCosts& costs,
                                network::CollectiveTimer& timer) {
  PlanEstimate e;
  const std::int64_t pp = plan.pp, v = plan.virtual_stages, m = plan.microbatches();
  // Per microbatch, each pipeline rank runs the forward and backward of its v chunks.
  double slowest = 0, slowest_backward = 0, slowest_forward = 0;
  for (std::int64_t p = 0; p < pp; ++p) {
    double f = 0, b = 0;
    for (std::int64_t c = 0; c < v; ++c) {
      const auto& chunk = costs.chunks[std::size_t(c * pp + p)];
      f += chunk.forward.total_s();
      b += chunk.backward.total_s();
    }
    if (f + b > slowest) {
      slowest = f + b;
      slowest_forward = f;
      slowest_backward = b;
    }
  }
  e.compute_s = double(m) * slowest;
  e.bubble_s = double(pp - 1) * slowest / double(v);
  // The fill and drain cross every stage boundary forward and backward: 2 (pp v - 1) messages.
  e.pp_s = 2.0 * double(pp * v - 1) * pp_send_seconds(plan, costs.pp_message_bytes, timer);
  // Data parallel: gradients reduced (scattered with a sharded optimizer), parameters gathered
  // back (ZeRO 1-2; ZeRO 3 gathers per layer inside the blocks' fsdp time).
  double params = 0, optimizer = 0;
  for (std::int64_t p = 0; p < pp; ++p) {
    params = std::max(params, costs.dense_params[std::size_t(p)] + costs.expert_params[std::size_t(p)]);
    optimizer = std::max(optimizer, costs.optimizer_s[std::size_t(p)]);
  }
  const double grad_bytes = params * plan.grad_bytes;
  const double reduce = plan.zero == 0 ? dp_seconds(plan, network::CollectiveOp::AllReduce, grad_bytes, timer)
                                       : dp_seconds(plan, network::CollectiveOp::ReduceScatter, grad_bytes, timer);
  const double param_bytes = params * (plan.fp8_params ? 1.0 : 2.0);
  const double gather =
      plan.zero == 1 || plan.zero == 2 ? dp_seconds(plan, network::CollectiveOp::AllGather, param_bytes, timer) : 0.0;
  // Reduction overlaps the last microbatch's backward; the gather the next forward if asked.
  e.dp_s = (plan.overlap_dp ? std::max(0.0, reduce - slowest_backward) : reduce) +
           (plan.overlap_param_gather ? std::max(0.0, gather - slowest_forward) : gather);
  e.optimizer_s = optimizer;
  return e;
}

}  // namespace dcsim::study
