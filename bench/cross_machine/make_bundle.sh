#!/usr/bin/env bash
# Copies the release benchmark binaries with every shared library they load, and the loader,
# into build/bench_bundle/ (run them with run_bundle.sh on a machine without the packages).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rm -rf "$root/build/bench_bundle" && mkdir -p "$root/build/bench_bundle/lib"
cp "$root"/build/release/bench/bench_* "$root/build/bench_bundle/"
for b in "$root"/build/release/bench/bench_*; do ldd "$b" | awk '/=>/ {print $3} /ld-linux/ {print $1}'; done |
  sort -u | while read -r lib; do [[ -f "$lib" ]] && cp -L "$lib" "$root/build/bench_bundle/lib/"; done
