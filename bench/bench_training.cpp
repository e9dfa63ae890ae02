// Scenario throughput, end to end through the library (load, build, simulate one iteration,
// build the results; no files written):
//  - train_gpt.yaml (GPT-3 175B, 1,024 H100, flow model): target under 1 s;
//  - llama3_405b_h100_16k.yaml (16,384 H100, flow model), rail-optimized and fat-tree, with
//    and without recomputation: target 2 s; and the fat tree with sprayed routing (packet
//    spraying or adaptive routing; bundles and folding make it cheaper than ECMP's) and with
//    16 ECMP queue pairs per GPU pair, as Meta's fabric split them (no target; 24 s at first);
//  - gpt3_175b_h100_10752.yaml (TP4 PP8 DP336, FP8, flow model): target 2 s;
//  - llama3_405b_h100_131k.yaml (131,072 H100, flow model): target 60 s and 16 GiB;
//  - gpt_moe_gb200_ultracluster.yaml (110,592 GB200): within 24 GiB;
//  - a plan of 160,000 microbatches on 32 GPUs: linear in the schedule, under 1 s.
// Each reports wall time per simulated iteration, simulated events per second and peak RSS.
#include <benchmark/benchmark.h>

#include "reference.hpp"
#include <sys/resource.h>

#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace {
double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

void run_scenario(benchmark::State& state, const char* name, std::vector<std::string> overrides = {}) {
  double events = 0;
  for (auto _ : state) {
    try {
      // Through the library, as a sweep runs it: no output files.
      const auto s = dcsim::engine::load(std::string(DCSIM_SOURCE_DIR "/scenarios/") + name + ".yaml", overrides);
      events += double(dcsim::engine::run(s).events);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
  }
  state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}

void BM_TrainGpt(benchmark::State& s) { run_scenario(s, "train_gpt"); }
void BM_Llama3_405B_16K(benchmark::State& s) { run_scenario(s, "llama3_405b_h100_16k"); }
// The scenario is Meta's plan (no recomputation); the variants add full recomputation.
const std::vector<std::string> kFullRecompute = {"workload.recompute=full"};
void BM_Llama3_405B_16K_FullRecompute(benchmark::State& s) { run_scenario(s, "llama3_405b_h100_16k", kFullRecompute); }
void BM_Llama3_405B_16K_FatTree(benchmark::State& s) {
  run_scenario(s, "llama3_405b_h100_16k", {"network.scale_out.topology=fat_tree"});
}
void BM_Llama3_405B_16K_FatTreeFullRecompute(benchmark::State& s) {
  auto o = kFullRecompute;
  o.push_back("network.scale_out.topology=fat_tree");
  run_scenario(s, "llama3_405b_h100_16k", o);
}
void BM_Llama3_405B_16K_FatTreeSpray(benchmark::State& s) {
  run_scenario(s, "llama3_405b_h100_16k", {"network.scale_out.topology=fat_tree", "network.routing=spray"});
}
void BM_Llama3_405B_16K_FatTreeQueuePairs(benchmark::State& s) {
  run_scenario(s, "llama3_405b_h100_16k", {"network.scale_out.topology=fat_tree", "network.qps_per_connection=16"});
}
void BM_GPT3_175B_10752(benchmark::State& s) { run_scenario(s, "gpt3_175b_h100_10752"); }
void BM_Llama3_405B_131K(benchmark::State& s) { run_scenario(s, "llama3_405b_h100_131k"); }
void BM_MoE_GB200_110K(benchmark::State& s) { run_scenario(s, "gpt_moe_gb200_ultracluster"); }
void BM_ManyMicrobatches(benchmark::State& s) {
  run_scenario(s, "train_gpt",
               {"cluster.servers=4", "workload.model=llama3-8b", "workload.parallelism.tp=8", "workload.parallelism.pp=4",
                "workload.parallelism.dp=1", "workload.parallelism.virtual_stages=1", "workload.parallelism.schedule=1f1b",
                "workload.batch.global=160000", "workload.train_tokens=0"});
}

BENCHMARK(BM_TrainGpt)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_Llama3_405B_16K)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_Llama3_405B_16K_FullRecompute)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_Llama3_405B_16K_FatTree)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_Llama3_405B_16K_FatTreeFullRecompute)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_Llama3_405B_16K_FatTreeSpray)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_Llama3_405B_16K_FatTreeQueuePairs)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_GPT3_175B_10752)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_Llama3_405B_131K)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_MoE_GB200_110K)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_ManyMicrobatches)->Unit(benchmark::kMillisecond)->Iterations(1);
}  // namespace

BENCHMARK_MAIN();
