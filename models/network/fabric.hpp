#pragma once
// A cluster's network: its scale-up domains (NVSwitch, 2D torus, rings, switched) and its
// scale-out fabric (2- or 3-tier Clos / fat-tree, rail-optimized or not, several planes, or
// an explicit graph), built as one Topology, with routes between devices.
//
// Routing: inside a scale-up domain traffic stays inside it (NVSwitch: via the domain
// switch; torus: dimension order, shorter way round; UltraServer ring: ring first, then the
// torus). Across domains: device -> its NIC -> up the Clos as far as needed -> down, with
// ECMP choosing among equal-cost up-links by a deterministic hash of (source, destination),
// or spraying evenly over all of them; with several queue pairs per connection each is
// hashed on its own (qps_per_connection). Explicit graphs use hop-count shortest paths with the
// same ECMP choice. Routes are cached.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/hardware/cluster.hpp"
#include "models/network/flat_map.hpp"
#include "models/network/topology.hpp"

namespace dcsim::network {

enum class FabricKind { RailOptimized, FatTree, Explicit, None };
enum class Routing { Ecmp, Spray };

struct ExplicitNode {
  std::string name;
  NodeKind kind = NodeKind::Switch;
};
struct ExplicitLink {
  std::string from, to;
  double bandwidth = 0;
  double latency_s = 0;
  bool duplex = true;
};

struct FabricSpec {
  FabricKind kind = FabricKind::RailOptimized;
  int tiers = 0;                  // 0: the fewest that fit (2 or 3)
  int radix = 64;                 // switch ports
  double oversubscription = 1.0;  // leaf down-ports : up-ports
  int planes = 1;
  Routing routing = Routing::Ecmp;
  // ECMP only: queue pairs (flows) per connection, each hashed on its own path, the
  // transfer's bytes split evenly over them (NCCL_IB_QPS_PER_CONNECTION; Meta's collective
  // library opens 16 per GPU pair for Llama 3's fabric). 1: one path per device pair.
  int qps_per_connection = 1;
  // Sprayed routes list each bundle of parallel links they load alike once (Fabric::bundle_size);
  // off: every link (the tests compare the two).
  bool bundle_sprayed_links = true;
  // Transfers leave out links another link implies (Fabric::stand_in); off: they cross every
  // link of their routes (the tests compare the two).
  bool leave_out_implied_links = true;
  double link_bandwidth = 0;      // fabric switch-to-switch ports; 0: the NIC speed
  double scale_up_latency_s = 0.25e-6;
  // Share of the scale-up link rate collectives reach: NCCL moves NVLink data with SM copy
  // kernels; nccl-tests all-reduce bus bandwidth on 8-GPU NVSwitch systems is ~80 % of the
  // per-direction link rate (DGX A100 ~230 of 300 GB/s, DGX H100 ~360 of 450 GB/s) [S].
  double scale_up_efficiency = 0.8;
  // Share of the NIC rate a transport reaches (headers, protocol): from the server catalog.
  double nic_efficiency = 1.0;
  // Software latency each step of a collective (and each message) pays on top of the wires:
  // NCCL's per-step latency for a step inside the scale-up domain and one that crosses the
  // scale-out network (docs/network.md, "Transport"). 0 for raw flows.
  double scale_up_step_s = 0;
  double scale_out_step_s = 0;
  double pcie_bandwidth = 64e9;   // PCIe Gen5 x16, one direction [A]
  double pcie_latency_s = 0.5e-6;
  double access_latency_s = 1.0e-6;  // NIC to leaf, including NIC processing
  double switch_latency_s = 0.6e-6;  // per switch-to-switch hop
  std::vector<ExplicitNode> nodes;   // FabricKind::Explicit
  std::vector<ExplicitLink> links;
};

// A route: the links a transfer crosses, each with the share of the transfer it carries
// (1, or 1/k on each of k sprayed paths). A link that stands for a bundle
// (Fabric::bundle_size > 1) carries that share on each link of the bundle.
using Hop = std::pair<LinkId, double>;
using Route = std::vector<Hop>;
// A route as the fabric keeps it: valid as long as the fabric (routes never move).
using RouteView = std::span<const Hop>;

class Fabric {
 public:
  // Throws std::invalid_argument with a message naming the problem (sizes that do not fit
  // the radix, disconnected devices, dangling link names, zero bandwidth).
  Fabric(const hardware::Cluster& cluster, const FabricSpec& spec);
  // An explicit topology standing alone (its devices are its nodes of kind device).
  explicit Fabric(const FabricSpec& explicit_spec);

  const Topology& topology() const { return topo_; }
  const FabricSpec& spec() const { return spec_; }
  std::int64_t devices() const { return topo_.device_count(); }
  RouteView route(std::int64_t src_device, std::int64_t dst_device);
  double route_latency(RouteView r) const;
  double route_bandwidth(RouteView r) const;  // min over links of bandwidth / share
  bool same_domain(std::int64_t a, std::int64_t b) const { return domain_size_ > 0 && a / domain_size_ == b / domain_size_; }
  std::int64_t domain_size() const { return domain_size_; }

  // Counts for tests and reports.
  std::size_t leaves() const { return leaf_count_; }
  std::size_t spines() const { return spine_count_; }
  std::size_t cores() const { return core_count_; }
  int tiers() const { return tiers_; }
  // Symmetry (docs/network.md): a rail-optimized fabric with one NIC per GPU and a switched
  // scale-up domain is unchanged by any permutation of GPU positions applied in every server
  // at once, and so are its routes (ECMP hashes the server pair); so is a fat tree that
  // sprays every route, when each server sits under one leaf. The image of a device, node or
  // link under such a permutation (local_perm[position] = new position); a link's image is
  // given as its bundle's first link.
  bool member_symmetric() const;
  bool symmetric_under(const std::vector<int>& local_perm) const;
  std::int64_t image_device(std::int64_t device, const std::vector<int>& local_perm) const;
  NodeId image_node(NodeId n, const std::vector<int>& local_perm) const;
  LinkId image_link(LinkId l, const std::vector<int>& local_perm) const;
  int devices_per_server() const { return devices_per_server_; }

  // Bundles (docs/network.md, "Bundles"): with sprayed routing every route that crosses one
  // link of a bundle crosses all of them with the same share (a leaf's up-links to its pod's
  // spines; the spines' down-links to one leaf; a pod's spine-to-core up-links; the core
  // down-links into a pod). Routes list a bundle once, as its first link, which then stands
  // for bundle_size links carrying the same bytes; the others appear in no route.
  std::size_t bundle_size(LinkId l) const { return bundle_size_.empty() ? 1 : bundle_size_[std::size_t(l)]; }
  LinkId bundle_of(LinkId l) const { return bundle_rep_.empty() ? l : bundle_rep_[std::size_t(l)]; }
  const std::vector<std::vector<LinkId>>& bundles() const { return bundles_; }  // first: the one routes list

  // Implied links (docs/network.md, "Links another one implies"): where a node that is no
  // device passes everything from link a on to link b and everything on b came from a (a
  // NIC between its GPU and its leaf), the two carry the same transfers with the same
  // shares, so the wider one can never bind before the narrower. Its stand-in is the
  // narrower (on a tie, the later one along the way); transfers leave it out of their load
  // and it reports its stand-in's bytes. Every other link stands for itself.
  LinkId stand_in(LinkId l) const { return stand_in_.empty() ? l : stand_in_[std::size_t(l)]; }

  // Number of distinct equal-cost paths between two devices' NICs (across planes too).
  std::size_t equal_cost_paths(std::int64_t src_device, std::int64_t dst_device) const;

 private:
  void build_scale_up(const hardware::Cluster& cluster);
  void build_nics(const hardware::Cluster& cluster);
  void build_clos(const hardware::Cluster& cluster);
  void build_explicit();
  void check_connected() const;
  void route_scale_up(std::int64_t a, std::int64_t b, Route& out) const;
  void route_clos(std::int64_t a, std::int64_t b, Route& out) const;
  void route_clos_plane(int plane, std::int64_t nic_a, std::int64_t nic_b, std::uint64_t hash, double share,
                        Route& out) const;
  void route_explicit(std::int64_t a, std::int64_t b, Route& out);
  void build_bundles(std::int64_t pods);
  void add_bundle(const std::vector<LinkId>& links);
  void find_stand_ins();
  std::int64_t core_offset(std::int64_t nic) const;

  FabricSpec spec_;
  Topology topo_;
  std::int64_t domain_size_ = 0;
  int devices_per_server_ = 1;
  hardware::ScaleUpSpec scale_up_;
  std::vector<NodeId> domain_switch_;     // per domain (switched scale-up)
  std::vector<NodeId> nic_node_;          // per NIC
  std::vector<std::int64_t> device_nic_;  // per device
  int nics_per_server_ = 0;
  // Clos, per plane: leaf of each NIC, and switch node ids by tier.
  int tiers_ = 0;
  std::size_t leaf_count_ = 0, spine_count_ = 0, core_count_ = 0;
  std::int64_t leaves_per_pod_ = 0, spines_per_pod_ = 0, cores_per_group_ = 0;
  std::vector<std::vector<std::int64_t>> nic_leaf_;  // [plane][nic]
  std::vector<std::vector<NodeId>> leaf_node_, spine_node_, core_node_;  // [plane][index]
  std::unordered_map<NodeId, std::pair<int, std::int64_t>> leaf_of_node_;  // leaf node -> (plane, index)
  // A cable's two links, kept by position as the Clos is built: a route indexes its hops
  // instead of looking each one up by its ends (a hash probe and a cache miss each).
  struct Cable {
    LinkId up = -1, down = -1;  // a to b, b to a
  };
  Cable cable(NodeId a, NodeId b, double bandwidth, double latency_s, LinkClass cls);
  std::vector<Cable> pcie_;                      // per device: to its NIC and back
  std::vector<std::vector<Cable>> access_;       // [plane][nic]: to its leaf and back
  std::vector<std::vector<Cable>> leaf_spine_;   // [plane][leaf x spines per pod + j]
  std::vector<std::vector<Cable>> spine_core_;   // [plane][(pod x spines per pod + j) x cores per group + c]
  bool servers_share_leaf_ = false;  // every server's NICs sit under one leaf (in each plane)
  std::vector<std::vector<LinkId>> bundles_;
  std::vector<LinkId> bundle_rep_;            // per link; empty: no bundles
  std::vector<std::uint32_t> bundle_size_;    // per link: links it stands for in routes
  std::vector<LinkId> stand_in_;              // per link; empty: every link stands for itself
  // Routes computed so far, by device pair: their hops sit in large chunks that never move
  // (a route per allocation and per hash node was a tenth of building a 16K-GPU run's
  // collectives, and as much again to free).
  FlatMap64 route_index_;             // pair key -> position in routes_
  std::vector<RouteView> routes_;
  std::vector<std::unique_ptr<Hop[]>> hop_chunks_;
  Hop* chunk_next_ = nullptr;
  std::size_t chunk_left_ = 0;
  Route route_scratch_;
  std::unordered_map<std::int64_t, std::vector<int>> explicit_dist_;  // BFS distance per source
};

}  // namespace dcsim::network
