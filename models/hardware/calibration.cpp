#include "models/hardware/calibration.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unsupported/Eigen/NonLinearOptimization>

namespace dcsim::hardware {

std::vector<GemmSample> read_gemm_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open", path));
  std::vector<GemmSample> out;
  std::string line;
  int line_no = 0;
  bool header_seen = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    if (!header_seen) {
      header_seen = true;
      if (line.rfind("batch,m,n,k,precision,flops_per_s", 0) != 0)
        throw std::runtime_error(fmt::format("{}:{}: expected the header batch,m,n,k,precision,flops_per_s[,source]", path, line_no));
      continue;
    }
    std::stringstream ss(line);
    std::vector<std::string> cells;
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    if (cells.size() < 6)
      throw std::runtime_error(fmt::format("{}:{}: expected at least 6 columns, found {}", path, line_no, cells.size()));
    GemmSample s;
    try {
      s.shape = {std::stod(cells[0]), std::stod(cells[1]), std::stod(cells[2]), std::stod(cells[3])};
    } catch (const std::exception&) {
      throw std::runtime_error(fmt::format("{}:{}: batch, m, n, k must be numbers", path, line_no));
    }
    const auto p = parse_precision(cells[4]);
    if (!p) throw std::runtime_error(fmt::format("{}:{}: unknown precision \"{}\"", path, line_no, cells[4]));
    s.precision = *p;
    double flops_per_s = 0;
    try {
      flops_per_s = std::stod(cells[5]);
    } catch (const std::exception&) {
      throw std::runtime_error(fmt::format("{}:{}: flops_per_s must be a number", path, line_no));
    }
    if (flops_per_s <= 0 || s.shape.batch <= 0 || s.shape.m <= 0 || s.shape.n <= 0 || s.shape.k <= 0)
      throw std::runtime_error(fmt::format("{}:{}: sizes and flops_per_s must be positive", path, line_no));
    s.seconds = s.shape.flops() / flops_per_s;
    if (cells.size() > 6) s.source = cells[6];
    out.push_back(s);
  }
  if (out.empty()) throw std::runtime_error(fmt::format("{}: no samples", path));
  return out;
}

namespace {
// Least squares on ln(model) - ln(measured) over parameters kept in log space (so they stay
// positive); the model is a callable (parameters, sample index) -> seconds.
template <class Model>
struct LogResiduals {
  using Scalar = double;
  enum { InputsAtCompileTime = Eigen::Dynamic, ValuesAtCompileTime = Eigen::Dynamic };
  using InputType = Eigen::VectorXd;
  using ValueType = Eigen::VectorXd;
  using JacobianType = Eigen::MatrixXd;

  Model model;
  std::vector<double> measured;
  int n_params;

  int inputs() const { return n_params; }
  int values() const { return static_cast<int>(measured.size()); }
  int operator()(const Eigen::VectorXd& x, Eigen::VectorXd& f) const {
    for (std::size_t i = 0; i < measured.size(); ++i)
      f[static_cast<Eigen::Index>(i)] = std::log(model(x, i)) - std::log(measured[i]);
    return 0;
  }
  int df(const Eigen::VectorXd& x, Eigen::MatrixXd& j) const {  // central differences
    Eigen::VectorXd f1(values()), f2(values());
    for (int c = 0; c < inputs(); ++c) {
      const double h = 1e-6;
      Eigen::VectorXd a = x, b = x;
      a[c] += h;
      b[c] -= h;
      (*this)(a, f1);
      (*this)(b, f2);
      j.col(c) = (f1 - f2) / (2 * h);
    }
    return 0;
  }
};

template <class Model>
int minimize(Model model, std::vector<double> measured, Eigen::VectorXd& x) {
  LogResiduals<Model> r{std::move(model), std::move(measured), static_cast<int>(x.size())};
  Eigen::LevenbergMarquardt<LogResiduals<Model>> lm(r);
  lm.parameters.maxfev = 4000;
  lm.parameters.xtol = 1e-12;
  lm.parameters.ftol = 1e-12;
  lm.minimize(x);
  return static_cast<int>(lm.iter);
}

double rms_log(const std::vector<double>& predicted, const std::vector<double>& measured) {
  double sq = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) sq += std::pow(std::log(predicted[i] / measured[i]), 2);
  return std::sqrt(sq / double(predicted.size()));
}
}  // namespace

CurveFit fit_matmul_curve(const AcceleratorSpec& chip, const std::vector<GemmSample>& samples,
                          const GemmFitOptions& options) {
  if (samples.size() < 4) throw std::invalid_argument("fitting the matmul curve needs at least 4 samples");
  const Precision p = samples.front().precision;
  for (const auto& s : samples)
    if (s.precision != p) throw std::invalid_argument("fit one precision at a time");
  if (!chip.supports(p))
    throw std::invalid_argument(fmt::format("{} has no {} peak to fit against", chip.name, to_string(p)));
  // Parameters: ln e_max, ln h_mn (unless held), ln h_k, ln floor, then ln scale per relative source.
  std::vector<int> scale_of(samples.size(), -1);
  for (std::size_t i = 0; i < samples.size(); ++i)
    for (std::size_t j = 0; j < options.relative_sources.size(); ++j)
      if (samples[i].source == options.relative_sources[j]) scale_of[i] = static_cast<int>(j);
  const bool free_mn = !options.half_mn;
  const int base = free_mn ? 4 : 3;
  const double peak = chip.peak(p);
  auto curve_of = [&](const Eigen::VectorXd& x) {
    GemmCurve c;
    c.max_efficiency = std::exp(x[0]);
    c.half_mn = free_mn ? std::exp(x[1]) : *options.half_mn;
    c.half_k = std::exp(x[base - 2]);
    return c;
  };
  auto model = [&](const Eigen::VectorXd& x, std::size_t i) {
    const GemmSample& s = samples[i];
    const double t = std::exp(x[base - 1]) + s.shape.flops() / (peak * matmul_efficiency(curve_of(x), s.shape));
    return scale_of[i] >= 0 ? t / std::exp(x[base + scale_of[i]]) : t;
  };
  std::vector<double> measured;
  for (const auto& s : samples) measured.push_back(s.seconds);
  Eigen::VectorXd x(base + static_cast<int>(options.relative_sources.size()));
  x.setZero();
  x[0] = std::log(0.7);
  if (free_mn) x[1] = std::log(256.0);
  x[base - 2] = std::log(256.0);
  x[base - 1] = std::log(5e-6);

  CurveFit fit;
  fit.iterations = minimize(model, measured, x);
  fit.curve = curve_of(x);
  fit.kernel_floor_s = std::exp(x[base - 1]);
  for (std::size_t j = 0; j < options.relative_sources.size(); ++j)
    fit.source_scale[options.relative_sources[j]] = std::exp(x[base + static_cast<int>(j)]);
  for (std::size_t i = 0; i < samples.size(); ++i) fit.predicted_seconds.push_back(model(x, i));
  fit.rms_log_error = rms_log(fit.predicted_seconds, measured);
  return fit;
}

std::vector<AttentionSample> read_attention_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open", path));
  std::vector<AttentionSample> out;
  std::string line;
  int line_no = 0;
  bool header_seen = false;
  const char* header = "batch,seq,q_heads,kv_heads,head_dim,forward_s,forward_backward_s";
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    if (!header_seen) {
      header_seen = true;
      if (line.rfind(header, 0) != 0) throw std::runtime_error(fmt::format("{}:{}: expected the header {}", path, line_no, header));
      continue;
    }
    std::stringstream ss(line);
    std::vector<double> v;
    try {
      for (std::string cell; std::getline(ss, cell, ',') && v.size() < 7;) v.push_back(std::stod(cell));
    } catch (const std::exception&) {
      throw std::runtime_error(fmt::format("{}:{}: expected 7 numbers", path, line_no));
    }
    if (v.size() < 7) throw std::runtime_error(fmt::format("{}:{}: expected 7 numbers, found {}", path, line_no, v.size()));
    for (double x : v)
      if (!(x > 0)) throw std::runtime_error(fmt::format("{}:{}: every value must be positive", path, line_no));
    if (v[6] <= v[5]) throw std::runtime_error(fmt::format("{}:{}: forward_backward_s must exceed forward_s", path, line_no));
    AttentionSample s;
    s.shape = {v[0] * v[2], v[1], v[1], v[4], true};
    s.kv_heads_share = v[3] / v[2];
    s.forward_s = v[5];
    s.backward_s = v[6] - v[5];
    out.push_back(s);
  }
  if (out.empty()) throw std::runtime_error(fmt::format("{}: no samples", path));
  return out;
}

AttentionFit fit_attention_curves(const AcceleratorSpec& chip, const std::vector<AttentionSample>& samples) {
  if (samples.size() < 3) throw std::invalid_argument("fitting the attention curves needs at least 3 samples");
  const double peak = chip.peak(Precision::bf16), floor = chip.compute.kernel_floor_s;
  AttentionFit fit;
  for (const bool backward : {false, true}) {
    auto curve_of = [](const Eigen::VectorXd& x) {
      return AttentionCurve{std::exp(x[0]), std::exp(x[1]), std::exp(x[2])};
    };
    auto model = [&](const Eigen::VectorXd& x, std::size_t i) {
      const ComputeOp op = attention_op(samples[i].shape, samples[i].kv_heads_share, backward);
      return floor + op.flops / (peak * attention_efficiency(curve_of(x), samples[i].shape));
    };
    std::vector<double> measured;
    for (const auto& s : samples) measured.push_back(backward ? s.backward_s : s.forward_s);
    Eigen::VectorXd x(3);
    x << std::log(0.6), std::log(100.0), std::log(1000.0);
    minimize(model, measured, x);
    std::vector<double> predicted;
    for (std::size_t i = 0; i < samples.size(); ++i) predicted.push_back(model(x, i));
    (backward ? fit.backward : fit.forward) = curve_of(x);
    (backward ? fit.rms_log_error_backward : fit.rms_log_error_forward) = rms_log(predicted, measured);
    (backward ? fit.predicted_backward_s : fit.predicted_forward_s) = predicted;
  }
  return fit;
}

}  // namespace dcsim::hardware
