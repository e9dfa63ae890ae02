#include "models/scenario/network_section.hpp"

#include <fmt/format.h>

#include <set>

namespace dcsim::scenario {

void read_network(MapReader& r, NetworkConfig& out) {
  out.model = r.choice("model", {"flow", "analytical"}, "flow") == "analytical" ? network::SharingModel::Analytical
                                                                                : network::SharingModel::Flow;
  auto& f = out.fabric;
  f.routing = r.choice("routing", {"ecmp", "spray"}, "ecmp") == "spray" ? network::Routing::Spray : network::Routing::Ecmp;
  f.qps_per_connection = static_cast<int>(r.integer("qps_per_connection", 1, 1, 64));
  if (f.qps_per_connection > 1 && f.routing == network::Routing::Spray)
    r.error("qps_per_connection", "queue pairs are hashed by ECMP; sprayed routing already splits every transfer "
                                  "over all equal-cost paths (use routing: ecmp, or leave qps_per_connection at 1)");
  f.pcie_bandwidth = r.quantity("pcie_bandwidth", Dimension::Bandwidth, f.pcie_bandwidth, 0.0, true);
  f.scale_up_efficiency = r.number("scale_up_efficiency", f.scale_up_efficiency, 0.05, 1.0);
  out.switch_port_power_w = r.quantity("switch_port_power", Dimension::Power, out.switch_port_power_w);

  MapReader lat = r.map("latency");
  f.scale_up_latency_s = lat.quantity("scale_up", Dimension::Duration, f.scale_up_latency_s);
  f.pcie_latency_s = lat.quantity("pcie", Dimension::Duration, f.pcie_latency_s);
  f.access_latency_s = lat.quantity("access", Dimension::Duration, f.access_latency_s);
  f.switch_latency_s = lat.quantity("switch", Dimension::Duration, f.switch_latency_s);
  lat.finish();

  MapReader tr = r.map("transport");
  out.transport_given = tr.present();
  f.scale_up_step_s = tr.quantity("scale_up_step", Dimension::Duration, f.scale_up_step_s);
  f.scale_out_step_s = tr.quantity("scale_out_step", Dimension::Duration, f.scale_out_step_s);
  tr.finish();

  MapReader so = r.map("scale_out");
  const std::string topo = so.choice("topology", {"rail_optimized", "fat_tree", "explicit", "none"}, "rail_optimized");
  f.kind = topo == "fat_tree"   ? network::FabricKind::FatTree
           : topo == "explicit" ? network::FabricKind::Explicit
           : topo == "none"     ? network::FabricKind::None
                                : network::FabricKind::RailOptimized;
  const std::string tiers = so.choice("tiers", {"auto", "2", "3"}, "auto");
  f.tiers = tiers == "auto" ? 0 : std::stoi(tiers);
  f.radix = static_cast<int>(so.integer("radix", 64, 4, 1024));
  f.oversubscription = so.number("oversubscription", 1.0, 0.01, 64.0);
  f.planes = static_cast<int>(so.integer("planes", 1, 1, 16));
  f.link_bandwidth = so.quantity("link_bandwidth", Dimension::Bandwidth, 0.0);
  so.finish();

  MapReader ex = r.map("explicit", f.kind == network::FabricKind::Explicit);
  if (ex.present() && f.kind != network::FabricKind::Explicit)
    ex.error("nodes", "an explicit graph is given but network.scale_out.topology is not explicit");
  std::set<std::string> names;
  ex.for_each_map("nodes", [&](MapReader& n, std::size_t) {
    network::ExplicitNode node;
    node.name = n.string("name");
    const std::string kind = n.choice("kind", {"device", "nic", "switch"});
    node.kind = kind == "device" ? network::NodeKind::Device
                : kind == "nic"  ? network::NodeKind::Nic
                                 : network::NodeKind::Switch;
    if (!names.insert(node.name).second) n.error("name", fmt::format("node \"{}\" is defined twice", node.name));
    f.nodes.push_back(node);
  }, ex.present());
  ex.for_each_map("links", [&](MapReader& l, std::size_t) {
    network::ExplicitLink link;
    link.from = l.string("from");
    link.to = l.string("to");
    link.bandwidth = l.quantity("bandwidth", Dimension::Bandwidth, std::nullopt, 0.0, true);
    link.latency_s = l.quantity("latency", Dimension::Duration, 0.0);
    link.duplex = l.boolean("duplex", true);
    for (const auto* end : {&link.from, &link.to})
      if (!end->empty() && !names.count(*end)) {
        std::vector<std::string> all(names.begin(), names.end());
        std::string msg = fmt::format("\"{}\" is not a node of this topology", *end);
        if (auto guess = closest_match(*end, all)) msg += fmt::format("; did you mean \"{}\"?", *guess);
        l.error(end == &link.from ? "from" : "to", msg);
      }
    f.links.push_back(link);
  }, ex.present());
  ex.finish();
}

}  // namespace dcsim::scenario
