#pragma once
// The work of one microbatch through one model chunk, per rank: compute time from the
// compute-time model op by op, and the communication that sits on the critical path inside
// it (TP collectives, EP all-to-all, CP exchange not hidden by attention, FSDP gathers not
// hidden by prefetch), each timed alpha-beta on the real fabric. Also the bytes of the
// messages the executor sends through the network model (pipeline activations, DP
// gradients) and the optimizer step. docs/training.md lists every op.
#include <cstdint>
#include <vector>

#include "models/hardware/accelerator.hpp"
#include "models/network/collective_timer.hpp"
#include "models/network/network_sim.hpp"
#include "models/workload/layer_ops.hpp"
#include "models/workload/parallel_plan.hpp"
#include "models/workload/transformer.hpp"

namespace dcsim::workload {

struct BlockCost {
  double compute_bound_s = 0;  // slows with the clock under a power cap
  double memory_bound_s = 0;   // HBM-bound: keeps its time
  double tp_s = 0, ep_s = 0, cp_s = 0, fsdp_s = 0;  // exposed communication
  double tp_bytes = 0;         // bytes each rank sends to its TP ring neighbour (link statistics)
  double model_flops = 0;      // useful FLOPs (no recompute)
  double hardware_flops = 0;   // including recomputation
  double comm_s() const { return tp_s + ep_s + cp_s + fsdp_s; }
  double total_s(double clock = 1.0) const { return compute_bound_s / clock + memory_bound_s + comm_s(); }
};

struct ChunkCosts {
  std::int64_t first_layer = 0, layers = 0;
  bool has_embedding = false, has_head = false;
  BlockCost forward, backward;  // backward includes recomputation
  double dense_params = 0;      // parameters of this chunk held by one rank
  double expert_params = 0;
};

struct TrainingCosts {
  std::vector<ChunkCosts> chunks;  // by virtual stage: v = chunk * pp + pipeline rank
  double pp_message_bytes = 0;     // activations (or their gradients) per rank per microbatch
  std::vector<double> optimizer_s; // per pipeline rank
  std::vector<double> dense_params;   // per pipeline rank, per device
  std::vector<double> expert_params;  // per pipeline rank, per device
  double dp_overlap_share = 0;  // compute rate a DP collective running beside compute takes (overlap.hpp)
  BlockCost dense_layer_forward, dense_layer_backward;  // one dense layer, the same for every one
};

// Layers per virtual stage: as even as possible, the remainder to the middle stages (the
// first and last also hold the embedding and the output layer).
std::vector<std::int64_t> layers_per_stage(std::int64_t layers, std::int64_t stages);

// The loss over one rank's vocabulary shard, in bytes per logit (docs/training.md,
// docs/memory.md): HBM traffic forward and backward, and the memory held at its peak.
// Megatron's fused vocab-parallel cross-entropy; PyTorch's F.cross_entropy on fp32 logits run
// eagerly; with TP > 1 the same as PyTorch's loss_parallel decomposes it over the shard.
struct LossBytes {
  double forward, backward, peak;
};
LossBytes loss_bytes_per_logit(const ParallelPlan& plan);

// GEMM parameters of the whole model that torchtitan's per-op policy (recompute: op) runs
// again for each token: wk, wo and w3 (GeLU: wo and w2) of every layer.
double op_policy_recomputed_params(const TransformerSpec& model);
// The forward kernels of one layer that policy runs again in the backward.
std::vector<LayerOp> op_policy_recompute(const TransformerSpec& m, const ParallelPlan& plan, bool moe);

TrainingCosts training_costs(const TransformerSpec& model, const ParallelPlan& plan,
                             const hardware::AcceleratorSpec& chip, network::NetworkSim& net);
// The same, timing collectives with `timer` (its network's), which remembers the groups it
// has timed: for many plans on one cluster (plan search).
TrainingCosts training_costs(const TransformerSpec& model, const ParallelPlan& plan,
                             const hardware::AcceleratorSpec& chip, network::CollectiveTimer& timer);

}  // namespace dcsim::workload
