#pragma once
// Simulated time: a signed 64-bit count of nanoseconds wrapped in a strong type.
// Integer time keeps runs bit-identical; +-292 years of range is plenty.
#include <cstdint>
#include <limits>
#include <string>

namespace dcsim {

class Time {
 public:
  constexpr Time() = default;
  static constexpr Time ns(std::int64_t v) { return Time(v); }
  static constexpr Time us(double v) { return from_seconds(v * 1e-6); }
  static constexpr Time ms(double v) { return from_seconds(v * 1e-3); }
  static constexpr Time s(double v) { return from_seconds(v); }
  static constexpr Time h(double v) { return from_seconds(v * 3600.0); }
  // Rounds to the nearest nanosecond; saturates instead of overflowing.
  static constexpr Time from_seconds(double seconds) {
    const double n = seconds * 1e9;
    if (n >= 9.2e18) return max();
    if (n <= -9.2e18) return Time(std::numeric_limits<std::int64_t>::min());
    return Time(static_cast<std::int64_t>(n < 0 ? n - 0.5 : n + 0.5));
  }
  static constexpr Time zero() { return Time(0); }
  static constexpr Time max() { return Time(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t count_ns() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }

  constexpr Time operator+(Time o) const { return Time(ns_ + o.ns_); }
  constexpr Time operator-(Time o) const { return Time(ns_ - o.ns_); }
  constexpr Time& operator+=(Time o) { ns_ += o.ns_; return *this; }
  constexpr Time& operator-=(Time o) { ns_ -= o.ns_; return *this; }
  constexpr Time operator*(std::int64_t k) const { return Time(ns_ * k); }
  constexpr auto operator<=>(const Time&) const = default;

 private:
  constexpr explicit Time(std::int64_t v) : ns_(v) {}
  std::int64_t ns_ = 0;
};

// "1.5 ms", "3 h 2 min", "250 ns": picks the largest unit that keeps the value >= 1.
std::string to_string(Time t);

namespace time_literals {
constexpr Time operator""_ns(unsigned long long v) { return Time::ns(static_cast<std::int64_t>(v)); }
constexpr Time operator""_us(unsigned long long v) { return Time::ns(static_cast<std::int64_t>(v) * 1000); }
constexpr Time operator""_ms(unsigned long long v) { return Time::ns(static_cast<std::int64_t>(v) * 1000000); }
constexpr Time operator""_s(unsigned long long v) { return Time::ns(static_cast<std::int64_t>(v) * 1000000000); }
}  // namespace time_literals

}  // namespace dcsim
