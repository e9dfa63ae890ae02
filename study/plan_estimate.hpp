#pragma once
// A fast analytical iteration time for a training plan, for screening thousands of plans
// before the discrete-event runs rank the best (docs/plan_search.md gives the formula).
// It uses the same per-chunk costs as the simulation (compute op by op, exposed TP/CP/EP/FSDP
// communication) and times pipeline messages and data-parallel collectives alpha-beta on the
// real fabric, each alone: no contention, no schedule detail beyond the bubble formula.
#include <cstdint>

#include "models/network/collective_timer.hpp"
#include "models/workload/parallel_plan.hpp"
#include "models/workload/training_costs.hpp"

namespace dcsim::study {

struct PlanEstimate {
  double compute_s = 0;    // microbatches x the slowest pipeline rank's work per microbatch
  double bubble_s = 0;     // (pp - 1) / virtual_stages of that work
  double pp_s = 0;         // pipeline messages on the fill and drain path
  double dp_s = 0;         // gradient reduction and parameter gather not hidden by backward
  double optimizer_s = 0;  // the slowest pipeline rank's optimizer step
  double total() const { return compute_s + bubble_s + pp_s + dp_s + optimizer_s; }
};

// The data-parallel collective of rank 0's group under the plan, and a pipeline send from
// stage 0 to stage 1, timed by `timer` (analytical: alone on the network).
double dp_seconds(const workload::ParallelPlan& plan, network::CollectiveOp op, double bytes,
                  network::CollectiveTimer& timer);
double pp_send_seconds(const workload::ParallelPlan& plan, double bytes, network::CollectiveTimer& timer);

PlanEstimate estimate_iteration(const workload::ParallelPlan& plan, const workload::TrainingCosts& costs,
                                network::CollectiveTimer& timer);

}  // namespace dcsim::study
