#include "models/scenario/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "models/scenario/catalog_parser.hpp"
#include "models/scenario/reader.hpp"
#include "models/scenario/yaml_loader.hpp"

namespace dcsim::scenario {
namespace {

void read_queueing(MapReader& w, workload::QueueingConfig& q) {
  q.servers = w.integer("servers", 1, 1, 1'000'000);
  q.jobs = w.integer("jobs", std::nullopt, 1, 10'000'000);
  q.mean_interarrival = w.duration("mean_interarrival", std::nullopt, true);
  q.mean_service = w.duration("mean_service", std::nullopt, true);
}

double positive_size(MapReader& r, const std::string& key, std::optional<double> fallback = std::nullopt) {
  return r.quantity(key, Dimension::Bytes, fallback, 0.0, true);
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
  const std::string text = r.string(key);
  if (text.empty()) return 0;
  std::int64_t index = -1;
  if (std::all_of(text.begin(), text.end(), ::isdigit)) {
    index = std::stoll(text);
  } else if (cluster) {
    index = cluster->parse_device_name(text).value_or(-1);
  }
  const std::int64_t n = cluster ? cluster->devices() : 0;
  if (index < 0 || (cluster && index >= n))
    r.error(key, fmt::format("\"{}\" is not a device of this cluster; allowed: 0 to {} or a name like {}", text, n - 1,
                             cluster ? cluster->device_name(0) : "hall0/rack0/server0/gpu0"));
  return std::max<std::int64_t>(index, 0);
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
    spec.ranks = p.integer("ranks", 0, 0);
    spec.bytes = positive_size(p, "size");
    spec.count = p.integer("count", kind == "random" ? std::optional<std::int64_t>() : std::optional<std::int64_t>(0), 0);
    spec.target = p.has("target") ? read_device(p, "target", cluster) : 0;
    spec.stride = p.integer("stride", 1, 1);
    spec.start = p.duration("start", Time::zero());
    s.flow_patterns.push_back(spec);
  });
  if (s.flows.empty() && s.flow_patterns.empty())
    w.error("flows", "a flows workload needs `flows:` (explicit) or `patterns:`, or both");
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
  MapReader power = top.map("power");
  read_power(power, s.facility);
  power.finish();
  MapReader cost = top.map("cost");
  const hardware::ServerSpec* server = s.catalog.server(s.cluster.server);
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
  MapReader o = top.map("output");
  read_output(o, s.output);
  o.finish();
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
