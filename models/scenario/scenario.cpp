#include "models/scenario/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "models/scenario/catalog_parser.hpp"
#include "models/scenario/reader.hpp"
#include "models/scenario/run_budget.hpp"
#include "models/scenario/yaml_loader.hpp"

namespace dcsim::scenario {
namespace {

void read_queueing(MapReader& w, workload::QueueingConfig& q) {
  q.servers = w.integer("servers", 1, 1, 1'000'000);
  q.jobs = w.integer("jobs", std::nullopt, 1, 10'000'000);
  q.mean_interarrival = w.duration("mean_interarrival", std::nullopt, true);
  q.mean_service = w.duration("mean_service", std::nullopt, true);
  // The run lasts about jobs x (interarrival + service) at worst (one server, queue never
  // empty); exponential draws add ~10 standard deviations, mean x sqrt(jobs) each.
  const double n = double(q.jobs);
  const double span = (n + 10 * std::sqrt(n) + 50) * (q.mean_interarrival.seconds() + q.mean_service.seconds());
  if (span > kMaxScenarioSeconds)
    w.error("jobs", fmt::format("{} jobs at these mean times could run {:.3g} s, beyond what a run can simulate (up to "
                                "{:g} s); fewer jobs or shorter times",
                                q.jobs, span, kMaxScenarioSeconds));
}

constexpr double kMaxBytes = 9007199254740992.0;  // 2^53

// A message or flow size: at least one byte, in whole bytes, at most 2^53. Returns "" or
// what is wrong.
std::string size_problem(double bytes) {
  if (bytes < 1 || bytes != std::floor(bytes)) return fmt::format("{} B is not a whole number of bytes", bytes);
  if (bytes > kMaxBytes)  // doubles count whole bytes exactly only up to 2^53
    return fmt::format("{} is more than a run can count to the byte; allowed: up to {}",
                       format_quantity(bytes, Dimension::Bytes), format_quantity(kMaxBytes, Dimension::Bytes));
  return "";
}

double positive_size(MapReader& r, const std::string& key, std::optional<double> fallback = std::nullopt) {
  const double bytes = r.quantity(key, Dimension::Bytes, fallback, 0.0, true);
  if (bytes <= 0) return bytes;
  if (const std::string problem = size_problem(bytes); !problem.empty()) {
    r.error(key, problem);
    return 1;
  }
  return bytes;
}

void read_collective(MapReader& w, workload::CollectiveConfig& c, std::int64_t devices) {
  c.op = network::parse_collective_op(w.choice("op", network::collective_op_names()));
  c.algorithm = network::parse_algorithm(w.choice("algorithm", network::algorithm_names(), "auto"));
  c.ranks = w.integer("ranks", 0, 0, 100'000'000);
  if (devices > 0 && c.ranks > devices)
    w.error("ranks", fmt::format("{} ranks but the cluster has {} devices", c.ranks, devices));
  c.iterations = static_cast<int>(w.integer("iterations", 1, 1, 1000));
  if (w.has("sizes") && w.has("size")) w.error("sizes", "give either `size` or `sizes`, not both");
  if (w.has("sizes")) {
    for (const std::string& s : w.strings("sizes")) {
      const ParsedQuantity q = parse_quantity(s, Dimension::Bytes);
      if (!q.value || *q.value <= 0)
        w.error("sizes", q.value ? fmt::format("\"{}\" must be more than 0 B", s) : q.error);
      else if (const std::string problem = size_problem(*q.value); !problem.empty())
        w.error("sizes", problem);  // the same bounds as `size`
      else
        c.sizes.push_back(*q.value);
    }
    w.raw("size");
  } else {
    c.sizes.push_back(positive_size(w, "size"));
    w.raw("sizes");
  }
}

// A device given as an index or as its hall/rack/server/device name.
std::int64_t read_device(MapReader& r, const std::string& key, const hardware::Cluster* cluster) {
  const bool given = r.has(key);
  const std::string text = r.string(key);
  if (text.empty()) {  // missing: string() said so; empty: say what is needed
    if (given) r.error(key, "an empty device; give an index or a name like hall0/rack0/server0/gpu0");
    return 0;
  }
  std::int64_t index = -1;
  if (std::all_of(text.begin(), text.end(), ::isdigit)) {
    // Too many digits for an int64 is simply not a device of this cluster.
    if (std::from_chars(text.data(), text.data() + text.size(), index).ec != std::errc()) index = -1;
  } else if (cluster) {
    index = cluster->parse_device_name(text).value_or(-1);
  }
  const std::int64_t n = cluster ? cluster->devices() : 0;
  if (index < 0 || (cluster && index >= n))
    r.error(key, fmt::format("\"{}\" is not a device of this cluster; allowed: 0 to {} or a name like {}", text, n - 1,
                             cluster ? cluster->device_name(0) : "hall0/rack0/server0/gpu0"));
  return std::max<std::int64_t>(index, 0);
}

// Refuse flows that could outlast what a run can simulate: every byte through one device's
// share of the network (all flows contending for it), after the latest start.
void refuse_unbounded_flows(MapReader& w, const Scenario& s, const hardware::Cluster& cluster) {
  const auto& server = cluster.server();
  const double per_device = server.nic_bandwidth * std::max(1, server.nics) / std::max(1, server.accelerators);
  if (per_device <= 0) return;
  const double devices = double(cluster.devices());
  double bytes = 0, latest = 0;
  for (const auto& f : s.flows) {
    bytes += f.bytes;
    latest = std::max(latest, f.start.seconds());
  }
  for (const auto& p : s.flow_patterns) {
    const double ranks = p.ranks > 0 ? double(p.ranks) : devices;
    const double flows = p.kind == workload::FlowPattern::AllToAll ? ranks * (ranks - 1)
                         : p.kind == workload::FlowPattern::Random  ? double(p.count)
                         : p.kind == workload::FlowPattern::Incast  ? (p.count > 0 ? double(p.count) : ranks - 1)
                                                                    : ranks;
    bytes += flows * p.bytes;
    latest = std::max(latest, p.start.seconds());
  }
  const double bound = latest + bytes / per_device;
  if (bound > kMaxScenarioSeconds)
    w.error("flows", fmt::format("the flows carry {}; through one device's {} of network bandwidth that could take "
                                 "{:.3g} s, beyond what a run can simulate (up to {:g} s)",
                                 format_quantity(bytes, Dimension::Bytes), format_quantity(per_device, Dimension::Bandwidth),
                                 bound, kMaxScenarioSeconds));
}

void read_flows(MapReader& w, Scenario& s, const hardware::Cluster* cluster) {
  w.for_each_map("flows", [&](MapReader& f, std::size_t) {
    workload::FlowSpec spec;
    spec.src = read_device(f, "src", cluster);
    spec.dst = read_device(f, "dst", cluster);
    if (spec.src == spec.dst && f.has("src")) f.error("dst", "a flow needs two different devices");
    spec.bytes = positive_size(f, "size");
    spec.start = f.duration("start", Time::zero());
    s.flows.push_back(spec);
  });
  w.for_each_map("patterns", [&](MapReader& p, std::size_t) {
    workload::PatternSpec spec;
    const std::string kind = p.choice("kind", {"permutation", "incast", "all_to_all", "random"});
    spec.kind = kind == "incast"       ? workload::FlowPattern::Incast
                : kind == "all_to_all" ? workload::FlowPattern::AllToAll
                : kind == "random"     ? workload::FlowPattern::Random
                                       : workload::FlowPattern::Permutation;
    spec.ranks = p.integer("ranks", 0, 0, cluster ? cluster->devices() : std::numeric_limits<std::int64_t>::max());
    spec.bytes = positive_size(p, "size");
    spec.count = p.integer("count", kind == "random" ? std::optional<std::int64_t>() : std::optional<std::int64_t>(0), 0);
    spec.target = p.has("target") ? read_device(p, "target", cluster) : 0;
    spec.stride = p.integer("stride", 1, 1);
    spec.start = p.duration("start", Time::zero());
    s.flow_patterns.push_back(spec);
  });
  if (s.flows.empty() && s.flow_patterns.empty())
    w.error("flows", "a flows workload needs `flows:` (explicit) or `patterns:`, or both");
  if (cluster) refuse_unbounded_flows(w, s, *cluster);
}

void read_output(MapReader& o, OutputOptions& out) {
  out.trace = o.boolean("trace", true);
  out.trace_max_events = o.integer("trace_max_events", out.trace_max_events, 1000, 1'000'000'000);
  out.trace_ranks = o.integers("trace_ranks", 0, std::vector<std::int64_t>{});
  out.timeseries = o.boolean("timeseries", true);
  out.report = o.boolean("report", true);
}

}  // namespace

Scenario load_scenario(const std::filesystem::path& file, const std::vector<std::string>& overrides) {
  Diagnostics diag;
  ConfigNode root = load_yaml_file(file, diag);
  diag.throw_if_any();  // nothing sensible can be read from a file that did not parse
  for (const std::string& o : overrides) apply_override(root, o, diag);

  Scenario s;
  s.source = file.string();
  MapReader top(&root, "", diag);
  s.name = top.string("name", file.stem().string());
  s.description = top.string("description", "");
  s.seed = static_cast<std::uint64_t>(top.integer("seed", 1, 0));

  s.catalog = read_catalog(top.raw("catalog"), "catalog", diag);
  MapReader cluster_section = top.map("cluster");
  read_cluster(cluster_section, s.catalog, s.cluster);
  cluster_section.finish();
  const hardware::ServerSpec* server = s.catalog.server(s.cluster.server);
  MapReader power = top.map("power");
  read_power(power, s.facility, server ? s.catalog.accelerator(server->accelerator) : nullptr);
  power.finish();
  MapReader cost = top.map("cost");
  read_cost(cost, s.cost, server ? server->price_per_hour : 0.0);
  cost.finish();

  MapReader net = top.map("network");
  read_network(net, s.network);
  net.finish();

  // A throwaway layout, to check device names and counts while reading the workload.
  std::optional<hardware::Cluster> layout;
  if (s.cluster.present && diag.empty()) layout.emplace(resolve_cluster(s.cluster, s.catalog));
  const hardware::Cluster* cluster = layout ? &*layout : nullptr;

  MapReader w = top.map("workload", true);
  if (w.present()) {
    const std::string type = w.choice("type", {"training", "collective", "flows", "queueing"});
    if (type != "queueing" && !s.cluster.present)
      w.error("type", fmt::format("a {} workload needs a `cluster:` section", type));
    if (type == "queueing") {
      s.workload_type = WorkloadType::Queueing;
      read_queueing(w, s.queueing);
    } else if (type == "collective") {
      s.workload_type = WorkloadType::Collective;
      read_collective(w, s.collective, cluster ? cluster->devices() : 0);
    } else if (type == "training") {
      s.workload_type = WorkloadType::Training;
      read_training(w, s.training, cluster ? cluster->devices() : 0);
    } else {
      s.workload_type = WorkloadType::Flows;
      read_flows(w, s, cluster);
    }
    w.finish();
    // Training and collectives talk through NCCL: its per-step latencies apply unless the
    // scenario gives its own.
    if (!s.network.transport_given &&
        (s.workload_type == WorkloadType::Training || s.workload_type == WorkloadType::Collective)) {
      s.network.fabric.scale_up_step_s = kNcclStepScaleUp;
      s.network.fabric.scale_out_step_s = kNcclStepScaleOut;
    }
  }
  MapReader rel = top.map("reliability");
  if (rel.present() && s.workload_type != WorkloadType::Training) {
    top.error("reliability", "whole runs with failures need a training workload (workload.type: training)");
  } else {
    read_reliability(rel, s.reliability, s.training.train_tokens);
    rel.finish();
  }
  MapReader o = top.map("output");
  read_output(o, s.output);
  o.finish();
  s.memory_budget = top.quantity("memory_budget", Dimension::Bytes, kDefaultMemoryBudget, 0.0, true);
  if (diag.empty()) {
    const RunFootprint f = estimate_footprint(s, cluster ? cluster->devices() : 0);
    if (f.bytes > s.memory_budget)
      top.error("memory_budget", fmt::format("this run would hold about {} (mostly {}), over its memory budget of {}; "
                                             "raise memory_budget or shrink the run",
                                             format_quantity(f.bytes, Dimension::Bytes), f.biggest,
                                             format_quantity(s.memory_budget, Dimension::Bytes)));
  }
  top.finish();
  diag.throw_if_any();
  return s;
}

hardware::Catalog load_catalog_of(const std::filesystem::path& file) {
  Diagnostics diag;
  ConfigNode root = load_yaml_file(file, diag);
  diag.throw_if_any();
  hardware::Catalog catalog = read_catalog(root.find("catalog"), "catalog", diag);
  diag.throw_if_any();
  return catalog;
}

}  // namespace dcsim::scenario
