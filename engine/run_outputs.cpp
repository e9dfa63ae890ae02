#include "engine/run_outputs.hpp"

#include "models/scenario/units.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/atomic_file.hpp"
#include "engine/svg_charts.hpp"

namespace dcsim::engine {

TimeSeriesTable sample_timeseries(const ClusterRuntime& rt, std::size_t points) {
  TimeSeriesTable t;
  const Time end = rt.power->facility_series().end();
  if (end <= Time::zero()) return t;
  points = std::max<std::size_t>(1, std::min<std::size_t>(points, std::size_t(end.count_ns())));
  const Time step = Time::ns(std::max<std::int64_t>(1, end.count_ns() / std::int64_t(points)));
  const std::int64_t racks = rt.cluster.racks();
  const bool each_rack = racks <= 32;
  t.columns = {"time_s", "facility_w"};
  if (each_rack) {
    for (std::int64_t r = 0; r < racks; ++r) t.columns.push_back(fmt::format("rack{}_w", r));
  } else {
    t.columns.insert(t.columns.end(), {"rack_min_w", "rack_mean_w", "rack_max_w"});
  }
  std::vector<network::LinkClass> classes;
  for (int c = 0; c < network::kLinkClassCount; ++c) {
    const auto cls = static_cast<network::LinkClass>(c);
    if (rt.network->class_capacity(cls) > 0) {
      classes.push_back(cls);
      t.columns.push_back(fmt::format("util_{}_fraction", network::to_string(cls)));
    }
  }
  std::vector<double> rack_w;
  for (Time t0 = Time::zero(); t0 < end; t0 += step) {
    const Time t1 = std::min(end, t0 + step);
    std::vector<double> row = {t0.seconds(), rt.power->facility_series().average_over(t0, t1)};
    rt.power->rack_series().averages_over(t0, t1, rack_w);
    if (each_rack) {
      row.insert(row.end(), rack_w.begin(), rack_w.end());
    } else {
      double lo = 1e300, hi = 0, sum = 0;
      for (const double v : rack_w) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
        sum += v;
      }
      row.insert(row.end(), {lo, sum / double(racks), hi});
    }
    for (auto cls : classes) row.push_back(rt.network->class_utilization().average_over(std::size_t(cls), t0, t1));
    t.rows.push_back(std::move(row));
  }
  return t;
}

void write_timeseries_csv(const std::filesystem::path& file, const TimeSeriesTable& table) {
  AtomicFile out(file);
  std::string line;
  for (std::size_t i = 0; i < table.columns.size(); ++i) line += (i ? "," : "") + table.columns[i];
  out.write(line + "\n");
  for (const auto& row : table.rows) {
    line.clear();
    for (std::size_t i = 0; i < row.size(); ++i) line += fmt::format("{}{:.9g}", i ? "," : "", row[i]);
    out.write(line + "\n");
  }
  out.commit();
}

void write_timeline_csv(const std::filesystem::path& file, const nlohmann::ordered_json& results) {
  if (!results.contains("training") || !results["training"].contains("timeline")) return;
  AtomicFile out(file);
  out.write("stage,kind,start_s,end_s,microbatch,chunk\n");
  for (const auto& sp : results["training"]["timeline"]["spans"])
    out.write(fmt::format("{},{},{:.9g},{:.9g},{},{}\n", sp[0].get<int>(), sp[1].get<std::string>(), sp[2].get<double>(),
                          sp[3].get<double>(), sp[4].get<int>(), sp[5].get<int>()));
  out.commit();
}

void write_reliability_events_csv(const std::filesystem::path& file, const nlohmann::ordered_json& results) {
  const auto& events = results["reliability"]["events"];
  AtomicFile out(file);
  out.write("time_s,component,index,node,category,interrupted,downtime_s,lost_work_s\n");
  for (const auto& e : events["rows"])
    out.write(fmt::format("{:.9g},{},{},{},{},{},{:.9g},{:.9g}\n", e[0].get<double>(), e[1].get<std::string>(),
                          e[2].get<std::int64_t>(), e[3].get<std::int64_t>(), e[4].get<std::string>(),
                          e[5].get<bool>() ? 1 : 0, e[6].get<double>(), e[7].get<double>()));
  out.commit();
}

void take_reliability_events(nlohmann::ordered_json& results) {
  if (!results.contains("reliability")) return;
  auto& events = results["reliability"]["events"];
  const std::size_t rows = events["rows"].size();
  events = {{"trial", 0}, {"file", kReliabilityEventsFile}, {"rows", rows}};  // progress: report.html only
}

nlohmann::ordered_json take_timeline(nlohmann::ordered_json& results) {
  if (!results.contains("training") || !results["training"].contains("timeline")) return nlohmann::ordered_json::array();
  auto& timeline = results["training"]["timeline"];
  nlohmann::ordered_json spans = std::move(timeline["spans"]);
  timeline = {{"replica", 0}, {"file", kTimelineFile}, {"spans", spans.size()}};
  return spans;
}

void add_power_counters(TraceWriter& trace, const TimeSeriesTable& table) {
  if (table.rows.empty()) return;
  trace.process_name(0, "power");
  for (const auto& row : table.rows) trace.counter(0, "facility power (MW)", Time::from_seconds(row[0]), row[1] / 1e6);
}

namespace {
using scenario::Dimension;
using scenario::format_count;
using scenario::format_quantity;

// The key figures, as the terminal prints them, for whichever workload ran.
std::string metric_rows(const nlohmann::ordered_json& r) {
  std::string out;
  auto row = [&](const std::string& name, const std::string& value) {
    out += fmt::format("<tr><th>{}</th><td>{}</td></tr>", svg::escape(name), svg::escape(value));
  };
  if (r.contains("training")) {
    const auto& t = r["training"];
    const auto& p = t["parallelism"];
    row("model", fmt::format("{} ({} B parameters)", t["model"]["name"].get<std::string>(),
                             format_count(t["model"]["parameters"].get<double>() / 1e9)));
    row("plan", fmt::format("TP{} PP{} DP{} CP{} EP{}, {} schedule, microbatch {}, global batch {}, recompute {}, "
                            "ZeRO-{}, {}",
                            p["tp"].get<int>(), p["pp"].get<int>(), p["dp"].get<int>(), p["cp"].get<int>(),
                            p["ep"].get<int>(), p["schedule"].get<std::string>(), p["microbatch"].get<int>(),
                            p["global_batch"].get<std::int64_t>(), p["recompute"].get<std::string>(),
                            p["zero"].get<int>(), p["precision"].get<std::string>()));
    if (r.contains("cluster"))
      row("devices", fmt::format("{} x {}", r["cluster"]["accelerators"].get<std::int64_t>(),
                                 r["cluster"]["accelerator"].get<std::string>()));
    row("iteration time", format_quantity(t["iteration_time_s"].get<double>(), Dimension::Duration));
    row("throughput", format_count(t["tokens_per_s"].get<double>()) + " tokens/s");
    row("TFLOP/s per device", fmt::format("{:.0f}", t["tflops_per_device"].get<double>()));
    row("MFU / HFU", fmt::format("{:.1f} % / {:.1f} %", 100 * t["mfu"].get<double>(), 100 * t["hfu"].get<double>()));
    row("peak memory per device", format_quantity(r["memory"]["peak_bytes_per_device"].get<double>(), Dimension::Bytes) +
                                      " of " + format_quantity(r["memory"]["hbm_bytes"].get<double>(), Dimension::Bytes));
    if (t["time_to_train_s"].get<double>() > 0)
      row("time to train", format_quantity(t["time_to_train_s"].get<double>(), Dimension::Duration));
  }
  if (r.contains("reliability")) {
    const auto& rel = r["reliability"];
    const auto& g = rel["goodput"];
    row("whole-run goodput", fmt::format("{:.1f} % (p5 {:.1f} %, p95 {:.1f} %), {} trials", 100 * g["mean"].get<double>(),
                                         100 * g["p5"].get<double>(), 100 * g["p95"].get<double>(),
                                         rel["trials"].get<std::int64_t>()));
    if (rel["mode"] == "time_to_train") {
      const auto& w = rel["wall_s"];
      row("time to train with failures", fmt::format("{:.1f} d (p5 {:.1f} d, p95 {:.1f} d)", w["p50"].get<double>() / 86400,
                                                     w["p5"].get<double>() / 86400, w["p95"].get<double>() / 86400));
    }
    row("interruptions", fmt::format("{:.0f} on average", rel["interruptions"]["mean"].get<double>()));
    row("checkpoint", fmt::format("every {} ({}), {} blocking", format_quantity(rel["checkpoint"]["interval_s"].get<double>(), Dimension::Duration),
                                  rel["checkpoint"]["interval_choice"].get<std::string>() == "daly" ? "Daly's optimum" : "given",
                                  format_quantity(rel["checkpoint"]["blocking_s"].get<double>(), Dimension::Duration)));
  }
  if (r.contains("flows")) {
    const auto& f = r["flows"];
    row("flows", fmt::format("{}, {} in all", format_count(f["count"].get<double>()),
                             format_quantity(f["bytes"].get<double>(), Dimension::Bytes)));
    row("completion time mean / p50 / p99",
        format_quantity(f["completion_time_mean_s"].get<double>(), Dimension::Duration) + " / " +
            format_quantity(f["completion_time_p50_s"].get<double>(), Dimension::Duration) + " / " +
            format_quantity(f["completion_time_p99_s"].get<double>(), Dimension::Duration));
    row("makespan", format_quantity(f["makespan_s"].get<double>(), Dimension::Duration));
  }
  if (r.contains("queueing")) {
    const auto& q = r["queueing"];
    row("jobs", format_count(q["jobs_completed"].get<double>()));
    row("utilization", fmt::format("{:.1f} %", 100 * q["utilization"].get<double>()));
    row("mean wait", format_quantity(q["mean_wait_s"].get<double>(), Dimension::Duration));
    row("sojourn p50 / p99", format_quantity(q["p50_sojourn_s"].get<double>(), Dimension::Duration) + " / " +
                                 format_quantity(q["p99_sojourn_s"].get<double>(), Dimension::Duration));
  }
  if (r.contains("network")) row("network model", r["network"]["model"].get<std::string>());
  if (r.contains("power")) {
    row("facility power (average / peak)", format_quantity(r["power"]["facility_avg_w"].get<double>(), Dimension::Power) +
                                               " / " + format_quantity(r["power"]["facility_peak_w"].get<double>(), Dimension::Power));
    row("energy", format_quantity(r["energy"]["facility_kwh"].get<double>() * 3.6e6, Dimension::Energy));
    row("cost", format_quantity(r["cost"]["total_usd"].get<double>(), Dimension::Money));
  }
  return out;
}

// Per-workload tables: the collective's sizes, the hottest links.
std::string detail_tables(const nlohmann::ordered_json& r) {
  std::string out;
  if (r.contains("collective")) {
    out += "<h2>Collective</h2><table><tr><th>size</th><th>algorithm</th><th>time</th><th>algbw</th><th>busbw</th></tr>";
    for (const auto& c : r["collective"]["results"])
      out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                         format_quantity(c["bytes"].get<double>(), Dimension::Bytes), svg::escape(c["algorithm"].get<std::string>()),
                         format_quantity(c["time_s"].get<double>(), Dimension::Duration),
                         format_quantity(c["algbw_bytes_per_s"].get<double>(), Dimension::Bandwidth),
                         format_quantity(c["busbw_bytes_per_s"].get<double>(), Dimension::Bandwidth));
    out += "</table>";
  }
  if (r.contains("network") && !r["network"]["hottest_links"].empty()) {
    out += "<h2>Hottest links</h2><table><tr><th>link</th><th>class</th><th>bytes</th><th>utilization</th></tr>";
    std::size_t shown = 0;
    for (const auto& l : r["network"]["hottest_links"]) {
      if (shown++ == 5) break;
      out += fmt::format("<tr><td>{} &rarr; {}</td><td>{}</td><td>{}</td><td>{:.1f} %</td></tr>",
                         svg::escape(l["from"].get<std::string>()), svg::escape(l["to"].get<std::string>()),
                         svg::escape(l["class"].get<std::string>()), format_quantity(l["bytes"].get<double>(), Dimension::Bytes),
                         100 * l["utilization"].get<double>());
    }
    out += "</table>";
  }
  return out;
}
// The breakdown as the terminal prints it: readable names with their share, only
// the parts that took time, largest first.
std::vector<svg::Series> breakdown_parts(const nlohmann::ordered_json& breakdown) {
  static const std::vector<std::pair<std::string, std::string>> names = {
      {"compute", "compute"},          {"tp_exposed", "TP"},   {"ep_exposed", "EP"},
      {"cp_exposed", "CP"},            {"fsdp_exposed", "FSDP"}, {"pp_exposed", "PP"},
      {"pipeline_bubble", "pipeline bubble"}, {"dp_exposed", "DP"}, {"optimizer", "optimizer"}};
  std::vector<std::pair<double, svg::Series>> parts;
  for (const auto& [key, name] : names) {
    if (!breakdown.contains(key)) continue;
    const double share = 100 * breakdown[key]["fraction"].get<double>();
    if (share < 0.05) continue;
    parts.push_back({share, {fmt::format("{} {:.1f} %", name, share), {share}}});
  }
  std::stable_sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<svg::Series> out;
  for (auto& p : parts) out.push_back(std::move(p.second));
  return out;
}

// One iteration of every pipeline stage (replica 0): its tasks, the waits between them, and
// the communication and optimizer at its end.
std::string pipeline_timeline(const nlohmann::ordered_json& training) {
  static const std::vector<std::pair<std::string, svg::Kind>> kinds = {
      {"forward", {"forward", "#4e79a7"}},        {"backward", {"backward", "#59a14f"}},
      {"tp_cp_ep_comm", {"TP/CP/EP comm", "#edc948"}}, {"pp_wait", {"PP wait", "#f28e2b"}},
      {"bubble", {"bubble", "#d9d9d9"}},          {"dp", {"DP comm", "#e15759"}},
      {"optimizer", {"optimizer", "#b07aa1"}}};
  std::vector<svg::Kind> legend;
  for (const auto& k : kinds) legend.push_back(k.second);
  const std::int64_t stages = training["parallelism"]["pp"].get<std::int64_t>();
  std::vector<std::string> rows;
  for (std::int64_t p = 0; p < stages; ++p) rows.push_back(fmt::format("stage {}", p));
  std::vector<svg::Bar> bars;
  for (const auto& sp : training["timeline"]["spans"]) {
    const std::string kind = sp[1].get<std::string>();
    const auto k = std::find_if(kinds.begin(), kinds.end(), [&](const auto& e) { return e.first == kind; });
    const double a = sp[2].get<double>(), b = sp[3].get<double>();
    std::string tip = fmt::format("stage {}: {}", sp[0].get<int>(), k->second.name);
    if (sp[4].get<int>() >= 0) tip += fmt::format(" mb {}", sp[4].get<int>());
    if (sp[5].get<int>() >= 0 && training["parallelism"]["virtual_stages"].get<int>() > 1)
      tip += fmt::format(" chunk {}", sp[5].get<int>());
    tip += fmt::format(", {} from {}", format_quantity(b - a, Dimension::Duration), format_quantity(a, Dimension::Duration));
    bars.push_back({sp[0].get<std::size_t>(), std::size_t(k - kinds.begin()), 1e3 * a, 1e3 * b, tip});
  }
  return svg::timeline("One iteration's pipeline (data-parallel replica 0)", "time in the iteration (ms)", rows, legend,
                       bars);
}

// A whole run: where its wall time goes (mean over the trials), and the first trial's
// interruptions accumulating over the days, by category.
std::string whole_run_charts(const nlohmann::ordered_json& rel) {
  const double wall = rel["wall_s"]["mean"].get<double>();
  if (!(wall > 0)) return "";
  const auto& lost = rel["time_lost_s"];
  const auto pct = [wall](double s) { return std::vector<double>{100 * s / wall}; };
  const double kept = wall - lost["restarts"].get<double>() - lost["lost_work"].get<double>() -
                      lost["checkpoints"].get<double>() - lost["slowdowns"].get<double>();
  std::string out = svg::stacked_bars(
      fmt::format("Where a whole run's time goes (mean of {} trials)", rel["trials"].get<std::int64_t>()), "% of wall time",
      {"run"},
      {{"training kept", pct(kept)},
       {"restarts", pct(lost["restarts"].get<double>())},
       {"redone work", pct(lost["lost_work"].get<double>())},
       {"checkpoints", pct(lost["checkpoints"].get<double>())},
       {"slowdowns", pct(lost["slowdowns"].get<double>())}});
  const auto& rows = rel["events"]["rows"];
  if (!rows.is_array() || rows.empty()) return out;
  std::vector<std::string> categories;
  for (const auto& e : rows) {
    const std::string c = e[4].get<std::string>();
    if (std::find(categories.begin(), categories.end(), c) == categories.end()) categories.push_back(c);
  }
  std::sort(categories.begin(), categories.end());
  std::vector<double> x = {0};
  std::vector<svg::Series> series;
  for (const auto& c : categories) series.push_back({c, {0}});
  for (const auto& e : rows) {
    if (!e[5].get<bool>()) continue;
    x.push_back(e[0].get<double>() / 86400);
    for (std::size_t i = 0; i < categories.size(); ++i)
      series[i].values.push_back(series[i].values.back() + (categories[i] == e[4].get<std::string>() ? 1 : 0));
  }
  x.push_back(wall / 86400);
  for (auto& sr : series) sr.values.push_back(sr.values.back());
  out += svg::line_chart("Interruptions over the run (trial 0), by category", "day", "interruptions", x, series);
  // The run's timeline: training kept against wall time, with the failure-free line.
  const auto& progress = rel["events"]["progress"];
  if (progress.is_array() && progress.size() >= 2) {
    std::vector<double> days;
    std::vector<svg::Series> kept = {{"trial 0", {}}, {"without failures", {}}};
    for (const auto& p : progress) {
      days.push_back(p[0].get<double>() / 86400);
      kept[0].values.push_back(p[1].get<double>() / 86400);
      kept[1].values.push_back(p[0].get<double>() / 86400);
    }
    out += svg::line_chart("Training kept over the run (trial 0)", "day", "days of training", days, kept);
  }
  return out;
}
}  // namespace

void write_report_html(const std::filesystem::path& file, const nlohmann::ordered_json& r, const TimeSeriesTable& table) {
  std::string charts;
  if (r.contains("training")) {
    charts += svg::stacked_bars("Where an iteration's time goes", "% of the iteration", {"iteration"},
                                breakdown_parts(r["training"]["breakdown"]));
    std::vector<std::string> stages;
    // The parts stack to the device's total: reserved is allocated + fragmentation, so it is
    // not a part of its own (stacking it counted the allocated memory twice).
    std::vector<svg::Series> mem = {{"weights", {}},     {"gradients", {}}, {"optimizer", {}},     {"activations", {}},
                                    {"buffers", {}},     {"fragmentation", {}}, {"context, NCCL, workspaces", {}}};
    for (const auto& s : r["memory"]["per_stage"]) {
      // Many stages: the number alone (the title says what they are).
      stages.push_back(r["memory"]["per_stage"].size() > 6 ? fmt::format("{}", s["stage"].get<int>())
                                                           : fmt::format("stage {}", s["stage"].get<int>()));
      const char* keys[] = {"weights_bytes", "gradients_bytes",     "optimizer_bytes", "activations_bytes",
                            "buffers_bytes", "fragmentation_bytes", "runtime_bytes"};
      for (int i = 0; i < 7; ++i) mem[i].values.push_back(s[keys[i]].get<double>() / 1e9);
    }
    charts += svg::stacked_bars("Memory per device, by pipeline stage", "GB", stages, mem,
                                r["memory"]["hbm_bytes"].get<double>() / 1e9, "HBM");
    if (r["training"].contains("timeline")) charts += pipeline_timeline(r["training"]);
  }
  if (r.contains("reliability")) charts += whole_run_charts(r["reliability"]);
  if (r.contains("queueing")) {
    const auto& q = r["queueing"];
    const double theory = q["theory_mean_wait_s"].is_number() ? q["theory_mean_wait_s"].get<double>() : 0.0;
    charts += svg::stacked_bars("Mean wait: simulated against Erlang C", "ms", {"simulated", "Erlang C"},
                                {{"mean wait", {1e3 * q["mean_wait_s"].get<double>(), 1e3 * theory}}});
  }
  if (!table.rows.empty()) {
    std::vector<double> x;
    std::vector<svg::Series> power = {{"facility", {}}};
    std::vector<svg::Series> links;
    std::vector<std::size_t> link_cols;
    for (std::size_t c = 0; c < table.columns.size(); ++c)
      if (table.columns[c].rfind("util_", 0) == 0) {
        links.push_back({table.columns[c].substr(5, table.columns[c].size() - 5 - 9), {}});
        link_cols.push_back(c);
      }
    for (const auto& row : table.rows) {
      x.push_back(row[0]);
      power[0].values.push_back(row[1] / 1e6);
      for (std::size_t i = 0; i < link_cols.size(); ++i) links[i].values.push_back(100 * row[link_cols[i]]);
    }
    charts += svg::line_chart("Facility power over time", "simulated time (s)", "MW", x, power);
    if (!links.empty()) charts += svg::line_chart("Link utilization by class", "simulated time (s)", "% of capacity", x, links);
  }
  const std::string name = r["scenario"]["name"].get<std::string>();
  std::string html = fmt::format(R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dcsim report: {0}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 800px; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }} th, td {{ text-align: left; padding: 3px 12px; border-bottom: 1px solid #ddd; }}
svg.chart {{ display: block; margin: 1.5em 0; }} .title {{ font-size: 15px; font-weight: 600; }}
.axis, .legend {{ font-size: 12px; }} .tick {{ font-size: 11px; fill: #555; }}
.grid {{ stroke: #eee; }} .axisline {{ stroke: #888; }} .reference {{ stroke: #c00; stroke-dasharray: 4 3; }}
</style></head>
<body>
<h1>{0}</h1>
<p>{1}</p>
<table>{2}</table>
{5}
{3}
<p><small>dcsim {4}: results.json holds every figure; timeseries.csv the series behind the charts.</small></p>
<script>
window.addEventListener('load', function () {{
  document.body.dataset.charts = String(document.querySelectorAll('svg.chart').length);
}});
</script>
</body></html>
)",
                                 svg::escape(name), svg::escape(r["scenario"].value("description", std::string())),
                                 metric_rows(r), charts, r["dcsim_version"].get<std::string>(), detail_tables(r));
  write_file_atomically(file, html);
}

}  // namespace dcsim::engine
