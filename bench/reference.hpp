#pragma once
// The yardstick every benchmark binary carries: the hold model on std::priority_queue with
// 100,000 pending events, code outside dcsim. tools/bench divides each benchmark's speed by
// this one's, measured in the same binary and run, so that the ratio, unlike the raw rate,
// cancels most of the machine's speed and can be compared across machines and over commits.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include "hold_model.hpp"

namespace dcsim::bench {

// The hold model on std::priority_queue of (time, sequence) pairs with n pending events.
inline void std_heap_hold(benchmark::State& state, std::size_t n) {
  using Entry = std::pair<std::int64_t, std::uint64_t>;  // (time, sequence)
  const auto& inc = hold_increments();
  const std::size_t mask = inc.size() - 1;
  std::vector<Entry> storage;
  storage.reserve(n + 1);
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> q(std::greater<>{}, std::move(storage));
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < n; ++i) q.emplace(inc[i & mask], seq++);
  std::size_t k = n;
  for (auto _ : state) {
    const Entry e = q.top();
    q.pop();
    q.emplace(e.first + inc[k++ & mask], seq++);
  }
  benchmark::DoNotOptimize(q.top());
  state.SetItemsProcessed(state.iterations());
}

inline void BM_Reference(benchmark::State& state) { std_heap_hold(state, 100000); }
BENCHMARK(BM_Reference)->MinTime(0.5);

}  // namespace dcsim::bench
