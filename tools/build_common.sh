# Sourced by tools/dcsim, tools/test and tools/bench: configure a preset once, then build
# incrementally. Build logs stay quiet unless something fails.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CCACHE_DIR="${CCACHE_DIR:-$root/.cache/ccache}"

# build_preset PRESET [TARGET...]
build_preset() {
  local preset="$1"; shift
  local dir="$root/build/$preset"
  local log="$dir/build.log"
  if [[ ! -f "$dir/build.ninja" ]]; then
    mkdir -p "$dir"
    if ! (cd "$root" && cmake --preset "$preset" >"$dir/configure.log" 2>&1); then
      cat "$dir/configure.log" >&2
      echo "configure failed (preset $preset)" >&2
      return 1
    fi
  fi
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  if ! cmake --build "$dir" "${targets[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    echo "build failed (preset $preset)" >&2
    return 1
  fi
}
