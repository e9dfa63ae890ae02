#!/usr/bin/env bash
# Runs the quick benchmarks from a self-contained bundle (the binaries with their shared
# libraries and loader, built by bench/cross_machine/make_bundle.sh) on another machine, so
# that ratios can be compared across CPUs. Writes one JSON per binary and lscpu to $1.
set -euo pipefail
out="$1"
bundle="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../build/bench_bundle" && pwd)"
# The scenario benchmarks read scenarios/ from the source folder they were built in.
[[ -e /work/main ]] || { mkdir -p /work && ln -s "$(cd "$bundle/../.." && pwd)" /work/main; }
filter=$(python3 -c 'import sys; sys.path.insert(0, "tools"); import bench_report; print(bench_report.QUICK)')
lscpu > "$out/lscpu.txt"
for b in bench_event_queue bench_network bench_simulator bench_training; do
  "$bundle/lib/ld-linux-x86-64.so.2" --library-path "$bundle/lib" "$bundle/$b" --benchmark_format=json \
    --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
    --benchmark_filter="$filter" > "$out/$b.json"
done
