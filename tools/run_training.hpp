#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "sim/trace_writer.hpp"
#include "tools/cluster_runtime.hpp"

namespace dcsim::app {
// The training workload: memory check, iterations, results.json sections, the summary.
// Throws scenario::InputError when the plan does not fit in memory.
std::string run_training_workload(ClusterRuntime& rt, TraceWriter* trace, nlohmann::ordered_json& results,
                                  std::string& warnings);
}  // namespace dcsim::app
