#pragma once
// The files a cluster run leaves besides results.json: timeseries.csv (power and link
// utilization over simulated time), timeline.csv (one iteration's pipeline), report.html
// (self-contained charts), and power counter
// tracks added to trace.json. docs/results.md documents them.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "sim/trace_writer.hpp"
#include "tools/cluster_runtime.hpp"

namespace dcsim::app {

// The common time grid for timeseries.csv and the report's charts.
struct TimeSeriesTable {
  std::vector<std::string> columns;       // name_unit, first "time_s"
  std::vector<std::vector<double>> rows;  // one per grid point
};
TimeSeriesTable sample_timeseries(const ClusterRuntime& rt, std::size_t points = 400);

void write_timeseries_csv(const std::filesystem::path& file, const TimeSeriesTable& table);
void write_report_html(const std::filesystem::path& file, const nlohmann::ordered_json& results,
                       const TimeSeriesTable& table);
void add_power_counters(TraceWriter& trace, const TimeSeriesTable& table);
// timeline.csv: one iteration's pipeline timeline (results.training.timeline's spans, which
// the report draws); results.json keeps the file's name and the number of spans.
void move_timeline_to_csv(const std::filesystem::path& file, nlohmann::ordered_json& results);

}  // namespace dcsim::app
