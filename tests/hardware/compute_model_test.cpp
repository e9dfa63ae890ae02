#include "models/hardware/compute_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>

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
  c.compute.gemm[static_cast<int>(Precision::bf16)].max_efficiency = 1.0;
  c.compute.memory.fill(1.0);
  return c;
}
ComputeOp op(double flops, double bytes) {
  ComputeOp o;
  o.kind = OpKind::Memory;
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
  c.compute.gemm[static_cast<int>(Precision::bf16)].max_efficiency = 0.5;
  c.compute.memory.fill(0.8);
  c.compute.kernel_floor_s = 2e-6;
  EXPECT_DOUBLE_EQ(op_time(c, op(1e12, 0)).seconds, 2e-6 + 1e12 / 50e12);
  EXPECT_DOUBLE_EQ(op_time(c, op(0, 8e8)).seconds, 2e-6 + 8e8 / 0.8e12);
}

TEST(ComputeModel, SmallAndSkinnyMatmulsRunFurtherFromPeak) {
  AcceleratorSpec c = ideal_chip();
  GemmCurve& g = c.compute.gemm[static_cast<int>(Precision::bf16)];
  g = {0.8, 700, 180};
  const double big = matmul_efficiency(c.compute, Precision::bf16, {1, 8192, 8192, 8192});
  const double skinny = matmul_efficiency(c.compute, Precision::bf16, {1, 8192, 128, 8192});
  const double shallow = matmul_efficiency(c.compute, Precision::bf16, {1, 8192, 8192, 64});
  const double small = matmul_efficiency(c.compute, Precision::bf16, {1, 256, 256, 256});
  EXPECT_LT(big, 0.8);
  EXPECT_GT(big, 0.78);  // large shapes come within a few percent of e_max
  EXPECT_LT(skinny, big);
  EXPECT_LT(shallow, big);
  EXPECT_LT(small, skinny);
  // Hand-worked: e_max * o(MN/h^2) * s(K/h_k), o(x) = x/sqrt(1+x^2), s(x) = x/(1+x), for 256^3:
  // x = 65536/490000 = 0.13375, o = 0.13257; s = 256/436.
  const double x = 65536.0 / 490000;
  EXPECT_NEAR(small, 0.8 * (x / std::sqrt(1 + x * x)) * (256.0 / 436), 1e-12);
  EXPECT_THROW(op_time(c, matmul_op({1, 64, 64, 64}, Precision::fp8)), std::invalid_argument);
}

TEST(ComputeModel, AttentionBackwardHasTwoAndAHalfTimesTheForwardFlopsAndItsOwnCurve) {
  AcceleratorSpec c = ideal_chip();
  c.compute.attention_forward = {0.6, 100, 300};
  c.compute.attention_backward = {0.5, 100, 2000};
  const AttentionShape s{16, 8192, 8192, 128, true};
  // Causal: 4 s^2 d per head, halved.
  EXPECT_DOUBLE_EQ(s.forward_flops(), 4.0 * 16 * 8192 * 8192 * 128 / 2);
  const ComputeOp f = attention_op(s, 1.0 / 16, false), b = attention_op(s, 1.0 / 16, true);
  EXPECT_DOUBLE_EQ(b.flops, 2.5 * f.flops);
  const double tiles = 16.0 * 8192 / 128;
  const double ef = 0.6 * tiles / (tiles + 100) * 8192 / (8192 + 300.0);
  const double eb = 0.5 * tiles / (tiles + 100) * 8192 / (8192 + 2000.0);
  EXPECT_DOUBLE_EQ(op_time(c, f).seconds, f.flops / (100e12 * ef));
  EXPECT_DOUBLE_EQ(op_time(c, b).seconds, b.flops / (100e12 * eb));
}

TEST(ComputeModel, EachKindOfMemoryKernelStreamsAtItsOwnFraction) {
  AcceleratorSpec c = ideal_chip();
  c.compute.memory[static_cast<int>(MemoryKernel::Stream)] = 0.9;
  c.compute.memory[static_cast<int>(MemoryKernel::NormEager)] = 0.5;
  EXPECT_DOUBLE_EQ(op_time(c, memory_op(9e9, MemoryKernel::Stream)).seconds, 9e9 / 0.9e12);
  EXPECT_DOUBLE_EQ(op_time(c, memory_op(9e9, MemoryKernel::NormEager)).seconds, 9e9 / 0.5e12);
}

// nvbench's DeviceTransform add on a B200 (NVIDIA/cccl#7391): 2^28 fp16 elements, two read and
// one written, in 239.643 us of GPU time (6.721 TB/s).
TEST(ComputeModel, B200StreamKernelTakesNvbenchsMeasuredTime) {
  dcsim::scenario::Diagnostics diag;
  const Catalog catalog = dcsim::scenario::read_catalog(nullptr, "catalog", diag);
  const AcceleratorSpec& b200 = *catalog.accelerator("B200");
  const double bytes = 3.0 * 2.0 * std::pow(2.0, 28);
  const double measured = 239.643e-6;
  EXPECT_NEAR(op_time(b200, memory_op(bytes, MemoryKernel::Stream)).seconds, measured, 0.02 * measured);
}

TEST(Calibration, ShippedH100FitsReproduceTheCatalog) {
  dcsim::scenario::Diagnostics diag;
  const Catalog catalog = dcsim::scenario::read_catalog(nullptr, "catalog", diag);
  const AcceleratorSpec& h100 = *catalog.accelerator("H100-SXM");
  const std::string dir = std::string(DCSIM_SOURCE_DIR) + "/models/hardware/calibration/";
  // BF16: the steady-state table.
  const auto samples = read_gemm_csv(dir + "h100_gemm_steady_bf16.csv");
  ASSERT_EQ(samples.size(), 65u);
  const CurveFit bf16 = fit_matmul_curve(h100, samples);
  const GemmCurve& c16 = h100.compute.gemm[static_cast<int>(Precision::bf16)];
  EXPECT_NEAR(bf16.curve.max_efficiency, c16.max_efficiency, 1e-4);
  EXPECT_NEAR(bf16.curve.half_mn, c16.half_mn, 0.5);
  EXPECT_NEAR(bf16.curve.half_k, c16.half_k, 0.5);
  EXPECT_NEAR(bf16.kernel_floor_s, h100.compute.kernel_floor_s, 0.01e-6);
  EXPECT_LT(bf16.rms_log_error, 0.05);
  // The boost-clock tables (OpenXLA's sm_90 table, 8192^3 through PyTorch) fitted with a level
  // of their own run faster than the steady state.
  GemmFitOptions boost;
  boost.relative_sources = {"xla", "mamf"};
  auto joint = samples;
  const auto xla = read_gemm_csv(dir + "h100_gemm.csv");
  joint.insert(joint.end(), xla.begin(), xla.end());
  EXPECT_GT(fit_matmul_curve(h100, joint, boost).source_scale.at("xla"), 1.05);
  // FP8: its steady-state table.
  const CurveFit fp8 = fit_matmul_curve(h100, read_gemm_csv(dir + "h100_gemm_steady_fp8.csv"));
  const GemmCurve& c8 = h100.compute.gemm[static_cast<int>(Precision::fp8)];
  EXPECT_NEAR(fp8.curve.max_efficiency, c8.max_efficiency, 1e-4);
  EXPECT_NEAR(fp8.curve.half_k, c8.half_k, 0.5);
  EXPECT_NEAR(fp8.curve.half_mn, c8.half_mn, 0.5);
  EXPECT_LT(fp8.rms_log_error, 0.05);
  // Attention: forward and backward curves.
  const AttentionFit att = fit_attention_curves(h100, read_attention_csv(dir + "h100_attention_steady.csv"));
  EXPECT_NEAR(att.forward.max_efficiency, h100.compute.attention_forward.max_efficiency, 1e-4);
  EXPECT_NEAR(att.forward.half_tiles, h100.compute.attention_forward.half_tiles, 0.5);
  EXPECT_NEAR(att.forward.half_seq, h100.compute.attention_forward.half_seq, 0.5);
  EXPECT_NEAR(att.backward.max_efficiency, h100.compute.attention_backward.max_efficiency, 1e-4);
  EXPECT_NEAR(att.backward.half_seq, h100.compute.attention_backward.half_seq, 0.5);
  EXPECT_LT(att.rms_log_error_forward, 0.03);
  EXPECT_LT(att.rms_log_error_backward, 0.08);
  // The steady state: an 8192 x 16384 x 13312 GEMM measured 718 TFLOP/s in it.
  const OpTiming t = op_time(h100, [] {
    auto op = matmul_op({1, 8192, 13312, 16384}, Precision::bf16);
    op.bytes = 0;
    return op;
  }());
  EXPECT_NEAR(2.0 * 8192 * 13312 * 16384 / t.seconds / 1e12, 718, 0.05 * 718);
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

// FlashAttention-2's curve (attention: flash2) against the benchmark it was fitted to:
// calibration/h100_flash2_published.csv, x 0.93 for the steady state, forward and backward
// together at FlashAttention's shapes (16 heads of 128, 16k tokens), each point within 2 %.
// Beside it the chip's own (cuDNN) attention runs 1.6-1.8 x faster at 4k-16k tokens.
TEST(Calibration, FlashAttention2CurveReproducesItsPublishedBenchmark) {
  dcsim::scenario::Diagnostics diag;
  const Catalog catalog = dcsim::scenario::read_catalog(nullptr, "catalog", diag);
  for (const char* name : {"H100-SXM", "H200"}) {
    const AcceleratorSpec& chip = *catalog.accelerator(name);
    std::ifstream in(std::string(DCSIM_SOURCE_DIR) + "/models/hardware/calibration/h100_flash2_published.csv");
    std::string line;
    int points = 0;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#' || line[0] == 's') continue;
      const double s = std::stod(line.substr(0, line.find(','))), published = std::stod(line.substr(line.find(',') + 1));
      const AttentionShape shape{16384 / s * 16, s, s, 128, true};
      double flops = 0, fa2 = 0, own = 0;
      for (bool backward : {false, true}) {
        ComputeOp op = attention_op(shape, 1.0, backward, Precision::bf16);
        flops += op.flops;
        own += op_time(chip, op).seconds;
        op.flash2 = true;
        fa2 += op_time(chip, op).seconds;
      }
      EXPECT_NEAR(flops / fa2 / 1e12, 0.93 * published, 0.02 * 0.93 * published) << name << " s=" << s;
      if (s >= 4096) EXPECT_GT(fa2 / own, 1.5) << name << " s=" << s;
      ++points;
    }
    EXPECT_EQ(points, 6);
  }
  // Chips without a FlashAttention-2 curve run their own.
  const AcceleratorSpec& a100 = *catalog.accelerator("A100-SXM-80GB");
  ComputeOp op = attention_op({32, 8192, 8192, 128, true}, 1.0, false, Precision::bf16);
  const double own = op_time(a100, op).seconds;
  op.flash2 = true;
  EXPECT_EQ(op_time(a100, op).seconds, own);
}
