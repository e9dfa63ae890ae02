#include "study/plan_search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>

#include "engine/cluster_runtime.hpp"
#include "engine/engine.hpp"
#include "models/scenario/diagnostics.hpp"
#include "models/scenario/units.hpp"
#include "models/workload/memory_model.hpp"
#include "sim/atomic_file.hpp"
#include "study/sweep_spec.hpp"

namespace dcsim::study {
namespace fs = std::filesystem;
using workload::ParallelPlan;
using workload::Recompute;

namespace {

std::vector<std::int64_t> divisors(std::int64_t n, std::int64_t at_most) {
  std::vector<std::int64_t> out;
  for (std::int64_t d = 1; d <= std::min(n, at_most); ++d)
    if (n % d == 0) out.push_back(d);
  return out;
}

std::vector<std::int64_t> powers_of_two(std::int64_t at_most) {
  std::vector<std::int64_t> out;
  for (std::int64_t p = 1; p <= at_most; p *= 2) out.push_back(p);
  return out;
}

int threads_for(int jobs) { return jobs > 0 ? jobs : std::max(1, int(std::thread::hardware_concurrency())); }

std::string_view recompute_name(Recompute r) { return workload::to_string(r); }

}  // namespace

std::vector<std::string> PlanCandidate::overrides() const {
  const auto& p = plan;
  return {fmt::format("workload.parallelism.tp={}", p.tp),
          fmt::format("workload.parallelism.pp={}", p.pp),
          fmt::format("workload.parallelism.dp={}", p.dp),
          fmt::format("workload.parallelism.cp={}", p.cp),
          fmt::format("workload.parallelism.ep={}", p.ep),
          fmt::format("workload.parallelism.virtual_stages={}", p.virtual_stages),
          fmt::format("workload.parallelism.schedule={}",
                      p.schedule == workload::Schedule::Interleaved ? "interleaved"
                      : p.schedule == workload::Schedule::GPipe     ? "gpipe"
                                                                     : "1f1b"),
          fmt::format("workload.parallelism.sequence_parallel={}", p.sequence_parallel ? "true" : "false"),
          fmt::format("workload.batch.microbatch={}", p.microbatch),
          fmt::format("workload.recompute={}", recompute_name(p.recompute)),
          fmt::format("workload.zero={}", p.zero)};
}

std::string PlanCandidate::label() const {
  const auto& p = plan;
  return fmt::format("TP{} PP{} DP{} CP{} EP{} VS{} mb{} recompute {} zero {}", p.tp, p.pp, p.dp, p.cp, p.ep,
                     p.virtual_stages, p.microbatch, recompute_name(p.recompute), p.zero);
}

std::vector<ParallelPlan> enumerate_plans(const scenario::Scenario& s, const PlanSpace& space) {
  if (s.workload_type != scenario::WorkloadType::Training)
    throw scenario::InputError(fmt::format("{}: error: workload.type: plan search needs a training workload\n", s.source));
  Simulator sim;
  const engine::ClusterRuntime rt(s, sim);
  const std::int64_t devices = rt.cluster.devices(), domain = rt.cluster.domain_size();
  const auto& m = s.training.model;
  const ParallelPlan& base = s.training.plan;
  const bool default_sp = base.sequence_parallel == (base.tp > 1);

  auto tps = space.tp;
  if (tps.empty())
    for (std::int64_t t : powers_of_two(std::max<std::int64_t>(1, domain))) tps.push_back(t);
  auto cps = space.cp.empty() ? powers_of_two(16) : space.cp;
  auto eps = space.ep.empty() ? (m.experts > 0 ? divisors(m.experts, m.experts) : std::vector<std::int64_t>{1}) : space.ep;
  auto mbs = space.microbatch.empty() ? std::vector<std::int64_t>{1, 2, 4, 8} : space.microbatch;
  auto recs = space.recompute.empty() ? std::vector<Recompute>{Recompute::None, Recompute::Selective, Recompute::Full}
                                      : space.recompute;

  std::vector<ParallelPlan> out;
  for (std::int64_t tp : tps) {
    if (m.heads % tp != 0 || (m.kv_heads > 0 && tp > m.kv_heads && tp % m.kv_heads != 0)) continue;
    for (std::int64_t cp : cps) {
      if (m.seq_len % cp != 0 || devices % (tp * cp) != 0) continue;
      const auto pps = space.pp.empty() ? divisors(devices / (tp * cp), m.layers) : space.pp;
      for (std::int64_t pp : pps) {
        if (pp > m.layers || devices % (tp * cp * pp) != 0) continue;
        const std::int64_t dp = devices / (tp * cp * pp);
        std::vector<std::int64_t> vss = space.virtual_stages;
        if (vss.empty()) {
          vss = {1};
          // Chunks may differ by a layer (layers_per_stage spreads the remainder), as Meta's
          // 126 layers over 16 x 2 chunks do.
          for (std::int64_t v = 2; pp > 1 && v <= 8 && pp * v <= m.layers; ++v) vss.push_back(v);
        }
        const std::vector<int> zeros = space.zero.empty() ? (pp == 1 && dp > 1 ? std::vector<int>{1, 3} : std::vector<int>{1})
                                                          : space.zero;
        for (std::int64_t ep : eps) {
          if (dp % ep != 0 || (m.experts == 0 && ep > 1) || (m.experts > 0 && m.experts % ep != 0)) continue;
          for (std::int64_t v : vss) {
            if (pp * v > m.layers || (v > 1 && pp < 2)) continue;
            for (std::int64_t mb : mbs) {
              if (base.global_batch % (mb * dp) != 0) continue;
              const std::int64_t microbatches = base.global_batch / (mb * dp);
              if (v > 1 && microbatches % pp != 0) continue;
              for (Recompute r : recs)
                for (int z : zeros) {
                  ParallelPlan p = base;
                  p.tp = tp;
                  p.pp = pp;
                  p.dp = dp;
                  p.cp = cp;
                  p.ep = ep;
                  p.virtual_stages = v;
                  p.schedule = v > 1 ? workload::Schedule::Interleaved
                               : base.schedule == workload::Schedule::Interleaved ? workload::Schedule::OneFOneB
                                                                                  : base.schedule;
                  if (default_sp) p.sequence_parallel = tp > 1;
                  p.microbatch = mb;
                  p.recompute = r;
                  p.recompute_layers = 0;
                  p.zero = z;
                  out.push_back(p);
                }
            }
          }
        }
      }
    }
  }
  return out;
}

std::vector<PlanCandidate> screen_plans(const scenario::Scenario& s, const std::vector<ParallelPlan>& plans, int jobs) {
  std::vector<PlanCandidate> out(plans.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::string failure;
  auto worker = [&] {
    try {
      // Each thread its own network: route caches are not shared.
      Simulator sim;
      engine::ClusterRuntime rt(s, sim);
      network::CollectiveTimer timer(*rt.network);
      const auto& chip = rt.cluster.accelerator();
      for (std::size_t i; (i = next.fetch_add(1)) < plans.size();) {
        PlanCandidate& c = out[i];
        c.plan = plans[i];
        try {
          const auto costs = workload::training_costs(s.training.model, c.plan, chip, timer);
          for (const auto& stage : workload::memory_per_stage(s.training.model, c.plan, costs, s.training.memory))
            c.peak_memory = std::max(c.peak_memory, stage.total());
          if (c.peak_memory > chip.hbm_bytes) {
            c.rejected = fmt::format("memory: {} per device, {} has {}",
                                     scenario::format_quantity(c.peak_memory, scenario::Dimension::Bytes), chip.name,
                                     scenario::format_quantity(chip.hbm_bytes, scenario::Dimension::Bytes));
            continue;
          }
          c.estimate = estimate_iteration(c.plan, costs, timer);
        } catch (const std::exception& e) {
          c.rejected = std::string("invalid: ") + e.what();
        }
      }
    } catch (const std::exception& e) {
      if (!failed.exchange(true)) failure = e.what();
    }
  };
  {
    std::vector<std::jthread> threads;
    for (int t = 1; t < threads_for(jobs); ++t) threads.emplace_back(worker);
    worker();
  }
  if (failed) throw std::runtime_error(failure);
  // Fitting plans by estimate, then the rejected ones, each group in enumeration order.
  std::stable_sort(out.begin(), out.end(), [](const PlanCandidate& a, const PlanCandidate& b) {
    if (a.rejected.empty() != b.rejected.empty()) return a.rejected.empty();
    return a.rejected.empty() && a.estimate.total() < b.estimate.total();
  });
  return out;
}

namespace {

// The top plans as a sweep: one zip of every dimension, so `dcsim sweep` can run it again.
fs::path write_ranking_sweep(const fs::path& dir, const fs::path& scenario_file, const std::vector<std::string>& overrides,
                             const std::vector<const PlanCandidate*>& top) {
  const std::vector<std::string> keys = [&] {
    std::vector<std::string> k;
    for (const auto& o : top.front()->overrides()) k.push_back(o.substr(0, o.find('=')));
    return k;
  }();
  std::string text =
      "# The best plans of `dcsim plan` by the analytical estimate, ranked by simulation\n"
      "# (listed in the order they ran: the costliest simulations first).\n";
  text += "name: plans\n";
  text += fmt::format("scenario: {}\n", nlohmann::json(fs::absolute(scenario_file).string()).dump());
  text += "set: [";
  for (std::size_t i = 0; i < overrides.size(); ++i) text += (i ? ", " : "") + nlohmann::json(overrides[i]).dump();
  text += "]\ngrid:\n  - zip:\n";
  for (std::size_t k = 0; k < keys.size(); ++k) {
    text += fmt::format("      - key: {}\n        values: [", keys[k]);
    for (std::size_t i = 0; i < top.size(); ++i) {
      const std::string o = top[i]->overrides()[k];
      text += (i ? ", " : "") + o.substr(o.find('=') + 1);
    }
    text += "]\n";
  }
  const fs::path file = dir / "plans.sweep.yaml";
  write_file_atomically(file, text);
  return file;
}

}  // namespace

PlanSearchResult search_plans(const fs::path& scenario_file, const std::vector<std::string>& overrides,
                              const PlanSearchOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const scenario::Scenario s = engine::load(scenario_file, overrides);
  PlanSearchResult r;
  r.candidates = screen_plans(s, enumerate_plans(s, options.space), options.jobs);
  r.screen_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<const PlanCandidate*> top;
  for (const auto& c : r.candidates)
    if (c.rejected.empty()) {
      ++r.fitting;
      if (std::int64_t(top.size()) < options.top) top.push_back(&c);
    }
  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec) throw EnvironmentError(fmt::format("cannot create output folder {}: {}", options.out_dir.string(), ec.message()));
  if (top.empty()) return r;
  // The ranking's wall is its busiest thread's: the longest runs go first (longest
  // processing time first), by a proxy for their simulation cost, the pipeline messages
  // (stages x model chunks x microbatches, as pp x dp cancels) per tensor-parallel group.
  // The order of execution only: results are ranked by their own iteration time.
  const auto cost = [](const PlanCandidate* c) {
    const workload::ParallelPlan& p = c->plan;
    return double(p.pp * p.virtual_stages) / double(p.microbatch * p.tp);
  };
  std::stable_sort(top.begin(), top.end(), [&](const PlanCandidate* a, const PlanCandidate* b) { return cost(a) > cost(b); });
  r.sweep_file = write_ranking_sweep(options.out_dir, scenario_file, overrides, top);
  SweepOptions so;
  so.out_dir = options.out_dir;
  so.jobs = options.jobs;
  so.progress = options.progress;
  r.ranking = run_sweep(load_sweep(r.sweep_file), so);
  return r;
}

}  // namespace dcsim::study
