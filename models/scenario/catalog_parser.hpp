#pragma once
// Builds the hardware catalog: the YAML shipped in models/hardware/catalog/ (embedded in
// the binary at build time) with a scenario's `catalog:` section merged over it, so a
// scenario adds chips and servers, or changes one figure of an existing one, by name.
#include "models/hardware/catalog.hpp"
#include "models/scenario/config_node.hpp"
#include "models/scenario/diagnostics.hpp"

namespace dcsim::scenario {

// The shipped catalog as one tree (accelerators.yaml and servers.yaml merged).
ConfigNode builtin_catalog_tree(Diagnostics& diag);

// `overrides` is the scenario's `catalog` node, or null. Errors go to diag.
hardware::Catalog read_catalog(const ConfigNode* overrides, const std::string& path, Diagnostics& diag);

}  // namespace dcsim::scenario
