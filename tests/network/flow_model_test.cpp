// Max-min fair sharing: hand-worked cases and invariants on random ones.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <tuple>

#include "models/network/network_sim.hpp"
#include "../test_support.hpp"
#include "network_test_util.hpp"

using namespace dcsim;
using namespace dcsim::network;

namespace {
constexpr double B = 10e9;
constexpr double L = 0.5e-6;
Time at(double bytes, double rate, int hops = 2) {
  return Time::from_seconds(bytes / rate) + Time::from_seconds(hops * L);
}
// A send between two different devices of 64, drawn uniformly.
Segment random_pair(std::mt19937_64& rng) {
  const std::int64_t src = rng() % 64;
  std::int64_t dst = rng() % 63;
  if (dst >= src) ++dst;
  return {src, dst};
}
// Hosts a0, a1 (devices 0, 1) under leaf la and b0, b1 (devices 2, 3) under leaf lb, the
// leaves joined by one cable; every link has latency L.
FabricSpec two_leaves(double host_bw, double cable_bw) {
  FabricSpec s;
  s.kind = FabricKind::Explicit;
  for (const char* n : {"a0", "a1", "b0", "b1"}) s.nodes.push_back({n, NodeKind::Device});
  s.nodes.push_back({"la", NodeKind::Switch});
  s.nodes.push_back({"lb", NodeKind::Switch});
  for (const char* n : {"a0", "a1"}) s.links.push_back({n, "la", host_bw, L, true});
  for (const char* n : {"b0", "b1"}) s.links.push_back({n, "lb", host_bw, L, true});
  s.links.push_back({"la", "lb", cable_bw, L, true});
  return s;
}
}  // namespace

TEST(FlowModel, IncastSharesTheReceiverLinkEqually) {
  Fabric f(dcsim::testing::star(4, B, L));
  Simulator sim;
  NetworkSim net(sim, f, SharingModel::Flow);
  std::vector<Time> done(3);
  for (int i = 0; i < 3; ++i) net.start({{i + 1, 0}}, 1e9, 1, [&, i] { done[i] = sim.now(); });
  sim.run_until(Time::zero());  // the rates are set by one update at the start instant
  EXPECT_EQ(net.check_max_min(), "");
  sim.run();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(done[i], at(1e9, B / 3));  // 3 GB through one 10 GB/s link
}

TEST(FlowModel, AFinishingFlowHandsItsShareToTheOthers) {
  Fabric f(dcsim::testing::star(3, B, L));
  Simulator sim;
  NetworkSim net(sim, f, SharingModel::Flow);
  Time small, large;
  net.start({{1, 0}}, 1e9, 1, [&] { small = sim.now(); });
  net.start({{2, 0}}, 2e9, 1, [&] { large = sim.now(); });
  sim.run();
  // Both at B/2 until the small one drains at 2e9/B = 0.2 s; the large one then has 1 GB
  // left at the full B: 0.1 s more.
  EXPECT_EQ(small, at(1e9, B / 2));
  EXPECT_EQ(large, Time::from_seconds(2e9 / B / 2 * 2) + Time::from_seconds(1e9 / B) + Time::from_seconds(2 * L));
  EXPECT_DOUBLE_EQ(net.link_bytes(f.topology().link_between(f.topology().device_node(1), 0)), 1e9);
}

TEST(FlowModel, OversubscribedUplinkIsTheBottleneck) {
  // Two leaves of two hosts each, joined by one 10 GB/s cable (2:1 oversubscribed); hosts 20 GB/s.
  Fabric f(two_leaves(2 * B, B));
  Simulator sim;
  NetworkSim net(sim, f, SharingModel::Flow);
  Time cross0, cross1, local;
  net.start({{0, 2}}, 1e9, 1, [&] { cross0 = sim.now(); });
  net.start({{1, 3}}, 1e9, 1, [&] { cross1 = sim.now(); });
  net.start({{0, 1}}, 1e9, 1, [&] { local = sim.now(); });
  sim.run_until(Time::zero());
  EXPECT_EQ(net.check_max_min(), "");
  sim.run();
  // The two cross flows split the 10 GB/s uplink: 5 GB/s each. The local flow shares a0's
  // 20 GB/s uplink with a cross flow held to 5 GB/s, so it gets the other 15 GB/s.
  EXPECT_EQ(cross0, at(1e9, B / 2, 3));
  EXPECT_EQ(cross1, at(1e9, B / 2, 3));
  EXPECT_EQ(local, at(1e9, 1.5 * B, 2));
}

// Changes that provably move no rate skip the solve (docs/network.md, "Changes that move no
// rate"): arrivals at their caps on links left within capacity with no group bottlenecked
// there, departures from links where no group is bottlenecked, and a class that lost its
// bottleneck and has nothing else binding it (it settles alone at its cap). The rates and
// times stay the hand-worked max-min ones.
TEST(FlowModel, ChangesThatMoveNoRateAreSettledWithoutASolve) {
  // Two leaves of two 10 GB/s hosts each, joined by one 20 GB/s cable (no oversubscription).
  Fabric f(two_leaves(B, 2 * B));
  Simulator sim;
  NetworkSim net(sim, f, SharingModel::Flow);
  Time x_done, y_done, z_done;
  // x and y cross the cable at their caps: it is exactly full, and it can never bind (their
  // caps add up to its capacity), so it stays out of their keys.
  net.start({{0, 2}}, 1e9, 1, [&] { x_done = sim.now(); });
  net.start({{1, 3}}, 1e9, 1, [&] { y_done = sim.now(); });
  sim.run_until(Time::zero());
  EXPECT_EQ(net.rate_recomputations(), 0u);
  EXPECT_EQ(net.solves_skipped(), 1u);  // the two arrivals of one instant, settled together
  EXPECT_EQ(net.check_max_min(), "");
  EXPECT_EQ(net.rates(), (std::vector<std::pair<std::uint64_t, double>>{{0, B}, {1, B}}));
  // z shares a0's uplink with x, which can now bind: it is x's only key link and z's, so z
  // joins x's class, which settles alone at the uplink's half: B/2 each, without a solve.
  sim.schedule_at(Time::ms(20), [&] { net.start({{0, 1}}, 1e9, 1, [&] { z_done = sim.now(); }); });
  sim.run_until(Time::ms(20));
  EXPECT_EQ(net.rate_recomputations(), 0u);
  EXPECT_EQ(net.solves_skipped(), 2u);
  EXPECT_EQ(net.rates(), (std::vector<std::pair<std::uint64_t, double>>{{0, B / 2}, {1, B}, {2, B / 2}}));
  // y leaves links none of which can bind: nothing to settle.
  sim.run_until(Time::ms(101));
  EXPECT_EQ(y_done, at(1e9, B, 3));
  EXPECT_EQ(net.rate_recomputations(), 0u);
  EXPECT_EQ(net.solves_skipped(), 2u);
  EXPECT_EQ(net.check_max_min(), "");
  // x leaves a0's uplink, where z is held. The uplink is z's alone now, and z has nothing
  // else binding it: it settles alone at its cap B, without a solve.
  sim.run();
  EXPECT_EQ(net.rate_recomputations(), 0u);
  EXPECT_EQ(net.solves_skipped(), 3u);
  // x: 0.2 GB by 20 ms, then 0.8 GB at 5 GB/s: 180 ms. z: 0.8 GB at 5 GB/s, the last 0.2 GB at B.
  EXPECT_EQ(x_done, Time::ms(180) + Time::from_seconds(3 * L));
  EXPECT_EQ(z_done, Time::ms(200) + Time::from_seconds(2 * L));
}

// A link whose transfers' caps add up to no more than it carries cannot bind, however many
// share it (docs/network.md, "Solver", link modes): four transfers, each capped at B by
// its own host link, share a 4B cable, which stays out of their keys; a fifth makes the
// cable able to bind, and it holds all five to 4B/5.
TEST(FlowModel, ALinkTheCapsOfItsTransfersCannotFillStaysOutOfTheSolve) {
  FabricSpec s;
  s.kind = FabricKind::Explicit;
  s.nodes.push_back({"la", NodeKind::Switch});
  s.nodes.push_back({"lb", NodeKind::Switch});
  for (int i = 0; i < 5; ++i) {
    for (const char* side : {"a", "b"}) {
      const std::string n = side + std::to_string(i);
      s.nodes.push_back({n, NodeKind::Device});
      s.links.push_back({n, side[0] == 'a' ? "la" : "lb", B, L, true});
    }
  }
  s.links.push_back({"la", "lb", 4 * B, L, true});
  Fabric f(s);
  Simulator sim;
  NetworkSim net(sim, f, SharingModel::Flow);
  std::vector<Time> done(5);
  for (int i = 0; i < 4; ++i) net.start({{2 * i, 2 * i + 1}}, 1e9, 1, [&, i] { done[i] = sim.now(); });
  sim.run_until(Time::zero());
  EXPECT_EQ(net.rate_recomputations(), 0u);
  for (const auto& [serial, rate] : net.rates()) EXPECT_EQ(rate, B) << serial;
  EXPECT_EQ(net.solves_skipped(), 1u);
  // The fifth at 50 ms: five caps of B over 4B. The cable can bind and joins the keys of
  // all five, which makes them one class; it settles alone at the cable's fifth, 4B/5.
  sim.schedule_at(Time::ms(50), [&] { net.start({{8, 9}}, 1e9, 1, [&] { done[4] = sim.now(); }); });
  sim.run_until(Time::ms(50));
  EXPECT_EQ(net.rate_recomputations(), 0u);
  EXPECT_EQ(net.solves_skipped(), 2u);
  EXPECT_EQ(net.check_max_min(), "");
  for (const auto& [serial, rate] : net.rates()) EXPECT_DOUBLE_EQ(rate, 0.8 * B) << serial;
  sim.run();
  // The first four: 0.5 GB by 50 ms, then 0.5 GB at 8 GB/s (62.5 ms): 112.5 ms. The fifth:
  // 0.5 GB at 8 GB/s while they run, then the rest at B: 0.5 GB in 50 ms.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(done[i], Time::us(112500) + Time::from_seconds(3 * L)) << i;
  EXPECT_EQ(done[4], Time::us(162500) + Time::from_seconds(3 * L));
}

// The lone lane (network_sim.hpp): a transfer whose links are all private runs at its cap in
// no class; when another makes one of its links able to bind, it joins the classes with the
// bytes it has left, and the two share the link.
TEST(FlowModel, ATransferOnPrivateLinksRunsAloneUntilOneOfItsLinksMayBind) {
  Fabric f(dcsim::testing::star(3, B, L));
  Simulator sim;
  NetworkSim net(sim, f, SharingModel::Flow);
  const LinkId up1 = f.topology().link_between(f.topology().device_node(1), 0);  // to the switch
  Time first, second;
  net.start({{1, 0}}, 1e9, 1, [&] { first = sim.now(); });
  sim.run_until(Time::ms(20));
  EXPECT_EQ(net.rate_classes(), 0u);
  EXPECT_EQ(net.rates(), (std::vector<std::pair<std::uint64_t, double>>{{0, B}}));
  EXPECT_DOUBLE_EQ(net.link_load(up1), B);
  // Device 0's downlink now carries two caps of B: it may bind.
  net.start({{2, 0}}, 1e9, 1, [&] { second = sim.now(); });
  sim.run_until(Time::ms(20));
  EXPECT_EQ(net.rate_classes(), 1u);
  EXPECT_EQ(net.rates(), (std::vector<std::pair<std::uint64_t, double>>{{0, B / 2}, {1, B / 2}}));
  EXPECT_EQ(net.check_max_min(), "");
  sim.run();
  // The first: 0.2 GB alone by 20 ms, 0.8 GB at B/2 (160 ms). The second: 0.8 GB at B/2, the
  // last 0.2 GB at B (20 ms).
  EXPECT_EQ(first, Time::ms(180) + Time::from_seconds(2 * L));
  EXPECT_EQ(second, Time::ms(200) + Time::from_seconds(2 * L));
  EXPECT_EQ(net.rate_classes(), 0u);
  EXPECT_DOUBLE_EQ(net.link_bytes(f.topology().link_between(f.topology().device_node(2), 0)), 1e9);
}

// Bytes a lone transfer has sent are booked on its links when the statistics close mid-run.
TEST(FlowModel, ALoneTransferBooksWhatItHasSentWhenTheStatisticsClose) {
  Fabric f(dcsim::testing::star(2, B, L));
  Simulator sim;
  NetworkSim net(sim, f, SharingModel::Flow);
  net.start({{1, 0}}, 1e9, 1, [] {});
  sim.run_until(Time::ms(30));
  net.finish();
  EXPECT_DOUBLE_EQ(net.link_bytes(f.topology().link_between(f.topology().device_node(1), 0)), 0.3e9);
}

// A class settled alone (docs/network.md, "Changes that move no rate"): an arrival takes what
// its links have spare when that leaves it the fastest on the link it fills; when the other
// transfer there leaves, the link is its alone and it speeds up to its cap. No solve runs.
TEST(FlowModel, AnArrivalTakesTheSpareOfTheLinkItFillsWithoutASolve) {
  // a0 under la; b0 (at a quarter of B) and b1 under lb; la-lb at 2B.
  FabricSpec s;
  s.kind = FabricKind::Explicit;
  for (const char* n : {"a0", "b0", "b1"}) s.nodes.push_back({n, NodeKind::Device});
  s.nodes.push_back({"la", NodeKind::Switch});
  s.nodes.push_back({"lb", NodeKind::Switch});
  s.links.push_back({"a0", "la", B, L, true});
  s.links.push_back({"b0", "lb", B / 4, L, true});
  s.links.push_back({"b1", "lb", B, L, true});
  s.links.push_back({"la", "lb", 2 * B, L, true});
  Fabric f(s);
  Simulator sim;
  NetworkSim net(sim, f, SharingModel::Flow);
  Time x_done, y_done;
  net.start({{0, 1}}, 1e9, 1, [&] { x_done = sim.now(); });  // held to B/4 by b0's link
  sim.schedule_at(Time::ms(10), [&] { net.start({{0, 2}}, 4e9, 1, [&] { y_done = sim.now(); }); });
  sim.run_until(Time::ms(10));
  // y at its cap B would overfill a0's uplink; it takes the spare 3B/4, and is the fastest
  // there (x runs at B/4): max-min with x's rate unmoved.
  EXPECT_EQ(net.rates(), (std::vector<std::pair<std::uint64_t, double>>{{0, B / 4}, {1, 0.75 * B}}));
  EXPECT_EQ(net.check_max_min(), "");
  EXPECT_EQ(net.rate_recomputations(), 0u);
  EXPECT_EQ(net.solves_skipped(), 2u);
  // x ends at 0.4 s; y has sent 0.39 s x 7.5 GB/s = 2.925 GB, and sends the last 1.075 GB at B.
  sim.run();
  EXPECT_EQ(x_done, Time::ms(400) + Time::from_seconds(3 * L));
  EXPECT_EQ(y_done, Time::us(507500) + Time::from_seconds(3 * L));
  EXPECT_EQ(net.rate_recomputations(), 0u);
}

TEST(FlowModel, AnalyticalAndFlowAgreeWhenNoLinkIsShared) {
  for (SharingModel m : {SharingModel::Flow, SharingModel::Analytical}) {
    Fabric f(dcsim::testing::star(8, B, L));
    Simulator sim;
    NetworkSim net(sim, f, m);
    std::vector<Time> done(4);
    for (int i = 0; i < 4; ++i) net.start({{2 * i, 2 * i + 1}}, 1e8 * (i + 1), 1, [&, i] { done[i] = sim.now(); });
    sim.run();
    for (int i = 0; i < 4; ++i) EXPECT_EQ(done[i], at(1e8 * (i + 1), B));
  }
}

TEST(FlowModel, RandomCasesKeepMaxMinInvariantsAndConserveBytes) {
  const auto& catalog = dcsim::testing::builtin_catalog();
  const auto* server = catalog.server("p5.48xlarge");
  const hardware::Cluster cluster({server, catalog.accelerator("H100-SXM"), 8, 4, 0});
  for (int seed = 1; seed <= 5; ++seed) {
    FabricSpec spec;
    spec.kind = FabricKind::FatTree;
    spec.radix = 8;
    spec.oversubscription = 1.0 + seed % 3;  // 1:1, 2:1, 3:1
    Fabric f(cluster, spec);
    Simulator sim;
    NetworkSim net(sim, f, SharingModel::Flow);
    std::mt19937_64 rng(seed);
    std::map<LinkId, double> expected_bytes;
    int finished = 0;
    const int flows = 300;
    for (int i = 0; i < flows; ++i) {
      const auto [src, dst] = random_pair(rng);
      const double bytes = 1e6 * double(1 + rng() % 100);
      for (const auto& [l, share] : f.route(src, dst)) expected_bytes[l] += bytes * share;
      sim.schedule_at(Time::us(double(rng() % 2000)), [&net, &finished, src, dst, bytes] {
        net.start({{src, dst}}, bytes, 1, [&finished] { ++finished; });
      });
    }
    std::string violation;
    for (int k = 1; k < 400; ++k)
      sim.schedule_at(Time::us(k * 37.0), [&] {
        if (violation.empty()) violation = net.check_max_min();
      });
    sim.run();
    EXPECT_EQ(violation, "") << "seed " << seed;
    EXPECT_EQ(finished, flows);
    for (const auto& [l, bytes] : expected_bytes) EXPECT_NEAR(net.link_bytes(l), bytes, 1e-6 * bytes + 1);
    // The hottest k are the first k of every used link ranked by utilization, ties by link.
    std::vector<std::tuple<double, LinkId>> ranked;
    for (const auto& [l, bytes] : expected_bytes) ranked.emplace_back(-net.link_bytes(l) / f.topology().link(l).bandwidth, l);
    std::sort(ranked.begin(), ranked.end());
    const auto hot = net.hottest_links(7);
    ASSERT_EQ(hot.size(), 7u);
    for (std::size_t i = 0; i < hot.size(); ++i) EXPECT_EQ(hot[i].link, std::get<1>(ranked[i])) << "seed " << seed;
    EXPECT_EQ(net.hottest_links(expected_bytes.size() + 5).size(), expected_bytes.size());
  }
}

// Multi-segment transfers (rings over random devices, whose links are mostly their own)
// mixed with single sends: the solver's shortcut for private links must still give
// max-min fair rates, and every byte must land on its links.
TEST(FlowModel, RandomRingsAndSendsKeepMaxMinInvariantsAndConserveBytes) {
  const auto& catalog = dcsim::testing::builtin_catalog();
  const hardware::Cluster cluster({catalog.server("p5.48xlarge"), catalog.accelerator("H100-SXM"), 8, 4, 0});
  for (int seed = 1; seed <= 5; ++seed) {
    FabricSpec spec;
    spec.kind = seed % 2 ? FabricKind::FatTree : FabricKind::RailOptimized;
    spec.radix = seed % 2 ? 8 : 16;
    spec.oversubscription = 1.0 + seed % 3;
    Fabric f(cluster, spec);
    Simulator sim;
    NetworkSim net(sim, f, SharingModel::Flow);
    std::mt19937_64 rng(100 + seed);
    std::map<LinkId, double> expected_bytes;
    int finished = 0;
    const int transfers = 200;
    for (int i = 0; i < transfers; ++i) {
      std::vector<Segment> segments;
      const int members = (i % 3 == 0) ? 4 + int(rng() % 5) : 1;  // a third are rings of 4-8
      if (members == 1) {
        segments.push_back(random_pair(rng));
      } else {
        std::vector<std::int64_t> ring;
        while (int(ring.size()) < members) {
          const std::int64_t d = rng() % 64;
          if (std::find(ring.begin(), ring.end(), d) == ring.end()) ring.push_back(d);
        }
        for (int k = 0; k < members; ++k) segments.push_back({ring[k], ring[(k + 1) % members]});
      }
      const double bytes = 1e6 * double(1 + rng() % 50);
      for (const Segment& s : segments)
        for (const auto& [l, share] : f.route(s.src, s.dst)) expected_bytes[l] += bytes * share;
      sim.schedule_at(Time::us(double(rng() % 3000)), [&net, &finished, segments, bytes] {
        net.start(segments, bytes, 1, [&finished] { ++finished; });
      });
    }
    std::string violation;
    for (int k = 1; k < 600; ++k)
      sim.schedule_at(Time::us(k * 29.0), [&] {
        if (violation.empty()) violation = net.check_max_min();
      });
    sim.run();
    EXPECT_EQ(violation, "") << "seed " << seed;
    EXPECT_EQ(finished, transfers);
    for (const auto& [l, bytes] : expected_bytes) EXPECT_NEAR(net.link_bytes(l), bytes, 1e-6 * bytes + 1);
  }
}
