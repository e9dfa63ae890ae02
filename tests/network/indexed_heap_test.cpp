// IndexedHeap against std::set on random pushes, erasures, key changes, pops and a
// rescaling of every key: the same top (key, then id) after every operation. And the flow
// solver's packed (level, link) queue key against the pairs it stands for.
#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "models/network/indexed_heap.hpp"
#include "models/network/network_sim.hpp"

using dcsim::network::IndexedHeap;
using dcsim::network::kNotInHeap;

namespace {
struct Access {
  std::vector<double>* keys = nullptr;
  std::vector<std::uint32_t>* positions = nullptr;
  const double& key(std::uint32_t id) const { return (*keys)[id]; }
  std::uint32_t& pos(std::uint32_t id) const { return (*positions)[id]; }
};
}  // namespace

TEST(IndexedHeap, MatchesAnOrderedSetOnRandomOperations) {
  std::mt19937_64 rng(11);
  constexpr std::uint32_t kIds = 300;
  std::vector<double> keys(kIds, 0.0);
  std::vector<std::uint32_t> pos(kIds, kNotInHeap);
  IndexedHeap<Access> heap(Access{&keys, &pos});
  std::set<std::pair<double, std::uint32_t>> ref;
  // Keys from a small set, so that ties (broken by id) are common.
  auto draw = [&] { return double(rng() % 50) * 0.25; };
  for (int step = 0; step < 200000; ++step) {
    const std::uint32_t id = std::uint32_t(rng() % kIds);
    const int op = int(rng() % 10);
    if (!heap.contains(id)) {
      keys[id] = draw();
      heap.push(id);
      ref.insert({keys[id], id});
    } else if (op < 3) {
      ref.erase({keys[id], id});
      heap.erase(id);
    } else if (op < 8) {
      ref.erase({keys[id], id});
      keys[id] = draw();
      heap.update(id);
      ref.insert({keys[id], id});
    } else if (op == 8 && !ref.empty()) {
      const std::uint32_t top = heap.top();
      ASSERT_EQ(top, ref.begin()->second);
      heap.pop();
      ref.erase(ref.begin());
      ASSERT_EQ(pos[top], kNotInHeap);
    } else if (step % 1000 == 9) {
      // Every key rescaled by one factor (NetworkSim::grow_drift): the order is kept, so the
      // heap stays valid with no update.
      std::set<std::pair<double, std::uint32_t>> scaled;
      for (const auto& [k, i] : ref) {
        keys[i] = k / 4.0;
        scaled.insert({keys[i], i});
      }
      ref.swap(scaled);
    }
    ASSERT_EQ(heap.size(), ref.size());
    if (!ref.empty()) ASSERT_EQ(heap.top(), ref.begin()->second) << "step " << step;
  }
  std::size_t seen = 0;
  for (std::uint32_t id : heap.ids()) {
    ASSERT_TRUE(ref.count({keys[id], id}));
    ++seen;
  }
  EXPECT_EQ(seen, ref.size());
}

// The fill's queue key orders as the (level, link) pairs it packs, and gives both back.
TEST(LevelEntry, OrdersAsLevelThenLinkAndUnpacks) {
  using dcsim::network::NetworkSim;
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<double, std::uint32_t>> sorted = {
      {0.0, 0}, {0.0, 7}, {1e-300, 0}, {0.5, 3}, {1.0, 0}, {1.0, 1}, {1.0, ~0u}, {3e9, 2}, {inf, 0}};
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const NetworkSim::LevelEntry a(sorted[i].first, sorted[i].second);
    EXPECT_EQ(a.level(), sorted[i].first);
    EXPECT_EQ(a.link(), sorted[i].second);
    for (std::size_t j = 0; j < sorted.size(); ++j) {
      const NetworkSim::LevelEntry b(sorted[j].first, sorted[j].second);
      EXPECT_EQ(a.key < b.key, i < j) << i << " vs " << j;
    }
  }
}
