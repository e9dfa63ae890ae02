#pragma once
// Collective times as the analytical model gives them (analytical_seconds of the
// Algorithm::Auto plan: the fastest algorithm, each transfer alone), to the same nanosecond,
// for many sizes of the same groups: a plan's structure does not depend on its size, so the
// rate and path latency of every transfer of every candidate algorithm are found once per
// group and only the bytes change after. What screening thousands of training plans needs.
// Not thread-safe: one per thread, each with its own network.
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "models/network/collectives.hpp"
#include "models/network/network_sim.hpp"

namespace dcsim::network {

class CollectiveTimer {
 public:
  explicit CollectiveTimer(NetworkSim& net) : net_(net) {}
  // analytical_seconds(plan_collective(op, Algorithm::Auto, ranks, bytes, net), net).
  double seconds(CollectiveOp op, const std::vector<std::int64_t>& ranks, double bytes);
  NetworkSim& network() const { return net_; }

 private:
  struct Timed {
    Algorithm algorithm;
    std::vector<std::vector<NetworkSim::Isolated>> stages;  // each transfer of each stage
  };
  NetworkSim& net_;
  std::map<std::pair<int, std::vector<std::int64_t>>, std::vector<Timed>> timed_;
};

}  // namespace dcsim::network
