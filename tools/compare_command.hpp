#pragma once
#include <string>

namespace dcsim::app {
// `dcsim compare A/results.json B/results.json`: every number of both runs side by side,
// with the change from A to B. Exit 0, or 2 when a file cannot be read.
int compare_results(const std::string& a, const std::string& b);
}  // namespace dcsim::app
