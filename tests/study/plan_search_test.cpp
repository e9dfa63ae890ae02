// Plan search: the plans enumerated are exactly the valid ones (hand-counted, and each loads
// as a scenario), the estimate follows its formula, and the search ranks the best by
// simulation into a database.
#include "study/plan_search.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "engine/cluster_runtime.hpp"
#include "engine/engine.hpp"
#include "models/scenario/diagnostics.hpp"
#include "study/result_store.hpp"

namespace dcsim::study {
namespace {
namespace fs = std::filesystem;
using workload::Recompute;

// 16 H100 (two servers of 8), 8 layers, 16 heads, sequence 2048, global batch 8.
const fs::path kTiny = fs::path(DCSIM_SOURCE_DIR) / "tests/data/tiny_training.yaml";

TEST(PlanSearch, EnumeratesExactlyTheHandCountedPlans) {
  const auto s = engine::load(kTiny);
  PlanSpace space;
  space.tp = {2, 4};
  space.cp = {1};
  space.microbatch = {1};
  space.recompute = {Recompute::None};
  space.zero = {1};
  const auto plans = enumerate_plans(s, space);
  // tp 2: pp 1, 2 (vs 1-4), 4 (vs 1, 2), 8: 8 plans. tp 4: pp 1, 2 (vs 1-4), 4 (vs 1, 2): 7.
  // (pp x vs may not exceed the 8 layers; the interleaved schedule needs microbatches a
  // multiple of pp: 8 / dp is.)
  std::multiset<std::string> got;
  for (const auto& p : plans) {
    EXPECT_EQ(p.world(), 16);
    got.insert(fmt::format("{}x{}x{}v{}", p.tp, p.pp, p.dp, p.virtual_stages));
  }
  const std::multiset<std::string> want = {"2x1x8v1", "2x2x4v1", "2x2x4v2", "2x2x4v3", "2x2x4v4", "2x4x2v1", "2x4x2v2",
                                           "2x8x1v1", "4x1x4v1", "4x2x2v1", "4x2x2v2", "4x2x2v3", "4x2x2v4", "4x4x1v1",
                                           "4x4x1v2"};
  EXPECT_EQ(got, want);
}

// Every plan of the automatic space is one the scenario reader accepts with the same
// overrides: the search's checks and the reader's agree.
TEST(PlanSearch, EveryEnumeratedPlanLoadsAsAScenario) {
  const auto s = engine::load(kTiny, {"output.trace_ranks=[0]"});
  PlanSpace space;  // every dimension automatic but recomputation, which no check reads
  space.recompute = {Recompute::Full};
  const auto plans = enumerate_plans(s, space);
  ASSERT_GT(plans.size(), 100u);
  for (const auto& p : plans) {
    PlanCandidate c;
    c.plan = p;
    std::vector<std::string> o = c.overrides();
    o.push_back("output.trace_ranks=[0]");
    EXPECT_NO_THROW(engine::load(kTiny, o)) << c.label();
  }
}

TEST(PlanSearch, TheEstimateFollowsItsFormula) {
  const auto s = engine::load(kTiny, {"workload.parallelism.pp=2", "workload.parallelism.dp=2",
                                      "workload.parallelism.virtual_stages=2", "workload.parallelism.schedule=interleaved"});
  Simulator sim;
  engine::ClusterRuntime rt(s, sim);
  const auto& plan = s.training.plan;
  const auto costs = workload::training_costs(s.training.model, plan, rt.cluster.accelerator(), *rt.network);
  network::CollectiveTimer timer(*rt.network);
  const PlanEstimate e = estimate_iteration(plan, costs, timer);
  // Rank p runs chunks p and p + 2; the slower rank sets the pace.
  double slowest = 0, backward = 0;
  for (int p = 0; p < 2; ++p) {
    const double f = costs.chunks[p].forward.total_s() + costs.chunks[p + 2].forward.total_s();
    const double b = costs.chunks[p].backward.total_s() + costs.chunks[p + 2].backward.total_s();
    if (f + b > slowest) {
      slowest = f + b;
      backward = b;
    }
  }
  const double m = double(plan.microbatches());
  EXPECT_EQ(m, 4);
  EXPECT_DOUBLE_EQ(e.compute_s, m * slowest);
  EXPECT_DOUBLE_EQ(e.bubble_s, 1.0 * slowest / 2.0);
  EXPECT_DOUBLE_EQ(e.pp_s, 2.0 * 3.0 * pp_send_seconds(plan, costs.pp_message_bytes, timer));
  EXPECT_GT(e.pp_s, 0);
  double params = 0;
  for (int p = 0; p < 2; ++p) params = std::max(params, costs.dense_params[p] + costs.expert_params[p]);
  const double rs = dp_seconds(plan, network::CollectiveOp::ReduceScatter, params * plan.grad_bytes, timer);
  const double ag = dp_seconds(plan, network::CollectiveOp::AllGather, params * 2, timer);
  EXPECT_GT(rs, 0);
  EXPECT_DOUBLE_EQ(e.dp_s, std::max(0.0, rs - backward) + ag);
  EXPECT_DOUBLE_EQ(e.optimizer_s, std::max(costs.optimizer_s[0], costs.optimizer_s[1]));
  EXPECT_DOUBLE_EQ(e.total(), e.compute_s + e.bubble_s + e.pp_s + e.dp_s + e.optimizer_s);
}

// The timer gives what Algorithm::Auto gives, timed afresh, at any size, to the nanosecond
// rounding both share.
TEST(PlanSearch, TheCollectiveTimerIsAutoAtEverySize) {
  for (const char* name : {"tests/data/tiny_training.yaml", "scenarios/train_gpt.yaml"}) {
    const auto s = engine::load(fs::path(DCSIM_SOURCE_DIR) / name);
    Simulator sim;
    engine::ClusterRuntime rt(s, sim);
    network::CollectiveTimer timer(*rt.network);
    for (std::int64_t tp : {1, 2, 8}) {
      workload::ParallelPlan plan = s.training.plan;
      plan.tp = tp;
      plan.cp = 1;
      plan.pp = 2;
      plan.dp = rt.cluster.devices() / (2 * tp);
      std::vector<std::int64_t> ranks;
      for (std::int64_t d = 0; d < plan.dp; ++d) ranks.push_back(workload::rank_of(plan, {0, 0, d, 0}));
      for (double bytes : {3.3e3, 4.1e6, 7.7e7, 2.5e9, 3.1e10})
        for (auto op : {network::CollectiveOp::AllReduce, network::CollectiveOp::ReduceScatter,
                        network::CollectiveOp::AllGather}) {
          const double fresh = network::analytical_seconds(
              network::plan_collective(op, network::Algorithm::Auto, ranks, bytes, *rt.network), *rt.network);
          EXPECT_EQ(dp_seconds(plan, op, bytes, timer), fresh) << name << " tp " << tp << " " << bytes;
        }
      const std::int64_t to = workload::rank_of(plan, {0, 0, 0, 1});
      const double send = network::analytical_seconds(
          network::plan_collective(network::CollectiveOp::SendRecv, network::Algorithm::Auto, {0, to}, 5.5e7, *rt.network),
          *rt.network);
      EXPECT_EQ(pp_send_seconds(plan, 5.5e7, timer), send);
    }
  }
}

TEST(PlanSearch, ScreensRanksBySimulationAndResumes) {
  const fs::path dir = fs::temp_directory_path() / "dcsim_plan_search_test";
  fs::remove_all(dir);
  PlanSearchOptions o;
  o.top = 3;
  o.jobs = 2;
  o.out_dir = dir;
  o.space.microbatch = {1, 2};
  const PlanSearchResult r = search_plans(kTiny, {"output.trace_ranks=[0]"}, o);
  ASSERT_GT(r.fitting, 3);
  // Fitting plans first, by estimate; the rejected ones say why.
  for (std::size_t i = 1; i < r.candidates.size(); ++i) {
    const auto &a = r.candidates[i - 1], &b = r.candidates[i];
    if (a.rejected.empty() && b.rejected.empty()) {
      EXPECT_LE(a.estimate.total(), b.estimate.total());
    }
    EXPECT_FALSE(!a.rejected.empty() && b.rejected.empty());
    if (!b.rejected.empty()) {
      EXPECT_TRUE(b.rejected.rfind("memory: ", 0) == 0 || b.rejected.rfind("invalid: ", 0) == 0);
    }
  }
  EXPECT_EQ(r.ranking.points, 3);
  EXPECT_EQ(r.ranking.ran, 3);
  const ResultStore store(r.ranking.database, {});
  const auto t = store.table();
  ASSERT_EQ(t.rows.size(), 3u);
  // Each ranked plan's simulated time is the run of its overrides alone.
  const auto col = std::size_t(std::find(t.columns.begin(), t.columns.end(), "training.iteration_time_s") - t.columns.begin());
  for (std::size_t i = 0; i < 3; ++i) {
    std::vector<std::string> ov = {"output.trace_ranks=[0]"};
    for (const auto& x : r.candidates[i].overrides()) ov.push_back(x);
    const double alone = engine::run(engine::load(kTiny, ov)).number("training.iteration_time_s");
    bool found = false;
    for (const auto& row : t.rows)
      if (row[1] == [&] {
            std::string k;
            for (const auto& x : r.candidates[i].overrides()) k += (k.empty() ? "" : "; ") + x;
            return k;
          }()) {
        EXPECT_EQ(std::stod(row[col]), alone);
        found = true;
      }
    EXPECT_TRUE(found) << r.candidates[i].label();
  }
  const PlanSearchResult again = search_plans(kTiny, {"output.trace_ranks=[0]"}, o);
  EXPECT_EQ(again.ranking.skipped, 3);
  fs::remove_all(dir);
}

TEST(PlanSearch, AWorkloadOtherThanTrainingIsRefused) {
  const auto s = engine::load(fs::path(DCSIM_SOURCE_DIR) / "scenarios/allreduce_4096.yaml");
  EXPECT_THROW(enumerate_plans(s, {}), scenario::InputError);
}

}  // namespace
}  // namespace dcsim::study
