#include "models/power/binned_series.hpp"

#include <algorithm>
#include <stdexcept>

namespace dcsim::power {

BinnedSeriesSet::BinnedSeriesSet(std::size_t count, Time initial_width, std::size_t max_bins)
    : width_(initial_width),
      max_bins_(max_bins),
      last_(count, Time::zero()),
      value_(count, 0.0),
      open_bin_(count, 0),
      open_end_(count, Time::zero()) {
  if (initial_width <= Time::zero() || max_bins < 2) throw std::invalid_argument("BinnedSeries needs a positive width");
  // Rows never outgrow max_bins (they halve first): reserved once, the bins are never copied
  // to a larger block as they fill (address space only; pages come as rows are written).
  sums_.reserve(max_bins * count);
}

void BinnedSeriesSet::materialize() const {
  if (pending_runs_ == 0) return;
  // Row by row, with the runs that cover the row: the stores of one row sit together.
  std::vector<Run> active;
  const std::size_t n = last_.size();
  for (std::size_t b = 0; b < runs_by_first_.size() || !active.empty(); ++b) {
    if (b < runs_by_first_.size()) {
      active.insert(active.end(), runs_by_first_[b].begin(), runs_by_first_[b].end());
      runs_by_first_[b].clear();
    }
    double* row = sums_.data() + b * n;
    for (std::size_t k = 0; k < active.size();) {
      row[active[k].signal] += active[k].sum;
      if (active[k].end == b + 1) {
        active[k] = active.back();
        active.pop_back();
      } else {
        ++k;
      }
    }
  }
  pending_runs_ = 0;
}

void BinnedSeriesSet::halve_resolution() {
  materialize();
  const std::size_t n = count(), rows = (rows_ + 1) / 2;
  // In place, row by row: row j is written from rows 2j and 2j + 1, which no earlier row
  // overwrote (a plain loop over whole rows: 1,024 racks x 4,096 bins were 3 % of a
  // 16K-GPU iteration indexed bin by bin).
  double* const base = sums_.data();
  for (std::size_t j = 0; j < rows; ++j) {
    double* out = base + j * n;
    const double* even = base + 2 * j * n;
    if (2 * j + 1 < rows_) {
      const double* odd = even + n;
      for (std::size_t i = 0; i < n; ++i) out[i] = even[i] + odd[i];
    } else if (out != even) {
      std::copy(even, even + n, out);
    }
  }
  sums_.resize(rows * n);
  rows_ = rows;
  width_ = width_ * 2;
  std::fill(open_end_.begin(), open_end_.end(), Time::zero());  // bins moved
}

void BinnedSeriesSet::integrate_to(std::size_t i, Time t) {
  if (t < last_[i]) throw std::logic_error("BinnedSeries went back in time");
  if (t < open_end_[i]) {  // most changes fall in the bin of the previous one
    sum(open_bin_[i], i) += value_[i] * (t - last_[i]).seconds();
    last_[i] = t;
    end_ = std::max(end_, t);
    return;
  }
  // Compared in floating point: width x bins overflows int64 for spans near its limit.
  while (static_cast<double>(t.count_ns()) > static_cast<double>(width_.count_ns()) * static_cast<double>(max_bins_))
    halve_resolution();
  const auto needed = static_cast<std::size_t>((t.count_ns() + width_.count_ns() - 1) / width_.count_ns());
  if (rows_ < needed) {
    sums_.resize(needed * count(), 0.0);
    rows_ = needed;
  }
  Time cursor = last_[i];
  while (cursor < t) {
    const auto bin = static_cast<std::size_t>(cursor.count_ns() / width_.count_ns());
    const Time bin_end = width_ * static_cast<std::int64_t>(bin + 1);
    if (cursor == width_ * static_cast<std::int64_t>(bin) && bin_end <= t) {
      // Whole bins from here: one run (the same product each bin would have added).
      const auto end = static_cast<std::size_t>(t.count_ns() / width_.count_ns());
      if (runs_by_first_.size() < rows_) runs_by_first_.resize(rows_);
      runs_by_first_[bin].push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(end),
                                     value_[i] * width_.seconds()});
      ++pending_runs_;
      cursor = width_ * static_cast<std::int64_t>(end);
      continue;
    }
    const Time piece_end = std::min(bin_end, t);
    sum(bin, i) += value_[i] * (piece_end - cursor).seconds();
    cursor = piece_end;
    if (piece_end < bin_end) {
      open_bin_[i] = bin;
      open_end_[i] = bin_end;
    }
  }
  last_[i] = t;
  end_ = std::max(end_, t);
}

void BinnedSeriesSet::finish(Time t) {
  for (std::size_t i = 0; i < count(); ++i) integrate_to(i, t);
  materialize();
}

// Calls add(bin, overlap seconds, bin seconds) for each bin that [from, to], clipped to the
// record, overlaps; returns the clipped span in seconds (0: nothing recorded there). Bins are
// the finest record: whole bins count fully, the two edge bins by overlap.
template <class Add>
double BinnedSeriesSet::walk_bins(Time from, Time to, Add add) const {
  from = std::max(from, Time::zero());
  to = std::min(to, end_);
  if (to <= from || rows_ == 0) return 0.0;
  const auto first = static_cast<std::size_t>(from.count_ns() / width_.count_ns());
  const auto last = std::min(rows_ - 1, static_cast<std::size_t>((to.count_ns() - 1) / width_.count_ns()));
  for (std::size_t b = first; b <= last; ++b) {
    const Time b0 = bin_start(b), b1 = std::min(b0 + width_, end_);
    const Time o0 = std::max(b0, from), o1 = std::min(b1, to);
    if (o1 <= o0 || b1 <= b0) continue;
    add(b, (o1 - o0).seconds(), (b1 - b0).seconds());
  }
  return (to - from).seconds();
}

double BinnedSeriesSet::average_over(std::size_t i, Time from, Time to) const {
  double integral = 0;
  const double seconds =
      walk_bins(from, to, [&](std::size_t b, double overlap, double span) { integral += sum(b, i) * overlap / span; });
  return seconds > 0 ? integral / seconds : 0.0;
}

void BinnedSeriesSet::averages_over(Time from, Time to, std::vector<double>& out) const {
  out.assign(count(), 0.0);
  materialize();
  const std::size_t n = count();
  // (each term as average_over forms it, added in bin order)
  const double seconds = walk_bins(from, to, [&](std::size_t b, double overlap, double span) {
    const double* row = sums_.data() + b * n;
    for (std::size_t i = 0; i < n; ++i) out[i] += row[i] * overlap / span;
  });
  if (seconds > 0)
    for (double& v : out) v /= seconds;
}

double BinnedSeriesSet::average(std::size_t i, std::size_t bin) const {
  const Time start = bin_start(bin);
  const Time stop = std::min(start + width_, end_);
  const double span = (stop - start).seconds();
  return span > 0 ? sum(bin, i) / span : 0.0;
}

}  // namespace dcsim::power
