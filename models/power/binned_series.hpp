#pragma once
// The exact average of piecewise-constant signals over fixed-width time bins, for plots and
// CSV output. When the bins outgrow their budget, neighbours merge pairwise (sums add, so
// averages stay exact) and the bin width doubles: memory stays bounded for any run length.
//
// BinnedSeriesSet keeps many signals on one shared time axis, stored bin-major: the racks of
// a cluster change power at nearly the same times, so their current bins sit side by side
// in memory instead of one cold cache line per rack. A piece that covers whole bins (a rack
// idle through a pipeline bubble) is kept as a run and written into its bins later, row by
// row: written at once, each of its bins would be a cold line 8 bytes x signals away from the
// last (these stores were a tenth of a 16K-GPU run). BinnedSeries is a set of one.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/time.hpp"

namespace dcsim::power {

class BinnedSeriesSet {
 public:
  BinnedSeriesSet(std::size_t count, Time initial_width = Time::ms(1), std::size_t max_bins = 4096);
  // Signal i holds value from t on. Inline for the usual change, in the bin of the previous
  // one (a tenth of a long pipeline schedule's time was calls here).
  void set(std::size_t i, Time t, double value) {
    if (t >= last_[i] && t < open_end_[i]) {
      sums_[open_bin_[i] * count() + i] += value_[i] * (t - last_[i]).seconds();
      last_[i] = t;
      if (end_ < t) end_ = t;
    } else {
      integrate_to(i, t);
    }
    value_[i] = value;
  }
  void finish(Time t);                            // closes every signal's last piece at t
  std::size_t count() const { return last_.size(); }
  Time bin_width() const { return width_; }
  std::size_t bins() const { return rows_; }
  double average(std::size_t i, std::size_t bin) const;  // (reads materialize pending runs)  // value x seconds / bin seconds (last bin: its covered part)
  Time bin_start(std::size_t bin) const { return width_ * static_cast<std::int64_t>(bin); }
  Time end() const { return end_; }
  // Exact average of signal i over [from, to] (within the recorded span), for resampling.
  double average_over(std::size_t i, Time from, Time to) const;
  // The same for every signal at once, bin by bin (one pass over each row instead of one
  // per signal: 1,024 racks' rows were 4 % of a 16K-GPU run). out[i] == average_over(i, ..).
  void averages_over(Time from, Time to, std::vector<double>& out) const;

 private:
  // Whole bins [first, end) of signal `signal` that one value covers: each gets `sum`.
  struct Run {
    std::uint32_t signal;
    std::uint32_t end;
    double sum;
  };
  void integrate_to(std::size_t i, Time t);
  template <class Add>
  double walk_bins(Time from, Time to, Add add) const;
  void halve_resolution();
  void materialize() const;  // writes the pending runs into sums_
  double& sum(std::size_t bin, std::size_t i) { return sums_[bin * count() + i]; }
  double sum(std::size_t bin, std::size_t i) const {
    materialize();
    return sums_[bin * count() + i];
  }

  Time width_;
  std::size_t max_bins_;
  std::size_t rows_ = 0;
  mutable std::vector<double> sums_;  // value x seconds, bin-major
  // Pending runs by their first bin; written row by row (materialize) before the bins merge
  // or are read. Every bin a run covers holds nothing else of its signal, so the sums are
  // the same, bit for bit, as if written at once.
  mutable std::vector<std::vector<Run>> runs_by_first_;
  mutable std::size_t pending_runs_ = 0;
  Time end_ = Time::zero();
  std::vector<Time> last_;
  std::vector<double> value_;
  // Per signal, the bin that holds last_ when last_ is inside it (not on its end):
  // [.., open_end_); a change before open_end_ adds there directly.
  std::vector<std::size_t> open_bin_;
  std::vector<Time> open_end_;
};

class BinnedSeries {
 public:
  explicit BinnedSeries(Time initial_width = Time::ms(1), std::size_t max_bins = 4096)
      : set_(1, initial_width, max_bins) {}
  void set(Time t, double value) { set_.set(0, t, value); }
  void finish(Time t) { set_.finish(t); }
  Time bin_width() const { return set_.bin_width(); }
  std::size_t bins() const { return set_.bins(); }
  double average(std::size_t bin) const { return set_.average(0, bin); }
  Time bin_start(std::size_t bin) const { return set_.bin_start(bin); }
  Time end() const { return set_.end(); }
  double average_over(Time from, Time to) const { return set_.average_over(0, from, to); }

 private:
  BinnedSeriesSet set_;
};

}  // namespace dcsim::power
