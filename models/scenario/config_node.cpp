#include "models/scenario/config_node.hpp"

#include <algorithm>
#include <fmt/format.h>

#include <mutex>
#include <unordered_set>

namespace dcsim::scenario {

ConfigNode::ConfigNode() = default;
ConfigNode::~ConfigNode() = default;
ConfigNode::ConfigNode(const ConfigNode&) = default;
ConfigNode::ConfigNode(ConfigNode&&) noexcept = default;
ConfigNode& ConfigNode::operator=(const ConfigNode&) = default;
ConfigNode& ConfigNode::operator=(ConfigNode&&) noexcept = default;

namespace {
const std::string* intern(const std::string& name) {
  static std::mutex mutex;
  static std::unordered_set<std::string> pool;  // node-based: addresses stay put
  std::lock_guard<std::mutex> lock(mutex);
  return &*pool.insert(name).first;
}
}  // namespace

InternedName::InternedName() : name_(intern({})) {}
InternedName::InternedName(const std::string& name) : name_(intern(name)) {}

std::string SourceLocation::to_string() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file.str(), line, column);
}

ConfigNode ConfigNode::scalar(std::string text, SourceLocation where) {
  ConfigNode n;
  n.kind_ = Kind::Scalar;
  n.text_ = std::move(text);
  n.where_ = std::move(where);
  return n;
}

ConfigNode ConfigNode::map(SourceLocation where) {
  ConfigNode n;
  n.kind_ = Kind::Map;
  n.where_ = std::move(where);
  return n;
}

ConfigNode ConfigNode::sequence(SourceLocation where) {
  ConfigNode n;
  n.kind_ = Kind::Sequence;
  n.where_ = std::move(where);
  return n;
}

ConfigNode ConfigNode::null_at(SourceLocation where) {
  ConfigNode n;
  n.where_ = std::move(where);
  return n;
}

void ConfigNode::relocate(const SourceLocation& where) {
  where_ = where;
  for (Member& m : members_) {
    m.key_where = where;
    m.value.relocate(where);
  }
  for (ConfigNode& item : items_) item.relocate(where);
}

const ConfigNode* ConfigNode::find(const std::string& key) const {
  auto it = std::find_if(members_.begin(), members_.end(), [&](const Member& m) { return m.key == key; });
  return it == members_.end() ? nullptr : &it->value;
}

ConfigNode* ConfigNode::find(const std::string& key) {
  return const_cast<ConfigNode*>(static_cast<const ConfigNode*>(this)->find(key));
}

void ConfigNode::set(std::string key, SourceLocation key_where, ConfigNode value) {
  if (kind_ != Kind::Map) {
    *this = map(key_where);
  }
  if (ConfigNode* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  members_.push_back({std::move(key), std::move(key_where), std::move(value)});
}

void ConfigNode::erase(const std::string& key) {
  std::erase_if(members_, [&](const Member& m) { return m.key == key; });
}

void ConfigNode::merge_from(const ConfigNode& over) {
  if (kind_ == Kind::Map && over.kind_ == Kind::Map) {
    for (const Member& m : over.members_) {
      if (ConfigNode* mine = find(m.key))
        mine->merge_from(m.value);
      else
        members_.push_back(m);
    }
    return;
  }
  *this = over;
}

void ConfigNode::merge_from(ConfigNode&& over) {
  if (kind_ == Kind::Map && over.kind_ == Kind::Map) {
    for (Member& m : over.members_) {
      if (ConfigNode* mine = find(m.key))
        mine->merge_from(std::move(m.value));
      else
        members_.push_back(std::move(m));
    }
    return;
  }
  *this = std::move(over);
}

std::string kind_name(ConfigNode::Kind k) {
  switch (k) {
    case ConfigNode::Kind::Null: return "nothing";
    case ConfigNode::Kind::Scalar: return "a single value";
    case ConfigNode::Kind::Map: return "a map of keys";
    case ConfigNode::Kind::Sequence: return "a list";
  }
  return "?";
}

}  // namespace dcsim::scenario
