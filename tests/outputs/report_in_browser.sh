#!/usr/bin/env bash
# Opens report.html in headless Chromium (offline: no network flags) and checks that its
# charts rendered, none is empty, no two labels of a chart overlap and none runs outside its
# chart (their bounding boxes, as the browser lays them out), and the console reported no error.
set -euo pipefail
report="$1"
chromium_bin=$(command -v chromium || command -v chromium-browser)
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# A copy of the report with a probe that measures the laid-out labels after load.
checked="$profile/report.html"
python3 - "$report" "$checked" <<'PY'
import sys
probe = """<script>
window.addEventListener('load', () => {
  const pairs = [];
  let empty = 0;
  for (const svg of document.querySelectorAll('svg.chart')) {
    if (!svg.querySelector('path, rect, circle, line, polyline, polygon')) empty++;
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() !== '');
    const boxes = texts.map(t => t.getBoundingClientRect());
    const frame = svg.getBoundingClientRect();
    texts.forEach((t, i) => {
      const b = boxes[i];
      if (b.left < frame.left - 1 || b.right > frame.right + 1 || b.top < frame.top - 1 || b.bottom > frame.bottom + 1)
        pairs.push(t.textContent.trim() + ' / outside its chart');
    });
    for (let i = 0; i < texts.length; i++)
      for (let j = i + 1; j < texts.length; j++) {
        const w = Math.min(boxes[i].right, boxes[j].right) - Math.max(boxes[i].left, boxes[j].left);
        const h = Math.min(boxes[i].bottom, boxes[j].bottom) - Math.max(boxes[i].top, boxes[j].top);
        if (w > 1 && h > 1) pairs.push(texts[i].textContent.trim() + ' / ' + texts[j].textContent.trim());
      }
  }
  document.body.setAttribute('data-overlaps', String(pairs.length));
  document.body.setAttribute('data-overlap-pairs', pairs.slice(0, 5).join(' | '));
  document.body.setAttribute('data-empty-charts', String(empty));
});
</script>"""
html = open(sys.argv[1]).read()
at = html.rfind('</body>')
open(sys.argv[2], 'w').write(html[:at] + probe + html[at:])
PY
dom=$(timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
  --enable-logging=stderr --v=0 --virtual-time-budget=2000 --dump-dom "file://$checked" 2>"$profile/console.log")
charts=$(grep -o 'data-charts="[0-9]*"' <<<"$dom" | head -1 | grep -o '[0-9]*' || true)
if [[ -z "$charts" || "$charts" -lt 1 ]]; then
  echo "report.html: no chart rendered (data-charts=${charts:-missing})"; exit 1
fi
svgs=$(grep -o '<svg class="chart"' <<<"$dom" | wc -l)
[[ "$svgs" == "$charts" ]] || { echo "report.html: $svgs charts in the DOM, script counted $charts"; exit 1; }
overlaps=$(grep -o 'data-overlaps="[0-9]*"' <<<"$dom" | grep -o '[0-9]*' || true)
[[ "$overlaps" == "0" ]] || {
  echo "report.html: ${overlaps:-unmeasured} overlapping label pairs: $(grep -o 'data-overlap-pairs="[^"]*"' <<<"$dom")"; exit 1; }
empty=$(grep -o 'data-empty-charts="[0-9]*"' <<<"$dom" | grep -o '[0-9]*' || true)
[[ "$empty" == "0" ]] || { echo "report.html: ${empty:-unmeasured} empty charts"; exit 1; }
# A sweep report checks its Pareto front against the one dcsim computed; it must agree.
if grep -q 'data-front-agrees=' <<<"$dom"; then
  grep -q 'data-front-agrees="1"' <<<"$dom" || {
    echo "report.html: the page's Pareto front differs from dcsim's: $(grep -o 'data-front-agrees="[^"]*"' <<<"$dom")"; exit 1; }
fi
if grep -E 'CONSOLE.*(Error|error)|Uncaught' "$profile/console.log"; then
  echo "report.html: console errors"; exit 1
fi
echo "report.html: $charts charts rendered, no empty chart, no overlapping labels, no console error"
