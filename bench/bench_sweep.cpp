// Sweep throughput: the same 16 points (scenarios/train_gpt.yaml on 32 to 256 servers, both
// fabrics, two data-parallel layouts) run
//  - BM_SweepThreads: as `dcsim sweep` runs them, on a pool of 2 threads in one process into
//    sweep.db;
//  - BM_SweepProcesses: the baseline, one `dcsim SCENARIO --set ...` process per point, two
//    at a time, each writing its usual files.
// Both report points per second; their ratio is the library's gain on 2 cores.
// BM_PlanScreening: `dcsim plan`'s screening stage (enumerate, memory, analytical estimate)
// on train_gpt.yaml (1,024 H100) and on the 16,384-GPU Llama 3 scenario, 2 threads: plans/s.
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "reference.hpp"
#include "engine/engine.hpp"
#include "study/plan_search.hpp"
#include "study/sweep_points.hpp"
#include "study/sweep_runner.hpp"
#include "study/sweep_spec.hpp"

extern char** environ;

namespace {
namespace fs = std::filesystem;
using namespace dcsim;

const fs::path kDir = fs::temp_directory_path() / "dcsim_bench_sweep";

study::SweepSpec sweep_spec() {
  fs::create_directories(kDir);
  const fs::path file = kDir / "sweep.yaml";
  std::ofstream(file) << "name: bench\nscenario: " DCSIM_SOURCE_DIR "/scenarios/train_gpt.yaml\n"
                         "set: [workload.train_tokens=0]\n"
                         "grid:\n"
                         "  - {key: cluster.servers, values: [32, 64, 128, 256]}\n"
                         "  - {key: network.scale_out.topology, values: [rail_optimized, fat_tree]}\n"
                         "  - {key: workload.parallelism.tp, values: [8, 4]}\n"
                         "  - {key: workload.parallelism.dp, expression: cluster.servers * 8 / (workload.parallelism.tp * 8)}\n"
                         "  - {key: workload.batch.global, expression: workload.parallelism.dp * 96}\n";
  return study::load_sweep(file);
}

const int kJobs = 2;

void BM_SweepThreads(benchmark::State& state) {
  const study::SweepSpec spec = sweep_spec();
  double points = 0;
  for (auto _ : state) {
    fs::remove_all(kDir / "threads");
    study::SweepOptions o;
    o.out_dir = kDir / "threads";
    o.jobs = kJobs;
    const auto s = study::run_sweep(spec, o);
    if (s.ran != s.points) state.SkipWithError("a point failed");
    points += double(s.ran);
  }
  state.counters["points_per_s"] = benchmark::Counter(points, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SweepThreads)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

int spawn_point(const study::SweepSpec& spec, const study::SweepPoint& p, pid_t& pid) {
  std::vector<std::string> args = {DCSIM_BINARY, spec.scenario.string(), "--quiet", "--out",
                                   (kDir / "processes" / std::to_string(p.id)).string()};
  for (const auto& o : p.overrides(spec)) {
    args.push_back("--set");
    args.push_back(o);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return posix_spawn(&pid, DCSIM_BINARY, nullptr, nullptr, argv.data(), environ);
}

void BM_SweepProcesses(benchmark::State& state) {
  const study::SweepSpec spec = sweep_spec();
  const auto points = study::expand_points(spec);
  double done = 0;
  for (auto _ : state) {
    fs::remove_all(kDir / "processes");
    std::vector<pid_t> running;
    bool failed = false;
    auto wait_one = [&] {
      int status = 0;
      const pid_t pid = ::wait(&status);
      std::erase(running, pid);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed = true;
    };
    for (const auto& p : points) {
      if (running.size() == kJobs) wait_one();
      pid_t pid = 0;
      if (spawn_point(spec, p, pid) != 0) failed = true;
      else running.push_back(pid);
    }
    while (!running.empty()) wait_one();
    if (failed) state.SkipWithError("a point failed");
    done += double(points.size());
  }
  state.counters["points_per_s"] = benchmark::Counter(done, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SweepProcesses)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_PlanScreening(benchmark::State& state, const char* scenario) {
  const auto s = engine::load(std::string(DCSIM_SOURCE_DIR "/scenarios/") + scenario + ".yaml");
  double plans = 0;
  for (auto _ : state) {
    const auto candidates = study::screen_plans(s, study::enumerate_plans(s, {}), kJobs);
    plans += double(candidates.size());
  }
  state.counters["plans_per_s"] = benchmark::Counter(plans, benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_PlanScreening, train_gpt, "train_gpt")->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK_CAPTURE(BM_PlanScreening, llama3_405b_16k, "llama3_405b_h100_16k")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
