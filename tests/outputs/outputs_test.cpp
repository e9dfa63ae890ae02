// Output files of a small training run: trace.json against the simulated timeline,
// timeseries.csv columns, units and energy, and dcsim compare.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../test_support.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {
// ctest runs each test in its own process, several at once: one output folder per process.
const fs::path kOut = fs::path("/tmp/dcsim_tests/outputs") / ("tiny_" + std::to_string(::getpid()));
nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}
std::string run(const std::string& args) {
  const auto r = dcsim::testing::run_dcsim(args);
  EXPECT_EQ(r.code, 0) << r.output;
  return r.output;
}
class Outputs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::remove_all(kOut);
    run(std::string(DCSIM_SOURCE_DIR) + "/tests/data/tiny_training.yaml --quiet --out " + kOut.string());
  }
};
}  // namespace

TEST_F(Outputs, EveryFileIsWritten) {
  for (const char* f : {"results.json", "trace.json", "timeseries.csv", "report.html"})
    EXPECT_TRUE(fs::exists(kOut / f)) << f;
}

TEST_F(Outputs, TraceMatchesTheSimulatedTimeline) {
  const auto results = read_json(kOut / "results.json");
  const auto trace = read_json(kOut / "trace.json");
  const double iteration_us = results["training"]["iteration_time_s"].get<double>() * 1e6;
  const int microbatches = results["training"]["parallelism"]["microbatches"].get<int>();
  std::map<int, std::vector<std::pair<double, double>>> compute;  // tid -> spans
  int counters = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "C") ++counters;
    if (e["ph"] != "X" || e["cat"] != "compute") continue;
    compute[e["tid"].get<int>()].emplace_back(e["ts"].get<double>(), e["dur"].get<double>());
  }
  ASSERT_EQ(compute.size(), 2u);  // ranks 0 and 8 were asked for (tracks 0 and 16)
  for (auto& [tid, spans] : compute) {
    EXPECT_EQ(spans.size(), std::size_t(2 * microbatches)) << "one forward and one backward per microbatch";
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i)
      EXPECT_LE(spans[i - 1].first + spans[i - 1].second, spans[i].first + 1e-3) << "a rank computes one thing at a time";
    EXPECT_LE(spans.back().first + spans.back().second, iteration_us + 1e-3);
  }
  EXPECT_GT(counters, 0);  // facility power counter track
}

TEST_F(Outputs, TimeseriesColumnsCarryUnitsAndIntegrateToTheEnergy) {
  std::ifstream in(kOut / "timeseries.csv");
  std::string header;
  std::getline(in, header);
  EXPECT_THAT(header, ::testing::StartsWith("time_s,facility_w,rack0_w"));
  std::stringstream hs(header);
  std::vector<std::string> columns;
  for (std::string c; std::getline(hs, c, ',');) columns.push_back(c);
  for (const auto& c : columns)
    EXPECT_TRUE(c.ends_with("_s") || c.ends_with("_w") || c.ends_with("_fraction")) << c;
  std::vector<std::vector<double>> rows;
  for (std::string line; std::getline(in, line);) {
    std::stringstream ls(line);
    std::vector<double> row;
    for (std::string v; std::getline(ls, v, ',');) row.push_back(std::stod(v));
    ASSERT_EQ(row.size(), columns.size());
    rows.push_back(row);
  }
  ASSERT_GT(rows.size(), 10u);
  const auto results = read_json(kOut / "results.json");
  const double end = results["simulation"]["simulated_time_s"].get<double>();
  double energy = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double next = i + 1 < rows.size() ? rows[i + 1][0] : end;
    energy += rows[i][1] * (next - rows[i][0]);
    for (std::size_t c = 0; c < columns.size(); ++c)
      if (columns[c].ends_with("_fraction")) {
        EXPECT_LE(rows[i][c], 1.0 + 1e-9);
      }
  }
  // No train_tokens: energy is the simulated span's, and the CSV bins are exact averages.
  EXPECT_NEAR(energy / 3.6e6, results["energy"]["facility_kwh"].get<double>(), 1e-6 * energy / 3.6e6);
}

TEST_F(Outputs, CompareShowsBothRunsAndTheirDifferences) {
  const fs::path other = kOut.string() + "_full";
  run(std::string(DCSIM_SOURCE_DIR) + "/tests/data/tiny_training.yaml --quiet --set workload.recompute=full --out " +
      other.string());
  const std::string out = run("compare " + (kOut / "results.json").string() + " " + (other / "results.json").string());
  EXPECT_THAT(out, ::testing::HasSubstr("training.iteration_time_s"));
  EXPECT_THAT(out, ::testing::HasSubstr("training.parallelism.recompute"));
  EXPECT_THAT(out, ::testing::HasSubstr("%"));
  EXPECT_NE(std::system((std::string(DCSIM_BINARY) + " compare /nonexistent.json " + (kOut / "results.json").string() +
                         " > /dev/null 2>&1").c_str()), 0);
}
