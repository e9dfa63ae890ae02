#pragma once
// Compute-time model: a roofline with a shape-dependent efficiency and a kernel floor.
//
//   time = floor + max( flops / (peak[p] * e(p, shape)),  bytes / (hbm_bw * mem_eff) )
//   e(p, M, N, K) = e_max[p] * min(1, g * s(M N / h_mn^2) * s(K / h_k)),   s(x) = x / (1 + x)
//
// e_max is the best any shape reaches (the measured GEMM ceiling); the output size M N sets
// how many SMs find work (tiles, waves), K how long each tile's pipeline runs. M counts the
// batch (batch * m): independent GEMMs fill the machine like more rows do.
// Ops without a matmul shape (element-wise, optimizer, copies) use e_max alone.
// docs/compute.md derives it and shows the fit to measured H100 GEMMs.
#include "models/hardware/accelerator.hpp"

namespace dcsim::hardware {

enum class OpKind { Matmul, Attention, Elementwise, Optimizer, Copy };

struct MatmulShape {
  double batch = 1, m = 0, n = 0, k = 0;
  double flops() const { return 2.0 * batch * m * n * k; }
};

struct ComputeOp {
  OpKind kind = OpKind::Elementwise;
  Precision precision = Precision::bf16;
  double flops = 0;
  double bytes = 0;     // HBM traffic, read plus write
  MatmulShape shape{};  // Matmul and Attention only
};

struct OpTiming {
  double seconds = 0;
  bool compute_bound = false;
  double efficiency = 0;  // fraction of peak FLOP/s the op's compute phase reaches
};

double matmul_efficiency(const ComputeCurve& curve, Precision p, const MatmulShape& shape);
OpTiming op_time(const AcceleratorSpec& chip, const ComputeOp& op);

// Time of a GEMM given its shape, counting the operand and result traffic.
ComputeOp matmul_op(const MatmulShape& shape, Precision p);

}  // namespace dcsim::hardware
