#include "study/sweep_runner.hpp"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "dcsim_version.hpp"
#include "engine/engine.hpp"
#include "models/scenario/diagnostics.hpp"
#include "sim/atomic_file.hpp"
#include "study/result_store.hpp"
#include "study/sweep_points.hpp"

namespace dcsim::study {
namespace fs = std::filesystem;

std::map<std::string, std::string> study_identity(const SweepSpec& spec) {
  std::string set, axes;
  for (const auto& s : spec.set) set += s + "\n";
  for (const auto& k : spec.axis_keys()) axes += (axes.empty() ? "" : "\n") + k;
  return {{"scenario", fs::weakly_canonical(spec.scenario).string()},
          {"set", set},
          {"axes", axes},
          {"dcsim_version", DCSIM_VERSION}};
}

namespace {

// Runs `count` tasks on `jobs` threads; `task(i)` must be thread-safe.
void parallel_for(std::size_t count, int jobs, const std::function<void(std::size_t)>& task) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < count;) task(i);
  };
  std::vector<std::jthread> threads;
  for (int t = 1; t < jobs; ++t) threads.emplace_back(worker);
  worker();
}

int job_count(int jobs) { return jobs > 0 ? jobs : std::max(1, int(std::thread::hardware_concurrency())); }

// Each point's scenario, or why it was refused (a derived value, an override).
void load_points(const SweepSpec& spec, const std::vector<const SweepPoint*>& todo, int jobs,
                 std::vector<std::optional<scenario::Scenario>>& loaded, std::vector<std::string>& refused) {
  loaded.assign(todo.size(), std::nullopt);
  refused.assign(todo.size(), std::string());
  parallel_for(todo.size(), jobs, [&](std::size_t i) {
    if (!todo[i]->error.empty()) {
      refused[i] = todo[i]->error;
      return;
    }
    try {
      loaded[i] = engine::load(spec.scenario, todo[i]->overrides(spec));
    } catch (const scenario::InputError& e) {
      refused[i] = e.what();
    }
  });
}

PointRow error_row(const SweepPoint& p, std::string error) {
  PointRow r;
  r.id = p.id;
  r.key = p.key();
  r.axes = p.values;
  r.error = std::move(error);
  while (!r.error.empty() && r.error.back() == '\n') r.error.pop_back();
  return r;
}

}  // namespace

PointRow run_point(const SweepSpec& spec, const SweepPoint& p, const scenario::Scenario* loaded) {
  PointRow row = error_row(p, "");
  const auto t0 = std::chrono::steady_clock::now();
  try {
    const engine::RunResult r = engine::run(loaded ? *loaded : engine::load(spec.scenario, p.overrides(spec)));
    row.ok = true;
    row.scalars = r.scalars();
    row.results_json = r.results.dump();
  } catch (const scenario::InputError& e) {
    row = error_row(p, e.what());
  } catch (const std::exception& e) {
    row = error_row(p, std::string("internal error: ") + e.what());
    row.internal = true;
  }
  row.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return row;
}

// The runs on a pool of threads: workers hand finished rows to the calling thread, which
// alone records them.
void run_on_threads(const SweepSpec& spec, int jobs, const std::vector<const SweepPoint*>& points,
                    std::vector<std::optional<scenario::Scenario>>& loaded, const std::function<void(PointRow&&)>& record) {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<PointRow> finished_rows;
  std::jthread pool([&] {
    parallel_for(points.size(), job_count(jobs), [&](std::size_t k) {
      PointRow row = run_point(spec, *points[k], loaded[k] ? &*loaded[k] : nullptr);
      loaded[k].reset();  // its memory back as soon as it has run
      std::lock_guard lock(mutex);
      finished_rows.push_back(std::move(row));
      ready.notify_one();
    });
  });
  for (std::size_t written = 0; written < points.size(); ++written) {
    std::unique_lock lock(mutex);
    ready.wait(lock, [&] { return !finished_rows.empty(); });
    PointRow row = std::move(finished_rows.front());
    finished_rows.pop_front();
    lock.unlock();
    record(std::move(row));
  }
}

SweepSummary run_sweep(const SweepSpec& spec, const SweepOptions& options, const SweepExecutor& executor) {
  const auto start = std::chrono::steady_clock::now();
  const auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const int jobs = job_count(options.jobs);

  SweepSummary summary;
  const std::vector<SweepPoint> points = expand_points(spec);
  summary.points = std::int64_t(points.size());
  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec) throw EnvironmentError(fmt::format("cannot create output folder {}: {}", options.out_dir.string(), ec.message()));
  summary.database = options.out_dir / kSweepDatabase;
  ResultStore store(summary.database, study_identity(spec));

  const std::set<std::string> finished = store.finished_keys();
  std::vector<const SweepPoint*> todo;
  for (const SweepPoint& p : points)
    if (!finished.count(p.key())) todo.push_back(&p);
  summary.skipped = summary.points - std::int64_t(todo.size());

  SweepProgress progress;
  progress.total = std::int64_t(todo.size());
  auto record = [&](const PointRow& row) {
    store.insert(row);
    ++progress.done;
    if (!row.ok) ++progress.failed;
    progress.wall_seconds = seconds();
    if (options.progress) options.progress(progress);
  };

  // Every point is checked before anything runs: its overrides must load and validate.
  std::vector<std::optional<scenario::Scenario>> loaded;
  std::vector<std::string> refused;
  load_points(spec, todo, jobs, loaded, refused);
  std::vector<const SweepPoint*> runnable;
  std::vector<std::optional<scenario::Scenario>> runnable_loaded;
  for (std::size_t i = 0; i < todo.size(); ++i) {
    if (loaded[i]) {
      runnable.push_back(todo[i]);
      runnable_loaded.push_back(std::move(loaded[i]));
      continue;
    }
    record(error_row(*todo[i], refused[i]));
    ++summary.invalid;
  }
  loaded.clear();

  const auto record_run = [&](PointRow&& row) {
    if (row.ok)
      ++summary.ran;
    else
      ++summary.failed;
    if (row.internal) ++summary.internal;
    record(row);
  };
  if (executor)
    executor(runnable, runnable_loaded, record_run);
  else
    run_on_threads(spec, jobs, runnable, runnable_loaded, record_run);
  summary.wall_seconds = seconds();
  return summary;
}

std::vector<RefusedPoint> check_points(const SweepSpec& spec, int jobs, std::int64_t& count) {
  const std::vector<SweepPoint> points = expand_points(spec);
  count = std::int64_t(points.size());
  std::vector<const SweepPoint*> all;
  for (const SweepPoint& p : points) all.push_back(&p);
  std::vector<std::optional<scenario::Scenario>> loaded;
  std::vector<std::string> refused;
  load_points(spec, all, job_count(jobs), loaded, refused);
  // And what a run checks before simulating: the cluster builds, the plan fits in memory.
  parallel_for(all.size(), job_count(jobs), [&](std::size_t i) {
    if (!loaded[i]) return;
    try {
      engine::check(*loaded[i]);
    } catch (const scenario::InputError& e) {
      refused[i] = e.what();
      loaded[i].reset();
    }
  });
  std::vector<RefusedPoint> out;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (loaded[i]) continue;
    std::string why = refused[i];
    while (!why.empty() && why.back() == '\n') why.pop_back();
    out.push_back({all[i]->id, all[i]->key(), why});
  }
  return out;
}

}  // namespace dcsim::study
