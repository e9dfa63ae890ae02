#pragma once
// The files a cluster run leaves besides results.json: timeseries.csv (power and link
// utilization over simulated time), timeline.csv (one iteration's pipeline), report.html
// (self-contained charts), and power counter
// tracks added to trace.json. docs/results.md documents them.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "sim/trace_writer.hpp"
#include "engine/cluster_runtime.hpp"
#include "engine/timeseries_table.hpp"

namespace dcsim::engine {

TimeSeriesTable sample_timeseries(const ClusterRuntime& rt, std::size_t points = 400);

void write_timeseries_csv(const std::filesystem::path& file, const TimeSeriesTable& table);
void write_report_html(const std::filesystem::path& file, const nlohmann::ordered_json& results,
                       const TimeSeriesTable& table);
void add_power_counters(TraceWriter& trace, const TimeSeriesTable& table);
// timeline.csv: one iteration's pipeline timeline (results.training.timeline's spans, which
// the report draws). Nothing for a run without one.
inline constexpr const char* kTimelineFile = "timeline.csv";
void write_timeline_csv(const std::filesystem::path& file, const nlohmann::ordered_json& results);
// The first trial's failures of a whole run (results.json "reliability.events"): written as
// CSV, then the rows leave the document, which keeps their count and the file's name.
inline constexpr const char* kReliabilityEventsFile = "reliability_events.csv";
void write_reliability_events_csv(const std::filesystem::path& file, const nlohmann::ordered_json& results);
void take_reliability_events(nlohmann::ordered_json& results);
// Moves the spans out of the results (returned; empty when there are none): results.json
// keeps the file's name and the number of spans.
nlohmann::ordered_json take_timeline(nlohmann::ordered_json& results);

}  // namespace dcsim::engine
