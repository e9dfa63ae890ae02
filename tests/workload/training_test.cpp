// Training execution: hand-worked pipeline timelines, the grouped-ranks shortcut against
// the full per-rank model, model sizes.
#include <gtest/gtest.h>

#include "models/hardware/compute_model.hpp"
#include "models/network/collective_timer.hpp"
#include "models/network/fabric.hpp"
#include "models/power/power_model.hpp"
#include "../test_support.hpp"
#include "models/workload/memory_model.hpp"
#include "models/workload/training_costs.hpp"
#include "models/workload/training_sim.hpp"

using namespace dcsim;
using namespace dcsim::workload;

namespace {
const hardware::Catalog& catalog() { return dcsim::testing::builtin_catalog(); }

TransformerSpec small_model() {
  TransformerSpec m;
  m.name = "small";
  m.layers = 8;
  m.hidden = 2048;
  m.ffn = 8192;
  m.heads = 16;
  m.kv_heads = 16;
  m.vocab = 32000;
  m.seq_len = 2048;
  return m;
}

struct JobRun {
  IterationResult result;
  double energy_j = 0;
  TrainingCosts costs;
  double message_s = 0;
  std::vector<double> link_bytes;
  std::vector<network::LinkClass> link_class;
  bool reduced = false;
  std::uint64_t transfers = 0;
};

JobRun run(const ParallelPlan& plan, bool grouped, network::SharingModel model, std::int64_t servers,
           network::FabricSpec spec = [] {
             network::FabricSpec s;
             s.radix = 16;
             return s;
           }(),
           bool batching = true, bool fold = true) {
  const auto* server = catalog().server("p5.48xlarge");
  const hardware::Cluster cluster({server, catalog().accelerator("H100-SXM"), servers, 4, 0});
  network::Fabric fabric(cluster, spec);
  Simulator sim;
  network::NetworkSim net(sim, fabric, model);
  net.set_batching(batching);
  power::PowerModel power(cluster, power::FacilitySpec{});
  JobRun r;
  r.costs = training_costs(small_model(), plan, cluster.accelerator(), net);
  TrainingOptions options;
  options.group_identical_ranks = grouped;
  options.fold_symmetric_members = fold;
  TrainingSim ts(sim, net, &power, small_model(), plan, r.costs, nullptr, options);
  r.result = ts.run_iteration();
  r.reduced = ts.traffic_reduced();
  power.finish(sim.now());
  r.energy_j = power.facility_energy_j();
  const auto ranks_a = rank_of(plan, {0, 0, 0, 0}), ranks_b = rank_of(plan, {0, 0, 0, 1});
  if (plan.pp > 1) r.message_s = net.isolated_seconds({{ranks_a, ranks_b}}, r.costs.pp_message_bytes, 1);
  net.finish();
  r.transfers = net.transfers_started();
  for (std::size_t l = 0; l < fabric.topology().link_count(); ++l) {
    r.link_bytes.push_back(net.link_bytes(network::LinkId(l)));
    r.link_class.push_back(fabric.topology().link(network::LinkId(l)).cls);
  }
  return r;
}
// The same iteration to the nanosecond, the same energy and the same bytes on every link.
void expect_same_run(const JobRun& a, const JobRun& reference) {
  EXPECT_EQ(a.result.seconds, reference.result.seconds);
  EXPECT_EQ(a.energy_j, reference.energy_j);
  ASSERT_EQ(a.link_bytes.size(), reference.link_bytes.size());
  for (std::size_t l = 0; l < reference.link_bytes.size(); ++l)
    EXPECT_NEAR(a.link_bytes[l], reference.link_bytes[l], 1e-9 * reference.link_bytes[l] + 1e-3) << "link " << l;
}
// The plan the symmetry and exactness tests compare runs on: interleaved, two model chunks per
// stage, four microbatches per replica, 20M-parameter gradient buckets.
ParallelPlan interleaved_plan(std::int64_t tp, std::int64_t cp, std::int64_t pp, std::int64_t dp) {
  ParallelPlan plan;
  plan.tp = tp;
  plan.cp = cp;
  plan.pp = pp;
  plan.dp = dp;
  plan.schedule = Schedule::Interleaved;
  plan.virtual_stages = 2;
  plan.global_batch = 4 * dp * pp;
  plan.bucket_params = 20e6;
  return plan;
}
// Two pipeline stages, two microbatches, one rank each: small enough to work by hand.
ParallelPlan two_stage_plan() {
  ParallelPlan plan;
  plan.tp = 1;
  plan.pp = 2;
  plan.dp = 1;
  plan.sequence_parallel = false;
  plan.microbatch = 1;
  plan.global_batch = 2;
  plan.zero = 0;
  return plan;
}
double block(const BlockCost& b) { return Time::from_seconds(b.total_s()).seconds(); }

// A memory-bound kernel moving `bytes` on the H100 (what training_costs charges for it).
double kernel_s(double bytes, hardware::MemoryKernel kind = hardware::MemoryKernel::Stream) {
  return hardware::op_time(*catalog().accelerator("H100-SXM"), hardware::memory_op(bytes, kind)).seconds;
}

network::FabricSpec radix16() {
  network::FabricSpec spec;
  spec.radix = 16;
  return spec;
}

// `servers` p5.48xlarge of 4 H100 on a radix-16 fabric, its network timed analytically, with a
// collective timer on it: what the expected collective times are measured on.
struct TimedCluster {
  hardware::Cluster cluster;
  network::Fabric fabric;
  Simulator sim;
  network::NetworkSim net;
  network::CollectiveTimer timer;
  explicit TimedCluster(std::int64_t servers, const network::FabricSpec& spec = radix16())
      : cluster({catalog().server("p5.48xlarge"), catalog().accelerator("H100-SXM"), servers, 4, 0}),
        fabric(cluster, spec),
        net(sim, fabric, network::SharingModel::Analytical),
        timer(net) {}
};

TrainingCosts costs_of(const TransformerSpec& m, const ParallelPlan& plan) {
  TimedCluster c(2);
  return training_costs(m, plan, c.cluster.accelerator(), c.net);
}
}  // namespace

TEST(Training, TwoStageOneFOneBMatchesTheHandWorkedTimeline) {
  const ParallelPlan plan = two_stage_plan();
  const JobRun r = run(plan, true, network::SharingModel::Analytical, 1);
  const double f0 = block(r.costs.chunks[0].forward), b0 = block(r.costs.chunks[0].backward);
  const double f1 = block(r.costs.chunks[1].forward), b1 = block(r.costs.chunks[1].backward);
  const double c = r.message_s;
  // Stage 0: F0 F1 B0 B1; stage 1: F0 B0 F1 B1 (1F1B with one warm-up forward on stage 0).
  const double s1f1 = std::max(2 * f0 + c, f0 + c + f1 + b1);
  const double s0b0 = std::max(2 * f0, f0 + c + f1 + b1 + c);
  const double s0b1 = std::max(s0b0 + b0, s1f1 + f1 + b1 + c);
  const double end0 = s0b1 + b0 + Time::from_seconds(r.costs.optimizer_s[0]).seconds();
  const double end1 = s1f1 + f1 + b1 + Time::from_seconds(r.costs.optimizer_s[1]).seconds();
  EXPECT_NEAR(r.result.seconds, std::max(end0, end1), 1e-8);
  // Every second is accounted for (to the nanosecond rounding of each block).
  EXPECT_NEAR(r.result.breakdown.total(), r.result.seconds, 1e-7);
}

TEST(Training, BlockingPipelineSendsMatchTheHandWorkedTimeline) {
  ParallelPlan plan = two_stage_plan();
  plan.overlap_pp = false;  // a stage waits for its own send to arrive
  const JobRun r = run(plan, true, network::SharingModel::Analytical, 1);
  const double f0 = block(r.costs.chunks[0].forward), b0 = block(r.costs.chunks[0].backward);
  const double f1 = block(r.costs.chunks[1].forward), b1 = block(r.costs.chunks[1].backward);
  const double c = r.message_s;
  // Stage 0: F0 send F1 send B0 B1; stage 1: F0 B0 send F1 B1 send.
  const double s1f1 = std::max(2 * f0 + 2 * c, f0 + c + f1 + b1 + c);
  const double s0b0 = s1f1;  // stage 0's B0 waits for the same two events as stage 1's F1
  const double s0b1 = std::max(s0b0 + b0, s1f1 + f1 + b1 + c);
  const double end0 = s0b1 + b0 + Time::from_seconds(r.costs.optimizer_s[0]).seconds();
  const double end1 = s1f1 + f1 + b1 + c + Time::from_seconds(r.costs.optimizer_s[1]).seconds();
  EXPECT_NEAR(r.result.seconds, std::max(end0, end1), 1e-8);
  EXPECT_NEAR(r.result.breakdown.total(), r.result.seconds, 1e-7);
  // Every send is now exposed on the sender too: more PP time than with overlapped sends.
  plan.overlap_pp = true;
  const JobRun overlapped = run(plan, true, network::SharingModel::Analytical, 1);
  EXPECT_GT(r.result.breakdown.pp_exposed, overlapped.result.breakdown.pp_exposed);
  EXPECT_GT(r.result.seconds, overlapped.result.seconds);
}

// DeepSpeed's BF16_Optimizer (optimizer: deepspeed_bf16) all-reduces the whole fp32 gradients
// after the backward, then each rank steps its shard and all-gathers the 16-bit weights. With
// one bucket and no overlap, DP exposure is one all-reduce and one all-gather, timed alone;
// Megatron's distributed optimizer reduce-scatters instead.
TEST(Training, DeepSpeedBf16OptimizerAllReducesTheWholeGradientsThenGathersTheWeights) {
  ParallelPlan plan;
  plan.tp = 1;
  plan.pp = 1;
  plan.dp = 4;
  plan.global_batch = 4;
  plan.zero = 1;
  plan.overlap_dp = false;
  plan.bucket_params = 1e12;  // one bucket
  const auto dp_exposed = [&](bool all_reduce) {
    ParallelPlan p = plan;
    p.all_reduce_gradients = all_reduce;
    return run(p, true, network::SharingModel::Analytical, 1);
  };
  const JobRun whole = dp_exposed(true), sharded = dp_exposed(false);
  std::vector<std::int64_t> ranks;
  for (std::int64_t d = 0; d < plan.dp; ++d) ranks.push_back(rank_of(plan, {0, 0, d, 0}));
  TimedCluster one(1);
  network::CollectiveTimer& timer = one.timer;
  const double params = whole.costs.dense_params[0];
  const double gather = timer.seconds(network::CollectiveOp::AllGather, ranks, 2 * params);
  EXPECT_NEAR(whole.result.breakdown.dp_exposed,
              timer.seconds(network::CollectiveOp::AllReduce, ranks, 4 * params) + gather, 1e-8);
  EXPECT_NEAR(sharded.result.breakdown.dp_exposed,
              timer.seconds(network::CollectiveOp::ReduceScatter, ranks, 4 * params) + gather, 1e-8);
  EXPECT_GT(whole.result.seconds, sharded.result.seconds);
}

// FSDP's copies, per layer and microbatch, in bytes per parameter (docs/training.md, "FSDP
// copies"): FSDP2 copies each all-gather out (read and write, 2 bytes a weight, 1 with FP8
// weights) in the forward and again in the backward after a reshard, and casts the 16-bit
// gradients into the reduce-scatter input (2 + 4); FSDP1 casts the gradients to fp32 (2 + 4)
// and pre-divides them in place (4 + 4); Megatron-FSDP copies nothing.
TEST(Training, FsdpCopiesCostWhatEachImplementationMoves) {
  ParallelPlan plan;
  plan.tp = 1;
  plan.dp = 4;
  plan.global_batch = 4;
  plan.zero = 3;
  const auto costs = [&](FsdpImplementation fsdp, bool fp8_params = false) {
    ParallelPlan p = plan;
    p.fsdp = fsdp;
    p.fp8_params = fp8_params;
    if (fp8_params) p.precision = hardware::Precision::fp8;
    return costs_of(small_model(), p);
  };
  const TrainingCosts none = costs(FsdpImplementation::Megatron), fsdp2 = costs(FsdpImplementation::Fsdp2),
                      fsdp1 = costs(FsdpImplementation::Fsdp1);
  const auto& c = none.chunks[0];
  const double layers = double(c.layers), params = c.dense_params;
  ASSERT_EQ(layers, 8);
  const auto copies = [&](double bytes) { return layers * kernel_s(bytes * params / layers); };
  const auto added = [&](const TrainingCosts& x, bool forward) {
    const auto& pass = forward ? x.chunks[0].forward : x.chunks[0].backward;
    return pass.memory_bound_s - (forward ? c.forward.memory_bound_s : c.backward.memory_bound_s);
  };
  EXPECT_NEAR(added(fsdp2, true), copies(4), 1e-15);
  EXPECT_NEAR(added(fsdp2, false), copies(4 + 6), 1e-15);
  EXPECT_NEAR(added(fsdp1, true), 0.0, 1e-15);
  EXPECT_NEAR(added(fsdp1, false), copies(6 + 8), 1e-15);
  const TrainingCosts fp8_none = costs(FsdpImplementation::Megatron, true), fp8 = costs(FsdpImplementation::Fsdp2, true);
  EXPECT_NEAR(fp8.chunks[0].forward.memory_bound_s - fp8_none.chunks[0].forward.memory_bound_s, copies(2), 1e-15);
  EXPECT_NEAR(fp8.chunks[0].backward.memory_bound_s - fp8_none.chunks[0].backward.memory_bound_s, copies(2 + 6), 1e-15);
  // Without a reshard after the forward the backward reuses the forward's copy.
  plan.reshard_after_forward = false;
  EXPECT_NEAR(added(costs(FsdpImplementation::Fsdp2), false) -
                  (costs(FsdpImplementation::Megatron).chunks[0].backward.memory_bound_s - c.backward.memory_bound_s),
              copies(6), 1e-15);
}

// The output layer's cross-entropy in bytes per logit: fused (Megatron) 12 forward and 24
// backward; PyTorch's eager F.cross_entropy on fp32 logits 22 (the fp32 copy, a three-pass
// log-softmax) and 26 (nll_loss's dense gradient, the log-softmax gradient, the cast back).
// Without TP, PyTorch's F.cross_entropy (22 and 26 bytes per logit); with TP, the same as
// loss_parallel decomposes it over the vocabulary shard (38 and 38); Megatron's fused loss 12
// and 24 (docs/training.md).
TEST(Training, EagerCrossEntropyMovesWhatItsKernelsMove) {
  const auto m = small_model();
  for (const std::int64_t tp : {1, 2}) {
    ParallelPlan plan;
    plan.tp = tp;
    plan.global_batch = 2;
    const TrainingCosts fused = costs_of(m, plan);
    plan.fused_cross_entropy = false;
    const TrainingCosts eager = costs_of(m, plan);
    const double logits = double(m.seq_len) * double(m.vocab) / double(plan.tp);
    const double forward = tp == 1 ? 22 : 38, backward = tp == 1 ? 26 : 38;
    const auto& f = fused.chunks.back();
    const auto& e = eager.chunks.back();
    EXPECT_NEAR(e.forward.memory_bound_s - f.forward.memory_bound_s, kernel_s(forward * logits) - kernel_s(12 * logits), 1e-15);
    EXPECT_NEAR(e.backward.memory_bound_s - f.backward.memory_bound_s, kernel_s(backward * logits) - kernel_s(24 * logits), 1e-15);
    EXPECT_EQ(e.forward.compute_bound_s, f.forward.compute_bound_s);
  }
}

// Megatron-LM 2021's main_grad.add_(grad): 10 bytes per parameter each backward. DeepSpeed's
// BF16_Optimizer casts the bf16 gradient to an fp32 temporary first, then adds it: 18.
TEST(Training, SeparateGradientAccumulationCostsTenBytesPerParameterEachBackwardAndDeepSpeedEighteen) {
  ParallelPlan plan;
  plan.tp = 2;
  plan.pp = 2;
  plan.global_batch = 4;
  const TrainingCosts fused = costs_of(small_model(), plan);
  plan.separate_grad_accumulation = true;
  const TrainingCosts separate = costs_of(small_model(), plan);
  plan.all_reduce_gradients = true;  // optimizer: deepspeed_bf16
  const TrainingCosts deepspeed = costs_of(small_model(), plan);
  for (std::size_t v = 0; v < fused.chunks.size(); ++v) {
    const auto& a = fused.chunks[v];
    const auto& b = separate.chunks[v];
    EXPECT_DOUBLE_EQ(b.backward.memory_bound_s - a.backward.memory_bound_s, kernel_s(10 * a.dense_params));
    EXPECT_DOUBLE_EQ(deepspeed.chunks[v].backward.memory_bound_s - a.backward.memory_bound_s, kernel_s(18 * a.dense_params));
    EXPECT_DOUBLE_EQ(b.forward.total_s(), a.forward.total_s());
  }
}

TEST(Training, UnfusedSwigluAndRopeCostTheirExtraPasses) {
  TransformerSpec m = small_model();
  m.activation = Activation::SwiGlu;
  m.kv_heads = 4;
  m.rotary = true;
  ParallelPlan plan;
  plan.tp = 2;
  plan.global_batch = 1;
  const TrainingCosts fused = costs_of(m, plan);
  plan.fused_activation = false;
  plan.rope_kernel = RopeKernel::RotateHalf;
  const TrainingCosts unfused = costs_of(m, plan);
  const double T = 2048, h = 2048, f = 8192, kv = 512, t = 2;
  using hardware::MemoryKernel;
  // SwiGLU: fused 6 bytes forward, 10 backward; unfused 10 and 26 (an activation kernel).
  // RoPE: fused 4 bytes either pass; unfused 20 forward, 18 backward (streaming).
  const double fwd_extra = kernel_s(10 * T * f / t, MemoryKernel::Activation) -
                           kernel_s(6 * T * f / t, MemoryKernel::Activation) + kernel_s(20 * T * (h + kv) / t) -
                           kernel_s(4 * T * (h + kv) / t);
  const double bwd_extra = kernel_s(26 * T * f / t, MemoryKernel::Activation) -
                           kernel_s(10 * T * f / t, MemoryKernel::Activation) + kernel_s(18 * T * (h + kv) / t) -
                           kernel_s(4 * T * (h + kv) / t);
  const double layers = double(m.layers);
  EXPECT_NEAR(unfused.chunks[0].forward.memory_bound_s - fused.chunks[0].forward.memory_bound_s, layers * fwd_extra,
              1e-12);
  // Backward: its own passes, and with selective recomputation nothing of these again.
  EXPECT_NEAR(unfused.chunks[0].backward.memory_bound_s - fused.chunks[0].backward.memory_bound_s,
              layers * bwd_extra, 1e-12);
}

// With sequence parallelism each pass of a layer runs two TP all-gathers and two
// reduce-scatters of the rank's hidden state; under FP8 the gathers carry the GEMMs' FP8
// inputs (Transformer Engine and torchao cast before gathering), half the bytes, and the
// reduce-scatters stay bf16. Link statistics count the same bytes.
TEST(Training, Fp8TensorParallelGathersMoveHalfTheBytes) {
  ParallelPlan plan;
  plan.tp = 4;
  plan.global_batch = 2;
  plan.sequence_parallel = true;
  plan.recompute = Recompute::None;
  TimedCluster two(2);
  network::CollectiveTimer& timer = two.timer;
  std::vector<std::int64_t> tp_ranks;
  for (std::int64_t t = 0; t < plan.tp; ++t) tp_ranks.push_back(rank_of(plan, {t, 0, 0, 0}));
  const double hidden = 2048.0 * 2048 * 2;  // T x h, bf16
  for (const auto precision : {hardware::Precision::bf16, hardware::Precision::fp8}) {
    plan.precision = precision;
    const TrainingCosts c = training_costs(small_model(), plan, two.cluster.accelerator(), two.net);
    const double share = precision == hardware::Precision::fp8 ? 0.5 : 1.0;
    const double per_pass = 2 * timer.seconds(network::CollectiveOp::AllGather, tp_ranks, share * hidden) +
                            2 * timer.seconds(network::CollectiveOp::ReduceScatter, tp_ranks, hidden);
    EXPECT_NEAR(c.dense_layer_forward.tp_s, per_pass, 1e-12);
    EXPECT_NEAR(c.dense_layer_backward.tp_s, per_pass, 1e-12);
    EXPECT_DOUBLE_EQ(c.dense_layer_forward.tp_bytes, (2 * share + 2) * 3.0 / 4 * hidden);
  }
}

// The ring exchanges K and V as the attention kernel reads them: grouped (half the hidden
// width here), or repeated to every head (fusion.gqa: false). The backward moves them
// again with their gradients: 16-bit in Transformer Engine, fp32 in PyTorch's ring. Across
// servers on NICs slowed a hundredfold the exchange outlasts the attention beside it, so the
// differences are the exposed time's.
TEST(Training, ContextParallelRingMovesKeysAndValuesAsTheKernelReadsThem) {
  TransformerSpec m = small_model();
  m.kv_heads = 8;
  ParallelPlan plan;
  plan.tp = 8;  // CP 2 across the two servers
  plan.cp = 2;
  plan.global_batch = 2;
  plan.recompute = Recompute::None;
  network::FabricSpec slow_nics = radix16();
  slow_nics.nic_efficiency = 0.01;
  TimedCluster two(2, slow_nics);
  const std::vector<std::int64_t> cp_ranks = {rank_of(plan, {0, 0, 0, 0}), rank_of(plan, {0, 1, 0, 0})};
  // K and V of the sequence, bf16, a TP rank's eighth of their heads.
  const double grouped_bytes = 2.0 * 2048 * 1024 / 8 * 2, repeated_bytes = 2.0 * 2048 * 2048 / 8 * 2;
  const double a = two.timer.seconds(network::CollectiveOp::AllGather, cp_ranks, grouped_bytes);
  const double b = two.timer.seconds(network::CollectiveOp::AllGather, cp_ranks, repeated_bytes);
  auto costs = [&](bool repeat, bool torch) {
    ParallelPlan p = plan;
    p.kv_repeat = repeat;
    p.cp_torch = torch;
    return training_costs(m, p, two.cluster.accelerator(), two.net);
  };
  const TrainingCosts grouped = costs(false, false), repeated = costs(true, false);
  const TrainingCosts torch_grouped = costs(false, true), torch_repeated = costs(true, true);
  EXPECT_GT(grouped.dense_layer_forward.cp_s, 0.0);
  EXPECT_NEAR(repeated.dense_layer_forward.cp_s - grouped.dense_layer_forward.cp_s, b - a, 1e-12);
  EXPECT_NEAR(repeated.dense_layer_backward.cp_s - grouped.dense_layer_backward.cp_s, 2 * (b - a), 1e-12);
  EXPECT_NEAR(torch_repeated.dense_layer_forward.cp_s - torch_grouped.dense_layer_forward.cp_s, b - a, 1e-12);
  EXPECT_NEAR(torch_repeated.dense_layer_backward.cp_s - torch_grouped.dense_layer_backward.cp_s, 3 * (b - a),
              1e-12);
}

TEST(Training, WithoutSequenceParallelismPipelineMessagesAreScatteredAndGathered) {
  ParallelPlan plan;
  plan.tp = 4;
  plan.pp = 2;
  plan.global_batch = 2;
  plan.sequence_parallel = false;
  const TrainingCosts c = costs_of(small_model(), plan);
  EXPECT_DOUBLE_EQ(c.pp_message_bytes, 2048.0 * 2048 * 2 / 4);  // a rank's quarter of T h bf16
  // The receiving stage all-gathers the message over TP: stage 1 forward, stage 0 backward.
  const double gather = c.chunks[1].forward.tp_s - c.chunks[0].forward.tp_s;
  EXPECT_GT(gather, 0);
  EXPECT_DOUBLE_EQ(c.chunks[0].backward.tp_s - c.chunks[1].backward.tp_s, gather);
  plan.sequence_parallel = true;  // held scattered: the same bytes, no gather
  const TrainingCosts sp = costs_of(small_model(), plan);
  EXPECT_DOUBLE_EQ(sp.pp_message_bytes, c.pp_message_bytes);
  EXPECT_DOUBLE_EQ(sp.chunks[1].forward.tp_s, sp.chunks[0].forward.tp_s);
}

TEST(Training, GroupingIdenticalRanksGivesExactlyTheFullModelsResult) {
  for (Schedule schedule : {Schedule::OneFOneB, Schedule::Interleaved, Schedule::GPipe}) {
    for (network::SharingModel model : {network::SharingModel::Flow, network::SharingModel::Analytical}) {
      SCOPED_TRACE(::testing::Message() << to_string(schedule) << (model == network::SharingModel::Flow ? " flow" : " analytical"));
      ParallelPlan plan;
      plan.tp = 4;
      plan.pp = 2;
      plan.dp = 4;
      plan.schedule = schedule;
      plan.virtual_stages = schedule == Schedule::Interleaved ? 2 : 1;
      plan.microbatch = 1;
      plan.global_batch = 16;  // 4 microbatches per replica
      plan.bucket_params = 20e6;
      const JobRun grouped = run(plan, true, model, 4);
      const JobRun full = run(plan, false, model, 4);
      EXPECT_EQ(grouped.result.seconds, full.result.seconds);
      // The breakdown is an average over units: the same values summed in another order.
      const double eps = 1e-12 * grouped.result.seconds;
      EXPECT_NEAR(grouped.result.breakdown.compute, full.result.breakdown.compute, eps);
      EXPECT_NEAR(grouped.result.breakdown.dp_exposed, full.result.breakdown.dp_exposed, eps);
      EXPECT_NEAR(grouped.result.breakdown.bubble, full.result.breakdown.bubble, eps);
      EXPECT_NEAR(grouped.result.breakdown.pp_exposed, full.result.breakdown.pp_exposed, eps);
      EXPECT_EQ(grouped.energy_j, full.energy_j);
      EXPECT_NEAR(grouped.result.breakdown.total(), grouped.result.seconds, 1e-7);
    }
  }
}

// On a rail-optimized fabric the TP ranks of a unit send identical traffic on their own
// rails: one member's traffic, with loads folded onto link orbits, stands for all of them
// (network_sim.hpp, MemberSymmetry). It must give the full model's result exactly: the
// iteration to the nanosecond, the energy, and every link's bytes. Two tiers (every link
// serves one rail) and three (spine-core links serve all rails; the rails rotate), TP8 (the
// members rotate) and TP4 (they rotate within each half of a server; on three tiers the
// rotations of all rails stand for them: see the next test).
// With context parallelism each CP slice keeps its first TP member, inside a server (TP4 CP2)
// or across servers (TP8 CP2: a unit spans two).
TEST(Training, OneMemberStandingForItsUnitGivesExactlyTheFullModelsResult) {
  struct Case {
    std::int64_t tp, pp, dp, servers;
    int radix;
    bool reduced;  // whether the reduction applies
  };
  for (const Case& c : {Case{8, 2, 4, 8, 32, true}, Case{8, 4, 8, 32, 16, true}, Case{4, 2, 8, 8, 32, true},
                        Case{4, 4, 16, 32, 16, true}}) {
    SCOPED_TRACE(::testing::Message() << "tp " << c.tp << " radix " << c.radix);
    const ParallelPlan plan = interleaved_plan(c.tp, 1, c.pp, c.dp);
    network::FabricSpec spec;
    spec.kind = network::FabricKind::RailOptimized;
    spec.radix = c.radix;
    spec.oversubscription = 2;
    const JobRun grouped = run(plan, true, network::SharingModel::Flow, c.servers, spec);
    const JobRun full = run(plan, false, network::SharingModel::Flow, c.servers, spec);
    EXPECT_EQ(grouped.reduced, c.reduced);
    EXPECT_FALSE(full.reduced);
    expect_same_run(grouped, full);
  }
}

// On three tiers only rotations of all eight rails keep the fabric. TP4 (or TP2) members sit
// in a quarter (or half) of a server: the rotations by 1..tp-1 map member 0 onto the others,
// and stand for them when the rotation by tp maps the first members' traffic onto itself
// (unit onto unit, collective onto collective). The folded run must be the unfolded one
// exactly, with every way a DP group communicates: ZeRO-0 all-reduce, ZeRO-1 reduce-scatter
// with the parameter gather after the step or overlapped with the next forward, CP slices.
// A placement whose rotation maps a unit onto one of another stage (pp before dp) is refused.
TEST(Training, RotationsOfAllRailsStandForTensorParallelMembersExactly) {
  struct Case {
    std::int64_t tp, cp, pp, dp;
    int zero;
    bool overlap_gather;
    const char* order;
    bool reduced;
  };
  for (const Case& c : {Case{4, 1, 4, 16, 0, false, "tp-cp-dp-pp", true}, Case{4, 1, 4, 16, 1, false, "tp-cp-dp-pp", true},
                        Case{4, 1, 2, 32, 1, true, "tp-cp-dp-pp", true}, Case{2, 1, 4, 32, 1, false, "tp-cp-dp-pp", true},
                        Case{4, 2, 2, 16, 1, true, "tp-cp-dp-pp", true}, Case{4, 1, 4, 16, 1, false, "tp-cp-pp-dp", false}}) {
    SCOPED_TRACE(::testing::Message() << "tp " << c.tp << " cp " << c.cp << " zero " << c.zero << " overlap "
                                      << c.overlap_gather << " order " << c.order);
    ParallelPlan plan = interleaved_plan(c.tp, c.cp, c.pp, c.dp);
    plan.zero = c.zero;
    plan.overlap_param_gather = c.overlap_gather;
    ASSERT_TRUE(parse_order(c.order, plan.order));
    network::FabricSpec spec;
    spec.kind = network::FabricKind::RailOptimized;
    spec.radix = 16;  // 32 servers: three tiers
    spec.oversubscription = 2;
    const JobRun folded = run(plan, true, network::SharingModel::Flow, 32, spec);
    const JobRun unfolded = run(plan, true, network::SharingModel::Flow, 32, spec, true, false);
    EXPECT_EQ(folded.reduced, c.reduced);
    EXPECT_FALSE(unfolded.reduced);
    if (c.reduced) {
      EXPECT_LT(folded.transfers, unfolded.transfers);
    }
    expect_same_run(folded, unfolded);
  }
}

// Sprayed routing (network_sim.hpp, Fabric::bundles): routes list each bundle of parallel
// links once, and on a fat tree whose servers each sit under one leaf the TP members fold as
// on rail-optimized fabrics. Both together must give the run with every link listed and
// every member's traffic on the network: the iteration to the nanosecond, the energy, and
// every link's bytes. Fat trees of two and three tiers, and three-tier rails (their spine-
// core bundles rotate with the rails).
TEST(Training, SprayedBundlesAndFoldedFatTreesGiveExactlyTheRunOfEveryLink) {
  struct Case {
    network::FabricKind kind;
    int radix;
    std::int64_t servers;
  };
  for (const Case& c : {Case{network::FabricKind::FatTree, 32, 16}, Case{network::FabricKind::FatTree, 16, 32},
                        Case{network::FabricKind::RailOptimized, 16, 32}}) {
    SCOPED_TRACE(::testing::Message() << "radix " << c.radix << " servers " << c.servers);
    ParallelPlan plan = interleaved_plan(8, 1, 2, c.servers / 2);
    plan.zero = 1;
    network::FabricSpec spec;
    spec.kind = c.kind;
    spec.radix = c.radix;
    spec.routing = network::Routing::Spray;
    const JobRun bundled = run(plan, true, network::SharingModel::Flow, c.servers, spec);
    spec.bundle_sprayed_links = false;
    const JobRun every_link = run(plan, true, network::SharingModel::Flow, c.servers, spec, true, false);
    EXPECT_TRUE(bundled.reduced);
    EXPECT_FALSE(every_link.reduced);
    EXPECT_LT(bundled.transfers, every_link.transfers);
    expect_same_run(bundled, every_link);
  }
}

// With context parallelism the first TP member of each CP slice stands for its slice, the
// slices inside a server (TP4 CP2) or on servers of their own (TP8 CP2: a unit spans two).
// The reference is the same grouped model with every member's traffic on the network: a
// unit's pipeline message moves as one transfer at its slowest segment's pace, which one unit
// per rank does not (CP slices on different servers meet different contention), so the model
// of single ranks is not the reference here.
TEST(Training, FirstMembersOfContextParallelSlicesGiveExactlyTheUnfoldedResult) {
  struct Case {
    std::int64_t tp, cp, pp, dp, servers;
    int radix;
  };
  for (const Case& c : {Case{8, 2, 2, 2, 8, 32}, Case{8, 2, 2, 4, 32, 16}, Case{4, 2, 2, 4, 8, 32}, Case{8, 4, 2, 2, 32, 16}}) {
    SCOPED_TRACE(::testing::Message() << "tp " << c.tp << " cp " << c.cp << " radix " << c.radix);
    const ParallelPlan plan = interleaved_plan(c.tp, c.cp, c.pp, c.dp);
    network::FabricSpec spec;
    spec.kind = network::FabricKind::RailOptimized;
    spec.radix = c.radix;
    spec.oversubscription = 2;
    const JobRun folded = run(plan, true, network::SharingModel::Flow, c.servers, spec);
    const JobRun unfolded = run(plan, true, network::SharingModel::Flow, c.servers, spec, true, false);
    EXPECT_TRUE(folded.reduced);
    EXPECT_FALSE(unfolded.reduced);
    EXPECT_LT(folded.transfers, unfolded.transfers);
    expect_same_run(folded, unfolded);
  }
}

// Two data-parallel ranks per server (TP4) make `auto` pick the hierarchical algorithm, whose
// rings inside the servers run as batches (network_sim.hpp): the iteration must be the one
// that starts every ring on its own, to the nanosecond, with the same bytes on every link.
TEST(Training, BatchedRingsGiveExactlyTheRunWithEveryRingOnItsOwn) {
  for (auto model : {network::SharingModel::Flow, network::SharingModel::Analytical}) {
    ParallelPlan plan;
    plan.tp = 4;
    plan.pp = 2;
    plan.dp = 8;
    plan.global_batch = 4 * plan.dp * plan.pp;
    plan.bucket_params = 20e6;
    network::FabricSpec spec;
    spec.kind = network::FabricKind::RailOptimized;
    spec.radix = 16;
    spec.oversubscription = 2;
    const JobRun batched = run(plan, false, model, 8, spec, true);
    const JobRun single = run(plan, false, model, 8, spec, false);
    EXPECT_LT(batched.transfers, single.transfers);
    EXPECT_NEAR(batched.result.seconds, single.result.seconds, 1e-9);
    EXPECT_NEAR(batched.energy_j, single.energy_j, 1e-9 * single.energy_j);
    ASSERT_EQ(batched.link_bytes.size(), single.link_bytes.size());
    for (std::size_t l = 0; l < single.link_bytes.size(); ++l)
      EXPECT_NEAR(batched.link_bytes[l], single.link_bytes[l], 1e-9 * single.link_bytes[l] + 1e-3) << "link " << l;
  }
}

// Tensor-parallel collectives are timed by the compute model, and their bytes count on the
// NVLink links: with SP each layer pass all-gathers twice and reduce-scatters twice, each
// rank sending (t-1)/t of the b x s x h x 2-byte buffer, to the switch and on from it.
TEST(Training, TensorParallelBytesCountOnTheScaleUpLinks) {
  ParallelPlan plan;
  plan.tp = 4;
  plan.pp = 1;
  plan.dp = 1;
  plan.microbatch = 1;
  plan.global_batch = 2;
  plan.zero = 0;
  plan.recompute = Recompute::Selective;  // recomputes attention only: no TP collectives again
  for (bool sp : {true, false}) {
    plan.sequence_parallel = sp;
    const JobRun r = run(plan, true, network::SharingModel::Flow, 1);
    const double act = 2048.0 * 2048 * 2;
    const double per_rank = 2 /*microbatches*/ * 8 /*layers*/ * 2 /*passes*/ * 4 * 3.0 / 4 * act;
    double scale_up = 0, other = 0;
    for (std::size_t l = 0; l < r.link_bytes.size(); ++l)
      (r.link_class[l] == network::LinkClass::ScaleUp ? scale_up : other) += r.link_bytes[l];
    EXPECT_NEAR(scale_up, 2 * 4 * per_rank, 1e-9 * scale_up) << (sp ? "SP" : "no SP");  // up to the switch, down from it
    EXPECT_EQ(other, 0.0);
  }
}

TEST(Training, MorePipelineMicrobatchesShrinkTheBubbleFraction) {
  ParallelPlan plan;
  plan.tp = 8;
  plan.pp = 2;
  plan.dp = 1;
  plan.global_batch = 2;
  const JobRun few = run(plan, true, network::SharingModel::Analytical, 2);
  plan.global_batch = 16;
  const JobRun many = run(plan, true, network::SharingModel::Analytical, 2);
  EXPECT_GT(few.result.breakdown.bubble, 0);
  EXPECT_LT(many.result.breakdown.bubble / many.result.seconds, few.result.breakdown.bubble / few.result.seconds);
}

TEST(Training, PresetSizesMatchThePublishedParameterCounts) {
  EXPECT_NEAR(model_preset("gpt3-175b")->total_params() / 1e9, 175, 175 * 0.01);
  EXPECT_NEAR(model_preset("llama3-405b")->total_params() / 1e9, 405, 405 * 0.01);
  EXPECT_NEAR(model_preset("llama3-70b")->total_params() / 1e9, 70.6, 70.6 * 0.01);
  EXPECT_NEAR(model_preset("llama2-70b")->total_params() / 1e9, 69.0, 69.0 * 0.015);
  EXPECT_NEAR(model_preset("llama3-8b")->total_params() / 1e9, 8.0, 8.0 * 0.01);
  EXPECT_NEAR(model_preset("mixtral-8x7b")->total_params() / 1e9, 46.7, 46.7 * 0.01);
  EXPECT_NEAR(model_preset("mixtral-8x7b")->active_params() / 1e9, 12.9, 12.9 * 0.02);
  EXPECT_NEAR(model_preset("bloom-176b")->total_params() / 1e9, 176, 176 * 0.01);
  // Megatron's FLOPs per iteration, 72 B s l h^2 (1 + s/6h + V/12lh), is our model FLOPs.
  const auto g = *model_preset("gpt3-175b");
  const double l = 96, h = 12288, s = 2048, V = 51200;
  EXPECT_NEAR(g.model_flops_per_token(), 72 * l * h * h * (1 + s / (6 * h) + V / (12 * l * h)), 1e-9 * g.model_flops_per_token());
}

TEST(Training, ActivationMemoryFollowsKorthikanti) {
  ParallelPlan plan;
  plan.tp = 8;
  plan.sequence_parallel = true;
  plan.recompute = Recompute::Selective;
  const auto g = *model_preset("gpt3-175b");
  // 34 s b h / t bytes per layer with SP and flash attention (Korthikanti et al. 2022, with
  // dropout masks), plus flash attention's fp32 softmax statistics, 4 s b a / t.
  const double s = 2048, h = 12288, t = 8;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(g, plan, false), 34.0 * s * h / t + 4 * s * 96 / t);
  // Llama 3 70B (no dropout, SwiGLU, 8 KV heads of 128): s b / t (12 h + 4 g d + 6 f) + statistics.
  const auto l = *model_preset("llama3-70b");
  const double sl = 8192, hl = 8192, f = 28672;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(l, plan, false), sl / t * (12 * hl + 4 * 8 * 128 + 6 * f) + 4 * sl * 64 / t);
  // FP8 saves the norm outputs, the projection's input copy and the activation output in one byte.
  ParallelPlan p8 = plan;
  p8.precision = dcsim::hardware::Precision::fp8;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(l, p8, false), sl / t * (11 * hl + 4 * 8 * 128 + 5 * f) + 4 * sl * 64 / t);
  plan.recompute = Recompute::Full;
  EXPECT_DOUBLE_EQ(layer_activation_bytes(g, plan, false), 2.0 * s * h / t);
  plan.pp = 8;
  plan.global_batch = 64;
  EXPECT_EQ(in_flight(plan, 0), 8);  // 1F1B: stage 0 holds pp microbatches
  EXPECT_EQ(in_flight(plan, 7), 1);
}

// Interleaved groups of N >= pp microbatches per model chunk (Megatron-core's
// microbatch_group_size_per_vp_stage): warm-up 2 (pp - p - 1) + (v - 1) N; a stage holds its
// warm-up's forwards and one more. Every group size that divides the microbatches runs to
// completion (the simulation throws when a schedule deadlocks).
TEST(Training, MicrobatchGroupsRunToCompletionAndHoldTheirWarmUp) {
  ParallelPlan plan;
  plan.tp = 1;
  plan.dp = 1;
  plan.pp = 4;
  plan.virtual_stages = 2;
  plan.schedule = Schedule::Interleaved;
  plan.global_batch = 16;
  EXPECT_EQ(in_flight(plan, 0), 11);  // 2 x 3 + 1 x 4, and one more
  EXPECT_EQ(in_flight(plan, 3), 5);
  plan.microbatch_group = 8;
  EXPECT_EQ(in_flight(plan, 0), 15);  // 2 x 3 + 1 x 8, and one more
  EXPECT_EQ(in_flight(plan, 3), 9);
  plan.virtual_stages = 3;
  EXPECT_EQ(in_flight(plan, 0), 23);  // 2 x 3 + 2 x 8, and one more
  plan.microbatch_group = 16;
  EXPECT_EQ(in_flight(plan, 0), 39);
  plan.global_batch = 4;  // fewer forwards than the warm-up: all of them
  plan.microbatch_group = 4;
  EXPECT_EQ(in_flight(plan, 0), 12);

  network::FabricSpec spec;
  spec.radix = 16;
  for (std::int64_t pp : {2, 3, 4, 8})
    for (std::int64_t v : {2, 3})
      for (std::int64_t n = pp; n <= 2 * pp + 1; ++n)
        for (std::int64_t m = n; m <= 3 * pp + 2; m += n) {
          if (small_model().layers < pp * v) continue;
          SCOPED_TRACE(::testing::Message() << "pp " << pp << " v " << v << " group " << n << " microbatches " << m);
          ParallelPlan q;
          q.tp = 1;
          q.dp = 1;
          q.pp = pp;
          q.virtual_stages = v;
          q.schedule = Schedule::Interleaved;
          q.microbatch_group = n;
          q.global_batch = m;
          q.zero = 0;
          EXPECT_NO_THROW(run(q, true, network::SharingModel::Analytical, 1, spec));
        }
}

// torchtitan's per-op policy (recompute: op) on Llama 3 8B, one rank, 8,192 tokens: the
// backward runs wk, wo and w3 again, never the attention core, in BF16 and FP8 alike; it
// saves the block input, wq, wv, the attention output and statistics, w1 and w2.
TEST(Training, OpPolicyRecomputesAndSavesWhatTorchtitansPolicyDoes) {
  const auto m = *model_preset("llama3-8b");
  ParallelPlan plan;
  plan.tp = 1;
  plan.sequence_parallel = false;
  plan.microbatch = 1;
  plan.global_batch = 1;
  const double T = 8192, h = 4096, kv = 1024, f = 14336;
  // One QKV and one gate-and-up GEMM (a share of each runs again), or torchtitan's separate
  // linears (wk and w3 run again whole): the same FLOPs.
  for (const bool fused : {true, false})
  for (const auto precision : {dcsim::hardware::Precision::bf16, dcsim::hardware::Precision::fp8}) {
    plan.fused_projections = fused;
    plan.precision = precision;
    plan.recompute = Recompute::None;
    const TrainingCosts none = costs_of(m, plan);
    plan.recompute = Recompute::Op;
    const TrainingCosts op = costs_of(m, plan);
    const double params = h * kv + h * h + h * f;
    EXPECT_NEAR(op.dense_layer_backward.hardware_flops - none.dense_layer_backward.hardware_flops, 2 * T * params,
                1e-9 * T * params);
    EXPECT_EQ(op.dense_layer_forward.hardware_flops, none.dense_layer_forward.hardware_flops);
    EXPECT_DOUBLE_EQ(op_policy_recomputed_params(m), 32 * params);
    const double saved = 2 * h + 2 * h + 2 * h + 2 * kv + 2 * f + 2 * h;
    EXPECT_DOUBLE_EQ(layer_activation_bytes(m, plan, false), T * (saved + 4 * 32));
  }
}

// Transfers leave out the PCIe links their NIC ports imply (Fabric::stand_in): the run must
// be the one in which they cross every link: the iteration to the nanosecond, the energy, and
// every link's bytes (a PCIe link reports its port's). Hashed fat trees (nothing folds) and
// folded rails, with ZeRO-1 gathers and pipeline sends on the same NICs.
TEST(Training, LeavingOutImpliedLinksGivesExactlyTheRunOfEveryLink) {
  for (const network::FabricKind kind : {network::FabricKind::FatTree, network::FabricKind::RailOptimized}) {
    SCOPED_TRACE(kind == network::FabricKind::FatTree ? "fat tree" : "rail-optimized");
    ParallelPlan plan = interleaved_plan(8, 1, 2, 8);
    plan.zero = 1;
    network::FabricSpec spec;
    spec.kind = kind;
    spec.radix = 16;
    spec.oversubscription = 2;
    const JobRun implied = run(plan, true, network::SharingModel::Flow, 16, spec);
    spec.leave_out_implied_links = false;
    const JobRun every_link = run(plan, true, network::SharingModel::Flow, 16, spec);
    std::size_t pcie_bytes = 0;
    for (std::size_t l = 0; l < every_link.link_bytes.size(); ++l)
      pcie_bytes += every_link.link_class[l] == network::LinkClass::Pcie && every_link.link_bytes[l] > 0;
    EXPECT_GT(pcie_bytes, 0u);
    expect_same_run(implied, every_link);
  }
}
