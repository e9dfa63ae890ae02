#pragma once
// A sweep file: a base scenario and the axes to vary (docs/sweeps.md). Every point of a
// sweep is the base scenario with `--set` overrides.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "study/expression.hpp"

namespace dcsim::study {

struct Axis {
  std::string key;                  // a scenario key path, e.g. cluster.servers
  std::vector<std::string> values;  // the values it takes (empty for a derived axis)
  std::optional<Expression> derived;  // computed from the other keys of the point
};

// One step of the grid: one axis, or several that move together (a zip).
struct GridStep {
  std::vector<Axis> axes;
  std::size_t size() const { return axes.front().values.size(); }
};

struct SweepSpec {
  std::filesystem::path file;
  std::string name;
  std::filesystem::path scenario;      // the base, relative paths resolved against the sweep file
  std::vector<std::string> set;        // overrides every point shares
  std::vector<GridStep> grid;          // combined as a product, the first step slowest
  std::vector<Axis> derived;           // evaluated in order on each point of the grid
  std::vector<Expression> filters;     // a point runs only if every filter holds
  std::optional<std::int64_t> sample;  // run this many points drawn from the filtered grid
  std::uint64_t seed = 1;              // for random axes and the sample

  std::vector<std::string> axis_keys() const;  // grid keys in order, then derived ones
};

// Reads and checks a sweep file. Throws scenario::InputError listing every problem
// (file:line:col, key path, value, what is allowed).
SweepSpec load_sweep(const std::filesystem::path& file);

// The most points a sweep may have before filters, so a typo cannot ask for 10^12 runs.
inline constexpr std::int64_t kMaxGridPoints = 10'000'000;

}  // namespace dcsim::study
