// The slowest-device factor against the exact expected maximum of n standard normals,
// integrated numerically: E[max] = integral of x n phi(x) Phi(x)^(n-1) dx.
#include "models/workload/stragglers.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace dcsim::workload {
namespace {

double exact_expected_max(std::int64_t n) {
  const double step = 1e-3;
  double sum = 0;
  for (double x = -12; x <= 12; x += step) {
    const double phi = std::exp(-x * x / 2) / std::sqrt(2 * M_PI);
    const double cdf = 0.5 * std::erfc(-x / std::sqrt(2.0));
    sum += x * double(n) * phi * std::pow(cdf, double(n - 1)) * step;
  }
  return sum;
}

TEST(Stragglers, OneDeviceOrNoVariabilityIsNominal) {
  EXPECT_DOUBLE_EQ(slowest_device_factor(1, 0.012), 1.0);
  EXPECT_DOUBLE_EQ(slowest_device_factor(16384, 0.0), 1.0);
}

TEST(Stragglers, KnownOrderStatistics) {
  // Tabulated: E[max of 2] = 1/sqrt(pi), of 8 = 1.4236, of 100 = 2.5076.
  EXPECT_NEAR(exact_expected_max(2), 1 / std::sqrt(M_PI), 1e-4);
  EXPECT_NEAR(exact_expected_max(8), 1.4236, 1e-3);
  EXPECT_NEAR(exact_expected_max(100), 2.5076, 1e-3);
}

TEST(Stragglers, MatchesTheExactExpectedMaximum) {
  for (std::int64_t n : {2, 8, 64, 512, 4096, 16384}) {
    const double approx = (slowest_device_factor(n, 1.0) - 1.0);
    const double exact = exact_expected_max(n);
    EXPECT_NEAR(approx / exact, 1.0, n >= 8 ? 0.01 : 0.05) << n;
  }
}

TEST(Stragglers, GrowsWithTheDeviceCount) {
  // Weak scaling slows a synchronous job: 8 -> 16,384 devices at 1.2 % spread.
  const double small = slowest_device_factor(8, kDeviceVariability);
  const double large = slowest_device_factor(16384, kDeviceVariability);
  EXPECT_NEAR(small, 1 + 0.012 * 1.4236, 2e-4);
  EXPECT_GT(large - small, 0.025);
  EXPECT_LT(large - small, 0.04);
}

}  // namespace
}  // namespace dcsim::workload
