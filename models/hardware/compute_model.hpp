#pragma once
// Compute-time model: a roofline with shape-dependent efficiencies and a kernel floor, every
// figure measured in the power-capped steady state a training run holds (docs/compute.md).
//
//   time = floor + max( flops / (peak[p] * e),  bytes / (hbm_bw * e_mem[kernel]) )
//   GEMM:      e = e_max[p] * o(M N / h_mn^2) * s(K / h_k),   s(x) = x / (1 + x), o(x) = x / sqrt(1 + x^2)
//   attention: e = e_max * s(tiles / h_t) * s(seq / h_s), forward and backward fitted apart
//
// The output size M N sets how many SMs find tiles to work on, K how long each tile's main
// loop runs against its prologue and epilogue; M counts the batch (independent GEMMs fill the
// machine like more rows do). Memory-bound kernels reach a fraction of HBM bandwidth that
// depends on the kernel (a copy streams, a norm reduces, an activation computes
// transcendentals): e_mem comes per kind of kernel.
#include "models/hardware/accelerator.hpp"

namespace dcsim::hardware {

enum class OpKind { Matmul, Attention, Memory };

struct MatmulShape {
  double batch = 1, m = 0, n = 0, k = 0;
  double flops() const { return 2.0 * batch * m * n * k; }
};

// Causal flash attention on one device: batch x query heads, query and key lengths, head size.
struct AttentionShape {
  double batch_heads = 1, q_len = 0, kv_len = 0, head_dim = 128;
  bool causal = true;
  // Forward FLOPs: QK^T and PV, 4 s_q s_kv d per head, halved when causal. With context
  // parallelism s_q = s / CP against s_kv = s: the load-balanced split (each rank holds chunks
  // i and 2 CP - 1 - i) leaves every rank half of its block below the diagonal too.
  double forward_flops() const;
};

struct ComputeOp {
  OpKind kind = OpKind::Memory;
  Precision precision = Precision::bf16;
  double flops = 0;
  double bytes = 0;     // HBM traffic, read plus write
  MatmulShape shape{};  // Matmul only
  AttentionShape attention{};  // Attention only
  bool backward = false;       // Attention: the backward kernel (2.5x the forward's FLOPs)
  bool flash2 = false;         // Attention: FlashAttention-2's curve where the chip has one
  MemoryKernel memory_kernel = MemoryKernel::Stream;  // how its bytes stream
};

struct OpTiming {
  double seconds = 0;
  bool compute_bound = false;
  double efficiency = 0;  // fraction of peak FLOP/s the op's compute phase reaches
};

double matmul_efficiency(const GemmCurve& curve, const MatmulShape& shape);
double matmul_efficiency(const ComputeCurve& curve, Precision p, const MatmulShape& shape);
double attention_efficiency(const AttentionCurve& curve, const AttentionShape& shape);
OpTiming op_time(const AcceleratorSpec& chip, const ComputeOp& op);

// A GEMM given its shape, counting the operand and result traffic.
ComputeOp matmul_op(const MatmulShape& shape, Precision p);
// Flash attention forward or backward: FLOPs (backward 2.5x: five GEMMs against two) and the
// traffic of Q, K, V, O (and their gradients backward), in `p` (bf16 unless FP8 attention).
ComputeOp attention_op(const AttentionShape& shape, double kv_heads_share, bool backward, Precision p = Precision::bf16);
// A memory-bound kernel moving `bytes`.
ComputeOp memory_op(double bytes, MemoryKernel kind);

}  // namespace dcsim::hardware
