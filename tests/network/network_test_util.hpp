#pragma once
// Small hand-checkable networks for the tests.
#include <string>

#include "models/network/fabric.hpp"

namespace dcsim::testing {

// n devices on one switch; every link `bw` bytes/s and `lat` seconds each way, so every
// device-to-device path has bandwidth bw and latency 2 lat.
inline network::FabricSpec star(int n, double bw, double lat) {
  network::FabricSpec s;
  s.kind = network::FabricKind::Explicit;
  s.nodes.push_back({"sw", network::NodeKind::Switch});
  for (int i = 0; i < n; ++i) {
    s.nodes.push_back({"d" + std::to_string(i), network::NodeKind::Device});
    s.links.push_back({"d" + std::to_string(i), "sw", bw, lat, true});
  }
  return s;
}

}  // namespace dcsim::testing
