#include "models/scenario/run_budget.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dcsim::scenario {
namespace {
// Measured (release build): the 131,072-GPU scenario's fabric and runtime hold ~9 KB per
// device; a flow ~0.84 KB; the training schedule 9 bytes per unit and input slot (ready flag
// and send time) plus 24 per task on each pipeline rank. Each queue pair past the first
// (network.qps_per_connection) lengthens a flow's route and keys: 100,000 random flows on a
// 4,096-GPU fat tree held 0.25 GB with one, 1.15 GB with 16 and 2.9 GB with 64 (~0.6 KB
// per flow and queue pair at 16).
constexpr double kBytesPerDevice = 10e3;
constexpr double kBytesPerFlow = 1e3;
constexpr double kBytesPerFlowQueuePair = 0.6e3;
constexpr double kBytesPerUnitSlot = 9;
constexpr double kBytesPerTask = 24;

double pattern_flows(const workload::PatternSpec& p, double devices) {
  const double ranks = p.ranks > 0 ? double(p.ranks) : devices;
  switch (p.kind) {
    case workload::FlowPattern::AllToAll: return ranks * (ranks - 1);
    case workload::FlowPattern::Random: return double(p.count);
    case workload::FlowPattern::Incast: return p.count > 0 ? double(p.count) : ranks - 1;
    case workload::FlowPattern::Permutation: return ranks;
  }
  return ranks;
}
}  // namespace

RunFootprint estimate_footprint(const Scenario& s, std::int64_t devices) {
  RunFootprint f;
  const double fabric = double(devices) * kBytesPerDevice;
  double workload = 0;
  std::string what;
  if (s.workload_type == WorkloadType::Flows) {
    double flows = double(s.flows.size());
    for (const auto& p : s.flow_patterns) flows += pattern_flows(p, double(devices));
    workload = flows * (kBytesPerFlow + kBytesPerFlowQueuePair * double(s.network.fabric.qps_per_connection - 1));
    what = fmt::format("{:.3g} flows", flows);
  } else if (s.workload_type == WorkloadType::Training) {
    const auto& plan = s.training.plan;
    const double slots = 2.0 * double(plan.virtual_stages) * double(plan.microbatches());
    const double units = double(plan.pp) * double(plan.dp) *
                         (s.training.group_identical_ranks ? 1.0 : double(plan.tp) * double(plan.cp));
    workload = units * slots * kBytesPerUnitSlot + double(plan.pp) * slots * kBytesPerTask;
    what = fmt::format("the schedule of {:.3g} microbatches on {:.3g} pipeline units", double(plan.microbatches()), units);
  }
  f.bytes = fabric + workload;
  f.biggest = workload > fabric ? what : fmt::format("the fabric of {} devices", devices);
  return f;
}

}  // namespace dcsim::scenario
