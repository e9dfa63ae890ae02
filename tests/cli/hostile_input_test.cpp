// Input that used to crash, hang or mislead a run: each now exits 2 with a message that names
// the key and what is allowed, in `validate` as in the run (issue: hostile input).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../test_support.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>

using ::testing::HasSubstr;

namespace {
using Result = dcsim::testing::CommandResult;
Result run(const std::string& args) { return dcsim::testing::run_dcsim(args); }
const std::string kTiny = std::string(DCSIM_SOURCE_DIR) + "/tests/data/tiny_training.yaml";
const std::string kFlows = std::string(DCSIM_SOURCE_DIR) + "/scenarios/flows_incast.yaml";
std::string out_dir(const char* name) { return "/tmp/dcsim_tests/hostile/" + std::string(name) + std::to_string(::getpid()); }

// The same input through `validate` and through a run: both exit 2 with `message`.
void expect_refused(const std::string& scenario, const std::string& overrides, const std::string& message) {
  const Result v = run("validate " + scenario + " " + overrides);
  EXPECT_EQ(v.code, 2) << v.output;
  EXPECT_THAT(v.output, HasSubstr(message));
  const std::string out = out_dir("run");
  const Result r = run(scenario + " --quiet --out " + out + " " + overrides);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr(message));
  // Nothing half-written is left behind.
  if (std::filesystem::exists(out))
    for (const auto& f : std::filesystem::directory_iterator(out))
      EXPECT_EQ(f.path().filename().string().find(".tmp"), std::string::npos) << f.path();
}
}  // namespace

TEST(HostileInput, AnEmptyOrNonScalarModelIsRefusedNotAZeroHeadModel) {
  expect_refused(kTiny, "--set 'workload.model=\"\"'", "workload.model: an empty preset name; presets: gpt3-175b");
  expect_refused(kTiny, "--set workload.model=~", "workload.model: an empty preset name");
  expect_refused(kTiny, "--set 'workload.model=[gpt3-175b]'", "workload.model: expected a preset name or a map");
}

TEST(HostileInput, FlowsThatWouldOverflowSimulatedTimeAreRefused) {
  expect_refused(kFlows, "--set 'workload.flows=[{src: 1, dst: 9, size: 1e22 B}]'",
                 "workload.flows[0].size: 1e+04 EB is more than a run can count to the byte; allowed: up to 9.007 PB");
  expect_refused(kFlows, "--set 'workload.flows=[{src: 1, dst: 9, size: 1 MB, start: 9e9 s}]'",
                 "workload.flows[0].start: 9000000000 s is beyond what a run can simulate; allowed: up to 1e+09 s");
  // Each flow countable, together too long: 20,000 flows of 8 PB through one device's 50 GB/s.
  expect_refused(kFlows, "--set 'workload.patterns=[{kind: random, count: 20000, size: 8 PB}]'",
                 "workload.flows: the flows carry");
}

TEST(HostileInput, DevicesMustBeNamedAndExist) {
  expect_refused(kFlows, "--set 'workload.flows=[{src: 99999999999999999999, dst: 9, size: 1 MB}]'",
                 "workload.flows[0].src: \"99999999999999999999\" is not a device of this cluster; allowed: 0 to 127");
  expect_refused(kFlows, "--set 'workload.flows=[{src: \"\", dst: 9, size: 1 MB}]'",
                 "workload.flows[0].src: an empty device; give an index or a name");
}

TEST(HostileInput, SizesAreWholeBytes) {
  expect_refused(kFlows, "--set 'workload.flows=[{src: 1, dst: 9, size: 0.5 B}]'",
                 "workload.flows[0].size: 0.5 B is not a whole number of bytes");
}

TEST(HostileInput, ANegativeSeedIsRefusedNotWrapped) {
  const Result r = run(kFlows + " --quiet --out " + out_dir("seed") + " --seed -1");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"-1\" is not a seed: a whole number from 0 to 18446744073709551615"));
}

TEST(HostileInput, ValidateRefusesAPlanThatDoesNotFitInMemoryAsTheRunDoes) {
  expect_refused(kTiny, "--set workload.model.layers=200 --set workload.model.hidden=16384 --set workload.model.heads=128",
                 "error: workload: the plan does not fit in memory: pipeline stage 0 needs");
}

TEST(HostileInput, TheHelpExamplesAreValidScenarios) {
  const std::string train = std::string(DCSIM_SOURCE_DIR) + "/scenarios/train_gpt.yaml";
  EXPECT_EQ(run("validate " + train + " --set workload.recompute=full").code, 0);
  EXPECT_EQ(run("validate " + train + " --set workload.parallelism.pp=16 --set workload.parallelism.dp=8").code, 0);
  EXPECT_THAT(run("--help").output, HasSubstr("--set workload.recompute=full"));
}

TEST(HostileInput, AYamlAliasBombStopsAtTheNodeBudget) {
  // Nine levels of nine aliases: 9^9 = 387 M scalars if expanded.
  const std::string path = out_dir("bomb") + ".yaml";
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  {
    std::ofstream f(path);
    f << "a: &a [x, x, x, x, x, x, x, x, x]\n";
    const std::string names = "abcdefghi";
    for (std::size_t i = 1; i < names.size(); ++i) {
      const std::string p(1, names[i - 1]);
      f << names[i] << ": &" << names[i] << " [*" << p << ", *" << p << ", *" << p << ", *" << p << ", *" << p << ", *" << p
        << ", *" << p << ", *" << p << ", *" << p << "]\n";
    }
  }
  const Result r = run("validate " + path);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("invalid YAML: the document expands to more than"));
}

TEST(HostileInput, IncludesAreRegularFiles) {
  const std::string path = out_dir("include") + ".yaml";
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  for (const char* target : {"/dev/zero", "/tmp"}) {
    {
      std::ofstream f(path);
      f << "include: " << target << "\nname: x\n";
    }
    const Result r = run("validate " + path);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_THAT(r.output, HasSubstr(std::string("include: \"") + target + "\" is not a regular file"));
  }
}

TEST(HostileInput, AKeyPathDeeperThanAnyScenarioIsRefused) {
  std::string deep = "workload";
  for (int i = 0; i < 300; ++i) deep += ".k";
  const Result r = run("validate " + kTiny + " --set " + deep + "=1");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("a key path of 301 keys; allowed: up to 256"));
}

TEST(HostileInput, TraceRanksOutsideThePlanAreRefused) {
  expect_refused(kTiny, "--set 'output.trace_ranks=[0, 99]'", "output.trace_ranks: rank 99 is not in the plan; allowed: 0 to 15");
}

TEST(HostileInput, OutputFoldersAndFilesTheMachineRefusesExitThree) {
  const std::string queue = std::string(DCSIM_SOURCE_DIR) + "/scenarios/queueing_demo.yaml";
  Result r = run(queue + " --quiet --out /etc/passwd/x");
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("error: cannot create output folder /etc/passwd/x: Not a directory"));
  const std::string out = out_dir("blocked");
  std::filesystem::create_directories(out + "/results.json/inside");  // a folder where the file goes
  r = run(queue + " --quiet --out " + out);
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("error: cannot replace " + out + "/results.json"));
  r = run(queue + " --quiet --out ''");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("error: --out: an empty folder name"));
}

TEST(HostileInput, CompareOfAFolderSaysWhatToGive) {
  const Result r = run("compare /tmp /tmp");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("error: /tmp is a folder; give the results.json inside it"));
}

TEST(HostileInput, QueuesThatWouldOutrunSimulatedTimeAreRefused) {
  const std::string queue = std::string(DCSIM_SOURCE_DIR) + "/scenarios/queueing_demo.yaml";
  expect_refused(queue, "--set workload.jobs=200000 --set workload.mean_interarrival=1d",
                 "workload.jobs: 200000 jobs at these mean times could run 1.77e+10 s, beyond what a run can simulate");
}

TEST(HostileInput, PatternsNameNoMoreRanksThanDevices) {
  expect_refused(kFlows, "--set 'workload.patterns=[{kind: permutation, ranks: 500, size: 1 MB}]'",
                 "workload.patterns[0].ranks: 500 is out of range; allowed: an integer >= 0 and <= 128");
}

TEST(HostileInput, LatenciesAndBandwidthsKeepRunsInsideSimulatedTime) {
  expect_refused(kFlows, "--set network.latency.switch=1e300s",
                 "network.latency.switch: 1e+300 s is beyond what a run can simulate; allowed: up to 1e+09 s");
  expect_refused(kFlows, "--set 'network.scale_out.link_bandwidth=1e-30 bps'",
                 "network.scale_out.link_bandwidth: \"1e-30 bps\" is out of range; allowed: 0 or at least 1 KB/s");
}

TEST(HostileInput, ValidateRefusesAServerWithoutNicsAsTheRunDoes) {
  const std::string path = out_dir("nonic") + ".yaml";
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  {
    std::ofstream f(path);
    f << R"(name: nonic
catalog:
  servers:
    isolated:
      accelerator: H100-SXM
      accelerators: 8
      scale_up: {topology: nvswitch, bandwidth: 900 GB/s}
      nics: {count: 0, bandwidth: 400 Gbps}
      host_power: 1 kW
      price: 1 USD/h
cluster: {server: isolated, servers: 2}
network: {model: flow, scale_out: {topology: fat_tree, radix: 16}}
workload:
  type: flows
  flows:
    - {src: 1, dst: 9, size: 1 GB}
)";
  }
  expect_refused(path, "", "error: network: the server type has no NICs for the scale-out network");
}

TEST(HostileInput, RunsTooBigForTheMemoryBudgetAreRefusedUpFront) {
  expect_refused(kFlows, "--set 'workload.patterns=[{kind: random, count: 100000000, size: 1 MB}]'",
                 "memory_budget: this run would hold about 100 GB (mostly 1e+08 flows), over its memory budget of 16 GB");
  // Queue pairs lengthen every route: a million flows fit with one, not with 64 (1e6 x
  // (1 KB + 63 x 0.6 KB) = 38.8 GB).
  EXPECT_EQ(run("validate " + kFlows + " --set 'workload.patterns=[{kind: random, count: 1000000, size: 1 MB}]'").code, 0);
  expect_refused(kFlows,
                 "--set 'workload.patterns=[{kind: random, count: 1000000, size: 1 MB}]' --set network.qps_per_connection=64",
                 "memory_budget: this run would hold about 38.8 GB (mostly 1e+06 flows), over its memory budget of 16 GB");
  const std::string train = std::string(DCSIM_SOURCE_DIR) + "/scenarios/train_gpt.yaml";
  expect_refused(train,
                 "--set cluster.servers=10000000 --set workload.parallelism.dp=1250000 --set workload.batch.global=1250000",
                 "(mostly the fabric of 80000000 devices), over its memory budget of 16 GB");
  // The budget is the scenario's to raise.
  EXPECT_EQ(run("validate " + kFlows + " --set 'workload.patterns=[{kind: random, count: 100000000, size: 1 MB}]'"
                " --set 'memory_budget=200 GB'").code, 0);
}

TEST(HostileInput, AnInterruptedRunLeavesNoTemporaryFiles) {
  const std::string out = out_dir("interrupted");
  const std::string scenario = std::string(DCSIM_SOURCE_DIR) + "/scenarios/gpt3_175b_h100_10752.yaml";
  const std::string cmd = "sh -c '" + std::string(DCSIM_BINARY) + " " + scenario + " --quiet --out " + out +
                          " --set output.trace=true --set workload.iterations=20"  // far longer than the second it gets
                          " & pid=$!; sleep 1; kill -TERM $pid; wait $pid; exit $?'";
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 128 + 15);  // died of SIGTERM, as it would have
  ASSERT_TRUE(std::filesystem::exists(out));
  for (const auto& f : std::filesystem::directory_iterator(out)) ADD_FAILURE() << "left behind: " << f.path();
}

TEST(HostileInput, AFolderNeverMixesTwoRuns) {
  const std::string out = out_dir("mixed");
  std::filesystem::create_directories(out);
  { std::ofstream(out + "/flows.csv") << "an older run's flows\n"; }
  const std::string queue = std::string(DCSIM_SOURCE_DIR) + "/scenarios/queueing_demo.yaml";
  ASSERT_EQ(run(queue + " --quiet --out " + out).code, 0);
  EXPECT_FALSE(std::filesystem::exists(out + "/flows.csv"));
  EXPECT_TRUE(std::filesystem::exists(out + "/results.json"));
}

TEST(HostileInput, AnInterleavedScheduleNeedsMicrobatchesInGroupsOfPp) {
  // Found by fuzz_run: the run used to stop with "internal error" (exit 1).
  expect_refused(std::string(DCSIM_SOURCE_DIR) + "/fuzz/regressions/interleaved_microbatches_not_multiple_of_pp.yaml", "",
                 "workload.batch.global: the interleaved schedule runs microbatches in groups of 2 (pp): global 16 / "
                 "(microbatch 2 x dp 8) = 1 microbatches is not a multiple of 2");
}

TEST(HostileInput, MicrobatchGroupsMustDivideTheMicrobatchesAndNeedTheInterleavedSchedule) {
  // Queue pairs lengthen every route: a million flows fit with one, not with 64 (1e6 x
  // (1 KB + 63 x 0.6 KB) = 38.8 GB).
  EXPECT_EQ(run("validate " + kFlows + " --set 'workload.patterns=[{kind: random, count: 1000000, size: 1 MB}]'").code, 0);
  expect_refused(kFlows,
                 "--set 'workload.patterns=[{kind: random, count: 1000000, size: 1 MB}]' --set network.qps_per_connection=64",
                 "memory_budget: this run would hold about 38.8 GB (mostly 1e+06 flows), over its memory budget of 16 GB");
  const std::string train = std::string(DCSIM_SOURCE_DIR) + "/scenarios/train_gpt.yaml";
  expect_refused(train, "--set workload.parallelism.microbatch_group=5",
                 "workload.parallelism.microbatch_group: microbatch groups belong to schedule: interleaved");
  expect_refused(train,
                 "--set workload.parallelism.virtual_stages=2 --set workload.parallelism.schedule=interleaved "
                 "--set workload.parallelism.microbatch_group=10",
                 "the interleaved schedule runs microbatches in groups of 10 (parallelism.microbatch_group)");
  expect_refused(train,
                 "--set workload.parallelism.virtual_stages=2 --set workload.parallelism.schedule=interleaved "
                 "--set workload.parallelism.microbatch_group=4",
                 "workload.parallelism.microbatch_group: 4 is less than pp 8; allowed: pp or more");
  expect_refused(train,
                 "--set workload.parallelism.virtual_stages=2 --set workload.parallelism.schedule=interleaved "
                 "--set workload.parallelism.microbatch_group=0",
                 "workload.parallelism.microbatch_group");
}

TEST(HostileInput, DurationsThatRoundToZeroNanosecondsAreRefused) {
  // They used to run and print "-nan %" for utilization.
  expect_refused(std::string(DCSIM_SOURCE_DIR) + "/scenarios/queueing_demo.yaml", "--set workload.mean_service=0.1ns",
                 "workload.mean_service: rounds to 0 ns; allowed: at least 1 ns");
}

TEST(HostileInput, AnAnalyticalRunOverALinksCapacitySaysItsTimesAreOptimistic) {
  // The incast puts 15 senders on one leaf's uplinks; the analytical model does not share them.
  const std::string out = out_dir("overcap");
  Result r = run(kFlows + " --out " + out + " --set network.model=analytical");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("warning: the analytical network model put 105 % of its capacity on link leaf0 -> spine7"));
  std::ifstream in(out + "/results.json");
  EXPECT_TRUE(nlohmann::json::parse(in)["network"]["over_capacity"].get<bool>());
  r = run(kFlows + " --out " + out);  // the flow model shares links: no warning
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("warning: the analytical network model")));
}

TEST(HostileInput, HierarchicalCollectivesNeedRanksSpreadEvenlyOverDomains) {
  // 15 ranks over two 8-GPU servers: the automatic choice leaves hierarchical out; asked for by
  // name, it is refused in validate as in the run.
  const std::string path = out_dir("uneven") + ".yaml";
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << "name: uneven\ncluster: {server: dgx-h100, servers: 2}\n"
                         "network: {model: flow, scale_out: {topology: rail_optimized, radix: 16}}\n"
                         "workload: {type: collective, op: all_reduce, ranks: 15, sizes: [1 MB, 64 MB]}\n"
                         "output: {trace: false}\n";
  const Result automatic = run(path + " --quiet --out " + out_dir("uneven_auto"));
  EXPECT_EQ(automatic.code, 0) << automatic.output;
  expect_refused(path, "--set workload.algorithm=hierarchical",
                 "workload.algorithm: hierarchical: the hierarchical algorithm needs the same number of ranks in "
                 "every scale-up domain; 15 ranks do not divide evenly over domains of 8 devices");
}

TEST(HostileInput, EveryInputTheFuzzersFoundRunsOrIsRefused) {
  // fuzz/regressions/ holds each input that once crashed, hung or exhausted memory: each now
  // validates and runs (exit 0) or is refused as bad input (exit 2), never anything else.
  const std::filesystem::path dir = std::filesystem::path(DCSIM_SOURCE_DIR) / "fuzz" / "regressions";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string file = entry.path().string();
    const Result v = run("validate " + file);
    EXPECT_TRUE(v.code == 0 || v.code == 2) << file << ": " << v.output;
    const Result r = run(file + " --quiet --out " + out_dir("regression"));
    EXPECT_TRUE(r.code == 0 || r.code == 2) << file << ": " << r.output;
    EXPECT_EQ(v.code, r.code) << file << ": validate and the run disagree";
  }
}

TEST(HostileInput, AThousandBadFlowsNameTheFirstHundredAndCountTheRest) {
  const std::string path = out_dir("many_errors") + ".yaml";
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path);
  out << "name: many\ncluster: {server: dgx-h100, servers: 2}\nnetwork: {model: flow}\nworkload:\n  type: flows\n  flows:\n";
  for (int i = 0; i < 1000; ++i) out << "    - {src: 3, dst: 3, size: 1 MB}\n";
  out.close();
  const Result v = run("validate " + path);
  EXPECT_EQ(v.code, 2);
  EXPECT_THAT(v.output, HasSubstr(path + ":7:21: error: workload.flows[0].dst: a flow needs two different devices"));
  EXPECT_THAT(v.output, HasSubstr("workload.flows[99].dst"));
  EXPECT_THAT(v.output, ::testing::Not(HasSubstr("workload.flows[100].dst")));
  EXPECT_THAT(v.output, HasSubstr("... and 900 more\n1000 errors\n"));
}

TEST(HostileInput, GlobalTokensBeyondAnyBatchAreRefusedNotOverflowed) {
  // A fuzz_run finding: 1.3e69 tokens overflowed the global batch (UBSan: float to int64).
  expect_refused(kTiny, "--set workload.batch.global_tokens=1.3e69",
                 "workload.batch.global_tokens: 1.3e69 is out of range; allowed: a number >= 1 and <= 204800000000");
}

TEST(HostileInput, CollectiveSizeListsHaveTheBoundsOfASingleSize) {
  // A fuzz_run finding: a size in `sizes` of 2e84 EB overflowed simulated time (UBSan).
  const std::string collective = std::string(DCSIM_SOURCE_DIR) + "/scenarios/allreduce_4096.yaml";
  expect_refused(collective, "--set workload.size=~ --set 'workload.sizes=[1 MB, 1e20 GB]'",
                 "workload.sizes: 1e+11 EB is more than a run can count to the byte; allowed: up to 9.007 PB");
  expect_refused(collective, "--set workload.size=~ --set 'workload.sizes=[0.5 B]'",
                 "workload.sizes: 0.5 B is not a whole number of bytes");
}

TEST(HostileInput, AnIncludeNameTheSystemRefusesIsBadInput) {
  // A fuzz_run finding: a 5,000-character include name made std::filesystem throw.
  const std::string path = out_dir("long_include") + ".yaml";
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << "include: " << std::string(5000, 'a') << "\n";
  const Result v = run("validate " + path);
  EXPECT_EQ(v.code, 2) << v.output;
  EXPECT_THAT(v.output, HasSubstr(path + ":1:10: error: include: cannot open"));
  EXPECT_THAT(v.output, HasSubstr("File name too long"));
}
