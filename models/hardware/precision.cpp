#include "models/hardware/precision.hpp"

namespace dcsim::hardware {

const std::vector<std::string>& precision_names() {
  static const std::vector<std::string> names = {"fp32", "tf32", "bf16", "fp16", "fp8", "fp4"};
  return names;
}

std::string_view to_string(Precision p) { return precision_names()[static_cast<int>(p)]; }

std::optional<Precision> parse_precision(std::string_view name) {
  const auto& names = precision_names();
  for (int i = 0; i < kPrecisionCount; ++i)
    if (names[i] == name) return static_cast<Precision>(i);
  return std::nullopt;
}

double bytes_per_element(Precision p) {
  switch (p) {
    case Precision::fp32:
    case Precision::tf32: return 4;
    case Precision::bf16:
    case Precision::fp16: return 2;
    case Precision::fp8: return 1;
    case Precision::fp4: return 0.5;
  }
  return 2;
}

}  // namespace dcsim::hardware
