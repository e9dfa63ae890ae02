#!/usr/bin/env python3
"""Each quick benchmark's ratio on two machines (folders written by run_bundle.sh), and the
largest relative difference: what tools/bench --check allows on top of noise across CPUs."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import bench_report  # noqa: E402

BINARIES = ["bench_event_queue", "bench_network", "bench_simulator", "bench_training"]


def ratios(folder):
    rows = []
    for b in BINARIES:
        with open(os.path.join(folder, b + ".json")) as f:
            rows += bench_report.parse_output(f.read(), b)
    bench_report.add_ratios(rows)
    return {r["name"]: r for r in rows if "ratio" in r}


a, b = ratios(sys.argv[1]), ratios(sys.argv[2])
print(f"{'benchmark':<36} {'ratio A':>10} {'ratio B':>10} {'B/A - 1':>9}  noise A, B")
worst = 0.0
for n in a:
    change = b[n]["ratio"] / a[n]["ratio"] - 1
    worst = max(worst, abs(change))
    print(f"{n:<36} {a[n]['ratio']:10.4g} {b[n]['ratio']:10.4g} {change:+9.1%}  {a[n]['noise']:.1%}, {b[n]['noise']:.1%}")
print(f"largest difference: {worst:.1%}")
