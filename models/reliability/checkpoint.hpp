#pragma once
// Checkpoint costs from the storage model, and the optimal interval (docs/reliability.md,
// "Checkpoints").
#include "models/reliability/reliability_spec.hpp"

namespace dcsim::reliability {

struct CheckpointCosts {
  double write_s = 0;     // size over the storage's write bandwidth (the node limits included)
  double blocking_s = 0;  // training stops: the whole write (sync) or the copy out of HBM (async)
  double drain_s = 0;     // asynchronous: the write that follows the copy, beside training
  double load_s = 0;      // read back after a restart
};
CheckpointCosts checkpoint_costs(const CheckpointSpec& c, const ClusterShape& shape);

// Daly's (2006) higher-order estimate of the optimal running time between checkpoints, for
// a checkpoint that costs `delta` seconds and a mean time between interruptions `mtbf`:
// sqrt(2 delta M) [1 + sqrt(delta / 2M) / 3 + delta / 18M] - delta, and M when delta >= 2M.
// Young's (1974) first-order sqrt(2 delta M) is its leading term.
double daly_interval(double delta, double mtbf);

// The expected wall time to finish `work` seconds of training (a whole number n of intervals
// tau, no checkpoint after the last) under one exponential failure process of mean `mtbf`,
// a fixed restart cost R (a failure during a restart starts it over) and a blocking
// checkpoint delta that a failure also interrupts: (n-1) e^{R/M} M (e^{(tau+delta)/M} - 1)
// + e^{R/M} M (e^{tau/M} - 1). The closed form the simulation is tested against.
double expected_wall_time(double work, double tau, double delta, double restart, double mtbf);

}  // namespace dcsim::reliability
