#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "models/workload/memory_model.hpp"
#include "models/workload/training_costs.hpp"
#include "sim/trace_writer.hpp"
#include "engine/cluster_runtime.hpp"

namespace dcsim::engine {
// What a training run checks before it simulates: the chip supports the precision, the plan's
// costs, memory per stage. Throws scenario::InputError for a plan the run would refuse
// (`dcsim validate` calls it too, so it refuses the same plans with the same message).
struct PlannedTraining {
  workload::TrainingCosts costs;
  std::vector<workload::StageMemory> memory;
  double peak_memory = 0;
  std::int64_t peak_stage = 0;
  bool fits = true;
};
PlannedTraining plan_training(ClusterRuntime& rt);

// The training workload: memory check, iterations, results.json sections, the summary.
// Throws scenario::InputError when the plan does not fit in memory.
std::string run_training_workload(ClusterRuntime& rt, TraceWriter* trace, nlohmann::ordered_json& results,
                                  std::string& warnings);
}  // namespace dcsim::engine
