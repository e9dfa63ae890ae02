#include "models/power/binned_series.hpp"

#include <algorithm>
#include <stdexcept>

namespace dcsim::power {

BinnedSeries::BinnedSeries(Time initial_width, std::size_t max_bins) : width_(initial_width), max_bins_(max_bins) {
  if (initial_width <= Time::zero() || max_bins < 2) throw std::invalid_argument("BinnedSeries needs a positive width");
}

void BinnedSeries::halve_resolution() {
  std::vector<double> merged((sums_.size() + 1) / 2, 0.0);
  for (std::size_t i = 0; i < sums_.size(); ++i) merged[i / 2] += sums_[i];
  sums_ = std::move(merged);
  width_ = width_ * 2;
  open_end_ = Time::zero();  // bins moved
}

void BinnedSeries::integrate_to(Time t) {
  if (t < last_) throw std::logic_error("BinnedSeries went back in time");
  // Most changes fall in the bin of the previous one.
  if (t < open_end_) {
    sums_[open_bin_] += value_ * (t - last_).seconds();
    last_ = t;
    end_ = std::max(end_, t);
    return;
  }
  // Compared in floating point: width x bins overflows int64 for spans near its limit.
  while (static_cast<double>(t.count_ns()) > static_cast<double>(width_.count_ns()) * static_cast<double>(max_bins_))
    halve_resolution();
  const auto needed = static_cast<std::size_t>((t.count_ns() + width_.count_ns() - 1) / width_.count_ns());
  if (sums_.size() < needed) sums_.resize(needed, 0.0);
  Time cursor = last_;
  while (cursor < t) {
    const auto bin = static_cast<std::size_t>(cursor.count_ns() / width_.count_ns());
    const Time bin_end = width_ * static_cast<std::int64_t>(bin + 1);
    const Time piece_end = std::min(bin_end, t);
    sums_[bin] += value_ * (piece_end - cursor).seconds();
    cursor = piece_end;
    // t inside this bin: the next change may use the short way.
    if (piece_end < bin_end) {
      open_bin_ = bin;
      open_end_ = bin_end;
    }
  }
  last_ = t;
  end_ = std::max(end_, t);
}

void BinnedSeries::set(Time t, double value) {
  integrate_to(t);
  value_ = value;
}

void BinnedSeries::finish(Time t) { integrate_to(t); }

double BinnedSeries::average_over(Time from, Time to) const {
  from = std::max(from, Time::zero());
  to = std::min(to, end_);
  if (to <= from || sums_.empty()) return 0.0;
  // Bins are the finest record: whole bins count fully, the two edge bins by overlap.
  double integral = 0;
  const auto first = static_cast<std::size_t>(from.count_ns() / width_.count_ns());
  const auto last = std::min(sums_.size() - 1, static_cast<std::size_t>((to.count_ns() - 1) / width_.count_ns()));
  for (std::size_t b = first; b <= last; ++b) {
    const Time b0 = bin_start(b), b1 = std::min(b0 + width_, end_);
    const Time o0 = std::max(b0, from), o1 = std::min(b1, to);
    if (o1 <= o0 || b1 <= b0) continue;
    integral += sums_[b] * (o1 - o0).seconds() / (b1 - b0).seconds();
  }
  return integral / (to - from).seconds();
}

double BinnedSeries::average(std::size_t bin) const {
  const Time start = bin_start(bin);
  const Time stop = std::min(start + width_, end_);
  const double span = (stop - start).seconds();
  return span > 0 ? sums_[bin] / span : 0.0;
}

}  // namespace dcsim::power
