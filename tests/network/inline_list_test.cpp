// InlineList against std::vector on random pushes, swap-removals, clears and moves, across
// the switch from inline entries to a heap block: the same entries in the same order after
// every operation.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "models/network/inline_list.hpp"

using dcsim::network::InlineList;

namespace {
struct Entry {
  std::uint32_t id;
  double weight;
  bool operator==(const Entry&) const = default;
};
using List = InlineList<Entry, 3>;

void expect_same(const List& list, const std::vector<Entry>& ref) {
  ASSERT_EQ(list.size(), ref.size());
  ASSERT_EQ(list.empty(), ref.empty());
  std::size_t i = 0;
  for (const Entry& e : list) ASSERT_EQ(e, ref[i++]);
  if (!ref.empty()) {
    EXPECT_EQ(list.front(), ref.front());
    EXPECT_EQ(list.back(), ref.back());
  }
}
}  // namespace

TEST(InlineList, MatchesAVectorOnRandomOperations) {
  std::mt19937_64 rng(5);
  std::vector<List> lists(8);
  std::vector<std::vector<Entry>> refs(8);
  std::uint32_t next = 0;
  for (int step = 0; step < 100000; ++step) {
    const std::size_t k = rng() % lists.size();
    List& list = lists[k];
    std::vector<Entry>& ref = refs[k];
    const int op = int(rng() % 16);
    if (op < 8 || ref.empty()) {  // push (lists wander around the inline size and far above it)
      const Entry e{next++, double(rng() % 1000) * 0.5};
      list.push_back(e);
      ref.push_back(e);
    } else if (op < 14) {  // swap-remove at a random position, as a link drops a transfer
      const std::size_t at = rng() % ref.size();
      list[std::uint32_t(at)] = list.back();
      list.pop_back();
      ref[at] = ref.back();
      ref.pop_back();
    } else if (op == 14) {
      list.clear();
      ref.clear();
    } else {  // move to another list and back
      const std::size_t other = (k + 1) % lists.size();
      lists[other] = std::move(list);
      refs[other] = std::move(ref);
      expect_same(lists[other], refs[other]);
      EXPECT_TRUE(list.empty());
      ref.clear();
      lists[k] = List(std::move(lists[other]));
      refs[k] = std::move(refs[other]);
      refs[other].clear();
      EXPECT_TRUE(lists[other].empty());
    }
    expect_same(list, ref);
  }
  for (std::size_t k = 0; k < lists.size(); ++k) expect_same(lists[k], refs[k]);
}
