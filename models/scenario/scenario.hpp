#pragma once
// A validated scenario: plain typed structs, units resolved. Models never see YAML.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "models/hardware/catalog.hpp"
#include "models/power/cost.hpp"
#include "models/power/power_model.hpp"
#include "models/scenario/hardware_sections.hpp"
#include "models/scenario/network_section.hpp"
#include "models/scenario/reliability_section.hpp"
#include "models/scenario/training_section.hpp"
#include "models/workload/network_workloads.hpp"
#include "models/workload/queueing_workload.hpp"

namespace dcsim::scenario {

enum class WorkloadType { Queueing, Collective, Flows, Training };

struct OutputOptions {
  bool trace = true;                     // write trace.json
  std::int64_t trace_max_events = 2'000'000;
  std::vector<std::int64_t> trace_ranks;  // empty: a sample chosen by the workload
  bool timeseries = true;                 // write timeseries.csv
  bool report = true;                     // write report.html
};

struct Scenario {
  std::string source;  // file the scenario came from
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  double memory_budget = 16e9;  // bytes the run may hold (run_budget.hpp)
  WorkloadType workload_type = WorkloadType::Queueing;
  workload::QueueingConfig queueing;
  OutputOptions output;

  hardware::Catalog catalog;  // built-in entries plus the scenario's `catalog:` section
  ClusterConfig cluster;
  power::FacilitySpec facility;
  power::CostSpec cost;
  NetworkConfig network;

  workload::CollectiveConfig collective;
  std::vector<workload::FlowSpec> flows;          // explicit flows
  std::vector<workload::PatternSpec> flow_patterns;  // expanded at run time with the seed
  TrainingConfig training;
  ReliabilityConfig reliability;  // whole runs with failures (training only)
};

// Loads, merges includes, applies overrides, validates. Throws InputError listing every
// problem (file:line:col, key path, value, what is allowed).
Scenario load_scenario(const std::filesystem::path& file, const std::vector<std::string>& overrides);

// Only the hardware catalog a scenario file sees (for `dcsim catalog --scenario`).
hardware::Catalog load_catalog_of(const std::filesystem::path& file);

}  // namespace dcsim::scenario
