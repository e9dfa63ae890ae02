// Batches (network_sim.hpp): identical transfers on disjoint links run as one while they stay
// alone, and split when another transfer touches them. A batched run must give what the
// same run with every transfer on its own gives: each completion to the nanosecond, the
// bytes on every link, the bytes delivered.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "../test_support.hpp"
#include "models/hardware/cluster.hpp"
#include "models/network/collectives.hpp"

using namespace dcsim;
using namespace dcsim::network;

namespace {
struct Outcome {
  std::vector<std::pair<int, std::int64_t>> completions;  // (collective c, or 1000 + send k; ns)
  std::vector<double> link_bytes;
  double delivered = 0;
  std::uint64_t transfers = 0, splits = 0;
};

// Hierarchical all-reduces and all-gathers over random balanced rank sets (2-4 ranks per
// server), started at random times, and random sends that sometimes land on the links of a
// running batch (inside a server, or out through a GPU's NIC).
Outcome run_case(std::uint64_t seed, bool batching, SharingModel model) {
  std::mt19937_64 rng(seed);
  const auto& catalog = dcsim::testing::builtin_catalog();
  const int servers = 2 + int(rng() % 5);
  const hardware::Cluster cluster({catalog.server("p5.48xlarge"), catalog.accelerator("H100-SXM"), servers, 4, 0});
  FabricSpec spec;
  spec.kind = rng() % 2 ? FabricKind::FatTree : FabricKind::RailOptimized;
  spec.radix = 16;
  spec.oversubscription = 1.0 + double(rng() % 2);
  Fabric fabric(cluster, spec);
  Simulator sim;
  NetworkSim net(sim, fabric, model);
  net.set_batching(batching);
  Outcome out;
  std::vector<CollectivePlan> plans;
  plans.reserve(8);
  const int collectives = 1 + int(rng() % 4);
  for (int c = 0; c < collectives; ++c) {
    const int per_server = 2 + int(rng() % 3);
    const int used = 2 + int(rng() % (servers - 1));
    std::vector<std::int64_t> ranks;
    const int offset = int(rng() % (9 - per_server));
    for (int s = 0; s < used; ++s)
      for (int i = 0; i < per_server; ++i) ranks.push_back(s * 8 + offset + i);
    const auto op = rng() % 2 ? CollectiveOp::AllReduce : CollectiveOp::AllGather;
    plans.push_back(plan_collective(op, Algorithm::Hierarchical, ranks, 1e6 * double(1 + rng() % 64), net));
    const Time at = Time::ns(std::int64_t(rng() % 200'000));
    sim.schedule_at(at, [&net, &plans, &out, &sim, c] {
      run_collective(net, plans[c], [&out, &sim, c] { out.completions.emplace_back(c, sim.now().count_ns()); });
    });
  }
  struct Send {
    std::int64_t src, dst;
    double bytes;
  };
  std::vector<Send> sends(rng() % 12);
  const std::int64_t devices = std::int64_t(servers) * 8;
  for (int k = 0; k < int(sends.size()); ++k) {
    const std::int64_t src = std::int64_t(rng() % devices);
    std::int64_t dst = rng() % 2 ? (src / 8) * 8 + std::int64_t(rng() % 8) : std::int64_t(rng() % devices);
    if (dst == src) dst = (src + 1) % devices;
    const double bytes = 1e5 * double(1 + rng() % 100);
    const Time at = Time::ns(std::int64_t(rng() % 400'000));
    sends[k] = {src, dst, bytes};
    sim.schedule_at(at, [&net, &out, &sim, &sends, k] {
      net.start({{sends[k].src, sends[k].dst}}, sends[k].bytes, 1,
                [&out, &sim, k] { out.completions.emplace_back(1000 + k, sim.now().count_ns()); });
    });
  }
  sim.run();
  net.finish();
  std::sort(out.completions.begin(), out.completions.end());
  for (LinkId l = 0; l < LinkId(fabric.topology().link_count()); ++l) out.link_bytes.push_back(net.link_bytes(l));
  out.delivered = net.bytes_delivered();
  out.transfers = net.transfers_started();
  out.splits = net.batches_split();
  return out;
}
}  // namespace

TEST(Batches, BatchedRunsGiveWhatTransferByTransferRunsGive) {
  std::uint64_t batched_transfers = 0, unbatched_transfers = 0, splits = 0;
  for (auto model : {SharingModel::Flow, SharingModel::Analytical})
    for (std::uint64_t seed = 1; seed <= 300; ++seed) {
      SCOPED_TRACE(::testing::Message() << "seed " << seed << (model == SharingModel::Flow ? " flow" : " analytical"));
      const Outcome one = run_case(seed, false, model);
      const Outcome batched = run_case(seed, true, model);
      ASSERT_EQ(batched.completions.size(), one.completions.size());
      for (std::size_t i = 0; i < one.completions.size(); ++i) {
        EXPECT_EQ(batched.completions[i].first, one.completions[i].first);
        EXPECT_NEAR(double(batched.completions[i].second), double(one.completions[i].second), 1.0)
            << "completion of " << one.completions[i].first;
      }
      for (std::size_t l = 0; l < one.link_bytes.size(); ++l)
        EXPECT_NEAR(batched.link_bytes[l], one.link_bytes[l], 1e-9 * std::max(1.0, one.link_bytes[l])) << "link " << l;
      EXPECT_NEAR(batched.delivered, one.delivered, 1e-9 * one.delivered);
      batched_transfers += batched.transfers;
      unbatched_transfers += one.transfers;
      splits += batched.splits;
      if (::testing::Test::HasFailure()) return;
    }
  // The cases exercise both paths: batches that ran whole and batches that were split.
  EXPECT_LT(batched_transfers, unbatched_transfers);
  EXPECT_GT(splits, 0u);
  std::printf("transfers started: %llu batched, %llu one by one; %llu batches split\n",
              (unsigned long long)batched_transfers, (unsigned long long)unbatched_transfers,
              (unsigned long long)splits);
}
