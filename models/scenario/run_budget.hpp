#pragma once
// What a run will hold in memory, estimated before it starts, so that a scenario the machine
// cannot hold is refused with its size named instead of dying of bad_alloc hours later.
// The per-item figures are measured on this simulator (docs/results.md, "Limits").
#include <cstdint>
#include <string>

#include "models/scenario/scenario.hpp"

namespace dcsim::scenario {

// Default budget: 16 GB (a workstation's worth); `memory_budget:` in the scenario changes it.
inline constexpr double kDefaultMemoryBudget = 16e9;

struct RunFootprint {
  double bytes = 0;
  std::string biggest;  // what most of it is, for the message
};

// `devices`: the cluster's size (0 without a cluster).
RunFootprint estimate_footprint(const Scenario& s, std::int64_t devices);

}  // namespace dcsim::scenario
