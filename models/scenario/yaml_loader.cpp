#include "models/scenario/yaml_loader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace dcsim::scenario {
namespace fs = std::filesystem;
namespace {

SourceLocation at(const std::string& file, const YAML::Mark& m) {
  if (m.is_null()) return {file, 0, 0};
  return {file, m.line + 1, m.column + 1};
}

ConfigNode convert(const YAML::Node& node, const std::string& file) {
  const SourceLocation where = at(file, node.Mark());
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return ConfigNode::scalar(node.Scalar(), where);
    case YAML::NodeType::Sequence: {
      ConfigNode seq = ConfigNode::sequence(where);
      for (const auto& item : node) seq.push_back(convert(item, file));
      return seq;
    }
    case YAML::NodeType::Map: {
      ConfigNode map = ConfigNode::map(where);
      for (const auto& kv : node) {
        // A repeated key is almost always a mistake; the later one would silently win.
        const std::string key = kv.first.Scalar();
        if (map.find(key)) throw YAML::ParserException(kv.first.Mark(), fmt::format("key \"{}\" appears twice", key));
        map.set(key, at(file, kv.first.Mark()), convert(kv.second, file));
      }
      return map;
    }
    default: return ConfigNode::null_at(where);
  }
}

ConfigNode parse(const std::string& text, const std::string& origin, Diagnostics& diag) {
  try {
    return convert(YAML::Load(text), origin);
  } catch (const YAML::Exception& e) {
    diag.error(at(origin, e.mark), "", fmt::format("invalid YAML: {}", e.msg));
    return ConfigNode();
  }
}

void load_into(const fs::path& file, const SourceLocation& included_from, std::vector<fs::path>& stack,
               ConfigNode& out, Diagnostics& diag) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(file, ec);
  if (std::find(stack.begin(), stack.end(), canonical) != stack.end()) {
    diag.error(included_from, "include", fmt::format("\"{}\" includes itself (include cycle)", file.string()));
    return;
  }
  std::ifstream in(file);
  if (!in) {
    diag.error(included_from, included_from.line ? "include" : "",
               fmt::format("cannot open \"{}\": {}", file.string(), fs::exists(file) ? "not readable" : "no such file"));
    return;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  ConfigNode doc = parse(buffer.str(), file.string(), diag);
  if (doc.is_null()) {
    if (diag.empty()) diag.error({file.string(), 1, 1}, "", "the file is empty; a scenario is a map of keys");
    return;
  }
  if (!doc.is_map()) {
    diag.error(doc.where(), "", fmt::format("a scenario file must be a map of keys, not {}", kind_name(doc.kind())));
    return;
  }
  ConfigNode merged = ConfigNode::map(doc.where());
  if (const ConfigNode* inc = doc.find("include")) {
    std::vector<const ConfigNode*> names;
    if (inc->is_scalar()) names.push_back(inc);
    else if (inc->is_sequence())
      for (const ConfigNode& item : inc->items()) names.push_back(&item);
    else
      diag.error(inc->where(), "include", "expected a file name or a list of file names");
    stack.push_back(canonical);
    for (const ConfigNode* name : names) {
      if (!name->is_scalar()) {
        diag.error(name->where(), "include", "expected a file name");
        continue;
      }
      load_into(file.parent_path() / name->text(), name->where(), stack, merged, diag);
    }
    stack.pop_back();
    doc.erase("include");
  }
  merged.merge_from(doc);
  out.merge_from(merged);
}

}  // namespace

ConfigNode parse_yaml_text(const std::string& text, const std::string& origin, Diagnostics& diag) {
  return parse(text, origin, diag);
}

ConfigNode load_yaml_file(const fs::path& file, Diagnostics& diag) {
  ConfigNode root = ConfigNode::map({file.string(), 1, 1});
  std::vector<fs::path> stack;
  load_into(file, {file.string(), 0, 0}, stack, root, diag);
  return root;
}

void apply_override(ConfigNode& root, const std::string& assignment, Diagnostics& diag) {
  const SourceLocation where{fmt::format("--set {}", assignment), 0, 0};
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    diag.error(where, "", "an override is written key.path=value, e.g. --set workload.plan.tp=4");
    return;
  }
  const std::string path = assignment.substr(0, eq);
  std::vector<std::string> keys;
  std::stringstream ss(path);
  for (std::string k; std::getline(ss, k, '.');) keys.push_back(k);
  if (std::any_of(keys.begin(), keys.end(), [](const std::string& k) { return k.empty(); })) {
    diag.error(where, path, "empty key in the key path");
    return;
  }
  Diagnostics value_diag;
  ConfigNode value = parse(assignment.substr(eq + 1), where.file, value_diag);
  if (!value_diag.empty()) {
    diag.error(where, path, "the value is not valid YAML");
    return;
  }
  if (value.is_null()) value = ConfigNode::scalar("", where);
  value.relocate(where);
  ConfigNode* node = &root;
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
    ConfigNode* next = node->is_map() ? node->find(keys[i]) : nullptr;
    if (!next || !next->is_map()) {
      node->set(keys[i], where, ConfigNode::map(where));
      next = node->find(keys[i]);
    }
    node = next;
  }
  if (!node->is_map()) *node = ConfigNode::map(where);
  node->set(keys.back(), where, std::move(value));
}

}  // namespace dcsim::scenario
