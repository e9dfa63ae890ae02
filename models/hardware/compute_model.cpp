#include "models/hardware/compute_model.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace dcsim::hardware {
namespace {
double saturation(double x, double half) { return half > 0 ? x / (x + half) : 1.0; }
}  // namespace

double matmul_efficiency(const ComputeCurve& c, Precision p, const MatmulShape& s) {
  const double shape = c.shape_gain * saturation(s.batch * s.m * s.n, c.half_mn * c.half_mn) * saturation(s.k, c.half_k);
  return c.max_efficiency[static_cast<int>(p)] * std::min(1.0, shape);
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

OpTiming op_time(const AcceleratorSpec& chip, const ComputeOp& op) {
  if (op.flops > 0 && !chip.supports(op.precision))
    throw std::invalid_argument(chip.name + " does not compute in " + std::string(to_string(op.precision)));
  const bool shaped = op.kind == OpKind::Matmul || op.kind == OpKind::Attention;
  const double eff = shaped ? matmul_efficiency(chip.compute, op.precision, op.shape) : chip.max_efficiency(op.precision);
  const double compute_s = op.flops > 0 ? op.flops / (chip.peak(op.precision) * eff) : 0.0;
  const double memory_s = op.bytes > 0 ? op.bytes / (chip.hbm_bandwidth * chip.compute.memory_efficiency) : 0.0;
  OpTiming t;
  t.compute_bound = compute_s >= memory_s && op.flops > 0;
  t.seconds = chip.compute.kernel_floor_s + std::max(compute_s, memory_s);
  t.efficiency = eff;
  return t;
}

}  // namespace dcsim::hardware
