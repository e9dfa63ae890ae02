#include "sim/statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace dcsim;

TEST(TimeWeighted, IntegratesAPiecewiseConstantSignalExactly) {
  TimeWeighted p(Time::zero(), 100.0);  // 100 W from t=0
  p.set(Time::s(2), 300.0);             // 100 W for 2 s = 200 J
  p.set(Time::s(3), 0.0);               // 300 W for 1 s = 300 J
  p.set(Time::s(10), 50.0);             // 0 W for 7 s
  EXPECT_DOUBLE_EQ(p.integral(Time::s(12)), 200.0 + 300.0 + 0.0 + 100.0);
  EXPECT_DOUBLE_EQ(p.average(Time::s(12)), 600.0 / 12.0);
  EXPECT_DOUBLE_EQ(p.max(), 300.0);
  EXPECT_THROW(p.set(Time::s(1), 5.0), std::logic_error);
}

TEST(TimeWeighted, CompensatedSumKeepsMillionsOfTinyIntervalsExact) {
  TimeWeighted v(Time::zero(), 0.1);
  for (int i = 1; i <= 1'000'000; ++i) v.set(Time::ns(i), 0.1);
  // 0.1 held for 1 ms: 1e-4, within a few ulps despite a million additions.
  EXPECT_NEAR(v.integral(Time::ms(1)), 1e-4, 1e-18);
}

TEST(Counter, CountsEventsAndAmounts) {
  Counter c;
  c.add(2.5);
  c.add();
  EXPECT_DOUBLE_EQ(c.total(), 3.5);
  EXPECT_EQ(c.events(), 2u);
}

TEST(Histogram, ExactMomentsAndPercentiles) {
  Histogram h;
  for (double x : {5.0, 1.0, 4.0, 2.0, 3.0}) h.add(x);
  EXPECT_EQ(h.count(), 5u);
  EXPECT_DOUBLE_EQ(h.mean(), 3.0);
  EXPECT_DOUBLE_EQ(h.stddev(), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(h.min(), 1.0);
  EXPECT_DOUBLE_EQ(h.max(), 5.0);
  EXPECT_DOUBLE_EQ(h.percentile(0), 1.0);
  EXPECT_DOUBLE_EQ(h.percentile(50), 3.0);
  EXPECT_DOUBLE_EQ(h.percentile(100), 5.0);
  EXPECT_DOUBLE_EQ(h.percentile(90), 4.6);  // rank 3.6: 4 + 0.6 * (5 - 4)
  EXPECT_DOUBLE_EQ(h.percentile(25), 2.0);
  EXPECT_EQ(h.bin_counts({0, 2, 4, 5}), (std::vector<std::uint64_t>{1, 2, 2}));
  EXPECT_THROW(h.percentile(101), std::invalid_argument);
}

TEST(TimeSeries, KeepsOnlyChangesAndTheSettledValuePerInstant) {
  TimeSeries s;
  s.record(Time::s(0), 1.0);
  s.record(Time::s(1), 1.0);  // unchanged: not stored
  s.record(Time::s(2), 5.0);
  s.record(Time::s(2), 7.0);  // same instant: replaces
  s.record(Time::s(3), 2.0);
  ASSERT_EQ(s.points().size(), 3u);
  EXPECT_DOUBLE_EQ(s.points()[1].value, 7.0);
  EXPECT_DOUBLE_EQ(s.value_at(Time::ms(2500)), 7.0);
  EXPECT_DOUBLE_EQ(s.value_at(Time::s(10)), 2.0);
  EXPECT_DOUBLE_EQ(s.value_at(Time::s(-1)), 0.0);
}
