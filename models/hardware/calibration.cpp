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
// Parameters are fitted in log space so they stay positive: x = ln(e_max), ln(h_mn),
// ln(h_k), ln(floor).
struct Residuals {
  using Scalar = double;
  enum { InputsAtCompileTime = Eigen::Dynamic, ValuesAtCompileTime = Eigen::Dynamic };
  using InputType = Eigen::VectorXd;
  using ValueType = Eigen::VectorXd;
  using JacobianType = Eigen::MatrixXd;

  const std::vector<GemmSample>& samples;
  double peak;

  int inputs() const { return 4; }
  int values() const { return static_cast<int>(samples.size()); }

  static double model(const Eigen::VectorXd& x, const GemmSample& s, double peak) {
    ComputeCurve c;
    c.max_efficiency[static_cast<int>(s.precision)] = 1.0;
    c.shape_gain = std::exp(x[0]);  // uncapped while fitting: the asymptote itself
    c.half_mn = std::exp(x[1]);
    c.half_k = std::exp(x[2]);
    return std::exp(x[3]) + s.shape.flops() / (peak * matmul_efficiency(c, s.precision, s.shape));
  }
  int operator()(const Eigen::VectorXd& x, Eigen::VectorXd& f) const {
    for (std::size_t i = 0; i < samples.size(); ++i)
      f[static_cast<Eigen::Index>(i)] = std::log(model(x, samples[i], peak)) - std::log(samples[i].seconds);
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
}  // namespace

CurveFit fit_matmul_curve(const AcceleratorSpec& chip, const std::vector<GemmSample>& samples) {
  if (samples.size() < 4) throw std::invalid_argument("fitting the matmul curve needs at least 4 samples");
  const Precision p = samples.front().precision;
  for (const auto& s : samples)
    if (s.precision != p) throw std::invalid_argument("fit one precision at a time");
  if (!chip.supports(p))
    throw std::invalid_argument(fmt::format("{} has no {} peak to fit against", chip.name, to_string(p)));
  Residuals r{samples, chip.peak(p)};
  Eigen::VectorXd x(4);
  x << std::log(0.8), std::log(256.0), std::log(256.0), std::log(5e-6);
  Eigen::LevenbergMarquardt<Residuals> lm(r);
  lm.parameters.maxfev = 2000;
  lm.parameters.xtol = 1e-12;
  lm.parameters.ftol = 1e-12;
  lm.minimize(x);

  CurveFit fit;
  fit.asymptote = std::exp(x[0]);
  fit.max_efficiency = chip.max_efficiency(p) > 0 ? chip.max_efficiency(p) : fit.asymptote;
  fit.shape_gain = fit.asymptote / fit.max_efficiency;
  fit.half_mn = std::exp(x[1]);
  fit.half_k = std::exp(x[2]);
  fit.kernel_floor_s = std::exp(x[3]);
  fit.iterations = static_cast<int>(lm.iter);
  // Predictions through the real model: the fitted shape curve under the chip's ceiling.
  AcceleratorSpec fitted = chip;
  fitted.compute.shape_gain = fit.shape_gain;
  fitted.compute.half_mn = fit.half_mn;
  fitted.compute.half_k = fit.half_k;
  fitted.compute.kernel_floor_s = fit.kernel_floor_s;
  double sq = 0;
  for (const auto& s : samples) {
    ComputeOp op = matmul_op(s.shape, p);
    op.bytes = 0;  // the samples are compute-bound timings
    const double t = op_time(fitted, op).seconds;
    fit.predicted_seconds.push_back(t);
    sq += std::pow(std::log(t / s.seconds), 2);
  }
  fit.rms_log_error = std::sqrt(sq / double(samples.size()));
  return fit;
}

}  // namespace dcsim::hardware
