#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/cluster_runtime.hpp"

namespace dcsim::engine {
// The collective workload's plan for every size, as the run makes it; a plan the fabric
// cannot carry (hierarchical over uneven domains) is an input error.
void plan_collective_workload(const ClusterRuntime& rt);
// The collective and flows workloads: fill results, return the summary. The flows workload
// writes flows.csv into `out` when given.
std::string run_collective_workload(ClusterRuntime& rt, nlohmann::ordered_json& results);
std::string run_flows_workload(ClusterRuntime& rt, RandomStreams& streams, const std::filesystem::path* out,
                               nlohmann::ordered_json& results);
}  // namespace dcsim::engine
