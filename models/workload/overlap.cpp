#include "models/workload/overlap.hpp"

#include <algorithm>

#include "models/hardware/compute_model.hpp"

namespace dcsim::workload {
namespace {
enum class Method { RingExchange, Pipelined, Bulk };

// One TP collective and the GEMM it hides under, with the SMs its kernels take: Transformer
// Engine userbuffer presets for H100 (Megatron-Bridge comm_overlap.py: TP4, hidden 8192,
// sequence 8192); FP8 runs the forward reduce-scatters as ring exchanges too.
struct Pairing {
  const char* gemm;
  bool gather;  // all-gather, else reduce-scatter
  Method method;
  int sms;
  // set_sm_margin: the GEMM is launched on the SMs the communication kernels leave, for its
  // whole duration (Transformer Engine's _math_sms = SMs - num_sm), not only beside them.
  bool sm_margin = false;
};

constexpr int kPipelineSplits = 4;

double gemm_seconds(const hardware::AcceleratorSpec& chip, const std::vector<LayerOp>& ops, const std::string& name) {
  double s = 0;
  for (const auto& o : ops)
    if (o.name == name || o.name == "expert " + name) s += hardware::op_time(chip, o.op).seconds * o.count;
  return s;
}

double exposed(Method m, double comm, double gemm, double tp) {
  switch (m) {
    case Method::RingExchange:  // tp - 1 point-to-point steps, each under a GEMM piece
      return std::max(0.0, comm - gemm * (tp - 1) / tp);
    case Method::Pipelined: {  // the GEMM in pieces, each piece's result sent under the next
      const double s = kPipelineSplits;
      return comm / s + std::max(0.0, (comm - gemm) * (s - 1) / s);
    }
    case Method::Bulk: return std::max(0.0, comm - gemm);
  }
  return comm;
}
}  // namespace

double sm_share(const hardware::AcceleratorSpec& chip, int ctas) {
  return chip.compute.sms > 0 ? std::min(0.9, double(ctas) / double(chip.compute.sms)) : 0.0;
}

double overlap_slowdown(const hardware::AcceleratorSpec& chip, int ctas, double comm_s, double compute_s) {
  // Over the overlapped window the compute runs at (1 - share): it loses share x window.
  return sm_share(chip, ctas) * std::min(comm_s, compute_s);
}

double sm_margin_slowdown(const hardware::AcceleratorSpec& chip, int ctas, double compute_s) {
  // The whole GEMM runs on (1 - share) of the SMs: share / (1 - share) of its time more.
  const double share = sm_share(chip, ctas);
  return compute_s * share / (1 - share);
}

// PyTorch's async TP (torch/distributed/_symmetric_memory, as torch.compile's micro-pipeline
// pass rewrites the graphs; torchtitan's enable_async_tensor_parallel): fused_all_gather_matmul
// copies each peer's shard out of its symmetric buffer (cudaMemcpy: a copy engine) and
// multiplies it while the next arrives; fused_matmul_reduce_scatter multiplies each peer's
// chunk into a double-buffered symmetric buffer the peer copies from, then sums the tp partial
// chunks of its own shard. The backward's column-parallel weight gradients use the gathered
// input the forward saved, so its gathers are the row-parallel ones' only.
const std::vector<Pairing> kTorchForward = {{"qkv", true, Method::RingExchange, 0},
                                            {"proj", false, Method::RingExchange, 0},
                                            {"fc1", true, Method::RingExchange, 0},
                                            {"fc2", false, Method::RingExchange, 0}};
const std::vector<Pairing> kTorchBackward = {{"fc2 dgrad", true, Method::RingExchange, 0},
                                             {"fc1 dgrad", false, Method::RingExchange, 0},
                                             {"proj dgrad", true, Method::RingExchange, 0},
                                             {"qkv dgrad", false, Method::RingExchange, 0}};

TpOverlapCost tp_overlap(const hardware::AcceleratorSpec& chip, const ParallelPlan& plan, Pass pass,
                         const std::vector<LayerOp>& ops, double gather_s, double scatter_s, double hidden_bytes) {
  const double tp = double(plan.tp);
  if (plan.tp_overlap_torch) {
    TpOverlapCost c;
    for (const Pairing& p : pass == Pass::Forward ? kTorchForward : kTorchBackward) {
      const double comm = p.gather ? gather_s : scatter_s;
      c.exposed_s += exposed(p.method, comm, gemm_seconds(chip, ops, p.gemm), tp);
      // The sum over the tp partial chunks: read all the rank's tokens, write its shard.
      if (!p.gather)
        c.memory_s += hardware::op_time(chip, hardware::memory_op(hidden_bytes * (1 + 1 / tp), hardware::MemoryKernel::Stream)).seconds;
    }
    return c;
  }
  const bool fp8 = plan.precision == hardware::Precision::fp8;
  const Method fprop_rs = fp8 ? Method::RingExchange : Method::Pipelined;
  // BF16's pipelined reduce-scatters keep their SMs from the GEMM (set_sm_margin=True).
  const std::vector<Pairing> forward = {{"qkv", true, Method::RingExchange, 1},
                                        {"proj", false, fprop_rs, fp8 ? 1 : 24, !fp8},
                                        {"fc1", true, Method::RingExchange, 1},
                                        {"fc2", false, fprop_rs, fp8 ? 1 : 16, !fp8}};
  const std::vector<Pairing> backward = {{"fc2 dgrad", true, Method::RingExchange, 1},
                                         {"fc1 dgrad", true, Method::Bulk, 2},
                                         {"fc1 wgrad", false, Method::Bulk, 4},
                                         {"proj dgrad", true, Method::RingExchange, 1},
                                         {"qkv dgrad", true, Method::Bulk, 4},
                                         {"qkv wgrad", false, Method::Bulk, 24}};
  TpOverlapCost c;
  for (const Pairing& p : pass == Pass::Forward ? forward : backward) {
    const double comm = p.gather ? gather_s : scatter_s;
    const double gemm = gemm_seconds(chip, ops, p.gemm);
    c.exposed_s += exposed(p.method, comm, gemm, tp);
    c.slowdown_s += p.sm_margin ? sm_margin_slowdown(chip, p.sms, gemm) : overlap_slowdown(chip, p.sms, comm, gemm);
  }
  return c;
}

}  // namespace dcsim::workload
