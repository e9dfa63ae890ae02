#pragma once
// One whole run, simulated: the job trains at the speed the training DES measured, and
// failures, checkpoints, restarts, repairs and spares are events on the same kernel, with
// progress advanced exactly between them (docs/reliability.md, "One trial").
#include <cstdint>
#include <string>
#include <vector>

#include "models/reliability/checkpoint.hpp"
#include "models/reliability/reliability_spec.hpp"

namespace dcsim::reliability {

struct TrialEvent {
  double time_s = 0;
  std::size_t cls = 0;         // index into the spec's classes
  std::int64_t component = 0;  // which GPU, node, rack or switch
  std::int64_t node = -1;      // the node it is in (or the first of its blast radius), -1: none
  bool interrupted = false;    // the job stopped (false: it ran on slower, or was already down)
  double downtime_s = 0;       // until the job ran again (or the next failure restarted the recovery)
  double lost_work_s = 0;      // training since the last committed checkpoint, redone
};

struct ClassTally {
  std::int64_t failures = 0, interruptions = 0;
  double downtime_s = 0, lost_work_s = 0;
};

// wall_s = work_s + lost_work_s + slow_s + checkpoint_s + down_s, exactly (up to rounding).
struct TrialResult {
  double wall_s = 0;
  double work_s = 0;        // useful training done (progress kept)
  bool finished = false;    // the whole work was done (runs with a work target)
  double lost_work_s = 0;   // training redone after failures
  double slow_s = 0;        // running below full speed (degraded fabric, stragglers, fewer replicas)
  double checkpoint_s = 0;  // training stopped for checkpoints
  double down_s = 0;        // detection, waits for nodes, restarts, checkpoint loads
  std::int64_t interruptions = 0, checkpoints = 0;
  std::int64_t spares_used = 0;   // nodes taken from the spare pool
  std::int64_t repair_waits = 0;  // interruptions that waited for a repair: the pool was short
  std::vector<ClassTally> by_class;
  std::vector<TrialEvent> events;  // with record_events
  // With record_events: (wall s, work kept s) where the line bends: each interruption (the
  // work before and after the loss) and each restart; between them progress is linear.
  std::vector<std::pair<double, double>> progress;
};

// The restart cost without detection and waiting: rescheduling, process start, collective
// initialization for `ranks` ranks and the checkpoint load.
double restart_seconds(const JobResponse& job, std::int64_t ranks, const CheckpointCosts& costs);

TrialResult run_trial(const ReliabilitySpec& spec, const ClusterShape& shape, const CheckpointCosts& costs,
                      double interval_s, std::uint64_t seed, bool record_events);

}  // namespace dcsim::reliability
