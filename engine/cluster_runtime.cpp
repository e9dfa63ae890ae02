#include "engine/cluster_runtime.hpp"

#include <fmt/format.h>

#include "models/power/cost.hpp"
#include "models/scenario/units.hpp"

namespace dcsim::engine {
using scenario::Dimension;
using scenario::format_quantity;

namespace {
hardware::Cluster make_cluster(const scenario::Scenario& s) { return hardware::Cluster(scenario::resolve_cluster(s.cluster, s.catalog)); }
[[noreturn]] void hardware_error(const scenario::Scenario& s, const std::string& section, const std::string& what) {
  throw scenario::InputError(fmt::format("{}: error: {}: {}\n", s.source, section, what));
}
}  // namespace

ClusterRuntime::ClusterRuntime(const scenario::Scenario& s, Simulator& simulator)
    : scenario(s), sim(simulator), cluster(make_cluster(s)) {
  try {
    network::FabricSpec spec = s.network.fabric;
    spec.nic_efficiency = cluster.server().nic_efficiency;
    fabric = std::make_unique<network::Fabric>(cluster, spec);
  } catch (const std::invalid_argument& e) {
    hardware_error(s, "network", e.what());
  }
  for (const network::Link& l : fabric->topology().links()) {
    const network::Node& from = fabric->topology().node(l.from);
    if (from.kind == network::NodeKind::Switch && from.tier >= 1) ++switch_ports;
  }
  network = std::make_unique<network::NetworkSim>(sim, *fabric, s.network.model);
  power::FacilitySpec facility = s.facility;
  facility.network_power_w = double(switch_ports) * s.network.switch_port_power_w;
  try {
    power = std::make_unique<power::PowerModel>(cluster, facility, Time::us(100));
  } catch (const std::invalid_argument& e) {
    hardware_error(s, "power", e.what());
  }
}

void ClusterRuntime::finish() {
  power->finish(sim.now());
  network->finish();
}

void ClusterRuntime::write_json(nlohmann::ordered_json& out, double run_seconds) const {
  const auto& p = *power;
  out["cluster"] = {{"server", cluster.server().name},
                    {"accelerator", cluster.accelerator().name},
                    {"servers", cluster.servers()},
                    {"accelerators", cluster.devices()},
                    {"racks", cluster.racks()},
                    {"halls", cluster.halls()},
                    {"scale_up_domain", cluster.domain_size()}};
  out["power"] = {{"facility_avg_w", p.facility_average_w()},
                  {"facility_peak_w", p.facility_peak_w()},
                  {"it_avg_w", run_seconds > 0 ? p.it_energy_j() / run_seconds : p.it_power_w()},
                  {"idle_it_w", p.idle_it_power_w()},
                  {"device_limit_w", p.device_limit_w()},
                  {"compute_clock", p.clock(power::Activity::Compute)},
                  {"network_w", double(switch_ports) * scenario.network.switch_port_power_w}};
  out["energy"] = {{"facility_kwh", p.facility_energy_j() / 3.6e6}, {"it_kwh", p.it_energy_j() / 3.6e6}};
  const power::Cost c = power::run_cost(scenario.cost, double(cluster.servers()), run_seconds, p.facility_energy_j());
  out["cost"] = {{"total_usd", c.total_usd()},
                 {"compute_usd", c.compute_usd},
                 {"energy_usd", c.energy_usd},
                 {"server_price_per_hour_usd", scenario.cost.server_price_per_hour},
                 {"energy_price_per_kwh_usd", scenario.cost.energy_price_per_j * 3.6e6}};
  nlohmann::ordered_json hot = nlohmann::ordered_json::array();
  for (const auto& h : network->hottest_links(10)) {
    const auto& l = fabric->topology().link(h.link);
    hot.push_back({{"from", fabric->topology().node_name(l.from)},
                   {"to", fabric->topology().node_name(l.to)},
                   {"class", network::to_string(l.cls)},
                   {"bytes", h.bytes},
                   {"utilization", h.utilization}});
  }
  out["network"] = {{"model", network->model() == network::SharingModel::Flow ? "flow" : "analytical"},
                    {"nodes", fabric->topology().node_count()},
                    {"links", fabric->topology().link_count()},
                    {"switches", fabric->topology().switch_count()},
                    {"tiers", fabric->tiers()},
                    {"routing", fabric->spec().routing == network::Routing::Spray ? "spray" : "ecmp"},
                    {"qps_per_connection", fabric->spec().qps_per_connection},
                    {"transfers", network->transfers_started()},
                    {"rate_recomputations", network->rate_recomputations()},
                    {"solves_skipped", network->solves_skipped()},
                    {"transfers_resolved", network->transfers_resolved()},
                    {"hottest_links", hot},
                    {"over_capacity", !capacity_warning().empty()}};
}

std::string ClusterRuntime::capacity_warning() const {
  if (network->model() != network::SharingModel::Analytical) return {};
  const auto hot = network->hottest_links(1);
  if (hot.empty() || hot.front().utilization <= 1.0 + 1e-9) return {};
  const auto& l = fabric->topology().link(hot.front().link);
  return fmt::format("warning: the analytical network model put {:.0f} % of its capacity on link {} -> {} (it ignores "
                     "contention): times are optimistic; `network: {{model: flow}}` shares links\n",
                     100 * hot.front().utilization, fabric->topology().node_name(l.from), fabric->topology().node_name(l.to));
}

std::string ClusterRuntime::summary(double run_seconds) const {
  const auto& p = *power;
  const power::Cost c = power::run_cost(scenario.cost, double(cluster.servers()), run_seconds, p.facility_energy_j());
  std::string out;
  out += fmt::format("  cluster             {} x {} ({} {}), {} racks\n", cluster.servers(), cluster.server().name,
                     cluster.devices(), cluster.accelerator().name, cluster.racks());
  out += fmt::format("  power               {} average, {} peak (facility)\n",
                     format_quantity(p.facility_average_w(), Dimension::Power),
                     format_quantity(p.facility_peak_w(), Dimension::Power));
  out += fmt::format("  energy              {}\n", format_quantity(p.facility_energy_j(), Dimension::Energy));
  out += fmt::format("  cost                {}\n", format_quantity(c.total_usd(), Dimension::Money));
  return out;
}

}  // namespace dcsim::engine
