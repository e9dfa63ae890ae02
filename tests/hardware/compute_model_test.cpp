#include "models/hardware/compute_model.hpp"

#include <gtest/gtest.h>

#include "models/hardware/calibration.hpp"
#include "models/scenario/catalog_parser.hpp"

using namespace dcsim::hardware;

namespace {
// A round-numbered chip: 100 TFLOP/s, 1 TB/s, no inefficiency, no floor.
AcceleratorSpec ideal_chip() {
  AcceleratorSpec c;
  c.name = "ideal";
  c.peak_flops[static_cast<int>(Precision::bf16)] = 100e12;
  c.hbm_bandwidth = 1e12;
  c.compute.max_efficiency[static_cast<int>(Precision::bf16)] = 1.0;
  c.compute.memory_efficiency = 1.0;
  c.compute.shape_gain = 1.0;
  return c;
}
ComputeOp op(double flops, double bytes) {
  ComputeOp o;
  o.kind = OpKind::Elementwise;
  o.flops = flops;
  o.bytes = bytes;
  return o;
}
}  // namespace

TEST(ComputeModel, ComputeBoundByFlopsMemoryBoundByBandwidthCrossoverAtRidge) {
  const AcceleratorSpec c = ideal_chip();
  // Ridge point: arithmetic intensity = peak / bandwidth = 100 FLOP/B.
  const OpTiming compute = op_time(c, op(1e12, 1e9));  // intensity 1000
  EXPECT_TRUE(compute.compute_bound);
  EXPECT_DOUBLE_EQ(compute.seconds, 1e12 / 100e12);
  const OpTiming memory = op_time(c, op(1e9, 1e9));  // intensity 1
  EXPECT_FALSE(memory.compute_bound);
  EXPECT_DOUBLE_EQ(memory.seconds, 1e9 / 1e12);
  const OpTiming below = op_time(c, op(99e9, 1e9));
  const OpTiming above = op_time(c, op(101e9, 1e9));
  EXPECT_FALSE(below.compute_bound);
  EXPECT_TRUE(above.compute_bound);
  EXPECT_DOUBLE_EQ(op_time(c, op(100e9, 1e9)).seconds, 1e-3);  // both limits meet at the ridge
}

TEST(ComputeModel, EfficienciesAndFloorAreApplied) {
  AcceleratorSpec c = ideal_chip();
  c.compute.max_efficiency[static_cast<int>(Precision::bf16)] = 0.5;
  c.compute.memory_efficiency = 0.8;
  c.compute.kernel_floor_s = 2e-6;
  EXPECT_DOUBLE_EQ(op_time(c, op(1e12, 0)).seconds, 2e-6 + 1e12 / 50e12);
  EXPECT_DOUBLE_EQ(op_time(c, op(0, 8e8)).seconds, 2e-6 + 8e8 / 0.8e12);
}

TEST(ComputeModel, SmallAndSkinnyMatmulsRunFurtherFromPeak) {
  AcceleratorSpec c = ideal_chip();
  c.compute.max_efficiency[static_cast<int>(Precision::bf16)] = 0.8;
  c.compute.shape_gain = 1.2;
  c.compute.half_mn = 700;
  c.compute.half_k = 180;
  const double big = matmul_efficiency(c.compute, Precision::bf16, {1, 8192, 8192, 8192});
  const double skinny = matmul_efficiency(c.compute, Precision::bf16, {1, 8192, 128, 8192});
  const double shallow = matmul_efficiency(c.compute, Precision::bf16, {1, 8192, 8192, 64});
  const double small = matmul_efficiency(c.compute, Precision::bf16, {1, 256, 256, 256});
  EXPECT_DOUBLE_EQ(big, 0.8);  // capped at the ceiling
  EXPECT_LT(skinny, big);
  EXPECT_LT(shallow, big);
  EXPECT_LT(small, skinny);
  // Hand-worked: g * s(MN/h^2) * s(K/h_k) for 256^3 = 1.2 * (65536/(65536+490000)) * (256/436).
  EXPECT_NEAR(small, 0.8 * 1.2 * (65536.0 / (65536 + 490000)) * (256.0 / 436), 1e-12);
  EXPECT_THROW(op_time(c, matmul_op({1, 64, 64, 64}, Precision::fp8)), std::invalid_argument);
}

TEST(Calibration, ShippedH100FitReproducesTheCatalogDefaultsAndFitsWithinBounds) {
  dcsim::scenario::Diagnostics diag;
  const Catalog catalog = dcsim::scenario::read_catalog(nullptr, "catalog", diag);
  const AcceleratorSpec& h100 = *catalog.accelerator("H100-SXM");
  const auto samples = read_gemm_csv(std::string(DCSIM_SOURCE_DIR) + "/models/hardware/calibration/h100_gemm.csv");
  ASSERT_EQ(samples.size(), 73u);
  const CurveFit fit = fit_matmul_curve(h100, samples);
  EXPECT_NEAR(fit.shape_gain, h100.compute.shape_gain, 1e-3);
  EXPECT_NEAR(fit.half_mn, h100.compute.half_mn, 0.5);
  EXPECT_NEAR(fit.half_k, h100.compute.half_k, 0.5);
  EXPECT_NEAR(fit.kernel_floor_s, h100.compute.kernel_floor_s, 0.01e-6);
  EXPECT_LT(fit.rms_log_error, 0.05);
  // The large-GEMM ceiling: 8192^3 through PyTorch measured 798 TFLOP/s.
  const OpTiming t = op_time(h100, [] {
    auto o = matmul_op({1, 8192, 8192, 8192}, Precision::bf16);
    o.bytes = 0;
    return o;
  }());
  EXPECT_NEAR(2.0 * 8192 * 8192 * 8192 / t.seconds / 1e12, 798, 0.01 * 798);
}

TEST(Calibration, BadCsvIsAClearError) {
  const std::string path = "/tmp/dcsim_tests_bad_gemm.csv";
  std::FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("batch,m,n,k,precision,flops_per_s\n1,2,3,4,bf17,5\n", f);
  std::fclose(f);
  try {
    read_gemm_csv(path);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "/tmp/dcsim_tests_bad_gemm.csv:2: unknown precision \"bf17\"");
  }
}
