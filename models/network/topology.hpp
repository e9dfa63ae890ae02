#pragma once
// The network as a directed graph (Boost.Graph) of devices, NICs and switches; every link
// is one direction of a cable with its own bandwidth and latency. Links live in a dense
// array (LinkId = index) that the flow model indexes directly; the Boost graph carries the
// same links for graph algorithms (connectivity checks, shortest paths on explicit
// topologies). Structured fabrics also record tiers and groups so routes are computed
// directly (routing.hpp) instead of searched.
#include <boost/graph/adjacency_list.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "models/network/flat_map.hpp"

namespace dcsim::network {

using NodeId = std::int32_t;
using LinkId = std::int32_t;

enum class NodeKind : std::uint8_t { Device, Nic, Switch };
// What a link is for: scale-up (NVLink/NeuronLink), device-NIC (PCIe), NIC-leaf (access),
// and the switch tiers of the scale-out fabric. Statistics are reported per class.
enum class LinkClass : std::uint8_t { ScaleUp, Pcie, Access, LeafSpine, SpineCore, Explicit };
inline constexpr int kLinkClassCount = 6;
std::string_view to_string(LinkClass c);

struct Node {
  NodeKind kind = NodeKind::Switch;
  std::int16_t tier = 0;    // switches: 0 scale-up, 1 leaf, 2 spine, 3 core
  std::int64_t index = 0;   // device index for devices, NIC index for NICs
  std::string name;         // explicit topologies; generated for the rest
};

struct Link {
  NodeId from = 0, to = 0;
  double bandwidth = 0;  // bytes/s
  double latency_s = 0;
  LinkClass cls = LinkClass::Explicit;
};

class Topology {
 public:
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, boost::no_property,
                                      boost::property<boost::edge_index_t, LinkId>>;

  NodeId add_node(NodeKind kind, std::int16_t tier, std::int64_t index, std::string name = {});
  // One direction. add_cable adds both, returning the forward link (the reverse is +1).
  LinkId add_link(NodeId from, NodeId to, double bandwidth, double latency_s, LinkClass cls);
  LinkId add_cable(NodeId a, NodeId b, double bandwidth, double latency_s, LinkClass cls);

  const Node& node(NodeId n) const { return nodes_[n]; }
  const Link& link(LinkId l) const { return links_[l]; }
  std::size_t node_count() const { return nodes_.size(); }
  std::size_t link_count() const { return links_.size(); }
  const std::vector<Link>& links() const { return links_; }
  const Graph& graph() const { return graph_; }
  const std::vector<LinkId>& out_links(NodeId n) const { return out_[n]; }
  // The link from a to b, or -1. Parallel cables are merged at build time, so it is unique.
  LinkId link_between(NodeId a, NodeId b) const;

  NodeId device_node(std::int64_t device) const { return device_nodes_[device]; }
  std::int64_t device_count() const { return static_cast<std::int64_t>(device_nodes_.size()); }
  std::string node_name(NodeId n) const;
  std::size_t switch_count() const;

 private:
  std::vector<Node> nodes_;
  std::vector<Link> links_;
  std::vector<std::vector<LinkId>> out_;
  std::vector<NodeId> device_nodes_;
  FlatMap64 by_ends_;  // (from, to) -> link: routes look links up by their ends
  Graph graph_;
};

}  // namespace dcsim::network
