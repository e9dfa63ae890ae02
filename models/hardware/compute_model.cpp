#include "models/hardware/compute_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dcsim::hardware {
namespace {
double saturation(double x, double half) { return half > 0 ? x / (x + half) : 1.0; }
// A sharper knee for the output size: once there are tiles for every SM, more add little
// (x / sqrt(1 + x^2) fits the H100 tables better than x / (1 + x); docs/compute.md).
double occupancy(double x, double half) {
  if (half <= 0) return 1.0;
  const double r = x / half;
  return r / std::sqrt(1 + r * r);
}
constexpr double kAttentionTileRows = 128;  // query rows per flash-attention work unit
}  // namespace

double AttentionShape::forward_flops() const {
  const double full = 4.0 * batch_heads * q_len * kv_len * head_dim;
  return causal ? full / 2 : full;
}

double matmul_efficiency(const GemmCurve& c, const MatmulShape& s) {
  return c.max_efficiency * occupancy(s.batch * s.m * s.n, c.half_mn * c.half_mn) * saturation(s.k, c.half_k);
}

double matmul_efficiency(const ComputeCurve& c, Precision p, const MatmulShape& s) {
  return matmul_efficiency(c.gemm[static_cast<int>(p)], s);
}

double attention_efficiency(const AttentionCurve& c, const AttentionShape& s) {
  const double tiles = s.batch_heads * s.q_len / kAttentionTileRows;
  return c.max_efficiency * saturation(tiles, c.half_tiles) * saturation(s.kv_len, c.half_seq);
}

ComputeOp matmul_op(const MatmulShape& shape, Precision p) {
  const double e = bytes_per_element(p);
  ComputeOp op;
  op.kind = OpKind::Matmul;
  op.precision = p;
  op.shape = shape;
  op.flops = shape.flops();
  op.bytes = shape.batch * (shape.m * shape.k + shape.k * shape.n + shape.m * shape.n) * e;
  return op;
}

ComputeOp attention_op(const AttentionShape& shape, double kv_heads_share, bool backward, Precision p) {
  ComputeOp op;
  op.kind = OpKind::Attention;
  op.precision = p;
  op.attention = shape;
  op.backward = backward;
  op.flops = shape.forward_flops() * (backward ? 2.5 : 1.0);
  const double q = shape.batch_heads * shape.q_len * shape.head_dim;
  const double kv = shape.batch_heads * kv_heads_share * shape.kv_len * shape.head_dim;
  // Forward reads Q, K, V and writes O; backward reads Q, K, V, O, dO and writes dQ, dK, dV.
  op.bytes = (backward ? 4 * q + 4 * kv : 2 * q + 2 * kv) * bytes_per_element(p);
  return op;
}

ComputeOp memory_op(double bytes, MemoryKernel kind) {
  ComputeOp op;
  op.kind = OpKind::Memory;
  op.bytes = bytes;
  op.memory_kernel = kind;
  return op;
}

OpTiming op_time(const AcceleratorSpec& chip, const ComputeOp& op) {
  if (op.flops > 0 && !chip.supports(op.precision))
    throw std::invalid_argument(chip.name + " does not compute in " + std::string(to_string(op.precision)));
  double eff = chip.max_efficiency(op.precision);
  if (op.kind == OpKind::Matmul) eff = matmul_efficiency(chip.compute, op.precision, op.shape);
  if (op.kind == OpKind::Attention) {
    const bool fa2 = op.flash2 && chip.compute.attention_flash2.max_efficiency > 0;
    eff = attention_efficiency(fa2           ? chip.compute.attention_flash2
                               : op.backward ? chip.compute.attention_backward
                                             : chip.compute.attention_forward,
                               op.attention);
  }
  const double compute_s = op.flops > 0 ? op.flops / (chip.peak(op.precision) * eff) : 0.0;
  const MemoryKernel streams = op.kind == OpKind::Memory ? op.memory_kernel : MemoryKernel::Stream;
  const double memory_s =
      op.bytes > 0 ? op.bytes / (chip.hbm_bandwidth * chip.compute.memory_efficiency(streams)) : 0.0;
  OpTiming t;
  t.compute_bound = compute_s >= memory_s && op.flops > 0;
  t.seconds = chip.compute.kernel_floor_s + std::max(compute_s, memory_s);
  t.efficiency = eff;
  return t;
}

}  // namespace dcsim::hardware
