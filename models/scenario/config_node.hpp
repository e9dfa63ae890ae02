#pragma once
// A YAML document as a tree that remembers where every value came from (file, line,
// column, or a --set override), so errors can point at it after includes and overrides
// have been merged. yaml-cpp parses; this tree only adds provenance and merging.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "models/scenario/compact_text.hpp"
#include "models/scenario/compact_vector.hpp"

namespace dcsim::scenario {

// A file name kept once however many locations point into the file (a 50 MB scenario has
// millions of nodes, each with a location): 4 bytes, the name's number in a process-wide table.
class InternedName {
 public:
  InternedName() = default;  // the empty name
  InternedName(std::string_view name);  // NOLINT: implicit, so locations read like strings
  InternedName(const std::string& name) : InternedName(std::string_view(name)) {}  // NOLINT
  InternedName(const char* name) : InternedName(std::string_view(name)) {}          // NOLINT
  operator const std::string&() const { return str(); }
  const std::string& str() const;
  friend bool operator==(const InternedName& a, const InternedName& b) { return a.id_ == b.id_; }
  friend bool operator<(const InternedName& a, const InternedName& b) { return a.str() < b.str(); }

 private:
  std::uint32_t id_ = 0;
};

struct SourceLocation {
  InternedName file;  // a path, or "--set ..." for a command-line override
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;
  std::string to_string() const;
};

class ConfigNode {
 public:
  enum class Kind : std::uint8_t { Null, Scalar, Map, Sequence };

  // Special members are defined where Member is complete (config_node.cpp): a vector of an
  // incomplete type may be declared, not copied or destroyed.
  ConfigNode();
  ~ConfigNode();
  ConfigNode(const ConfigNode&);
  ConfigNode(ConfigNode&&) noexcept;
  ConfigNode& operator=(const ConfigNode&);
  ConfigNode& operator=(ConfigNode&&) noexcept;
  static ConfigNode scalar(std::string_view text, SourceLocation where);
  static ConfigNode map(SourceLocation where);
  static ConfigNode sequence(SourceLocation where);
  static ConfigNode null_at(SourceLocation where);
  // Points this node and everything under it at one place (used for --set values).
  void relocate(const SourceLocation& where);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_scalar() const { return kind_ == Kind::Scalar; }
  bool is_map() const { return kind_ == Kind::Map; }
  bool is_sequence() const { return kind_ == Kind::Sequence; }
  std::string_view text() const { return is_scalar() ? text_.view() : std::string_view(); }
  const SourceLocation& where() const { return where_; }

  // Maps keep their keys in file order.
  struct Member;
  std::span<const Member> members() const;
  const ConfigNode* find(std::string_view key) const;
  ConfigNode* find(std::string_view key);
  void set(std::string_view key, SourceLocation key_where, ConfigNode value);
  void erase(std::string_view key);

  std::span<const ConfigNode> items() const { return is_sequence() ? items_.span() : std::span<const ConfigNode>(); }
  void push_back(ConfigNode item);  // only on a sequence

  // Deep merge: maps merge key by key, anything else in `over` replaces what is here.
  void merge_from(const ConfigNode& over);
  void merge_from(ConfigNode&& over);  // the same, taking `over`'s nodes instead of copying

 private:
  // Which of the union is alive follows kind_: text_ for a scalar, members_ for a map,
  // items_ for a sequence, none for null. 32 bytes a node; a 50 MB scenario has millions.
  void destroy_payload() noexcept;
  void copy_payload_from(const ConfigNode& other);
  void move_payload_from(ConfigNode& other) noexcept;

  SourceLocation where_;
  Kind kind_ = Kind::Null;
  union {
    CompactText text_;
    CompactVector<Member> members_;
    CompactVector<ConfigNode> items_;
  };
};

struct ConfigNode::Member {
  CompactText key;
  SourceLocation key_where;
  ConfigNode value;
};
inline std::span<const ConfigNode::Member> ConfigNode::members() const {
  return is_map() ? members_.span() : std::span<const Member>();
}

std::string kind_name(ConfigNode::Kind k);

}  // namespace dcsim::scenario
