#pragma once
// A server (instance) type from the catalog.
#include <map>
#include <string>
#include <vector>

namespace dcsim::hardware {

enum class ScaleUpTopology { NvSwitch, Torus2D, Switched };

struct ScaleUpSpec {
  ScaleUpTopology topology = ScaleUpTopology::NvSwitch;
  double bandwidth = 0;        // bytes/s per device, total bidirectional
  int domain_servers = 1;      // servers sharing one scale-up domain
  std::vector<int> torus;      // torus dimensions inside a server (Torus2D)
  double ring_bandwidth = 0;   // bytes/s per device on the ring joining a domain's servers
};

struct ServerSpec {
  std::string name;
  std::string accelerator;
  int accelerators = 0;
  ScaleUpSpec scale_up;
  int nics = 0;
  double nic_bandwidth = 0;  // bytes/s per NIC, one direction
  double nic_efficiency = 1.0;  // share of it a collective reaches (docs/network.md, "Transport")
  double host_power_w = 0;
  double price_per_hour = 0;  // USD
  std::map<std::string, std::string> sources;

  int domain_size() const { return accelerators * scale_up.domain_servers; }
};

std::string_view to_string(ScaleUpTopology t);

}  // namespace dcsim::hardware
