#include "models/workload/overlap.hpp"

#include <algorithm>

#include "models/hardware/compute_model.hpp"

namespace dcsim::workload {
namespace {
// One TP collective and the GEMM it hides under.
struct Pairing {
  const char* gemm;
  bool gather;  // all-gather, else reduce-scatter
  UbPairing ub;
};

double gemm_seconds(const hardware::AcceleratorSpec& chip, const std::vector<LayerOp>& ops, const std::string& name) {
  double s = 0;
  for (const auto& o : ops)
    if (o.name == name || o.name == "expert " + name) s += hardware::op_time(chip, o.op).seconds * o.count;
  return s;
}

double exposed(const UbPairing& ub, double comm, double gemm, double tp) {
  switch (ub.method) {
    case UbMethod::RingExchange: {  // point-to-point steps, each under a GEMM piece
      const double steps = ub.aggregate ? std::max(1.0, tp / 2) : tp;
      return std::max(0.0, comm - gemm * (steps - 1) / steps);
    }
    case UbMethod::Pipeline: {  // the GEMM in pieces, each piece's result sent under the next
      const double s = double(ub.num_splits);
      return comm / s + std::max(0.0, (comm - gemm) * (s - 1) / s);
    }
    case UbMethod::Bulk: return std::max(0.0, comm - gemm);
    case UbMethod::None: return comm;
  }
  return comm;
}

UbPairing ring(int sms = 1, bool margin = false) { return {UbMethod::RingExchange, sms, margin, 4, false}; }
UbPairing pipeline(int sms) { return {UbMethod::Pipeline, sms, true, 4, false}; }
UbPairing bulk(int sms) { return {UbMethod::Bulk, sms, false, 4, false}; }

// Transformer Engine's userbuffer pairings in kUbPairingNames order, each the recipe's when it
// sets one, else the preset of the Llama 3 70B TP4 recipes (Megatron-Bridge and NeMo 2
// userbuffers_{bf16,fp8}_h100_h8192_tp4_mbs1_seqlen8192): BF16 pipelines its forward
// reduce-scatters on 24 and 16 SMs kept from the GEMMs, FP8 runs them as ring exchanges with a
// one-SM margin.
std::vector<Pairing> te_pairings(const ParallelPlan& plan) {
  const bool fp8 = plan.precision == hardware::Precision::fp8;
  std::vector<Pairing> p = {{"qkv", true, ring()},
                            {"proj", false, fp8 ? ring(1, true) : pipeline(24)},
                            {"fc1", true, ring()},
                            {"fc2", false, fp8 ? ring(1, true) : pipeline(16)},
                            {"fc2 dgrad", true, ring()},
                            {"fc1 dgrad", true, bulk(2)},
                            {"fc1 wgrad", false, bulk(4)},
                            {"proj dgrad", true, ring()},
                            {"qkv dgrad", true, bulk(4)},
                            {"qkv wgrad", false, bulk(24)}};
  for (std::size_t i = 0; i < p.size(); ++i)
    if (plan.ub_pairings[i]) p[i].ub = *plan.ub_pairings[i];
  return p;
}
}  // namespace

std::array<UbPairing, kUbPairingNames.size()> userbuffer_pairings(const ParallelPlan& plan) {
  std::array<UbPairing, kUbPairingNames.size()> out{};
  const std::vector<Pairing> p = te_pairings(plan);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = p[i].ub;
  return out;
}

bool splits_tp_gemms(const ParallelPlan& plan) {
  if (plan.tp_overlap_torch) return true;
  for (const UbPairing& ub : userbuffer_pairings(plan))
    if (ub.method == UbMethod::RingExchange || ub.method == UbMethod::Pipeline) return true;
  return false;
}

int widest_sm_margin(const ParallelPlan& plan) {
  if (plan.tp_overlap_torch) return 0;
  int widest = 0;
  for (const UbPairing& ub : userbuffer_pairings(plan))
    if (ub.method != UbMethod::None && ub.set_sm_margin) widest = std::max(widest, ub.num_sm);
  return widest;
}

const char* to_string(UbMethod m) {
  switch (m) {
    case UbMethod::RingExchange: return "ring_exchange";
    case UbMethod::Pipeline: return "pipeline";
    case UbMethod::Bulk: return "bulk";
    case UbMethod::None: return "none";
  }
  return "?";
}

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
const std::vector<Pairing> kTorchForward = {{"qkv", true, ring(0)},
                                            {"proj", false, ring(0)},
                                            {"fc1", true, ring(0)},
                                            {"fc2", false, ring(0)}};
const std::vector<Pairing> kTorchBackward = {{"fc2 dgrad", true, ring(0)},
                                             {"fc1 dgrad", false, ring(0)},
                                             {"proj dgrad", true, ring(0)},
                                             {"qkv dgrad", false, ring(0)}};

TpOverlapCost tp_overlap(const hardware::AcceleratorSpec& chip, const ParallelPlan& plan, Pass pass,
                         const std::vector<LayerOp>& ops, double gather_s, double scatter_s, double hidden_bytes) {
  const double tp = double(plan.tp);
  if (plan.tp_overlap_torch) {
    TpOverlapCost c;
    for (const Pairing& p : pass == Pass::Forward ? kTorchForward : kTorchBackward) {
      const double comm = p.gather ? gather_s : scatter_s;
      c.exposed_s += exposed(p.ub, comm, gemm_seconds(chip, ops, p.gemm), tp);
      // The sum over the tp partial chunks: read all the rank's tokens, write its shard.
      if (!p.gather)
        c.memory_s += hardware::op_time(chip, hardware::memory_op(hidden_bytes * (1 + 1 / tp), hardware::MemoryKernel::Stream)).seconds;
    }
    return c;
  }
  const std::vector<Pairing> pairings = te_pairings(plan);
  const std::size_t first = pass == Pass::Forward ? 0 : 4, last = pass == Pass::Forward ? 4 : pairings.size();
  TpOverlapCost c;
  for (std::size_t i = first; i < last; ++i) {
    const Pairing& p = pairings[i];
    const double comm = p.gather ? gather_s : scatter_s;
    const double gemm = gemm_seconds(chip, ops, p.gemm);
    c.exposed_s += exposed(p.ub, comm, gemm, tp);
    if (p.ub.method == UbMethod::None) continue;  // nothing runs beside the GEMM
    c.slowdown_s += p.ub.set_sm_margin ? sm_margin_slowdown(chip, p.ub.num_sm, gemm)
                                       : overlap_slowdown(chip, p.ub.num_sm, comm, gemm);
  }
  return c;
}

}  // namespace dcsim::workload
