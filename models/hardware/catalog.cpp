#include "models/hardware/catalog.hpp"

namespace dcsim::hardware {

const AcceleratorSpec* Catalog::accelerator(const std::string& name) const {
  auto it = accelerators.find(name);
  return it == accelerators.end() ? nullptr : &it->second;
}

const ServerSpec* Catalog::server(const std::string& name) const {
  auto it = servers.find(name);
  return it == servers.end() ? nullptr : &it->second;
}

std::vector<std::string> Catalog::accelerator_names() const {
  std::vector<std::string> out;
  for (const auto& [name, spec] : accelerators) out.push_back(name);
  return out;
}

std::vector<std::string> Catalog::server_names() const {
  std::vector<std::string> out;
  for (const auto& [name, spec] : servers) out.push_back(name);
  return out;
}

std::string_view to_string(ScaleUpTopology t) {
  switch (t) {
    case ScaleUpTopology::NvSwitch: return "nvswitch";
    case ScaleUpTopology::Torus2D: return "torus2d";
    case ScaleUpTopology::Switched: return "switched";
  }
  return "?";
}

}  // namespace dcsim::hardware
