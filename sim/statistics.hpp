#pragma once
// Exact statistics updated on events, never by sampling.
#include <cstdint>
#include <vector>

#include "sim/time.hpp"

namespace dcsim {

// Neumaier-compensated sum: integrals over millions of intervals stay exact to the last bits.
class CompensatedSum {
 public:
  void add(double x);
  double value() const { return sum_ + compensation_; }

 private:
  double sum_ = 0.0;
  double compensation_ = 0.0;
};

class Counter {
 public:
  void add(double amount = 1.0) { total_.add(amount); ++events_; }
  double total() const { return total_.value(); }
  std::uint64_t events() const { return events_; }

 private:
  CompensatedSum total_;
  std::uint64_t events_ = 0;
};

// A piecewise-constant signal: set() closes the previous piece and integrates it exactly.
class TimeWeighted {
 public:
  explicit TimeWeighted(Time start = Time::zero(), double initial = 0.0) : start_(start), last_(start), value_(initial) {}
  void set(Time t, double value);
  double value() const { return value_; }
  // Integral of value over [start, t] in value x seconds; t must not precede the last set().
  double integral(Time t) const;
  double average(Time t) const;
  double max() const { return max_seen_ > value_ ? max_seen_ : value_; }

 private:
  Time start_, last_;
  double value_;
  double max_seen_ = -1e308;
  CompensatedSum integral_;
};

// Every sample kept: exact mean, spread and percentiles (linear interpolation between order
// statistics, as numpy's default), plus counts over caller-chosen bins.
class Histogram {
 public:
  void add(double x);
  std::uint64_t count() const { return samples_.size(); }
  double mean() const;
  double stddev() const;  // population standard deviation
  double min() const;
  double max() const;
  double sum() const { return sum_.value(); }
  double percentile(double p) const;  // p in [0, 100]
  // counts[i] holds samples in [edges[i], edges[i+1]); the last bin also takes edges.back().
  std::vector<std::uint64_t> bin_counts(const std::vector<double>& edges) const;

 private:
  void sort_if_needed() const;
  mutable std::vector<double> samples_;
  mutable bool sorted_ = true;
  CompensatedSum sum_;
};

// Records (time, value) pairs; a repeated value is not stored again, and a second value at
// the same time replaces the first (only the settled value at each instant matters).
class TimeSeries {
 public:
  struct Point {
    Time time;
    double value;
  };
  void record(Time t, double value);
  const std::vector<Point>& points() const { return points_; }
  // Value in force at t (the last point at or before t); 0 before the first point.
  double value_at(Time t) const;

 private:
  std::vector<Point> points_;
};

}  // namespace dcsim
