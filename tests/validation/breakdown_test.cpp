// Where the time goes, against published measurements of it (docs/validation.md,
// "Breakdowns"). Korthikanti et al. 2022 (arXiv 2205.05198) Table 4 times the forward and the
// backward pass of one transformer layer of their 22B model (TP8 on one DGX A100, microbatch 4,
// sequence 2,048) in five configurations; dcsim's layer costs, with the clock and the slowest-of-8
// factor the simulation applies, are held to each of them.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "../test_support.hpp"
#include "models/network/fabric.hpp"
#include "models/power/power_model.hpp"
#include "models/workload/stragglers.hpp"
#include "models/workload/training_costs.hpp"

using namespace dcsim;
using namespace dcsim::workload;

namespace {

struct Published {
  const char* config;
  bool sequence_parallel;
  Recompute recompute;
  double forward_ms, backward_ms;
};

// Table 4 as printed (Selene, Megatron-LM at its sequence-parallel release).
constexpr Published kTable4[] = {
    {"baseline, no recomputation", false, Recompute::None, 7.7, 11.9},
    {"sequence parallelism", true, Recompute::None, 7.2, 11.8},
    {"full recomputation", false, Recompute::Full, 7.7, 19.5},
    {"selective recomputation", false, Recompute::Selective, 7.7, 13.2},
    {"selective + sequence parallelism", true, Recompute::Selective, 7.2, 13.1},
};

TransformerSpec megatron_22b() {
  TransformerSpec m;
  m.name = "gpt-22b";
  m.layers = 48;
  m.hidden = 6144;
  m.ffn = 4 * 6144;
  m.heads = m.kv_heads = 64;
  m.vocab = 51200;
  m.seq_len = 2048;
  m.tied_embeddings = true;
  m.dropout = true;
  return m;
}

ParallelPlan plan_of(const Published& p) {
  ParallelPlan plan;
  plan.tp = 8;
  plan.pp = 1;
  plan.dp = 1;
  plan.microbatch = 4;
  plan.global_batch = 4;
  plan.sequence_parallel = p.sequence_parallel;
  plan.recompute = p.recompute;
  plan.flash_attention = false;  // fused softmax between batched GEMMs, as Megatron-LM ran in 2022
  plan.precision = hardware::Precision::fp16;
  plan.separate_grad_accumulation = true;
  return plan;
}

struct LayerTimes {
  double forward_ms, backward_ms;
};

LayerTimes simulate(const Published& p) {
  const auto& catalog = dcsim::testing::builtin_catalog();
  const auto* server = catalog.server("dgx-a100");
  const hardware::Cluster cluster({server, catalog.accelerator(server->accelerator), 1, 1, 0});
  network::Fabric fabric(cluster, network::FabricSpec{});
  Simulator sim;
  network::NetworkSim net(sim, fabric, network::SharingModel::Analytical);
  const TrainingCosts costs = training_costs(megatron_22b(), plan_of(p), cluster.accelerator(), net);
  // The simulation's own factors: the clock under the power cap and the slowest of 8 chips.
  const power::PowerModel power(cluster, power::FacilitySpec{});
  const double clock = power.clock(power::Activity::Compute);
  const double slowness = slowest_device_factor(8, kDeviceVariability);
  auto ms = [&](const BlockCost& b) {
    return 1e3 * ((b.compute_bound_s / clock + b.memory_bound_s) * slowness + b.comm_s());
  };
  return {ms(costs.dense_layer_forward), ms(costs.dense_layer_backward)};
}

class Table4 : public ::testing::TestWithParam<Published> {};

TEST_P(Table4, LayerForwardAndBackwardWithinTenPercentOfTheMeasured) {
  const Published& p = GetParam();
  const LayerTimes t = simulate(p);
  RecordProperty("forward_ms", std::to_string(t.forward_ms));
  RecordProperty("backward_ms", std::to_string(t.backward_ms));
  std::printf("%-34s forward %.2f ms (published %.1f), backward %.2f ms (published %.1f)\n", p.config, t.forward_ms,
              p.forward_ms, t.backward_ms, p.backward_ms);
  EXPECT_NEAR(t.forward_ms / p.forward_ms, 1.0, 0.10) << p.config;
  EXPECT_NEAR(t.backward_ms / p.backward_ms, 1.0, 0.10) << p.config;
}

INSTANTIATE_TEST_SUITE_P(Korthikanti2022, Table4, ::testing::ValuesIn(kTable4));

}  // namespace

namespace {

// Table 5: the iteration with full recomputation and no sequence parallelism against the same
// plan with sequence parallelism and selective recomputation, for each model. The ratio is the
// share of the step recomputation costs; dcsim's, from the validation scenarios, within 10 %.
struct Table5Row {
  const char* model;
  double full_s, present_s;
};
constexpr Table5Row kTable5[] = {
    {"22b-%s-8", 1.42, 1.10}, {"175b-%s-64", 18.13, 13.75}, {"530b-%s-280", 49.05, 37.83}, {"1t-%s-512", 94.42, 71.49}};

double iteration_s(const std::string& scenario) {
  const std::string out = "/tmp/dcsim_tests/breakdown/" + scenario;
  const auto r = dcsim::testing::run_dcsim(std::string(DCSIM_SOURCE_DIR) + "/scenarios/validation/" + scenario +
                                           ".yaml --quiet --out " + out);
  EXPECT_EQ(r.code, 0) << r.output;
  std::ifstream in(out + "/results.json");
  return nlohmann::json::parse(in)["training"]["iteration_time_s"].get<double>();
}

std::string scenario(const char* pattern, const char* mode) {
  char name[64];
  std::snprintf(name, sizeof name, pattern, mode);
  return std::string("korthikanti-") + name;
}

class Table5 : public ::testing::TestWithParam<Table5Row> {};

TEST_P(Table5, RecomputationCostWithinTenPercentOfThePublished) {
  const Table5Row& row = GetParam();
  const double full = iteration_s(scenario(row.model, "full")), present = iteration_s(scenario(row.model, "seqsel"));
  const double published = row.full_s / row.present_s, simulated = full / present;
  std::printf("%-22s full / present: published %.3f, dcsim %.3f (%.2f s / %.2f s)\n", scenario(row.model, "*").c_str(),
              published, simulated, full, present);
  EXPECT_NEAR(simulated / published, 1.0, 0.10);
}

INSTANTIATE_TEST_SUITE_P(Korthikanti2022, Table5, ::testing::ValuesIn(kTable5));

}  // namespace
