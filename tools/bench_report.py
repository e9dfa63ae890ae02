#!/usr/bin/env python3
"""Runs the Google Benchmark binaries, stamps and saves the run, prints ratios and changes.

A run file holds {"context": {commit, date, machine, ...}, "benchmarks": [{name, items_per_second,
real_time_ns, cv}]}. Each benchmark runs with repetitions; its coefficient of variation is the
run-to-run noise used to decide whether a change against a saved run is a regression.
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys

# (candidate, baseline) pairs measured in the same binary: printed as speed-up ratios.
BASELINES = [
    (r"BM_Hold_EventQueue/(\d+)", r"BM_Hold_StdPriorityQueue/{0}"),
]


def git(*args):
    try:
        return subprocess.check_output(["git", *args], text=True, stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine():
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"host": platform.node(), "cpu": cpu, "cores": os.cpu_count(), "system": platform.platform()}


def run_binary(path, bench_filter, repetitions):
    cmd = [path, "--benchmark_format=json", f"--benchmark_repetitions={repetitions}",
           "--benchmark_report_aggregates_only=true"]
    if bench_filter:
        cmd.append(f"--benchmark_filter={bench_filter}")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    if not out.strip():
        return []  # nothing in this binary matched the filter
    data = json.loads(out)
    rows = {}
    for b in data.get("benchmarks", []):
        name = b.get("run_name", b["name"])
        agg = b.get("aggregate_name")
        row = rows.setdefault(name, {"name": name})
        ips = b.get("items_per_second")
        if agg in ("mean", None) and "real_time_ns" not in row:
            if agg is None:
                row.setdefault("_samples", []).append(ips)
                ips = None
            row["items_per_second"] = ips
            row["real_time_ns"] = b["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
            # User counters (events_per_s, peak_rss_MiB, updates_per_s, ...).
            skip = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads", "iterations",
                    "real_time", "cpu_time", "time_unit", "aggregate_name", "aggregate_unit", "family_index",
                    "per_family_instance_index", "items_per_second"}
            row["counters"] = {k: v for k, v in b.items() if k not in skip and isinstance(v, (int, float))}
        elif agg == "cv":
            row["cv"] = b.get("items_per_second", b.get("real_time", 0.0))
        elif agg is None:
            row.setdefault("_samples", []).append(ips)
    for row in rows.values():
        samples = [s for s in row.pop("_samples", []) if s]
        if samples and not row.get("items_per_second"):
            row["items_per_second"] = statistics.mean(samples)
        row.setdefault("cv", 0.0)
    return list(rows.values())


def print_ratios(benchmarks):
    by_name = {b["name"]: b for b in benchmarks}
    lines = []
    for cand, base in BASELINES:
        for name, b in by_name.items():
            m = re.fullmatch(cand, name)
            if not m:
                continue
            other = by_name.get(base.format(*m.groups()))
            if other and other.get("items_per_second") and b.get("items_per_second"):
                lines.append(f"  {name:<40} {b['items_per_second'] / other['items_per_second']:6.2f}x  vs {other['name']}")
    if lines:
        print("speed-up against in-binary baselines (items/s ratio):")
        print("\n".join(lines))


def compare(old_path, benchmarks):
    with open(old_path) as f:
        old = {b["name"]: b for b in json.load(f)["benchmarks"]}
    print(f"change against {old_path}:")
    regressions = 0
    for b in benchmarks:
        o = old.get(b["name"])
        if not o:
            continue
        if o.get("items_per_second") and b.get("items_per_second"):
            change = b["items_per_second"] / o["items_per_second"] - 1.0
        elif o.get("real_time_ns") and b.get("real_time_ns"):
            change = o["real_time_ns"] / b["real_time_ns"] - 1.0  # faster is positive
        else:
            continue
        noise = max(0.05, 3.0 * ((b.get("cv", 0.0) ** 2 + o.get("cv", 0.0) ** 2) ** 0.5))
        flag = ""
        if change < -noise:
            flag = "  REGRESSION"
            regressions += 1
        elif change > noise:
            flag = "  faster"
        print(f"  {b['name']:<40} {change * 100:+7.1f} %  (noise +-{noise * 100:.1f} %){flag}")
    return regressions


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--filter", default="")
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--compare", help="a saved run to compare against")
    ap.add_argument("--save", help="where to save this run (default: results folder, stamped name)")
    args = ap.parse_args()

    bench_dir = os.path.join(args.build, "bench")
    binaries = sorted(os.path.join(bench_dir, f) for f in os.listdir(bench_dir)
                      if f.startswith("bench_") and os.access(os.path.join(bench_dir, f), os.X_OK))
    benchmarks = []
    for path in binaries:
        print(f"running {os.path.basename(path)}...", file=sys.stderr)
        benchmarks += run_binary(path, args.filter, args.repetitions)

    commit = git("rev-parse", "--short", "HEAD")
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    run = {"context": {"commit": commit, "dirty": bool(git("status", "--porcelain")), "date": now.isoformat(),
                       "machine": machine()},
           "benchmarks": benchmarks}
    save = args.save or os.path.join(args.results, f"{now.strftime('%Y%m%dT%H%M%SZ')}-{commit}.json")
    os.makedirs(os.path.dirname(os.path.abspath(save)), exist_ok=True)
    tmp = save + ".tmp"
    with open(tmp, "w") as f:
        json.dump(run, f, indent=2)
        f.write("\n")
    os.replace(tmp, save)

    for b in benchmarks:
        ips = b.get("items_per_second")
        extra = "  ".join(f"{k}={v:.4g}" for k, v in sorted(b.get("counters", {}).items()))
        rate = f"{ips / 1e6:10.2f} M items/s" if ips else f"{b.get('real_time_ns', 0) / 1e9:10.3f} s wall     "
        print(f"  {b['name']:<40} {rate}  (cv {b.get('cv', 0) * 100:.1f} %)  {extra}")
    print_ratios(benchmarks)
    print(f"saved {save}")
    if args.compare:
        return 1 if compare(args.compare, benchmarks) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
