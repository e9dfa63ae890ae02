#include "sim/time.hpp"

#include <cstdlib>
#include <fmt/format.h>

namespace dcsim {

std::string to_string(Time t) {
  const std::int64_t n = t.count_ns();
  if (t == Time::max()) return "never";
  const char* sign = n < 0 ? "-" : "";
  const double a = std::abs(static_cast<double>(n));
  if (a < 1e3) return fmt::format("{}{} ns", sign, std::llabs(n));
  if (a < 1e6) return fmt::format("{}{:.4g} us", sign, a / 1e3);
  if (a < 1e9) return fmt::format("{}{:.4g} ms", sign, a / 1e6);
  if (a < 60e9) return fmt::format("{}{:.4g} s", sign, a / 1e9);
  if (a < 3600e9) return fmt::format("{}{:.4g} min", sign, a / 60e9);
  if (a < 86400e9) return fmt::format("{}{:.4g} h", sign, a / 3600e9);
  return fmt::format("{}{:.4g} d", sign, a / 86400e9);
}

}  // namespace dcsim
