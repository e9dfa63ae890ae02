// Transfers over time: starting them, their completions, and the statistics they leave
// behind. Rates come from the solver (max_min_solver.cpp) through rate classes
// (rate_classes.cpp).
#include "models/network/network_sim.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dcsim::network {

NetworkSim::NetworkSim(Simulator& sim, Fabric& fabric, SharingModel model)
    : sim_(sim), fabric_(fabric), model_(model) {
  const auto& topo = fabric.topology();
  links_.resize(topo.link_count());
  for (std::size_t l = 0; l < topo.link_count(); ++l) links_[l].capacity = topo.link(LinkId(l)).bandwidth;
  link_bytes_.assign(topo.link_count(), 0.0);
  class_capacity_.assign(kLinkClassCount, 0.0);
  class_load_.assign(kLinkClassCount, 0.0);
  class_series_.assign(kLinkClassCount, power::BinnedSeries(Time::us(100)));
  for (const Link& l : topo.links()) class_capacity_[static_cast<int>(l.cls)] += l.bandwidth;
  table_.assign(64, ~0u);
}

NetworkSim::~NetworkSim() = default;

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
  start(prepare(segments), bytes, steps, std::move(done));
}

NetworkSim::FlowId NetworkSim::allocate_flow() {
  if (!free_flows_.empty()) {
    const FlowId id = free_flows_.back();
    free_flows_.pop_back();
    return id;
  }
  flows_.emplace_back();
  return static_cast<FlowId>(flows_.size() - 1);
}

void NetworkSim::start(Prepared prepared, double bytes, int steps, Done done) {
  if (!(bytes >= 0) || steps < 0) throw std::invalid_argument("transfer bytes and steps must not be negative");
  const FlowId id = allocate_flow();
  Flow& f = flows_[id];
  f.prep = std::move(prepared);
  f.bytes = f.prep->load.empty() ? 0.0 : bytes;
  f.booked = 0;
  f.cls = kNotInHeap;
  f.heap_pos = kNotInHeap;
  f.serial = started_++;
  f.latency = Time::from_seconds(f.prep->latency_s * steps);
  f.done = std::move(done);
  f.active = true;
  ++active_;
  if (model_ == SharingModel::Flow) attach_to_links(id);
  arrivals_.push_back(id);
  request_update();
}

// Joins the flow lists of its links; a link that becomes shared may bind from now on.
void NetworkSim::attach_to_links(FlowId id) {
  Flow& f = flows_[id];
  const auto& load = f.load();
  f.slots.resize(load.size());
  for (std::uint32_t k = 0; k < load.size(); ++k) {
    LinkState& link = links_[load[k].first];
    f.slots[k] = static_cast<std::uint32_t>(link.flows.size());
    link.flows.push_back({id, k});
    if (link.flows.size() == 2 && link.mode == LinkMode::Private) promote(load[k].first);
  }
}

// Leaves its links' flow lists; active links it crossed are where rates may change.
void NetworkSim::detach_from_links(FlowId id, std::vector<LinkId>& seeds) {
  Flow& f = flows_[id];
  const auto& load = f.load();
  for (std::uint32_t k = 0; k < load.size(); ++k) {
    const LinkId l = load[k].first;
    LinkState& link = links_[l];
    const std::uint32_t at = f.slots[k];
    link.flows[at] = link.flows.back();
    link.flows.pop_back();
    if (at < link.flows.size()) flows_[link.flows[at].flow].slots[link.flows[at].k] = at;
    if (link.mode == LinkMode::Active) seeds.push_back(l);
  }
}

void NetworkSim::book_finished(Flow& f) {
  for (const auto& [l, w] : f.load()) link_bytes_[l] += (f.bytes - f.booked) * w;
  delivered_ += f.bytes * f.prep->segments;
}

void NetworkSim::request_update() {
  if (update_pending_) return;
  update_pending_ = true;
  sim_.schedule_in(Time::zero(), [this] { update(); });  // batches every start at this instant
}

// Transfers started at this instant join their classes; then one solve for all of them.
void NetworkSim::update() {
  update_pending_ = false;
  changed_scratch_.clear();
  std::vector<FlowId> arrivals;
  arrivals.swap(arrivals_);
  for (FlowId id : arrivals) {
    Flow& f = flows_[id];
    const ClassId c = class_for(id);
    const bool fresh = hot_[c].n == 0;
    add_member(c, id, f.bytes);
    if (model_ == SharingModel::Analytical || f.prep->load.empty()) {
      // Nothing to share (or no sharing modelled): the transfer runs at its own cap; with no
      // link to cross it is done at once.
      if (fresh) set_rate(c, f.prep->load.empty() ? std::numeric_limits<double>::max() : f.prep->max_rate);
      continue;
    }
    changed_scratch_.push_back(c);
  }
  if (!changed_scratch_.empty()) {
    seeds_scratch_.clear();
    solve(seeds_scratch_, changed_scratch_);
    check_dormant_links(arrivals);
  }
  arrivals.clear();
  if (arrivals_.empty()) arrivals_.swap(arrivals);  // keep the buffer
  record_class_utilization();
  schedule_next_drain();
}

void NetworkSim::schedule_next_drain() {
  const Time next = finishes_.empty() ? Time::max() : finishes_.top_time();
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
  auto& finished = finished_scratch_;
  finished.clear();
  // The head of the first class in the heap leaves now; removing it re-times the class, so
  // members due at the same nanosecond come up next (the rounding that scheduled them).
  while (!finishes_.empty() && finishes_.top_time() <= now) {
    const ClassId c = finishes_.top();
    const FlowId f = classes_[c].members.top();
    finished.push_back(f);
    remove_member(c, f);
  }
  seeds_scratch_.clear();
  for (FlowId id : finished) {
    Flow& f = flows_[id];
    book_finished(f);
    if (model_ == SharingModel::Flow) detach_from_links(id, seeds_scratch_);
    f.active = false;
    --active_;
  }
  if (model_ == SharingModel::Flow) {
    // A link left with a single transfer cannot bind any more; that transfer's class,
    // re-keyed without it, may speed up.
    changed_scratch_.clear();
    auto& lone = lone_links_;
    lone.clear();
    for (FlowId id : finished)
      for (const auto& [l, w] : flows_[id].load())
        if (links_[l].flows.size() <= 1 && links_[l].mode != LinkMode::Private) {
          if (links_[l].mode == LinkMode::Active) {
            demote(l);
            lone.push_back(l);
          }
          links_[l].mode = LinkMode::Private;
          ++links_[l].bound_version;
        }
    for (LinkId l : lone)
      for (const LinkFlow& lf : links_[l].flows)
        if (flows_[lf.flow].cls != kNotInHeap) changed_scratch_.push_back(flows_[lf.flow].cls);  // not one starting now
    std::erase_if(seeds_scratch_, [&](LinkId l) { return links_[l].mode != LinkMode::Active; });
    if (!seeds_scratch_.empty() || !changed_scratch_.empty()) {
      solve(seeds_scratch_, changed_scratch_);
      check_dormant_links({});
    }
  }
  record_class_utilization();
  schedule_next_drain();
  for (FlowId id : finished) {
    Flow& f = flows_[id];
    if (f.latency > Time::zero()) {
      sim_.schedule_in(f.latency, [this, id] {
        Done d = std::move(flows_[id].done);
        flows_[id].prep.reset();
        free_flows_.push_back(id);
        d();
      });
    } else {
      Done d = std::move(f.done);
      f.prep.reset();
      free_flows_.push_back(id);
      d();
    }
  }
}

void NetworkSim::record_class_utilization() {
  for (int c = 0; c < kLinkClassCount; ++c)
    if (class_capacity_[c] > 0) class_series_[c].set(sim_.now(), std::max(0.0, class_load_[c] / class_capacity_[c]));
}

double NetworkSim::link_load(LinkId l) const {
  double load = 0;
  for (const LinkFlow& lf : links_[l].flows) {
    const Flow& f = flows_[lf.flow];
    if (f.cls != kNotInHeap) load += f.load()[lf.k].second * hot_[f.cls].rate;
  }
  return load;
}

std::vector<std::pair<std::uint64_t, double>> NetworkSim::rates() const {
  std::vector<std::pair<std::uint64_t, double>> out;
  for (const Flow& f : flows_)
    if (f.active && f.cls != kNotInHeap) out.emplace_back(f.serial, hot_[f.cls].rate);
  std::sort(out.begin(), out.end());
  return out;
}

std::string NetworkSim::check_max_min() const {
  const auto& topo = fabric_.topology();
  std::vector<double> load(topo.link_count(), 0.0);
  auto rate_of = [&](const Flow& f) { return f.cls == kNotInHeap ? 0.0 : hot_[f.cls].rate; };
  for (const Flow& t : flows_)
    if (t.active)
      for (const auto& [l, w] : t.load()) load[l] += w * rate_of(t);
  for (LinkId l = 0; l < static_cast<LinkId>(load.size()); ++l)
    if (load[l] > topo.link(l).bandwidth * (1 + 1e-9))
      return "link " + std::to_string(l) + " carries more than its capacity (" + std::to_string(load[l] / topo.link(l).bandwidth) + ", mode " + std::to_string(int(links_[l].mode)) + ", flows " + std::to_string(links_[l].flows.size()) + ", bound " + std::to_string(links_[l].bound * drift_ / topo.link(l).bandwidth) + ")";
  if (model_ != SharingModel::Flow) return "";
  for (std::size_t i = 0; i < flows_.size(); ++i) {
    const Flow& t = flows_[i];
    if (!t.active || t.load().empty() || t.cls == kNotInHeap) continue;
    if (update_pending_ && std::find(arrivals_.begin(), arrivals_.end(), FlowId(i)) != arrivals_.end())
      continue;  // started this instant; its rate comes with the pending update
    const double r = rate_of(t);
    if (r >= t.prep->max_rate * (1 - 1e-9)) continue;  // at its own cap
    bool bottlenecked = false;
    for (const auto& [l, w] : t.load()) {
      if (load[l] < topo.link(l).bandwidth * (1 - 1e-6)) continue;  // not saturated
      bool highest = true;
      for (const LinkFlow& other : links_[l].flows)
        if (rate_of(flows_[other.flow]) > r * (1 + 1e-6)) highest = false;
      if (highest) bottlenecked = true;
    }
    if (!bottlenecked)
      return "transfer " + std::to_string(i) + " has no bottleneck link (rate " + std::to_string(r) + ")";
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
  for (Flow& f : flows_) {
    if (!f.active || f.cls == kNotInHeap) continue;
    const double sent = f.bytes - remaining(f);
    for (const auto& [l, w] : f.load()) link_bytes_[l] += (sent - f.booked) * w;
    f.booked = sent;
  }
  for (int c = 0; c < kLinkClassCount; ++c) class_series_[c].finish(sim_.now());
}

}  // namespace dcsim::network

