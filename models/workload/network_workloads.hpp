#pragma once
// Workloads for network studies: one collective over a group of ranks (optionally a sweep
// of sizes, run one after another), and explicit or patterned point-to-point flows.
#include <cstdint>
#include <string>
#include <vector>

#include "models/network/collectives.hpp"
#include "sim/random.hpp"
#include "sim/time.hpp"

namespace dcsim::power {
class PowerModel;
}

namespace dcsim::workload {

struct CollectiveConfig {
  network::CollectiveOp op = network::CollectiveOp::AllReduce;
  network::Algorithm algorithm = network::Algorithm::Auto;
  std::int64_t ranks = 0;  // the first `ranks` devices; 0: all
  std::vector<double> sizes;
  int iterations = 1;      // repetitions per size (times are averaged)
};

struct CollectiveRow {
  double bytes = 0;
  network::Algorithm algorithm = network::Algorithm::Ring;
  double seconds = 0;             // simulated, per iteration
  double analytical_seconds = 0;  // the same plan, each transfer alone on the network
  double algbw = 0;               // bytes / seconds (nccl-tests)
  double busbw = 0;               // algbw x bus factor (nccl-tests)
};

std::vector<CollectiveRow> run_collectives(Simulator& sim, network::NetworkSim& net, const CollectiveConfig& cfg,
                                           power::PowerModel* power);

struct FlowSpec {
  std::int64_t src = 0, dst = 0;
  double bytes = 0;
  Time start;
};

enum class FlowPattern { Permutation, Incast, AllToAll, Random };
struct PatternSpec {
  FlowPattern kind = FlowPattern::Permutation;
  std::int64_t ranks = 0;    // 0: all devices
  double bytes = 0;          // per flow
  std::int64_t count = 0;    // random: number of flows; incast: senders (0: all others)
  std::int64_t target = 0;   // incast destination
  std::int64_t stride = 1;   // incast senders: target + stride, target + 2 stride, ... (mod ranks)
  Time start;
};
// Deterministic for a given stream: the permutation and random pairs come from `rng`.
std::vector<FlowSpec> expand_pattern(const PatternSpec& p, std::int64_t devices, RandomStream rng);

struct FlowRecord {
  std::int64_t id = 0, src = 0, dst = 0;
  double bytes = 0;
  Time start, end;
};
std::vector<FlowRecord> run_flows(Simulator& sim, network::NetworkSim& net, const std::vector<FlowSpec>& flows,
                                  power::PowerModel* power);

}  // namespace dcsim::workload
