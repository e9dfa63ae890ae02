// Collectives against their closed forms, in both sharing models.
#include "models/network/collectives.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "network_test_util.hpp"

using namespace dcsim;
using namespace dcsim::network;

namespace {
constexpr double B = 50e9;    // bytes/s per link direction
constexpr double L = 1e-6;    // per link; a device-to-device path is two links: a = 2 us
constexpr double a = 2 * L;

// Simulated time of one collective on a star of n devices.
double simulate(int n, CollectiveOp op, Algorithm alg, double S, SharingModel model, Algorithm* used = nullptr) {
  Fabric fabric(dcsim::testing::star(n, B, L));
  Simulator sim;
  NetworkSim net(sim, fabric, model);
  std::vector<std::int64_t> ranks(n);
  std::iota(ranks.begin(), ranks.end(), 0);
  const CollectivePlan plan = plan_collective(op, alg, ranks, S, net);
  if (used) *used = plan.algorithm;
  bool done = false;
  run_collective(net, plan, [&] { done = true; });
  sim.run();
  EXPECT_TRUE(done);
  EXPECT_EQ(net.check_max_min(), "");
  return sim.now().seconds();
}
// One stage: `bytes` at `rate`, then `steps` path latencies, each rounded to a nanosecond
// as the simulator does.
double stage(double bytes, double rate, int steps) {
  return (Time::from_seconds(bytes / rate) + Time::from_seconds(a * steps)).seconds();
}
}  // namespace

TEST(Collectives, RingAllReduceMatchesTheClosedFormInBothModels) {
  for (int n : {2, 3, 8, 16}) {
    for (double S : {1e3, 1e6, 1e9}) {
      SCOPED_TRACE(::testing::Message() << "n=" << n << " S=" << S);
      // 2(n-1)/n S/B + 2(n-1) a
      const double expected = stage(2.0 * (n - 1) / n * S, B, 2 * (n - 1));
      EXPECT_NEAR(expected, 2.0 * (n - 1) / n * S / B + 2 * (n - 1) * a, 2e-9);
      EXPECT_DOUBLE_EQ(simulate(n, CollectiveOp::AllReduce, Algorithm::Ring, S, SharingModel::Flow), expected);
      EXPECT_DOUBLE_EQ(simulate(n, CollectiveOp::AllReduce, Algorithm::Ring, S, SharingModel::Analytical), expected);
    }
  }
}

TEST(Collectives, OtherAlgorithmsMatchTheirClosedForms) {
  const int n = 8;
  const double S = 64e6;
  for (SharingModel m : {SharingModel::Flow, SharingModel::Analytical}) {
    // Reduce-scatter and all-gather rings: (n-1)/n S/B + (n-1) a.
    EXPECT_DOUBLE_EQ(simulate(n, CollectiveOp::ReduceScatter, Algorithm::Ring, S, m), stage((n - 1.0) / n * S, B, n - 1));
    EXPECT_DOUBLE_EQ(simulate(n, CollectiveOp::AllGather, Algorithm::Ring, S, m), stage((n - 1.0) / n * S, B, n - 1));
    // Both directions: half the bytes on each ring, but on a star a device's one uplink
    // carries its sends of both rings, so each ring runs at B/2: no faster than one ring.
    // (On a torus the two directions use different cables and the time halves.)
    EXPECT_DOUBLE_EQ(simulate(n, CollectiveOp::AllReduce, Algorithm::RingBidirectional, S, m),
                     stage((n - 1.0) / n * S, B / 2, 2 * (n - 1)));
    // Double binary tree: reduce then broadcast, S/2 per tree; a node's link carries two
    // segments, so each runs at B/2: 2 (S/B + depth a), depth = floor(log2 8) = 3.
    EXPECT_DOUBLE_EQ(simulate(n, CollectiveOp::AllReduce, Algorithm::DoubleBinaryTree, S, m),
                     2 * stage(S / 2, B / 2, 3));
    // Halving-doubling: log2 n stages of S/2, S/4, S/8, then the same back: 2(n-1)/n S/B + 2 log2(n) a.
    const double hd = 2 * (stage(S / 2, B, 1) + stage(S / 4, B, 1) + stage(S / 8, B, 1));
    EXPECT_DOUBLE_EQ(simulate(n, CollectiveOp::AllReduce, Algorithm::HalvingDoubling, S, m), hd);
    EXPECT_NEAR(hd, 2.0 * (n - 1) / n * S / B + 2 * 3 * a, 1e-8);
    // All-to-all pairwise: (n-1) stages of S/n.  Direct: all at once, n-1 segments per link.
    EXPECT_DOUBLE_EQ(simulate(n, CollectiveOp::AllToAll, Algorithm::Pairwise, S, m), (n - 1) * stage(S / n, B, 1));
    EXPECT_DOUBLE_EQ(simulate(n, CollectiveOp::AllToAll, Algorithm::Direct, S, m), stage(S / n, B / (n - 1), 1));
    // Broadcast: pipelined chain S/B + (n-1) a; binomial tree log2 n stages of S/B + a.
    EXPECT_DOUBLE_EQ(simulate(n, CollectiveOp::Broadcast, Algorithm::Ring, S, m), stage(S, B, n - 1));
    EXPECT_DOUBLE_EQ(simulate(n, CollectiveOp::Broadcast, Algorithm::Tree, S, m), 3 * stage(S, B, 1));
    EXPECT_DOUBLE_EQ(simulate(n, CollectiveOp::Reduce, Algorithm::Tree, S, m), 3 * stage(S, B, 1));
    EXPECT_DOUBLE_EQ(simulate(2, CollectiveOp::SendRecv, Algorithm::Direct, S, m), stage(S, B, 1));
  }
}

TEST(Collectives, AutoPicksTreeForSmallAndRingForLargeMessages) {
  Algorithm used{};
  simulate(64, CollectiveOp::AllReduce, Algorithm::Auto, 1e3, SharingModel::Flow, &used);
  EXPECT_NE(used, Algorithm::Ring);  // latency-bound: log-depth algorithms win
  simulate(64, CollectiveOp::AllReduce, Algorithm::Auto, 1e10, SharingModel::Flow, &used);
  EXPECT_TRUE(used == Algorithm::Ring || used == Algorithm::HalvingDoubling);  // bandwidth-optimal
  EXPECT_THROW(simulate(6, CollectiveOp::AllReduce, Algorithm::HalvingDoubling, 1e6, SharingModel::Flow),
               std::invalid_argument);
}

TEST(Collectives, BusBandwidthFactorsFollowNcclTests) {
  EXPECT_DOUBLE_EQ(bus_bandwidth_factor(CollectiveOp::AllReduce, 8), 2 * 7.0 / 8);
  EXPECT_DOUBLE_EQ(bus_bandwidth_factor(CollectiveOp::AllGather, 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(bus_bandwidth_factor(CollectiveOp::Broadcast, 8), 1.0);
}
