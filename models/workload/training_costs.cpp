#include "models/workload/training_costs.hpp"

#include <algorithm>
#include <numeric>

#include "models/hardware/compute_model.hpp"
#include "models/network/collectives.hpp"
#include "models/workload/layer_ops.hpp"
#include "models/workload/overlap.hpp"

namespace dcsim::workload {
namespace {
using hardware::ComputeOp;
using hardware::MatmulShape;
using hardware::OpKind;
using hardware::Precision;

constexpr double kActivationBytes = 2;  // bf16 activations (fp8 only inside GEMMs)

// Sums op times into a BlockCost. In a backward pass (scale 2) each GEMM runs twice (data
// and weight gradients); element-wise kernels are given their backward bytes directly.
struct Accumulator {
  const hardware::AcceleratorSpec& chip;
  BlockCost cost;
  double scale = 1;  // 2 for a backward pass of the same shapes
  void op(const ComputeOp& o, double times) {
    const hardware::OpTiming t = hardware::op_time(chip, o);
    (t.compute_bound ? cost.compute_bound_s : cost.memory_bound_s) += t.seconds * times;
    cost.hardware_flops += o.flops * times;
  }
  void matmul(double m, double n, double k, Precision p, double batch = 1) {
    op(hardware::matmul_op({batch, m, n, k}, p), scale);
  }
  void memory(double bytes, hardware::MemoryKernel kind = hardware::MemoryKernel::Stream) {
    op(hardware::memory_op(bytes, kind), 1);
  }
};

// Ranks of the group a collective runs over, taken at pipeline rank 0 (all are alike).
std::vector<std::int64_t> group(const ParallelPlan& plan, char dim, std::int64_t size) {
  std::vector<std::int64_t> ranks;
  for (std::int64_t i = 0; i < size; ++i) {
    RankCoord c;
    if (dim == 't') c.t = i;
    if (dim == 'c') c.c = i;
    if (dim == 'd') c.d = i;
    ranks.push_back(rank_of(plan, c));
  }
  return ranks;
}

double collective_s(network::CollectiveTimer& timer, network::CollectiveOp op, const std::vector<std::int64_t>& ranks,
                    double bytes) {
  if (ranks.size() < 2 || bytes <= 0) return 0;
  return timer.seconds(op, ranks, bytes);
}

struct LayerContext {
  const TransformerSpec& m;
  const ParallelPlan& plan;
  const hardware::AcceleratorSpec& chip;
  network::CollectiveTimer& net;
  double tokens = 0;  // per rank: microbatch x sequence / CP
  double tp_ag_s = 0, tp_rs_s = 0, tp_ar_s = 0, ep_a2a_s = 0, cp_kv_s = 0;
  double tp_message_bytes = 0;  // a TP collective's full buffer: the rank's hidden state
};

// With recompute_layers, full recomputation covers that many layers of each chunk: the share
// of an average layer's forward that backward repeats.
double recomputed_share(const ParallelPlan& plan, const TransformerSpec& m) {
  if (plan.recompute_layers <= 0) return 1.0;
  const double chunk_layers = double(m.layers) / double(plan.stages());
  return std::min(1.0, double(plan.recompute_layers) / chunk_layers);
}

BlockCost time_ops(const hardware::AcceleratorSpec& chip, const std::vector<LayerOp>& ops) {
  Accumulator acc{chip, {}, 1.0};
  for (const LayerOp& o : ops) acc.op(o.op, o.count);
  return acc.cost;
}

// The share of a 16-bit hidden state a TP all-gather moves. Under FP8 with sequence
// parallelism the gathered tensors are the GEMMs' FP8 inputs: Transformer Engine's norm writes
// FP8 before its all-gather and casts the output gradient before gathering it, and torchao's
// float8 TP (PrepareFloat8ModuleInput, Float8RowwiseParallel) casts before redistributing; the
// reduce-scatters stay 16-bit (docs/training.md).
double tp_gather_share(const ParallelPlan& plan) {
  return plan.precision == hardware::Precision::fp8 && plan.sequence_parallel ? 0.5 : 1.0;
}

// TP communication of one pass: exposed collectives, or with userbuffer overlap what is not
// hidden plus the SMs its kernels take from the GEMMs.
void tp_communication(const LayerContext& x, Pass pass, const std::vector<LayerOp>& ops, BlockCost& c) {
  if (x.plan.tp <= 1) return;
  // A ring all-gather or reduce-scatter sends (t-1)/t of the buffer from each rank, an
  // all-reduce twice that: two of each with SP (the gathers in FP8 under FP8), two all-reduces
  // without.
  const double t = double(x.plan.tp);
  const double gathers = x.plan.sequence_parallel ? 2 * tp_gather_share(x.plan) + 2 : 4;
  c.tp_bytes += gathers * (t - 1) / t * x.tp_message_bytes;
  if (!x.plan.tp_comm_overlap) {
    // With SP two all-gathers and two reduce-scatters per pass, else two all-reduces.
    c.tp_s += x.plan.sequence_parallel ? 2 * (x.tp_ag_s + x.tp_rs_s) : 2 * x.tp_ar_s;
    return;
  }
  const TpOverlapCost o = tp_overlap(x.chip, x.plan, pass, ops, x.tp_ag_s, x.tp_rs_s, x.tp_message_bytes);
  c.tp_s += o.exposed_s;
  c.compute_bound_s += o.slowdown_s;
  c.memory_bound_s += o.memory_s;
}

// What torchtitan's per-op policy (selective_ac_option: op) runs again in the backward: it
// saves the attention core's output and every other aten.mm of the block in forward order
// (wq, wk, wv, wo, w1, w3, w2: the 1st, 3rd, 5th and 7th) and recomputes everything else:
// wk, wo and w3 (with a GeLU MLP: wo and w2), and every element-wise kernel. torchao's float8
// linears reach the policy as aten.mm on float8 tensors, so FP8 saves the same GEMMs and
// recomputes the input casts of the ones it runs again (the casts' abs and max are saved).
// Dense layers only (the scenario refuses it for MoE models).
double op_policy_gemm_share(const TransformerSpec& m, const std::string& name, const std::string& piece) {
  if (!piece.empty()) return piece == "k" || piece == "up" ? 1.0 : 0.0;  // separate linears: wk and w3
  const bool gated = m.mlp_matrices() > 2;
  const double h = double(m.hidden), kv = double(m.kv_dim());
  return name == "qkv"    ? kv / (h + 2 * kv)  // wk of wq, wk, wv
         : name == "proj" ? 1.0
         : name == "fc1"  ? (gated ? 0.5 : 0.0)  // w3 of w1, w3
         : name == "fc2"  ? (gated ? 0.0 : 1.0)
                          : 1.0;
}

}  // namespace

std::vector<LayerOp> op_policy_recompute(const TransformerSpec& m, const ParallelPlan& plan, bool moe) {
  const std::vector<LayerOp> forward = layer_ops(m, plan, moe, Pass::Forward);
  std::vector<LayerOp> out;
  for (std::size_t i = 0; i < forward.size(); ++i) {
    LayerOp o = forward[i];
    if (o.op.kind == OpKind::Attention || o.name == "attention scores" || o.name == "attention values" ||
        o.name == "softmax, dropout")
      continue;  // saved
    double share = 1;
    if (o.op.kind == OpKind::Matmul) {
      share = op_policy_gemm_share(m, o.name, o.piece);
    } else if (o.name == "quantize input") {
      // An FP8 input cast goes with the GEMMs right after it that share the input (separate
      // projections: one cast for all), run again if any of them is.
      share = 0;
      for (std::size_t j = i + 1; j < forward.size() && forward[j].op.kind == OpKind::Matmul &&
                                  forward[j].name == forward[i + 1].name;
           ++j)
        share = std::max(share, op_policy_gemm_share(m, forward[j].name, forward[j].piece));
    }
    if (share == 0) continue;
    o.count *= share;
    out.push_back(o);
  }
  return out;
}

namespace {

BlockCost layer_block(const LayerContext& x, bool moe, bool backward) {
  const Pass pass = backward ? Pass::Backward : Pass::Forward;
  const auto ops = layer_ops(x.m, x.plan, moe, pass);
  BlockCost c = time_ops(x.chip, ops);
  c.model_flops = c.hardware_flops;
  tp_communication(x, pass, ops, c);
  if (moe && x.plan.ep > 1) c.ep_s = 2 * x.ep_a2a_s;  // dispatch and combine
  if (x.plan.cp > 1) {
    // Ring attention hides the KV exchange under the attention core when it can; its
    // point-to-point kernels take a few SMs meanwhile.
    const BlockCost core = time_ops(x.chip, layer_ops(x.m, x.plan, moe, pass, LayerPart::AttentionCore));
    // The backward moves K and V again and dK and dV: 16-bit in Transformer Engine, fp32 in
    // PyTorch's ring (convert_to_f32), twice the bytes.
    const double backward_kv = x.plan.cp_torch ? 3.0 : 2.0;
    const double comm = x.cp_kv_s * (backward ? backward_kv : 1.0);
    const double attention = core.compute_bound_s + core.memory_bound_s;
    c.cp_s = std::max(0.0, comm - attention);
    c.compute_bound_s += overlap_slowdown(x.chip, kNcclP2pCtas, comm, attention);
  }
  if (backward && x.plan.recompute == Recompute::Op) {
    BlockCost re = time_ops(x.chip, op_policy_recompute(x.m, x.plan, moe));
    // The policy saves reduce-scatters, not all-gathers (or all-reduces without SP): TP's
    // gathers before the QKV and first MLP GEMMs run again, unless asynchronous TP hides them.
    if (x.plan.tp > 1 && !x.plan.tp_comm_overlap) re.tp_s += 2 * (x.plan.sequence_parallel ? x.tp_ag_s : x.tp_ar_s);
    c.compute_bound_s += re.compute_bound_s;
    c.memory_bound_s += re.memory_bound_s;
    c.hardware_flops += re.hardware_flops;
    c.tp_s += re.tp_s;
  } else if (backward && x.plan.recompute != Recompute::None) {
    const bool full = x.plan.recompute == Recompute::Full;
    const auto re_ops = layer_ops(x.m, x.plan, moe, Pass::Forward, full ? LayerPart::All : LayerPart::AttentionCore);
    BlockCost re = time_ops(x.chip, re_ops);
    if (full) tp_communication(x, Pass::Forward, re_ops, re);  // the forward's TP again
    // Full recomputation of only recompute_layers layers per chunk: their share of a layer.
    const double share = full ? recomputed_share(x.plan, x.m) : 1.0;
    c.compute_bound_s += share * re.compute_bound_s;
    c.memory_bound_s += share * re.memory_bound_s;
    c.hardware_flops += share * re.hardware_flops;
    c.tp_s += share * re.tp_s;
    c.tp_bytes += share * re.tp_bytes;
  }
  return c;
}

// The optimizer step's HBM traffic per owned parameter, pass by pass as Megatron-LM's
// mixed-precision optimizer runs it (megatron/optimizer/optimizer.py):
// - 16-bit main gradients (grad_reduce_in_fp32 off) are first copied to fp32: read 2, write 4;
// - fp16 loss scaling unscales them and checks for inf/NaN: read 4, write 4;
// - the gradient norm for clipping reads them: 4;
// - Adam reads the fp32 master weight, gradient and both moments and writes three back: 28;
// - the 16-bit model weights are written from the master copy in a pass of their own: read 4,
//   write 2. FSDP (ZeRO-3) keeps only the fp32 shard and casts it when gathering: no pass.
double optimizer_bytes_per_param(const ParallelPlan& plan) {
  if (plan.optimizer_state_bytes < 4) {
    // bf16 state (optimizer_dtype: bf16): the norm and Adam read the 16-bit gradient as it is,
    // Adam reads weight and moments and writes them back at 2 bytes; the weights it writes
    // are the model's (no copy pass).
    return plan.grad_bytes + (plan.grad_bytes + 6 * plan.optimizer_state_bytes);
  }
  if (plan.fused_adam) {
    // Apex's fused kernel: the norm and Adam read the gradient shard at its own width; Adam
    // reads the fp32 weight and moments, writes them and the 16-bit weight.
    return plan.grad_bytes + (plan.grad_bytes + 12 + 12 + 2) + (plan.precision == hardware::Precision::fp16 ? 8 : 0);
  }
  double bytes = 4 + 28;
  if (plan.grad_bytes < 4) bytes += 6;
  if (plan.precision == hardware::Precision::fp16) bytes += 8;
  if (plan.zero < 3) bytes += 6;
  return bytes;
}

// FSDP's copies around its collectives, in bytes per parameter of a chunk per microbatch
// (docs/training.md, "FSDP copies"). Passes over a rank's own shard (1 / DP of these) are
// left out.
struct FsdpCopyBytes {
  double forward = 0, backward = 0;
};
FsdpCopyBytes fsdp_copy_bytes(const ParallelPlan& plan) {
  const double gathered = plan.fp8_params ? 1.0 : 2.0;  // a gathered weight
  const double grad = 2.0;                              // the 16-bit gradient autograd produces
  switch (plan.fsdp) {
    case FsdpImplementation::Fsdp2:
      // split_with_sizes_copy out of every all-gather buffer (read, write); chunk_cat of the
      // gradients into the reduce-scatter input, cast to the reduce dtype.
      return {2 * gathered, (plan.reshard_after_forward ? 2 * gathered : 0.0) + grad + plan.grad_bytes};
    case FsdpImplementation::Fsdp1:
      // The gradient cast to the reduce dtype where it differs, then divided in place by the
      // pre-divide factor (> 1 from two ranks on) before the reduce-scatter.
      return {0.0, (plan.grad_bytes != grad ? grad + plan.grad_bytes : 0.0) + 2 * plan.grad_bytes};
    case FsdpImplementation::Megatron: return {};
  }
  return {};
}

void add(BlockCost& a, const BlockCost& b) {
  a.compute_bound_s += b.compute_bound_s;
  a.memory_bound_s += b.memory_bound_s;
  a.tp_s += b.tp_s;
  a.tp_bytes += b.tp_bytes;
  a.ep_s += b.ep_s;
  a.cp_s += b.cp_s;
  a.fsdp_s += b.fsdp_s;
  a.model_flops += b.model_flops;
  a.hardware_flops += b.hardware_flops;
}

}  // namespace

LossBytes loss_bytes_per_logit(const ParallelPlan& plan) {
  // Fused: the fp32 copy and softmax forward (12), the gradient formed in place backward (24);
  // it holds the bf16 logits and the fp32 softmax (6).
  if (plan.fused_cross_entropy) return {12, 24, 6};
  // Eager F.cross_entropy: the fp32 copy (6), log-softmax (16), nll_loss; backward nll_loss's
  // dense gradient, the log-softmax gradient, the cast back (26). Its peak holds the saved
  // log-softmax, nll_loss's gradient and the one computed from it (12).
  if (plan.tp == 1) return {22, 26, 12};
  // loss_parallel (torch.distributed.tensor.parallel.loss): the fp32 copy (6), amax (4),
  // x - max (8), exp (8), sum (4), shifted - log-sum (8); backward zeros (4), exp of the
  // log-softmax (8), the sum with the one-hot (12), times the gradient (8), the cast (6). Its
  // peak, in nll_loss's backward: the saved log-softmax, the zeros, the sum and the product.
  return {38, 38, 16};
}

double op_policy_recomputed_params(const TransformerSpec& m) {
  const double h = double(m.hidden), kv = double(m.kv_dim()), f = double(m.ffn);
  return double(m.layers) * (h * kv + h * h + h * f);
}

std::vector<std::int64_t> layers_per_stage(std::int64_t layers, std::int64_t stages) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(stages), layers / stages);
  std::int64_t extra = layers % stages;
  // Middle stages first, outward, so the embedding and output stages stay lighter.
  for (std::int64_t k = 0; extra > 0; ++k) {
    const std::int64_t mid = stages / 2;
    const std::int64_t idx = (k % 2 == 0) ? mid + k / 2 : mid - 1 - k / 2;
    if (idx >= 0 && idx < stages) {
      ++out[idx];
      --extra;
    }
  }
  return out;
}

TrainingCosts training_costs(const TransformerSpec& m, const ParallelPlan& plan, const hardware::AcceleratorSpec& chip,
                             network::NetworkSim& net) {
  network::CollectiveTimer timer(net);
  return training_costs(m, plan, chip, timer);
}

TrainingCosts training_costs(const TransformerSpec& m, const ParallelPlan& plan, const hardware::AcceleratorSpec& chip,
                             network::CollectiveTimer& net) {
  LayerContext x{m, plan, chip, net};
  x.tokens = double(plan.microbatch) * double(m.seq_len) / double(plan.cp);
  const double act = x.tokens * double(m.hidden) * kActivationBytes;  // a rank's full hidden state
  const auto tp_group = group(plan, 't', plan.tp);
  x.tp_message_bytes = act;
  x.tp_ag_s = collective_s(net, network::CollectiveOp::AllGather, tp_group, act * tp_gather_share(plan));
  x.tp_rs_s = collective_s(net, network::CollectiveOp::ReduceScatter, tp_group, act);
  x.tp_ar_s = collective_s(net, network::CollectiveOp::AllReduce, tp_group, act);
  if (m.moe() && plan.ep > 1) {
    const double dispatched = x.tokens * double(m.top_k) * double(m.hidden) * kActivationBytes /
                              (plan.sequence_parallel ? double(plan.tp) : 1.0);
    x.ep_a2a_s = collective_s(net, network::CollectiveOp::AllToAll, group(plan, 'd', plan.ep), dispatched);
  }
  if (plan.cp > 1) {
    // The ring moves K and V as the attention kernel takes them: repeated to every query head
    // when it reads no groups (fusion.gqa: false, as torchtitan's repeat_kv before SDPA).
    const double width = plan.kv_repeat ? double(m.hidden) : double(m.kv_dim());
    const double kv = 2 * x.tokens * width / double(plan.tp) * kActivationBytes * double(plan.cp);
    x.cp_kv_s = collective_s(net, network::CollectiveOp::AllGather, group(plan, 'c', plan.cp), kv);
  }

  TrainingCosts out;
  out.dp_overlap_share = sm_share(chip, kNcclCtas);
  const std::int64_t S = plan.stages();
  const auto per_stage = layers_per_stage(m.layers, S);
  const double t = double(plan.tp);
  std::int64_t layer = 0;
  // Per-layer costs are the same for every dense (and every MoE) layer: compute them once.
  const BlockCost dense_f = layer_block(x, false, false), dense_b = layer_block(x, false, true);
  out.dense_layer_forward = dense_f;
  out.dense_layer_backward = dense_b;
  BlockCost moe_f, moe_b;
  if (m.moe()) {
    moe_f = layer_block(x, true, false);
    moe_b = layer_block(x, true, true);
  }
  for (std::int64_t v = 0; v < S; ++v) {
    ChunkCosts c;
    c.first_layer = layer;
    c.layers = per_stage[v];
    c.has_embedding = v == 0;
    c.has_head = v == S - 1;
    for (std::int64_t l = layer; l < layer + c.layers; ++l) {
      const bool moe = m.is_moe_layer(l);
      add(c.forward, moe ? moe_f : dense_f);
      add(c.backward, moe ? moe_b : dense_b);
      c.dense_params += (m.attention_params() + 2.0 * double(m.hidden)) / t + (moe ? 0 : m.dense_mlp_params() / t);
      if (moe) {
        c.expert_params += double(m.experts) / double(plan.ep) * m.expert_params() / t;
        c.dense_params += double(m.hidden) * double(m.experts);  // router, replicated
      }
    }
    layer += c.layers;
    if (c.has_embedding) {
      Accumulator e{chip, {}, 1.0};
      e.memory(act / (plan.sequence_parallel ? t : 1.0));  // embedding lookup
      add(c.forward, e.cost);
      Accumulator eb{chip, {}, 2.0};
      eb.memory(2 * act / (plan.sequence_parallel ? t : 1.0));  // read the gradient, add it into the table
      add(c.backward, eb.cost);
      c.dense_params += double(m.vocab) * double(m.hidden) / t;
    }
    if (c.has_head) {
      // Output layer and cross-entropy over the vocabulary shard (fp32 logits).
      Accumulator f{chip, {}, 1.0}, b{chip, {}, 2.0};
      const LossBytes loss = loss_bytes_per_logit(plan);
      for (Accumulator* a : {&f, &b}) {
        a->matmul(x.tokens, double(m.vocab) / t, double(m.hidden), plan.precision);
        a->memory((a == &f ? loss.forward : loss.backward) * x.tokens * double(m.vocab) / t);
      }
      f.cost.model_flops = f.cost.hardware_flops;
      b.cost.model_flops = b.cost.hardware_flops;
      add(c.forward, f.cost);
      add(c.backward, b.cost);
      // The output layer: its own weights, or with tied embeddings a copy kept on the last stage.
      if (!m.tied_embeddings || S > 1) c.dense_params += double(m.vocab) * double(m.hidden) / t;
    }
    if (plan.tp > 1 && !plan.sequence_parallel) {
      // Scatter-gather of pipeline messages (Narayanan et al. SC'21 sec. 4.1): each TP rank
      // sends its 1/t slice between stages, the receiver all-gathers the whole over TP.
      const double gather_bytes = (double(plan.tp) - 1) / double(plan.tp) * act;
      if (v > 0) {
        c.forward.tp_s += x.tp_ag_s;
        c.forward.tp_bytes += gather_bytes;
      }
      if (v < S - 1) {
        c.backward.tp_s += x.tp_ag_s;
        c.backward.tp_bytes += gather_bytes;
      }
    }
    if (plan.separate_grad_accumulation) {
      // main_grad += grad after every microbatch's backward: read the buffer (fp32, or 16-bit
      // when gradients are reduced in 16 bits) and the 16-bit gradient, write the buffer back:
      // 10 bytes per parameter of the chunk, or 6. DeepSpeed's BF16_Optimizer first casts the
      // gradient to an fp32 temporary (hp_grad.add_(lp.grad.to(fp32))): read 2, write 4, and
      // the add reads the temporary (4) instead of the bf16 gradient: 18 bytes.
      const double bytes = plan.all_reduce_gradients ? (2 + 4) + 3 * 4.0 : 2 * plan.grad_bytes + 2;
      Accumulator g{chip, {}, 1.0};
      g.memory(bytes * (c.dense_params + c.expert_params));
      add(c.backward, g.cost);
    }
    out.chunks.push_back(c);
  }
  // Pipeline messages: a rank's 1/t share of the hidden state (SP holds it scattered over
  // TP; without SP the scatter-gather optimization sends a slice and gathers after).
  out.pp_message_bytes = act / t;
  // Optimizer per pipeline rank: the HBM bytes of its passes over the parameters it owns
  // (optimizer_bytes_per_param).
  out.optimizer_s.assign(static_cast<std::size_t>(plan.pp), 0.0);
  out.dense_params.assign(static_cast<std::size_t>(plan.pp), 0.0);
  out.expert_params.assign(static_cast<std::size_t>(plan.pp), 0.0);
  for (std::int64_t v = 0; v < S; ++v) {
    const std::int64_t p = v % plan.pp;
    out.dense_params[p] += out.chunks[v].dense_params;
    out.expert_params[p] += out.chunks[v].expert_params;
  }
  for (std::int64_t p = 0; p < plan.pp; ++p) {
    const double shard = plan.zero >= 1 ? double(plan.dp) : 1.0;
    const double expert_shard = plan.zero >= 1 ? std::max(1.0, double(plan.dp) / double(plan.ep)) : 1.0;
    const double owned = out.dense_params[p] / shard + out.expert_params[p] / expert_shard;
    Accumulator o{chip, {}, 1.0};
    o.memory(optimizer_bytes_per_param(plan) * owned);
    out.optimizer_s[p] = o.cost.memory_bound_s + o.cost.compute_bound_s;
  }
  // FSDP / ZeRO-3: each layer's weights are gathered before its forward (and again before its
  // backward when resharded after the forward) and its gradients reduce-scattered after its
  // backward, every microbatch, over DP x CP. Prefetching hides each layer's collectives
  // behind the neighbouring layer's compute when they fit; their kernels take SMs meanwhile.
  if (plan.zero >= 3 && plan.dp * plan.cp > 1) {
    std::vector<std::int64_t> shard_group;
    for (std::int64_t d = 0; d < plan.dp; ++d)
      for (std::int64_t cp = 0; cp < plan.cp; ++cp) shard_group.push_back(rank_of(plan, {0, cp, d, 0}));
    const double layer_params = (m.attention_params() + m.dense_mlp_params()) / t;
    const double gather = collective_s(net, network::CollectiveOp::AllGather, shard_group,
                                       layer_params * (plan.fp8_params ? 1.0 : 2.0));
    const double scatter = collective_s(net, network::CollectiveOp::ReduceScatter, shard_group, layer_params * plan.grad_bytes);
    // The copies run on the compute stream, one per FSDP unit (a layer; the embedding and
    // head units of their chunks are counted with its layers).
    const FsdpCopyBytes copies = fsdp_copy_bytes(plan);
    for (auto& c : out.chunks) {
      const double units = std::max<double>(1.0, double(c.layers));
      const double params = c.dense_params + c.expert_params;
      for (const auto& [pass, bytes] : {std::pair{&c.forward, copies.forward}, std::pair{&c.backward, copies.backward}}) {
        if (bytes <= 0 || params <= 0) continue;
        Accumulator a{chip, {}, 1.0};
        a.op(hardware::memory_op(bytes * params / units, hardware::MemoryKernel::Stream), units);
        add(*pass, a.cost);
      }
    }
    for (auto& c : out.chunks) {
      if (c.layers == 0) continue;
      const double L = double(c.layers);
      const double per_layer_f = (c.forward.compute_bound_s + c.forward.memory_bound_s) / L;
      const double per_layer_b = (c.backward.compute_bound_s + c.backward.memory_bound_s) / L;
      const double comm_b = (plan.reshard_after_forward ? gather : 0.0) + scatter;
      c.forward.fsdp_s = L * std::max(0.0, gather - per_layer_f);
      c.backward.fsdp_s = L * std::max(0.0, comm_b - per_layer_b);
      c.forward.compute_bound_s += L * overlap_slowdown(chip, kNcclCtas, gather, per_layer_f);
      c.backward.compute_bound_s += L * overlap_slowdown(chip, kNcclCtas, comm_b, per_layer_b);
    }
  }
  return out;
}

}  // namespace dcsim::workload
