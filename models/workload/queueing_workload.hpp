#pragma once
// A small synthetic workload for exercising the kernel end to end before the training
// model exists: jobs arrive in a Poisson stream and are served FIFO by c identical servers
// with exponential service times (an M/M/c queue). Its steady state has closed forms
// (Erlang C), so its results are checkable, not decorative.
#include <cstdint>

#include "sim/random.hpp"
#include "sim/statistics.hpp"
#include "sim/time.hpp"

namespace dcsim {
class Simulator;
class TraceWriter;
}  // namespace dcsim

namespace dcsim::workload {

struct QueueingConfig {
  std::int64_t servers = 1;
  std::int64_t jobs = 10000;
  Time mean_interarrival = Time::ms(1);
  Time mean_service = Time::us(800);
};

struct QueueingResult {
  std::uint64_t jobs_completed = 0;
  Time makespan;
  double mean_wait_s = 0;       // time in queue before service
  double mean_sojourn_s = 0;    // wait + service
  double p50_sojourn_s = 0;
  double p99_sojourn_s = 0;
  double utilization = 0;       // busy server-time / (servers * makespan)
  double mean_queue_length = 0; // time-average number waiting
  // Erlang-C steady-state predictions for the same parameters (infinite run).
  double theory_mean_wait_s = 0;
  double theory_utilization = 0;
};

// Steady-state mean wait of M/M/c (Erlang C); +inf when the queue is unstable (rho >= 1).
double erlang_c_mean_wait(double arrival_rate, double service_rate, std::int64_t servers);

QueueingResult run_queueing(Simulator& sim, const QueueingConfig& config, RandomStreams& streams,
                            TraceWriter* trace);

}  // namespace dcsim::workload
