#include "models/scenario/reliability_section.hpp"

#include <fmt/format.h>

#include "models/reliability/failure_classes.hpp"

namespace dcsim::scenario {
namespace {

void read_failures(MapReader& f, ReliabilityConfig& out) {
  std::vector<std::string> names;
  for (const auto& c : reliability::default_failure_classes()) names.push_back(c.name);
  for (const std::string& name : f.keys()) {
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string allowed;
      for (const auto& n : names) allowed += (allowed.empty() ? "" : ", ") + n;
      std::string msg = fmt::format("unknown failure class \"{}\"", name);
      if (auto guess = closest_match(name, names)) msg += fmt::format("; did you mean \"{}\"?", *guess);
      f.error(name, msg + "; allowed: " + allowed);
      continue;
    }
    MapReader c = f.map(name, true);
    FailureOverride o;
    o.name = name;
    if (c.has("per_1000_node_days")) o.per_1000_node_days = c.number("per_1000_node_days", std::nullopt, 0.0, 1e9);
    if (c.has("per_component_hour")) o.per_component_hour = c.number("per_component_hour", std::nullopt, 0.0, 1e6);
    if (o.per_1000_node_days && o.per_component_hour)
      c.error("per_component_hour", "give the rate once: per_1000_node_days or per_component_hour");
    if (c.has("weibull_shape")) o.weibull_shape = c.number("weibull_shape", std::nullopt, 0.1, 10.0);
    if (c.has("slowdown")) o.slowdown = c.number("slowdown", std::nullopt, 1.0, 100.0);
    if (c.has("detection")) o.detect_s = c.duration("detection").seconds();
    if (c.has("repair")) o.repair_s = c.duration("repair").seconds();
    c.finish();
    out.failures.push_back(o);
  }
}

}  // namespace

void read_reliability(MapReader& r, ReliabilityConfig& out, double train_tokens) {
  out.present = r.present();
  if (!out.present) return;
  out.trials = r.integer("trials", 100, 1, 1'000'000);
  out.threads = int(r.integer("threads", 0, 0, 4096));
  out.duration_s = r.duration("duration", Time::zero()).seconds();
  if (out.duration_s <= 0 && train_tokens <= 0)
    r.error("duration", "give a window (e.g. duration: 54 d) or workload.train_tokens to train");
  MapReader f = r.map("failures");
  if (f.present()) read_failures(f, out);
  auto& job = out.job;
  job.detect_s = r.duration("detection", Time::from_seconds(job.detect_s)).seconds();
  job.hang_detect_s = r.duration("hang_detection", Time::from_seconds(job.hang_detect_s)).seconds();
  job.straggler_detect_s = r.duration("straggler_detection", Time::from_seconds(job.straggler_detect_s)).seconds();
  MapReader restart = r.map("restart");
  job.reschedule_s = restart.duration("reschedule", Time::from_seconds(job.reschedule_s)).seconds();
  job.process_start_s = restart.duration("process_start", Time::from_seconds(job.process_start_s)).seconds();
  job.init_base_s = restart.duration("init", Time::from_seconds(job.init_base_s)).seconds();
  job.init_per_rank_s = restart.duration("init_per_rank", Time::from_seconds(job.init_per_rank_s)).seconds();
  restart.finish();
  MapReader spares = r.map("spares");
  const ConfigNode* nodes = spares.raw("nodes");
  if (nodes && nodes->is_scalar() && nodes->text() == "unlimited")
    job.spare_nodes = -1;
  else if (nodes)
    job.spare_nodes = spares.integer("nodes", std::nullopt, 0, 10'000'000);
  job.swap_s = spares.duration("swap", Time::from_seconds(job.swap_s)).seconds();
  job.node_repair_s = spares.duration("repair", Time::from_seconds(job.node_repair_s), true).seconds();
  job.elastic = spares.boolean("elastic", false);
  spares.finish();
  MapReader ck = r.map("checkpoint");
  auto& c = out.checkpoint;
  const ConfigNode* interval = ck.raw("interval");
  if (interval && interval->is_scalar() && interval->text() == "optimal") {
    c.interval_s = 0;
  } else if (interval) {
    c.interval_s = ck.duration("interval", std::nullopt, true).seconds();
  }
  c.async = ck.choice("mode", {"sync", "async"}, "sync") == "async";
  const ConfigNode* size = ck.raw("size");
  if (size && size->is_scalar() && size->text() == "auto") {
    c.size_bytes = 0;
  } else if (size) {
    c.size_bytes = ck.quantity("size", Dimension::Bytes, std::nullopt, 0.0, true);
  }
  c.write_bandwidth = ck.quantity("write_bandwidth", Dimension::Bandwidth, 2e12, kMinBandwidth);
  c.read_bandwidth = ck.quantity("read_bandwidth", Dimension::Bandwidth, c.write_bandwidth, kMinBandwidth);
  c.per_node_bandwidth = ck.quantity("per_node_bandwidth", Dimension::Bandwidth, 0.0, 0.0);
  if (c.per_node_bandwidth > 0 && c.per_node_bandwidth < kMinBandwidth)
    ck.error("per_node_bandwidth", fmt::format("allowed: 0 (no limit) or at least {} B/s", kMinBandwidth));
  c.copy_bandwidth = ck.quantity("copy_bandwidth", Dimension::Bandwidth, 25e9, kMinBandwidth);
  ck.finish();
}

}  // namespace dcsim::scenario
