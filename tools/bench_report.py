#!/usr/bin/env python3
"""Runs the Google Benchmark binaries, prints rates and ratios, keeps the history, checks it.

Every binary also runs BM_Reference (bench/reference.hpp, code outside dcsim). A benchmark's
ratio is its speed (items/s, or runs/s from its wall time) over BM_Reference's speed in the
same binary and run: it cancels most of the machine's speed, so ratios compare across
machines and commits where raw rates do not. Each benchmark runs with repetitions; the
coefficient of variation of a ratio (both speeds' CVs combined) is its run-to-run noise.

  --record           run the suite 4 times and save it in bench/history/ (committed: one small
                     file per run); the ratio's spread between the runs counts in its noise
  --history          print each benchmark's ratio over the recorded runs
  --html FILE        write an offline page charting each benchmark's ratio over commits
  --check            compare with the last recorded run; exit 1 on a regression beyond noise
  --quick            only the benchmarks that finish in seconds (what CI runs)
  --compare OLD.json compare raw rates with a saved full run (bench/results/, not committed)
"""
import argparse
import datetime
import glob
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys

REFERENCE = "BM_Reference"
QUICK = (r"^(BM_Reference|BM_Hold_EventQueue/100000$|BM_Hold_StdPriorityQueue/100000$|BM_SimulatorHold/100000$"
         r"|BM_FlowUpdates|BM_RandomFlows/10000/10000|BM_TrainGpt|BM_ManyMicrobatches)")
# A regression must exceed this many standard deviations of the combined ratio noise.
SIGMAS = 3.0
RECORD_PASSES = 4
# Ratios cancel only part of a change of CPU: the largest ratio change measured between two
# CPUs (bench/cross_machine/README.md), allowed on top of the noise when the CPU differs.
CROSS_MACHINE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "cross_machine", "allowance.json")
HERE = os.path.dirname(os.path.abspath(__file__))
HISTORY = os.path.join(HERE, "..", "bench", "history")


def git(*args):
    try:
        return subprocess.check_output(["git", "-C", HERE, *args], text=True, stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine():
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                info.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    cpu = info.get("model name", platform.processor() or "unknown")
    # The model name alone ("AMD EPYC") can hide different generations: ratios are compared
    # as same-CPU only when vendor, family, model, stepping and cache match.
    cpu_id = " ".join(f"{k}={info.get(k, '?')}" for k in ("vendor_id", "cpu family", "model", "stepping", "cache size"))
    return {"host": platform.node(), "cpu": cpu, "cpu_id": cpu_id, "cores": os.cpu_count(), "system": platform.platform()}


def base_name(name):
    """BM_X/args without Google Benchmark's run options (min_time, iterations)."""
    return "/".join(p for p in name.split("/") if not re.match(r"(min_time|iterations|repeats):", p))


def run_binary(path, bench_filter, repetitions):
    # Repetitions of all benchmarks run in random order, so a slow start of the process (clocks
    # ramping up) or a noisy spell falls on the yardstick no more than on anything else.
    cmd = [path, "--benchmark_format=json", f"--benchmark_repetitions={repetitions}",
           "--benchmark_enable_random_interleaving=true", "--benchmark_report_aggregates_only=true"]
    if bench_filter:
        cmd.append(f"--benchmark_filter={bench_filter}")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return parse_output(out, os.path.basename(path))


def parse_output(out, binary):
    """Google Benchmark's JSON (with repetitions, aggregates only) as rows with speed and CV."""
    if not out.strip():
        return []
    rows = {}
    for b in json.loads(out).get("benchmarks", []):
        if "real_time" not in b:
            continue  # a complexity fit (BigO, RMS): no speed of its own
        name = base_name(b.get("run_name", b["name"]))
        row = rows.setdefault(name, {"name": name, "binary": binary})
        agg = b.get("aggregate_name")
        seconds = b["real_time"] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
        ips = b.get("items_per_second")
        if agg in ("median", None):  # the median: one slow repetition moves it least
            row["items_per_second"] = ips
            row["real_time_ns"] = seconds * 1e9
            skip = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads", "iterations",
                    "real_time", "cpu_time", "time_unit", "aggregate_name", "aggregate_unit", "family_index",
                    "per_family_instance_index", "items_per_second"}
            row["counters"] = {k: v for k, v in b.items() if k not in skip and isinstance(v, (int, float))}
        elif agg == "cv":
            # The CV of items/s where the benchmark counts items, else of its wall time.
            row["cv"] = b.get("items_per_second", b.get("real_time", 0.0)) if ips is not None else b["real_time"]
    for row in rows.values():
        row.setdefault("cv", 0.0)
        row["speed"] = row["items_per_second"] or 1e9 / row["real_time_ns"]
        row["unit"] = "items/s" if row["items_per_second"] else "runs/s"
    return list(rows.values())


def add_ratios(benchmarks):
    refs = {b["binary"]: b for b in benchmarks if b["name"] == REFERENCE}
    for b in benchmarks:
        ref = refs.get(b["binary"])
        if ref and b["name"] != REFERENCE:
            b["ratio"] = b["speed"] / ref["speed"]
            b["noise"] = math.hypot(b["cv"], ref["cv"])


def history_files():
    return sorted(glob.glob(os.path.join(HISTORY, "*.json")))


def load(path):
    with open(path) as f:
        return json.load(f)


def merge_passes(passes):
    """Each benchmark's mean ratio over the passes; its noise the larger of the repetitions' CV
    and the relative standard deviation of the ratio between passes."""
    merged = passes[0]
    for b in merged:
        if "ratio" not in b:
            continue
        ratios = [r["ratio"] for p in passes for r in p if r["name"] == b["name"] and "ratio" in r]
        mean = statistics.mean(ratios)
        b["between_runs"] = statistics.stdev(ratios) / mean if len(ratios) > 1 else 0.0
        b["ratio"] = mean
        b["noise"] = max(b["noise"], b["between_runs"])
    return merged


def record(benchmarks, context):
    entry = {**context, "reference": REFERENCE,
             "benchmarks": {b["name"]: {"speed": b["speed"], "unit": b["unit"], "ratio": b["ratio"], "noise": b["noise"]}
                            for b in benchmarks if "ratio" in b}}
    stamp = context["date"].replace("-", "").replace(":", "").replace("+0000", "Z").replace("+00:00", "Z")
    os.makedirs(HISTORY, exist_ok=True)
    path = os.path.join(HISTORY, f"{stamp}-{context['commit']}.json")
    with open(path + ".tmp", "w") as f:
        json.dump(entry, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(path + ".tmp", path)
    return path


def check(benchmarks):
    """Each ratio against the last recorded run's; a drop beyond SIGMAS x noise fails."""
    files = history_files()
    if not files:
        print("bench check: no recorded run in bench/history/ to compare with")
        return 1
    last = load(files[-1])
    allowance = 0.0
    if last["machine"].get("cpu_id") != machine()["cpu_id"]:
        allowance = load(CROSS_MACHINE)["allowance"]
        print(f"the recorded run's CPU ({last['machine'].get('cpu_id')}) is not this one ({machine()['cpu_id']}): "
              f"{allowance:.0%} allowed on top of the noise")
    print(f"ratio change against the recorded run {os.path.basename(files[-1])} (commit {last['commit']}):")
    regressions = compared = 0
    for b in benchmarks:
        old = last["benchmarks"].get(b["name"])
        if "ratio" not in b or not old:
            continue
        compared += 1
        change = b["ratio"] / old["ratio"] - 1.0
        bound = SIGMAS * math.hypot(b["noise"], old["noise"]) + allowance
        flag = "  REGRESSION" if change < -bound else "  faster" if change > bound else ""
        regressions += bool(flag == "  REGRESSION")
        print(f"  {b['name']:<36} {change * 100:+7.1f} %  (noise bound {bound * 100:.1f} %){flag}")
    if compared == 0:
        print("bench check: no benchmark in common with the recorded run")
        return 1
    return 1 if regressions else 0


def print_history():
    runs = [load(p) for p in history_files()]
    if not runs:
        print("no recorded runs in bench/history/")
        return
    names = sorted({n for r in runs for n in r["benchmarks"]})
    print("ratio to " + REFERENCE + " per recorded run (oldest first); change from first to last")
    print(f"  {'benchmark':<36} " + " ".join(f"{r['commit'][:9]:>9}" for r in runs))
    for n in names:
        ratios = [r["benchmarks"].get(n, {}).get("ratio") for r in runs]
        cells = " ".join(f"{x:9.3g}" if x else f"{'-':>9}" for x in ratios)
        known = [x for x in ratios if x]
        trend = f"  {known[-1] / known[0] - 1:+.1%}" if len(known) > 1 else ""
        print(f"  {n:<36} {cells}{trend}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--filter", default="")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--history", action="store_true")
    ap.add_argument("--html")
    ap.add_argument("--compare", help="a saved run to compare raw rates against")
    args = ap.parse_args()
    if args.history or args.html:
        if args.history:
            print_history()
        if args.html:
            sys.path.insert(0, HERE)
            import bench_history_html
            bench_history_html.write(args.html, [load(p) for p in history_files()])
            print(f"wrote {args.html}")
        return 0

    bench_filter = QUICK if args.quick else args.filter
    if bench_filter and not re.search(REFERENCE, bench_filter):
        bench_filter = f"{REFERENCE}|{bench_filter}"  # ratios need the yardstick
    bench_dir = os.path.join(args.build, "bench")
    binaries = sorted(os.path.join(bench_dir, f) for f in os.listdir(bench_dir)
                      if f.startswith("bench_") and os.access(os.path.join(bench_dir, f), os.X_OK))
    # A recorded run is the suite run RECORD_PASSES times: the spread of a ratio between the
    # runs (machine state drifts between runs more than between interleaved repetitions) is
    # part of its noise.
    passes = []
    for _ in range(RECORD_PASSES if args.record else 1):
        benchmarks = []
        for path in binaries:
            print(f"running {os.path.basename(path)}...", file=sys.stderr)
            benchmarks += run_binary(path, bench_filter, args.repetitions)
        add_ratios(benchmarks)
        passes.append(benchmarks)
    if len(passes) > 1:
        benchmarks = merge_passes(passes)

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    context = {"commit": git("rev-parse", "--short=12", "HEAD"), "dirty": bool(git("status", "--porcelain")),
               "date": now.isoformat(), "machine": machine(), "repetitions": args.repetitions}
    for b in benchmarks:
        extra = "  ".join(f"{k}={v:.4g}" for k, v in sorted(b.get("counters", {}).items()))
        ratio = f"ratio {b['ratio']:8.4g} +- {b['noise'] * 100:4.1f} %" if "ratio" in b else f"{'(yardstick)':>25}"
        print(f"  {b['name']:<36} {b['speed']:12.4g} {b['unit']:<8} {ratio}  {extra}")
    save = os.path.join(args.results, f"{now.strftime('%Y%m%dT%H%M%SZ')}-{context['commit']}.json")
    os.makedirs(args.results, exist_ok=True)
    with open(save + ".tmp", "w") as f:
        json.dump({"context": context, "benchmarks": benchmarks}, f, indent=2)
        f.write("\n")
    os.replace(save + ".tmp", save)
    print(f"saved {save}")
    status = 0
    if args.check:
        status |= check(benchmarks)
    if args.record:
        print(f"recorded {record(benchmarks, context)}")
    if args.compare:
        old = {b["name"]: b for b in load(args.compare)["benchmarks"]}
        print(f"raw speed change against {args.compare} (same machine only):")
        for b in benchmarks:
            o = old.get(b["name"])
            if o and o.get("speed"):
                bound = max(0.05, SIGMAS * math.hypot(b["cv"], o.get("cv", 0.0)))
                change = b["speed"] / o["speed"] - 1
                flag = "  REGRESSION" if change < -bound else ""
                status |= bool(flag)
                print(f"  {b['name']:<36} {change * 100:+7.1f} %  (noise bound {bound * 100:.1f} %){flag}")
    return status


if __name__ == "__main__":
    sys.exit(main())
