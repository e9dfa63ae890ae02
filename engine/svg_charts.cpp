#include "engine/svg_charts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace dcsim::engine::svg {
namespace {
constexpr double W = 800, H = 320, L = 70, R = 200, T = 36, B = 48;  // size and margins
const char* kColors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                         "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

double nice_step(double range) {
  if (range <= 0) return 1;
  const double raw = range / 5;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}
std::string number(double v) { return fmt::format("{:.4g}", v); }

std::string frame(const std::string& title, const std::string& x_label, const std::string& y_label, double y_max,
                  std::string& out) {
  out += fmt::format(R"SVG(<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">)SVG",
                     W, H, W, H, escape(title));
  out += fmt::format(R"SVG(<text x="{}" y="22" class="title">{}</text>)SVG", L, escape(title));
  out += fmt::format(R"SVG(<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>)SVG", L + (W - L - R) / 2, H - 8,
                     escape(x_label));
  out += fmt::format(R"SVG(<text x="14" y="{}" class="axis" transform="rotate(-90 14 {})" text-anchor="middle">{}</text>)SVG",
                     T + (H - T - B) / 2, T + (H - T - B) / 2, escape(y_label));
  const double step = nice_step(y_max);
  for (double v = 0; v <= y_max * 1.0001; v += step) {
    const double y = H - B - (H - T - B) * v / y_max;
    out += fmt::format(R"SVG(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" class="grid"/><text x="{}" y="{:.1f}" class="tick" text-anchor="end">{}</text>)SVG",
                       L, W - R, y, y, L - 6, y + 4, number(v));
  }
  out += fmt::format(R"SVG(<line x1="{}" x2="{}" y1="{}" y2="{}" class="axisline"/>)SVG", L, W - R, H - B, H - B);
  return out;
}
double axis_max(double v) {
  if (!(v > 0)) return 1;
  const double step = nice_step(v * 1.05);
  return std::ceil(v * 1.05 / step) * step;
}
void legend(const std::vector<Series>& series, std::string& out) {
  for (std::size_t i = 0; i < series.size(); ++i)
    out += fmt::format(R"SVG(<rect x="{}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}" class="legend">{}</text>)SVG",
                       W - R + 16, T + 18 * i, kColors[i % 10], W - R + 34, T + 18 * i + 10, escape(series[i].name));
}
}  // namespace

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string line_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                       const std::vector<double>& x, const std::vector<Series>& series) {
  double y_max = 0;
  for (const Series& s : series)
    for (double v : s.values) y_max = std::max(y_max, v);
  y_max = axis_max(y_max);
  const double x_max = x.empty() ? 1 : std::max(x.back(), 1e-12);
  std::string out;
  frame(title, x_label, y_label, y_max, out);
  const double x_step = nice_step(x_max);
  for (double v = 0; v <= x_max * 1.0001; v += x_step) {
    const double px = L + (W - L - R) * v / x_max;
    out += fmt::format(R"SVG(<text x="{:.1f}" y="{}" class="tick" text-anchor="middle">{}</text>)SVG", px, H - B + 16, number(v));
  }
  for (std::size_t i = 0; i < series.size(); ++i) {
    std::string points;
    for (std::size_t k = 0; k < x.size() && k < series[i].values.size(); ++k)
      points += fmt::format("{:.1f},{:.1f} ", L + (W - L - R) * x[k] / x_max,
                            H - B - (H - T - B) * series[i].values[k] / y_max);
    out += fmt::format(R"SVG(<polyline class="series" fill="none" stroke="{}" stroke-width="1.5" points="{}"/>)SVG",
                       kColors[i % 10], points);
  }
  legend(series, out);
  return out + "</svg>";
}

std::string stacked_bars(const std::string& title, const std::string& y_label, const std::vector<std::string>& categories,
                         const std::vector<Series>& series, double reference, const std::string& reference_label) {
  double y_max = reference;
  for (std::size_t c = 0; c < categories.size(); ++c) {
    double total = 0;
    for (const Series& s : series) total += c < s.values.size() ? s.values[c] : 0;
    y_max = std::max(y_max, total);
  }
  y_max = axis_max(y_max);
  std::string out;
  frame(title, "", y_label, y_max, out);
  const double slot = (W - L - R) / double(std::max<std::size_t>(1, categories.size()));
  // Label every step-th bar, so labels never overlap: a tick character is ~7 px wide.
  std::size_t longest = 1;
  for (const auto& c : categories) longest = std::max(longest, c.size());
  const auto step = static_cast<std::size_t>(std::max(1.0, std::ceil((7.0 * double(longest) + 6) / slot)));
  for (std::size_t c = 0; c < categories.size(); ++c) {
    double base = 0;
    const double x = L + slot * double(c) + slot * 0.15;
    for (std::size_t i = 0; i < series.size(); ++i) {
      const double v = c < series[i].values.size() ? series[i].values[c] : 0;
      const double h = (H - T - B) * v / y_max, y = H - B - (H - T - B) * (base + v) / y_max;
      out += fmt::format(R"SVG(<rect class="bar" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}: {}</title></rect>)SVG",
                         x, y, slot * 0.7, h, kColors[i % 10], escape(series[i].name), number(v));
      base += v;
    }
    if (c % step == 0)
      out += fmt::format(R"SVG(<text x="{:.1f}" y="{}" class="tick" text-anchor="middle">{}</text>)SVG", x + slot * 0.35,
                         H - B + 16, escape(categories[c]));
  }
  if (reference > 0) {
    const double y = H - B - (H - T - B) * reference / y_max;
    out += fmt::format(R"SVG(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" class="reference"/><text x="{}" y="{:.1f}" class="tick" text-anchor="end">{}</text>)SVG",
                       L, W - R, y, y, W - R, y - 4, escape(reference_label));
  }
  legend(series, out);
  return out + "</svg>";
}

std::string timeline(const std::string& title, const std::string& x_label, const std::vector<std::string>& rows,
                     const std::vector<Kind>& kinds, const std::vector<Bar>& bars) {
  // Rows of at least 6 px; a label on every row that has 13 px of room for its text.
  const double row_h = std::clamp(240.0 / double(std::max<std::size_t>(1, rows.size())), 6.0, 22.0);
  const auto label_step = static_cast<std::size_t>(std::ceil(13.0 / row_h));
  const double height = T + row_h * double(rows.size()) + B;
  const double legend_h = T + 18.0 * double(kinds.size());
  const double h = std::max(height, legend_h + 8);
  double x_max = 0;
  for (const Bar& b : bars) x_max = std::max(x_max, b.end);
  x_max = x_max > 0 ? x_max : 1;
  std::string out = fmt::format(
      R"SVG(<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {:.0f}" width="{}" height="{:.0f}" role="img" aria-label="{}">)SVG",
      W, h, W, h, escape(title));
  out += fmt::format(R"SVG(<text x="{}" y="22" class="title">{}</text>)SVG", L, escape(title));
  const double bottom = T + row_h * double(rows.size());
  out += fmt::format(R"SVG(<text x="{}" y="{:.1f}" class="axis" text-anchor="middle">{}</text>)SVG", L + (W - L - R) / 2,
                     bottom + 40, escape(x_label));
  const double x_step = nice_step(x_max);
  for (double v = 0; v <= x_max * 1.0001; v += x_step) {
    const double px = L + (W - L - R) * v / x_max;
    out += fmt::format(R"SVG(<line x1="{:.1f}" x2="{:.1f}" y1="{}" y2="{:.1f}" class="grid"/><text x="{:.1f}" y="{:.1f}" class="tick" text-anchor="middle">{}</text>)SVG",
                       px, px, T, bottom, px, bottom + 16, number(v));
  }
  for (std::size_t r = 0; r < rows.size(); r += label_step)
    out += fmt::format(R"SVG(<text x="{}" y="{:.1f}" class="tick" text-anchor="end">{}</text>)SVG", L - 6,
                       T + row_h * (double(r) + 0.5) + 4, escape(rows[r]));
  const bool tips = bars.size() <= 4000;  // hover text for every bar would bloat large reports
  for (const Bar& b : bars) {
    const double x = L + (W - L - R) * b.start / x_max, w = std::max(0.3, (W - L - R) * (b.end - b.start) / x_max);
    const double y = T + row_h * double(b.row) + row_h * 0.1;
    out += fmt::format(R"SVG(<rect class="span" x="{:.2f}" y="{:.1f}" width="{:.2f}" height="{:.1f}" fill="{}">)SVG", x, y, w,
                       row_h * 0.8, kinds[b.kind % kinds.size()].color);
    out += tips ? fmt::format("<title>{}</title></rect>", escape(b.tip)) : "</rect>";
  }
  out += fmt::format(R"SVG(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" class="axisline"/>)SVG", L, W - R, bottom, bottom);
  for (std::size_t i = 0; i < kinds.size(); ++i)
    out += fmt::format(R"SVG(<rect x="{}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}" class="legend">{}</text>)SVG",
                       W - R + 16, T + 18 * i, kinds[i].color, W - R + 34, T + 18 * i + 10, escape(kinds[i].name));
  return out + "</svg>";
}

}  // namespace dcsim::engine::svg
