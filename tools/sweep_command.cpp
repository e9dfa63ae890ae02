#include "tools/sweep_command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "models/scenario/diagnostics.hpp"
#include "sim/atomic_file.hpp"
#include "study/result_store.hpp"
#include "study/sweep_report.hpp"
#include "study/sweep_runner.hpp"
#if DCSIM_WITH_MPI
#include "study/mpi_sweep.hpp"
#endif
#include "tools/run_command.hpp"

namespace dcsim::app {
namespace fs = std::filesystem;

namespace {

// "[sweep] 37/120 points | 3.1 points/s | about 27 s left | 2 errors", on a terminal only.
class SweepProgressBar {
 public:
  explicit SweepProgressBar(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO)) {}
  ~SweepProgressBar() {
    if (shown_) std::fputs("\r\033[K", stderr);
  }
  void update(const study::SweepProgress& p) {
    if (!enabled_ || (p.wall_seconds - last_ < 0.2 && p.done < p.total)) return;
    last_ = p.wall_seconds;
    shown_ = true;
    const double rate = p.wall_seconds > 0 ? double(p.done) / p.wall_seconds : 0;
    const std::string left = rate > 0 ? fmt::format(" | about {:.0f} s left", double(p.total - p.done) / rate) : "";
    const int width = 24, filled = p.total > 0 ? int(double(width) * double(p.done) / double(p.total)) : width;
    std::fprintf(stderr, "\r\033[K[%s%s] %lld/%lld points | %.3g points/s%s%s", std::string(std::size_t(filled), '#').c_str(),
                 std::string(std::size_t(width - filled), ' ').c_str(), static_cast<long long>(p.done),
                 static_cast<long long>(p.total), rate, left.c_str(),
                 p.failed ? fmt::format(" | {} errors", p.failed).c_str() : "");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  bool shown_ = false;
  double last_ = -1;
};

// Every point checked, none run: the count, and the refused points with their errors.
int dry_run(const study::SweepSpec& spec, int jobs) {
  std::int64_t points = 0;
  const auto refused = study::check_points(spec, jobs, points);
  fmt::print("{}: {} points, {} would run, {} refused\n", spec.name, points, points - std::int64_t(refused.size()),
             refused.size());
  for (const auto& r : refused) std::cerr << fmt::format("point {} ({}): {}\n", r.id, r.point, r.error);
  return refused.empty() ? 0 : 2;
}

int sweep(const SweepCommandOptions& options) {
  const study::SweepSpec spec = study::load_sweep(options.file);
  if (options.out_dir && options.out_dir->empty()) {
    std::cerr << "error: --out: an empty folder name; give a folder, or leave --out out for out/<sweep name>/\n";
    return 2;
  }
  if (options.dry_run) return dry_run(spec, options.jobs);
  const fs::path out = options.out_dir.value_or(fs::path("out") / spec.name);
  remove_temporary_files_on_signals();
  study::SweepSummary s;
  if (!options.merge.empty()) {
    // Several runs' databases (machines, clusters) into this one; nothing runs.
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) throw EnvironmentError(fmt::format("cannot create output folder {}: {}", out.string(), ec.message()));
    study::ResultStore store(out / study::kSweepDatabase, study::study_identity(spec));
    for (const auto& db : options.merge) {
      const std::int64_t added = store.merge_from(db);
      if (!options.quiet) fmt::print("{}: {} points merged from {}\n", spec.name, added, db.string());
    }
    const auto table = store.table();
    study::write_sweep_report(out / "report.html", spec.name, table, spec.axis_keys());
    if (options.csv) store.write_csv(out / "sweep.csv");
    if (!options.quiet) fmt::print("  {} points in {}\n", table.rows.size(), (out / study::kSweepDatabase).string());
    return 0;
  }
  {
    SweepProgressBar bar(!options.quiet);
    study::SweepOptions so;
    so.out_dir = out;
    so.jobs = options.jobs;
    so.rank_timeout_s = options.rank_timeout_s;
    so.progress = [&bar](const study::SweepProgress& p) { bar.update(p); };
#if DCSIM_WITH_MPI
    if (study::launched_by_mpi()) {
      const study::MpiSweep m = study::run_sweep_mpi(spec, so);
      if (!m.coordinator) return 0;  // rank 0 reports
      s = m.summary;
    } else {
      s = study::run_sweep(spec, so);
    }
#else
    if (std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE")) {
      std::cerr << "error: this dcsim was built without MPI; install libopenmpi-dev and rebuild, or run without mpirun\n";
      return kEnvironmentErrorExit;
    }
    s = study::run_sweep(spec, so);
#endif
  }
  const study::ResultStore store(s.database, {});
  const auto table = store.table();
  study::write_sweep_report(out / "report.html", spec.name, table, spec.axis_keys());
  if (options.csv) store.write_csv(out / "sweep.csv");
  if (!options.quiet) {
    fmt::print("{}: {} points; {} ran now, {} already done", spec.name, s.points, s.ran, s.skipped);
    if (s.invalid) fmt::print(", {} refused before running", s.invalid);
    if (s.failed) fmt::print(", {} failed while running", s.failed);
    fmt::print(" ({:.1f} s wall, {:.3g} points/s)\n", s.wall_seconds,
               s.wall_seconds > 0 ? double(s.ran + s.failed) / s.wall_seconds : 0.0);
    fmt::print("  results in {} (report.html{})\n", s.database.string(), options.csv ? ", sweep.csv" : "");
  }
  // The errors themselves, a few, so a researcher sees them without opening the database.
  if (s.invalid || s.failed) {
    int shown = 0;
    for (const auto& row : table.rows)
      if (row[2] != "ok" && shown++ < 5) std::cerr << fmt::format("point {} ({}): {}\n", row[0], row[1], row[3]);
    if (shown > 5) std::cerr << fmt::format("... and {} more (status = 'error' in the database)\n", shown - 5);
  }
  if (s.internal) return 1;
  return s.invalid || s.failed ? 2 : 0;
}

}  // namespace

int run_sweep_command(const SweepCommandOptions& options) {
  return with_exit_codes([&] { return sweep(options); });
}

}  // namespace dcsim::app
