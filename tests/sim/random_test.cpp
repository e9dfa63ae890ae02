#include "sim/random.hpp"

#include <gtest/gtest.h>

#include <cmath>

using dcsim::RandomStreams;

TEST(RandomStreams, SameSeedAndNameGiveTheSameDraws) {
  auto a = RandomStreams(7).stream("network");
  auto b = RandomStreams(7).stream("network");
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next_u64(), b.next_u64());
}

TEST(RandomStreams, StreamsAreIndependentOfEachOthersUse) {
  RandomStreams streams(7);
  auto failures = streams.stream("failures");
  const auto first = failures.next_u64();
  // Drawing heavily from another stream, or creating new ones, changes nothing here.
  auto other = streams.stream("a-new-model");
  for (int i = 0; i < 10000; ++i) other.next_u64();
  EXPECT_EQ(streams.stream("failures").next_u64(), first);
  EXPECT_NE(streams.stream("failures").next_u64(), streams.stream("failure").next_u64());
  EXPECT_NE(RandomStreams(7).seed_for("x"), RandomStreams(8).seed_for("x"));
}

TEST(RandomStream, DistributionsHaveTheirMoments) {
  auto r = RandomStreams(1).stream("moments");
  const int n = 400000;
  double sum_exp = 0, sum_norm = 0, sq_norm = 0, sum_u = 0;
  std::uint64_t below_hits[5] = {};
  for (int i = 0; i < n; ++i) {
    sum_exp += r.exponential(3.0);
    const double x = r.normal(2.0, 0.5);
    sum_norm += x;
    sq_norm += x * x;
    sum_u += r.uniform01();
    ++below_hits[r.below(5)];
  }
  // Standard errors: exp 3/sqrt(n) = 0.0047; normal mean 0.5/sqrt(n) = 0.0008; 5 sigma bounds.
  EXPECT_NEAR(sum_exp / n, 3.0, 0.024);
  const double mean = sum_norm / n;
  EXPECT_NEAR(mean, 2.0, 0.004);
  EXPECT_NEAR(std::sqrt(sq_norm / n - mean * mean), 0.5, 0.004);
  EXPECT_NEAR(sum_u / n, 0.5, 0.0025);
  for (auto h : below_hits) EXPECT_NEAR(double(h) / n, 0.2, 0.004);
}

TEST(RandomStream, UniformStaysInItsHalfOpenRange) {
  auto r = RandomStreams(3).stream("u");
  for (int i = 0; i < 100000; ++i) {
    const double u = r.uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ASSERT_LT(r.below(3), 3u);
  }
  EXPECT_EQ(r.below(1), 0u);
}
