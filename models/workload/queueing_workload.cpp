#include "models/workload/queueing_workload.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <vector>

#include "sim/simulator.hpp"
#include "sim/trace_writer.hpp"

namespace dcsim::workload {

double erlang_c_mean_wait(double lambda, double mu, std::int64_t c) {
  const double a = lambda / mu;  // offered load in servers
  const double rho = a / double(c);
  if (rho >= 1.0) return std::numeric_limits<double>::infinity();
  // P(wait) = (a^c / c!) / (1 - rho) / (sum_{k<c} a^k/k! + (a^c/c!) / (1 - rho)), summed stably.
  double term = 1.0, sum = 0.0;
  for (std::int64_t k = 0; k < c; ++k) {
    sum += term;
    term *= a / double(k + 1);
  }
  const double tail = term / (1.0 - rho);
  const double p_wait = tail / (sum + tail);
  return p_wait / (double(c) * mu - lambda);
}

namespace {
struct Model {
  Model(Simulator& s, const QueueingConfig& c, RandomStreams& streams, TraceWriter* t)
      : sim(s), cfg(c), arrivals(streams.stream("queueing.arrivals")), service(streams.stream("queueing.service")),
        trace(t), busy(std::size_t(c.servers), false), queue_length(s.now()), busy_servers(s.now()) {}

  Simulator& sim;
  const QueueingConfig& cfg;
  RandomStream arrivals;
  RandomStream service;
  TraceWriter* trace;
  std::deque<std::pair<std::uint64_t, Time>> waiting;  // job id, arrival time
  std::vector<bool> busy;
  std::int64_t busy_count = 0;
  std::uint64_t arrived = 0;
  Histogram sojourn;
  CompensatedSum wait_total;
  TimeWeighted queue_length;
  TimeWeighted busy_servers;

  Time draw(RandomStream& r, Time mean) { return Time::from_seconds(r.exponential(mean.seconds())); }

  void arrive() {
    const std::uint64_t id = arrived++;
    const Time now = sim.now();
    const auto free = std::find(busy.begin(), busy.end(), false);
    if (free != busy.end()) {
      start(static_cast<int>(free - busy.begin()), id, now);
    } else {
      waiting.emplace_back(id, now);
      queue_length.set(now, double(waiting.size()));
    }
    if (arrived < std::uint64_t(cfg.jobs)) sim.schedule_in(draw(arrivals, cfg.mean_interarrival), [this] { arrive(); });
  }

  void start(int server, std::uint64_t id, Time arrival) {
    const Time now = sim.now();
    busy[server] = true;
    busy_servers.set(now, double(++busy_count));
    wait_total.add((now - arrival).seconds());
    const Time duration = draw(service, cfg.mean_service);
    if (trace) trace->complete(1, server, "job", "service", now, duration, {{"job", double(id)}});
    sim.schedule_in(duration, [this, server, arrival] { finish(server, arrival); });
  }

  void finish(int server, Time arrival) {
    const Time now = sim.now();
    sojourn.add((now - arrival).seconds());
    busy[server] = false;
    busy_servers.set(now, double(--busy_count));
    if (!waiting.empty()) {
      auto [id, at] = waiting.front();
      waiting.pop_front();
      queue_length.set(now, double(waiting.size()));
      start(server, id, at);
    }
  }
};
}  // namespace

QueueingResult run_queueing(Simulator& sim, const QueueingConfig& cfg, RandomStreams& streams, TraceWriter* trace) {
  Model m(sim, cfg, streams, trace);
  const Time start = sim.now();
  if (trace) {
    trace->process_name(1, "servers");
    for (int s = 0; s < cfg.servers; ++s) trace->thread_name(1, s, "server " + std::to_string(s));
  }
  if (cfg.jobs > 0) sim.schedule_in(Time::zero(), [&m] { m.arrive(); });
  sim.run();

  QueueingResult r;
  r.jobs_completed = m.sojourn.count();
  r.makespan = sim.now() - start;
  const double span = r.makespan.seconds();
  r.mean_wait_s = r.jobs_completed ? m.wait_total.value() / double(r.jobs_completed) : 0.0;
  r.mean_sojourn_s = m.sojourn.mean();
  r.p50_sojourn_s = m.sojourn.percentile(50);
  r.p99_sojourn_s = m.sojourn.percentile(99);
  r.utilization = span > 0 ? m.busy_servers.integral(sim.now()) / (double(cfg.servers) * span) : 0.0;
  r.mean_queue_length = m.queue_length.average(sim.now());
  const double lambda = 1.0 / cfg.mean_interarrival.seconds();
  const double mu = 1.0 / cfg.mean_service.seconds();
  r.theory_mean_wait_s = erlang_c_mean_wait(lambda, mu, cfg.servers);
  r.theory_utilization = lambda / (mu * double(cfg.servers));
  return r;
}

}  // namespace dcsim::workload
