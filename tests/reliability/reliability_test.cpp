// Whole runs with failures: the simulation against closed forms (expected wall time under
// exponential failures, the optimal checkpoint interval), blast radius and spares worked by
// hand, the accounting identity, and determinism across thread counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "models/reliability/checkpoint.hpp"
#include "models/reliability/failure_classes.hpp"
#include "models/reliability/monte_carlo.hpp"

using namespace dcsim::reliability;

namespace {

ClusterShape one_node() {
  ClusterShape s;
  s.gpus = 8;
  s.nodes = 1;
  s.gpus_per_node = 8;
  s.nodes_per_rack = 1;
  s.nodes_per_leaf = 1;
  s.leaf_switches = 1;
  s.spine_switches = 1;
  return s;
}

// One failure process of mean `mtbf_h` that restarts the job; the restart costs exactly
// `restart_h` (a failure during it starts it over); a sync checkpoint costs `delta_h`.
ReliabilitySpec simple_spec(double mtbf_h, double restart_h, double delta_h, double tau_h, double work_h) {
  ReliabilitySpec s;
  FailureClass c;
  c.name = "any";
  c.category = "hardware";
  c.scope = Scope::Node;
  c.rate_per_hour = 1.0 / mtbf_h;
  c.effect = Effect::Restart;
  c.detect_s = 0;
  s.classes = {c};
  s.job = JobResponse{};
  s.job.reschedule_s = restart_h * 3600;
  s.job.process_start_s = 0;
  s.job.init_base_s = 0;
  s.job.init_per_rank_s = 0;
  s.checkpoint.size_bytes = delta_h * 3600 * 1e9;
  s.checkpoint.write_bandwidth = 1e9;
  s.checkpoint.read_bandwidth = 1e30;  // loads take no time here
  s.checkpoint.interval_s = tau_h * 3600;
  s.run.work_s = work_h * 3600;
  s.run.trials = 2000;
  s.run.seed = 7;
  return s;
}

void expect_identity(const TrialResult& t) {
  const double sum = t.work_s + t.lost_work_s + t.slow_s + t.checkpoint_s + t.down_s;
  EXPECT_NEAR(sum, t.wall_s, 1e-6 * t.wall_s + 1e-6);
}

}  // namespace

// docs/reliability.md derives E[T] = (n-1) e^{R/M} M (e^{(tau+delta)/M} - 1) + e^{R/M} M
// (e^{tau/M} - 1) for n intervals of work; the Monte Carlo mean must fall within four
// standard errors of it, for short and long intervals.
TEST(Reliability, ExponentialFailuresGiveTheClosedFormExpectedWallTime) {
  for (const double tau : {0.5, 2.0, 6.0}) {
    SCOPED_TRACE(::testing::Message() << "tau " << tau << " h");
    const ReliabilitySpec spec = simple_spec(10, 0.5, 0.25, tau, 720);
    const StudyResult r = run_study(spec, one_node());
    const double expected = expected_wall_time(spec.run.work_s, tau * 3600, 0.25 * 3600, 0.5 * 3600, 10 * 3600);
    const double stderr_ = r.wall_s.stddev / std::sqrt(double(r.trials.size()));
    EXPECT_EQ(r.finished, std::int64_t(r.trials.size()));
    EXPECT_NEAR(r.wall_s.mean, expected, 4 * stderr_) << "standard error " << stderr_;
    EXPECT_LT(stderr_, 0.01 * expected);  // the test has the power to see a 4 % error
    for (const TrialResult& t : r.trials) expect_identity(t);
  }
}

// The interval Daly's formula picks is where the closed form is lowest (to 3 % in tau), and
// the simulation agrees: shorter or longer intervals waste more.
TEST(Reliability, DalysIntervalMinimizesTheSimulatedWaste) {
  const double mtbf_h = 4, delta_h = 0.1, restart_h = 0.3;
  const double daly_h = daly_interval(delta_h * 3600, mtbf_h * 3600) / 3600;
  double best_tau = 0, best = 1e300;
  for (double tau = 0.05; tau < 5; tau += 0.001) {
    const double w = expected_wall_time(tau * 1000 * 3600, tau * 3600, delta_h * 3600, restart_h * 3600, mtbf_h * 3600) /
                     (tau * 1000 * 3600);
    if (w < best) {
      best = w;
      best_tau = tau;
    }
  }
  EXPECT_NEAR(daly_h, best_tau, 0.03 * best_tau);
  auto waste = [&](double tau_h) {
    ReliabilitySpec spec = simple_spec(mtbf_h, restart_h, delta_h, tau_h, 200);
    spec.run.work_s = 0;
    spec.run.duration_s = 400 * 3600;
    spec.run.trials = 400;
    const StudyResult r = run_study(spec, one_node());
    return 1 - r.goodput.mean;
  };
  const double at_daly = waste(daly_h);
  EXPECT_LT(at_daly, waste(daly_h / 4));
  EXPECT_LT(at_daly, waste(daly_h * 4));
}

// Blast radius and spares, by hand: every interruption's downtime is detection + the wait
// for nodes + the restart (when no second failure cut it short). The wait is a swap when the
// pool holds the blast radius's nodes (each back after the repair time), else the repair.
TEST(Reliability, DowntimeIsDetectionPlusTheWaitForNodesPlusTheRestart) {
  ClusterShape shape = one_node();
  shape.nodes = 64;
  shape.gpus = 512;
  shape.nodes_per_rack = 4;
  shape.nodes_per_leaf = 16;
  shape.leaf_switches = 4;
  shape.nodes_per_domain = 8;  // an NVLink domain of 8 nodes (as an NVL72 rack is of 18 trays)
  struct Case {
    Scope scope;
    Effect effect;
    std::int64_t spares;  // -1: unlimited
    std::int64_t blast;   // nodes each failure takes
  };
  const double swap = 900, repair = 36000;
  for (const Case& c : {Case{Scope::Node, Effect::ReplaceNode, -1, 1},      // a spare each time
                        Case{Scope::Node, Effect::ReplaceNode, 1, 1},       // one spare, sometimes out
                        Case{Scope::Rack, Effect::ReplaceNode, 3, 4},       // 4 nodes, 3 spares: wait
                        Case{Scope::LeafSwitch, Effect::ReplaceNode, 0, 16},  // 16 nodes down
                        Case{Scope::Domain, Effect::ReplaceNode, 8, 8},     // the domain's 8 nodes
                        Case{Scope::Node, Effect::Restart, 0, 0}}) {        // software: no nodes
    SCOPED_TRACE(::testing::Message() << to_string(c.scope) << " " << to_string(c.effect) << " spares " << c.spares);
    ReliabilitySpec spec = simple_spec(1, 0.2, 0.01, 0.5, 0);
    spec.classes[0].scope = c.scope;
    spec.classes[0].effect = c.effect;
    spec.classes[0].detect_s = 120;
    spec.classes[0].rate_per_hour = 1.0 / 20 / double(component_count(c.scope, shape));  // MTBF 20 h
    spec.job.spare_nodes = c.spares;
    spec.job.swap_s = swap;
    spec.job.node_repair_s = repair;
    spec.run.work_s = 0;
    spec.run.duration_s = 4000 * 3600.0;
    spec.run.trials = 1;
    EXPECT_EQ(blast_nodes(spec.classes[0], shape), c.blast);
    const StudyResult r = run_study(spec, shape);
    const auto& events = r.trials[0].events;
    ASSERT_GT(events.size(), 100u);
    const double restart = r.restart_s;
    EXPECT_DOUBLE_EQ(restart, 0.2 * 3600 + r.costs.load_s);
    std::vector<double> back;  // when each node taken from the pool returns
    std::size_t exact = 0, waited = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
      ASSERT_TRUE(events[i].interrupted);
      const double t = events[i].time_s;
      double wait = 0;
      if (c.blast > 0 && c.spares < 0) {
        wait = swap;
      } else if (c.blast > 0) {
        const auto out = std::count_if(back.begin(), back.end(), [t](double b) { return b > t; });
        if (c.spares - out >= c.blast) {
          wait = swap;
          back.insert(back.end(), std::size_t(c.blast), t + repair);
        } else {
          wait = repair;
          ++waited;
        }
      }
      const double planned = 120 + wait + restart;
      if (i + 1 < events.size() && events[i + 1].time_s < t + planned) {
        EXPECT_LT(events[i].downtime_s, planned + 1e-6);  // cut short by the next failure
      } else if (i + 1 < events.size()) {
        EXPECT_NEAR(events[i].downtime_s, planned, 1e-6);
        ++exact;
      }
    }
    EXPECT_GT(exact, events.size() / 2);
    if (c.spares == 1) EXPECT_GT(waited, 0u);  // the case exercises both branches
    EXPECT_EQ(r.trials[0].repair_waits, std::int64_t(waited));
    expect_identity(r.trials[0]);
    // The progress line ends at the work kept, and only interruptions take work back.
    const auto& progress = r.trials[0].progress;
    ASSERT_GE(progress.size(), 2u);
    EXPECT_DOUBLE_EQ(progress.back().first, r.trials[0].wall_s);
    EXPECT_DOUBLE_EQ(progress.back().second, r.trials[0].work_s);
    double lost = 0;
    for (std::size_t i = 1; i < progress.size(); ++i) lost += std::max(0.0, progress[i - 1].second - progress[i].second);
    EXPECT_NEAR(lost, r.trials[0].lost_work_s, 1e-6 * lost + 1e-6);
  }
}

// A spine switch only slows the job while it is out: no interruption, and the time lost
// is the integral of 1 - 1/slowdown over the hours the switches are down (worked here from
// the recorded failures).
TEST(Reliability, ADegradedFabricSlowsTheJobWithoutStoppingIt) {
  ReliabilitySpec spec = simple_spec(1, 0.2, 0.01, 0.5, 0);
  spec.classes[0].scope = Scope::SpineSwitch;
  spec.classes[0].effect = Effect::Degrade;
  spec.classes[0].slowdown = 1.25;
  spec.classes[0].repair_s = 4 * 3600;
  spec.classes[0].rate_per_hour = 1.0 / 50;
  spec.checkpoint.interval_s = 0;  // Daly's: no interruptions, so no checkpoints
  spec.run.work_s = 0;
  spec.run.duration_s = 5000 * 3600.0;
  spec.run.trials = 1;
  const StudyResult r = run_study(spec, one_node());
  const TrialResult& t = r.trials[0];
  EXPECT_EQ(t.interruptions, 0);
  EXPECT_EQ(t.checkpoints, 0);
  ASSERT_GT(t.events.size(), 50u);
  // Sweep the failures' start and end times: the slowdown is 1.25^(switches down).
  std::vector<std::pair<double, int>> edges;
  for (const TrialEvent& e : t.events) {
    edges.push_back({e.time_s, +1});
    edges.push_back({std::min(e.time_s + 4 * 3600, spec.run.duration_s), -1});
  }
  std::sort(edges.begin(), edges.end());
  double slow = 0, at = 0;
  int down = 0;
  for (const auto& [time, step] : edges) {
    slow += (1 - std::pow(1.25, -down)) * (time - at);
    at = time;
    down += step;
  }
  EXPECT_NEAR(t.slow_s, slow, 1e-6 * slow);
  expect_identity(t);
}

// Elastic continuation: without spares the job restarts at once on fewer replicas instead
// of waiting for repairs, and gets more done than waiting.
TEST(Reliability, ElasticContinuationBeatsWaitingForRepairs) {
  ClusterShape shape = one_node();
  shape.nodes = 128;
  shape.gpus = 1024;
  shape.replicas = 16;
  shape.nodes_per_replica = 8;
  ReliabilitySpec spec = simple_spec(1, 0.2, 0.01, 1.0, 0);
  spec.classes[0].effect = Effect::ReplaceNode;
  spec.classes[0].rate_per_hour = 1.0 / 20 / 128;
  spec.job.node_repair_s = 12 * 3600;
  spec.job.spare_nodes = 0;
  spec.run.work_s = 0;
  spec.run.duration_s = 2000 * 3600.0;
  spec.run.trials = 50;
  const StudyResult waiting = run_study(spec, shape);
  spec.job.elastic = true;
  const StudyResult elastic = run_study(spec, shape);
  EXPECT_GT(elastic.goodput.mean, waiting.goodput.mean + 0.05);
  EXPECT_GT(elastic.slow_s.mean, 0);
  for (const TrialResult& t : elastic.trials) expect_identity(t);
}

// The same seed gives the same trials, whatever the thread count; another seed does not.
TEST(Reliability, TrialsAreTheSameForAnyThreadCount) {
  ClusterShape shape = one_node();
  shape.nodes = 2048;
  shape.gpus = 16384;
  shape.nodes_per_rack = 2;
  shape.nodes_per_leaf = 32;
  shape.leaf_switches = 512;
  shape.spine_switches = 128;
  ReliabilitySpec spec;
  spec.classes = default_failure_classes();
  for (FailureClass& c : spec.classes)
    if (c.rate_per_hour == 0) c.rate_per_hour = 1e-5;  // switch on the extra classes too
  spec.classes[0].weibull_shape = 0.8;
  spec.checkpoint = {5.7e12, 2e12, 2e12, 25e9, 25e9, true, 0};
  spec.job.spare_nodes = 16;
  spec.run.duration_s = 10 * 86400.0;
  spec.run.trials = 8;
  spec.run.threads = 1;
  const StudyResult one = run_study(spec, shape);
  spec.run.threads = 3;
  const StudyResult three = run_study(spec, shape);
  ASSERT_EQ(one.trials.size(), three.trials.size());
  for (std::size_t i = 0; i < one.trials.size(); ++i) {
    EXPECT_EQ(one.trials[i].wall_s, three.trials[i].wall_s);
    EXPECT_EQ(one.trials[i].work_s, three.trials[i].work_s);
    EXPECT_EQ(one.trials[i].interruptions, three.trials[i].interruptions);
    expect_identity(one.trials[i]);
  }
  EXPECT_EQ(one.trials[0].events.size(), three.trials[0].events.size());
  spec.run.seed = 2;
  const StudyResult other = run_study(spec, shape);
  EXPECT_NE(other.trials[0].work_s, one.trials[0].work_s);
}
