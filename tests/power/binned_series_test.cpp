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

// Several signals on one axis, against a direct integral: random piecewise-constant signals
// over a span that forces the bins to merge several times.
TEST(BinnedSeriesSet, EverySignalsAveragesAreItsExactIntegral) {
  const std::size_t n = 5;
  dcsim::power::BinnedSeriesSet set(n, Time::ms(1), 8);
  std::vector<std::vector<std::pair<std::int64_t, double>>> changes(n);  // (ns, value) per signal
  std::uint64_t x = 12345;
  auto next = [&] { return x = x * 6364136223846793005ull + 1442695040888963407ull; };
  std::int64_t t = 0;
  for (int k = 0; k < 200; ++k) {
    t += std::int64_t(next() >> 44);  // up to ~1 ms apart, several per bin
    const std::size_t i = (next() >> 33) % n;
    const double v = double((next() >> 40) % 1000);
    set.set(i, Time::ns(t), v);
    changes[i].push_back({t, v});
  }
  const Time end = Time::ns(t + 1'000'000);
  set.finish(end);
  ASSERT_GE(set.bin_width(), Time::ms(8));  // ~100 ms over 8 bins: merged several times
  auto integral = [&](std::size_t i, std::int64_t a, std::int64_t b) {  // value x ns over [a, b)
    double sum = 0, value = 0;
    std::int64_t at = 0;
    for (const auto& [ct, cv] : changes[i]) {
      sum += value * double(std::max<std::int64_t>(0, std::min(ct, b) - std::max(at, a)));
      at = ct;
      value = cv;
    }
    return sum + value * double(std::max<std::int64_t>(0, b - std::max(at, a)));
  };
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t b = 0; b < set.bins(); ++b) {
      const std::int64_t b0 = set.bin_start(b).count_ns(), b1 = std::min(b0 + set.bin_width().count_ns(), end.count_ns());
      EXPECT_NEAR(set.average(i, b), integral(i, b0, b1) / double(b1 - b0), 1e-9) << "signal " << i << " bin " << b;
    }
  // Over spans that start and end inside bins, across several, and past the end: every
  // signal's average at once is each one's own, bit for bit.
  std::vector<double> all;
  for (const auto& [from, to] : std::vector<std::pair<Time, Time>>{
           {Time::zero(), end}, {Time::us(3300), Time::us(47100)}, {Time::ms(90), end + Time::ms(5)}, {end, end}}) {
    set.averages_over(from, to, all);
    ASSERT_EQ(all.size(), n);
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(all[i], set.average_over(i, from, to)) << "signal " << i;
  }
}

// Pieces that cover whole bins are written later, row by row; reading the set in the middle
// of a run writes them early. Either way every bin holds the same sum, bit for bit.
TEST(BinnedSeriesSet, WholeBinPiecesGiveTheSameSumsWhenEverTheyAreWritten) {
  const std::size_t n = 3;
  dcsim::power::BinnedSeriesSet read_early(n, Time::ms(1), 64), read_late(n, Time::ms(1), 64);
  std::uint64_t x = 777;
  auto next = [&] { return x = x * 6364136223846793005ull + 1442695040888963407ull; };
  std::int64_t t = 0;
  for (int k = 0; k < 300; ++k) {
    t += std::int64_t(next() >> 41);  // up to ~8 ms apart: many pieces span whole bins
    const std::size_t i = (next() >> 33) % n;
    const double v = double((next() >> 40) % 1000) / 7.0;
    read_early.set(i, Time::ns(t), v);
    read_late.set(i, Time::ns(t), v);
    if (k % 37 == 0) (void)read_early.average(0, 0);  // writes the pending pieces now
  }
  read_early.finish(Time::ns(t + 5'000'000));
  read_late.finish(Time::ns(t + 5'000'000));
  ASSERT_GT(read_late.bin_width(), Time::ms(1));  // merged while pieces were pending
  ASSERT_EQ(read_early.bins(), read_late.bins());
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t b = 0; b < read_late.bins(); ++b) EXPECT_EQ(read_early.average(i, b), read_late.average(i, b));
}
