#include "models/network/topology.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace dcsim::network {
namespace {
std::uint64_t ends_key(NodeId a, NodeId b) { return (std::uint64_t(std::uint32_t(a)) << 32) | std::uint32_t(b); }
}  // namespace

std::string_view to_string(LinkClass c) {
  switch (c) {
    case LinkClass::ScaleUp: return "scale_up";
    case LinkClass::Pcie: return "pcie";
    case LinkClass::Access: return "access";
    case LinkClass::LeafSpine: return "leaf_spine";
    case LinkClass::SpineCore: return "spine_core";
    case LinkClass::Explicit: return "explicit";
  }
  return "?";
}

NodeId Topology::add_node(NodeKind kind, std::int16_t tier, std::int64_t index, std::string name) {
  const auto id = static_cast<NodeId>(nodes_.size());
  nodes_.push_back({kind, tier, index, std::move(name)});
  out_.emplace_back();
  boost::add_vertex(graph_);
  if (kind == NodeKind::Device) {
    if (index != static_cast<std::int64_t>(device_nodes_.size()))
      throw std::logic_error("devices must be added in index order");
    device_nodes_.push_back(id);
  }
  return id;
}

LinkId Topology::add_link(NodeId from, NodeId to, double bandwidth, double latency_s, LinkClass cls) {
  if (bandwidth <= 0) throw std::invalid_argument("link bandwidth must be positive");
  if (const std::uint32_t existing = by_ends_.find(ends_key(from, to)); existing != FlatMap64::kMissing) {
    links_[existing].bandwidth += bandwidth;  // a parallel cable adds capacity
    return LinkId(existing);
  }
  const auto id = static_cast<LinkId>(links_.size());
  links_.push_back({from, to, bandwidth, latency_s, cls});
  out_[from].push_back(id);
  by_ends_.set(ends_key(from, to), std::uint32_t(id));
  boost::add_edge(static_cast<std::size_t>(from), static_cast<std::size_t>(to), id, graph_);
  return id;
}

LinkId Topology::add_cable(NodeId a, NodeId b, double bandwidth, double latency_s, LinkClass cls) {
  const LinkId forward = add_link(a, b, bandwidth, latency_s, cls);
  add_link(b, a, bandwidth, latency_s, cls);
  return forward;
}

LinkId Topology::link_between(NodeId a, NodeId b) const {
  const std::uint32_t l = by_ends_.find(ends_key(a, b));
  return l == FlatMap64::kMissing ? -1 : LinkId(l);
}

std::string Topology::node_name(NodeId n) const {
  const Node& node = nodes_[n];
  if (!node.name.empty()) return node.name;
  switch (node.kind) {
    case NodeKind::Device: return fmt::format("dev{}", node.index);
    case NodeKind::Nic: return fmt::format("nic{}", node.index);
    case NodeKind::Switch: {
      static const char* tiers[] = {"scaleup", "leaf", "spine", "core"};
      return fmt::format("{}{}", tiers[std::min<int>(node.tier, 3)], node.index);
    }
  }
  return "?";
}

std::size_t Topology::switch_count() const {
  std::size_t n = 0;
  for (const Node& node : nodes_) n += node.kind == NodeKind::Switch && node.tier > 0;
  return n;
}

}  // namespace dcsim::network
