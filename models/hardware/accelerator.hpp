#pragma once
// One accelerator model from the catalog: what it can compute, hold, move and draw.
#include <array>
#include <map>
#include <string>

#include "models/hardware/precision.hpp"

namespace dcsim::hardware {

// One precision's GEMM curve (docs/compute.md): e = e_max * o(M N / h_mn^2) * s(K / h_k).
struct GemmCurve {
  double max_efficiency = 0;  // e_max: what the largest shapes reach; 0 where the chip lacks the precision
  double half_mn = 0;         // sqrt of the output size M*N at which that term is half
  double half_k = 0;          // reduction depth at which that term is half
};

// Flash attention, forward or backward (docs/compute.md): e = e_max * s(tiles / h_t) * s(seq / h_s),
// tiles = batch x query heads x query length / 128 (the kernel's work units), seq = keys per query.
struct AttentionCurve {
  double max_efficiency = 0;
  double half_tiles = 0;
  double half_seq = 0;
};

// Memory-bound kernels, by kind: the achieved fraction of HBM bandwidth on the bytes each
// kernel reads and writes (docs/compute.md, "Memory-bound kernels").
enum class MemoryKernel {
  Stream,           // copies, adds, residuals, dropout, optimizer, embedding
  Norm,             // LayerNorm / RMSNorm forward, fused kernel (Apex, Transformer Engine, cuDNN)
  NormBackward,
  NormEager,        // the same as separate PyTorch ops
  NormEagerBackward,
  Activation,       // GeLU, SiLU, SwiGLU (transcendentals per element)
  Quantize,         // FP8 cast with transpose and amax (Transformer Engine)
};
inline constexpr int kMemoryKernelCount = 7;

// Parameters of the compute-time model (docs/compute.md).
struct ComputeCurve {
  std::array<GemmCurve, kPrecisionCount> gemm{};
  double kernel_floor_s = 0;  // shortest kernel: launch and tail, added to every op
  // Streaming multiprocessors: communication kernels that run beside compute take some of
  // them (docs/training.md, "Overlap"). 0: collectives run on dedicated engines (Trainium).
  int sms = 0;
  AttentionCurve attention_forward, attention_backward;
  // FlashAttention-2, forward and backward alike (its published benchmark times them
  // together), where it differs from the chip's own attention: the kernel PyTorch's SDPA ran
  // on Hopper until cuDNN's became its default (torch 2.9). max_efficiency 0: the chip's own.
  AttentionCurve attention_flash2;
  std::array<double, kMemoryKernelCount> memory{0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9};
  double memory_efficiency(MemoryKernel k) const { return memory[static_cast<int>(k)]; }
};

// Board power by activity (docs/power.md). Fractions are of the dynamic range max - idle.
struct PowerCurve {
  double idle_w = 0;
  double max_w = 0;
  double compute_fraction = 1.0;   // dense matmul at the efficiency ceiling
  double memory_fraction = 0.6;    // streaming HBM-bound kernels
  double communication_fraction = 0.25;  // waiting on / driving collectives
  double min_clock = 0.5;          // lowest DVFS clock a power cap may impose (fraction of nominal)
};

struct AcceleratorSpec {
  std::string name;
  std::string vendor;
  std::array<double, kPrecisionCount> peak_flops{};  // FLOP/s, 0 where unsupported
  double hbm_bytes = 0;
  double hbm_bandwidth = 0;       // bytes/s
  double scale_up_bandwidth = 0;  // bytes/s, total bidirectional per chip
  PowerCurve power;
  ComputeCurve compute;
  std::map<std::string, std::string> sources;  // figure -> where it comes from
  std::map<std::string, std::string> assumed;  // figure -> why it is an assumption, not a measurement

  bool supports(Precision p) const { return peak_flops[static_cast<int>(p)] > 0; }
  double peak(Precision p) const { return peak_flops[static_cast<int>(p)]; }
  double max_efficiency(Precision p) const { return compute.gemm[static_cast<int>(p)].max_efficiency; }
};

}  // namespace dcsim::hardware
