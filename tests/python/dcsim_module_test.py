"""The dcsim Python module against the command line and the library's promises.

Usage: dcsim_module_test.py DCSIM_BINARY (run from the source folder, with the module on
PYTHONPATH). Exits non-zero on the first failed check.
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading

import dcsim

DCSIM = sys.argv[1]
SET = {"cluster.servers": 64, "workload.parallelism.dp": 8, "workload.batch.global": 768, "workload.recompute": "full"}


def check(cond, what):
    if not cond:
        raise SystemExit("FAILED: " + what)


with tempfile.TemporaryDirectory() as tmp:
    # A run through Python is the run of the command line with the same overrides.
    r = dcsim.run("scenarios/train_gpt.yaml", set=SET)
    args = [DCSIM, "scenarios/train_gpt.yaml", "-q", "--out", tmp + "/cli"]
    for k, v in SET.items():
        args += ["--set", f"{k}={v}"]
    subprocess.run(args, check=True)
    with open(tmp + "/cli/results.json") as f:
        cli = json.load(f)
    check(r.results == cli, "results differ from the command line's results.json")
    check(r["training"]["parallelism"]["dp"] == 8, "override not applied")
    check(r.number("training.iteration_time_s") == cli["training"]["iteration_time_s"], "number()")
    scalars = r.scalars()
    check(scalars["training.mfu"] == cli["training"]["mfu"], "scalars()")
    check(len(r.timeline) == cli["training"]["timeline"]["spans"], "timeline spans")
    check(len(r.timeseries["time_s"]) > 0, "timeseries")
    check(r.events == cli["simulation"]["events_executed"], "events")
    check("GPT-3" in r.summary or "gpt" in r.summary.lower(), "summary")

    # Bad input raises dcsim.InputError (a ValueError) naming the key.
    try:
        dcsim.run("scenarios/train_gpt.yaml", set={"workload.parallelism.dp": "many"})
        check(False, "no InputError")
    except dcsim.InputError as e:
        check("workload.parallelism.dp" in str(e), "InputError names the key")
        check(isinstance(e, ValueError), "InputError is a ValueError")
    try:
        dcsim.check("scenarios/train_gpt.yaml", set={"workload.parallelism.tp": 1, "workload.parallelism.pp": 1,
                                                     "workload.parallelism.dp": 1024, "workload.batch.global": 2048,
                                                     "workload.parallelism.virtual_stages": 1,
                                                     "workload.parallelism.schedule": "1f1b"})
        check(False, "a plan that does not fit passed check()")
    except dcsim.InputError as e:
        check("does not fit in memory" in str(e), "memory error message")

    # Python threads run at once (the GIL is released) and give what each gives alone.
    out = [None, None]
    def work(i):
        out[i] = dcsim.run("scenarios/train_gpt.yaml", set=SET).results
    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    check(out[0] == cli and out[1] == cli, "concurrent runs differ")

    # Sweeps, and their database read back.
    s = dcsim.sweep("tests/data/tiny_sweep.yaml", out=tmp + "/sweep")
    check(s["points"] == 6 and s["ran"] == 5 and s["invalid"] == 1, f"sweep counts {s}")
    rows = dcsim.sweep_table(s["database"])
    check(len(rows) == 6 and sum(r["status"] == "ok" for r in rows) == 5, "sweep_table")
    n = sqlite3.connect(s["database"]).execute("SELECT COUNT(*) FROM points WHERE status = 'ok'").fetchone()[0]
    check(n == 5, "sqlite3 reads the database")
    check(os.path.exists(tmp + "/sweep/report.html"), "sweep report")

print("python module: run, errors, threads and sweeps as the command line gives them")
