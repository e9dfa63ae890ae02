#include "tools/compare_command.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace dcsim::app {
namespace {
// "training.breakdown.compute.seconds" -> value, for every number (lists by index).
void flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, double>& out,
             std::map<std::string, std::string>& text) {
  if (j.is_number()) {
    out[prefix] = j.get<double>();
  } else if (j.is_string()) {
    text[prefix] = j.get<std::string>();
  } else if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out, text);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) flatten(j[i], fmt::format("{}[{}]", prefix, i), out, text);
  }
}
bool load(const std::string& path, nlohmann::json& out) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    std::cerr << fmt::format("error: {} is a folder; give the results.json inside it\n", path);
    return false;
  }
  std::ifstream in(path);
  if (!in) {
    std::cerr << fmt::format("error: cannot open {}\n", path);
    return false;
  }
  try {
    out = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    std::cerr << fmt::format("error: {} is not JSON: {}\n", path, e.what());
    return false;
  }
  return true;
}
}  // namespace

int compare_results(const std::string& a_path, const std::string& b_path) {
  nlohmann::json a, b;
  if (!load(a_path, a) || !load(b_path, b)) return 2;
  std::map<std::string, double> na, nb;
  std::map<std::string, std::string> ta, tb;
  flatten(a, "", na, ta);
  flatten(b, "", nb, tb);
  fmt::print("A: {}  ({})\nB: {}  ({})\n\n", a_path, ta["scenario.name"], b_path, tb["scenario.name"]);
  std::set<std::string> texts;
  for (const auto& [k, v] : ta) texts.insert(k);
  for (const auto& [k, v] : tb) texts.insert(k);
  for (const std::string& k : texts)
    if (ta[k] != tb[k]) fmt::print("{:<52} {:>18}  {:>18}\n", k, ta[k], tb[k]);
  fmt::print("{:<52} {:>14} {:>14} {:>10}\n", "key", "A", "B", "change");
  std::set<std::string> keys;
  for (const auto& [k, v] : na) keys.insert(k);
  for (const auto& [k, v] : nb) keys.insert(k);
  for (const std::string& k : keys) {
    const bool in_a = na.count(k), in_b = nb.count(k);
    const std::string va = in_a ? fmt::format("{:.6g}", na[k]) : "-";
    const std::string vb = in_b ? fmt::format("{:.6g}", nb[k]) : "-";
    std::string change;
    if (in_a && in_b) {
      if (na[k] == nb[k]) change = "=";
      else if (na[k] != 0) change = fmt::format("{:+.1f} %", 100 * (nb[k] / na[k] - 1));
      else change = "new";
    }
    fmt::print("{:<52} {:>14} {:>14} {:>10}\n", k, va, vb, change);
  }
  return 0;
}

}  // namespace dcsim::app
