#pragma once
// What communication overlapped with compute costs (docs/training.md, "Overlap"):
//  - its kernels take streaming multiprocessors from the compute they run beside: while a
//    collective of c CTAs runs, compute proceeds at (1 - c / SMs) of its rate (on chips whose
//    collectives run on dedicated engines, nothing);
//  - what does not fit under the compute it is overlapped with is exposed.
// Tensor-parallel overlap follows Transformer Engine's userbuffers: each TP collective is paired
// with a GEMM and run as a ring exchange (copy engines, 1 SM), a pipelined split of the GEMM
// (the GEMM in 4 pieces, the last piece's communication exposed) or in bulk beside it.
// PyTorch's async TP pairs every collective with its GEMM as tp steps whose peer copies run on
// copy engines (no SMs), and sums each reduce-scatter's partial products in one more kernel.
#include <array>
#include <string>
#include <vector>

#include "models/hardware/accelerator.hpp"
#include "models/workload/layer_ops.hpp"
#include "models/workload/parallel_plan.hpp"

namespace dcsim::workload {

// CTAs an NCCL collective keeps busy while it runs beside compute: 16 channels (NCCL's
// default SM budget for NVLS and its ring channel count on 8-NIC servers).
inline constexpr int kNcclCtas = 16;
// CTAs of NCCL point-to-point sends (pipeline and context-parallel exchanges).
inline constexpr int kNcclP2pCtas = 4;

// The share of the chip's compute rate communication with `ctas` CTAs takes.
double sm_share(const hardware::AcceleratorSpec& chip, int ctas);

// Time added to compute of duration `compute_s` by a collective of `comm_s` running beside
// it with `ctas` CTAs: the overlapped part runs at (1 - share) of its rate.
double overlap_slowdown(const hardware::AcceleratorSpec& chip, int ctas, double comm_s, double compute_s);
// Transformer Engine's set_sm_margin: a GEMM launched on the SMs that `ctas` communication
// blocks leave, for its whole duration: the time it loses.
double sm_margin_slowdown(const hardware::AcceleratorSpec& chip, int ctas, double compute_s);

// Transformer Engine's userbuffer pairings a plan runs, in kUbPairingNames order: the
// recipe's own where it sets them, else the preset's (docs/training.md).
std::array<UbPairing, kUbPairingNames.size()> userbuffer_pairings(const ParallelPlan& plan);
const char* to_string(UbMethod m);
// Whether the plan's TP overlap runs some GEMM in pieces (async TP, or a userbuffer pairing
// that ring-exchanges or pipelines), which dcsim times as the whole GEMM.
bool splits_tp_gemms(const ParallelPlan& plan);
// The most SMs a Transformer Engine pairing with set_sm_margin keeps from its GEMM (whose
// cost, c / (SMs - c) of the GEMM, is not measured); 0 when no pairing sets a margin.
int widest_sm_margin(const ParallelPlan& plan);

struct TpOverlapCost {
  double exposed_s = 0;   // communication not hidden
  double slowdown_s = 0;  // compute time lost to communication kernels
  double memory_s = 0;    // kernels the overlap adds (PyTorch's async TP: each reduce-scatter's sum)
};

// One pass of a layer with TP communication overlapped: `ops` are that pass's kernels
// (layer_ops), `gather_s` and `scatter_s` one TP all-gather and reduce-scatter of the layer's
// hidden state, `hidden_bytes` that hidden state (16-bit, all the rank's tokens).
TpOverlapCost tp_overlap(const hardware::AcceleratorSpec& chip, const ParallelPlan& plan, Pass pass,
                         const std::vector<LayerOp>& ops, double gather_s, double scatter_s, double hidden_bytes);

}  // namespace dcsim::workload
