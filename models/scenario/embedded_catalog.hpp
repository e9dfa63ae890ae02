#pragma once
// The YAML files of models/hardware/catalog/, compiled into the binary (see
// models/CMakeLists.txt), so dcsim runs from anywhere without a data path.
#include <string>

namespace dcsim::scenario::embedded {
const std::string& accelerators_yaml();
const std::string& servers_yaml();
}  // namespace dcsim::scenario::embedded
