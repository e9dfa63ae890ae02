#pragma once
// Small, dependency-free SVG charts for report.html: line charts, stacked bars and timelines, with
// axes, ticks and a legend. Output is a self-contained <svg> element.
#include <string>
#include <vector>

namespace dcsim::engine::svg {

struct Series {
  std::string name;
  std::vector<double> values;
};

std::string line_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                       const std::vector<double>& x, const std::vector<Series>& series);
// One bar per category; each bar stacks the series' values for that category.
std::string stacked_bars(const std::string& title, const std::string& y_label, const std::vector<std::string>& categories,
                         const std::vector<Series>& series, double reference = 0, const std::string& reference_label = "");
// A timeline: one row per label, bars from start to end (x in the caller's unit), coloured by
// kind, with a legend of the kinds.
struct Bar {
  std::size_t row = 0, kind = 0;
  double start = 0, end = 0;
  std::string tip;  // shown on hover
};
struct Kind {
  std::string name, color;
};
std::string timeline(const std::string& title, const std::string& x_label, const std::vector<std::string>& rows,
                     const std::vector<Kind>& kinds, const std::vector<Bar>& bars);
std::string escape(const std::string& text);

}  // namespace dcsim::engine::svg
