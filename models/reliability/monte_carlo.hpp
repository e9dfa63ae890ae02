#pragma once
// Many trials of one run, on every core, and what they add up to (docs/reliability.md,
// "Monte Carlo"). Trial i draws from streams seeded by (seed, i) alone, so the results are
// the same for any number of threads.
#include <cstdint>
#include <vector>

#include "models/reliability/checkpoint.hpp"
#include "models/reliability/run_trial.hpp"

namespace dcsim::reliability {

struct Distribution {
  double mean = 0, stddev = 0, p5 = 0, p50 = 0, p95 = 0, min = 0, max = 0;
};
Distribution distribution(const std::vector<double>& values);

struct StudyResult {
  CheckpointCosts costs;
  double mtbf_s = 0;            // mean time between interruptions of the job
  double restart_s = 0;         // restart without detection and waits (restart_seconds)
  double daly_interval_s = 0;   // the optimal interval for the blocking cost and the MTBF
  double interval_s = 0;        // the one used (given, or Daly's), at least one iteration
  bool interval_given = false;
  std::vector<TrialResult> trials;  // in trial order; trial 0 keeps its events
  std::int64_t finished = 0;        // trials that completed the work
  Distribution goodput;         // work done / wall time
  Distribution wall_s;          // time to train (work runs) or the window
  Distribution interruptions, lost_work_s, down_s, checkpoint_s, slow_s;
};

// What a study will do before it runs: costs, MTBF, the interval, and about how many
// events its trials will simulate (checkpoints and failures), to refuse a run that would
// take hours (a checkpoint every iteration for decades, say).
struct StudyPlan {
  CheckpointCosts costs;
  double mtbf_s = 0, restart_s = 0, daly_interval_s = 0, interval_s = 0;
  bool interval_given = false;
  double events = 0;
};
StudyPlan plan_study(const ReliabilitySpec& spec, const ClusterShape& shape);

StudyResult run_study(const ReliabilitySpec& spec, const ClusterShape& shape);

}  // namespace dcsim::reliability
