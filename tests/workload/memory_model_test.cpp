// The memory model against published memory measurements (docs/memory.md, "Checks"):
// Megatron-LM's own golden values (torch max allocated bytes on the last rank) and the ZeRO
// paper's model-state figures; each within 10 %.
#include <gtest/gtest.h>

#include <cstdio>

#include "../test_support.hpp"
#include "models/network/fabric.hpp"
#include "models/workload/memory_model.hpp"
#include "models/workload/training_costs.hpp"

using namespace dcsim;
using namespace dcsim::workload;

namespace {
std::vector<StageMemory> memory_of(const TransformerSpec& m, const ParallelPlan& plan) {
  const auto& catalog = dcsim::testing::builtin_catalog();
  const hardware::Cluster cluster({catalog.server("p5.48xlarge"), catalog.accelerator("H100-SXM"), 8, 4, 0});
  network::FabricSpec spec;
  spec.radix = 16;
  network::Fabric fabric(cluster, spec);
  Simulator sim;
  network::NetworkSim net(sim, fabric, network::SharingModel::Analytical);
  const TrainingCosts costs = training_costs(m, plan, cluster.accelerator(), net);
  return memory_per_stage(m, plan, costs);
}

// Megatron's "gpt3_7b" test model: 32 layers, h 4096, 32 heads, 8 query groups, 4h GeLU MLP,
// untied embeddings, sequence 8192, dropout 0.1 (Megatron's default).
TransformerSpec gpt3_7b(std::int64_t vocab) {
  TransformerSpec m;
  m.layers = 32;
  m.hidden = 4096;
  m.ffn = 16384;
  m.heads = 32;
  m.kv_heads = 8;
  m.vocab = vocab;
  m.seq_len = 8192;
  m.dropout = true;
  return m;
}
}  // namespace

// Megatron-LM tests/functional_tests/test_cases/gpt/gpt3_7b_tp1_pp4_memory_speed (8 x H100):
// TP1 PP4, one layer per virtual stage, microbatch 1, global batch 8, DP 2, distributed
// optimizer, bf16 with fp32 gradients, no recomputation. Peak allocated on the last rank,
// steps 2+: 60.72e9 bytes.
TEST(MemoryModel, MegatronGpt7bTp1Pp4MatchesItsGoldenPeak) {
  ParallelPlan p;
  p.tp = 1;
  p.pp = 4;
  p.dp = 2;
  p.virtual_stages = 8;
  p.schedule = Schedule::Interleaved;
  p.sequence_parallel = false;
  p.microbatch = 1;
  p.global_batch = 8;
  p.recompute = Recompute::None;
  p.zero = 1;
  const auto mem = memory_of(gpt3_7b(131200), p);  // vocabulary padded to a multiple of 128
  std::printf("modeled %.2f GB, measured %.2f GB\n", mem.back().allocated() / 1e9, 60.72e9 / 1e9);
  EXPECT_NEAR(mem.back().allocated() / 60.72e9, 1.0, 0.10);
}

// gpt3_7b_tp4_pp1_memory_speed: TP4 without sequence parallelism, microbatch 2, DP 2: 57.14e9.
TEST(MemoryModel, MegatronGpt7bTp4WithoutSequenceParallelismMatchesItsGoldenPeak) {
  ParallelPlan p;
  p.tp = 4;
  p.pp = 1;
  p.dp = 2;
  p.sequence_parallel = false;
  p.microbatch = 2;
  p.global_batch = 8;
  p.recompute = Recompute::None;
  p.zero = 1;
  const auto mem = memory_of(gpt3_7b(131584), p);  // padded to a multiple of 128 x TP
  std::printf("modeled %.2f GB, measured %.2f GB\n", mem.back().allocated() / 1e9, 57.14e9 / 1e9);
  EXPECT_NEAR(mem.back().allocated() / 57.14e9, 1.0, 0.10);
}

// gpt3_15b_8t_release (a Nemotron-4 15B shape): 32 layers, h 6144, 48 heads, 8 query groups,
// squared-ReLU MLP of 4h, 256K vocabulary untied, sequence 4096, microbatch 4, TP8 with
// sequence parallelism, DP 32 (from the step-1 to step-2 jump of the Adam state), no dropout,
// no recomputation. Peak allocated on H100: 28.16e9 bytes.
TEST(MemoryModel, MegatronGpt15bTp8SequenceParallelMatchesItsGoldenPeak) {
  TransformerSpec m;
  m.layers = 32;
  m.hidden = 6144;
  m.ffn = 24576;
  m.heads = 48;
  m.kv_heads = 8;
  m.vocab = 256000;
  m.seq_len = 4096;
  ParallelPlan p;
  p.tp = 8;
  p.dp = 32;
  p.sequence_parallel = true;
  p.microbatch = 4;
  p.global_batch = 128;
  p.recompute = Recompute::None;
  p.zero = 1;
  const auto mem = memory_of(m, p);
  std::printf("modeled %.2f GB, measured %.2f GB\n", mem.back().allocated() / 1e9, 28.16e9 / 1e9);
  EXPECT_NEAR(mem.back().allocated() / 28.16e9, 1.0, 0.10);
}

// ZeRO (Rajbhandari et al. 2020), Figure 1: model states of a 7.5B model, mixed-precision
// Adam (K = 12), 64-way data parallelism: 120 GB baseline, 31.4 GB with the optimizer state
// partitioned, 16.6 GB with gradients too, 1.9 GB with parameters too.
TEST(MemoryModel, ZeroStagesMatchTheZeroPapersModelStates) {
  TransformerSpec m;  // 7.5B parameters: 36 layers of h 4096 (Megatron's 7.5B shape)
  m.layers = 36;
  m.hidden = 4096;
  m.ffn = 16384;
  m.heads = 32;
  m.kv_heads = 32;
  m.vocab = 51200;
  m.seq_len = 1024;
  m.tied_embeddings = true;
  const double published[] = {120e9, 31.4e9, 16.6e9, 1.9e9};
  for (int zero = 0; zero <= 3; ++zero) {
    ParallelPlan p;
    p.dp = 64;
    p.global_batch = 64;
    p.zero = zero;
    p.grad_bytes = 2;  // fp16 gradients
    const StageMemory s = memory_of(m, p).front();
    const double params = m.total_params();
    const double state = s.weights + s.gradients + s.optimizer;
    SCOPED_TRACE(zero);
    std::printf("ZeRO-%d: modeled %.2f GB, paper %.2f GB (scaled to %.2f B parameters)\n", zero, state / 1e9,
                published[zero] * params / 7.5e9 / 1e9, params / 1e9);
    // Scale the paper's 7.5B figures to this shape's parameter count.
    EXPECT_NEAR(state / (published[zero] * params / 7.5e9), 1.0, 0.10);
  }
}

// NeMo's distributed_fused_adam with dtype: bf16 (optimizer_dtype: bf16) keeps its master
// weights and both moments in bf16, sharded over DP: 6 bytes per parameter over D, and no fp32
// copy of the bf16 gradient shard (16 over D with fp32 state and bf16 gradients).
namespace {
// The distributed optimizer (ZeRO-1) over DP 4 with bf16 gradients, on gpt3_7b.
ParallelPlan sharded_optimizer_bf16_grads() {
  ParallelPlan p;
  p.dp = 4;
  p.global_batch = 4;
  p.zero = 1;
  p.grad_bytes = 2;
  return p;
}
}  // namespace

TEST(MemoryModel, Bf16OptimizerStateKeepsSixBytesPerParameter) {
  const TransformerSpec m = gpt3_7b(50304);
  ParallelPlan p = sharded_optimizer_bf16_grads();
  const StageMemory fp32 = memory_of(m, p).front();
  p.optimizer_state_bytes = 2;
  const StageMemory bf16 = memory_of(m, p).front();
  EXPECT_NEAR(fp32.optimizer / bf16.optimizer, 16.0 / 6.0, 1e-9);
  EXPECT_EQ(fp32.weights, bf16.weights);
  EXPECT_EQ(fp32.gradients, bf16.gradients);
}

// Apex's DistributedFusedAdam (optimizer: distributed_fused_adam) reads the bf16 gradient
// shard in its fused kernel: fp32 master weights and moments (12 bytes over D), without the
// fp32 gradient copy Megatron-core's distributed optimizer keeps (4 more over D).
TEST(MemoryModel, ApexFusedAdamKeepsNoFp32GradientCopy) {
  const TransformerSpec m = gpt3_7b(50304);
  ParallelPlan p = sharded_optimizer_bf16_grads();
  const StageMemory megatron = memory_of(m, p).front();
  p.fused_adam = true;
  const StageMemory apex = memory_of(m, p).front();
  EXPECT_NEAR(megatron.optimizer / apex.optimizer, 16.0 / 12.0, 1e-9);
}

// The loss on the last stage: Megatron's fused vocab-parallel cross-entropy holds the bf16
// logits and their fp32 softmax (6 bytes per logit); PyTorch's eager F.cross_entropy on fp32
// logits peaks in its backward with the fp32 log-softmax, the dense gradient nll_loss hands
// it and the gradient it computes (12 bytes per logit, docs/memory.md).
// TP overlap's buffers: Transformer Engine's twelve userbuffers (each the rank's T x h hidden
// state in 16 bits) in the caching allocator's pool; PyTorch's async TP none there, and one
// symmetric workspace of two T/t x h chunks mapped beside it (runtime memory).
TEST(MemoryModel, TpOverlapBuffersAreUserbuffersOrOneSymmetricWorkspace) {
  const TransformerSpec m = gpt3_7b(50304);
  ParallelPlan p;
  p.tp = 4;
  p.sequence_parallel = true;
  p.global_batch = 1;
  const StageMemory plain = memory_of(m, p).front();
  p.tp_comm_overlap = true;
  const StageMemory te = memory_of(m, p).front();
  p.tp_overlap_torch = true;
  const StageMemory torch = memory_of(m, p).front();
  const double hidden = 8192.0 * 4096 * 2;
  EXPECT_DOUBLE_EQ(te.buffers - plain.buffers, 12 * hidden);
  EXPECT_EQ(te.runtime, plain.runtime);
  EXPECT_EQ(torch.buffers, plain.buffers);
  EXPECT_EQ(torch.reserved(), plain.reserved());
  EXPECT_DOUBLE_EQ(torch.runtime - plain.runtime, 2 * hidden / 4);
}

// K and V repeated to every query head before attention are what the attention kernel saves
// for its backward: without recomputation a layer keeps them at every head's width.
TEST(MemoryModel, RepeatedKvIsSavedAtEveryHeadsWidth) {
  const TransformerSpec m = gpt3_7b(50304);  // 32 heads, 8 query groups
  ParallelPlan p;
  p.tp = 2;
  p.sequence_parallel = true;
  p.recompute = Recompute::None;
  const double grouped = layer_activation_bytes(m, p, false);
  p.kv_repeat = true;
  const double repeated = layer_activation_bytes(m, p, false);
  EXPECT_DOUBLE_EQ(repeated - grouped, 8192.0 * 2 * 2 * (4096 - 1024) / 2);
}

// At its backward peak the eager loss holds 12 bytes per logit without TP (the saved
// log-softmax, nll_loss's dense gradient, the gradient computed from it) and 16 with TP, as
// loss_parallel runs it (the saved log-softmax, the zeros, their sum with the exp, the
// product); Megatron's fused loss 6 (docs/memory.md).
TEST(MemoryModel, EagerCrossEntropyHoldsTwelveBytesPerLogitAtItsPeakAndSixteenUnderLossParallel) {
  const TransformerSpec m = gpt3_7b(50304);
  for (const std::int64_t tp : {1, 2}) {
    ParallelPlan p;
    p.tp = tp;
    p.pp = 2;
    p.dp = 2;
    p.global_batch = 8;
    const StageMemory fused = memory_of(m, p).back();
    p.fused_cross_entropy = false;
    const StageMemory eager = memory_of(m, p).back();
    const double logits = double(p.microbatch) * double(m.seq_len) * double(m.vocab) / double(p.tp);
    EXPECT_NEAR(eager.activations - fused.activations, (tp == 1 ? 6 : 10) * logits, 1e-6 * logits);
    // Only the last stage computes the loss.
    EXPECT_EQ(memory_of(m, p).front().activations, [&] {
      ParallelPlan q = p;
      q.fused_cross_entropy = true;
      return memory_of(m, q).front().activations;
    }());
  }
}

// Full recomputation keeps each layer's input, and a layer's backward first runs its forward
// again: for that moment one layer of one microbatch holds its full activations beside what
// the schedule keeps. The last stage's loss peaks before any layer's backward, so it holds the
// larger of the two.
TEST(MemoryModel, FullRecomputationHoldsOneRecomputedLayerBesideTheInputs) {
  const TransformerSpec m = gpt3_7b(50304);
  ParallelPlan p;
  p.tp = 2;
  p.pp = 2;
  p.dp = 2;
  p.sequence_parallel = true;
  p.global_batch = 8;
  p.recompute = Recompute::Full;
  const auto full = memory_of(m, p);
  ParallelPlan kept = p;
  kept.recompute = Recompute::None;
  const double layer = layer_activation_bytes(m, kept, false);
  const double T = 8192, inputs = 2 * T * 4096 / 2;  // each layer's input, split by SP
  const double layers = 16, in_flight = 2;           // stage 0 of 2 under 1F1B holds two microbatches
  EXPECT_DOUBLE_EQ(full.front().activations, layers * in_flight * inputs + layer);
  // Megatron's fused loss over the vocabulary shard, and the output layer's saved input shard.
  const double loss = 6 * T * 50304 / 2 + 2 * T * 4096 / 2;
  ASSERT_GT(loss, layer);
  EXPECT_DOUBLE_EQ(full.back().activations, layers * 1 * inputs + loss);
}

namespace {
// One sequence at TP 4 with sequence parallelism, nothing recomputed: the saved activations whole.
ParallelPlan one_sequence_tp4_sp() {
  ParallelPlan p;
  p.tp = 4;
  p.sequence_parallel = true;
  p.global_batch = 1;
  p.recompute = Recompute::None;
  return p;
}
}  // namespace

// Under FP8 the norm outputs are saved in one byte; Transformer Engine's MXFP8 under SP keeps
// them in bf16 and casts them again for the backward (TE 2.2): two bytes on T / tp tokens.
TEST(MemoryModel, MxFp8UnderSequenceParallelismSavesTheNormOutputsInBf16) {
  const TransformerSpec m = gpt3_7b(50304);
  ParallelPlan p = one_sequence_tp4_sp();
  p.precision = hardware::Precision::fp8;
  const double delayed = layer_activation_bytes(m, p, false);
  p.fp8_recipe = Fp8Recipe::Mx;
  const double T = 8192, h = 4096;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(m, p, false) - delayed, 2 * (T / 4) * h * (2 - 1));
  p.sequence_parallel = false;  // no gather: the norm writes MXFP8 itself
  const double mx_no_sp = layer_activation_bytes(m, p, false);
  p.fp8_recipe = Fp8Recipe::Delayed;
  EXPECT_DOUBLE_EQ(mx_no_sp, layer_activation_bytes(m, p, false));
}

// PyTorch's TP (DTensor styles, torchtitan) saves each norm's output gathered over TP, as the
// next column-parallel GEMMs' input, and the output layer its gathered input through the loss;
// Transformer Engine and Megatron save the sequence-parallel shards and gather again.
TEST(MemoryModel, PyTorchTpSavesTheGatheredInputsOfColumnParallelLinears) {
  const TransformerSpec m = gpt3_7b(50304);
  ParallelPlan p = one_sequence_tp4_sp();
  const double sharded = layer_activation_bytes(m, p, false);
  const StageMemory te = memory_of(m, p).back();
  p.tp_dtensor = true;
  const double T = 8192, h = 4096;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(m, p, false) - sharded, T * 2 * 2 * (h - h / 4));
  p.precision = hardware::Precision::fp8;  // the gathered inputs are the GEMMs' FP8 inputs
  const double fp8_sharded = [&] {
    ParallelPlan q = p;
    q.tp_dtensor = false;
    return layer_activation_bytes(m, q, false);
  }();
  EXPECT_DOUBLE_EQ(layer_activation_bytes(m, p, false) - fp8_sharded, T * 2 * 1 * (h - h / 4));
  p.precision = hardware::Precision::bf16;
  const StageMemory dtensor = memory_of(m, p).back();
  EXPECT_DOUBLE_EQ(dtensor.activations - te.activations, 32 * T * 2 * 2 * (h - h / 4) + 2 * T * (h - h / 4));
}
