// A whole small run on arbitrary bytes: load, then every check the run makes, then simulate
// when the scenario is small enough to finish in milliseconds (at most 32 servers, 2,000 flows
// or jobs, 256 microbatches x virtual stages, 64 collective ranks): code paths, not sizes, are
// what a mutation finds, and sizes are bounded up front by the checks fuzz_scenario covers.
// Input errors are fine; crashes, hangs, leaks and any other exception are findings.
#include "engine/engine.hpp"
#include "fuzz/fuzz_input.hpp"
#include "models/scenario/diagnostics.hpp"
#include "models/scenario/scenario.hpp"

namespace {
using namespace dcsim;

bool small_enough(const scenario::Scenario& s) {
  if (s.reliability.present && s.reliability.trials > 4) return false;
  if (s.workload_type == scenario::WorkloadType::Queueing) return s.queueing.jobs <= 2'000;
  if (s.cluster.servers > 32) return false;
  if (s.workload_type == scenario::WorkloadType::Flows) {
    std::int64_t flows = std::int64_t(s.flows.size());
    for (const auto& p : s.flow_patterns) flows += p.count > 0 ? p.count : p.ranks > 0 ? p.ranks * p.ranks : 256 * 256;
    return flows <= 2'000;
  }
  if (s.workload_type == scenario::WorkloadType::Training)
    return s.training.plan.microbatches() * s.training.plan.virtual_stages <= 256 && s.training.iterations <= 2;
  return s.collective.ranks <= 64 && s.collective.sizes.size() <= 4;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = fuzz::scenario_file(data, size);
  try {
    const scenario::Scenario s = engine::load(path);
    if (!small_enough(s)) return 0;
    (void)engine::run(s);  // no output folder: the whole run, no files
  } catch (const scenario::InputError&) {
  }
  return 0;
}
