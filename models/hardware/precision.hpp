#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dcsim::hardware {

// Numeric formats an accelerator computes in; fp32 is non-tensor FP32.
enum class Precision { fp32, tf32, bf16, fp16, fp8, fp4 };
inline constexpr int kPrecisionCount = 6;

std::string_view to_string(Precision p);
std::optional<Precision> parse_precision(std::string_view name);
const std::vector<std::string>& precision_names();
double bytes_per_element(Precision p);  // storage size of one value

}  // namespace dcsim::hardware
