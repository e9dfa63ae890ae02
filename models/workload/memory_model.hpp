#pragma once
// Memory per device, by pipeline rank (docs/memory.md):
//  - model state: weights, gradients and optimizer state as the framework keeps them
//    (Megatron's distributed optimizer shards fp32 master weights and Adam moments over DP x CP,
//    ZeRO-2 the gradients too, ZeRO-3/FSDP the weights, with each layer gathered in turn);
//  - activations: what one layer saves for its backward, per architecture and setting
//    (Korthikanti et al. 2022, as Transformer Engine saves them), times the layer-microbatches
//    the pipeline schedule keeps in flight on that rank, less what goes to host memory;
//  - transient buffers: logits and loss, pipeline messages, gathered FSDP weights, TP
//    userbuffers;
//  - outside the allocator: CUDA context, NCCL buffers, library workspaces; and the
//    allocator's fragmentation as a fraction of what it holds.
#include <cstdint>
#include <string>
#include <vector>

#include "models/workload/parallel_plan.hpp"
#include "models/workload/training_costs.hpp"
#include "models/workload/transformer.hpp"

namespace dcsim::workload {

// Device memory the framework does not allocate itself (docs/memory.md gives the sources).
struct MemoryOverheads {
  double cuda_context = 0.5e9;     // context and loaded kernels (lazy loading): 0.3-0.5 GB
  double nccl_per_group = 0.6e9;   // ring buffers of each communicator in use: 0.54-0.69 GB measured
  double nccl_all_to_all = 3.3e9;  // an all-to-all over 8 peers: 1.06 -> 4.34 GB measured
  double workspace = 0.13e9;       // cuBLAS / Transformer Engine GEMM workspaces (4 x 32 MiB)
  double fragmentation = 0.05;     // of allocated: what the caching allocator reserves beyond it
};

struct StageMemory {
  double weights = 0, gradients = 0, optimizer = 0, activations = 0, buffers = 0;  // allocated
  double runtime = 0;        // CUDA context, NCCL, workspaces: outside the allocator
  double fragmentation = 0;  // reserved beyond allocated
  double allocated() const { return weights + gradients + optimizer + activations + buffers; }
  double reserved() const { return allocated() + fragmentation; }
  double total() const { return reserved() + runtime; }
};

// Activation bytes one layer saves for its backward, for one microbatch on one rank.
double layer_activation_bytes(const TransformerSpec& m, const ParallelPlan& plan, bool moe_layer);
// Microbatch-chunks whose activations a pipeline rank holds at its peak.
std::int64_t in_flight(const ParallelPlan& plan, std::int64_t pipeline_rank);

std::vector<StageMemory> memory_per_stage(const TransformerSpec& m, const ParallelPlan& plan, const TrainingCosts& costs,
                                          const MemoryOverheads& overheads = {});

}  // namespace dcsim::workload
