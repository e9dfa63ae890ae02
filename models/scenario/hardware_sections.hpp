#pragma once
// The scenario's hardware sections: `cluster:`, `power:` and `cost:`.
#include <cstdint>
#include <string>

#include "models/hardware/catalog.hpp"
#include "models/hardware/cluster.hpp"
#include "models/power/cost.hpp"
#include "models/power/power_model.hpp"
#include "models/scenario/reader.hpp"

namespace dcsim::scenario {

struct ClusterConfig {
  std::string server;
  std::int64_t servers = 0;
  std::int64_t servers_per_rack = 1;
  std::int64_t racks_per_hall = 0;
  int domain_servers = 0;  // 0: the server's
  bool present = false;
};

// Needs the catalog to check the server name. `accelerators:` may replace `servers:`.
void read_cluster(MapReader& r, const hardware::Catalog& catalog, ClusterConfig& out);
// `chip` (null when the cluster is unknown) bounds a board power limit by its TDP.
void read_power(MapReader& r, power::FacilitySpec& out, const hardware::AcceleratorSpec* chip);
void read_cost(MapReader& r, power::CostSpec& out, double catalog_price);

// A ClusterSpec pointing into `catalog` (which must outlive it).
hardware::ClusterSpec resolve_cluster(const ClusterConfig& c, const hardware::Catalog& catalog);

}  // namespace dcsim::scenario
