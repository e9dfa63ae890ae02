#!/usr/bin/env bash
# Opens report.html in headless Chromium (offline: no network flags) and checks that its
# charts rendered and the console reported no error.
set -euo pipefail
report="$1"
chromium_bin=$(command -v chromium || command -v chromium-browser)
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
dom=$(timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
  --enable-logging=stderr --v=0 --virtual-time-budget=2000 --dump-dom "file://$report" 2>"$profile/console.log")
charts=$(grep -o 'data-charts="[0-9]*"' <<<"$dom" | head -1 | grep -o '[0-9]*' || true)
if [[ -z "$charts" || "$charts" -lt 1 ]]; then
  echo "report.html: no chart rendered (data-charts=${charts:-missing})"; exit 1
fi
svgs=$(grep -o '<svg class="chart"' <<<"$dom" | wc -l)
[[ "$svgs" == "$charts" ]] || { echo "report.html: $svgs charts in the DOM, script counted $charts"; exit 1; }
if grep -E 'CONSOLE.*(Error|error)|Uncaught' "$profile/console.log"; then
  echo "report.html: console errors"; exit 1
fi
echo "report.html: $charts charts rendered, no console error"
