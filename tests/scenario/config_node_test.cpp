// The compact tree behind every scenario: its text and child storage, value semantics,
// merging and the YAML builder's checks, against what std::string / std::vector would do.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <random>
#include <string>

#include "models/scenario/compact_text.hpp"
#include "models/scenario/compact_vector.hpp"
#include "models/scenario/config_node.hpp"
#include "models/scenario/diagnostics.hpp"
#include "models/scenario/yaml_loader.hpp"

using dcsim::scenario::CompactText;
using dcsim::scenario::CompactVector;
using dcsim::scenario::ConfigNode;
using dcsim::scenario::SourceLocation;

namespace {
// The sizes the 50 MB scenario's memory rests on (docs/scenario-format.md).
static_assert(sizeof(ConfigNode) == 32);
static_assert(sizeof(ConfigNode::Member) == 64);
static_assert(sizeof(SourceLocation) == 12);

std::string text_of(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<char>('a' + i % 26);
  return s;
}
}  // namespace

TEST(CompactText, HoldsEveryLengthAcrossTheInlineLimitAndCopiesAndMovesLikeAString) {
  for (std::size_t n : {0, 1, 14, 15, 16, 17, 100, 5000}) {
    const std::string s = text_of(n);
    CompactText t(s);
    EXPECT_EQ(t.view(), s) << n;
    CompactText copy(t);
    EXPECT_EQ(copy.view(), s);
    CompactText moved(std::move(copy));
    EXPECT_EQ(moved.view(), s);
    EXPECT_EQ(copy.view(), "");  // NOLINT: a moved-from text is empty, by design
    CompactText assigned(std::string_view("x"));
    assigned = t;
    EXPECT_EQ(assigned.view(), s);
    assigned = assigned;  // NOLINT: self-assignment keeps the text
    EXPECT_EQ(assigned.view(), s);
    CompactText other(text_of(40));
    other = std::move(assigned);
    EXPECT_EQ(other.view(), s);
  }
  const std::string with_nul("a\0b", 3);
  EXPECT_EQ(CompactText(with_nul).view(), with_nul);
}

TEST(CompactVector, MatchesStdVectorUnderRandomPushesErasesAndCopies) {
  std::mt19937 rng(7);
  CompactVector<std::string> mine;
  std::vector<std::string> reference;
  for (int step = 0; step < 5000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 7) {
      const std::string s = text_of(rng() % 40);
      mine.push_back(s);
      reference.push_back(s);
    } else if (op < 9) {
      const std::size_t len = rng() % 40;
      mine.erase_if([&](const std::string& s) { return s.size() == len; });
      std::erase_if(reference, [&](const std::string& s) { return s.size() == len; });
    } else {
      CompactVector<std::string> copy(mine);
      mine = std::move(copy);
    }
    ASSERT_EQ(mine.size(), reference.size());
    ASSERT_TRUE(std::equal(mine.begin(), mine.end(), reference.begin()));
  }
}

TEST(ConfigNode, AssigningAChildToItsParentKeepsTheChild) {
  auto list = ConfigNode::sequence({"f.yaml", 1, 1});
  auto inner = ConfigNode::map({"f.yaml", 2, 3});
  inner.set("k", {"f.yaml", 2, 3}, ConfigNode::scalar("v", {"f.yaml", 2, 6}));
  list.push_back(inner);
  list = list.items()[0];
  ASSERT_TRUE(list.is_map());
  EXPECT_EQ(list.find("k")->text(), "v");
  EXPECT_EQ(list.find("k")->where().to_string(), "f.yaml:2:6");
  list = *list.find("k");
  EXPECT_EQ(list.text(), "v");
}

TEST(ConfigNode, MergingALargeMapGivesWhatMergingKeyByKeyGives) {
  // Above 32 keys merge_from indexes the keys; the result must be the small-map path's.
  for (int keys : {5, 31, 32, 33, 400}) {
    auto base = ConfigNode::map({"a.yaml", 1, 1});
    auto over = ConfigNode::map({"b.yaml", 1, 1});
    std::map<std::string, std::string> expected;
    for (int i = 0; i < keys; ++i) {
      const std::string k = fmt::format("key{}", i);
      base.set(k, {"a.yaml", i + 1, 1}, ConfigNode::scalar("base", {"a.yaml", i + 1, 6}));
      expected[k] = "base";
      if (i % 3 == 0) {
        over.set(k, {"b.yaml", i + 1, 1}, ConfigNode::scalar("over", {"b.yaml", i + 1, 6}));
        expected[k] = "over";
      }
      const std::string fresh = fmt::format("new{}", i);
      if (i % 5 == 0) {
        over.set(fresh, {"b.yaml", i + 1, 1}, ConfigNode::scalar("new", {"b.yaml", i + 1, 6}));
        expected[fresh] = "new";
      }
    }
    base.merge_from(over);
    ASSERT_EQ(base.members().size(), expected.size()) << keys;
    for (const auto& [k, v] : expected) {
      ASSERT_NE(base.find(k), nullptr) << k;
      EXPECT_EQ(base.find(k)->text(), v) << k;
    }
  }
}

TEST(YamlBuilder, ARepeatedKeyIsFoundInLargeMapsToo) {
  for (int keys : {3, 16, 17, 1000}) {
    std::string yaml;
    for (int i = 0; i < keys; ++i) yaml += fmt::format("k{}: {}\n", i, i);
    dcsim::scenario::Diagnostics clean;
    const ConfigNode ok = dcsim::scenario::parse_yaml_text(yaml, "m.yaml", clean);
    EXPECT_TRUE(clean.empty()) << keys;
    EXPECT_EQ(ok.members().size(), static_cast<std::size_t>(keys));
    yaml += fmt::format("k{}: again\n", keys / 2);
    dcsim::scenario::Diagnostics diag;
    dcsim::scenario::parse_yaml_text(yaml, "m.yaml", diag);
    ASSERT_FALSE(diag.empty()) << keys;
    EXPECT_NE(diag.items()[0].message.find(fmt::format("key \"k{}\" appears twice", keys / 2)), std::string::npos)
        << diag.items()[0].message;
    EXPECT_EQ(diag.items()[0].where.line, keys + 1);
  }
}
