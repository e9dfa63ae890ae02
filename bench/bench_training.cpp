// Scenario throughput, end to end (load, build, simulate one iteration, write results):
//  - train_gpt.yaml (GPT-3 175B, 1,024 H100, flow model): target under 1 s;
//  - llama3_405b_h100_16k.yaml (16,384 H100, flow model): target under 10 s and 4 GiB;
//  - gpt_moe_gb200_ultracluster.yaml (110,592 GB200): within 24 GiB.
// Each reports wall time per simulated iteration, simulated events per second and peak RSS.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tools/run_command.hpp"

namespace {
double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) / 1024.0;
}

void run_scenario(benchmark::State& state, const char* name) {
  double events = 0;
  for (auto _ : state) {
    dcsim::app::RunOptions o;
    o.scenario = std::string(DCSIM_SOURCE_DIR "/scenarios/") + name + ".yaml";
    o.out_dir = std::string("/tmp/dcsim_bench_") + name;
    o.overrides = {"output.trace=false", "output.report=false", "output.timeseries=false"};
    o.quiet = true;
    if (dcsim::app::run_scenario(o) != 0) {
      state.SkipWithError("scenario failed");
      return;
    }
    std::ifstream in(*o.out_dir / "results.json");
    events += nlohmann::json::parse(in)["simulation"]["events_executed"].get<double>();
  }
  state.counters["events_per_s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}

void BM_TrainGpt(benchmark::State& s) { run_scenario(s, "train_gpt"); }
void BM_Llama3_405B_16K(benchmark::State& s) { run_scenario(s, "llama3_405b_h100_16k"); }
void BM_MoE_GB200_110K(benchmark::State& s) { run_scenario(s, "gpt_moe_gb200_ultracluster"); }

BENCHMARK(BM_TrainGpt)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_Llama3_405B_16K)->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK(BM_MoE_GB200_110K)->Unit(benchmark::kSecond)->Iterations(1);
}  // namespace

BENCHMARK_MAIN();
