#include "models/scenario/scenario.hpp"

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

void read_output(MapReader& o, OutputOptions& out) {
  out.trace = o.boolean("trace", true);
  out.trace_max_events = o.integer("trace_max_events", out.trace_max_events, 1000, 1'000'000'000);
  out.trace_ranks = o.integers("trace_ranks", 0, std::vector<std::int64_t>{});
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
  MapReader cluster = top.map("cluster");
  read_cluster(cluster, s.catalog, s.cluster);
  cluster.finish();
  MapReader power = top.map("power");
  read_power(power, s.facility);
  power.finish();
  MapReader cost = top.map("cost");
  const hardware::ServerSpec* server = s.catalog.server(s.cluster.server);
  read_cost(cost, s.cost, server ? server->price_per_hour : 0.0);
  cost.finish();

  MapReader w = top.map("workload", true);
  if (w.present()) {
    const std::string type = w.choice("type", {"queueing"});
    if (type == "queueing") {
      s.workload_type = WorkloadType::Queueing;
      read_queueing(w, s.queueing);
    }
    w.finish();
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
