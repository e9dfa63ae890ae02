#pragma once
// A validated scenario: plain typed structs, units resolved. Models never see YAML.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "models/workload/queueing_workload.hpp"

namespace dcsim::scenario {

enum class WorkloadType { Queueing };

struct OutputOptions {
  bool trace = true;                     // write trace.json
  std::int64_t trace_max_events = 2'000'000;
  std::vector<std::int64_t> trace_ranks;  // empty: a sample chosen by the workload
};

struct Scenario {
  std::string source;  // file the scenario came from
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  WorkloadType workload_type = WorkloadType::Queueing;
  workload::QueueingConfig queueing;
  OutputOptions output;
};

// Loads, merges includes, applies overrides, validates. Throws InputError listing every
// problem (file:line:col, key path, value, what is allowed).
Scenario load_scenario(const std::filesystem::path& file, const std::vector<std::string>& overrides);

}  // namespace dcsim::scenario
