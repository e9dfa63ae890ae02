// The shipped catalog against shared/reference/hardware.md, and catalog input errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../scenario/scenario_test_util.hpp"
#include "models/scenario/catalog_parser.hpp"
#include "models/scenario/yaml_loader.hpp"

using namespace dcsim;
using hardware::Precision;
using ::testing::HasSubstr;

namespace {
hardware::Catalog builtin() {
  scenario::Diagnostics diag;
  auto c = scenario::read_catalog(nullptr, "catalog", diag);
  EXPECT_TRUE(diag.empty()) << diag.to_string();
  return c;
}
std::string catalog_errors(const std::string& yaml) {
  scenario::Diagnostics diag;
  scenario::ConfigNode over = scenario::parse_yaml_text(yaml, "over.yaml", diag);
  scenario::read_catalog(&over, "catalog", diag);
  return diag.to_string();
}
constexpr double T = 1e12, G = 1e9, GiB = 1073741824.0, MiB = 1048576.0;
}  // namespace

TEST(Catalog, AcceleratorFiguresMatchHardwareReference) {
  const auto c = builtin();
  struct Row {
    const char* chip;
    double bf16, fp8, hbm, hbm_bw, scale_up, max_w;
  };
  // HBM: what nvidia-smi reports as usable (MiB), which is what a plan must fit in. B200's
  // bandwidth is its driver-reported 7,680-bit bus, not the datasheet's 8 TB/s.
  const Row rows[] = {
      {"A100-SXM-80GB", 312 * T, 0, 81920 * MiB, 2.0 * T, 600 * G, 400},
      {"H100-SXM", 989 * T, 1979 * T, 81559 * MiB, 3.35 * T, 900 * G, 700},
      {"H200", 989 * T, 1979 * T, 143771 * MiB, 4.8 * T, 900 * G, 700},
      {"B200", 2250 * T, 4500 * T, 183359 * MiB, 7.672 * T, 1.8 * T, 1000},
      {"GB200", 2500 * T, 5000 * T, 189471 * MiB, 8 * T, 1.8 * T, 1200},
      {"GB300", 2500 * T, 5000 * T, 279 * G, 8 * T, 1.8 * T, 1400},
      {"Trainium1", 190 * T, 190 * T, 32 * GiB, 820 * GiB, 384 * G, 300},
      {"Trainium2", 667 * T, 1299 * T, 96 * GiB, 2.9 * T, 1.28 * T, 500},
      {"Trainium3", 671 * T, 2517 * T, 144 * GiB, 4.9 * T, 2.56 * T, 700},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.chip);
    const auto* a = c.accelerator(r.chip);
    ASSERT_NE(a, nullptr);
    EXPECT_DOUBLE_EQ(a->peak(Precision::bf16), r.bf16);
    EXPECT_DOUBLE_EQ(a->peak(Precision::fp8), r.fp8);
    EXPECT_DOUBLE_EQ(a->hbm_bytes, r.hbm);
    EXPECT_DOUBLE_EQ(a->hbm_bandwidth, r.hbm_bw);
    EXPECT_DOUBLE_EQ(a->scale_up_bandwidth, r.scale_up);
    EXPECT_DOUBLE_EQ(a->power.max_w, r.max_w);
    EXPECT_LT(a->power.idle_w, a->power.max_w);
    EXPECT_FALSE(a->sources.at("peak").empty());
    EXPECT_FALSE(a->sources.at("power").empty());
  }
  EXPECT_DOUBLE_EQ(c.accelerator("GB300")->peak(Precision::fp4), 15000 * T);
  EXPECT_DOUBLE_EQ(c.accelerator("H100-SXM")->peak(Precision::tf32), 494.5 * T);
  // Steady-state fits (calibration/h100_gemm_steady_*.csv): 726 BF16, 1295 FP8 TFLOP/s at the largest shapes.
  EXPECT_DOUBLE_EQ(c.accelerator("H100-SXM")->max_efficiency(Precision::bf16), 0.7339);
  EXPECT_DOUBLE_EQ(c.accelerator("H100-SXM")->max_efficiency(Precision::fp8), 0.6542);
  EXPECT_FALSE(c.accelerator("GB200")->assumed.empty());  // uncalibrated figures are named
  EXPECT_TRUE(c.accelerator("H100-SXM")->assumed.empty());
}

TEST(Catalog, ServerFiguresMatchHardwareReference) {
  const auto c = builtin();
  const auto* p5 = c.server("p5.48xlarge");
  ASSERT_NE(p5, nullptr);
  EXPECT_EQ(p5->accelerators, 8);
  EXPECT_EQ(p5->nics * p5->nic_bandwidth * 8, 3200e9);  // EFA 3,200 Gbps
  EXPECT_EQ(c.server("p6-b200.48xlarge")->accelerator, "B200");
  EXPECT_EQ(c.server("p5en.48xlarge")->accelerator, "H200");
  EXPECT_EQ(c.server("gb200-nvl72")->domain_size(), 72);
  EXPECT_EQ(c.server("trn2.48xlarge")->scale_up.torus, (std::vector<int>{4, 4}));
  EXPECT_DOUBLE_EQ(c.server("trn2.48xlarge")->scale_up.bandwidth, 1024e9);
  EXPECT_EQ(c.server("trn2-ultraserver")->domain_size(), 64);
  EXPECT_DOUBLE_EQ(c.server("trn2-ultraserver")->scale_up.ring_bandwidth, 256e9);
  EXPECT_EQ(c.server("trn3-ultraserver")->domain_size(), 144);
  EXPECT_EQ(c.server("trn1.32xlarge")->nics * c.server("trn1.32xlarge")->nic_bandwidth * 8, 800e9);
  EXPECT_EQ(c.server("trn1n.32xlarge")->nics * c.server("trn1n.32xlarge")->nic_bandwidth * 8, 1600e9);
  for (const char* s : {"dgx-a100", "dgx-h100", "hgx-h100", "p6e-gb200.36xlarge"}) EXPECT_NE(c.server(s), nullptr) << s;
}

TEST(Catalog, AScenarioAddsAChipAndChangesOneFigureOfAnother) {
  const std::string yaml = R"(accelerators:
  MyChip:
    peak: {bf16: 100 TFLOP/s}
    hbm: 16 GB
    hbm_bandwidth: 1 TB/s
    scale_up_bandwidth: 100 GB/s
    power: {idle: 20 W, max: 150 W}
    compute: {max_efficiency: {bf16: 0.7}}
  H100-SXM:
    power: {max: 650 W}
)";
  scenario::Diagnostics diag;
  scenario::ConfigNode over = scenario::parse_yaml_text(yaml, "over.yaml", diag);
  const auto c = scenario::read_catalog(&over, "catalog", diag);
  ASSERT_TRUE(diag.empty()) << diag.to_string();
  EXPECT_DOUBLE_EQ(c.accelerator("MyChip")->peak(Precision::bf16), 100e12);
  EXPECT_DOUBLE_EQ(c.accelerator("MyChip")->compute.gemm[static_cast<int>(Precision::bf16)].half_k, 130.8);  // defaults apply
  EXPECT_DOUBLE_EQ(c.accelerator("H100-SXM")->power.max_w, 650);
  EXPECT_DOUBLE_EQ(c.accelerator("H100-SXM")->peak(Precision::bf16), 989e12);  // the rest is kept
}

TEST(Catalog, BadEntriesAreClearErrors) {
  EXPECT_THAT(catalog_errors("accelerators:\n  H100-SXM:\n    hbm_bandwidth: 0 TB/s\n"),
              HasSubstr("over.yaml:3:20: error: catalog.accelerators.H100-SXM.hbm_bandwidth: \"0 TB/s\" is out of range; allowed: > 0 B/s"));
  EXPECT_THAT(catalog_errors("accelerators:\n  H100-SXM:\n    hbm_bandwidth: -3 TB/s\n"), HasSubstr("out of range"));
  EXPECT_THAT(catalog_errors("accelerators:\n  New:\n    peak: {bf16: 1 TFLOP/s}\n"),
              HasSubstr("catalog.accelerators.New.hbm: missing required key \"hbm\""));
  EXPECT_THAT(catalog_errors("accelerators:\n  H100-SXM:\n    peak: {bf61: 1 TFLOP/s}\n"),
              HasSubstr("catalog.accelerators.H100-SXM.peak.bf61: unknown key \"bf61\"; did you mean \"bf16\"?"));
  EXPECT_THAT(catalog_errors("accelerators:\n  H100-SXM:\n    peak: {fp4: 3000 TFLOP/s}\n"),
              HasSubstr("no max_efficiency for fp4"));
  EXPECT_THAT(catalog_errors("accelerators:\n  H100-SXM:\n    power: {idle: 800 W}\n"),
              HasSubstr("idle power must be below max power"));
  EXPECT_THAT(catalog_errors("servers:\n  s:\n    accelerator: H100-SMX\n    accelerators: 8\n    scale_up: {topology: nvswitch, bandwidth: 1 GB/s}\n    nics: {count: 1, bandwidth: 1 Gbps}\n"),
              HasSubstr("\"H100-SMX\" is not allowed; did you mean \"H100-SXM\"?"));
  EXPECT_THAT(catalog_errors("servers:\n  s:\n    accelerator: Trainium2\n    accelerators: 8\n    scale_up: {topology: torus2d, bandwidth: 1 GB/s, torus: [4, 4]}\n    nics: {count: 1, bandwidth: 1 Gbps}\n"),
              HasSubstr("4 x 4 does not match 8 accelerators"));
}
