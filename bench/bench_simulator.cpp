// Schedule plus dispatch of trivial events through the whole Simulator API (slot pool,
// handler call, deferred pop): the hold model with N events in flight, each handler
// scheduling its successor.
#include <benchmark/benchmark.h>

#include "reference.hpp"

#include "hold_model.hpp"
#include "sim/simulator.hpp"

namespace {
using dcsim::Simulator;
using dcsim::Time;

struct Hold {
  Simulator* sim;
  const std::vector<std::int64_t>* inc;
  std::size_t* k;
  std::uint64_t* remaining;
  void operator()() const {
    if (*remaining == 0) {
      sim->stop();
      return;
    }
    --*remaining;
    sim->schedule_in(Time::ns((*inc)[(*k)++ & (inc->size() - 1)]), *this);
  }
};

void BM_SimulatorHold(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto& inc = dcsim::bench::hold_increments();
  Simulator sim;
  std::size_t k = 0;
  std::uint64_t remaining = 0;
  for (std::size_t i = 0; i < n; ++i) sim.schedule_at(Time::ns(inc[k++ & (inc.size() - 1)]), Hold{&sim, &inc, &k, &remaining});
  const std::uint64_t batch = 100000;
  for (auto _ : state) {
    remaining = batch;
    sim.run();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

BENCHMARK(BM_SimulatorHold)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
}  // namespace

BENCHMARK_MAIN();
