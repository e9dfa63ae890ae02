// Overlapped communication: SM shares, the slowdown of compute beside a collective, and the
// exposed time of Transformer Engine's userbuffer pairings, against hand-worked figures.
#include "models/workload/overlap.hpp"

#include <gtest/gtest.h>

using namespace dcsim;
using namespace dcsim::workload;

namespace {

hardware::AcceleratorSpec chip_with_sms(int sms) {
  hardware::AcceleratorSpec chip;
  chip.compute.sms = sms;
  return chip;
}

// Kernels named as layer_ops names them, each of a fixed duration: a memory kernel of
// `ms` milliseconds on a chip with 1 TB/s and full streaming efficiency.
LayerOp op_of(const std::string& name, double ms) {
  LayerOp o{name, hardware::memory_op(ms * 1e-3 * 1e12, hardware::MemoryKernel::Stream), 1, ""};
  return o;
}

hardware::AcceleratorSpec h100_like() {
  hardware::AcceleratorSpec chip = chip_with_sms(132);
  chip.hbm_bandwidth = 1e12;
  chip.compute.memory.fill(1.0);
  chip.compute.kernel_floor_s = 0;
  return chip;
}

TEST(Overlap, ShareIsCtasOverSms) {
  EXPECT_DOUBLE_EQ(sm_share(chip_with_sms(132), kNcclCtas), 16.0 / 132.0);
  EXPECT_DOUBLE_EQ(sm_share(chip_with_sms(0), kNcclCtas), 0.0);  // dedicated collective engines
  EXPECT_DOUBLE_EQ(sm_share(chip_with_sms(10), 16), 0.9);        // never all of the chip
}

TEST(Overlap, SlowdownCoversOnlyTheOverlappedWindow) {
  const auto chip = chip_with_sms(132);
  EXPECT_DOUBLE_EQ(overlap_slowdown(chip, 16, 2e-3, 5e-3), 16.0 / 132.0 * 2e-3);
  EXPECT_DOUBLE_EQ(overlap_slowdown(chip, 16, 9e-3, 5e-3), 16.0 / 132.0 * 5e-3);
}

// Transformer Engine's set_sm_margin launches the GEMM on the SMs its communication leaves:
// all of the GEMM runs on (1 - share) of the chip, whatever the communication's length.
TEST(Overlap, SmMarginSlowsTheWholeGemm) {
  const auto chip = chip_with_sms(132);
  EXPECT_DOUBLE_EQ(sm_margin_slowdown(chip, 24, 5e-3), 5e-3 * 24.0 / 108.0);
  EXPECT_DOUBLE_EQ(sm_margin_slowdown(chip_with_sms(0), 24, 5e-3), 0.0);  // dedicated engines
}

TEST(Overlap, ForwardPairingsHideWhatFitsUnderTheirGemms) {
  const auto chip = h100_like();
  ParallelPlan plan;
  plan.tp = 4;
  plan.precision = hardware::Precision::bf16;
  const std::vector<LayerOp> ops = {op_of("qkv", 1.0), op_of("proj", 0.5), op_of("fc1", 2.0), op_of("fc2", 0.4)};
  const double gather = 1.0e-3, scatter = 0.8e-3;
  const auto c = tp_overlap(chip, plan, Pass::Forward, ops, gather, scatter, 1e9);
  EXPECT_EQ(c.memory_s, 0.0);
  // qkv ring exchange: 1.0 - 1.0 * 3/4 = 0.25 ms; fc1 ring exchange: max(0, 1.0 - 1.5) = 0.
  // proj pipelined in 4: 0.8/4 + (0.8 - 0.5) * 3/4 = 0.425 ms; fc2: 0.2 + 0.4 * 3/4 = 0.5 ms.
  EXPECT_NEAR(c.exposed_s, (0.25 + 0.0 + 0.425 + 0.5) * 1e-3, 1e-12);
  // SMs: the ring exchanges 1 each over min(comm, gemm); the pipelined proj and fc2 keep 24
  // and 16 from their GEMMs for the GEMMs' whole time (set_sm_margin): 24/108 and 16/116 more.
  const double slowdown = (1 * 1.0 + 1 * 1.0) / 132.0 * 1e-3 + (0.5 * 24 / 108 + 0.4 * 16 / 116) * 1e-3;
  EXPECT_NEAR(c.slowdown_s, slowdown, 1e-12);
}

TEST(Overlap, Fp8RunsForwardReduceScattersAsRingExchanges) {
  const auto chip = h100_like();
  ParallelPlan plan;
  plan.tp = 4;
  plan.precision = hardware::Precision::fp8;
  const std::vector<LayerOp> ops = {op_of("qkv", 1.0), op_of("proj", 0.5), op_of("fc1", 2.0), op_of("fc2", 0.4)};
  const auto c = tp_overlap(chip, plan, Pass::Forward, ops, 1.0e-3, 0.8e-3, 1e9);
  // proj: 0.8 - 0.375 = 0.425 ms; fc2: 0.8 - 0.3 = 0.5 ms; qkv 0.25 ms; fc1 0.
  EXPECT_NEAR(c.exposed_s, (0.25 + 0.425 + 0.5) * 1e-3, 1e-12);
}

// A recipe's own pairings (tp_overlap_config) replace the preset's one by one: a ring exchange
// with aggregate runs tp / 2 steps, a pipeline its num_splits, and method none leaves the
// collective exposed with nothing beside the GEMM (NVTE_UB_SPLIT_AG=0 on the all-gathers).
TEST(Overlap, ARecipesPairingsReplaceThePresets) {
  const auto chip = h100_like();
  ParallelPlan plan;
  plan.tp = 4;
  plan.precision = hardware::Precision::bf16;
  const std::vector<LayerOp> ops = {op_of("qkv", 1.0), op_of("proj", 0.5), op_of("fc1", 2.0), op_of("fc2", 0.4)};
  plan.ub_pairings[0] = UbPairing{UbMethod::None, 1, false, 4, false};           // qkv_fprop
  plan.ub_pairings[1] = UbPairing{UbMethod::Pipeline, 24, true, 2, false};        // proj_fprop
  plan.ub_pairings[2] = UbPairing{UbMethod::RingExchange, 1, false, 4, true};     // fc1_fprop
  plan.ub_pairings[3] = UbPairing{UbMethod::Pipeline, 20, true, 4, false};        // fc2_fprop
  const auto c = tp_overlap(chip, plan, Pass::Forward, ops, 1.0e-3, 0.8e-3, 1e9);
  // qkv exposed whole: 1.0; proj in 2 splits: 0.4 + 0.3 / 2 = 0.55; fc1 in 2 aggregated steps:
  // max(0, 1.0 - 2.0 / 2) = 0; fc2: 0.2 + 0.4 * 3/4 = 0.5.
  EXPECT_NEAR(c.exposed_s, (1.0 + 0.55 + 0.0 + 0.5) * 1e-3, 1e-12);
  // Nothing beside qkv; fc1's ring 1 SM over 1.0 ms; proj and fc2 on the SMs their margins leave.
  EXPECT_NEAR(c.slowdown_s, (1.0 / 132 + 0.5 * 24 / 108 + 0.4 * 20 / 112) * 1e-3, 1e-12);
}

// PyTorch's async TP: every pairing a ring of tp steps on copy engines (no SMs taken), and
// each reduce-scatter's tp partial chunks summed by one kernel that reads the rank's whole
// hidden state and writes its shard. The backward pairs the row-parallel data gradients with
// gathers and the column-parallel ones with reduce-scatters.
TEST(Overlap, TorchAsyncTpRingsEveryPairingOnCopyEnginesAndSumsEachReduceScatter) {
  const auto chip = h100_like();
  ParallelPlan plan;
  plan.tp = 4;
  plan.tp_overlap_torch = true;
  const std::vector<LayerOp> fwd = {op_of("qkv", 1.0), op_of("proj", 0.5), op_of("fc1", 2.0), op_of("fc2", 0.4)};
  const double hidden = 4e8;  // 0.4 ms to read at 1 TB/s
  const auto f = tp_overlap(chip, plan, Pass::Forward, fwd, 1.0e-3, 0.8e-3, hidden);
  // qkv 1.0 - 0.75 = 0.25; proj 0.8 - 0.375 = 0.425; fc1 0; fc2 0.8 - 0.3 = 0.5 (ms).
  EXPECT_NEAR(f.exposed_s, (0.25 + 0.425 + 0.5) * 1e-3, 1e-12);
  EXPECT_EQ(f.slowdown_s, 0.0);
  EXPECT_NEAR(f.memory_s, 2 * hidden * 1.25 / 1e12, 1e-12);
  const std::vector<LayerOp> bwd = {op_of("fc2 dgrad", 0.4), op_of("fc2 wgrad", 0.4), op_of("fc1 dgrad", 2.0),
                                    op_of("fc1 wgrad", 2.0), op_of("proj dgrad", 0.5), op_of("qkv dgrad", 1.0)};
  const auto b = tp_overlap(chip, plan, Pass::Backward, bwd, 1.0e-3, 0.8e-3, hidden);
  // fc2 dgrad gather 1.0 - 0.3 = 0.7; fc1 dgrad scatter 0; proj dgrad gather 1.0 - 0.375 =
  // 0.625; qkv dgrad scatter 0.8 - 0.75 = 0.05 (ms).
  EXPECT_NEAR(b.exposed_s, (0.7 + 0.625 + 0.05) * 1e-3, 1e-12);
  EXPECT_EQ(b.slowdown_s, 0.0);
  EXPECT_NEAR(b.memory_s, 2 * hidden * 1.25 / 1e12, 1e-12);
}

}  // namespace

// A plan splits GEMMs into pieces when any pairing ring-exchanges or pipelines, or under
// PyTorch's async TP; with every pairing bulk or none, no GEMM is split.
TEST(Overlap, PiecesComeFromRingExchangesPipelinesAndAsyncTp) {
  ParallelPlan plan;
  plan.tp = 4;
  plan.tp_comm_overlap = true;
  EXPECT_TRUE(splits_tp_gemms(plan));  // the presets ring-exchange
  for (std::size_t i = 0; i < plan.ub_pairings.size(); ++i)
    plan.ub_pairings[i] = UbPairing{i % 2 ? UbMethod::Bulk : UbMethod::None, 2, false, 4, false};
  EXPECT_FALSE(splits_tp_gemms(plan));
  plan.ub_pairings[3] = UbPairing{UbMethod::Pipeline, 16, true, 4, false};
  EXPECT_TRUE(splits_tp_gemms(plan));
  plan.ub_pairings[3] = UbPairing{UbMethod::Bulk, 16, false, 4, false};
  plan.tp_overlap_torch = true;
  EXPECT_TRUE(splits_tp_gemms(plan));
}

// The widest SM margin is the largest num_sm among pairings that set one and run beside their
// GEMM: BF16's preset keeps 24 SMs (the proj reduce-scatter), FP8's one; none under async TP.
TEST(Overlap, WidestSmMarginComesFromPairingsThatSetOne) {
  ParallelPlan plan;
  plan.tp = 4;
  plan.tp_comm_overlap = true;
  EXPECT_EQ(widest_sm_margin(plan), 24);
  plan.precision = hardware::Precision::fp8;
  EXPECT_EQ(widest_sm_margin(plan), 1);
  plan.ub_pairings[1] = UbPairing{UbMethod::None, 40, true, 4, false};  // nothing runs beside the GEMM
  plan.ub_pairings[3] = UbPairing{UbMethod::Bulk, 30, false, 4, false};  // no margin
  EXPECT_EQ(widest_sm_margin(plan), 0);
  plan.ub_pairings[9] = UbPairing{UbMethod::Bulk, 8, true, 4, false};
  EXPECT_EQ(widest_sm_margin(plan), 8);
  plan.tp_overlap_torch = true;
  EXPECT_EQ(widest_sm_margin(plan), 0);
}
