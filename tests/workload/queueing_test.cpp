#include "models/workload/queueing_workload.hpp"

#include <gtest/gtest.h>

#include "sim/simulator.hpp"

using namespace dcsim;
using namespace dcsim::workload;

TEST(ErlangC, MatchesHandComputedValues) {
  // M/M/1, lambda 1, mu 2: Wq = rho / (mu - lambda) = 0.5 / 1 = 0.5.
  EXPECT_DOUBLE_EQ(erlang_c_mean_wait(1.0, 2.0, 1), 0.5);
  // M/M/2, lambda 1, mu 1 (a = 1): P(wait) = (1/2 / 0.5) / (1 + 1 + 1) = 1/3; Wq = (1/3) / (2 - 1).
  EXPECT_NEAR(erlang_c_mean_wait(1.0, 1.0, 2), 1.0 / 3.0, 1e-15);
  EXPECT_TRUE(std::isinf(erlang_c_mean_wait(2.0, 1.0, 2)));
}

TEST(QueueingWorkload, LongRunAgreesWithErlangC) {
  Simulator sim;
  RandomStreams streams(11);
  QueueingConfig cfg{2, 400000, Time::ms(1), Time::us(1500)};  // rho = 0.75
  const QueueingResult r = run_queueing(sim, cfg, streams, nullptr);
  EXPECT_EQ(r.jobs_completed, 400000u);
  EXPECT_NEAR(r.utilization, 0.75, 0.01);
  // Wq = 1.9286 ms in steady state; a 400k-job run lands within a few percent.
  EXPECT_NEAR(r.mean_wait_s / r.theory_mean_wait_s, 1.0, 0.05);
  EXPECT_NEAR(r.mean_sojourn_s, r.mean_wait_s + 1.5e-3, 0.05e-3);
  // Every job is one arrival plus one completion event.
  EXPECT_EQ(sim.events_executed(), 2u * 400000u);
}

TEST(QueueingWorkload, SameSeedSameResultDifferentSeedDifferentResult) {
  QueueingConfig cfg{3, 5000, Time::ms(1), Time::ms(2)};
  auto run = [&](std::uint64_t seed) {
    Simulator sim;
    RandomStreams streams(seed);
    return run_queueing(sim, cfg, streams, nullptr);
  };
  EXPECT_EQ(run(5).mean_wait_s, run(5).mean_wait_s);
  EXPECT_NE(run(5).mean_wait_s, run(6).mean_wait_s);
}
