// Pending-event set throughput on the hold model: dcsim's EventQueue against
// std::priority_queue of (time, sequence) pairs, at 10^3 .. 10^6 pending events.
#include <benchmark/benchmark.h>

#include "reference.hpp"

#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include "hold_model.hpp"
#include "sim/event_queue.hpp"

namespace {
using dcsim::EventQueue;
using dcsim::Time;

void BM_Hold_EventQueue(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto& inc = dcsim::bench::hold_increments();
  const std::size_t mask = inc.size() - 1;
  EventQueue q;
  q.reserve(n + 1);
  for (std::size_t i = 0; i < n; ++i) q.push(Time::ns(inc[i & mask]), static_cast<std::uint32_t>(i & 0xffff));
  std::size_t k = n;
  for (auto _ : state) {
    const EventQueue::Entry e = q.pop();
    q.push(Time::ns(e.time + inc[k++ & mask]), e.payload());
  }
  benchmark::DoNotOptimize(q.top());
  state.SetItemsProcessed(state.iterations());
}

void BM_Hold_StdPriorityQueue(benchmark::State& state) {
  dcsim::bench::std_heap_hold(state, static_cast<std::size_t>(state.range(0)));
}

BENCHMARK(BM_Hold_EventQueue)->RangeMultiplier(10)->Range(1000, 1000000);
BENCHMARK(BM_Hold_StdPriorityQueue)->RangeMultiplier(10)->Range(1000, 1000000);
}  // namespace

BENCHMARK_MAIN();
