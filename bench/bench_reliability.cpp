// Whole runs: Monte Carlo trials of weeks of training with failures, checkpoints and
// restarts (models/reliability), on every core. Llama 3's 54-day window on 16,384 GPUs and
// 90 days on 131,072, 1,000 trials each, with the default failure classes and Daly's
// checkpoint interval for a 14-byte-per-parameter 405B checkpoint at 2 TB/s.
#include <benchmark/benchmark.h>

#include "models/reliability/failure_classes.hpp"
#include "models/reliability/monte_carlo.hpp"
#include "reference.hpp"

using namespace dcsim::reliability;

namespace {

ClusterShape shape_of(std::int64_t gpus) {
  ClusterShape s;
  s.gpus = gpus;
  s.gpus_per_node = 8;
  s.nodes = gpus / 8;
  s.nodes_per_rack = 2;
  s.nodes_per_leaf = 32;
  s.leaf_switches = s.nodes / 4;
  s.spine_switches = s.leaf_switches / 2;
  s.replicas = 128;
  s.nodes_per_replica = s.nodes / s.replicas;
  return s;
}

void whole_run(benchmark::State& state, std::int64_t gpus, double days) {
  ReliabilitySpec spec;
  spec.classes = default_failure_classes();
  spec.checkpoint.size_bytes = 405.9e9 * 14;
  spec.checkpoint.write_bandwidth = 2e12;
  spec.checkpoint.read_bandwidth = 2e12;
  spec.run.duration_s = days * 86400;
  spec.run.trials = 1000;
  const ClusterShape shape = shape_of(gpus);
  double goodput = 0, events = 0;
  for (auto _ : state) {
    const StudyResult r = run_study(spec, shape);
    goodput = r.goodput.mean;
    events = 0;
    for (const TrialResult& t : r.trials) events += double(t.interruptions + 2 * t.checkpoints);
    benchmark::DoNotOptimize(goodput);
  }
  state.counters["goodput"] = goodput;
  state.counters["trial_events"] = events;
}

void BM_WholeRun_16K_54Days_1000Trials(benchmark::State& s) { whole_run(s, 16384, 54); }
void BM_WholeRun_131K_90Days_1000Trials(benchmark::State& s) { whole_run(s, 131072, 90); }

}  // namespace

BENCHMARK(BM_WholeRun_16K_54Days_1000Trials)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK(BM_WholeRun_131K_90Days_1000Trials)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_MAIN();
