// The dcsim binary end to end: exit codes, outputs, determinism, atomic results.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../test_support.hpp"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../scenario/scenario_test_util.hpp"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace {
using Result = dcsim::testing::CommandResult;
Result run(const std::string& args) { return dcsim::testing::run_dcsim(args); }
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
const char* kScenario = R"(# a tiny queueing run
name: cli-queue
seed: 3
workload:
  type: queueing
  servers: 2
  jobs: 2000
  mean_interarrival: 1 ms
  mean_service: 1.2 ms
)";
}  // namespace

TEST(Cli, VersionAndHelp) {
  auto v = run("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_THAT(v.output, HasSubstr("dcsim 0."));
  auto h = run("--help");
  EXPECT_EQ(h.code, 0);
  EXPECT_THAT(h.output, HasSubstr("Examples:"));
  EXPECT_THAT(h.output, HasSubstr("validate"));
}

TEST(Cli, RunWritesResultsAndTraceAtomicallyAndDeterministically) {
  const auto scenario = dcsim::testing::write_temp("cli_queue.yaml", kScenario);
  const fs::path out1 = fs::temp_directory_path() / "dcsim_tests" / "cli_out1";
  const fs::path out2 = fs::temp_directory_path() / "dcsim_tests" / "cli_out2";
  fs::remove_all(out1);
  fs::remove_all(out2);
  auto r1 = run(scenario.string() + " --out " + out1.string());
  ASSERT_EQ(r1.code, 0) << r1.output;
  EXPECT_THAT(r1.output, HasSubstr("cli-queue"));
  auto r2 = run(scenario.string() + " --quiet --out " + out2.string());
  ASSERT_EQ(r2.code, 0) << r2.output;
  EXPECT_EQ(r2.output, "");
  EXPECT_EQ(slurp(out1 / "results.json"), slurp(out2 / "results.json"));
  EXPECT_EQ(slurp(out1 / "trace.json"), slurp(out2 / "trace.json"));
  const auto j = nlohmann::json::parse(slurp(out1 / "results.json"));
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["queueing"]["jobs_completed"], 2000);
  for (const auto& e : fs::directory_iterator(out1))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();

  auto r3 = run(scenario.string() + " --quiet --seed 4 --out " + out2.string());
  ASSERT_EQ(r3.code, 0);
  EXPECT_NE(slurp(out1 / "results.json"), slurp(out2 / "results.json"));
}

TEST(Cli, BadInputExitsWithTwoAndAClearMessage) {
  const auto scenario = dcsim::testing::write_temp("cli_bad.yaml", "workload:\n  type: queueing\n  jobs: 5\n  mean_interarrival: 1\n  mean_service: 1 ms\n");
  auto r = run(scenario.string() + " --quiet");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr(scenario.string() + ":4:22: error: workload.mean_interarrival"));
  auto v = run("validate " + scenario.string());
  EXPECT_EQ(v.code, 2);
  auto missing = run("/no/such/file.yaml");
  EXPECT_EQ(missing.code, 2);
  auto bad_flag = run("--frobnicate");
  EXPECT_EQ(bad_flag.code, 2);
  auto bad_set = run(scenario.string() + " --set workload.mean_interarrival=1ms --set workload.jobs=-1");
  EXPECT_EQ(bad_set.code, 2);
  EXPECT_THAT(bad_set.output, HasSubstr("--set workload.jobs=-1: error: workload.jobs: -1 is out of range"));
}

TEST(Cli, ValidateAcceptsAGoodScenarioWithOverrides) {
  const auto scenario = dcsim::testing::write_temp("cli_validate.yaml", kScenario);
  auto r = run("validate " + scenario.string() + " --set workload.servers=4");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ok"));
}
