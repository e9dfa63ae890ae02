#pragma once
// The exact average of a piecewise-constant signal over fixed-width time bins, for plots and
// CSV output. When the bins outgrow their budget, neighbours merge pairwise (sums add, so
// averages stay exact) and the bin width doubles: memory stays bounded for any run length.
#include <cstddef>
#include <vector>

#include "sim/time.hpp"

namespace dcsim::power {

class BinnedSeries {
 public:
  explicit BinnedSeries(Time initial_width = Time::ms(1), std::size_t max_bins = 4096);
  void set(Time t, double value);   // value holds from t on
  void finish(Time t);              // closes the last piece at t
  Time bin_width() const { return width_; }
  std::size_t bins() const { return sums_.size(); }
  double average(std::size_t bin) const;  // value x seconds / bin seconds (last bin: its covered part)
  Time bin_start(std::size_t bin) const { return width_ * static_cast<std::int64_t>(bin); }
  Time end() const { return end_; }
  // Exact average over [from, to] (within the recorded span), for resampling onto a grid.
  double average_over(Time from, Time to) const;

 private:
  void integrate_to(Time t);
  void halve_resolution();
  Time width_;
  std::size_t max_bins_;
  std::vector<double> sums_;  // value x seconds per bin
  Time last_ = Time::zero();
  Time end_ = Time::zero();
  double value_ = 0;
  // The bin that holds last_ when last_ is inside it (not on its end): [.., open_end_).
  std::size_t open_bin_ = 0;
  Time open_end_ = Time::zero();
};

}  // namespace dcsim::power
