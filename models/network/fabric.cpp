#include "models/network/fabric.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <cmath>
#include <deque>
#include <map>
#include <stdexcept>

namespace dcsim::network {
namespace {
std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
std::uint64_t pair_key(std::int64_t a, std::int64_t b) { return (std::uint64_t(a) << 32) ^ std::uint64_t(b); }
// Queue pair q of a connection hashes as the pair with q in its header: 0 is the pair's own.
std::uint64_t queue_pair_hash(std::uint64_t pair_hash, int q) {
  return q == 0 ? pair_hash : mix(pair_hash ^ (std::uint64_t(q) << 48));
}
void append(Route& r, LinkId l, double share) {
  for (auto& [link, s] : r)
    if (link == l) {
      s += share;
      return;
    }
  r.emplace_back(l, share);
}
}  // namespace

Fabric::Fabric(const hardware::Cluster& cluster, const FabricSpec& spec) : spec_(spec) {
  if (spec.kind == FabricKind::Explicit) {
    build_explicit();
    if (topo_.device_count() != cluster.devices())
      throw std::invalid_argument(fmt::format("the explicit topology has {} devices but the cluster has {}",
                                              topo_.device_count(), cluster.devices()));
    check_connected();
    find_stand_ins();
    return;
  }
  scale_up_ = cluster.server().scale_up;
  devices_per_server_ = cluster.devices_per_server();
  domain_size_ = cluster.domain_size();
  for (std::int64_t d = 0; d < cluster.devices(); ++d) topo_.add_node(NodeKind::Device, 0, d);
  build_scale_up(cluster);
  if (spec.kind != FabricKind::None && cluster.devices() > domain_size_) {
    build_nics(cluster);
    build_clos(cluster);
  } else if (cluster.devices() > domain_size_) {
    throw std::invalid_argument("the cluster has several scale-up domains but no scale-out network (network.scale_out)");
  }
  check_connected();
  find_stand_ins();
}

Fabric::Fabric(const FabricSpec& spec) : spec_(spec) {
  build_explicit();
  check_connected();
  find_stand_ins();
}

void Fabric::build_scale_up(const hardware::Cluster& cluster) {
  const std::int64_t n = cluster.devices();
  const double lat = spec_.scale_up_latency_s;
  if (domain_size_ <= 1) return;
  switch (scale_up_.topology) {
    case hardware::ScaleUpTopology::NvSwitch:
    case hardware::ScaleUpTopology::Switched: {
      // One switch per domain; each device's total bidirectional bandwidth is half each way.
      for (std::int64_t dom = 0; dom * domain_size_ < n; ++dom) {
        const NodeId sw = topo_.add_node(NodeKind::Switch, 0, dom);
        domain_switch_.push_back(sw);
        for (std::int64_t d = dom * domain_size_; d < std::min(n, (dom + 1) * domain_size_); ++d)
          topo_.add_cable(topo_.device_node(d), sw, scale_up_.bandwidth / 2 * spec_.scale_up_efficiency, lat,
                          LinkClass::ScaleUp);
      }
      break;
    }
    case hardware::ScaleUpTopology::Torus2D: {
      const int rows = scale_up_.torus.at(0), cols = scale_up_.torus.at(1);
      // Four cables per device share its bandwidth: each carries 1/8 of it per direction.
      const double bw = scale_up_.bandwidth / 8 * spec_.scale_up_efficiency;
      for (std::int64_t s = 0; s < cluster.servers(); ++s) {
        const std::int64_t base = s * devices_per_server_;
        for (int i = 0; i < rows; ++i)
          for (int j = 0; j < cols; ++j) {
            const NodeId here = topo_.device_node(base + i * cols + j);
            if (cols > 1)
              topo_.add_cable(here, topo_.device_node(base + i * cols + (j + 1) % cols), bw, lat, LinkClass::ScaleUp);
            if (rows > 1)
              topo_.add_cable(here, topo_.device_node(base + ((i + 1) % rows) * cols + j), bw, lat, LinkClass::ScaleUp);
          }
      }
      // UltraServer: a ring joins the same device position of a domain's servers.
      const int k = scale_up_.domain_servers;
      if (k > 1) {
        const double ring_bw = scale_up_.ring_bandwidth / 4 * spec_.scale_up_efficiency;  // two neighbours, both directions
        for (std::int64_t s = 0; s < cluster.servers(); ++s) {
          const std::int64_t first = (s / k) * k;
          const std::int64_t next = first + (s - first + 1) % k;
          if (next == s) continue;
          for (int d = 0; d < devices_per_server_; ++d)
            topo_.add_cable(topo_.device_node(s * devices_per_server_ + d),
                            topo_.device_node(next * devices_per_server_ + d), ring_bw, lat, LinkClass::ScaleUp);
        }
      }
      break;
    }
  }
}

Fabric::Cable Fabric::cable(NodeId a, NodeId b, double bandwidth, double latency_s, LinkClass cls) {
  const LinkId up = topo_.add_cable(a, b, bandwidth, latency_s, cls);
  return {up, topo_.link_between(b, a)};  // (a parallel cable merged into an earlier link keeps its id)
}

void Fabric::build_nics(const hardware::Cluster& cluster) {
  nics_per_server_ = cluster.server().nics;
  if (nics_per_server_ <= 0) throw std::invalid_argument("the server type has no NICs for the scale-out network");
  const std::int64_t nic_count = cluster.servers() * nics_per_server_;
  for (std::int64_t i = 0; i < nic_count; ++i) nic_node_.push_back(topo_.add_node(NodeKind::Nic, 0, i));
  for (std::int64_t d = 0; d < cluster.devices(); ++d) {
    const std::int64_t server = d / devices_per_server_;
    const std::int64_t local = d % devices_per_server_;
    const std::int64_t nic = server * nics_per_server_ + local * nics_per_server_ / devices_per_server_;
    device_nic_.push_back(nic);
    pcie_.push_back(cable(topo_.device_node(d), nic_node_[nic], spec_.pcie_bandwidth, spec_.pcie_latency_s, LinkClass::Pcie));
  }
}

void Fabric::build_clos(const hardware::Cluster& cluster) {
  const int R = spec_.radix;
  const int down = static_cast<int>(std::lround(R * spec_.oversubscription / (1.0 + spec_.oversubscription)));
  const int up = R - down;
  if (R < 4 || down < 1 || up < 1)
    throw std::invalid_argument(fmt::format("radix {} with oversubscription {} leaves no up or down ports", R,
                                            spec_.oversubscription));
  const std::int64_t nic_count = static_cast<std::int64_t>(nic_node_.size());
  const int planes = spec_.planes;
  const double access_bw = cluster.server().nic_bandwidth * spec_.nic_efficiency / planes;
  const double port_bw = spec_.link_bandwidth > 0 ? spec_.link_bandwidth * spec_.nic_efficiency : access_bw;
  const bool rail = spec_.kind == FabricKind::RailOptimized;
  const int rails = nics_per_server_;

  std::vector<std::int64_t> leaf_of(nic_count);
  std::int64_t leaves = 0;
  if (rail) {
    const std::int64_t units = (cluster.servers() + down - 1) / down;  // scalable units of `down` servers
    for (std::int64_t nic = 0; nic < nic_count; ++nic)
      leaf_of[nic] = (nic / rails / down) * rails + nic % rails;
    leaves = units * rails;
  } else {
    for (std::int64_t nic = 0; nic < nic_count; ++nic) leaf_of[nic] = nic / down;
    leaves = (nic_count + down - 1) / down;
  }
  tiers_ = spec_.tiers > 0 ? spec_.tiers : (leaves <= R ? 2 : 3);
  if (tiers_ == 2) {
    if (leaves > R)
      throw std::invalid_argument(fmt::format(
          "a 2-tier Clos of radix {} holds at most {} leaves ({} NICs at {}:{} leaf ports); this cluster needs {} "
          "leaves: use tiers: 3 or a larger radix", R, R, std::int64_t(R) * down, down, up, leaves));
    leaves_per_pod_ = leaves;
    spines_per_pod_ = up;
    cores_per_group_ = 0;
  } else if (tiers_ == 3) {
    leaves_per_pod_ = R / 2;
    if (rail) leaves_per_pod_ = (leaves_per_pod_ / rails) * rails;
    if (leaves_per_pod_ < 1)
      throw std::invalid_argument(fmt::format("radix {} is too small for pods of {} rails", R, rails));
    spines_per_pod_ = up;
    cores_per_group_ = R / 2;
    const std::int64_t pods = (leaves + leaves_per_pod_ - 1) / leaves_per_pod_;
    if (pods > R)
      throw std::invalid_argument(fmt::format("a 3-tier Clos of radix {} holds at most {} pods of {} leaves; this "
                                              "cluster needs {} pods: use a larger radix", R, R, leaves_per_pod_, pods));
  } else {
    throw std::invalid_argument("network.scale_out.tiers must be 2 or 3");
  }
  const std::int64_t pods = (leaves + leaves_per_pod_ - 1) / leaves_per_pod_;
  leaf_count_ = static_cast<std::size_t>(leaves * planes);
  spine_count_ = static_cast<std::size_t>(pods * spines_per_pod_ * planes);
  core_count_ = static_cast<std::size_t>(tiers_ == 3 ? spines_per_pod_ * cores_per_group_ * planes : 0);

  nic_leaf_.assign(planes, leaf_of);
  leaf_node_.assign(planes, {});
  spine_node_.assign(planes, {});
  core_node_.assign(planes, {});
  access_.assign(planes, {});
  leaf_spine_.assign(planes, {});
  spine_core_.assign(planes, {});
  const double access_lat = spec_.access_latency_s, sw_lat = spec_.switch_latency_s;
  for (int p = 0; p < planes; ++p) {
    for (std::int64_t l = 0; l < leaves; ++l) {
      leaf_node_[p].push_back(topo_.add_node(NodeKind::Switch, 1, l));
      leaf_of_node_[leaf_node_[p].back()] = {p, l};
    }
    for (std::int64_t s = 0; s < pods * spines_per_pod_; ++s) spine_node_[p].push_back(topo_.add_node(NodeKind::Switch, 2, s));
    if (tiers_ == 3)
      for (std::int64_t c = 0; c < spines_per_pod_ * cores_per_group_; ++c)
        core_node_[p].push_back(topo_.add_node(NodeKind::Switch, 3, c));
    for (std::int64_t nic = 0; nic < nic_count; ++nic)
      access_[p].push_back(cable(nic_node_[nic], leaf_node_[p][leaf_of[nic]], access_bw, access_lat, LinkClass::Access));
    for (std::int64_t l = 0; l < leaves; ++l) {
      const std::int64_t pod = l / leaves_per_pod_;
      // Each leaf's `up` ports spread over its pod's spines.
      const double bw = port_bw * double(up) / double(spines_per_pod_);
      for (std::int64_t j = 0; j < spines_per_pod_; ++j)
        leaf_spine_[p].push_back(
            cable(leaf_node_[p][l], spine_node_[p][pod * spines_per_pod_ + j], bw, sw_lat, LinkClass::LeafSpine));
    }
    if (tiers_ == 3)
      for (std::int64_t pod = 0; pod < pods; ++pod)
        for (std::int64_t j = 0; j < spines_per_pod_; ++j)
          for (std::int64_t c = 0; c < cores_per_group_; ++c)
            spine_core_[p].push_back(cable(spine_node_[p][pod * spines_per_pod_ + j],
                                           core_node_[p][j * cores_per_group_ + c],
                                           port_bw * double(R - leaves_per_pod_) / double(cores_per_group_), sw_lat,
                                           LinkClass::SpineCore));
  }
  servers_share_leaf_ = true;
  for (std::int64_t nic = 0; nic < nic_count; ++nic)
    servers_share_leaf_ = servers_share_leaf_ && leaf_of[nic] == leaf_of[nic - nic % rails];
  if (spec_.routing == Routing::Spray && spec_.bundle_sprayed_links) build_bundles(pods);
}

// The links a sprayed route loads alike (route_clos_plane lists each group once).
void Fabric::build_bundles(std::int64_t pods) {
  bundle_rep_.resize(topo_.link_count());
  for (std::size_t l = 0; l < bundle_rep_.size(); ++l) bundle_rep_[l] = LinkId(l);
  bundle_size_.assign(topo_.link_count(), 1);
  std::vector<LinkId> up, down;
  for (std::size_t p = 0; p < leaf_node_.size(); ++p) {
    for (std::size_t l = 0; l < leaf_node_[p].size(); ++l) {
      const std::int64_t pod = std::int64_t(l) / leaves_per_pod_;
      up.clear();
      down.clear();
      for (std::int64_t j = 0; j < spines_per_pod_; ++j) {
        const NodeId spine = spine_node_[p][std::size_t(pod * spines_per_pod_ + j)];
        up.push_back(topo_.link_between(leaf_node_[p][l], spine));
        down.push_back(topo_.link_between(spine, leaf_node_[p][l]));
      }
      add_bundle(up);
      add_bundle(down);
    }
    if (tiers_ != 3) continue;
    for (std::int64_t pod = 0; pod < pods; ++pod) {
      up.clear();
      down.clear();
      for (std::int64_t j = 0; j < spines_per_pod_; ++j)
        for (std::int64_t c = 0; c < cores_per_group_; ++c) {
          const NodeId spine = spine_node_[p][std::size_t(pod * spines_per_pod_ + j)];
          const NodeId core = core_node_[p][std::size_t(j * cores_per_group_ + c)];
          up.push_back(topo_.link_between(spine, core));
          down.push_back(topo_.link_between(core, spine));
        }
      add_bundle(up);
      add_bundle(down);
    }
  }
}

void Fabric::add_bundle(const std::vector<LinkId>& links) {
  if (links.size() < 2) return;
  for (LinkId l : links) bundle_rep_[std::size_t(l)] = links.front();
  bundle_size_[std::size_t(links.front())] = std::uint32_t(links.size());
  bundles_.push_back(links);
}

void Fabric::build_explicit() {
  std::map<std::string, NodeId> by_name;
  std::int64_t devices = 0, nics = 0, switches = 0;
  for (const ExplicitNode& n : spec_.nodes) {
    if (by_name.count(n.name)) throw std::invalid_argument(fmt::format("node \"{}\" is defined twice", n.name));
    const std::int64_t index = n.kind == NodeKind::Device ? devices++ : n.kind == NodeKind::Nic ? nics++ : switches++;
    by_name[n.name] = topo_.add_node(n.kind, n.kind == NodeKind::Switch ? 1 : 0, index, n.name);
  }
  if (devices == 0) throw std::invalid_argument("the explicit topology has no node of kind device");
  for (const ExplicitLink& l : spec_.links) {
    auto a = by_name.find(l.from), b = by_name.find(l.to);
    if (a == by_name.end()) throw std::invalid_argument(fmt::format("link from \"{}\": no such node", l.from));
    if (b == by_name.end()) throw std::invalid_argument(fmt::format("link to \"{}\": no such node", l.to));
    if (!(l.bandwidth > 0))
      throw std::invalid_argument(fmt::format("link {} -> {} has no bandwidth; it must be > 0", l.from, l.to));
    if (l.duplex)
      topo_.add_cable(a->second, b->second, l.bandwidth, l.latency_s, LinkClass::Explicit);
    else
      topo_.add_link(a->second, b->second, l.bandwidth, l.latency_s, LinkClass::Explicit);
  }
  tiers_ = 0;
}

void Fabric::check_connected() const {
  const auto& g = topo_.graph();
  const std::size_t n = boost::num_vertices(g);
  const auto src = static_cast<std::size_t>(topo_.device_node(0));
  std::vector<int> forward(n, -1), backward(n, -1);
  forward[src] = backward[src] = 0;
  boost::breadth_first_search(
      g, src, boost::visitor(boost::make_bfs_visitor(boost::record_distances(forward.data(), boost::on_tree_edge()))));
  auto rg = boost::make_reverse_graph(g);
  boost::breadth_first_search(
      rg, src, boost::visitor(boost::make_bfs_visitor(boost::record_distances(backward.data(), boost::on_tree_edge()))));
  for (std::int64_t d = 0; d < topo_.device_count(); ++d) {
    const auto v = static_cast<std::size_t>(topo_.device_node(d));
    if (forward[v] < 0 || backward[v] < 0)
      throw std::invalid_argument(fmt::format("device {} ({}) is not connected to device 0 ({}) in both directions", d,
                                              topo_.node_name(topo_.device_node(d)), topo_.node_name(topo_.device_node(0))));
  }
}

RouteView Fabric::route(std::int64_t a, std::int64_t b) {
  const std::uint64_t key = pair_key(a, b);
  if (const std::uint32_t at = route_index_.find(key); at != FlatMap64::kMissing) return routes_[at];
  Route& r = route_scratch_;
  r.clear();
  if (a != b) {
    if (spec_.kind == FabricKind::Explicit) {
      route_explicit(a, b, r);
    } else if (same_domain(a, b)) {
      route_scale_up(a, b, r);
    } else {
      route_clos(a, b, r);
    }
  }
  if (r.size() > chunk_left_) {
    constexpr std::size_t kChunkHops = 1 << 16;
    chunk_left_ = std::max(kChunkHops, r.size());
    hop_chunks_.push_back(std::make_unique_for_overwrite<Hop[]>(chunk_left_));
    chunk_next_ = hop_chunks_.back().get();
  }
  Hop* const at = chunk_next_;
  std::copy(r.begin(), r.end(), at);
  chunk_next_ += r.size();
  chunk_left_ -= r.size();
  route_index_.set(key, std::uint32_t(routes_.size()));
  routes_.emplace_back(at, r.size());
  return routes_.back();
}

void Fabric::route_scale_up(std::int64_t a, std::int64_t b, Route& out) const {
  auto hop = [&](std::int64_t x, std::int64_t y) {
    append(out, topo_.link_between(topo_.device_node(x), topo_.device_node(y)), 1.0);
  };
  if (scale_up_.topology != hardware::ScaleUpTopology::Torus2D) {
    const NodeId sw = domain_switch_[a / domain_size_];
    append(out, topo_.link_between(topo_.device_node(a), sw), 1.0);
    append(out, topo_.link_between(sw, topo_.device_node(b)), 1.0);
    return;
  }
  const int per = devices_per_server_;
  const int rows = scale_up_.torus[0], cols = scale_up_.torus[1];
  const int k = scale_up_.domain_servers;
  std::int64_t cur = a;
  // Ring between servers first (same position), the shorter way round.
  std::int64_t sa = a / per, sb = b / per;
  const std::int64_t first = (sa / k) * k;
  while (sa != sb) {
    const std::int64_t fwd = ((sb - sa) % k + k) % k;
    const std::int64_t step = fwd <= k - fwd ? 1 : k - 1;
    const std::int64_t next = first + (sa - first + step) % k;
    const std::int64_t nxt = next * per + cur % per;
    hop(cur, nxt);
    cur = nxt;
    sa = next;
  }
  // Then dimension order inside the server: columns, then rows.
  auto walk = [&](int from, int to, int size, auto make) {
    while (from != to) {
      const int fwd = ((to - from) % size + size) % size;
      const int step = fwd <= size - fwd ? 1 : size - 1;
      const int next = (from + step) % size;
      const std::int64_t nxt = make(next);
      hop(cur, nxt);
      cur = nxt;
      from = next;
    }
  };
  const std::int64_t base = sb * per;
  const int ia = int(cur % per) / cols, ja = int(cur % per) % cols;
  const int ib = int(b % per) / cols, jb = int(b % per) % cols;
  walk(ja, jb, cols, [&](int j) { return base + std::int64_t(ia) * cols + j; });
  walk(ia, ib, rows, [&](int i) { return base + std::int64_t(i) * cols + jb; });
}

void Fabric::route_clos_plane(int p, std::int64_t nic_a, std::int64_t nic_b, std::uint64_t hash, double share,
                              Route& out) const {
  // Every hop by its position in the build (Fabric::Cable), not looked up by its ends.
  const std::int64_t la = nic_leaf_[p][nic_a], lb = nic_leaf_[p][nic_b];
  append(out, access_[p][nic_a].up, share);
  if (la != lb) {
    const std::int64_t pod_a = la / leaves_per_pod_, pod_b = lb / leaves_per_pod_;
    const bool spray = spec_.routing == Routing::Spray;
    // A bundle is listed once, by its first link (spine 0, core 0), with each link's share.
    const bool bundled = !bundles_.empty();
    const std::int64_t spines = spray && !bundled ? spines_per_pod_ : 1;
    const double sj = share / double(spray ? spines_per_pod_ : 1);
    for (std::int64_t s = 0; s < spines; ++s) {
      const std::int64_t j = spray ? s : std::int64_t(hash % std::uint64_t(spines_per_pod_));
      append(out, leaf_spine_[p][la * spines_per_pod_ + j].up, sj);
      if (pod_a == pod_b) {
        append(out, leaf_spine_[p][lb * spines_per_pod_ + j].down, sj);
        continue;
      }
      const std::int64_t cores = spray && !bundled ? cores_per_group_ : 1;
      const double sc = sj / double(spray ? cores_per_group_ : 1);
      for (std::int64_t c = 0; c < cores; ++c) {
        const std::int64_t ci = spray ? c : (std::int64_t((hash >> 20) % std::uint64_t(cores_per_group_)) + core_offset(nic_a)) % cores_per_group_;
        append(out, spine_core_[p][(pod_a * spines_per_pod_ + j) * cores_per_group_ + ci].up, sc);
        append(out, spine_core_[p][(pod_b * spines_per_pod_ + j) * cores_per_group_ + ci].down, sc);
      }
      append(out, leaf_spine_[p][lb * spines_per_pod_ + j].down, sj);
    }
  }
  append(out, access_[p][nic_b].down, share);
}

void Fabric::route_clos(std::int64_t a, std::int64_t b, Route& out) const {
  const std::int64_t nic_a = device_nic_[a], nic_b = device_nic_[b];
  append(out, pcie_[std::size_t(a)].up, 1.0);
  // Rail-optimized: ECMP hashes the server pair, so every rail's flow between two servers
  // takes the same spine index (on that rail's own links) and the fabric is symmetric under
  // any permutation of GPUs within servers (member_symmetric). Otherwise the device pair.
  const std::uint64_t hash = spec_.kind == FabricKind::RailOptimized
                                 ? mix(pair_key(a / devices_per_server_, b / devices_per_server_) ^ 0x5eedull)
                                 : mix(pair_key(a, b));
  const int planes = spec_.planes;
  if (spec_.routing == Routing::Spray) {
    for (int p = 0; p < planes; ++p) route_clos_plane(p, nic_a, nic_b, hash, 1.0 / planes, out);
  } else {
    // Each queue pair is hashed on its own and carries an equal share (the first takes the
    // pair's own hash, so one queue pair is the plain ECMP route).
    const int qps = spec_.qps_per_connection;
    for (int q = 0; q < qps; ++q) {
      const std::uint64_t h = queue_pair_hash(hash, q);
      route_clos_plane(int((h >> 40) % std::uint64_t(planes)), nic_a, nic_b, h, 1.0 / qps, out);
    }
  }
  append(out, pcie_[std::size_t(b)].down, 1.0);
}

void Fabric::route_explicit(std::int64_t a, std::int64_t b, Route& out) {
  // Hop distances to b (reverse BFS), cached per destination.
  auto& dist = explicit_dist_[b];
  if (dist.empty()) {
    dist.assign(topo_.node_count(), -1);
    const auto& g = topo_.graph();
    auto rg = boost::make_reverse_graph(g);
    const auto dst = static_cast<std::size_t>(topo_.device_node(b));
    dist[dst] = 0;
    boost::breadth_first_search(
        rg, dst, boost::visitor(boost::make_bfs_visitor(boost::record_distances(dist.data(), boost::on_tree_edge()))));
  }
  const NodeId start = topo_.device_node(a);
  const std::uint64_t hash = mix(pair_key(a, b));
  if (spec_.routing != Routing::Spray) {
    // ECMP: one path per queue pair, each hop hashed among the links one step closer to b.
    const int qps = spec_.qps_per_connection;
    for (int q = 0; q < qps; ++q) {
      const std::uint64_t h = queue_pair_hash(hash, q);
      NodeId u = start;
      for (int d = dist[u]; d > 0; --d) {
        std::size_t closer = 0;
        for (LinkId l : topo_.out_links(u)) closer += dist[topo_.link(l).to] == d - 1;
        if (closer == 0) throw std::logic_error("fabric: no path between devices of an explicit fabric");
        std::size_t pick = (h ^ std::uint64_t(u) * 0x9e3779b97f4a7c15ull) % closer;
        for (LinkId l : topo_.out_links(u))
          if (dist[topo_.link(l).to] == d - 1 && pick-- == 0) {
            append(out, l, 1.0 / qps);
            u = topo_.link(l).to;
            break;
          }
      }
    }
    return;
  }
  // Spray down the shortest-path DAG from a.
  std::map<int, std::map<NodeId, double>, std::greater<>> frontier;  // by distance, farthest first
  frontier[dist[start]][start] = 1.0;
  while (!frontier.empty()) {
    auto level = std::move(frontier.begin()->second);
    const int d = frontier.begin()->first;
    frontier.erase(frontier.begin());
    if (d == 0) break;
    for (const auto& [u, mass] : level) {
      std::vector<LinkId> next;
      for (LinkId l : topo_.out_links(u))
        if (dist[topo_.link(l).to] == d - 1) next.push_back(l);
      for (LinkId l : next) {
        append(out, l, mass / double(next.size()));
        frontier[d - 1][topo_.link(l).to] += mass / double(next.size());
      }
    }
  }
}

// Rail-optimized with core groups a multiple of the rails: each rail's cross-pod flows take
// their own core of the group (the rails' flows between two servers spread over as many
// cores, as independent ECMP would spread them), and rotating the rails rotates the cores.
std::int64_t Fabric::core_offset(std::int64_t nic) const {
  if (spec_.kind != FabricKind::RailOptimized || nics_per_server_ == 0 || cores_per_group_ % nics_per_server_ != 0)
    return 0;
  return (nic % nics_per_server_) * (cores_per_group_ / nics_per_server_);
}

bool Fabric::symmetric_under(const std::vector<int>& perm) const {
  if (!member_symmetric()) return false;
  if (spec_.kind == FabricKind::FatTree) return true;  // only the servers' own access links move
  if (tiers_ < 3) return true;  // every scale-out link serves one rail
  // Spine-to-core links serve every rail: only rotations of the rails, with the cores
  // rotated along, map the fabric and its routes onto themselves.
  if (core_offset(1) == 0 && nics_per_server_ > 1) return false;
  const int n = int(perm.size());
  for (int i = 0; i < n; ++i)
    if (perm[std::size_t(i)] != (i + perm[0]) % n) return false;
  return true;
}

bool Fabric::member_symmetric() const {
  const bool switched_scale_up = domain_size_ <= 1 || scale_up_.topology == hardware::ScaleUpTopology::NvSwitch ||
                                 scale_up_.topology == hardware::ScaleUpTopology::Switched;
  const bool rails = spec_.kind == FabricKind::RailOptimized || nic_node_.empty();
  // A fat tree spraying every route, with each server's NICs under one leaf: a permutation
  // of GPU positions moves only those NICs' links, and every route between two servers
  // sprays over the same switch links whichever NICs it leaves from.
  const bool sprayed_fat_tree =
      spec_.kind == FabricKind::FatTree && spec_.routing == Routing::Spray && servers_share_leaf_;
  return spec_.kind != FabricKind::Explicit && (rails || sprayed_fat_tree) && switched_scale_up &&
         (nic_node_.empty() || nics_per_server_ == devices_per_server_);
}

std::int64_t Fabric::image_device(std::int64_t device, const std::vector<int>& local_perm) const {
  const std::int64_t server = device / devices_per_server_;
  return server * devices_per_server_ + local_perm[std::size_t(device % devices_per_server_)];
}

NodeId Fabric::image_node(NodeId n, const std::vector<int>& local_perm) const {
  const Node& node = topo_.node(n);
  if (node.kind == NodeKind::Device) return topo_.device_node(image_device(node.index, local_perm));
  if (node.kind == NodeKind::Nic) {  // one NIC per device on a member-symmetric fabric
    const std::int64_t server = node.index / nics_per_server_;
    return nic_node_[std::size_t(server * nics_per_server_ + local_perm[std::size_t(node.index % nics_per_server_)])];
  }
  if (node.tier == 1 && spec_.kind == FabricKind::RailOptimized) {  // a leaf of one rail: the same leaf position on the image rail
    const auto it = leaf_of_node_.find(n);
    if (it == leaf_of_node_.end()) return n;
    const auto [plane, leaf] = it->second;
    const std::int64_t rail = leaf % nics_per_server_;
    return leaf_node_[std::size_t(plane)][std::size_t(leaf - rail + local_perm[std::size_t(rail)])];
  }
  if (node.tier == 3 && core_offset(1) > 0) {  // rails rotate: their cores rotate along
    const std::int64_t group = node.index / cores_per_group_, c = node.index % cores_per_group_;
    const std::int64_t shift = core_offset(local_perm[0]);
    for (std::size_t plane = 0; plane < core_node_.size(); ++plane)
      if (std::size_t(node.index) < core_node_[plane].size() && core_node_[plane][std::size_t(node.index)] == n)
        return core_node_[plane][std::size_t(group * cores_per_group_ + (c + shift) % cores_per_group_)];
  }
  return n;  // scale-up switches and spines serve every rail
}

LinkId Fabric::image_link(LinkId l, const std::vector<int>& local_perm) const {
  const Link& link = topo_.link(l);
  // The image of a bundle's first link may be another link of the image bundle: routes list
  // bundles by their first link.
  return bundle_of(topo_.link_between(image_node(link.from, local_perm), image_node(link.to, local_perm)));
}

double Fabric::route_latency(RouteView r) const {
  // Spraying splits a transfer over paths of equal length: latency is the weighted sum.
  double lat = 0;
  bool scale_out = false;
  for (const auto& [l, share] : r) {
    lat += share * double(bundle_size(l)) * topo_.link(l).latency_s;  // (a bundle's links: same latency)
    scale_out = scale_out || topo_.link(l).cls == LinkClass::Access;
  }
  if (!r.empty()) lat += scale_out ? spec_.scale_out_step_s : spec_.scale_up_step_s;
  return lat;
}

double Fabric::route_bandwidth(RouteView r) const {
  double bw = std::numeric_limits<double>::infinity();
  for (const auto& [l, share] : r) bw = std::min(bw, topo_.link(l).bandwidth / share);
  return bw;
}

std::size_t Fabric::equal_cost_paths(std::int64_t a, std::int64_t b) const {
  if (same_domain(a, b) || spec_.kind == FabricKind::Explicit) return 1;
  const std::int64_t la = nic_leaf_[0][device_nic_[a]], lb = nic_leaf_[0][device_nic_[b]];
  std::size_t per_plane = 1;
  if (la != lb) {
    per_plane = static_cast<std::size_t>(spines_per_pod_);
    if (la / leaves_per_pod_ != lb / leaves_per_pod_) per_plane *= static_cast<std::size_t>(cores_per_group_);
  }
  return per_plane * static_cast<std::size_t>(spec_.planes);
}

}  // namespace dcsim::network
