// The flow model against an independent reference (reference_max_min.hpp) on thousands of
// random cases: random two-tier trees and Clos fabrics, single sends and rings, random
// starts (some at the same instant). At every instant where something starts or finishes
// the rates must agree within 1e-9 relative, and every transfer must arrive within 1 ns of
// the reference. The reference solves every link of every route; the flow model the bundles
// that stand for sprayed links (Fabric::bundles), and not the links another one implies
// (Fabric::stand_in: a NIC's PCIe link behind its port, a tree's pass-through switch).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>

#include "models/network/network_sim.hpp"
#include "../test_support.hpp"
#include "reference_max_min.hpp"

using namespace dcsim;
using namespace dcsim::network;

namespace {

// Leaves of hosts under spines; every capacity drawn per case, links per cable drawn too.
FabricSpec random_tree(std::mt19937_64& rng, int& hosts) {
  FabricSpec s;
  s.kind = FabricKind::Explicit;
  s.routing = rng() % 3 == 0 ? Routing::Spray : Routing::Ecmp;
  const int leaves = 2 + int(rng() % 5), per_leaf = 2 + int(rng() % 5), spines = 1 + int(rng() % 3);
  const double host_bw = 10e9 * double(1 + rng() % 5);
  for (int sp = 0; sp < spines; ++sp) s.nodes.push_back({"s" + std::to_string(sp), NodeKind::Switch});
  hosts = 0;
  for (int l = 0; l < leaves; ++l) {
    const std::string leaf = "l" + std::to_string(l);
    s.nodes.push_back({leaf, NodeKind::Switch});
    for (int sp = 0; sp < spines; ++sp)
      s.links.push_back({leaf, "s" + std::to_string(sp), host_bw * double(1 + rng() % 4) / 2, 0.5e-6, true});
    for (int h = 0; h < per_leaf; ++h) {
      const std::string host = "h" + std::to_string(hosts++);
      s.nodes.push_back({host, NodeKind::Device});
      s.links.push_back({host, leaf, host_bw, 0.5e-6, true});
    }
  }
  return s;
}

struct Case {
  std::vector<std::vector<Segment>> segments;
  std::vector<int> steps;
  std::vector<dcsim::testing::RefTransfer> ref;
};

// `every_link`: the same fabric with sprayed routes listing every link (no bundles), whose
// loads the reference solves, so that bundling is checked against the links it stands for.
Case random_transfers(std::mt19937_64& rng, NetworkSim& net, NetworkSim* every_link, std::int64_t devices, int count) {
  Case c;
  const std::int64_t window_us = 50 + std::int64_t(rng() % 2000);
  Time last = Time::zero();
  for (int i = 0; i < count; ++i) {
    std::vector<Segment> segs;
    const int members = rng() % 4 == 0 ? 3 + int(rng() % 4) : 1;
    std::vector<std::int64_t> ring;
    while (int(ring.size()) < std::max(members, 2) && int(ring.size()) < devices) {
      const std::int64_t d = std::int64_t(rng() % std::uint64_t(devices));
      if (std::find(ring.begin(), ring.end(), d) == ring.end()) ring.push_back(d);
    }
    if (members == 1)
      segs.push_back({ring[0], ring[1]});
    else
      for (std::size_t k = 0; k < ring.size(); ++k) segs.push_back({ring[k], ring[(k + 1) % ring.size()]});
    const auto prep = net.prepare(segs);
    dcsim::testing::RefTransfer t;
    const auto solved = every_link ? every_link->prepare(segs) : prep;
    for (const auto& e : solved->load) t.load.emplace_back(e.first, e.second);
    t.bytes = 1e5 * double(1 + rng() % 1000);
    // A fifth start with the previous one, to exercise changes batched at one instant.
    t.start = (i > 0 && rng() % 5 == 0) ? last : Time::us(double(rng() % std::uint64_t(window_us)));
    last = t.start;
    const int steps = 1 + int(rng() % 3);
    t.latency = Time::from_seconds(prep->latency_s * steps);
    c.segments.push_back(std::move(segs));
    c.steps.push_back(steps);
    c.ref.push_back(std::move(t));
  }
  return c;
}

struct Outcome {
  int compared = 0, snapshots = 0, shifted = 0;
  std::uint64_t solves = 0, skipped = 0;  // changes solved, and settled without a solve
  double worst_rate_error = 0;
  std::int64_t worst_time_error_ns = 0;
};

Outcome run_case(Fabric& fabric, std::mt19937_64& rng, int count, Fabric* every_link = nullptr) {
  Simulator sim;
  NetworkSim net(sim, fabric, SharingModel::Flow);
  Simulator unused;
  std::unique_ptr<NetworkSim> unbundled;
  if (every_link) unbundled = std::make_unique<NetworkSim>(unused, *every_link, SharingModel::Flow);
  Case c = random_transfers(rng, net, unbundled.get(), fabric.devices(), count);
  std::vector<double> capacity;
  for (const Link& l : fabric.topology().links()) capacity.push_back(l.bandwidth);
  const dcsim::testing::RefResult ref = dcsim::testing::reference_run(c.ref, capacity);

  std::vector<std::size_t> by_serial;
  std::vector<Time> arrival(c.ref.size(), Time::max());
  std::vector<std::size_t> order(c.ref.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return c.ref[a].start < c.ref[b].start; });
  struct Starter {
    Case* c;
    NetworkSim* net;
    Simulator* sim;
    std::vector<std::size_t>* by_serial;
    std::vector<Time>* arrival;
    void operator()(std::size_t i) const {
      by_serial->push_back(i);
      net->start(c->segments[i], c->ref[i].bytes, c->steps[i], [this, i] { (*arrival)[i] = sim->now(); });
    }
  } starter{&c, &net, &sim, &by_serial, &arrival};
  for (std::size_t i : order) sim.schedule_at(c.ref[i].start, [&starter, i] { starter(i); });
  Outcome out;
  for (const dcsim::testing::RefSnapshot& snap : ref.snapshots) {
    sim.run_until(snap.at);
    ++out.snapshots;
    std::vector<std::pair<std::size_t, double>> mine;
    for (const auto& [serial, rate] : net.rates()) mine.emplace_back(by_serial[serial], rate);
    std::sort(mine.begin(), mine.end());
    if (mine.size() != snap.rates.size()) continue;
    bool same = true;
    for (std::size_t k = 0; k < mine.size() && same; ++k) same = mine[k].first == snap.rates[k].first;
    if (!same) continue;
    ++out.compared;
    for (std::size_t k = 0; k < mine.size(); ++k) {
      const double want = snap.rates[k].second;
      const double err = std::isinf(want) ? 0.0 : std::abs(mine[k].second - want) / want;
      out.worst_rate_error = std::max(out.worst_rate_error, err);
    }
  }
  sim.run();
  out.solves = net.rate_recomputations();
  out.skipped = net.solves_skipped();
  for (std::size_t i = 0; i < arrival.size(); ++i) {
    const std::int64_t err = std::abs((arrival[i] - ref.arrival[i]).count_ns());
    out.worst_time_error_ns = std::max(out.worst_time_error_ns, err);
    if (err > 0) ++out.shifted;
  }
  return out;
}

std::size_t implied_links(const Fabric& f) {
  std::size_t n = 0;
  for (LinkId l = 0; l < LinkId(f.topology().link_count()); ++l) n += f.stand_in(l) != l;
  return n;
}

void expect_agreement(const Outcome& o, const std::string& what) {
  EXPECT_LE(o.worst_rate_error, 1e-9) << what;
  EXPECT_LE(o.worst_time_error_ns, 1) << what;
  // A completion 1 ns apart from the reference's leaves the two with different transfers at
  // the instants just before it; every other instant is compared.
  EXPECT_GE(o.compared, o.snapshots - 2 * o.shifted) << what;
}

// A random two- or three-tier Clos of 2 to 7 H100 servers: fat tree or rail-optimized,
// radix 8 or 16, 1:1 to 3:1, one or two planes (routing left to the caller).
struct RandomClos {
  hardware::Cluster cluster;
  FabricSpec spec;
};
RandomClos random_clos(std::mt19937_64& rng) {
  const auto& catalog = dcsim::testing::builtin_catalog();
  const int servers = 2 + int(rng() % 6);
  RandomClos c{hardware::Cluster({catalog.server("p5.48xlarge"), catalog.accelerator("H100-SXM"), servers, 4, 0}), {}};
  c.spec.kind = rng() % 2 ? FabricKind::FatTree : FabricKind::RailOptimized;
  c.spec.radix = c.spec.kind == FabricKind::RailOptimized || rng() % 2 ? 16 : 8;
  c.spec.oversubscription = 1.0 + double(rng() % 3);
  c.spec.planes = 1 + int(rng() % 2);
  return c;
}

}  // namespace

TEST(FlowDifferential, RandomTreesMatchTheReferenceSolver) {
  std::mt19937_64 rng(2026);
  std::uint64_t solves = 0, skipped = 0;
  std::size_t implied = 0;
  for (int k = 0; k < 1500; ++k) {
    int hosts = 0;
    FabricSpec spec = random_tree(rng, hosts);
    Fabric f(spec);
    spec.leave_out_implied_links = false;  // the reference solves every link
    Fabric every_link(spec);
    implied += implied_links(f);
    const Outcome o = run_case(f, rng, 8 + int(rng() % 30), &every_link);
    expect_agreement(o, "tree case " + std::to_string(k));
    solves += o.solves;
    skipped += o.skipped;
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(implied, 1000u) << implied;  // pass-through switches: 1,142 links
  // Every way of settling a change is compared here, not only the solver (19,110 settled,
  // 40,453 solved).
  EXPECT_GT(skipped, 2 * solves / 5) << solves << " solved, " << skipped << " settled without a solve";
}

TEST(FlowDifferential, RandomClosFabricsMatchTheReferenceSolver) {
  std::mt19937_64 rng(7);
  std::uint64_t solves = 0, skipped = 0;
  std::size_t implied = 0;
  for (int k = 0; k < 500; ++k) {
    auto [cluster, spec] = random_clos(rng);
    spec.routing = rng() % 4 == 0 ? Routing::Spray : Routing::Ecmp;
    Fabric f(cluster, spec);
    spec.bundle_sprayed_links = false;  // the reference solves every link
    spec.leave_out_implied_links = false;
    Fabric every_link(cluster, spec);
    implied += implied_links(f);
    const Outcome o = run_case(f, rng, 8 + int(rng() % 30), &every_link);
    expect_agreement(o, "Clos case " + std::to_string(k));
    solves += o.solves;
    skipped += o.skipped;
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(skipped, solves) << solves << " solved, " << skipped << " settled without a solve";  // 9,496 and 6,656
  EXPECT_GT(implied, 10000u) << implied;  // PCIe links on one plane (18,994)
}

// Several queue pairs per connection: routes that split over hashed paths with shares of
// 1/q, on Clos fabrics and explicit trees where they collide (the reference solves the same
// routes).
TEST(FlowDifferential, RoutesOverSeveralQueuePairsMatchTheReferenceSolver) {
  std::mt19937_64 rng(11);
  std::uint64_t solves = 0, skipped = 0;
  for (int k = 0; k < 300; ++k) {
    auto [cluster, spec] = random_clos(rng);
    spec.qps_per_connection = 2 + int(rng() % 15);
    Fabric f(cluster, spec);
    spec.leave_out_implied_links = false;  // the reference solves every link
    Fabric every_link(cluster, spec);
    const Outcome o = run_case(f, rng, 8 + int(rng() % 30), &every_link);
    expect_agreement(o, "queue-pair case " + std::to_string(k));
    solves += o.solves;
    skipped += o.skipped;
    if (::testing::Test::HasFailure()) break;
  }
  // Explicit trees: each queue pair hashed hop by hop down the shortest-path graph.
  for (int k = 0; k < 300 && !::testing::Test::HasFailure(); ++k) {
    int hosts = 0;
    FabricSpec spec = random_tree(rng, hosts);
    spec.routing = Routing::Ecmp;
    spec.qps_per_connection = 2 + int(rng() % 15);
    Fabric f(spec);
    spec.leave_out_implied_links = false;
    Fabric every_link(spec);
    const Outcome o = run_case(f, rng, 8 + int(rng() % 30), &every_link);
    expect_agreement(o, "queue-pair tree case " + std::to_string(k));
    solves += o.solves;
    skipped += o.skipped;
  }
  EXPECT_GT(solves, 1000u) << solves;
  EXPECT_GT(skipped, 1000u) << skipped;
}
