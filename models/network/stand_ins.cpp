// Links another link implies (docs/network.md, "Links another one implies").
//
// Routes run between devices and never turn back. So at a node v that is no device, a route
// that comes in over link a (from x) leaves over an out-link that does not go back to x;
// when there is exactly one such link b (to z), and a is the only in-link that does not
// come from z, every route on a continues on b and every route on b came over a, with the
// same share (a route's share on a link is the sum over its paths through it). The two
// carry the same transfers alike: the capacity constraint of the wider one is implied by the
// narrower one's, so leaving it out of every transfer's load changes no max-min rate, and
// its bytes are the narrower one's. A NIC between its GPU and its leaf is such a node in
// both directions (PCIe at 64 GB/s behind a 50 GB/s port); a NIC shared by several chips,
// or split over several planes, is not.
#include <numeric>

#include "models/network/fabric.hpp"

namespace dcsim::network {

void Fabric::find_stand_ins() {
  if (!spec_.leave_out_implied_links) return;
  const std::size_t nodes = topo_.node_count(), links = topo_.link_count();
  std::vector<std::vector<LinkId>> in(nodes);
  for (LinkId l = 0; l < LinkId(links); ++l) in[std::size_t(topo_.link(l).to)].push_back(l);
  // next[l]: the link l gives way to (itself when none). Links that stand for a bundle are
  // left alone: their share stands for several links.
  std::vector<LinkId> next(links);
  std::iota(next.begin(), next.end(), LinkId{0});
  bool any = false;
  const auto only = [](const std::vector<LinkId>& list, auto keep) {
    LinkId found = -1;
    for (const LinkId l : list) {
      if (!keep(l)) continue;
      if (found >= 0) return LinkId{-1};
      found = l;
    }
    return found;
  };
  for (NodeId v = 0; v < NodeId(nodes); ++v) {
    if (topo_.node(v).kind == NodeKind::Device) continue;
    for (const LinkId a : in[std::size_t(v)]) {
      const NodeId x = topo_.link(a).from;
      const LinkId b = only(topo_.out_links(v), [&](LinkId l) { return topo_.link(l).to != x; });
      if (b < 0) continue;
      const NodeId z = topo_.link(b).to;
      if (only(in[std::size_t(v)], [&](LinkId l) { return topo_.link(l).from != z; }) != a) continue;
      if (bundle_size(a) != 1 || bundle_size(b) != 1 || bundle_of(a) != a || bundle_of(b) != b) continue;
      // The wider gives way; on a tie the earlier, so that along a chain the last of the
      // narrowest links is kept.
      if (topo_.link(a).bandwidth >= topo_.link(b).bandwidth)
        next[std::size_t(a)] = b;
      else
        next[std::size_t(b)] = a;
      any = true;
    }
  }
  if (!any) return;
  // Along a chain every link carries the same transfers: each gives way to the end of its
  // walk. Each step goes to a link no wider (ties only forward), so the walk ends.
  stand_in_.resize(links);
  for (std::size_t l = 0; l < links; ++l) {
    LinkId s = LinkId(l);
    for (std::size_t steps = 0; next[std::size_t(s)] != s && steps < links; ++steps) s = next[std::size_t(s)];
    stand_in_[l] = s;
  }
}

}  // namespace dcsim::network
