#pragma once
// The scenario's `network:` section: sharing model, routing, scale-out fabric, latencies,
// or an explicit graph of nodes and links.
#include "models/network/fabric.hpp"
#include "models/network/network_sim.hpp"
#include "models/scenario/reader.hpp"

namespace dcsim::scenario {

struct NetworkConfig {
  network::SharingModel model = network::SharingModel::Flow;
  network::FabricSpec fabric;
  double switch_port_power_w = 25;  // [A] ~1.6 kW for a 64-port switch with optics
};

void read_network(MapReader& r, NetworkConfig& out);

}  // namespace dcsim::scenario
