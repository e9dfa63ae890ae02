#include "engine/run_reliability.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "models/reliability/failure_classes.hpp"
#include "models/reliability/monte_carlo.hpp"
#include "models/scenario/diagnostics.hpp"
#include "models/scenario/units.hpp"
#include "sim/random.hpp"

namespace dcsim::engine {
using namespace reliability;
using scenario::Dimension;
using scenario::format_quantity;

namespace {

// Bytes per parameter in a checkpoint: BF16 weights (2) and the optimizer's FP32 master
// weights and Adam moments (4 + 4 + 4), whatever the training precision.
constexpr double kCheckpointBytesPerParam = 14;
// The most events a study may simulate: about a minute on two cores (30 ns an event).
constexpr double kMostTrialEvents = 4e9;

nlohmann::ordered_json distribution_json(const Distribution& d) {
  return {{"mean", d.mean}, {"stddev", d.stddev}, {"p5", d.p5}, {"p50", d.p50}, {"p95", d.p95}, {"min", d.min}, {"max", d.max}};
}

std::string days(double seconds) { return fmt::format("{:.1f} d", seconds / 86400); }

}  // namespace

ClusterShape cluster_shape_of(const ClusterRuntime& rt) {
  ClusterShape s;
  s.gpus = rt.cluster.devices();
  s.nodes = rt.cluster.servers();
  s.gpus_per_node = std::max<std::int64_t>(1, s.gpus / std::max<std::int64_t>(1, s.nodes));
  s.nodes_per_rack = std::clamp<std::int64_t>(rt.scenario.cluster.servers_per_rack, 1, std::max<std::int64_t>(1, s.nodes));
  s.nodes_per_domain = std::clamp<std::int64_t>(rt.cluster.domain_size() / s.gpus_per_node, 1, std::max<std::int64_t>(1, s.nodes));
  const auto& plan = rt.scenario.training.plan;
  s.replicas = std::max<std::int64_t>(1, plan.dp);
  s.nodes_per_replica = std::max<std::int64_t>(1, s.nodes / s.replicas);
  // Switches from the fabric: leaves (tier 1) and the tiers above; a leaf's blast radius is
  // the servers it connects.
  const auto& topo = rt.network->fabric().topology();
  std::int64_t nics = 0;
  network::NodeId first_leaf = -1;
  for (network::NodeId n = 0; n < network::NodeId(topo.node_count()); ++n) {
    const network::Node& node = topo.node(n);
    if (node.kind == network::NodeKind::Nic) ++nics;
    if (node.kind != network::NodeKind::Switch) continue;
    if (node.tier == 1) {
      ++s.leaf_switches;
      if (first_leaf < 0) first_leaf = n;
    } else if (node.tier >= 2) {
      ++s.spine_switches;
    }
  }
  s.nodes_per_leaf = 1;
  if (first_leaf >= 0 && nics > 0) {
    std::set<std::int64_t> servers;
    for (network::LinkId l : topo.out_links(first_leaf)) {
      const network::Node& to = topo.node(topo.link(l).to);
      if (to.kind == network::NodeKind::Nic) servers.insert(to.index * s.nodes / nics);
      if (to.kind == network::NodeKind::Device) servers.insert(to.index / s.gpus_per_node);
    }
    s.nodes_per_leaf = std::max<std::int64_t>(1, std::int64_t(servers.size()));
  }
  return s;
}

std::vector<FailureClass> failure_classes_of(const ClusterRuntime& rt, const ClusterShape& shape) {
  std::vector<FailureClass> classes = default_failure_classes();
  for (const auto& o : rt.scenario.reliability.failures)
    for (FailureClass& c : classes) {
      if (c.name != o.name) continue;
      const bool rate_given = o.per_1000_node_days.value_or(0) > 0 || o.per_component_hour.value_or(0) > 0;
      if (rate_given && component_count(c.scope, shape) == 0)
        throw scenario::InputError(fmt::format(
            "{}: error: reliability.failures.{}: a rate of {} given, but this cluster has no {} for it to apply to; "
            "allowed: a rate for a class whose components the cluster has\n",
            rt.scenario.source, c.name,
            o.per_1000_node_days ? fmt::format("{:g} per 1,000 node-days", *o.per_1000_node_days)
                                 : fmt::format("{:g} per component-hour", *o.per_component_hour),
            to_string(c.scope)));
      if (o.per_1000_node_days) c.rate_per_hour = per_component_hour(*o.per_1000_node_days, c.scope, shape);
      if (o.per_component_hour) c.rate_per_hour = *o.per_component_hour;
      if (o.weibull_shape) c.weibull_shape = *o.weibull_shape;
      if (o.slowdown) c.slowdown = *o.slowdown;
      if (o.detect_s) c.detect_s = *o.detect_s;
      if (o.repair_s) c.repair_s = *o.repair_s;
    }
  return classes;
}

std::string run_whole_run(const ClusterRuntime& rt, const WholeRunInputs& in, nlohmann::ordered_json& results) {
  const auto& cfg = rt.scenario.reliability;
  ReliabilitySpec spec;
  const ClusterShape shape = cluster_shape_of(rt);
  spec.classes = failure_classes_of(rt, shape);
  spec.job = cfg.job;
  spec.checkpoint = cfg.checkpoint;
  const bool size_from_model = spec.checkpoint.size_bytes <= 0;
  if (size_from_model) spec.checkpoint.size_bytes = rt.scenario.training.model.total_params() * kCheckpointBytesPerParam;
  spec.run.duration_s = cfg.duration_s;
  spec.run.work_s = cfg.duration_s > 0 ? 0.0 : in.iterations_to_train * in.iteration_s;
  spec.run.power_w = in.facility_w;
  spec.run.iteration_s = in.iteration_s;
  spec.run.trials = cfg.trials;
  spec.run.threads = cfg.threads;
  spec.run.seed = RandomStreams(rt.scenario.seed).seed_for("reliability");
  const StudyPlan planned = plan_study(spec, shape);
  if (planned.events > kMostTrialEvents)
    throw scenario::InputError(fmt::format(
        "{}: error: reliability: these trials would simulate about {:.2g} events ({} trials, a checkpoint every {}), "
        "more than the {:.0g} a study may simulate; allowed: fewer trials, a shorter window or a longer checkpoint.interval\n",
        rt.scenario.source, planned.events, spec.run.trials, format_quantity(planned.interval_s, Dimension::Duration),
        kMostTrialEvents));
  const StudyResult r = run_study(spec, shape);

  // Money and energy: the cluster's price runs on wall time; energy is the training power
  // while the job runs or checkpoints and the idle power while it is down.
  const double servers = double(rt.cluster.servers());
  const double usd_per_s = servers * rt.scenario.cost.server_price_per_hour / 3600;
  const double idle_w = rt.power->idle_it_power_w() * rt.scenario.facility.pue.at_idle;
  const double usd_per_j = rt.scenario.cost.energy_price_per_j;
  const double wasted_running_s = r.lost_work_s.mean + r.slow_s.mean + r.checkpoint_s.mean;
  const double wasted_j = in.facility_w * wasted_running_s + idle_w * r.down_s.mean;
  double work_mean = 0, spares_used = 0, repair_waits = 0;
  for (const TrialResult& t : r.trials) {
    work_mean += t.work_s / double(r.trials.size());
    spares_used += double(t.spares_used) / double(r.trials.size());
    repair_waits += double(t.repair_waits) / double(r.trials.size());
  }
  const double wasted_usd = usd_per_s * (r.wall_s.mean - work_mean) + usd_per_j * wasted_j;

  nlohmann::ordered_json by_cause = nlohmann::ordered_json::object();
  const double n = double(r.trials.size());
  std::vector<std::pair<double, std::string>> order;
  for (std::size_t k = 0; k < spec.classes.size(); ++k) {
    const FailureClass& c = spec.classes[k];
    double failures = 0, interruptions = 0, down = 0, lost = 0;
    for (const TrialResult& t : r.trials) {
      failures += double(t.by_class[k].failures);
      interruptions += double(t.by_class[k].interruptions);
      down += t.by_class[k].downtime_s;
      lost += t.by_class[k].lost_work_s;
    }
    if (c.rate_per_hour <= 0) continue;
    by_cause[c.name] = {{"category", c.category},
                        {"effect", to_string(c.effect)},
                        {"per_component", to_string(c.scope)},
                        {"components", component_count(c.scope, shape)},
                        {"rate_per_component_hour", c.rate_per_hour},
                        {"per_1000_node_days", per_1000_node_days(c, shape)},
                        {"weibull_shape", c.weibull_shape},
                        {"failures_mean", failures / n},
                        {"interruptions_mean", interruptions / n},
                        {"downtime_s_mean", down / n},
                        {"lost_work_s_mean", lost / n}};
    if (interruptions / n >= 0.5) order.push_back({interruptions / n, c.name});
  }
  const TrialResult& first = r.trials.front();
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const TrialEvent& e : first.events) {
    const FailureClass& c = spec.classes[e.cls];
    rows.push_back({e.time_s, c.name, e.component, e.node, c.category, e.interrupted, e.downtime_s, e.lost_work_s});
  }
  nlohmann::ordered_json progress = nlohmann::ordered_json::array();
  for (const auto& [wall, work] : first.progress) progress.push_back({wall, work});
  const bool window = cfg.duration_s > 0;
  results["reliability"] = {
      {"trials", r.trials.size()},
      {"mode", window ? "window" : "time_to_train"},
      {"window_s", cfg.duration_s},
      {"work_s", spec.run.work_s},
      {"cluster", {{"gpus", shape.gpus}, {"nodes", shape.nodes}, {"nodes_per_rack", shape.nodes_per_rack},
                   {"nodes_per_nvlink_domain", shape.nodes_per_domain},
                   {"leaf_switches", shape.leaf_switches}, {"spine_switches", shape.spine_switches},
                   {"nodes_per_leaf", shape.nodes_per_leaf}, {"spare_nodes", spec.job.spare_nodes}}},
      {"spares", {{"nodes", spec.job.spare_nodes}, {"used_mean", spares_used}, {"repair_waits_mean", repair_waits}}},
      {"mtbf_s", r.mtbf_s},
      {"restart_s", r.restart_s},
      {"checkpoint",
       {{"size_bytes", spec.checkpoint.size_bytes},
        {"size_from_model", size_from_model},
        {"mode", spec.checkpoint.async ? "async" : "sync"},
        {"write_s", r.costs.write_s},
        {"blocking_s", r.costs.blocking_s},
        {"drain_s", r.costs.drain_s},
        {"load_s", r.costs.load_s},
        {"interval_s", r.interval_s},
        {"interval_choice", r.interval_given ? "given" : "daly"},
        {"daly_interval_s", r.daly_interval_s}}},
      {"goodput", distribution_json(r.goodput)},
      {"wall_s", distribution_json(r.wall_s)},
      {"finished_trials", r.finished},
      {"interruptions", distribution_json(r.interruptions)},
      {"time_lost_s",
       {{"lost_work", r.lost_work_s.mean},
        {"restarts", r.down_s.mean},
        {"checkpoints", r.checkpoint_s.mean},
        {"slowdowns", r.slow_s.mean}}},
      {"wasted", {{"energy_kwh", wasted_j / 3.6e6}, {"cost_usd", wasted_usd}}},
      {"by_cause", by_cause},
      {"events",
       {{"trial", 0},
        {"columns", {"time_s", "component", "index", "node", "category", "interrupted", "downtime_s", "lost_work_s"}},
        {"rows", rows},
        {"progress", progress}}}};

  // Two lines: what the run delivers, and where the rest goes.
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string causes;
  for (std::size_t i = 0; i < order.size() && i < 3; ++i)
    causes += fmt::format("{}{} {:.0f}", causes.empty() ? "" : ", ", order[i].second, order[i].first);
  std::string out;
  if (window)
    out += fmt::format("  whole run           {} over {}: goodput {:.1f} % (p5 {:.1f}, p95 {:.1f}), {:.0f} interruptions "
                       "({}), {} trials\n",
                       days(cfg.duration_s), fmt::format("{} GPUs", shape.gpus), 100 * r.goodput.mean, 100 * r.goodput.p5,
                       100 * r.goodput.p95, r.interruptions.mean, causes, r.trials.size());
  else
    out += fmt::format("  whole run           {} to train (p5 {}, p95 {}{}), goodput {:.1f} %, {:.0f} interruptions ({}), "
                       "{} trials\n",
                       days(r.wall_s.p50), days(r.wall_s.p5), days(r.wall_s.p95),
                       r.finished < std::int64_t(r.trials.size()) ? fmt::format("; {} trials never finished", r.trials.size() - r.finished) : "",
                       100 * r.goodput.mean, r.interruptions.mean, causes, r.trials.size());
  const double wall = r.wall_s.mean > 0 ? r.wall_s.mean : 1;
  out += fmt::format("  lost to             restarts {:.1f} %, redone work {:.1f} %, checkpoints {:.1f} %{}; checkpoint "
                     "every {} ({}), {} each\n",
                     100 * r.down_s.mean / wall, 100 * r.lost_work_s.mean / wall, 100 * r.checkpoint_s.mean / wall,
                     r.slow_s.mean > 0 ? fmt::format(", slowdowns {:.1f} %", 100 * r.slow_s.mean / wall) : "",
                     format_quantity(r.interval_s, Dimension::Duration), r.interval_given ? "given" : "Daly's optimum",
                     format_quantity(r.costs.blocking_s, Dimension::Duration));
  return out;
}

}  // namespace dcsim::engine
