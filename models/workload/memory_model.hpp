#pragma once
// Memory per device, by pipeline rank (docs/training.md): weights, gradients and optimizer
// state by ZeRO stage, activations by recomputation and schedule (Korthikanti et al. 2022),
// communication buffers and a fixed reserve.
#include <cstdint>
#include <string>
#include <vector>

#include "models/workload/parallel_plan.hpp"
#include "models/workload/training_costs.hpp"
#include "models/workload/transformer.hpp"

namespace dcsim::workload {

struct StageMemory {
  double weights = 0, gradients = 0, optimizer = 0, activations = 0, buffers = 0, reserved = 0;
  double total() const { return weights + gradients + optimizer + activations + buffers + reserved; }
};

// Activation bytes one layer keeps for one microbatch on one rank.
double layer_activation_bytes(const TransformerSpec& m, const ParallelPlan& plan);
// Microbatch-chunks whose activations a pipeline rank holds at its peak.
std::int64_t in_flight(const ParallelPlan& plan, std::int64_t pipeline_rank);

std::vector<StageMemory> memory_per_stage(const TransformerSpec& m, const ParallelPlan& plan, const TrainingCosts& costs,
                                          double reserved_bytes);

}  // namespace dcsim::workload
