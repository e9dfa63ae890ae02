#include "models/workload/network_workloads.hpp"

#include <algorithm>
#include <memory>
#include <numeric>
#include <stdexcept>

#include "models/power/power_model.hpp"

namespace dcsim::workload {

std::vector<CollectiveRow> run_collectives(Simulator& sim, network::NetworkSim& net, const CollectiveConfig& cfg,
                                           power::PowerModel* power) {
  const std::int64_t n = cfg.ranks > 0 ? cfg.ranks : net.fabric().devices();
  if (n > net.fabric().devices()) throw std::invalid_argument("more ranks than devices");
  std::vector<std::int64_t> ranks(static_cast<std::size_t>(n));
  std::iota(ranks.begin(), ranks.end(), 0);
  std::vector<CollectiveRow> rows;
  for (double bytes : cfg.sizes) {
    const network::CollectivePlan plan = network::plan_collective(cfg.op, cfg.algorithm, ranks, bytes, net);
    CollectiveRow row;
    row.bytes = bytes;
    row.algorithm = plan.algorithm;
    row.analytical_seconds = network::analytical_seconds(plan, net);
    const Time start = sim.now();
    for (int it = 0; it < cfg.iterations; ++it) {
      if (power) power->set_activity_range(0, n, power::Activity::Communication, sim.now());
      bool finished = false;
      network::run_collective(net, plan, [&] { finished = true; });
      sim.run();
      if (!finished) throw std::logic_error("collective did not complete");
      if (power) power->set_activity_range(0, n, power::Activity::Idle, sim.now());
    }
    row.seconds = (sim.now() - start).seconds() / cfg.iterations;
    row.algbw = row.seconds > 0 ? bytes / row.seconds : 0;
    row.busbw = row.algbw * network::bus_bandwidth_factor(cfg.op, ranks.size());
    rows.push_back(row);
  }
  return rows;
}

std::vector<FlowSpec> expand_pattern(const PatternSpec& p, std::int64_t devices, RandomStream rng) {
  const std::int64_t n = p.ranks > 0 ? p.ranks : devices;
  if (n > devices) throw std::invalid_argument("the pattern names more ranks than devices");
  std::vector<FlowSpec> out;
  switch (p.kind) {
    case FlowPattern::Permutation: {
      // A random derangement-free permutation: Fisher-Yates, then fix points swapped away.
      std::vector<std::int64_t> perm(static_cast<std::size_t>(n));
      std::iota(perm.begin(), perm.end(), 0);
      for (std::int64_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(std::uint64_t(i + 1))]);
      for (std::int64_t i = 0; i < n; ++i)
        if (perm[i] == i) std::swap(perm[i], perm[(i + 1) % n]);
      for (std::int64_t i = 0; i < n; ++i)
        if (perm[i] != i) out.push_back({i, perm[i], p.bytes, p.start});
      break;
    }
    case FlowPattern::Incast: {
      const std::int64_t senders = p.count > 0 ? p.count : n - 1;
      std::vector<bool> taken(static_cast<std::size_t>(n), false);
      taken[p.target] = true;
      for (std::int64_t k = 1, made = 0; k <= n * p.stride && made < senders; ++k) {
        const std::int64_t src = (p.target + k * p.stride) % n;
        if (taken[src]) continue;
        taken[src] = true;
        out.push_back({src, p.target, p.bytes, p.start});
        ++made;
      }
      break;
    }
    case FlowPattern::AllToAll:
      for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < n; ++j)
          if (i != j) out.push_back({i, j, p.bytes, p.start});
      break;
    case FlowPattern::Random:
      for (std::int64_t k = 0; k < p.count; ++k) {
        const auto a = static_cast<std::int64_t>(rng.below(std::uint64_t(n)));
        auto b = static_cast<std::int64_t>(rng.below(std::uint64_t(n - 1)));
        if (b >= a) ++b;
        out.push_back({a, b, p.bytes, p.start});
      }
      break;
  }
  return out;
}

namespace {
struct FlowRun {
  Simulator& sim;
  network::NetworkSim& net;
  power::PowerModel* power;
  const std::vector<FlowSpec>& flows;
  std::vector<FlowRecord> records;
  std::vector<int> busy;  // active flows per device, for its power state

  void mark(std::int64_t d, int delta) {
    if (!power) return;
    busy[d] += delta;
    power->set_activity(d, busy[d] > 0 ? power::Activity::Communication : power::Activity::Idle, sim.now());
  }
  void begin(std::size_t i) {
    const FlowSpec& f = flows[i];
    mark(f.src, +1);
    mark(f.dst, +1);
    net.start({{f.src, f.dst}}, f.bytes, 1, [this, i] { end(i); });
  }
  void end(std::size_t i) {
    records[i].end = sim.now();
    mark(flows[i].src, -1);
    mark(flows[i].dst, -1);
  }
};
}  // namespace

std::vector<FlowRecord> run_flows(Simulator& sim, network::NetworkSim& net, const std::vector<FlowSpec>& flows,
                                  power::PowerModel* power) {
  FlowRun run{sim, net, power, flows, std::vector<FlowRecord>(flows.size()),
              std::vector<int>(power ? std::size_t(power->cluster().devices()) : 0, 0)};
  const Time base = sim.now();
  for (std::size_t i = 0; i < flows.size(); ++i) {
    const FlowSpec& f = flows[i];
    if (f.src < 0 || f.dst < 0 || f.src >= net.fabric().devices() || f.dst >= net.fabric().devices())
      throw std::invalid_argument("flow endpoint outside the cluster");
    run.records[i] = {std::int64_t(i), f.src, f.dst, f.bytes, base + f.start, Time::zero()};
    sim.schedule_at(base + f.start, [&run, i] { run.begin(i); });
  }
  sim.run();
  return run.records;
}

}  // namespace dcsim::workload
