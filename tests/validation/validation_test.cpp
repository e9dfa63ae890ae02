// Published training runs rebuilt as scenarios (scenarios/validation/*.yaml): the simulated
// per-device throughput against the published one. docs/validation.md keeps the table.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

namespace {
enum class Metric { HardwareTflopsPerDevice, TokensPerDevice, SequencesPerSecond };
struct Row {
  const char* scenario;
  Metric metric;
  double published;
  double tolerance;  // relative: 0.15 for every row (the bar)
};

// Megatron-LM SC'21 Table 1 (A100, TFLOP/s per GPU counting recomputation), NeMo 24.07
// (H100 FP8, tokens/s per GPU), AWS Neuron trn1 (sequences/s on 512 chips).
const Row kRows[] = {
    {"megatron-1.7b", Metric::HardwareTflopsPerDevice, 137, 0.15},
    {"megatron-3.6b", Metric::HardwareTflopsPerDevice, 138, 0.15},
    {"megatron-7.5b", Metric::HardwareTflopsPerDevice, 142, 0.15},
    {"megatron-18.4b", Metric::HardwareTflopsPerDevice, 135, 0.15},
    {"megatron-39.1b", Metric::HardwareTflopsPerDevice, 138, 0.15},
    {"megatron-76.1b", Metric::HardwareTflopsPerDevice, 140, 0.15},
    {"megatron-145.6b", Metric::HardwareTflopsPerDevice, 148, 0.15},
    {"megatron-310.1b", Metric::HardwareTflopsPerDevice, 155, 0.15},
    {"megatron-529.6b", Metric::HardwareTflopsPerDevice, 163, 0.15},
    {"megatron-1008b", Metric::HardwareTflopsPerDevice, 163, 0.15},
    {"nemo-gpt3-175b-128", Metric::TokensPerDevice, 726, 0.15},
    {"nemo-gpt3-175b-512", Metric::TokensPerDevice, 782, 0.15},
    {"nemo-llama2-70b-64", Metric::TokensPerDevice, 1707, 0.15},
    {"nemo-llama3-70b-64", Metric::TokensPerDevice, 1533, 0.15},
    {"nemo-nemotron-340b-128", Metric::TokensPerDevice, 322, 0.15},
    {"neuron-gpt3-175b", Metric::SequencesPerSecond, 13.3, 0.15},
    {"neuron-llama2-70b", Metric::SequencesPerSecond, 15.34, 0.15},  // the Trainium1 calibration point
    {"neuron-llama2-13b", Metric::SequencesPerSecond, 85.65, 0.15},
};

class Validation : public ::testing::TestWithParam<Row> {};

TEST_P(Validation, SimulatedThroughputIsWithinToleranceOfThePublishedRun) {
  const Row& row = GetParam();
  const std::string out = std::string("/tmp/dcsim_tests/validation/") + row.scenario;
  const std::string cmd = std::string(DCSIM_BINARY) + " " + DCSIM_SOURCE_DIR + "/scenarios/validation/" + row.scenario +
                          ".yaml --quiet --out " + out + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream in(out + "/results.json");
  const auto j = nlohmann::json::parse(in)["training"];
  double simulated = 0;
  switch (row.metric) {
    case Metric::HardwareTflopsPerDevice: simulated = j["hardware_tflops_per_device"].get<double>(); break;
    case Metric::TokensPerDevice: simulated = j["tokens_per_s_per_device"].get<double>(); break;
    case Metric::SequencesPerSecond:
      simulated = j["tokens_per_s"].get<double>() / j["model"]["seq_len"].get<double>();
      break;
  }
  const double error = simulated / row.published - 1;
  RecordProperty("relative_error", std::to_string(error));
  EXPECT_LE(std::abs(error), row.tolerance) << row.scenario << ": simulated " << simulated << ", published "
                                            << row.published;
}

INSTANTIATE_TEST_SUITE_P(PublishedRuns, Validation, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& info) {
                           std::string name = info.param.scenario;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });
}  // namespace
