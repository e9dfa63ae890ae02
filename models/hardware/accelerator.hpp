#pragma once
// One accelerator model from the catalog: what it can compute, hold, move and draw.
#include <array>
#include <map>
#include <string>

#include "models/hardware/precision.hpp"

namespace dcsim::hardware {

// Parameters of the compute-time model (docs/compute.md).
struct ComputeCurve {
  std::array<double, kPrecisionCount> max_efficiency{};  // 0 where the chip lacks the precision
  double shape_gain = 1.0;  // g: the fitted curve's asymptote over e_max (>= 1: large shapes hit the ceiling)
  double half_mn = 0;       // sqrt of the output size M*N at which the shape term is half its asymptote
  double half_k = 0;        // reduction depth at which half the ceiling is reached
  double kernel_floor_s = 0;  // shortest kernel: launch and tail, added to every op
  double memory_efficiency = 0.9;  // achievable fraction of HBM bandwidth
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

  bool supports(Precision p) const { return peak_flops[static_cast<int>(p)] > 0; }
  double peak(Precision p) const { return peak_flops[static_cast<int>(p)]; }
  double max_efficiency(Precision p) const { return compute.max_efficiency[static_cast<int>(p)]; }
};

}  // namespace dcsim::hardware
