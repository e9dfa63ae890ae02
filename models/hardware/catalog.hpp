#pragma once
// The hardware catalog: accelerators and servers by name. Filled from the YAML files in
// models/hardware/catalog/ by the scenario layer, and extendable from a scenario.
#include <map>
#include <string>
#include <vector>

#include "models/hardware/accelerator.hpp"
#include "models/hardware/server.hpp"

namespace dcsim::hardware {

struct Catalog {
  std::map<std::string, AcceleratorSpec> accelerators;
  std::map<std::string, ServerSpec> servers;

  const AcceleratorSpec* accelerator(const std::string& name) const;
  const ServerSpec* server(const std::string& name) const;
  std::vector<std::string> accelerator_names() const;
  std::vector<std::string> server_names() const;
};

}  // namespace dcsim::hardware
