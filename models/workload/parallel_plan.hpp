#pragma once
// How a training job is split over devices (docs/training.md): tensor (TP, with sequence
// parallelism), pipeline (PP: GPipe, 1F1B, interleaved 1F1B with virtual stages), data (DP,
// with ZeRO stage 0-3 / FSDP), context (CP) and expert (EP) parallelism, and where each
// rank goes.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "models/hardware/precision.hpp"

namespace dcsim::workload {

enum class Schedule { GPipe, OneFOneB, Interleaved };
// Selective recomputes the attention core (Megatron); Full whole layers; Op is torchtitan's
// per-op policy (selective_ac_option: op): every op is recomputed but the attention core and
// the saved GEMMs (docs/training.md, "Kernels of a layer").
enum class Recompute { None, Selective, Full, Op };
// How Transformer Engine scales FP8 tensors (docs/compute.md, "FP8"): delayed (amax history,
// amax fused into the cast), current (per-tensor amax of this step: one more read), MXFP8
// (a scale per 32 elements, cast along both dimensions).
enum class Fp8Recipe { Delayed, Current, Mx };
// How a norm runs (docs/training.md, "Kernels of a layer"): one fused kernel, PyTorch's native
// kernel, or RMSNorm composed of PyTorch element-wise ops.
enum class NormKernel { Fused, Native, Composite };
// How the rotary embedding runs (docs/training.md, "Kernels of a layer"): one fused kernel;
// rotate_half as PyTorch ops (Megatron's and Hugging Face's unfused form); or as complex
// multiplication in fp32 (Meta's reference Llama, torchtitan), which torch.compile leaves to
// eager kernels.
enum class RopeKernel { Fused, RotateHalf, Complex };
// One of Transformer Engine's userbuffer pairings of a TP collective with a GEMM, as a recipe's
// tp_comm_overlap config sets it (docs/training.md, "Communication and overlap"): a ring
// exchange of point-to-point steps under the GEMM's pieces (two chunks a step with
// `aggregate`), the GEMM split in `num_splits` with each piece's result reduce-scattered under
// the next (pipeline), the collective in bulk beside the GEMM, or not overlapped at all (none:
// a plain NCCL collective the GEMM waits for, as NVTE_UB_SPLIT_AG=0 leaves the all-gathers).
// `num_sm` SMs run the communication kernels; with `set_sm_margin` the GEMM is launched on the
// rest.
enum class UbMethod { RingExchange, Pipeline, Bulk, None };
struct UbPairing {
  UbMethod method = UbMethod::RingExchange;
  int num_sm = 1;
  bool set_sm_margin = false;
  int num_splits = 4;
  bool aggregate = false;
};
// The ten pairings, by Transformer Engine's names: the forward's four, then the backward's.
inline constexpr std::array<const char*, 10> kUbPairingNames = {
    "qkv_fprop", "proj_fprop", "fc1_fprop", "fc2_fprop", "fc2_dgrad",
    "fc1_dgrad", "fc1_wgrad", "proj_dgrad", "qkv_dgrad", "qkv_wgrad"};
// Whose FSDP (ZeRO-3) shards the model, for the copies it makes around its collectives
// (docs/training.md, "FSDP copies"): PyTorch's fully_shard (FSDP2) copies every gathered
// layer out of the all-gather buffer and its gradients into the reduce-scatter buffer;
// PyTorch's FlatParameter FSDP (FSDP1) gathers in place but casts the gradients to the
// reduce dtype and pre-divides them; Megatron-FSDP gathers into and reduces from its own
// buffers, with no copy.
enum class FsdpImplementation { Fsdp2, Fsdp1, Megatron };

struct ParallelPlan {
  std::int64_t tp = 1, pp = 1, dp = 1, cp = 1, ep = 1;
  std::int64_t virtual_stages = 1;  // model chunks per pipeline rank (interleaved 1F1B)
  // Interleaved: microbatches a rank runs through one model chunk before the next (Megatron-
  // core's microbatch_group_size_per_vp_stage, at least pp); 0: pp.
  std::int64_t microbatch_group = 0;
  bool sequence_parallel = true;
  Schedule schedule = Schedule::OneFOneB;
  std::int64_t microbatch = 1;      // sequences per microbatch
  std::int64_t global_batch = 1;    // sequences per iteration
  Recompute recompute = Recompute::None;
  int zero = 1;                     // 0: plain DP, 1: sharded optimizer (Megatron distributed optimizer), 2: + grads, 3: + params (FSDP)
  hardware::Precision precision = hardware::Precision::bf16;
  // DP gradient bucket in parameters; 0: Megatron-core's default (dp_bucket_params).
  double bucket_params = 0;
  double grad_bytes = 4;            // gradients accumulated and reduced in fp32 (grad_reduce_in_fp32), else bf16
  // Bytes per element of the optimizer's master weights and Adam moments: 4 (fp32), or 2 where
  // the optimizer keeps them in bf16 (NeMo's distributed_fused_adam with dtype: bf16).
  double optimizer_state_bytes = 4;
  // Apex's DistributedFusedAdam (NeMo 1's distributed_fused_adam) instead of Megatron-core's
  // distributed optimizer: Adam reads the 16-bit gradient shard as it is (no fp32 copy kept)
  // and writes the 16-bit weights in the same kernel.
  bool fused_adam = false;
  // DeepSpeed's BF16_Optimizer (optimizer: deepspeed_bf16): the whole fp32 gradients are
  // all-reduced over DP (PipelineEngine._bf16_reduce_grads), and each rank then updates its
  // shard and all-gathers the 16-bit weights; Megatron's distributed optimizer reduce-scatters.
  bool all_reduce_gradients = false;
  bool fp8_params = false;          // FP8 weights kept and gathered instead of bf16 (Transformer Engine fp8_param)
  bool reshard_after_forward = true;  // ZeRO-3/FSDP: free each layer's gathered weights after its forward
  FsdpImplementation fsdp = FsdpImplementation::Fsdp2;
  std::int64_t recompute_layers = 0;  // full recomputation of only this many layers per model chunk (0: all)
  std::int64_t offload_layers = 0;    // transformer layers whose saved activations go to host memory
  bool overlap_dp = true;           // DP reduction overlapped with backward
  bool overlap_pp = true;           // false: a stage waits for its pipeline send to complete (Megatron-LM 2021)
  bool overlap_param_gather = false;  // ZeRO >= 1 parameter all-gather hidden in the next forward
  bool tp_comm_overlap = false;     // TP communication hidden under GEMMs
  // Whose TP overlap: Transformer Engine's userbuffers, or PyTorch's async TP (torch.compile's
  // micro-pipeline pass on symmetric memory, torchtitan): docs/training.md, "Overlap".
  bool tp_overlap_torch = false;
  // A recipe's userbuffer pairings (`tp_overlap_config`); unset ones take the preset of
  // Transformer Engine's Llama 3 70B TP4 recipe for the run's precision (overlap.cpp).
  std::array<std::optional<UbPairing>, kUbPairingNames.size()> ub_pairings{};
  // TP as PyTorch's DTensor parallel styles (torchtitan's ColwiseParallel / RowwiseParallel):
  // a column-parallel linear saves the input it gathered (T x h) for its weight gradient, where
  // Transformer Engine and Megatron save the shard and gather it again (docs/memory.md).
  bool tp_dtensor = false;
  bool flash_attention = true;      // false: scores materialized (softmax, dropout in HBM), as before 2022
  bool flash2 = false;              // FlashAttention-2's speed (PyTorch SDPA on Hopper before torch 2.9)
  // Context parallelism as PyTorch's experimental context_parallel ran it (torchtitan, 2024):
  // each ring step's output merged in fp32 by separate element-wise ops, K and V concatenated
  // for every exchange, their gradients accumulated and exchanged in fp32 (docs/training.md,
  // "Ring attention in PyTorch"). Otherwise Transformer Engine's fused ring attention.
  bool cp_torch = false;
  // true: each microbatch's weight gradients are added into the fp32 gradient buffer by a
  // separate kernel (Megatron-LM 2021); false: the weight-gradient GEMM accumulates in place.
  bool separate_grad_accumulation = false;
  // Kernel fusion (docs/training.md): the MLP activation (bias + GeLU, or SwiGLU) as one
  // kernel, or as PyTorch's separate element-wise ops; the rotary embedding likewise.
  bool fused_activation = true;
  RopeKernel rope_kernel = RopeKernel::Fused;
  // Q, K, V and the gate and up projections as one GEMM each (Megatron), or as separate
  // linears (torchtitan, Hugging Face): docs/training.md, "Kernels of a layer".
  bool fused_projections = true;
  // K and V copied out to every query head before attention (SDPA called without grouped K/V,
  // as torchtitan's repeat_kv), else read grouped by the kernel.
  bool kv_repeat = false;
  // The norms: one kernel each (Apex, Transformer Engine, cuDNN, a compiler's fusion), PyTorch's
  // native layer_norm / rms_norm kernel, or RMSNorm written out as PyTorch element-wise ops in
  // fp32 (Meta's reference Llama code, torchtitan's default RMSNorm): docs/training.md.
  NormKernel norm_kernel = NormKernel::Fused;
  // The loss as Megatron's vocab-parallel cross-entropy (one fp32 softmax, its gradient formed
  // in place), or as PyTorch's F.cross_entropy on fp32 logits run eagerly (torchtitan before it
  // compiled the loss): a fp32 copy, a log-softmax and a separate gradient.
  bool fused_cross_entropy = true;
  Fp8Recipe fp8_recipe = Fp8Recipe::Delayed;
  // Whose FP8 linears: Transformer Engine's (the default) or torchao's Float8Linear with its
  // tensor-parallel styles (torchtitan), which casts and transposes as docs/compute.md counts.
  bool fp8_torchao = false;
  // Placement: dimensions from fastest- to slowest-varying rank index (Megatron's order).
  std::array<char, 4> order = {'t', 'c', 'd', 'p'};

  std::int64_t world() const { return tp * cp * pp * dp; }
  std::int64_t microbatches() const { return global_batch / (microbatch * dp); }
  std::int64_t stages() const { return pp * virtual_stages; }  // model chunks in all
  std::int64_t group() const { return microbatch_group > 0 ? microbatch_group : pp; }
  // Forward passes (of model chunks) pipeline rank p runs before its first backward: one
  // 1F1B step per stage behind it (two, interleaved), plus a group for each further chunk
  // (docs/training.md, "Pipeline schedules").
  std::int64_t warmup_forwards(std::int64_t p) const;
  // The gradient bucket a run uses: the one given, else Megatron-core's default (since
  // 2024-04): max(40 M, 1 M x the gradient group's size) parameters when the reduction
  // overlaps the backward, one bucket for everything when it does not.
  double effective_bucket_params() const;
};

// Rank <-> coordinates under the plan's order. Rank r runs on device r.
struct RankCoord {
  std::int64_t t = 0, c = 0, d = 0, p = 0;
};
std::int64_t rank_of(const ParallelPlan& plan, const RankCoord& coord);
RankCoord coord_of(const ParallelPlan& plan, std::int64_t rank);

// Parses "tp-cp-dp-pp" style orders (ep is carved out of dp and may appear anywhere).
bool parse_order(const std::string& text, std::array<char, 4>& out);

std::string_view to_string(Schedule s);
std::string_view to_string(Recompute r);
std::string_view to_string(FsdpImplementation f);
std::string_view to_string(Fp8Recipe r);  // as the scenario names it: delayed, current, mxfp8

}  // namespace dcsim::workload
