#pragma once
// Named, seeded random streams. Each stream's seed is a hash of (master seed, stream name),
// so adding a model, or drawing more from one stream, never shifts another stream's draws.
// The engine is std::mt19937_64; the distributions below are written out (inverse transform,
// Box-Muller) because the standard library's are not specified bit-exactly across platforms.
#include <cstdint>
#include <random>
#include <string_view>

namespace dcsim {

class RandomStream {
 public:
  explicit RandomStream(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next_u64() { return engine_(); }
  double uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }
  // Uniform integer in [0, n) without modulo bias (Lemire's multiply-and-reject).
  std::uint64_t below(std::uint64_t n);
  double exponential(double mean);
  double normal(double mean, double stddev);
  bool bernoulli(double p) { return uniform01() < p; }

 private:
  std::mt19937_64 engine_;
};

class RandomStreams {
 public:
  explicit RandomStreams(std::uint64_t master_seed) : master_(master_seed) {}
  RandomStream stream(std::string_view name) const { return RandomStream(seed_for(name)); }
  std::uint64_t seed_for(std::string_view name) const;
  std::uint64_t master_seed() const { return master_; }

 private:
  std::uint64_t master_;
};

}  // namespace dcsim
