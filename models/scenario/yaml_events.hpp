#pragma once
// YAML text to a ConfigNode tree straight from yaml-cpp's parser events, without building
// yaml-cpp's own node graph first: memory stays a small multiple of the text, and a hostile
// document is stopped early. Limits: nodes (aliases are expanded by copying, so each copy
// counts) and nesting depth.
#include <cstddef>
#include <string>

#include "models/scenario/config_node.hpp"

namespace dcsim::scenario {

struct YamlLimits {
  std::size_t max_nodes = 0;
  std::size_t max_depth = 0;
};

// The first document of `text` (a null node when there is none). Throws YAML::Exception with
// the position for invalid YAML, a repeated key, a key that is not a scalar, or a limit.
ConfigNode build_config_tree(const std::string& text, const std::string& origin, const YamlLimits& limits);

}  // namespace dcsim::scenario
