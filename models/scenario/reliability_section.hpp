#pragma once
// The scenario's `reliability:` section (training workloads): trials, the window or the run
// to train, failure rates that differ from the defaults, the job's response, spares and
// checkpoints (docs/reliability.md, "Scenario keys").
#include <optional>
#include <string>
#include <vector>

#include "models/reliability/reliability_spec.hpp"
#include "models/scenario/reader.hpp"

namespace dcsim::scenario {

// A class's figures as the scenario gives them; rates per 1,000 node-days need the
// cluster's shape, so the engine resolves them.
struct FailureOverride {
  std::string name;
  std::optional<double> per_1000_node_days, per_component_hour, weibull_shape, slowdown, detect_s, repair_s;
};

struct ReliabilityConfig {
  bool present = false;
  std::int64_t trials = 100;
  int threads = 0;
  double duration_s = 0;  // 0: until workload.train_tokens are trained
  std::vector<FailureOverride> failures;
  reliability::JobResponse job;
  reliability::CheckpointSpec checkpoint;  // size 0: from the model (weights and optimizer state)
};

// `train_tokens`: the workload's, to check that a run without a window has something to train.
void read_reliability(MapReader& r, ReliabilityConfig& out, double train_tokens);

}  // namespace dcsim::scenario
