#pragma once
// Small, dependency-free SVG charts for report.html: line charts and stacked bars, with
// axes, ticks and a legend. Output is a self-contained <svg> element.
#include <string>
#include <vector>

namespace dcsim::app::svg {

struct Series {
  std::string name;
  std::vector<double> values;
};

std::string line_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                       const std::vector<double>& x, const std::vector<Series>& series);
// One bar per category; each bar stacks the series' values for that category.
std::string stacked_bars(const std::string& title, const std::string& y_label, const std::vector<std::string>& categories,
                         const std::vector<Series>& series, double reference = 0, const std::string& reference_label = "");
std::string escape(const std::string& text);

}  // namespace dcsim::app::svg
