#pragma once
// Fits the compute-time model to measured kernels by nonlinear least squares on log(time)
// (Eigen's Levenberg-Marquardt), so every sample counts by its relative error:
//  - GEMMs: one precision's curve (e_max, h_mn, h_k) and the kernel floor. Samples measured
//    at another clock (a table taken at boost clock, outside the power-capped steady state)
//    may join the fit with a scale of their own, so they shape the curve without setting
//    its level.
//  - Flash attention: the forward and backward curves (e_max, h_tiles, h_seq).
#include <map>
#include <optional>
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

struct GemmFitOptions {
  std::vector<std::string> relative_sources;  // samples whose level is fitted apart
  std::optional<double> half_mn;              // hold h_mn at this value
};

struct CurveFit {
  GemmCurve curve;
  double kernel_floor_s = 0;
  std::map<std::string, double> source_scale;  // relative sources: measured / steady-state
  double rms_log_error = 0;  // sqrt(mean((ln t_model - ln t_measured)^2)), scales applied
  std::vector<double> predicted_seconds;  // per sample, scales applied
  int iterations = 0;
};

// Reads "batch,m,n,k,precision,flops_per_s[,source]" rows ('#' lines are comments, one
// header row). Throws std::runtime_error naming the file, line and problem.
std::vector<GemmSample> read_gemm_csv(const std::string& path);

// Fits one precision's samples on `chip` (its peak for that precision).
CurveFit fit_matmul_curve(const AcceleratorSpec& chip, const std::vector<GemmSample>& samples,
                          const GemmFitOptions& options = {});

struct AttentionSample {
  AttentionShape shape;
  double kv_heads_share = 1;  // kv heads / query heads
  double forward_s = 0, backward_s = 0;
};

struct AttentionFit {
  AttentionCurve forward, backward;
  double rms_log_error_forward = 0, rms_log_error_backward = 0;
  std::vector<double> predicted_forward_s, predicted_backward_s;
};

// Reads "batch,seq,q_heads,kv_heads,head_dim,forward_s,forward_backward_s" rows (causal).
std::vector<AttentionSample> read_attention_csv(const std::string& path);

// Fits the forward and backward curves; the chip's kernel floor is added to each kernel.
AttentionFit fit_attention_curves(const AcceleratorSpec& chip, const std::vector<AttentionSample>& samples);

}  // namespace dcsim::hardware
