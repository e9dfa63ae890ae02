#include "engine/engine.hpp"

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <stdexcept>

#include "dcsim_version.hpp"
#include "engine/cluster_runtime.hpp"
#include "engine/run_network.hpp"
#include "engine/run_outputs.hpp"
#include "engine/run_training.hpp"
#include "models/scenario/diagnostics.hpp"
#include "models/scenario/units.hpp"
#include "models/workload/queueing_workload.hpp"
#include "sim/atomic_file.hpp"
#include "sim/random.hpp"
#include "sim/simulator.hpp"
#include "sim/trace_writer.hpp"

namespace dcsim::engine {
namespace fs = std::filesystem;
using scenario::Dimension;
using scenario::format_quantity;
using scenario::WorkloadType;

namespace {

nlohmann::ordered_json queueing_json(const workload::QueueingResult& r) {
  return {{"jobs_completed", r.jobs_completed},
          {"makespan_s", r.makespan.seconds()},
          {"mean_wait_s", r.mean_wait_s},
          {"mean_sojourn_s", r.mean_sojourn_s},
          {"p50_sojourn_s", r.p50_sojourn_s},
          {"p99_sojourn_s", r.p99_sojourn_s},
          {"utilization", r.utilization},
          {"mean_queue_length", r.mean_queue_length},
          {"theory_mean_wait_s", r.theory_mean_wait_s},
          {"theory_utilization", r.theory_utilization}};
}

std::string queueing_summary(const scenario::Scenario& s, const workload::QueueingResult& r) {
  std::string out = fmt::format("{} (M/M/{} queue, {} jobs)\n", s.name, s.queueing.servers, r.jobs_completed);
  out += fmt::format("  makespan            {}\n", format_quantity(r.makespan.seconds(), Dimension::Duration));
  out += fmt::format("  utilization         {:.1f} %   (Erlang: {:.1f} %)\n", 100 * r.utilization, 100 * r.theory_utilization);
  out += fmt::format("  mean wait           {}   (Erlang C, steady state: {})\n",
                     format_quantity(r.mean_wait_s, Dimension::Duration),
                     format_quantity(r.theory_mean_wait_s, Dimension::Duration));
  out += fmt::format("  sojourn p50 / p99   {} / {}\n", format_quantity(r.p50_sojourn_s, Dimension::Duration),
                     format_quantity(r.p99_sojourn_s, Dimension::Duration));
  return out;
}

std::string_view workload_name(WorkloadType t) {
  switch (t) {
    case WorkloadType::Queueing: return "queueing";
    case WorkloadType::Collective: return "collective";
    case WorkloadType::Flows: return "flows";
    case WorkloadType::Training: return "training";
  }
  return "unknown";
}

// A folder never mixes two runs: the previous run's outputs go first, and results.json,
// written last, marks a finished run.
void prepare_out_dir(const fs::path& out) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw EnvironmentError(fmt::format("cannot create output folder {}: {}", out.string(), ec.message()));
  for (const char* name :
       {"results.json", "timeseries.csv", kTimelineFile, kReliabilityEventsFile, "report.html", "trace.json", "flows.csv"}) {
    fs::remove(out / name, ec);
    if (ec) throw EnvironmentError(fmt::format("cannot replace {}: {}", (out / name).string(), ec.message()));
  }
}

// The cluster workloads: training, a collective, or flows, on a cluster built for the run.
std::string run_on_cluster(const scenario::Scenario& s, Simulator& sim, RandomStreams& streams, TraceWriter* trace,
                           const fs::path* out, nlohmann::ordered_json& results, TimeSeriesTable& table) {
  ClusterRuntime rt(s, sim);
  std::string summary;
  if (s.workload_type == WorkloadType::Training) {
    std::string warnings;
    summary = run_training_workload(rt, trace, results, warnings);
    summary = warnings + summary;
  } else {
    summary = s.workload_type == WorkloadType::Collective ? run_collective_workload(rt, results)
                                                          : run_flows_workload(rt, streams, out, results);
    rt.finish();
    rt.write_json(results, sim.now().seconds());
    summary += rt.summary(sim.now().seconds());
    summary = rt.capacity_warning() + summary;
  }
  table = sample_timeseries(rt);
  return summary;
}

const nlohmann::ordered_json* find_path(const nlohmann::ordered_json& doc, std::string_view path) {
  const nlohmann::ordered_json* node = &doc;
  while (!path.empty()) {
    const std::size_t dot = path.find('.');
    const std::string key(path.substr(0, dot));
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (node->is_object()) {
      const auto it = node->find(key);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array() && !key.empty() && key.find_first_not_of("0123456789") == std::string::npos &&
               key.size() < 10 && std::stoul(key) < node->size()) {
      node = &(*node)[std::stoul(key)];
    } else {
      return nullptr;
    }
  }
  return node;
}

void collect_scalars(const nlohmann::ordered_json& node, const std::string& prefix,
                     std::vector<std::pair<std::string, double>>& out) {
  for (const auto& [key, value] : node.items()) {
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object())
      collect_scalars(value, path, out);
    else if (value.is_number())
      out.emplace_back(path, value.get<double>());
    else if (value.is_boolean())
      out.emplace_back(path, value.get<bool>() ? 1.0 : 0.0);
  }
}

}  // namespace

scenario::Scenario load(const fs::path& file, const std::vector<std::string>& overrides,
                        std::optional<std::uint64_t> seed) {
  scenario::Scenario s = scenario::load_scenario(file, overrides);
  if (seed) s.seed = *seed;
  return s;
}

void check(const scenario::Scenario& s) {
  if (s.workload_type == WorkloadType::Queueing) return;
  Simulator sim;
  ClusterRuntime rt(s, sim);
  if (s.workload_type == WorkloadType::Training) plan_training(rt);
  if (s.workload_type == WorkloadType::Collective) plan_collective_workload(rt);
}

RunResult run(const scenario::Scenario& s, const RunControl& control) {
  const auto wall_start = std::chrono::steady_clock::now();
  const fs::path* out = control.out_dir ? &*control.out_dir : nullptr;
  if (out) prepare_out_dir(*out);
  Simulator sim;
  RandomStreams streams(s.seed);
  std::unique_ptr<TraceWriter> trace;
  if (out && s.output.trace)
    trace = std::make_unique<TraceWriter>(*out / "trace.json", std::uint64_t(s.output.trace_max_events));
  if (control.progress)
    sim.set_progress_hook([&] { control.progress({sim.now().seconds(), sim.events_executed(), workload_name(s.workload_type)}); });

  RunResult r;
  nlohmann::ordered_json& results = r.results;
  results["schema_version"] = 1;
  results["dcsim_version"] = DCSIM_VERSION;
  results["scenario"] = {{"name", s.name}, {"description", s.description}, {"source", s.source}, {"seed", s.seed}};
  if (s.workload_type == WorkloadType::Queueing) {
    workload::QueueingResult q = workload::run_queueing(sim, s.queueing, streams, trace.get());
    results["queueing"] = queueing_json(q);
    r.summary = queueing_summary(s, q);
  } else {
    r.summary = run_on_cluster(s, sim, streams, trace.get(), out, results, r.timeseries);
  }
  sim.set_progress_hook(nullptr);
  if (out) {
    if (s.output.timeseries && s.workload_type != WorkloadType::Queueing) write_timeseries_csv(*out / "timeseries.csv", r.timeseries);
    if (trace) add_power_counters(*trace, r.timeseries);
    if (s.output.report) write_report_html(*out / "report.html", results, r.timeseries);
    write_timeline_csv(*out / kTimelineFile, results);
    if (results.contains("reliability")) write_reliability_events_csv(*out / kReliabilityEventsFile, results);
  }
  r.timeline = take_timeline(results);
  take_reliability_events(results);
  r.events = sim.events_executed();
  r.simulated_seconds = sim.now().seconds();
  results["simulation"] = {{"events_executed", r.events}, {"simulated_time_s", r.simulated_seconds}};
  if (trace) trace->close();
  if (out) write_file_atomically(*out / "results.json", results.dump(2) + "\n");
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return r;
}

double RunResult::number(std::string_view dotted_path) const {
  const nlohmann::ordered_json* node = find_path(results, dotted_path);
  if (node && node->is_boolean()) return node->get<bool>() ? 1.0 : 0.0;
  if (!node || !node->is_number())
    throw std::out_of_range(fmt::format("results have no number at \"{}\"", dotted_path));
  return node->get<double>();
}

std::vector<std::pair<std::string, double>> RunResult::scalars() const {
  std::vector<std::pair<std::string, double>> out;
  collect_scalars(results, "", out);
  return out;
}

}  // namespace dcsim::engine
