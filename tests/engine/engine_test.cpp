// The library API (engine/engine.hpp): the same results as the command line, byte for byte;
// files only when asked; many runs at once in one process give what each gives alone.
#include "engine/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "models/scenario/diagnostics.hpp"
#include "sim/atomic_file.hpp"
#include "../test_support.hpp"

namespace dcsim::engine {
namespace {
namespace fs = std::filesystem;

fs::path scenario_path(const std::string& name) { return fs::path(DCSIM_SOURCE_DIR) / "scenarios" / (name + ".yaml"); }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("dcsim_engine_test_" + name);
  fs::remove_all(dir);
  return dir;
}

TEST(Engine, ResultsAreTheBytesTheCommandLineWrites) {
  const fs::path dir = fresh_dir("cli");
  const auto cli = testing::run_dcsim(scenario_path("train_gpt").string() + " -q --out " + dir.string());
  ASSERT_EQ(cli.code, 0) << cli.output;
  const RunResult r = run(load(scenario_path("train_gpt")));
  EXPECT_EQ(r.results.dump(2) + "\n", read_file(dir / "results.json"));
  // The pipeline timeline stays with the result: the spans timeline.csv holds.
  ASSERT_TRUE(r.timeline.is_array());
  EXPECT_EQ(r.timeline.size(), r.results["training"]["timeline"]["spans"].get<std::size_t>());
  EXPECT_GT(r.timeline.size(), 0u);
  EXPECT_FALSE(r.timeseries.rows.empty());
  EXPECT_EQ(r.events, r.results["simulation"]["events_executed"].get<std::uint64_t>());
  fs::remove_all(dir);
}

TEST(Engine, WritesFilesOnlyIntoTheFolderItIsGiven) {
  const fs::path dir = fresh_dir("files");
  RunControl control;
  control.out_dir = dir;
  const RunResult with_files = run(load(scenario_path("train_gpt")), control);
  for (const char* name : {"results.json", "timeseries.csv", "timeline.csv", "report.html", "trace.json"})
    EXPECT_TRUE(fs::exists(dir / name)) << name;
  EXPECT_EQ(with_files.results.dump(2) + "\n", read_file(dir / "results.json"));
  // timeline.csv: a header and one line per span.
  const std::string csv = read_file(dir / "timeline.csv");
  EXPECT_EQ(std::size_t(std::count(csv.begin(), csv.end(), '\n')), with_files.timeline.size() + 1);
  fs::remove_all(dir);
}

TEST(Engine, OverridesAndSeedApply) {
  const auto s = load(scenario_path("train_gpt"), {"cluster.servers=64", "workload.parallelism.dp=8"}, 7);
  EXPECT_EQ(s.training.plan.dp, 8);
  EXPECT_EQ(s.seed, 7u);
  EXPECT_THROW(load(scenario_path("train_gpt"), {"workload.parallelism.dp=zero"}), scenario::InputError);
  EXPECT_THROW(load(scenario_path("no_such_scenario")), scenario::InputError);
}

TEST(Engine, NumbersByPathAndEveryScalar) {
  const RunResult r = run(load(scenario_path("train_gpt")));
  EXPECT_EQ(r.number("training.iteration_time_s"), r.results["training"]["iteration_time_s"].get<double>());
  EXPECT_EQ(r.number("network.hottest_links.0.utilization"),
            r.results["network"]["hottest_links"][0]["utilization"].get<double>());
  EXPECT_THROW((void)r.number("training.no_such_figure"), std::out_of_range);
  EXPECT_THROW((void)r.number("training.model"), std::out_of_range);  // an object, not a number
  EXPECT_EQ(r.number("network.over_capacity"), 0.0);                   // a boolean reads as 1 or 0
  EXPECT_THROW((void)r.number("network.hottest_links.999999"), std::out_of_range);
  const auto scalars = r.scalars();
  bool found = false;
  for (const auto& [path, value] : scalars) {
    EXPECT_EQ(path.find("hottest_links"), std::string::npos) << "arrays are left out";
    EXPECT_EQ(value, r.number(path)) << path;
    if (path == "training.mfu") found = true;
  }
  EXPECT_TRUE(found);
}

TEST(Engine, CheckRefusesWhatARunRefuses) {
  // A plan that cannot fit: 175B parameters, no sharding, on one pipeline stage.
  const auto s = load(scenario_path("train_gpt"),
                      {"workload.parallelism.pp=1", "workload.parallelism.tp=1", "workload.parallelism.dp=1024",
                       "workload.parallelism.virtual_stages=1", "workload.parallelism.schedule=1f1b",
                       "workload.batch.global=2048"});
  EXPECT_THROW(check(s), scenario::InputError);
  EXPECT_THROW(run(s), scenario::InputError);
  EXPECT_NO_THROW(check(load(scenario_path("train_gpt"))));
}

TEST(Engine, AnOutputFolderThatCannotBeMadeIsAnEnvironmentError) {
  const fs::path file = fresh_dir("blocker");
  std::ofstream(file) << "a file where a folder should go\n";
  RunControl control;
  control.out_dir = file / "sub";
  EXPECT_THROW(run(load(scenario_path("queueing_demo")), control), EnvironmentError);
  fs::remove(file);
}

TEST(Engine, ProgressIsReportedAndChangesNothing) {
  const auto s = load(scenario_path("train_gpt"));
  std::uint64_t calls = 0, last_events = 0;
  RunControl control;
  control.progress = [&](const RunProgress& p) {
    ++calls;
    EXPECT_GE(p.events, last_events);
    last_events = p.events;
    EXPECT_EQ(p.workload, "training");
  };
  const RunResult observed = run(s, control);
  EXPECT_GT(calls, 0u);
  EXPECT_EQ(observed.results.dump(), run(s).results.dump());
}

// Runs of every workload kind at once, two of each, on their own threads: each gives the
// bytes it gives alone.
TEST(Engine, ConcurrentRunsGiveTheSameResultsAsSequentialOnes) {
  const std::vector<std::string> names = {"train_gpt", "llama70b_trn2_ultraserver", "allreduce_4096", "flows_incast",
                                          "queueing_demo"};
  std::vector<std::string> alone;
  for (const auto& n : names) alone.push_back(run(load(scenario_path(n))).results.dump());
  std::vector<std::string> together(2 * names.size());
  std::vector<std::string> errors(together.size());
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < together.size(); ++i)
      threads.emplace_back([&, i] {
        try {
          together[i] = run(load(scenario_path(names[i % names.size()]))).results.dump();
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
  }
  for (std::size_t i = 0; i < together.size(); ++i) {
    EXPECT_EQ(errors[i], "") << names[i % names.size()];
    EXPECT_EQ(together[i], alone[i % names.size()]) << names[i % names.size()];
  }
}

}  // namespace
}  // namespace dcsim::engine
