#!/usr/bin/env bash
# mpirun -n 3 dcsim sweep gives the threaded run's database row for row (every column but the
# wall time, results.json included), the same exit code, and resumes like it.
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
python3 - "$out/threads/sweep.db" "$out/mpi/sweep.db" <<'PY'
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
"${mpirun_cmd[@]}" "$dcsim" sweep "$sweep" --out "$out/mpi" > "$out/mpi2.log" 2>&1 || true
grep -q "0 ran now, 6 already done" "$out/mpi2.log" || { echo "a rerun did not resume"; cat "$out/mpi2.log"; exit 1; }
echo "mpi sweep: resumed"
