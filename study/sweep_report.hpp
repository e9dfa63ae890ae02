#pragma once
// report.html of a sweep: the table of every point (sortable), a chart of any column against
// any other, grouped by an axis, and the Pareto front of two objectives. Self-contained,
// offline, like a run's report.
#include <filesystem>
#include <string>
#include <vector>

#include "study/result_store.hpp"

namespace dcsim::study {

void write_sweep_report(const std::filesystem::path& file, const std::string& title, const ResultStore::Table& table,
                        const std::vector<std::string>& axis_keys);

// The points on the Pareto front of two objectives (indexes into `rows`), for tests and the
// report's first view: none is beaten on both by another. `maximize_*` picks the direction;
// rows whose value is not a number are left out.
std::vector<std::size_t> pareto_front(const std::vector<std::pair<double, double>>& points, bool maximize_first,
                                      bool maximize_second);
// The same over any number of objectives (the report's front of throughput, cost and power):
// the points no other is at least as good as on every objective and better on one (of equal
// points the first is kept), in index order.
std::vector<std::size_t> pareto_front(const std::vector<std::vector<double>>& points, const std::vector<bool>& maximize);

}  // namespace dcsim::study
