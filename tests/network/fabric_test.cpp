// Fat-tree sizes, path counts and routing rules.
#include "models/network/fabric.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <tuple>

#include "../test_support.hpp"
#include "network_test_util.hpp"

using namespace dcsim;
using namespace dcsim::network;

namespace {
const hardware::Catalog& catalog() { return dcsim::testing::builtin_catalog(); }
hardware::Cluster cluster(const std::string& server, std::int64_t servers) {
  const auto* s = catalog().server(server);
  return hardware::Cluster({s, catalog().accelerator(s->accelerator), servers, 4, 0});
}
std::size_t count_class(const Topology& t, LinkClass c) {
  std::size_t n = 0;
  for (const Link& l : t.links()) n += l.cls == c;
  return n;
}
}  // namespace

TEST(Fabric, TwoTierRailOptimizedCounts) {
  const auto c = cluster("p5.48xlarge", 128);  // 1,024 GPUs, 1,024 NICs
  FabricSpec spec;  // rail-optimized, radix 64, 1:1
  Fabric f(c, spec);
  EXPECT_EQ(f.tiers(), 2);
  EXPECT_EQ(f.leaves(), 32u);   // 4 scalable units of 32 servers x 8 rails
  EXPECT_EQ(f.spines(), 32u);   // one per leaf up-port
  EXPECT_EQ(f.cores(), 0u);
  EXPECT_EQ(f.topology().switch_count(), 64u);
  EXPECT_EQ(count_class(f.topology(), LinkClass::Access), 2 * 1024u);
  EXPECT_EQ(count_class(f.topology(), LinkClass::LeafSpine), 2 * 32u * 32u);
  EXPECT_EQ(count_class(f.topology(), LinkClass::ScaleUp), 2 * 1024u);
  EXPECT_EQ(count_class(f.topology(), LinkClass::Pcie), 2 * 1024u);
  EXPECT_EQ(f.equal_cost_paths(0, 8), 1u);     // server 0 and 1 GPU 0: same rail leaf
  EXPECT_EQ(f.equal_cost_paths(0, 9), 32u);    // different rails: via any spine
  EXPECT_EQ(f.equal_cost_paths(0, 1), 1u);     // same server: NVSwitch
}

TEST(Fabric, ThreeTierCountsAndPaths) {
  const auto c = cluster("p5.48xlarge", 512);  // 4,096 GPUs
  Fabric f(c, FabricSpec{});
  EXPECT_EQ(f.tiers(), 3);
  EXPECT_EQ(f.leaves(), 128u);                 // 16 units x 8 rails
  EXPECT_EQ(f.spines(), 4u * 32u);             // 4 pods of 32 leaves, 32 spines each
  EXPECT_EQ(f.cores(), 32u * 32u);             // 32 groups of radix/2
  EXPECT_EQ(f.equal_cost_paths(0, 4095), 32u * 32u);
  EXPECT_EQ(count_class(f.topology(), LinkClass::SpineCore), 2u * 128u * 32u);
}

// Routes index their hops by position in the build (Fabric::Cable); every hop must still
// be the link between the node the route has reached and the next one: each route is a
// path from its source device to its destination, up the tiers and then down.
TEST(Fabric, EveryRouteIsAPathFromItsSourceToItsDestination) {
  std::vector<std::pair<hardware::Cluster, FabricSpec>> fabrics;
  fabrics.emplace_back(cluster("p5.48xlarge", 512), FabricSpec{});  // rail-optimized, 3 tiers
  FabricSpec fat;
  fat.kind = FabricKind::FatTree;
  fabrics.emplace_back(cluster("p5.48xlarge", 512), fat);  // 3 tiers
  fat.radix = 16;
  fat.oversubscription = 3;
  fat.planes = 2;
  fabrics.emplace_back(cluster("p5.48xlarge", 16), fat);  // oversubscribed, two planes
  fabrics.emplace_back(cluster("trn1.32xlarge", 16), FabricSpec{});  // NICs shared by chips
  std::mt19937_64 rng(3);
  for (auto& [c, spec] : fabrics) {
    Fabric f(c, spec);
    const Topology& t = f.topology();
    std::size_t checked = 0;
    for (int n = 0; n < 3000; ++n) {
      const auto a = std::int64_t(rng() % std::uint64_t(f.devices())), b = std::int64_t(rng() % std::uint64_t(f.devices()));
      if (f.same_domain(a, b)) continue;
      const RouteView r = f.route(a, b);
      ASSERT_FALSE(r.empty());
      NodeId at = t.device_node(a);
      int tier = -1;
      bool down = false;
      for (const auto& [l, share] : r) {
        ASSERT_EQ(t.link(l).from, at) << "route " << a << " -> " << b;
        at = t.link(l).to;
        const int next = t.node(at).kind == NodeKind::Switch ? t.node(at).tier : -1;
        if (next < tier) down = true;
        ASSERT_FALSE(down && next > tier) << "a route goes up after going down";
        tier = next;
      }
      EXPECT_EQ(at, t.device_node(b));
      ++checked;
    }
    EXPECT_GT(checked, 2000u);
  }
}

TEST(Fabric, OversubscriptionPlanesAndSizeErrors) {
  const auto c = cluster("p5.48xlarge", 16);  // 128 NICs
  FabricSpec spec;
  spec.kind = FabricKind::FatTree;
  spec.radix = 16;
  spec.oversubscription = 3;  // 12 down, 4 up
  Fabric f(c, spec);
  EXPECT_EQ(f.leaves(), 11u);  // ceil(128 / 12)
  EXPECT_EQ(f.spines(), 4u);
  spec.planes = 2;
  Fabric two(c, spec);
  EXPECT_EQ(two.leaves(), 22u);
  EXPECT_EQ(two.equal_cost_paths(0, 127), 8u);
  spec.planes = 1;
  spec.tiers = 2;
  spec.radix = 8;
  spec.oversubscription = 1;
  try {
    Fabric bad(c, spec);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("a 2-tier Clos of radix 8 holds at most 8 leaves"));
  }
}

TEST(Fabric, TrafficInsideAScaleUpDomainStaysInside) {
  for (const char* server : {"p5.48xlarge", "gb200-nvl72", "trn2.48xlarge", "trn2-ultraserver", "trn3-ultraserver"}) {
    SCOPED_TRACE(server);
    const auto* s = catalog().server(server);
    const auto c = cluster(server, s->scale_up.domain_servers * 2);
    Fabric f(c, FabricSpec{});
    const std::int64_t d = c.domain_size();
    for (std::int64_t a = 0; a < d; a += 3)
      for (std::int64_t b = 0; b < d; b += 5) {
        if (a == b) continue;
        for (const auto& [l, share] : f.route(a, b)) ASSERT_EQ(f.topology().link(l).cls, LinkClass::ScaleUp);
      }
    // Across domains, traffic leaves through NICs.
    bool uses_access = false;
    for (const auto& [l, share] : f.route(0, d)) uses_access |= f.topology().link(l).cls == LinkClass::Access;
    EXPECT_TRUE(uses_access);
  }
}

TEST(Fabric, TorusRoutesTakeTheShorterWayRound) {
  const auto c = cluster("trn2-ultraserver", 4);  // 64 chips: 4 servers of a 4x4 torus in a ring
  Fabric f(c, FabricSpec{});
  EXPECT_EQ(f.route(0, 1).size(), 1u);    // neighbours
  EXPECT_EQ(f.route(0, 3).size(), 1u);    // wrap-around neighbour
  EXPECT_EQ(f.route(0, 10).size(), 4u);   // (0,0) -> (2,2): two hops per dimension
  EXPECT_EQ(f.route(0, 16).size(), 1u);   // next server in the ring, same position
  EXPECT_EQ(f.route(0, 48).size(), 1u);   // previous server (ring wraps)
  EXPECT_EQ(f.route(0, 32 + 5).size(), 4u);  // two ring hops, then (0,0) -> (1,1)
  // Per-link bandwidth: 1,024 GB/s over four cables, both directions: 128 GB/s.
  EXPECT_DOUBLE_EQ(f.route_bandwidth(f.route(0, 1)), 128e9 * 0.8);  // NCCL reaches ~80 % of it
  EXPECT_DOUBLE_EQ(f.route_bandwidth(f.route(0, 16)), 64e9 * 0.8);
}

TEST(Fabric, RoutesAreDeterministicAndSprayingSplitsEvenly) {
  const auto c = cluster("p5.48xlarge", 128);
  Fabric a(c, FabricSpec{}), b(c, FabricSpec{});
  EXPECT_TRUE(std::ranges::equal(a.route(3, 1000), b.route(3, 1000)));
  FabricSpec spray;
  spray.routing = Routing::Spray;
  spray.bundle_sprayed_links = false;
  Fabric s(c, spray);
  const RouteView r = s.route(0, 9);
  double up_share = 0;
  std::size_t up_links = 0;
  for (const auto& [l, share] : r)
    if (s.topology().link(l).cls == LinkClass::LeafSpine && s.topology().node(s.topology().link(l).from).tier == 1) {
      up_share += share;
      ++up_links;
    }
  EXPECT_EQ(up_links, 32u);
  EXPECT_DOUBLE_EQ(up_share, 1.0);
  EXPECT_DOUBLE_EQ(s.route_bandwidth(r), 50e9);  // the NIC limits, not the spread spine links
  EXPECT_TRUE(s.bundles().empty());

  // Bundled (the default): the 32 up-links of the leaf are listed once, by the first, with
  // the share each carries; so are the 32 spine down-links into the other leaf.
  spray.bundle_sprayed_links = true;
  Fabric bundled(c, spray);
  const RouteView br = bundled.route(0, 9);
  std::size_t listed = 0, stood_for = 0;
  for (const auto& [l, share] : br)
    if (bundled.topology().link(l).cls == LinkClass::LeafSpine) {
      ++listed;
      stood_for += bundled.bundle_size(l);
      EXPECT_DOUBLE_EQ(share, 1.0 / 32);
      EXPECT_EQ(bundled.bundle_of(l), l);
    }
  EXPECT_EQ(listed, 2u);
  EXPECT_EQ(stood_for, 64u);
  EXPECT_DOUBLE_EQ(bundled.route_bandwidth(br), 50e9);
  EXPECT_DOUBLE_EQ(bundled.route_latency(br), s.route_latency(r));
  // Every leaf has an up and a down bundle of 32 links (one pod, two tiers).
  EXPECT_EQ(bundled.bundles().size(), 2 * bundled.leaves());
  for (const auto& bundle : bundled.bundles()) {
    EXPECT_EQ(bundle.size(), 32u);
    for (LinkId l : bundle) EXPECT_EQ(bundled.bundle_of(l), bundle.front());
  }
}

// Several queue pairs per connection (NCCL_IB_QPS_PER_CONNECTION, Meta's 16 flows per GPU
// pair): each is hashed onto its own path and carries an equal share; the first is the
// plain ECMP path.
TEST(Fabric, QueuePairsSpreadAConnectionOverHashedPaths) {
  const auto c = cluster("p5.48xlarge", 512);  // 4,096 GPUs on three tiers
  FabricSpec one;
  one.kind = FabricKind::FatTree;
  FabricSpec many = one;
  many.qps_per_connection = 16;
  Fabric f1(c, one), f16(c, many);
  const RouteView single = f1.route(0, 4095), spread = f16.route(0, 4095);  // across pods
  // A hop's tier: its class, the kind of node it leaves and the tiers it goes from and to.
  using Tier = std::tuple<LinkClass, NodeKind, int, int>;
  std::map<Tier, double> share_by_tier;
  std::map<Tier, std::size_t> links_by_tier;
  for (const auto& [l, share] : spread) {
    const Link& link = f16.topology().link(l);
    const Node& from = f16.topology().node(link.from);
    const Tier tier{link.cls, from.kind, from.tier, f16.topology().node(link.to).tier};
    share_by_tier[tier] += share;
    ++links_by_tier[tier];
    const double sixteenths = share * 16;
    EXPECT_DOUBLE_EQ(sixteenths, std::round(sixteenths)) << "a share is a whole number of queue pairs";
  }
  // Every tier carries the whole transfer once: PCIe and access links up and down, leaf to
  // spine, spine to core, core to spine, spine to leaf.
  EXPECT_EQ(share_by_tier.size(), 8u);
  for (const auto& [tier, sum] : share_by_tier) EXPECT_DOUBLE_EQ(sum, 1.0);
  for (const auto& [tier, n] : links_by_tier) {
    const LinkClass cls = std::get<0>(tier);
    if (cls == LinkClass::Pcie || cls == LinkClass::Access) {
      EXPECT_EQ(n, 1u);  // one NIC each end
    } else {
      EXPECT_GT(n, 4u) << "16 hashes over 32 spines (or cores) take several";
      EXPECT_LE(n, 16u);
    }
  }
  for (const auto& hop : single)  // the first queue pair takes the one-path route
    EXPECT_TRUE(std::ranges::any_of(spread, [&](const Hop& h) { return h.first == hop.first; }));
  EXPECT_DOUBLE_EQ(f16.route_bandwidth(spread), f1.route_bandwidth(single));  // the NIC
  EXPECT_NEAR(f16.route_latency(spread), f1.route_latency(single), 1e-15);     // equal-cost paths
  // Inside a server nothing is hashed: the same single NVLink hop.
  EXPECT_TRUE(std::ranges::equal(f16.route(0, 1), f1.route(0, 1)));
}

TEST(Fabric, ExplicitTopologyErrors) {
  auto spec = dcsim::testing::star(3, 1e9, 1e-6);
  spec.links.push_back({"d0", "nowhere", 1e9, 0, true});
  EXPECT_THROW(Fabric f(spec), std::invalid_argument);
  auto zero = dcsim::testing::star(3, 1e9, 1e-6);
  zero.links[0].bandwidth = 0;
  EXPECT_THROW(Fabric f(zero), std::invalid_argument);
  auto island = dcsim::testing::star(3, 1e9, 1e-6);
  island.nodes.push_back({"lonely", NodeKind::Device});
  try {
    Fabric f(island);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("device 3 (lonely) is not connected"));
  }
}

// A NIC between its GPU and its leaf passes everything from one on to the other: the 64 GB/s
// PCIe link carries exactly the transfers of the 50 GB/s port behind it, so it gives way to
// the port, in both directions. Links of the fabric stand for themselves.
TEST(Fabric, APcieLinkGivesWayToTheNicPortBehindIt) {
  const auto c = cluster("p5.48xlarge", 4);
  Fabric f(c, FabricSpec{});
  const Topology& t = f.topology();
  std::size_t gave_way = 0;
  for (LinkId l = 0; l < LinkId(t.link_count()); ++l) {
    const Link& link = t.link(l);
    if (link.cls != LinkClass::Pcie) {
      EXPECT_EQ(f.stand_in(l), l);
      continue;
    }
    const LinkId s = f.stand_in(l);
    ASSERT_NE(s, l);
    ++gave_way;
    EXPECT_EQ(t.link(s).cls, LinkClass::Access);
    EXPECT_LT(t.link(s).bandwidth, link.bandwidth);
    // Up: GPU -> NIC gives way to NIC -> leaf; down: NIC -> GPU to leaf -> NIC.
    if (t.node(link.from).kind == NodeKind::Device)
      EXPECT_EQ(t.link(s).from, link.to);
    else
      EXPECT_EQ(t.link(s).to, link.from);
  }
  EXPECT_EQ(gave_way, 2 * 8 * 4u);
  // Every route that crosses a PCIe link crosses its stand-in with the same share.
  for (std::int64_t a : {0, 3, 9}) {
    const RouteView r = f.route(a, 30);
    for (const auto& [l, share] : r) {
      if (f.stand_in(l) == l) continue;
      const auto it = std::find_if(r.begin(), r.end(), [&](const auto& e) { return e.first == f.stand_in(l); });
      ASSERT_NE(it, r.end());
      EXPECT_EQ(it->second, share);
    }
  }
  FabricSpec every_link;
  every_link.leave_out_implied_links = false;
  Fabric g(c, every_link);
  for (LinkId l = 0; l < LinkId(g.topology().link_count()); ++l) EXPECT_EQ(g.stand_in(l), l);
}

// A NIC that several chips share (trn1: 16 chips, 8 NICs), or one split over two planes,
// does not pass one link's traffic to one other: nothing gives way.
TEST(Fabric, SharedAndPlaneSplitNicsImplyNothing) {
  Fabric shared(cluster("trn1.32xlarge", 4), FabricSpec{});
  FabricSpec planes;
  planes.planes = 2;
  Fabric split(cluster("p5.48xlarge", 4), planes);
  for (const Fabric* f : {&shared, &split})
    for (LinkId l = 0; l < LinkId(f->topology().link_count()); ++l) EXPECT_EQ(f->stand_in(l), l);
}

// Along a chain of pass-through nodes every link carries the same transfers; each gives way
// to the narrowest, the last of them on a tie.
TEST(Fabric, AChainGivesWayToItsNarrowestLink) {
  const auto chain = [](double ab, double bc, double cd) {
    FabricSpec s;
    s.kind = FabricKind::Explicit;
    s.nodes = {{"d0", NodeKind::Device}, {"s1"}, {"s2"}, {"d1", NodeKind::Device}};
    s.links = {{"d0", "s1", ab, 1e-6, true}, {"s1", "s2", bc, 1e-6, true}, {"s2", "d1", cd, 1e-6, true}};
    return Fabric(s);
  };
  const auto link = [](const Fabric& f, const char* from, const char* to) {
    const Topology& t = f.topology();
    NodeId a = -1, b = -1;
    for (NodeId n = 0; n < NodeId(t.node_count()); ++n) {
      if (t.node_name(n) == from) a = n;
      if (t.node_name(n) == to) b = n;
    }
    return t.link_between(a, b);
  };
  const Fabric narrow_middle = chain(10e9, 5e9, 10e9);
  for (const auto& [from, to] : {std::pair{"d0", "s1"}, {"s1", "s2"}, {"s2", "d1"}})
    EXPECT_EQ(narrow_middle.stand_in(link(narrow_middle, from, to)), link(narrow_middle, "s1", "s2"));
  for (const auto& [from, to] : {std::pair{"d1", "s2"}, {"s2", "s1"}, {"s1", "d0"}})
    EXPECT_EQ(narrow_middle.stand_in(link(narrow_middle, from, to)), link(narrow_middle, "s2", "s1"));
  const Fabric even = chain(10e9, 10e9, 10e9);
  for (const auto& [from, to] : {std::pair{"d0", "s1"}, {"s1", "s2"}, {"s2", "d1"}})
    EXPECT_EQ(even.stand_in(link(even, from, to)), link(even, "s2", "d1"));
  // Two narrowest links apart both stay (either implies the other); the wide one between
  // gives way to one of them.
  const Fabric narrow_ends = chain(5e9, 10e9, 5e9);
  const LinkId first = link(narrow_ends, "d0", "s1"), last = link(narrow_ends, "s2", "d1");
  EXPECT_EQ(narrow_ends.stand_in(first), first);
  EXPECT_EQ(narrow_ends.stand_in(last), last);
  EXPECT_THAT(narrow_ends.stand_in(link(narrow_ends, "s1", "s2")), ::testing::AnyOf(first, last));
}
