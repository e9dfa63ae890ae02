#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scenario_test_util.hpp"

using dcsim::testing::load_errors;
using dcsim::testing::write_temp;
using ::testing::HasSubstr;

namespace {
const char* kBase = R"(name: base
workload:
  type: queueing
  servers: 2
  jobs: 100
  mean_interarrival: 1 ms
  mean_service: 1.5 ms
)";
}

TEST(Overrides, SetReplacesAnyKeyAndIsValidatedTheSameWay) {
  const auto path = write_temp("ovr.yaml", kBase);
  auto s = dcsim::scenario::load_scenario(path, {"workload.servers=8", "seed=42", "workload.mean_service=2 us"});
  EXPECT_EQ(s.queueing.servers, 8);
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.queueing.mean_service, dcsim::Time::us(2));
  EXPECT_THAT(load_errors(path, {"workload.servers=lots"}),
              HasSubstr("--set workload.servers=lots: error: workload.servers: \"lots\" is not an integer >= 1"));
  EXPECT_THAT(load_errors(path, {"workload.sever=3"}),
              HasSubstr("--set workload.sever=3: error: workload.sever: unknown key \"sever\"; did you mean \"servers\"?"));
  EXPECT_THAT(load_errors(path, {"workload.servers"}), HasSubstr("an override is written key.path=value"));
  EXPECT_THAT(load_errors(path, {"workload..servers=1"}), HasSubstr("empty key in the key path"));
}

TEST(Includes, IncludedFilesAreMergedUnderTheIncludersKeysRelativeToTheIncluder) {
  write_temp("presets_queue.yaml", R"(workload:
  type: queueing
  servers: 3
  jobs: 50
  mean_interarrival: 2 ms
  mean_service: 1 ms
)");
  const auto path = write_temp("includer.yaml", R"(include: presets_queue.yaml
name: uses-preset
workload:
  servers: 5
)");
  const auto s = dcsim::scenario::load_scenario(path, {});
  EXPECT_EQ(s.name, "uses-preset");
  EXPECT_EQ(s.queueing.servers, 5);  // the includer wins
  EXPECT_EQ(s.queueing.jobs, 50);    // the rest comes from the include
  EXPECT_EQ(s.queueing.mean_interarrival, dcsim::Time::ms(2));
}

TEST(Includes, ErrorsInsideAnIncludedFileNameThatFile) {
  const auto inc = write_temp("bad_include.yaml", "workload:\n  type: queueing\n  jobs: 10\n  mean_interarrival: 1 ms\n  mean_service: 1 lightyear\n");
  const auto path = write_temp("includes_bad.yaml", "include: [bad_include.yaml]\n");
  EXPECT_THAT(load_errors(path), HasSubstr(inc.string() + ":5:17: error: workload.mean_service: unknown unit"));
}

TEST(Includes, MissingFilesAndCyclesAreErrorsAtTheIncludeLine) {
  const auto missing = write_temp("inc_missing.yaml", "name: x\ninclude: nope.yaml\n");
  EXPECT_THAT(load_errors(missing), HasSubstr(missing.string() + ":2:10: error: include: cannot open"));
  write_temp("cycle_a.yaml", "include: cycle_b.yaml\n");
  const auto b = write_temp("cycle_b.yaml", "include: cycle_a.yaml\n");
  EXPECT_THAT(load_errors(b), HasSubstr("include cycle"));
}
