#include "models/reliability/monte_carlo.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <string>
#include <thread>

#include "models/reliability/failure_classes.hpp"
#include "sim/random.hpp"
#include "sim/statistics.hpp"

namespace dcsim::reliability {

Distribution distribution(const std::vector<double>& values) {
  Distribution d;
  if (values.empty()) return d;
  Histogram h;  // the kernel's statistics: percentiles interpolate as elsewhere in dcsim
  for (double x : values) h.add(x);
  d.mean = h.mean();
  d.stddev = h.stddev();
  d.p5 = h.percentile(5);
  d.p50 = h.percentile(50);
  d.p95 = h.percentile(95);
  d.min = h.min();
  d.max = h.max();
  return d;
}

StudyPlan plan_study(const ReliabilitySpec& spec, const ClusterShape& shape) {
  StudyPlan p;
  p.costs = checkpoint_costs(spec.checkpoint, shape);
  const double per_hour = interruptions_per_hour(spec.classes, shape);
  p.mtbf_s = per_hour > 0 ? 3600.0 / per_hour : std::numeric_limits<double>::infinity();
  p.restart_s = restart_seconds(spec.job, shape.gpus, p.costs);
  p.daly_interval_s = daly_interval(p.costs.blocking_s, p.mtbf_s);
  p.interval_given = spec.checkpoint.interval_s > 0;
  p.interval_s = p.interval_given ? spec.checkpoint.interval_s : p.daly_interval_s;
  p.interval_s = std::max(p.interval_s, spec.run.iteration_s);
  // Checkpoints follow progress (at most the window, or the work); failures follow wall
  // time (the window, or for a run to train ten times the work, within the 100-year cap).
  const double progress = spec.run.duration_s > 0 ? spec.run.duration_s : spec.run.work_s;
  const double wall = spec.run.duration_s > 0 ? spec.run.duration_s : 100 * 365.25 * 86400;
  double failures_per_s = 0;
  for (const FailureClass& c : spec.classes) failures_per_s += c.rate_per_hour / 3600 * double(component_count(c.scope, shape));
  const double checkpoints = p.interval_s > 0 && std::isfinite(p.interval_s) ? progress / p.interval_s : 0.0;
  const double failures = failures_per_s * (spec.run.duration_s > 0 ? wall : std::min(wall, 10 * progress));
  p.events = double(std::max<std::int64_t>(1, spec.run.trials)) * (3 * checkpoints + 3 * failures);
  return p;
}

StudyResult run_study(const ReliabilitySpec& spec, const ClusterShape& shape) {
  StudyResult out;
  const StudyPlan plan = plan_study(spec, shape);
  out.costs = plan.costs;
  out.mtbf_s = plan.mtbf_s;
  out.restart_s = plan.restart_s;
  out.daly_interval_s = plan.daly_interval_s;
  out.interval_given = plan.interval_given;
  out.interval_s = plan.interval_s;

  const std::int64_t n = std::max<std::int64_t>(1, spec.run.trials);
  out.trials.resize(std::size_t(n));
  const RandomStreams seeds(spec.run.seed);
  std::atomic<std::int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_lock;
  const auto work = [&] {
    for (std::int64_t i = next++; i < n; i = next++) {
      try {
        out.trials[std::size_t(i)] =
            run_trial(spec, shape, out.costs, out.interval_s, seeds.seed_for("trial/" + std::to_string(i)), i == 0);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_lock);
        if (!error) error = std::current_exception();
      }
    }
  };
  const int threads = int(std::min<std::int64_t>(
      n, spec.run.threads > 0 ? spec.run.threads : std::max(1u, std::thread::hardware_concurrency())));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);

  std::vector<double> goodput, wall, interruptions, lost, down, ckpt, slow;
  for (const TrialResult& t : out.trials) {
    out.finished += t.finished ? 1 : 0;
    goodput.push_back(t.wall_s > 0 ? t.work_s / t.wall_s : 0.0);
    wall.push_back(t.wall_s);
    interruptions.push_back(double(t.interruptions));
    lost.push_back(t.lost_work_s);
    down.push_back(t.down_s);
    ckpt.push_back(t.checkpoint_s);
    slow.push_back(t.slow_s);
  }
  out.goodput = distribution(goodput);
  out.wall_s = distribution(wall);
  out.interruptions = distribution(interruptions);
  out.lost_work_s = distribution(lost);
  out.down_s = distribution(down);
  out.checkpoint_s = distribution(ckpt);
  out.slow_s = distribution(slow);
  return out;
}

}  // namespace dcsim::reliability
