#pragma once
// `dcsim sweep FILE`: run every point of a sweep on all cores, keep them in sweep.db, write
// report.html (and sweep.csv with --csv). docs/sweeps.md.
#include <filesystem>
#include <optional>
#include <vector>

namespace dcsim::app {

struct SweepCommandOptions {
  std::filesystem::path file;
  std::optional<std::filesystem::path> out_dir;  // default: out/<sweep name>
  int jobs = 0;                                  // 0: one per core
  bool csv = false;
  bool dry_run = false;  // check every point, run none
  std::vector<std::filesystem::path> merge;  // other runs' databases to merge in, instead of running
  bool quiet = false;
  double rank_timeout_s = 60;  // MPI: a rank silent this long while running a point is taken for dead
};

// Exit code: 0 every point ran, 2 bad input (the sweep file, or some points refused: the
// rest ran), 3 the machine refused, 1 an internal error.
int run_sweep_command(const SweepCommandOptions& options);

}  // namespace dcsim::app
