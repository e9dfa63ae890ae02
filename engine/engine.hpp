#pragma once
// dcsim as a library: load a scenario, run it, get its results; optionally write the files
// `dcsim SCENARIO` writes. docs/library.md documents the API.
//
// Thread safety: any number of runs may proceed at once in one process, each on its own
// Scenario. They share only immutable data (the built-in catalog, tables of constants) and
// the process-wide table of scenario file names, which is locked. Two runs must not write
// to the same output folder.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/timeseries_table.hpp"
#include "models/scenario/scenario.hpp"

namespace dcsim::engine {

// Loads, merges includes, applies `--set`-style overrides ("key.path=value") and validates.
// Throws scenario::InputError listing every problem (file:line:col, key path, value, what is
// allowed).
scenario::Scenario load(const std::filesystem::path& file, const std::vector<std::string>& overrides = {},
                        std::optional<std::uint64_t> seed = std::nullopt);

// Every check a run makes short of simulating: the cluster and fabric build, and a training
// plan's costs and memory. Throws scenario::InputError for what a run would refuse.
void check(const scenario::Scenario& s);

// Where a run stands, reported about every 65,536 events.
struct RunProgress {
  double simulated_seconds = 0;
  std::uint64_t events = 0;
  std::string_view workload;  // "training", "collective", "flows" or "queueing"
};

struct RunControl {
  // Where to write results.json, timeseries.csv, timeline.csv, report.html, trace.json and
  // flows.csv, as the scenario's `output` section asks. None: no file is written.
  std::optional<std::filesystem::path> out_dir;
  std::function<void(const RunProgress&)> progress;  // observes only; may be empty
};

// One run's outcome. `results` is the results.json document (docs/results.md), the same
// bytes whether or not files are written; `summary` is what `dcsim` prints.
struct RunResult {
  nlohmann::ordered_json results;
  std::string summary;
  TimeSeriesTable timeseries;        // timeseries.csv's table (empty for a queueing run)
  nlohmann::ordered_json timeline;   // timeline.csv's spans: [stage, kind, start_s, end_s, microbatch, chunk]
  std::uint64_t events = 0;
  double simulated_seconds = 0;
  double wall_seconds = 0;

  // A number of the results by its dotted path: "training.iteration_time_s",
  // "power.facility_avg_w", "network.hottest_links.0.utilization" (array items by index).
  // A boolean reads as 1 or 0. Throws std::out_of_range when absent or not a number.
  double number(std::string_view dotted_path) const;
  // Every number and boolean of the results, by dotted path, in document order (arrays
  // are left out: per-link and per-stage tables have no single value).
  std::vector<std::pair<std::string, double>> scalars() const;
};

// Runs a validated scenario. Throws scenario::InputError for a plan the run refuses (one that
// does not fit in memory, say), EnvironmentError when an output file cannot be written, and
// std::exception for anything else (a bug).
RunResult run(const scenario::Scenario& s, const RunControl& control = {});

}  // namespace dcsim::engine
