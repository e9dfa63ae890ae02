#pragma once
// Quantities with units in scenario files: "80 GB", "400 Gbps", "1.5 ms", "700 W".
// Every quantity is stored in SI base units as a double: bytes, bytes/s, seconds, watts,
// joules, US dollars, FLOP/s. A bare number where a quantity is needed is an error, since
// "bandwidth: 400" could mean any of several things.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dcsim::scenario {

enum class Dimension {
  Bytes,         // B
  Bandwidth,     // bytes per second
  Duration,      // seconds
  Power,         // W
  Energy,        // J
  Money,         // USD
  MoneyPerHour,  // USD per hour (instance or accelerator price)
  MoneyPerEnergy,  // USD per joule (written USD/kWh)
  Compute,       // FLOP per second
};

struct Unit {
  std::string_view symbol;
  double to_base;  // multiply the written number by this to get base units
};

// The units a dimension accepts, in the order an error message lists them.
const std::vector<Unit>& units_of(Dimension d);
std::string_view dimension_name(Dimension d);  // "a byte size", "a bandwidth", ...
std::string_view dimension_example(Dimension d);  // "80 GB"

struct ParsedQuantity {
  std::optional<double> value;  // in base units, when the text parsed
  std::string error;            // otherwise: what is wrong and what is allowed
};
ParsedQuantity parse_quantity(std::string_view text, Dimension d);

// Human-readable output with SI prefixes: format_quantity(4e11, Bandwidth) == "400 GB/s".
std::string format_quantity(double base_value, Dimension d);
// A count with a thousands prefix: 491500 -> "491.5 k", 1.21e6 -> "1.21 M".
std::string format_count(double value);

}  // namespace dcsim::scenario
