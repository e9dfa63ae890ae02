#include "models/network/network_sim.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <stdexcept>
#include <tuple>

namespace dcsim::network {
namespace {
constexpr double kSaturated = 1 - 1e-7;  // relative: a link this full is a bottleneck
}

NetworkSim::NetworkSim(Simulator& sim, Fabric& fabric, SharingModel model)
    : sim_(sim), fabric_(fabric), model_(model) {
  const auto& topo = fabric.topology();
  on_link_.resize(topo.link_count());
  link_bytes_.assign(topo.link_count(), 0.0);
  link_load_.assign(topo.link_count(), 0.0);
  link_visit_.assign(topo.link_count(), 0);
  link_pos_.assign(topo.link_count(), 0);
  capacity_.reserve(topo.link_count());
  for (const Link& l : topo.links()) capacity_.push_back(l.bandwidth);
  class_capacity_.assign(kLinkClassCount, 0.0);
  class_load_.assign(kLinkClassCount, 0.0);
  class_series_.assign(kLinkClassCount, power::BinnedSeries(Time::us(100)));
  for (const Link& l : topo.links()) class_capacity_[static_cast<int>(l.cls)] += l.bandwidth;
}

NetworkSim::TransferId NetworkSim::allocate() {
  if (!free_.empty()) {
    const TransferId id = free_.back();
    free_.pop_back();
    return id;
  }
  transfers_.emplace_back();
  return static_cast<TransferId>(transfers_.size() - 1);
}

namespace {
// The combined load of all segments on each link, and the longest segment latency.
void build_load(Fabric& fabric, const std::vector<Segment>& segments, std::vector<std::pair<LinkId, double>>& load,
                double& latency) {
  load.clear();
  latency = 0;
  for (const Segment& s : segments) {
    const Route& r = fabric.route(s.src, s.dst);
    latency = std::max(latency, fabric.route_latency(r));
    for (const auto& [l, share] : r) load.emplace_back(l, share);
  }
  std::sort(load.begin(), load.end());
  std::size_t out = 0;
  for (std::size_t i = 0; i < load.size(); ++i) {
    if (out > 0 && load[out - 1].first == load[i].first)
      load[out - 1].second += load[i].second;
    else
      load[out++] = load[i];
  }
  load.resize(out);
}
double isolated_rate(const Fabric& fabric, const std::vector<std::pair<LinkId, double>>& load) {
  double rate = std::numeric_limits<double>::infinity();
  for (const auto& [l, w] : load) rate = std::min(rate, fabric.topology().link(l).bandwidth / w);
  return rate;
}
}  // namespace

Prepared NetworkSim::prepare(const std::vector<Segment>& segments) {
  auto p = std::make_shared<PreparedTransfer>();
  build_load(fabric_, segments, p->load, p->latency_s);
  for (const auto& [l, w] : p->load) p->class_load[static_cast<int>(fabric_.topology().link(l).cls)] += w;
  p->max_rate = isolated_rate(fabric_, p->load);
  p->segments = double(segments.size());
  return p;
}

double NetworkSim::isolated_seconds(const std::vector<Segment>& segments, double bytes, int steps) {
  std::vector<std::pair<LinkId, double>> load;
  double latency = 0;
  build_load(fabric_, segments, load, latency);
  const double rate = isolated_rate(fabric_, load);
  const Time drain = load.empty() ? Time::zero() : Time::from_seconds(bytes / rate);
  return (drain + Time::from_seconds(latency * steps)).seconds();
}

void NetworkSim::start(const std::vector<Segment>& segments, double bytes, int steps, Done done) {
  Prepared p = prepare(segments);
  start(std::move(p), bytes, steps, std::move(done));
}

void NetworkSim::start(Prepared prepared, double bytes, int steps, Done done) {
  if (bytes < 0 || steps < 0) throw std::invalid_argument("transfer bytes and steps must not be negative");
  const TransferId id = allocate();
  Transfer& t = transfers_[id];
  t.prep = std::move(prepared);
  t.bytes = bytes;
  t.segments = t.prep->segments;
  t.remaining = t.load().empty() ? 0.0 : bytes;
  t.booked = 0;
  t.rate = 0;
  t.last_update = sim_.now();
  t.latency = Time::from_seconds(t.prep->latency_s * steps);
  t.finish = Time::max();
  t.done = std::move(done);
  t.active = true;
  ++started_;
  ++active_;
  if (t.remaining == 0) {  // nothing crosses a link: only latency remains
    t.finish = sim_.now();
    by_finish_.emplace(t.finish.count_ns(), id);
    schedule_next_drain();
    return;
  }
  if (model_ == SharingModel::Analytical) {
    set_rate(id, isolated_rate(fabric_, t.load()));
    record_class_utilization();
    schedule_next_drain();
    return;
  }
  t.shared.clear();
  for (std::uint32_t k = 0; k < t.load().size(); ++k) {
    auto& on = on_link_[t.load()[k].first];
    on.push_back(id);
    if (on.size() == 2) mark_shared(on[0], t.load()[k].first, true);
    if (on.size() >= 2) t.shared.push_back(k);
  }
  arrivals_.push_back(id);
  request_update(t.load());
}

// Link l of transfer f gained (or lost) its only other transfer.
void NetworkSim::mark_shared(TransferId f, LinkId l, bool shared) {
  Transfer& t = transfers_[f];
  const auto& load = t.load();
  const auto it = std::lower_bound(load.begin(), load.end(), l, [](const auto& e, LinkId x) { return e.first < x; });
  const auto k = static_cast<std::uint32_t>(it - load.begin());
  if (shared) {
    t.shared.push_back(k);
  } else {
    auto pos = std::find(t.shared.begin(), t.shared.end(), k);
    *pos = t.shared.back();
    t.shared.pop_back();
  }
}

void NetworkSim::change_load(const Transfer& t, double delta_rate) {
  for (const auto& [l, w] : t.load()) link_load_[l] += delta_rate * w;
  for (int c = 0; c < kLinkClassCount; ++c) class_load_[c] += delta_rate * t.prep->class_load[c];
}

void NetworkSim::record_class_utilization() {
  for (int c = 0; c < kLinkClassCount; ++c)
    if (class_capacity_[c] > 0) class_series_[c].set(sim_.now(), std::max(0.0, class_load_[c] / class_capacity_[c]));
}

// Bytes reach link_bytes_ when the transfer finishes (or at finish()), not on every rate
// change: a rate change then costs one pass over the transfer's links, not two.
void NetworkSim::advance(Transfer& t, Time now) {
  const double dt = (now - t.last_update).seconds();
  if (dt > 0 && t.rate > 0) t.remaining -= std::min(t.remaining, t.rate * dt);
  t.last_update = now;
}

void NetworkSim::set_finish(TransferId id) {
  Transfer& t = transfers_[id];
  if (t.finish != Time::max()) by_finish_.erase({t.finish.count_ns(), id});
  t.finish = t.rate > 0 ? sim_.now() + Time::from_seconds(t.remaining / t.rate) : Time::max();
  if (t.finish != Time::max()) by_finish_.emplace(t.finish.count_ns(), id);
}

void NetworkSim::set_rate(TransferId id, double rate) {
  Transfer& t = transfers_[id];
  // A re-solve may reproduce a rate up to rounding; keeping it spares a reschedule.
  if (t.finish != Time::max() && std::abs(rate - t.rate) <= 1e-12 * t.rate) return;
  advance(t, sim_.now());
  change_load(t, rate - t.rate);
  t.rate = rate;
  set_finish(id);
}

void NetworkSim::schedule_next_drain() {
  const Time next = by_finish_.empty() ? Time::max() : Time::ns(by_finish_.begin()->first);
  if (next == next_drain_at_ && sim_.is_pending(next_drain_)) return;
  sim_.cancel(next_drain_);
  next_drain_at_ = next;
  if (next != Time::max()) next_drain_ = sim_.schedule_at(next, [this] { on_drain(); });
}

// Every transfer whose last byte leaves now: close its books, free its links, re-solve the
// rates once for all of them, then announce each arrival (after its latency).
void NetworkSim::on_drain() {
  next_drain_at_ = Time::max();
  const Time now = sim_.now();
  std::vector<TransferId> finished;
  while (!by_finish_.empty() && by_finish_.begin()->first <= now.count_ns()) {
    finished.push_back(by_finish_.begin()->second);
    by_finish_.erase(by_finish_.begin());
  }
  std::vector<LinkId> seeds;
  std::vector<std::pair<Done, Time>> arrivals;
  for (TransferId id : finished) {
    Transfer& t = transfers_[id];
    for (const auto& [l, w] : t.load()) link_bytes_[l] += (t.bytes - t.booked) * w;
    t.remaining = 0;
    t.last_update = now;
    t.finish = Time::max();
    change_load(t, -t.rate);
    t.rate = 0;
    if (model_ == SharingModel::Flow)
      for (const auto& [l, w] : t.load()) {
        auto& v = on_link_[l];
        v.erase(std::find(v.begin(), v.end(), id));
        if (v.size() == 1) mark_shared(v[0], l, false);
        seeds.push_back(l);
      }
    delivered_ += t.bytes * t.segments;
    t.active = false;
    --active_;
    arrivals.emplace_back(std::move(t.done), t.latency);
    free_.push_back(id);
  }
  if (!seeds.empty()) recompute(std::move(seeds), {});
  record_class_utilization();
  schedule_next_drain();
  for (auto& [done, latency] : arrivals) {
    if (latency > Time::zero())
      sim_.schedule_in(latency, [d = std::move(done)] { d(); });
    else
      done();
  }
}

void NetworkSim::request_update(const std::vector<std::pair<LinkId, double>>& load) {
  for (const auto& [l, w] : load) dirty_.push_back(l);
  if (update_pending_) return;
  update_pending_ = true;
  sim_.schedule_in(Time::zero(), [this] { update(); });  // batches every start at this instant
}

void NetworkSim::update() {
  update_pending_ = false;
  std::vector<LinkId> seeds;
  std::vector<TransferId> arrivals;
  seeds.swap(dirty_);
  arrivals.swap(arrivals_);
  recompute(std::move(seeds), arrivals);
  record_class_utilization();
  schedule_next_drain();
}

bool NetworkSim::saturated(LinkId l) const { return link_load_[l] >= capacity_[l] * kSaturated; }

// Weighted progressive filling. Every free transfer's rate rises together; a link saturates
// at level (capacity - fixed load) / (free weight); the lowest such level freezes the
// transfers crossing that link, and so on until all are frozen.
//
// Only part of the network is re-solved: transfers reached from the changed links, moving
// from transfer to link only through saturated links (a rate change cannot cross a link with
// spare capacity). The rest keep their rates as fixed load. If the new rates saturate a link
// on which a fixed transfer runs faster than every re-solved one, that transfer is no longer
// fairly treated: it joins the set and the solve is repeated.
void NetworkSim::recompute(std::vector<LinkId> seeds, const std::vector<TransferId>& arrivals) {
  ++recomputations_;
  std::vector<LinkId> links;
  std::vector<TransferId> flows;
  ++visit_epoch_;
  std::vector<LinkId> stack;
  auto add_link = [&](LinkId l) {
    if (link_visit_[l] == visit_epoch_) return;
    link_visit_[l] = visit_epoch_;
    link_pos_[l] = static_cast<std::uint32_t>(links.size());
    links.push_back(l);
    stack.push_back(l);
  };
  auto add_flow = [&](TransferId f) {
    Transfer& t = transfers_[f];
    if (t.visit == visit_epoch_) return;
    t.visit = visit_epoch_;
    t.scratch = static_cast<std::uint32_t>(flows.size());
    flows.push_back(f);
    // Its links shared with other transfers join the solve. A link it has to itself only
    // caps its rate, and the tightest such cap is within max_rate, which the solve applies
    // to each transfer: a ring's hundreds of private links stay out.
    for (std::uint32_t k : t.shared) add_link(t.load()[k].first);
  };
  // From a link, a rate change reaches the transfers it bottlenecks: those running at the
  // link's top rate. Seeds pass it on whether or not they are still full (a departure may
  // have just freed them); other links only when saturated.
  auto pass_on = [&](LinkId l) {
    double top = 0;
    for (TransferId f : on_link_[l]) top = std::max(top, transfers_[f].rate);
    for (TransferId f : on_link_[l])
      if (transfers_[f].rate >= top * (1 - 1e-9)) add_flow(f);
  };
  auto expand = [&] {
    while (!stack.empty()) {
      const LinkId l = stack.back();
      stack.pop_back();
      if (saturated(l)) pass_on(l);
    }
  };
  for (LinkId l : seeds) add_link(l);  // duplicates are skipped by the visit mark
  seeds.assign(links.begin(), links.end());
  for (TransferId f : arrivals) add_flow(f);
  for (LinkId l : seeds) pass_on(l);
  expand();

  std::vector<double> new_rate;
  for (int round = 0;; ++round) {
    if (flows.empty()) return;
    // Fixed load on each link: everything not being re-solved.
    auto& fixed = scratch_fixed_;
    auto& weight = scratch_weight_;
    fixed.resize(links.size());
    weight.assign(links.size(), 0.0);
    for (std::size_t i = 0; i < links.size(); ++i) fixed[i] = link_load_[links[i]];
    for (TransferId f : flows) {
      const Transfer& t = transfers_[f];
      for (std::uint32_t k : t.shared) {  // private links are covered by max_rate
        const auto& [l, w] = t.load()[k];
        fixed[link_pos_[l]] -= w * t.rate;
        weight[link_pos_[l]] += w;
      }
    }
    auto& version = scratch_version_;
    version.assign(links.size(), 0);
    // A min-heap of (level, entry, version): entries below links.size() are links, the
    // rest each re-solved transfer's own cap (max_rate).
    auto& heap = scratch_heap_;
    heap.clear();
    const auto later = std::greater<>{};
    auto push = [&](double level, std::uint32_t i, std::uint32_t ver) {
      heap.emplace_back(level, i, ver);
      std::push_heap(heap.begin(), heap.end(), later);
    };
    auto level_of = [&](std::uint32_t i) {
      return std::max(0.0, capacity_[links[i]] - std::max(0.0, fixed[i])) / weight[i];
    };
    const auto n_links = static_cast<std::uint32_t>(links.size());
    for (std::uint32_t i = 0; i < n_links; ++i)
      if (weight[i] > 0) heap.emplace_back(level_of(i), i, 0);
    for (std::uint32_t k = 0; k < flows.size(); ++k) heap.emplace_back(transfers_[flows[k]].prep->max_rate, n_links + k, 0);
    std::make_heap(heap.begin(), heap.end(), later);
    new_rate.assign(flows.size(), -1.0);
    std::size_t unfrozen = flows.size();
    auto freeze = [&](const Transfer& t, double level) {
      new_rate[t.scratch] = level;
      --unfrozen;
      for (std::uint32_t k : t.shared) {
        const auto& [l2, w] = t.load()[k];
        const std::uint32_t j = link_pos_[l2];
        fixed[j] += w * level;
        weight[j] -= w;
        ++version[j];
        if (weight[j] > 1e-12) push(level_of(j), j, version[j]);
      }
    };
    while (unfrozen > 0 && !heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), later);
      const auto [level, i, ver] = heap.back();
      heap.pop_back();
      if (i >= n_links) {  // a transfer reached its own cap
        const Transfer& t = transfers_[flows[i - n_links]];
        if (new_rate[t.scratch] < 0) freeze(t, level);
        continue;
      }
      if (ver != version[i] || weight[i] <= 1e-12) continue;
      for (TransferId f : on_link_[links[i]]) {
        const Transfer& t = transfers_[f];
        if (t.visit != visit_epoch_) continue;  // fixed
        if (new_rate[t.scratch] >= 0) continue;
        freeze(t, level);
      }
    }
    // Fairness towards fixed transfers on links the new rates saturate. The joiners are
    // collected first: adding them extends `flows` and `links` past this round's arrays.
    std::vector<TransferId> joiners;
    const std::size_t solved_links = links.size();
    for (std::size_t i = 0; i < solved_links; ++i) {
      const LinkId l = links[i];
      if (fixed[i] < capacity_[l] * kSaturated) continue;
      double top = 0;
      for (TransferId f : on_link_[l])
        if (transfers_[f].visit == visit_epoch_) top = std::max(top, new_rate[transfers_[f].scratch]);
      for (TransferId f : on_link_[l])
        if (transfers_[f].visit != visit_epoch_ && transfers_[f].rate > top * (1 + 1e-9)) joiners.push_back(f);
    }
    if (joiners.empty()) break;
    for (TransferId f : joiners) add_flow(f);
    expand();
  }
  resolved_ += flows.size();
  for (std::uint32_t i = 0; i < flows.size(); ++i) set_rate(flows[i], std::max(0.0, new_rate[i]));
}

std::string NetworkSim::check_max_min() const {
  const auto& topo = fabric_.topology();
  std::vector<double> load(topo.link_count(), 0.0);
  for (const Transfer& t : transfers_)
    if (t.active)
      for (const auto& [l, w] : t.load()) load[l] += w * t.rate;
  for (LinkId l = 0; l < static_cast<LinkId>(load.size()); ++l)
    if (load[l] > topo.link(l).bandwidth * (1 + 1e-9))
      return "link " + std::to_string(l) + " carries more than its capacity";
  if (model_ != SharingModel::Flow) return "";
  for (std::size_t i = 0; i < transfers_.size(); ++i) {
    const Transfer& t = transfers_[i];
    if (!t.active || t.load().empty() || t.remaining <= 0) continue;
    if (update_pending_ && std::find(arrivals_.begin(), arrivals_.end(), TransferId(i)) != arrivals_.end())
      continue;  // started this instant; its rate comes with the pending update
    bool bottlenecked = false;
    for (const auto& [l, w] : t.load()) {
      if (load[l] < topo.link(l).bandwidth * (1 - 1e-6)) continue;  // not saturated
      bool highest = true;
      for (TransferId other : on_link_[l])
        if (transfers_[other].rate > t.rate * (1 + 1e-6)) highest = false;
      if (highest) bottlenecked = true;
    }
    if (!bottlenecked) {
      std::string why = "transfer " + std::to_string(i) + " has no bottleneck link (rate " + std::to_string(t.rate) + ":";
      for (const auto& [l, w] : t.load()) {
        double top = 0;
        for (TransferId other : on_link_[l]) top = std::max(top, transfers_[other].rate);
        why += " link " + std::to_string(l) + " load/cap " + std::to_string(load[l] / topo.link(l).bandwidth) +
               " top " + std::to_string(top) + " w " + std::to_string(w) + ";";
      }
      return why + ")";
    }
  }
  return "";
}

std::vector<LinkStats> NetworkSim::hottest_links(std::size_t k) const {
  std::vector<LinkStats> all;
  const double elapsed = sim_.now().seconds();
  for (LinkId l = 0; l < static_cast<LinkId>(link_bytes_.size()); ++l) {
    if (link_bytes_[l] <= 0) continue;
    const double cap = fabric_.topology().link(l).bandwidth;
    all.push_back({l, link_bytes_[l], elapsed > 0 ? link_bytes_[l] / (cap * elapsed) : 0.0});
  }
  std::sort(all.begin(), all.end(), [](const LinkStats& a, const LinkStats& b) {
    return a.utilization != b.utilization ? a.utilization > b.utilization : a.link < b.link;
  });
  if (all.size() > k) all.resize(k);
  return all;
}

void NetworkSim::finish() {
  // Book the bytes that transfers still under way have sent so far.
  for (Transfer& t : transfers_) {
    if (!t.active) continue;
    advance(t, sim_.now());
    const double sent = t.bytes - t.remaining;
    for (const auto& [l, w] : t.load()) link_bytes_[l] += (sent - t.booked) * w;
    t.booked = sent;
  }
  for (int c = 0; c < kLinkClassCount; ++c) class_series_[c].finish(sim_.now());
}

}  // namespace dcsim::network
