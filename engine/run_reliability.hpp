#pragma once
// The whole run of a training scenario with a `reliability:` section: the Monte Carlo of
// failures, checkpoints and restarts around the simulated iteration, as results.json's
// `reliability` section and two summary lines (docs/reliability.md).
#include <nlohmann/json.hpp>
#include <string>

#include "engine/cluster_runtime.hpp"
#include "models/reliability/reliability_spec.hpp"

namespace dcsim::engine {

struct WholeRunInputs {
  double iteration_s = 0;
  double iterations_to_train = 0;  // 0: no train_tokens
  double facility_w = 0;           // facility power while training
};

// The classes of the run: the defaults, with the scenario's rates and figures applied.
std::vector<reliability::FailureClass> failure_classes_of(const ClusterRuntime& rt, const reliability::ClusterShape& shape);
reliability::ClusterShape cluster_shape_of(const ClusterRuntime& rt);

// Adds results["reliability"] and returns the summary's lines.
std::string run_whole_run(const ClusterRuntime& rt, const WholeRunInputs& in, nlohmann::ordered_json& results);

}  // namespace dcsim::engine
