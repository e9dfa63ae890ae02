#!/usr/bin/env bash
# mpirun -n 3 dcsim sweep gives the threaded run's database row for row (every column but the
# wall time, results.json included), the same exit code, and resumes like it; and when a rank
# dies holding a point (under mpirun --enable-recovery), the point is redone by another rank
# and the rows are still the threaded run's.
# Usage: mpi_sweep_test.sh DCSIM SWEEP OUT
set -euo pipefail
dcsim="$1" sweep="$2" out="$3"
rm -rf "$out"
mkdir -p "$out"
mpirun_cmd=(mpirun --oversubscribe -n 3)
[[ $(id -u) -eq 0 ]] && mpirun_cmd+=(--allow-run-as-root)
rc=0; "$dcsim" sweep "$sweep" --out "$out/threads" -q 2>/dev/null || rc=$?
rc_mpi=0; "${mpirun_cmd[@]}" "$dcsim" sweep "$sweep" --out "$out/mpi" -q > "$out/mpi.log" 2>&1 || rc_mpi=$?
[[ $rc == "$rc_mpi" ]] || { echo "exit codes differ: threads $rc, mpi $rc_mpi"; cat "$out/mpi.log"; exit 1; }
same_rows() {
python3 - "$1" "$2" <<'PY'
import sqlite3, sys
def rows(path):
    c = sqlite3.connect(path)
    cols = sorted(r[1] for r in c.execute("PRAGMA table_info(points)") if r[1] != "wall_s")
    q = "SELECT " + ", ".join('"%s"' % x for x in cols) + " FROM points ORDER BY id, point"
    return cols, c.execute(q).fetchall()
a, b = rows(sys.argv[1]), rows(sys.argv[2])
assert a[0] == b[0], ("columns differ", set(a[0]) ^ set(b[0]))
assert len(a[1]) == len(b[1]) > 0, (len(a[1]), len(b[1]))
for ra, rb in zip(a[1], b[1]):
    assert ra == rb, ("row differs", ra[:3], rb[:3])
print("mpi sweep: %d rows x %d columns identical to the threaded run" % (len(a[1]), len(a[0])))
PY
}
same_rows "$out/threads/sweep.db" "$out/mpi/sweep.db"
"${mpirun_cmd[@]}" "$dcsim" sweep "$sweep" --out "$out/mpi" > "$out/mpi2.log" 2>&1 || true
grep -q "0 ran now, 6 already done" "$out/mpi2.log" || { echo "a rerun did not resume"; cat "$out/mpi2.log"; exit 1; }
echo "mpi sweep: resumed"
# Rank 2 exits on taking its first point; rank 0 hears nothing from it for 2 s and hands
# the point to rank 1. (mpirun --enable-recovery returns 0 whatever the ranks return.)
DCSIM_SWEEP_TEST_FAULT=2:exit "${mpirun_cmd[@]}" --enable-recovery "$dcsim" sweep "$sweep" --out "$out/mpi_dead" \
  --rank-timeout 2 > "$out/mpi_dead.log" 2>&1 || true
grep -q "MPI rank 2 silent for 2 s while running point .*: taken for dead, its point goes to another rank" "$out/mpi_dead.log" \
  || { echo "the dead rank was not noticed"; cat "$out/mpi_dead.log"; exit 1; }
grep -q "5 ran now, 0 already done, 1 refused before running" "$out/mpi_dead.log" \
  || { echo "the dead rank's point was not redone"; cat "$out/mpi_dead.log"; exit 1; }
same_rows "$out/threads/sweep.db" "$out/mpi_dead/sweep.db"
echo "mpi sweep: a dead rank's point redone"
# Rank 1 falls silent for 3 s on its first point: taken for dead, its point goes to rank 2,
# and the sweep ends before rank 1 wakes; it then finds its stop instead of a rank 0 waiting
# for its row, and the job ends (no hang) with the threaded run's exit code and rows.
rc_slow=0; DCSIM_SWEEP_TEST_FAULT=1:stall "${mpirun_cmd[@]}" "$dcsim" sweep "$sweep" --out "$out/mpi_slow" \
  --rank-timeout 1 > "$out/mpi_slow.log" 2>&1 || rc_slow=$?
[[ $rc == "$rc_slow" ]] || { echo "exit codes differ: threads $rc, slow rank $rc_slow"; cat "$out/mpi_slow.log"; exit 1; }
grep -q "MPI rank 1 silent for 1 s while running point .*: taken for dead" "$out/mpi_slow.log" \
  || { echo "the silent rank was not noticed"; cat "$out/mpi_slow.log"; exit 1; }
same_rows "$out/threads/sweep.db" "$out/mpi_slow/sweep.db"
echo "mpi sweep: a rank silent past the end"
