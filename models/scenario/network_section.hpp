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
  bool transport_given = false;     // network.transport set by the scenario
};

// NCCL's per-step latencies (Simple protocol, NCCL 2.30 tuner: base 8.4 us + NVLink 3.4 us or
// network 14 us per step), for workloads that communicate through NCCL (training, collectives).
inline constexpr double kNcclStepScaleUp = 3.4e-6;
inline constexpr double kNcclStepScaleOut = 14e-6;

void read_network(MapReader& r, NetworkConfig& out);

}  // namespace dcsim::scenario
