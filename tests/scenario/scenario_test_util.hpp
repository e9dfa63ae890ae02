#pragma once
// Helpers: write a scenario to a temporary file and collect load errors as text.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "models/scenario/diagnostics.hpp"
#include "models/scenario/scenario.hpp"

namespace dcsim::testing {

inline std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / "dcsim_tests" / "scenarios";
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path;
}

// The error text load_scenario reports, or "" when the scenario is valid.
inline std::string load_errors(const std::filesystem::path& path, const std::vector<std::string>& overrides = {}) {
  try {
    scenario::load_scenario(path, overrides);
    return "";
  } catch (const scenario::InputError& e) {
    return e.what();
  }
}

}  // namespace dcsim::testing
