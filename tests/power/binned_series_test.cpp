// The power timeline's bins: exact integrals, and spans up to the end of simulated time.
#include "models/power/binned_series.hpp"

#include <gtest/gtest.h>

using dcsim::Time;
using dcsim::power::BinnedSeries;

TEST(BinnedSeries, AveragesAreTheIntegralOverTheBin) {
  BinnedSeries s(Time::ms(1), 16);
  s.set(Time::zero(), 100.0);
  s.set(Time::us(500), 300.0);  // half a bin at 100, half at 300
  s.finish(Time::ms(2));
  EXPECT_DOUBLE_EQ(s.average(0), 200.0);
  EXPECT_DOUBLE_EQ(s.average(1), 300.0);
  EXPECT_DOUBLE_EQ(s.average_over(Time::zero(), Time::ms(2)), 250.0);
}

// A span near int64 nanoseconds' end used to overflow bin width x bin count and widen the
// bins forever.
TEST(BinnedSeries, ASpanNearTheEndOfSimulatedTimeStaysWithinItsBinBudget) {
  BinnedSeries s(Time::ms(1), 4096);
  s.set(Time::zero(), 10.0);
  s.finish(Time::ns(9'000'000'000'000'000'000));
  EXPECT_LE(s.bins(), 4096u);
  EXPECT_NEAR(s.average_over(Time::zero(), s.end()), 10.0, 1e-9);
}
