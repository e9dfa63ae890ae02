#include "models/scenario/hardware_sections.hpp"

#include <fmt/format.h>

namespace dcsim::scenario {

void read_cluster(MapReader& r, const hardware::Catalog& catalog, ClusterConfig& out) {
  out.present = r.present();
  if (!out.present) return;
  out.server = r.choice("server", catalog.server_names());
  const hardware::ServerSpec* spec = catalog.server(out.server);
  const int per_server = spec ? spec->accelerators : 1;
  if (r.has("accelerators") == r.has("servers")) {
    r.error(r.has("servers") ? "accelerators" : "servers",
            "give the cluster size as exactly one of `servers` or `accelerators`");
  }
  if (r.has("accelerators")) {
    const std::int64_t n = r.integer("accelerators", std::nullopt, 1, 100'000'000);
    if (n % per_server != 0)
      r.error("accelerators", fmt::format("{} is not a multiple of the {} accelerators per {} server", n, per_server, out.server));
    out.servers = n / per_server;
  } else {
    out.servers = r.integer("servers", 1, 1, 10'000'000);
    r.raw("accelerators");
  }
  const std::int64_t full_domain = spec ? spec->scale_up.domain_servers : 1;
  // A run on part of each scale-up domain (128 GPUs on two NVL72 racks) gives its own.
  out.domain_servers = int(r.integer("domain_servers", full_domain, 1, full_domain));
  const std::int64_t domain = out.domain_servers;
  out.servers_per_rack = r.integer("servers_per_rack", domain > 1 ? domain : 4, 1, 1024);
  out.racks_per_hall = r.integer("racks_per_hall", 0, 0);
  if (spec && domain > 1 && out.servers % domain != 0)
    r.error("servers", fmt::format("{} servers do not fill whole scale-up domains of {} servers ({})", out.servers,
                                   domain, out.server));
}

void read_power(MapReader& r, power::FacilitySpec& out, const hardware::AcceleratorSpec* chip) {
  // PUE: one number, or {idle, full} for a value that falls linearly with IT load.
  const ConfigNode* pue = r.raw("pue");
  if (pue && pue->is_map()) {
    MapReader m(pue, r.key_path("pue"), r.diagnostics());
    out.pue.at_idle = m.number("idle", std::nullopt, 1.0, 5.0);
    out.pue.at_full = m.number("full", std::nullopt, 1.0, 5.0);
    m.finish();
  } else {
    out.pue.at_idle = out.pue.at_full = r.number("pue", 1.2, 1.0, 5.0);
  }
  // A board power limit (nvidia-smi -pl): between the chip's idle draw and its TDP.
  out.device_limit_w = r.quantity("device_limit", Dimension::Power, 0.0);
  if (chip && out.device_limit_w > 0 &&
      (out.device_limit_w > chip->power.max_w || out.device_limit_w <= chip->power.idle_w))
    r.error("device_limit", fmt::format("{:g} W is outside {}'s range: above its idle draw ({:g} W) and at most its "
                                        "TDP ({:g} W)",
                                        out.device_limit_w, chip->name, chip->power.idle_w, chip->power.max_w));
  out.rack_limit_w = r.quantity("rack_limit", Dimension::Power, 0.0);
  out.facility_limit_w = r.quantity("facility_limit", Dimension::Power, 0.0);
}

void read_cost(MapReader& r, power::CostSpec& out, double catalog_price) {
  out.server_price_per_hour = r.quantity("server_price", Dimension::MoneyPerHour, catalog_price);
  // 0.08 USD/kWh: about the US industrial average electricity price (EIA, 2024) [S].
  out.energy_price_per_j = r.quantity("energy_price", Dimension::MoneyPerEnergy, 0.08 / 3.6e6);
}

hardware::ClusterSpec resolve_cluster(const ClusterConfig& c, const hardware::Catalog& catalog) {
  hardware::ClusterSpec spec;
  spec.server = catalog.server(c.server);
  spec.accelerator = spec.server ? catalog.accelerator(spec.server->accelerator) : nullptr;
  spec.servers = c.servers;
  spec.servers_per_rack = c.servers_per_rack;
  spec.racks_per_hall = c.racks_per_hall;
  spec.domain_servers = c.domain_servers;
  return spec;
}

}  // namespace dcsim::scenario
