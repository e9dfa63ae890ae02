#pragma once
// The classic hold model: N pending events; each step removes the earliest and inserts one
// at its time + Exp(mean 1000 ns). Increments are drawn once up front so the benchmark
// measures the queue, not the random number generator.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace dcsim::bench {

inline const std::vector<std::int64_t>& hold_increments() {
  static const std::vector<std::int64_t> values = [] {
    std::mt19937_64 rng(12345);
    std::vector<std::int64_t> v(1 << 16);
    for (auto& x : v) {
      const double u = (double(rng() >> 11) + 0.5) * 0x1.0p-53;
      x = static_cast<std::int64_t>(-1000.0 * std::log(u));
    }
    return v;
  }();
  return values;
}

}  // namespace dcsim::bench
