#include "models/scenario/units.hpp"

#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace dcsim::scenario {

const std::vector<Unit>& units_of(Dimension d) {
  static const std::vector<Unit> bytes = {{"B", 1},         {"KB", 1e3},         {"MB", 1e6},
                                          {"GB", 1e9},      {"TB", 1e12},        {"PB", 1e15},
                                          {"KiB", 1024.0},  {"MiB", 1048576.0},  {"GiB", 1073741824.0},
                                          {"TiB", 1099511627776.0}};
  static const std::vector<Unit> bandwidth = {
      {"bps", 1 / 8.0},   {"Kbps", 1e3 / 8},   {"Mbps", 1e6 / 8},   {"Gbps", 1e9 / 8},
      {"Tbps", 1e12 / 8}, {"B/s", 1},          {"KB/s", 1e3},       {"MB/s", 1e6},
      {"GB/s", 1e9},      {"TB/s", 1e12},      {"GiB/s", 1073741824.0}, {"TiB/s", 1099511627776.0}};
  static const std::vector<Unit> duration = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1},
                                             {"min", 60},  {"h", 3600},  {"d", 86400}};
  static const std::vector<Unit> power = {{"W", 1}, {"kW", 1e3}, {"MW", 1e6}, {"GW", 1e9}};
  static const std::vector<Unit> energy = {{"J", 1},         {"kJ", 1e3},       {"MJ", 1e6},       {"Wh", 3600},
                                           {"kWh", 3.6e6},   {"MWh", 3.6e9},    {"GWh", 3.6e12}};
  static const std::vector<Unit> money = {{"USD", 1}};
  static const std::vector<Unit> money_per_hour = {{"USD/h", 1}};
  static const std::vector<Unit> money_per_energy = {{"USD/kWh", 1 / 3.6e6}, {"USD/MWh", 1 / 3.6e9}};
  static const std::vector<Unit> compute = {{"FLOP/s", 1},     {"GFLOP/s", 1e9},  {"TFLOP/s", 1e12},
                                            {"PFLOP/s", 1e15}, {"EFLOP/s", 1e18}};
  switch (d) {
    case Dimension::Bytes: return bytes;
    case Dimension::Bandwidth: return bandwidth;
    case Dimension::Duration: return duration;
    case Dimension::Power: return power;
    case Dimension::Energy: return energy;
    case Dimension::Money: return money;
    case Dimension::MoneyPerHour: return money_per_hour;
    case Dimension::MoneyPerEnergy: return money_per_energy;
    case Dimension::Compute: return compute;
  }
  return bytes;
}

std::string_view dimension_name(Dimension d) {
  switch (d) {
    case Dimension::Bytes: return "a size in bytes";
    case Dimension::Bandwidth: return "a bandwidth";
    case Dimension::Duration: return "a duration";
    case Dimension::Power: return "a power";
    case Dimension::Energy: return "an energy";
    case Dimension::Money: return "an amount of money";
    case Dimension::MoneyPerHour: return "a price per hour";
    case Dimension::MoneyPerEnergy: return "an energy price";
    case Dimension::Compute: return "a compute rate";
  }
  return "a quantity";
}

std::string_view dimension_example(Dimension d) {
  switch (d) {
    case Dimension::Bytes: return "80 GB";
    case Dimension::Bandwidth: return "400 Gbps";
    case Dimension::Duration: return "1.5 ms";
    case Dimension::Power: return "700 W";
    case Dimension::Energy: return "10 kWh";
    case Dimension::Money: return "1000 USD";
    case Dimension::MoneyPerHour: return "55 USD/h";
    case Dimension::MoneyPerEnergy: return "0.08 USD/kWh";
    case Dimension::Compute: return "989 TFLOP/s";
  }
  return "";
}

namespace {
std::string allowed_units(Dimension d) {
  std::string out;
  for (const Unit& u : units_of(d)) out += (out.empty() ? "" : ", ") + std::string(u.symbol);
  return out;
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

ParsedQuantity parse_quantity(std::string_view text, Dimension d) {
  const std::string_view t = trim(text);
  const std::string expected = fmt::format("expected {} with a unit, such as \"{}\"; units: {}", dimension_name(d),
                                           dimension_example(d), allowed_units(d));
  double number = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), number);
  if (ec != std::errc() || end == t.data()) return {std::nullopt, fmt::format("\"{}\" is not a number; {}", text, expected)};
  const std::string_view unit = trim(std::string_view(end, static_cast<std::size_t>(t.data() + t.size() - end)));
  if (!std::isfinite(number)) return {std::nullopt, fmt::format("\"{}\" is not finite; {}", text, expected)};
  if (unit.empty()) return {std::nullopt, fmt::format("\"{}\" has no unit; {}", text, expected)};
  for (const Unit& u : units_of(d))
    if (u.symbol == unit) return {number * u.to_base, {}};
  return {std::nullopt, fmt::format("unknown unit \"{}\" in \"{}\"; {}", unit, text, expected)};
}

namespace {
std::string scaled_value(double x, const char* const* names, double step, int count) {
  int i = 0;
  while (i + 1 < count && std::abs(x) >= step) {
    x /= step;
    ++i;
  }
  return fmt::format("{:.4g} {}", x, names[i]);
}
}  // namespace

std::string format_count(double v) {
  static const char* const prefixes[] = {"", "k", "M", "B", "T"};
  std::string s = scaled_value(v, prefixes, 1000, 5);
  if (!s.empty() && s.back() == ' ') s.pop_back();  // no prefix
  return s;
}

std::string format_quantity(double v, Dimension d) {
  auto scaled = [v](const char* const* names, double step, int count) { return scaled_value(v, names, step, count); };
  static const char* const bytes[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
  static const char* const bw[] = {"B/s", "KB/s", "MB/s", "GB/s", "TB/s", "PB/s"};
  static const char* const power[] = {"W", "kW", "MW", "GW"};
  static const char* const flops[] = {"FLOP/s", "kFLOP/s", "MFLOP/s", "GFLOP/s", "TFLOP/s", "PFLOP/s", "EFLOP/s"};
  switch (d) {
    case Dimension::Bytes: return scaled(bytes, 1000, 7);
    case Dimension::Bandwidth: return scaled(bw, 1000, 6);
    case Dimension::Power: return scaled(power, 1000, 4);
    case Dimension::Compute: return scaled(flops, 1000, 7);
    case Dimension::Energy: {
      static const char* const wh[] = {"Wh", "kWh", "MWh", "GWh", "TWh"};
      return scaled_value(v / 3600, wh, 1000, 5);
    }
    case Dimension::Duration: {
      const double a = std::abs(v);
      if (a < 1e-6) return fmt::format("{:.4g} ns", v * 1e9);
      if (a < 1e-3) return fmt::format("{:.4g} us", v * 1e6);
      if (a < 1) return fmt::format("{:.4g} ms", v * 1e3);
      if (a < 120) return fmt::format("{:.4g} s", v);
      if (a < 7200) return fmt::format("{:.4g} min", v / 60);
      if (a < 172800) return fmt::format("{:.4g} h", v / 3600);
      return fmt::format("{:.4g} d", v / 86400);
    }
    case Dimension::Money: return std::abs(v) < 1e4 ? fmt::format("{:.2f} USD", v) : format_count(v) + " USD";
    case Dimension::MoneyPerHour: return fmt::format("{:.4g} USD/h", v);
    case Dimension::MoneyPerEnergy: return fmt::format("{:.4g} USD/kWh", v * 3.6e6);
  }
  return fmt::format("{}", v);
}

}  // namespace dcsim::scenario
