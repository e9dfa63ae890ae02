#include "models/workload/stragglers.hpp"

#include <cmath>

namespace dcsim::workload {

namespace {

// Inverse of the standard normal CDF by bisection on erfc: p in (0, 1).
double normal_quantile(double p) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

double slowest_device_factor(std::int64_t devices, double sigma) {
  if (devices <= 1 || sigma <= 0) return 1.0;
  const double n = double(devices);
  return 1.0 + sigma * normal_quantile((n - 0.375) / (n + 0.25));
}

}  // namespace dcsim::workload
