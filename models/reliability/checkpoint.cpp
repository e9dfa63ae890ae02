#include "models/reliability/checkpoint.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dcsim::reliability {

namespace {
double effective_bandwidth(double aggregate, double per_node, std::int64_t nodes) {
  if (per_node > 0) return std::min(aggregate, per_node * double(nodes));
  return aggregate;
}
}  // namespace

CheckpointCosts checkpoint_costs(const CheckpointSpec& c, const ClusterShape& shape) {
  CheckpointCosts out;
  const double write_bw = effective_bandwidth(c.write_bandwidth, c.per_node_bandwidth, shape.nodes);
  const double read_bw = effective_bandwidth(c.read_bandwidth > 0 ? c.read_bandwidth : c.write_bandwidth,
                                             c.per_node_bandwidth, shape.nodes);
  out.write_s = write_bw > 0 ? c.size_bytes / write_bw : 0.0;
  out.load_s = read_bw > 0 ? c.size_bytes / read_bw : 0.0;
  if (c.async) {
    // Every GPU copies its shard to host memory at once; the write drains from there.
    const double shard = shape.gpus > 0 ? c.size_bytes / double(shape.gpus) : c.size_bytes;
    out.blocking_s = c.copy_bandwidth > 0 ? shard / c.copy_bandwidth : 0.0;
    out.drain_s = out.write_s;
  } else {
    out.blocking_s = out.write_s;
  }
  return out;
}

double daly_interval(double delta, double mtbf) {
  if (!(mtbf > 0) || std::isinf(mtbf)) return std::numeric_limits<double>::infinity();
  if (delta >= 2 * mtbf) return mtbf;
  const double x = delta / (2 * mtbf);
  return std::sqrt(2 * delta * mtbf) * (1 + std::sqrt(x) / 3 + x / 9) - delta;
}

double expected_wall_time(double work, double tau, double delta, double restart, double mtbf) {
  const double n = std::round(work / tau);
  const double per = std::exp(restart / mtbf) * mtbf;
  return (n - 1) * per * std::expm1((tau + delta) / mtbf) + per * std::expm1(tau / mtbf);
}

}  // namespace dcsim::reliability
