"""The benchmark history as one offline HTML page: a chart per benchmark of its ratio to the
yardstick over the recorded runs (bench/history/), with each run's noise as an error bar."""
import html
import os

W, H, L, R, T, B = 760, 220, 70, 20, 30, 50  # chart size and margins


def chart(name, runs):
    points = [(i, r["benchmarks"][name]) for i, r in enumerate(runs) if name in r["benchmarks"]]
    top = max(p["ratio"] * (1 + p["noise"]) for _, p in points) * 1.1
    n = max(1, len(runs) - 1)
    x = lambda i: L + (W - L - R) * (i / n if len(runs) > 1 else 0.5)
    y = lambda v: H - B - (H - T - B) * v / top
    out = [f'<svg class="chart" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" '
           f'aria-label="{html.escape(name)}"><text x="{L}" y="18" class="title">{html.escape(name)}</text>']
    for k in range(5):
        v = top * k / 4
        out.append(f'<line x1="{L}" x2="{W - R}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>'
                   f'<text x="{L - 6}" y="{y(v) + 4:.1f}" class="tick" text-anchor="end">{v:.3g}</text>')
    step = max(1, -(-len(runs) * 70 // (W - L - R)))  # a commit label every 70 px at most
    for i, r in enumerate(runs):
        if i % step == 0:
            out.append(f'<text x="{x(i):.1f}" y="{H - B + 16}" class="tick" text-anchor="middle">'
                       f'{html.escape(r["commit"][:9])}</text>')
    out.append(f'<text x="{L + (W - L - R) / 2}" y="{H - 10}" class="axis" text-anchor="middle">recorded run (commit)</text>')
    out.append('<polyline fill="none" stroke="#4e79a7" stroke-width="1.5" points="'
               + " ".join(f"{x(i):.1f},{y(p['ratio']):.1f}" for i, p in points) + '"/>')
    for i, p in points:
        lo, hi = p["ratio"] * (1 - p["noise"]), p["ratio"] * (1 + p["noise"])
        out.append(f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(lo):.1f}" y2="{y(hi):.1f}" stroke="#4e79a7"/>'
                   f'<circle cx="{x(i):.1f}" cy="{y(p["ratio"]):.1f}" r="3" fill="#4e79a7">'
                   f'<title>{html.escape(runs[i]["commit"])} {html.escape(runs[i]["date"])}: ratio {p["ratio"]:.4g} '
                   f'+- {p["noise"] * 100:.1f} %, {p["speed"]:.4g} {p["unit"]}</title></circle>')
    out.append("</svg>")
    return "".join(out)


def write(path, runs):
    names = sorted({n for r in runs for n in r["benchmarks"]})
    rows = "".join(f"<tr><td>{html.escape(r['commit'])}</td><td>{html.escape(r['date'])}</td>"
                   f"<td>{html.escape(r['machine']['cpu'])} ({r['machine']['cores']} cores)</td></tr>" for r in runs)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dcsim benchmark history</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 800px; color: #222; }}
table {{ border-collapse: collapse; }} th, td {{ text-align: left; padding: 3px 12px; border-bottom: 1px solid #ddd; }}
svg.chart {{ display: block; margin: 1.5em 0; }} .title {{ font-size: 14px; font-weight: 600; }}
.axis {{ font-size: 12px; }} .tick {{ font-size: 11px; fill: #555; }} .grid {{ stroke: #eee; }}
</style></head><body>
<h1>dcsim benchmark history</h1>
<p>Each benchmark's speed over the speed of BM_Reference (a std::priority_queue hold model) measured in the same
binary and run: higher is faster, and the ratio cancels most of the machine's speed. Bars: the run's noise (one
standard deviation, over its repetitions and between two runs).</p>
<table><tr><th>commit</th><th>date</th><th>machine</th></tr>{rows}</table>
{"".join(chart(n, runs) for n in names)}
</body></html>
"""
    with open(path + ".tmp", "w") as f:
        f.write(page)
    os.replace(path + ".tmp", path)
