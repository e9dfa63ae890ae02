#include "tools/run_command.hpp"

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "dcsim_version.hpp"
#include "models/scenario/diagnostics.hpp"
#include "models/scenario/scenario.hpp"
#include "models/scenario/units.hpp"
#include "sim/atomic_file.hpp"
#include "sim/random.hpp"
#include "sim/simulator.hpp"
#include "sim/trace_writer.hpp"
#include "tools/cluster_runtime.hpp"
#include "tools/run_network.hpp"
#include "tools/run_training.hpp"
#include "tools/progress_line.hpp"
#include "tools/run_outputs.hpp"

namespace dcsim::app {
namespace fs = std::filesystem;
using scenario::Dimension;
using scenario::format_quantity;

fs::path default_out_dir(const fs::path& scenario) { return fs::path("out") / scenario.stem(); }

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

}  // namespace

int validate_scenario(const fs::path& path, const std::vector<std::string>& overrides) {
  try {
    const scenario::Scenario s = scenario::load_scenario(path, overrides);
    // The run's own checks short of simulating: the cluster and fabric build, the training
    // plan's costs and memory.
    if (s.workload_type != scenario::WorkloadType::Queueing) {
      Simulator sim;
      ClusterRuntime rt(s, sim);
      if (s.workload_type == scenario::WorkloadType::Training) plan_training(rt);
      if (s.workload_type == scenario::WorkloadType::Collective) plan_collective_workload(rt);
    }
    fmt::print("{}: ok ({})\n", path.string(), s.name);
    return 0;
  } catch (const scenario::InputError& e) {
    std::cerr << e.what();
    return 2;
  }
}

int run_scenario(const RunOptions& options) {
  scenario::Scenario s;
  try {
    s = scenario::load_scenario(options.scenario, options.overrides);
  } catch (const scenario::InputError& e) {
    std::cerr << e.what();
    return 2;
  }
  if (options.seed) s.seed = *options.seed;
  const fs::path out = options.out_dir.value_or(default_out_dir(options.scenario));
  std::error_code ec;
  if (options.out_dir && options.out_dir->empty()) {
    std::cerr << "error: --out: an empty folder name; give a folder, or leave --out out for out/<scenario name>/\n";
    return 2;
  }
  fs::create_directories(out, ec);
  if (ec) {
    std::cerr << fmt::format("error: cannot create output folder {}: {}\n", out.string(), ec.message());
    return kEnvironmentErrorExit;
  }
  // A folder never mixes two runs: the previous run's outputs go first, and results.json,
  // written last, marks a finished run. An interrupted run leaves no temporary files.
  for (const char* name : {"results.json", "timeseries.csv", "timeline.csv", "report.html", "trace.json", "flows.csv"}) {
    fs::remove(out / name, ec);
    if (ec) {
      std::cerr << fmt::format("error: cannot replace {}: {}\n", (out / name).string(), ec.message());
      return kEnvironmentErrorExit;
    }
  }
  remove_temporary_files_on_signals();
  try {
    const auto wall_start = std::chrono::steady_clock::now();
    Simulator sim;
    RandomStreams streams(s.seed);
    std::unique_ptr<TraceWriter> trace;
    if (s.output.trace) trace = std::make_unique<TraceWriter>(out / "trace.json", std::uint64_t(s.output.trace_max_events));

    nlohmann::ordered_json results;
    results["schema_version"] = 1;
    results["dcsim_version"] = DCSIM_VERSION;
    results["scenario"] = {{"name", s.name}, {"description", s.description}, {"source", s.source}, {"seed", s.seed}};
    ProgressLine progress(sim, !options.quiet);
    std::string summary;
    if (s.workload_type == scenario::WorkloadType::Queueing) {
      workload::QueueingResult q = workload::run_queueing(sim, s.queueing, streams, trace.get());
      results["queueing"] = queueing_json(q);
      summary = queueing_summary(s, q);
      if (s.output.report) write_report_html(out / "report.html", results, TimeSeriesTable{});
    } else {
      ClusterRuntime rt(s, sim);
      if (s.workload_type == scenario::WorkloadType::Training) {
        std::string warnings;
        progress.set_status("training", 0, double(s.training.iterations));
        summary = run_training_workload(rt, trace.get(), results, warnings);
        summary = warnings + summary;
      } else {
        if (s.workload_type == scenario::WorkloadType::Collective)
          summary = run_collective_workload(rt, results);
        else
          summary = run_flows_workload(rt, streams, out, results);
        rt.finish();
        rt.write_json(results, sim.now().seconds());
        summary += rt.summary(sim.now().seconds());
        summary = rt.capacity_warning() + summary;
      }
      const TimeSeriesTable table = sample_timeseries(rt);
      if (s.output.timeseries) write_timeseries_csv(out / "timeseries.csv", table);
      if (trace) add_power_counters(*trace, table);
      if (s.output.report) write_report_html(out / "report.html", results, table);
      move_timeline_to_csv(out / "timeline.csv", results);
    }
    results["simulation"] = {{"events_executed", sim.events_executed()}, {"simulated_time_s", sim.now().seconds()}};
    if (trace) trace->close();
    write_file_atomically(out / "results.json", results.dump(2) + "\n");

    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    if (!options.quiet) {
      fmt::print("{}", summary);
      fmt::print("  simulated {} events in {:.3f} s wall ({} events/s)\n", scenario::format_count(double(sim.events_executed())),
                 wall, scenario::format_count(wall > 0 ? double(sim.events_executed()) / wall : 0.0));
      fmt::print("  results in {}/\n", out.string());
    }
    return 0;
  } catch (const scenario::InputError& e) {
    std::cerr << e.what();
    return 2;
  } catch (const EnvironmentError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kEnvironmentErrorExit;
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace dcsim::app
