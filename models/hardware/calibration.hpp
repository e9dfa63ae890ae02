#pragma once
// Fits the compute-time model's matmul curve (e_max, h_mn, h_k, floor) to measured GEMM
// times by nonlinear least squares on log(time) (Eigen's Levenberg-Marquardt), so every
// shape counts by its relative error.
#include <string>
#include <vector>

#include "models/hardware/accelerator.hpp"
#include "models/hardware/compute_model.hpp"

namespace dcsim::hardware {

struct GemmSample {
  MatmulShape shape;
  Precision precision = Precision::bf16;
  double seconds = 0;  // measured kernel time
  std::string source;
};

struct CurveFit {
  double asymptote = 0;       // fitted g * e_max, before the ceiling applies
  double max_efficiency = 0;  // the chip's ceiling for this precision (from the catalog)
  double shape_gain = 0;      // asymptote / max_efficiency
  double half_mn = 0;
  double half_k = 0;
  double kernel_floor_s = 0;
  double rms_log_error = 0;  // sqrt(mean((ln t_model - ln t_measured)^2)), ceiling applied
  std::vector<double> predicted_seconds;  // per sample, ceiling applied
  int iterations = 0;
};

// Reads "batch,m,n,k,precision,flops_per_s[,source]" rows ('#' lines are comments, one
// header row). Throws std::runtime_error naming the file, line and problem.
std::vector<GemmSample> read_gemm_csv(const std::string& path);

// Fits one precision's samples on `chip` (its peak and ceiling for that precision).
CurveFit fit_matmul_curve(const AcceleratorSpec& chip, const std::vector<GemmSample>& samples);

}  // namespace dcsim::hardware
