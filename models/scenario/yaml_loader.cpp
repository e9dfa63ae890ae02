#include "models/scenario/yaml_loader.hpp"

#include <yaml-cpp/exceptions.h>

#include "models/scenario/yaml_events.hpp"

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

// Limits that keep a hostile file from taking the machine: a scenario (or an include) of at
// most 256 MiB, and a document of at most 1 M nodes plus 16 per byte of text (YAML aliases
// are expanded by copying, so a few hundred bytes of nested aliases could otherwise become
// billions of nodes); nesting at most 256 deep.
constexpr std::uintmax_t kMaxFileBytes = 256ull << 20;
constexpr std::size_t kMaxDepth = 256;

ConfigNode parse(const std::string& text, const std::string& origin, Diagnostics& diag) {
  try {
    return build_config_tree(text, origin, {1'000'000 + 16 * text.size(), kMaxDepth});
  } catch (const YAML::Exception& e) {
    diag.error(at(origin, e.mark), "", fmt::format("invalid YAML: {}", e.msg));
    return ConfigNode();
  }
}

// The whole file in one string, read in blocks, stopping one byte past the limit (the file
// may grow while it is read).
std::string read_all(std::istream& in, std::uintmax_t expected_size) {
  std::string text;
  text.reserve(static_cast<std::size_t>(std::min(expected_size, kMaxFileBytes)));
  char block[1 << 16];
  while (text.size() <= kMaxFileBytes && (in.read(block, sizeof block) || in.gcount() > 0))
    text.append(block, static_cast<std::size_t>(in.gcount()));
  return text;
}

void load_into(const fs::path& file, const SourceLocation& included_from, std::vector<fs::path>& stack,
               ConfigNode& out, Diagnostics& diag) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(file, ec);
  if (std::find(stack.begin(), stack.end(), canonical) != stack.end()) {
    diag.error(included_from, "include", fmt::format("\"{}\" includes itself (include cycle)", file.string()));
    return;
  }
  const std::string where_key = included_from.line ? "include" : "";
  if (fs::exists(file, ec) && !fs::is_regular_file(file, ec)) {
    diag.error(included_from, where_key,
               fmt::format("\"{}\" is not a regular file (a directory, device or pipe); a scenario is a YAML file",
                           file.string()));
    return;
  }
  if (fs::exists(file, ec) && fs::file_size(file, ec) > kMaxFileBytes) {
    diag.error(included_from, where_key,
               fmt::format("\"{}\" is {} bytes; allowed: up to {} bytes", file.string(), fs::file_size(file, ec), kMaxFileBytes));
    return;
  }
  std::ifstream in(file);
  if (!in) {
    // The error_code overloads only: a name the system refuses (too long, say) is bad input,
    // not an exception.
    const bool exists = fs::exists(file, ec);
    diag.error(included_from, included_from.line ? "include" : "",
               fmt::format("cannot open \"{}\": {}", file.string(),
                           exists ? "not readable" : ec ? ec.message() : "no such file"));
    return;
  }
  const std::string text = read_all(in, fs::file_size(file, ec));
  if (text.size() > kMaxFileBytes) {
    diag.error(included_from, where_key,
               fmt::format("\"{}\" is over {} bytes; allowed: up to {} bytes", file.string(), kMaxFileBytes, kMaxFileBytes));
    return;
  }
  ConfigNode doc = parse(text, file.string(), diag);
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
  merged.merge_from(std::move(doc));
  out.merge_from(std::move(merged));
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
    diag.error(where, "", "an override is written key.path=value, e.g. --set workload.parallelism.tp=4");
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
  if (keys.size() > kMaxDepth) {
    diag.error(where, "", fmt::format("a key path of {} keys; allowed: up to {}", keys.size(), kMaxDepth));
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
