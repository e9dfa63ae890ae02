// Loading a scenario of N explicit flows (the YAML a trace converter writes): parse, build
// the provenance tree, read and check every flow. The target is linear time and memory a
// small multiple of the file: Google Benchmark fits the complexity over N, and the counters
// give bytes per second and the process's peak RSS over the file's size (see below).
#include <benchmark/benchmark.h>

#include "reference.hpp"
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <fmt/format.h>

#include "models/scenario/scenario.hpp"

namespace {
double peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_maxrss) * 1024.0;
}

// A flows scenario of `flows` random flows on 1,024 GPUs, written once per size.
std::filesystem::path flow_scenario(std::int64_t flows) {
  const auto path = std::filesystem::temp_directory_path() / fmt::format("dcsim_bench_flows_{}.yaml", flows);
  if (std::filesystem::exists(path)) return path;
  std::mt19937_64 rng(1);
  std::string text = "name: flows\ncluster: {server: dgx-h100, servers: 128}\nnetwork: {model: flow}\n"
                     "workload:\n  type: flows\n  flows:\n";
  for (std::int64_t i = 0; i < flows; ++i) {
    const auto src = rng() % 1024;
    const auto dst = (src + 1 + rng() % 1023) % 1024;
    text += fmt::format("    - {{src: {}, dst: {}, size: {} MB, start: {} us}}\n", src, dst, 1 + rng() % 99, rng() % 1000);
  }
  const auto tmp = path.string() + ".tmp";
  std::ofstream(tmp) << text;
  std::filesystem::rename(tmp, path);
  return path;
}

void BM_LoadFlowScenario(benchmark::State& state) {
  const auto path = flow_scenario(state.range(0));
  const double file_bytes = double(std::filesystem::file_size(path));
  for (auto _ : state) {
    try {
      auto scenario = dcsim::scenario::load_scenario(path, {});
      benchmark::DoNotOptimize(scenario);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(file_bytes * double(state.iterations())));
  state.SetItemsProcessed(state.range(0) * state.iterations());
  state.SetComplexityN(state.range(0));
  state.counters["file_MB"] = file_bytes / 1e6;
  // The peak of the whole process so far, so only meaningful for a run of the largest size
  // alone (--benchmark_filter=BM_LoadFlowScenario/160000): tools/bench interleaves sizes.
  state.counters["peak_rss_per_file_byte"] = peak_rss_bytes() / file_bytes;
}

}  // namespace

BENCHMARK(BM_LoadFlowScenario)->RangeMultiplier(4)->Range(10000, 160000)->Unit(benchmark::kMillisecond)->Complexity(benchmark::oN);

BENCHMARK_MAIN();
