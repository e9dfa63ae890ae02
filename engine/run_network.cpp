#include "engine/run_network.hpp"

#include <fmt/format.h>

#include <numeric>
#include <stdexcept>

#include "models/scenario/units.hpp"
#include "models/workload/network_workloads.hpp"
#include "sim/atomic_file.hpp"
#include "sim/statistics.hpp"

namespace dcsim::engine {
using scenario::Dimension;
using scenario::format_quantity;

void plan_collective_workload(const ClusterRuntime& rt) {
  const auto& cfg = rt.scenario.collective;
  const std::int64_t n = cfg.ranks > 0 ? cfg.ranks : rt.cluster.devices();
  std::vector<std::int64_t> ranks(static_cast<std::size_t>(n));
  std::iota(ranks.begin(), ranks.end(), 0);
  for (double bytes : cfg.sizes) {
    try {
      (void)network::plan_collective(cfg.op, cfg.algorithm, ranks, bytes, *rt.network);
    } catch (const std::invalid_argument& e) {
      throw scenario::InputError(fmt::format("{}: error: workload.algorithm: {}: {}\n", rt.scenario.source,
                                             network::to_string(cfg.algorithm), e.what()));
    }
  }
}

std::string run_collective_workload(ClusterRuntime& rt, nlohmann::ordered_json& results) {
  const auto& cfg = rt.scenario.collective;
  plan_collective_workload(rt);
  const auto rows = workload::run_collectives(rt.sim, *rt.network, cfg, rt.power.get());
  const std::int64_t ranks = cfg.ranks > 0 ? cfg.ranks : rt.cluster.devices();
  nlohmann::ordered_json table = nlohmann::ordered_json::array();
  std::string text = fmt::format("{} on {} ranks ({} network model)\n", network::to_string(cfg.op), ranks,
                                 rt.network->model() == network::SharingModel::Flow ? "flow" : "analytical");
  text += fmt::format("  {:>10} {:>20} {:>12} {:>12} {:>12}\n", "size", "algorithm", "time", "algbw", "busbw");
  for (const auto& r : rows) {
    table.push_back({{"bytes", r.bytes},
                     {"algorithm", network::to_string(r.algorithm)},
                     {"time_s", r.seconds},
                     {"analytical_time_s", r.analytical_seconds},
                     {"algbw_bytes_per_s", r.algbw},
                     {"busbw_bytes_per_s", r.busbw}});
    text += fmt::format("  {:>10} {:>20} {:>12} {:>12} {:>12}\n", format_quantity(r.bytes, Dimension::Bytes),
                        network::to_string(r.algorithm), format_quantity(r.seconds, Dimension::Duration),
                        format_quantity(r.algbw, Dimension::Bandwidth), format_quantity(r.busbw, Dimension::Bandwidth));
  }
  results["collective"] = {{"op", network::to_string(cfg.op)}, {"ranks", ranks}, {"results", table}};
  return text;
}

std::string run_flows_workload(ClusterRuntime& rt, RandomStreams& streams, const std::filesystem::path* out,
                               nlohmann::ordered_json& results) {
  std::vector<workload::FlowSpec> flows = rt.scenario.flows;
  for (std::size_t i = 0; i < rt.scenario.flow_patterns.size(); ++i) {
    auto more = workload::expand_pattern(rt.scenario.flow_patterns[i], rt.cluster.devices(),
                                         streams.stream(fmt::format("flows.pattern{}", i)));
    flows.insert(flows.end(), more.begin(), more.end());
  }
  const auto records = workload::run_flows(rt.sim, *rt.network, flows, rt.power.get());
  Histogram fct;
  double bytes = 0;
  for (const auto& r : records) {
    fct.add((r.end - r.start).seconds());
    bytes += r.bytes;
  }
  if (out) {
    AtomicFile csv(*out / "flows.csv");
    csv.write("id,src,dst,bytes,start_s,end_s\n");
    for (const auto& r : records)
      csv.write(fmt::format("{},{},{},{:.0f},{:.9f},{:.9f}\n", r.id, r.src, r.dst, r.bytes, r.start.seconds(),
                            r.end.seconds()));
    csv.commit();
  }
  results["flows"] = {{"count", records.size()},
                      {"bytes", bytes},
                      {"completion_time_mean_s", fct.mean()},
                      {"completion_time_p50_s", fct.percentile(50)},
                      {"completion_time_p99_s", fct.percentile(99)},
                      {"completion_time_max_s", fct.max()},
                      {"makespan_s", rt.sim.now().seconds()}};
  return fmt::format("{} flows, {} in all; completion time mean {}, p99 {}, last at {}\n", records.size(),
                     format_quantity(bytes, Dimension::Bytes), format_quantity(fct.mean(), Dimension::Duration),
                     format_quantity(fct.percentile(99), Dimension::Duration),
                     format_quantity(rt.sim.now().seconds(), Dimension::Duration));
}

}  // namespace dcsim::engine
