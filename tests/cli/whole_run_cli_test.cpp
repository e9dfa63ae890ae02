// Whole runs through the dcsim binary: the reliability section's figures agree with each
// other, a seed gives byte-identical results, what-ifs are one --set away, and bad input
// names the key and what is allowed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../test_support.hpp"

using ::testing::HasSubstr;

namespace {
using Result = dcsim::testing::CommandResult;
Result run(const std::string& args) { return dcsim::testing::run_dcsim(args); }
const std::string kWholeRun = std::string(DCSIM_SOURCE_DIR) + "/tests/data/tiny_whole_run.yaml";
std::string out_dir(const std::string& name) { return "/tmp/dcsim_tests/whole_run_cli/" + name + std::to_string(::getpid()); }
std::string read(const std::string& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
nlohmann::json reliability(const std::string& dir) { return nlohmann::json::parse(read(dir + "/results.json"))["reliability"]; }
}  // namespace

TEST(WholeRunCli, TheSectionAddsUpAndTheEventsFileMatchesIt) {
  const std::string dir = out_dir("adds_up");
  const auto r = run(kWholeRun + " --quiet --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto rel = reliability(dir);
  EXPECT_EQ(rel["trials"], 20);
  EXPECT_EQ(rel["mode"], "window");
  // Interruptions by cause add up to the mean; the time lost and the goodput to the window.
  double by_cause = 0;
  for (const auto& [name, c] : rel["by_cause"].items()) by_cause += c["interruptions_mean"].get<double>();
  EXPECT_NEAR(by_cause, rel["interruptions"]["mean"].get<double>(), 1e-9);
  const auto& lost = rel["time_lost_s"];
  const double wasted = lost["lost_work"].get<double>() + lost["restarts"].get<double>() +
                        lost["checkpoints"].get<double>() + lost["slowdowns"].get<double>();
  EXPECT_NEAR(1 - rel["goodput"]["mean"].get<double>(), wasted / rel["window_s"].get<double>(), 1e-9);
  // The events file has the rows the section counts, each with its cause.
  const std::string csv = read(dir + "/reliability_events.csv");
  EXPECT_EQ(csv.rfind("time_s,component,index,node,category,interrupted,downtime_s,lost_work_s\n", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), rel["events"]["rows"].get<std::int64_t>() + 1);
  EXPECT_GT(rel["events"]["rows"].get<std::int64_t>(), 0);
}

TEST(WholeRunCli, TheSameSeedGivesByteIdenticalResultsAndAnotherSeedDoesNot) {
  const std::string a = out_dir("seed_a"), b = out_dir("seed_b"), c = out_dir("seed_c");
  ASSERT_EQ(run(kWholeRun + " --quiet --out " + a).code, 0);
  ASSERT_EQ(run(kWholeRun + " --quiet --set reliability.threads=1 --out " + b).code, 0);
  ASSERT_EQ(run(kWholeRun + " --quiet --seed 5 --out " + c).code, 0);
  const auto strip = [](std::string json) {  // the threads setting is part of the scenario echo only
    return nlohmann::json::parse(json)["reliability"].dump();
  };
  EXPECT_EQ(strip(read(a + "/results.json")), strip(read(b + "/results.json")));
  EXPECT_EQ(read(a + "/reliability_events.csv"), read(b + "/reliability_events.csv"));
  EXPECT_NE(read(a + "/reliability_events.csv"), read(c + "/reliability_events.csv"));
}

TEST(WholeRunCli, WhatIfsAreOneSetAway) {
  const std::string base = out_dir("whatif_base"), slow = out_dir("whatif_slow_storage"), given = out_dir("whatif_given");
  ASSERT_EQ(run(kWholeRun + " --quiet --set reliability.checkpoint.size=40TB --out " + base).code, 0);
  ASSERT_EQ(run(kWholeRun + " --quiet --set reliability.checkpoint.size=40TB "
                            "--set reliability.checkpoint.write_bandwidth=20GB/s --out " + slow).code, 0);
  ASSERT_EQ(run(kWholeRun + " --quiet --set reliability.checkpoint.interval=2h --out " + given).code, 0);
  const auto b = reliability(base), s = reliability(slow), g = reliability(given);
  EXPECT_NEAR(b["checkpoint"]["blocking_s"].get<double>(), 40e12 / 2e12, 1e-9);  // 2 TB/s by default
  EXPECT_NEAR(s["checkpoint"]["blocking_s"].get<double>(), 40e12 / 20e9, 1e-6);
  EXPECT_GT(s["checkpoint"]["interval_s"].get<double>(), b["checkpoint"]["interval_s"].get<double>());
  EXPECT_LT(s["goodput"]["mean"].get<double>(), b["goodput"]["mean"].get<double>());
  EXPECT_EQ(g["checkpoint"]["interval_choice"], "given");
  EXPECT_EQ(g["checkpoint"]["interval_s"], 7200.0);
}

TEST(WholeRunCli, BadInputNamesTheKeyAndWhatIsAllowed) {
  const std::pair<const char*, const char*> cases[] = {
      {"reliability.failures.gpus.per_1000_node_days=2",
       "reliability.failures.gpus: unknown failure class \"gpus\"; did you mean \"gpu\"?"},
      {"reliability.failures.gpu.per_component_hour=1e-6",
       "reliability.failures.gpu.per_component_hour: give the rate once: per_1000_node_days or per_component_hour"},
      {"reliability.trials=0", "reliability.trials"},
      {"reliability.checkpoint.mode=lazy", "reliability.checkpoint.mode: \"lazy\" is not allowed; allowed: sync, async"},
      {"reliability.checkpoint.interval=soon", "reliability.checkpoint.interval"},
      {"reliability.spares.nodes=many", "reliability.spares.nodes"},
      {"reliability.restart.reboot=1min", "reliability.restart.reboot: unknown key \"reboot\""},
  };
  for (const auto& [set, message] : cases) {
    SCOPED_TRACE(set);
    const auto r = run(kWholeRun + " --quiet --set " + set);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr(message));
  }
  // A window or tokens to train: one of them.
  auto r = run(kWholeRun + " --quiet --set reliability.duration=0s");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("give a window (e.g. duration: 54 d) or workload.train_tokens"));
  // A study that would take hours is refused before it starts, saying why.
  r = run(kWholeRun + " --quiet --set reliability.checkpoint.interval=1ns --set reliability.duration=300d");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("reliability: these trials would simulate about"));
  EXPECT_THAT(r.output, HasSubstr("allowed: fewer trials, a shorter window or a longer checkpoint.interval"));
  // A rate for components the cluster does not have: one server needs no switch fabric.
  r = run(kWholeRun + " --quiet --set cluster.servers=1 --set workload.parallelism.dp=1 --set workload.batch.global=4 "
                      "--set output.trace_ranks=[0] --set reliability.failures.spine_switch.per_component_hour=1e-4");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("reliability.failures.spine_switch: a rate of 0.0001 per component-hour given, but "
                                  "this cluster has no spine_switch for it to apply to"));
  // Only training runs have whole runs.
  r = run(std::string(DCSIM_SOURCE_DIR) + "/scenarios/flows_incast.yaml --quiet --set reliability.trials=3");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("reliability: whole runs with failures need a training workload"));
}

TEST(WholeRunCli, ARunToTrainGivesTheTimeToTrainDistribution) {
  const std::string dir = out_dir("to_train");
  const auto r = run(kWholeRun + " --quiet --set reliability.duration=0s --set workload.train_tokens=2e9 --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto rel = reliability(dir);
  EXPECT_EQ(rel["mode"], "time_to_train");
  EXPECT_EQ(rel["finished_trials"], 20);
  const auto results = nlohmann::json::parse(read(dir + "/results.json"));
  const double ideal = results["training"]["time_to_train_s"].get<double>();
  EXPECT_NEAR(rel["work_s"].get<double>(), ideal, 1e-6 * ideal);
  EXPECT_GT(rel["wall_s"]["p5"].get<double>(), ideal);  // failures only ever add time
  EXPECT_LE(rel["wall_s"]["p5"].get<double>(), rel["wall_s"]["p50"].get<double>());
  EXPECT_LE(rel["wall_s"]["p50"].get<double>(), rel["wall_s"]["p95"].get<double>());
}
