#include "models/scenario/config_node.hpp"

#include <algorithm>
#include <fmt/format.h>

#include <deque>
#include <mutex>
#include <new>
#include <stdexcept>
#include <unordered_map>

namespace dcsim::scenario {

namespace {
// Names live in a deque (stable addresses) and are found again through a map of views into
// it. The table only grows: a process sees few distinct file names.
struct NameTable {
  std::mutex mutex;
  std::deque<std::string> names{std::string()};  // number 0 is the empty name
  std::unordered_map<std::string_view, std::uint32_t> numbers{{std::string_view(), 0}};
};
NameTable& name_table() {
  static NameTable table;
  return table;
}
}  // namespace

InternedName::InternedName(std::string_view name) {
  NameTable& t = name_table();
  std::lock_guard<std::mutex> lock(t.mutex);
  if (auto it = t.numbers.find(name); it != t.numbers.end()) {
    id_ = it->second;
    return;
  }
  if (t.names.size() > UINT32_MAX) throw std::length_error("over 4 G distinct file names");
  id_ = static_cast<std::uint32_t>(t.names.size());
  t.names.emplace_back(name);
  t.numbers.emplace(t.names.back(), id_);
}

const std::string& InternedName::str() const {
  NameTable& t = name_table();
  std::lock_guard<std::mutex> lock(t.mutex);  // a deque's index may move while another thread appends
  return t.names[id_];
}

std::string SourceLocation::to_string() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file.str(), line, column);
}

ConfigNode::ConfigNode() {}
ConfigNode::~ConfigNode() { destroy_payload(); }
ConfigNode::ConfigNode(const ConfigNode& other) : where_(other.where_) { copy_payload_from(other); }
ConfigNode::ConfigNode(ConfigNode&& other) noexcept : where_(other.where_) { move_payload_from(other); }
ConfigNode& ConfigNode::operator=(const ConfigNode& other) {
  if (this != &other) *this = ConfigNode(other);
  return *this;
}
ConfigNode& ConfigNode::operator=(ConfigNode&& other) noexcept {
  if (this == &other) return *this;
  // `other` may live inside this node (n = n.items()[0]): take it out before letting go.
  ConfigNode taken;
  taken.where_ = other.where_;
  taken.move_payload_from(other);
  destroy_payload();
  where_ = taken.where_;
  move_payload_from(taken);
  return *this;
}

void ConfigNode::destroy_payload() noexcept {
  switch (kind_) {
    case Kind::Scalar: text_.~CompactText(); break;
    case Kind::Map: members_.~CompactVector(); break;
    case Kind::Sequence: items_.~CompactVector(); break;
    case Kind::Null: break;
  }
  kind_ = Kind::Null;
}

void ConfigNode::copy_payload_from(const ConfigNode& other) {
  switch (other.kind_) {
    case Kind::Scalar: ::new (&text_) CompactText(other.text_); break;
    case Kind::Map: ::new (&members_) CompactVector<Member>(other.members_); break;
    case Kind::Sequence: ::new (&items_) CompactVector<ConfigNode>(other.items_); break;
    case Kind::Null: break;
  }
  kind_ = other.kind_;
}

// Leaves `other` null; this node's payload must be dead (null) before.
void ConfigNode::move_payload_from(ConfigNode& other) noexcept {
  switch (other.kind_) {
    case Kind::Scalar: ::new (&text_) CompactText(std::move(other.text_)); break;
    case Kind::Map: ::new (&members_) CompactVector<Member>(std::move(other.members_)); break;
    case Kind::Sequence: ::new (&items_) CompactVector<ConfigNode>(std::move(other.items_)); break;
    case Kind::Null: break;
  }
  kind_ = other.kind_;
  other.destroy_payload();
}

ConfigNode ConfigNode::scalar(std::string_view text, SourceLocation where) {
  ConfigNode n;
  ::new (&n.text_) CompactText(text);
  n.kind_ = Kind::Scalar;
  n.where_ = where;
  return n;
}

ConfigNode ConfigNode::map(SourceLocation where) {
  ConfigNode n;
  ::new (&n.members_) CompactVector<Member>();
  n.kind_ = Kind::Map;
  n.where_ = where;
  return n;
}

ConfigNode ConfigNode::sequence(SourceLocation where) {
  ConfigNode n;
  ::new (&n.items_) CompactVector<ConfigNode>();
  n.kind_ = Kind::Sequence;
  n.where_ = where;
  return n;
}

ConfigNode ConfigNode::null_at(SourceLocation where) {
  ConfigNode n;
  n.where_ = where;
  return n;
}

void ConfigNode::push_back(ConfigNode item) {
  if (!is_sequence()) throw std::logic_error("ConfigNode::push_back on a node that is not a list");
  items_.push_back(std::move(item));
}

void ConfigNode::relocate(const SourceLocation& where) {
  where_ = where;
  if (is_map())
    for (Member& m : members_) {
      m.key_where = where;
      m.value.relocate(where);
    }
  if (is_sequence())
    for (ConfigNode& item : items_) item.relocate(where);
}

const ConfigNode* ConfigNode::find(std::string_view key) const {
  if (!is_map()) return nullptr;
  auto it = std::find_if(members_.begin(), members_.end(), [&](const Member& m) { return m.key == key; });
  return it == members_.end() ? nullptr : &it->value;
}

ConfigNode* ConfigNode::find(std::string_view key) {
  return const_cast<ConfigNode*>(static_cast<const ConfigNode*>(this)->find(key));
}

void ConfigNode::set(std::string_view key, SourceLocation key_where, ConfigNode value) {
  if (kind_ != Kind::Map) {
    *this = map(key_where);
  }
  if (ConfigNode* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  members_.push_back({CompactText(key), key_where, std::move(value)});
}

void ConfigNode::erase(std::string_view key) {
  if (is_map()) members_.erase_if([&](const Member& m) { return m.key == key; });
}

void ConfigNode::merge_from(const ConfigNode& over) { merge_from(ConfigNode(over)); }

void ConfigNode::merge_from(ConfigNode&& over) {
  if (!is_map() || !over.is_map()) {
    *this = std::move(over);
    return;
  }
  // Most maps hold a handful of keys, where a linear find beats hashing; a large one gets an
  // index so merging stays linear in its size.
  constexpr std::size_t kIndexAbove = 32;
  const bool indexed = members_.size() + over.members_.size() > kIndexAbove;
  std::unordered_map<std::string, std::uint32_t> index;
  if (indexed)
    for (std::uint32_t i = 0; i < members_.size(); ++i) index.emplace(members_[i].key.str(), i);
  for (Member& m : over.members_) {
    ConfigNode* mine = nullptr;
    if (indexed) {
      if (auto it = index.find(m.key.str()); it != index.end()) mine = &members_[it->second].value;
    } else {
      mine = find(m.key);
    }
    if (mine) {
      mine->merge_from(std::move(m.value));
      continue;
    }
    if (indexed) index.emplace(m.key.str(), static_cast<std::uint32_t>(members_.size()));
    members_.push_back(std::move(m));
  }
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
