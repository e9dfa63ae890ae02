#include "models/scenario/yaml_events.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <istream>
#include <map>
#include <optional>
#include <streambuf>
#include <unordered_set>
#include <vector>

namespace dcsim::scenario {
namespace {

class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(std::string origin, const YamlLimits& limits) : origin_(std::move(origin)), limits_(limits) {}

  std::optional<ConfigNode> result;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    count(mark, 1);
    complete(ConfigNode::null_at(at(mark)), mark, anchor, 1);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string& value) override {
    count(mark, 1);
    complete(ConfigNode::scalar(value, at(mark)), mark, anchor, 1);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const auto it = anchors_.find(anchor);
    if (it == anchors_.end()) throw YAML::ParserException(mark, "an alias to an anchor not yet complete");
    count(mark, it->second.nodes);  // the copy costs what the original did
    complete(it->second.node, mark, 0, it->second.nodes);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(ConfigNode::sequence(at(mark)), mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(ConfigNode::map(at(mark)), mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    ConfigNode node;
    YAML::Mark mark;
    YAML::anchor_t anchor = 0;
    std::size_t nodes_before = 0;  // nodes counted when it opened
    bool have_key = false;         // maps: a key waits for its value
    std::string key;
    std::unordered_set<std::string> keys;  // a large map's keys, to find a repeat in constant time
    SourceLocation key_where;
    YAML::Mark key_mark;
  };
  struct Anchored {
    ConfigNode node;
    std::size_t nodes = 0;
  };

  SourceLocation at(const YAML::Mark& m) const {
    if (m.is_null()) return {origin_, 0, 0};
    return {origin_, m.line + 1, m.column + 1};
  }

  void count(const YAML::Mark& mark, std::size_t n) {
    nodes_ += n;
    if (nodes_ > limits_.max_nodes)
      throw YAML::ParserException(mark, fmt::format("the document expands to more than {} nodes (YAML aliases "
                                                    "repeating large parts?)", limits_.max_nodes));
  }

  void open(ConfigNode node, const YAML::Mark& mark, YAML::anchor_t anchor) {
    count(mark, 1);
    if (stack_.size() >= limits_.max_depth)
      throw YAML::ParserException(mark, fmt::format("nested more than {} levels deep", limits_.max_depth));
    stack_.push_back(Frame{std::move(node), mark, anchor, nodes_ - 1, false, {}, {}, {}, {}});
  }

  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    complete(std::move(f.node), f.mark, f.anchor, nodes_ - f.nodes_before);
  }

  // A finished value: remember it under its anchor, then hand it to its parent.
  void complete(ConfigNode node, const YAML::Mark& mark, YAML::anchor_t anchor, std::size_t nodes) {
    if (anchor != 0) anchors_[anchor] = Anchored{node, nodes};
    if (stack_.empty()) {
      result = std::move(node);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.node.is_sequence()) {
      parent.node.push_back(std::move(node));
      return;
    }
    if (!parent.have_key) {
      if (!node.is_scalar() && !node.is_null()) throw YAML::ParserException(mark, "a map key must be a plain value");
      parent.key = std::string(node.text());
      parent.key_where = node.where();
      parent.key_mark = mark;
      parent.have_key = true;
      return;
    }
    // A repeated key is almost always a mistake; the later one would silently win.
    if (repeats_key(parent))
      throw YAML::ParserException(parent.key_mark, fmt::format("key \"{}\" appears twice", parent.key));
    parent.node.set(std::move(parent.key), parent.key_where, std::move(node));
    parent.have_key = false;
  }

  // Small maps are searched; a large one keeps a set of its keys, so a map of a million keys
  // parses in linear time.
  static bool repeats_key(Frame& map) {
    constexpr std::size_t kSetAbove = 16;
    const std::size_t size = map.node.members().size();
    if (size < kSetAbove) return map.node.find(map.key) != nullptr;
    if (map.keys.empty())
      for (const ConfigNode::Member& m : map.node.members()) map.keys.emplace(m.key.view());
    return !map.keys.insert(map.key).second;
  }

  std::string origin_;
  YamlLimits limits_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  std::size_t nodes_ = 0;
};

}  // namespace

namespace {
// Reads the text where it is: a 50 MB scenario is not copied into a string stream.
class TextBuffer : public std::streambuf {
 public:
  explicit TextBuffer(const std::string& text) {
    char* begin = const_cast<char*>(text.data());  // only read: the get area is never written
    setg(begin, begin, begin + text.size());
  }
};
}  // namespace

ConfigNode build_config_tree(const std::string& text, const std::string& origin, const YamlLimits& limits) {
  TextBuffer buffer(text);
  std::istream in(&buffer);
  YAML::Parser parser(in);
  TreeBuilder builder(origin, limits);
  parser.HandleNextDocument(builder);
  return builder.result ? std::move(*builder.result) : ConfigNode();
}

}  // namespace dcsim::scenario
