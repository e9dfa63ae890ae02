#pragma once
// A YAML document as a tree that remembers where every value came from (file, line,
// column, or a --set override), so errors can point at it after includes and overrides
// have been merged. yaml-cpp parses; this tree only adds provenance and merging.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dcsim::scenario {

// A file name kept once however many locations point into the file (a 50 MB scenario has
// millions of nodes, each with a location).
class InternedName {
 public:
  InternedName();
  InternedName(const std::string& name);  // NOLINT: implicit, so locations read like strings
  InternedName(const char* name) : InternedName(std::string(name)) {}
  operator const std::string&() const { return *name_; }
  const std::string& str() const { return *name_; }
  friend bool operator==(const InternedName& a, const InternedName& b) { return a.name_ == b.name_; }
  friend bool operator<(const InternedName& a, const InternedName& b) { return *a.name_ < *b.name_; }

 private:
  const std::string* name_;
};

struct SourceLocation {
  InternedName file;  // a path, or "--set ..." for a command-line override
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;
  std::string to_string() const;
};

class ConfigNode {
 public:
  enum class Kind { Null, Scalar, Map, Sequence };

  // Special members are defined where Member is complete (config_node.cpp): a vector of an
  // incomplete type may be declared, not copied or destroyed.
  ConfigNode();
  ~ConfigNode();
  ConfigNode(const ConfigNode&);
  ConfigNode(ConfigNode&&) noexcept;
  ConfigNode& operator=(const ConfigNode&);
  ConfigNode& operator=(ConfigNode&&) noexcept;
  static ConfigNode scalar(std::string text, SourceLocation where);
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
  const std::string& text() const { return text_; }
  const SourceLocation& where() const { return where_; }

  // Maps keep their keys in file order.
  struct Member;
  const std::vector<Member>& members() const { return members_; }
  const ConfigNode* find(const std::string& key) const;
  ConfigNode* find(const std::string& key);
  void set(std::string key, SourceLocation key_where, ConfigNode value);
  void erase(const std::string& key);

  const std::vector<ConfigNode>& items() const { return items_; }
  void push_back(ConfigNode item) { items_.push_back(std::move(item)); }

  // Deep merge: maps merge key by key, anything else in `over` replaces what is here.
  void merge_from(const ConfigNode& over);
  void merge_from(ConfigNode&& over);  // the same, taking `over`'s nodes instead of copying

 private:
  Kind kind_ = Kind::Null;
  std::string text_;
  SourceLocation where_;
  std::vector<Member> members_;
  std::vector<ConfigNode> items_;
};

struct ConfigNode::Member {
  std::string key;
  SourceLocation key_where;
  ConfigNode value;
};

std::string kind_name(ConfigNode::Kind k);

}  // namespace dcsim::scenario
