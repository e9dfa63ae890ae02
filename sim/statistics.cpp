#include "sim/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dcsim {

void CompensatedSum::add(double x) {
  const double t = sum_ + x;
  if (std::abs(sum_) >= std::abs(x))
    compensation_ += (sum_ - t) + x;
  else
    compensation_ += (x - t) + sum_;
  sum_ = t;
}

void TimeWeighted::set(Time t, double value) {
  if (t < last_) throw std::logic_error("TimeWeighted::set went back in time");
  integral_.add(value_ * (t - last_).seconds());
  if (value_ > max_seen_) max_seen_ = value_;
  last_ = t;
  value_ = value;
}

double TimeWeighted::integral(Time t) const {
  if (t < last_) throw std::logic_error("TimeWeighted::integral asked before the last change");
  CompensatedSum total = integral_;
  total.add(value_ * (t - last_).seconds());
  return total.value();
}

double TimeWeighted::average(Time t) const {
  const double span = (t - start_).seconds();
  return span > 0 ? integral(t) / span : value_;
}

void Histogram::add(double x) {
  if (!samples_.empty() && x < samples_.back()) sorted_ = false;
  samples_.push_back(x);
  sum_.add(x);
}

void Histogram::sort_if_needed() const {
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
}

double Histogram::mean() const { return samples_.empty() ? 0.0 : sum() / double(samples_.size()); }

double Histogram::stddev() const {
  if (samples_.empty()) return 0.0;
  const double m = mean();
  CompensatedSum sq;
  for (double x : samples_) sq.add((x - m) * (x - m));
  return std::sqrt(sq.value() / double(samples_.size()));
}

double Histogram::min() const {
  sort_if_needed();
  return samples_.empty() ? 0.0 : samples_.front();
}

double Histogram::max() const {
  sort_if_needed();
  return samples_.empty() ? 0.0 : samples_.back();
}

double Histogram::percentile(double p) const {
  if (p < 0 || p > 100) throw std::invalid_argument("percentile must be within [0, 100]");
  if (samples_.empty()) return 0.0;
  sort_if_needed();
  const double rank = p / 100.0 * double(samples_.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const std::size_t hi = std::min(lo + 1, samples_.size() - 1);
  return samples_[lo] + (rank - double(lo)) * (samples_[hi] - samples_[lo]);
}

std::vector<std::uint64_t> Histogram::bin_counts(const std::vector<double>& edges) const {
  if (edges.size() < 2) throw std::invalid_argument("histogram bins need at least two edges");
  std::vector<std::uint64_t> counts(edges.size() - 1, 0);
  for (double x : samples_) {
    if (x < edges.front() || x > edges.back()) continue;
    auto it = std::upper_bound(edges.begin(), edges.end(), x);
    auto bin = static_cast<std::size_t>(it - edges.begin()) - 1;
    if (bin == counts.size()) --bin;  // x == last edge
    ++counts[bin];
  }
  return counts;
}

void TimeSeries::record(Time t, double value) {
  if (!points_.empty()) {
    Point& last = points_.back();
    if (t < last.time) throw std::logic_error("TimeSeries::record went back in time");
    if (t == last.time) {
      last.value = value;
      if (points_.size() >= 2 && points_[points_.size() - 2].value == value) points_.pop_back();
      return;
    }
    if (last.value == value) return;
  }
  points_.push_back({t, value});
}

double TimeSeries::value_at(Time t) const {
  auto it = std::upper_bound(points_.begin(), points_.end(), t, [](Time x, const Point& p) { return x < p.time; });
  return it == points_.begin() ? 0.0 : std::prev(it)->value;
}

}  // namespace dcsim
