#include "models/reliability/run_trial.hpp"

#include <algorithm>
#include <cmath>
#include <queue>

#include "models/reliability/failure_classes.hpp"
#include "sim/random.hpp"
#include "sim/simulator.hpp"

namespace dcsim::reliability {
namespace {

// The longest run a trial simulates, whatever it is asked: 100 years (a job that can never
// finish stops here and says so instead of running forever).
constexpr double kLongestRun_s = 100 * 365.25 * 86400;

// One class's failures: pooled exponential arrivals (any component, rate x count), or with a
// Weibull shape, one renewal process per component (its age restarts when it fails).
class FailureProcess {
 public:
  FailureProcess(const FailureClass& c, std::int64_t count, RandomStream rng)
      : rate_(c.rate_per_hour / 3600.0), count_(count), shape_(c.weibull_shape), rng_(rng) {
    if (weibull() && active()) {
      // Mean lifetime 1/rate: scale = mean / Gamma(1 + 1/shape).
      scale_ = 1.0 / rate_ / std::tgamma(1.0 + 1.0 / shape_);
      for (std::int64_t i = 0; i < count_; ++i) next_.push({lifetime(), i});
    }
  }
  bool active() const { return rate_ > 0 && count_ > 0; }
  // The next failure after `now` (seconds) and the component it hits.
  std::pair<double, std::int64_t> next(double now) {
    if (!weibull()) {
      const double at = now + rng_.exponential(1.0 / (rate_ * double(count_)));
      return {at, std::int64_t(rng_.below(std::uint64_t(count_)))};
    }
    return next_.top();
  }
  // The component failed at `now`: its next lifetime starts.
  void renew(std::int64_t component, double now) {
    if (!weibull()) return;
    next_.pop();
    next_.push({now + lifetime(), component});
  }

 private:
  bool weibull() const { return shape_ != 1.0; }
  double lifetime() { return scale_ * std::pow(-std::log1p(-rng_.uniform01()), 1.0 / shape_); }

  double rate_;  // per component-second
  std::int64_t count_;
  double shape_, scale_ = 0;
  RandomStream rng_;
  std::priority_queue<std::pair<double, std::int64_t>, std::vector<std::pair<double, std::int64_t>>, std::greater<>> next_;
};

class Trial {
 public:
  Trial(const ReliabilitySpec& spec, const ClusterShape& shape, const CheckpointCosts& costs, double interval_s,
        std::uint64_t seed, bool record)
      : spec_(spec), shape_(shape), costs_(costs), interval_(interval_s), record_(record),
        restart_(restart_seconds(spec.job, shape.gpus, costs)), spares_(spec.job.spare_nodes),
        alive_(shape.replicas) {
    const RandomStreams streams(seed);
    for (const FailureClass& c : spec.classes)
      processes_.emplace_back(c, component_count(c.scope, shape), streams.stream("failure/" + c.name));
    out_.by_class.resize(spec.classes.size());
  }

  TrialResult run() {
    const double work = spec_.run.work_s;
    const double horizon = spec_.run.duration_s > 0 ? spec_.run.duration_s : kLongestRun_s;
    for (std::size_t k = 0; k < processes_.size(); ++k)
      if (processes_[k].active()) schedule_failure(k);
    sample();
    resume_running();
    sim_.run_until(Time::from_seconds(horizon));
    account();
    sample();
    out_.wall_s = sim_.now().seconds();
    out_.work_s = progress_;
    if (phase_ == Phase::Down) close_downtime();
    out_.finished = work > 0 && phase_ == Phase::Finished;
    return std::move(out_);
  }

 private:
  enum class Phase { Running, Checkpointing, Down, Finished };

  double now() const { return sim_.now().seconds(); }
  double speed() const { return double(alive_) / double(shape_.replicas) / slow_factor_; }

  template <class F>
  EventHandle after(double seconds, F&& f) {
    const double at = now() + std::max(0.0, seconds);
    if (!(at < kLongestRun_s)) return {};
    return sim_.schedule_at(Time::from_seconds(at), std::forward<F>(f));
  }
  void cancel(EventHandle& h) {
    if (h.valid()) sim_.cancel(h);
    h = {};
  }

  // Brings the tallies to now: progress while running, stopped time otherwise.
  void account() {
    const double dt = now() - last_;
    last_ = now();
    if (dt <= 0) return;
    switch (phase_) {
      case Phase::Running: {
        const double v = speed();
        progress_ += v * dt;
        out_.slow_s += (1 - v) * dt;
        break;
      }
      case Phase::Checkpointing: out_.checkpoint_s += dt; break;
      case Phase::Down: out_.down_s += dt; break;
      case Phase::Finished: break;
    }
  }

  // ---- running and checkpoints ------------------------------------------------------------
  void resume_running() {
    phase_ = Phase::Running;
    schedule_running();
  }
  // The work's end and the next checkpoint, from the progress and speed now. The end is
  // scheduled first so that it wins a tie with a checkpoint.
  void schedule_running() {
    cancel(done_);
    cancel(checkpoint_due_);
    const double v = speed();
    if (v <= 0) return;
    if (spec_.run.work_s > 0) done_ = after((spec_.run.work_s - progress_) / v, [this] { finish(); });
    if (interval_ > 0 && std::isfinite(interval_)) {
      const double left = interval_ - (progress_ - checkpointed_at_);
      checkpoint_due_ = after(left / v, [this] { start_checkpoint(); });
    }
  }
  void finish() {
    account();
    progress_ = spec_.run.work_s;
    phase_ = Phase::Finished;
    sim_.stop();
  }
  void start_checkpoint() {
    account();
    checkpoint_due_ = {};
    if (drain_.valid() && sim_.is_pending(drain_)) {  // the last one is still draining: wait for it
      checkpoint_due_ = sim_.schedule_at(drain_end_, [this] { start_checkpoint(); });
      return;
    }
    cancel(done_);
    phase_ = Phase::Checkpointing;
    checkpoint_end_ = after(costs_.blocking_s, [this] { end_checkpoint(); });
  }
  void end_checkpoint() {
    account();
    checkpoint_end_ = {};
    ++out_.checkpoints;
    checkpointed_at_ = progress_;
    if (spec_.checkpoint.async && costs_.drain_s > 0) {
      draining_ = progress_;  // committed once the write has drained
      drain_end_ = Time::from_seconds(now() + costs_.drain_s);
      drain_ = after(costs_.drain_s, [this] {
        drain_ = {};
        committed_ = draining_;
      });
    } else {
      committed_ = progress_;
    }
    resume_running();
  }

  // ---- failures ---------------------------------------------------------------------------
  void schedule_failure(std::size_t k) {
    const auto [at, component] = processes_[k].next(now());
    if (!(at < kLongestRun_s)) return;
    sim_.schedule_at(Time::from_seconds(at), [this, k, component = component] { on_failure(k, component); });
  }

  std::int64_t node_of(const FailureClass& c, std::int64_t component) const {
    switch (c.scope) {
      case Scope::Gpu: return component / shape_.gpus_per_node;
      case Scope::Node: return component;
      case Scope::Domain: return component * shape_.nodes_per_domain;
      case Scope::Rack: return component * shape_.nodes_per_rack;
      case Scope::LeafSwitch:
      case Scope::SpineSwitch: return -1;
    }
    return -1;
  }

  void on_failure(std::size_t k, std::int64_t component) {
    processes_[k].renew(component, now());
    schedule_failure(k);
    if (phase_ == Phase::Finished) return;
    account();
    const FailureClass& c = spec_.classes[k];
    ++out_.by_class[k].failures;
    TrialEvent e{now(), k, component, node_of(c, component), false, 0, 0};
    switch (c.effect) {
      case Effect::Degrade:
        slow_factor_ *= c.slowdown;
        after(c.repair_s >= 0 ? c.repair_s : spec_.job.node_repair_s, [this, k] {
          account();
          slow_factor_ /= spec_.classes[k].slowdown;
          if (phase_ == Phase::Running) schedule_running();
        });
        if (phase_ == Phase::Running) schedule_running();
        log(e);
        return;
      case Effect::Straggler:
        // Every iteration waits for the slow node until it is found; then it is replaced.
        slow_factor_ *= c.slowdown;
        if (phase_ == Phase::Running) schedule_running();
        log(e);
        after(c.detect_s >= 0 ? c.detect_s : spec_.job.straggler_detect_s, [this, k, component] {
          account();
          slow_factor_ /= spec_.classes[k].slowdown;
          if (phase_ == Phase::Finished) return;
          interrupt(k, TrialEvent{now(), k, component, node_of(spec_.classes[k], component), false, 0, 0}, 1);
        });
        return;
      case Effect::ReplaceNode: interrupt(k, e, blast_nodes(c, shape_)); return;
      case Effect::Restart: interrupt(k, e, 0); return;
    }
  }

  // The job stops: work since the last committed checkpoint is lost, the failed nodes are
  // replaced (a spare, or the repaired node), and the job restarts. A failure while the job
  // is already down starts the recovery over.
  void interrupt(std::size_t k, TrialEvent e, std::int64_t nodes) {
    const FailureClass& c = spec_.classes[k];
    if (phase_ == Phase::Down) {
      close_downtime();
      cancel(resume_);
    } else {
      sample();
      e.lost_work_s = progress_ - committed_;
      out_.lost_work_s += e.lost_work_s;
      out_.by_class[k].lost_work_s += e.lost_work_s;
      progress_ = committed_;
      checkpointed_at_ = committed_;
      cancel(done_);
      cancel(checkpoint_due_);
      cancel(checkpoint_end_);
      cancel(drain_);  // a checkpoint still draining is lost with the job
      sample();
    }
    e.interrupted = true;
    ++out_.interruptions;
    ++out_.by_class[k].interruptions;
    phase_ = Phase::Down;
    down_since_ = now();
    down_class_ = k;
    double wait = 0;
    if (nodes > 0) wait = replace_nodes(nodes);
    const double detect = c.detect_s >= 0 ? c.detect_s : c.hang ? spec_.job.hang_detect_s : spec_.job.detect_s;
    down_event_ = log(e);
    resume_ = after(detect + wait + restart_, [this] {
      account();
      resume_ = {};
      close_downtime();
      sample();
      resume_running();
    });
  }

  // Seconds the restart waits for `nodes` replacements.
  double replace_nodes(std::int64_t nodes) {
    const JobResponse& job = spec_.job;
    if (spares_ < 0) {  // an unlimited pool
      out_.spares_used += nodes;
      return job.swap_s;
    }
    if (spares_ >= nodes) {
      spares_ -= nodes;
      out_.spares_used += nodes;
      after(job.node_repair_s, [this, nodes] { spares_ += nodes; });  // repaired, back in the pool
      return job.swap_s;
    }
    if (job.elastic) {
      // The replicas holding the failed nodes drop out until the nodes are repaired.
      const std::int64_t lost =
          std::min<std::int64_t>(alive_ - 1, std::max<std::int64_t>(1, (nodes + shape_.nodes_per_replica - 1) / shape_.nodes_per_replica));
      if (lost > 0) {
        alive_ -= lost;
        after(job.node_repair_s, [this, lost] {
          account();
          alive_ += lost;
          if (phase_ == Phase::Running) schedule_running();
        });
        return 0;
      }
    }
    ++out_.repair_waits;
    return job.node_repair_s;  // wait for the failed nodes themselves
  }

  void close_downtime() {
    const double d = now() - down_since_;
    out_.by_class[down_class_].downtime_s += d;
    if (record_ && down_event_ < out_.events.size()) out_.events[down_event_].downtime_s += d;
    down_since_ = now();
  }

  void sample() {
    if (record_) out_.progress.emplace_back(now(), progress_);
  }

  std::size_t log(const TrialEvent& e) {
    if (!record_) return ~std::size_t(0);
    out_.events.push_back(e);
    return out_.events.size() - 1;
  }

  const ReliabilitySpec& spec_;
  const ClusterShape& shape_;
  const CheckpointCosts& costs_;
  const double interval_;
  const bool record_;
  const double restart_;
  Simulator sim_;
  std::vector<FailureProcess> processes_;
  TrialResult out_;

  Phase phase_ = Phase::Running;
  double last_ = 0;
  double progress_ = 0, committed_ = 0, checkpointed_at_ = 0, draining_ = 0;
  double slow_factor_ = 1;
  std::int64_t spares_ = 0, alive_ = 1;
  EventHandle done_, checkpoint_due_, checkpoint_end_, drain_, resume_;
  Time drain_end_;
  double down_since_ = 0;
  std::size_t down_class_ = 0, down_event_ = ~std::size_t(0);
};

}  // namespace

double restart_seconds(const JobResponse& job, std::int64_t ranks, const CheckpointCosts& costs) {
  return job.reschedule_s + job.process_start_s + job.init_base_s + job.init_per_rank_s * double(ranks) + costs.load_s;
}

TrialResult run_trial(const ReliabilitySpec& spec, const ClusterShape& shape, const CheckpointCosts& costs,
                      double interval_s, std::uint64_t seed, bool record_events) {
  return Trial(spec, shape, costs, interval_s, seed, record_events).run();
}

}  // namespace dcsim::reliability
