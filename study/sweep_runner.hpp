#pragma once
// Runs a sweep's points on a pool of threads through the library, one run per point, and
// keeps every finished point in the sweep's database at once, so a killed sweep resumes
// where it stopped.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include <optional>
#include <vector>

#include "models/scenario/scenario.hpp"
#include "study/result_store.hpp"
#include "study/sweep_points.hpp"
#include "study/sweep_spec.hpp"

namespace dcsim::study {

struct SweepProgress {
  std::int64_t done = 0;    // points finished in this run (ok or not)
  std::int64_t total = 0;   // points this run has to do
  std::int64_t failed = 0;  // of `done`, those that gave an error
  double wall_seconds = 0;
};

struct SweepOptions {
  std::filesystem::path out_dir;  // sweep.db goes here
  int jobs = 0;                   // threads; 0: one per core
  std::function<void(const SweepProgress&)> progress;  // after each point, on the calling thread
  double rank_timeout_s = 60;  // MPI: a rank silent this long while running a point is taken for dead
};

struct SweepSummary {
  std::int64_t points = 0;    // in the sweep (after filters and the sample)
  std::int64_t skipped = 0;   // already in the database from an earlier run
  std::int64_t ran = 0;       // run now, ok
  std::int64_t invalid = 0;   // refused before running: bad overrides, a derived value or filter that failed
  std::int64_t failed = 0;    // refused or broken while running (a plan that does not fit, say)
  std::int64_t internal = 0;  // of `failed`, internal errors (bugs)
  double wall_seconds = 0;
  std::filesystem::path database;
};

inline constexpr const char* kSweepDatabase = "sweep.db";

// What makes two runs of a sweep the same study (the database's meta table): the base
// scenario, the shared overrides, the axes, and the version that wrote it.
std::map<std::string, std::string> study_identity(const SweepSpec& spec);

// Runs the points that passed the checks (their scenarios loaded alongside, each may be
// taken) and hands each finished row to `record`, on the calling thread. The default runs
// them on a pool of threads; the MPI runner hands them out to other processes.
using SweepExecutor = std::function<void(const std::vector<const SweepPoint*>& points,
                                         std::vector<std::optional<scenario::Scenario>>& loaded,
                                         const std::function<void(PointRow&&)>& record)>;

// Throws scenario::InputError when the database belongs to another sweep, EnvironmentError
// when it cannot be written.
SweepSummary run_sweep(const SweepSpec& spec, const SweepOptions& options, const SweepExecutor& executor = {});

// One point's run and its row (`loaded`: its scenario, or null to load it here).
PointRow run_point(const SweepSpec& spec, const SweepPoint& p, const scenario::Scenario* loaded);

// Every point checked as a run checks it before simulating (overrides, cluster, plan and
// memory: engine::check), none run: the refused ones
// (id, point, error), in sweep order. `points` receives how many the sweep has.
struct RefusedPoint {
  std::int64_t id;
  std::string point;
  std::string error;
};
std::vector<RefusedPoint> check_points(const SweepSpec& spec, int jobs, std::int64_t& points);

}  // namespace dcsim::study
