#pragma once
// The models a cluster scenario runs on, built from a validated Scenario: the cluster
// layout, its network (fabric + bandwidth sharing) and its power model.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "models/hardware/cluster.hpp"
#include "models/network/fabric.hpp"
#include "models/network/network_sim.hpp"
#include "models/power/power_model.hpp"
#include "models/scenario/scenario.hpp"
#include "sim/simulator.hpp"

namespace dcsim::engine {

struct ClusterRuntime {
  // Throws scenario::InputError when the hardware described cannot be built (a fabric that
  // does not fit its radix, a power cap below idle power).
  ClusterRuntime(const scenario::Scenario& s, Simulator& sim);

  const scenario::Scenario& scenario;
  Simulator& sim;
  hardware::Cluster cluster;
  std::unique_ptr<network::Fabric> fabric;
  std::unique_ptr<network::NetworkSim> network;
  std::unique_ptr<power::PowerModel> power;
  std::size_t switch_ports = 0;

  // Closes power and network records at the current time.
  void finish();
  // power, energy, cost and network sections of results.json.
  void write_json(nlohmann::ordered_json& out, double run_seconds) const;
  // A warning when the analytical model has put more bytes on a link than it can carry over
  // the run (it ignores contention): the run's times are then optimistic. Empty otherwise.
  std::string capacity_warning() const;
  std::string summary(double run_seconds) const;  // the power/energy/cost lines
};

}  // namespace dcsim::engine
