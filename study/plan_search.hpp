#pragma once
// `dcsim plan`: every valid parallel plan for a scenario's model on its cluster, screened by
// the memory model and a fast analytical estimate, the best then ranked by the full
// discrete-event simulation with contention (docs/plan_search.md).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "models/scenario/scenario.hpp"
#include "study/plan_estimate.hpp"
#include "study/sweep_runner.hpp"

namespace dcsim::study {

// The values each dimension may take; an empty list is chosen from the model and cluster.
struct PlanSpace {
  std::vector<std::int64_t> tp, pp, cp, ep, virtual_stages, microbatch;
  std::vector<workload::Recompute> recompute;
  std::vector<int> zero;
};

struct PlanCandidate {
  workload::ParallelPlan plan;
  std::string rejected;      // why it was dropped in screening; empty when it fits
  double peak_memory = 0;    // bytes per device at the fullest pipeline stage
  PlanEstimate estimate;
  std::vector<std::string> overrides() const;  // `--set` overrides that give this plan
  std::string label() const;                   // "TP8 PP16 DP128 CP1 EP1 VS1 mb1 recompute none zero 1"
};

struct PlanSearchOptions {
  PlanSpace space;
  std::int64_t top = 50;  // candidates the discrete-event simulation ranks
  int jobs = 0;           // threads; 0: one per core
  std::filesystem::path out_dir;
  std::function<void(const SweepProgress&)> progress;  // the ranking runs
};

struct PlanSearchResult {
  std::vector<PlanCandidate> candidates;  // every plan screened: fitting ones by estimate first
  std::int64_t fitting = 0;               // plans that are valid and fit in memory
  double screen_seconds = 0;
  SweepSummary ranking;                   // the discrete-event runs of the top plans (sweep.db)
  std::filesystem::path sweep_file;       // the sweep the ranking ran (the top plans as a zip)
};

// The plans of the space that are valid for the model and cluster (the checks `workload:`
// makes: divisibility of heads, layers, experts, sequence, batch and devices), each with its
// dimensions only; the other settings come from the scenario's plan.
std::vector<workload::ParallelPlan> enumerate_plans(const scenario::Scenario& s, const PlanSpace& space);

// Screens every plan (memory, estimate) on `jobs` threads; no simulation.
std::vector<PlanCandidate> screen_plans(const scenario::Scenario& s, const std::vector<workload::ParallelPlan>& plans,
                                        int jobs);

// The whole search. `scenario_file` and `overrides` give the base the ranking runs load.
PlanSearchResult search_plans(const std::filesystem::path& scenario_file, const std::vector<std::string>& overrides,
                              const PlanSearchOptions& options);

}  // namespace dcsim::study
