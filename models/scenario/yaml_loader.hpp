#pragma once
// Loads a scenario file into a ConfigNode tree: parses YAML (yaml-cpp), resolves `include:`
// (paths relative to the including file, included content first, the includer's own keys
// merged over it), and applies `--set key.path=value` overrides.
#include <filesystem>
#include <string>
#include <vector>

#include "models/scenario/config_node.hpp"
#include "models/scenario/diagnostics.hpp"

namespace dcsim::scenario {

// Returns the merged tree; problems go to `diag` (the tree may then be partial).
ConfigNode load_yaml_file(const std::filesystem::path& file, Diagnostics& diag);
// Parses YAML text that came from somewhere other than a file (tests, --set values).
ConfigNode parse_yaml_text(const std::string& text, const std::string& origin, Diagnostics& diag);
// "a.b.c=value": the value is read as YAML, so `--set x=[1, 2]` gives a list.
void apply_override(ConfigNode& root, const std::string& assignment, Diagnostics& diag);

}  // namespace dcsim::scenario
