#pragma once
// `mpirun -n N dcsim sweep FILE`: the same sweep across processes and machines (docs/sweeps.md,
// "Across machines"). Rank 0 checks every point, hands the runnable ones out one at a time to
// ranks 1..N-1 as they ask for work, and writes every finished row into the one database;
// the others run points. The rows are those of the threaded run, row for row.
#include "study/sweep_runner.hpp"

namespace dcsim::study {

// Whether this process was started by an MPI launcher (Open MPI's mpirun, or a PMI/PMIx one
// such as Slurm's srun) as one of several ranks.
bool launched_by_mpi();

struct MpiSweep {
  bool coordinator = false;  // rank 0: it holds the database and the summary
  int ranks = 1;
  SweepSummary summary;      // on rank 0
};

// Initializes and finalizes MPI around the sweep. Throws as run_sweep does (on rank 0).
MpiSweep run_sweep_mpi(const SweepSpec& spec, const SweepOptions& options);

}  // namespace dcsim::study
