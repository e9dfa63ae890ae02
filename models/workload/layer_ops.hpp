#pragma once
// The kernels of one transformer layer on one rank for one microbatch, forward and backward,
// as the frameworks run them (docs/training.md, "Kernels of a layer"): the GEMMs with their
// shapes, flash attention, and every memory-bound kernel with the bytes it reads and writes
// and its kind (norm, activation, streaming, FP8 quantization). Timing them is the compute
// model's job (models/hardware/compute_model.hpp).
#include <string>
#include <vector>

#include "models/hardware/compute_model.hpp"
#include "models/workload/parallel_plan.hpp"
#include "models/workload/transformer.hpp"

namespace dcsim::workload {

struct LayerOp {
  std::string name;
  hardware::ComputeOp op;
  double count = 1;  // identical kernels (e.g. local experts)
  // With separate projections (fusion.projections: false), which linear of the fused GEMM
  // `name` this is: q, k, v of "qkv", gate and up of "fc1"; empty for a whole op.
  std::string piece = {};
};

enum class Pass { Forward, Backward };

// Which part of the layer: all of it, or only what selective recomputation repeats.
enum class LayerPart { All, AttentionCore };

// Kernels of one layer (MoE if `moe`). The backward holds the data- and weight-gradient GEMMs
// and every kernel's backward; recomputation is added by the caller as another forward.
std::vector<LayerOp> layer_ops(const TransformerSpec& m, const ParallelPlan& plan, bool moe, Pass pass,
                               LayerPart part = LayerPart::All);

// Tokens one rank processes per microbatch: microbatch x sequence / CP.
double tokens_per_rank(const TransformerSpec& m, const ParallelPlan& plan);

}  // namespace dcsim::workload
