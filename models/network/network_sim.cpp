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
  link_flows_ = std::vector<LinkFlows>(topo.link_count());
  mode_.assign(topo.link_count(), LinkMode::Private);
  brief_.resize(topo.link_count());
  for (std::size_t l = 0; l < topo.link_count(); ++l)
    links_[l].capacity = brief_[l].capacity = topo.link(LinkId(l)).bandwidth;
  link_bytes_.assign(topo.link_count(), 0.0);
  side_bytes_.assign(topo.link_count(), 0.0);
  class_capacity_.assign(kLinkClassCount, 0.0);
  class_load_.assign(kLinkClassCount, 0.0);
  for (const Link& l : topo.links()) class_capacity_[static_cast<int>(l.cls)] += l.bandwidth;
  table_.assign(64, ~0u);
  check_trigger_.assign(topo.link_count(), 0.0);
  check_pos_.assign(topo.link_count(), kNotInHeap);
  checks_.rebind(CheckAccess{&check_trigger_, &check_pos_});
}

NetworkSim::~NetworkSim() = default;

namespace {
// The combined load of all segments on each link, and the longest segment latency.
void build_load(Fabric& fabric, const std::vector<Segment>& segments, std::vector<std::pair<LinkId, double>>& load,
                double& latency) {
  load.clear();
  latency = 0;
  for (const Segment& s : segments) {
    const RouteView r = fabric.route(s.src, s.dst);
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

Prepared NetworkSim::prepare(const std::vector<Segment>& segments, const MemberSymmetry* symmetry) {
  auto p = std::make_shared<PreparedTransfer>();
  build_load(fabric_, segments, p->load, p->latency_s);
  for (const auto& [l, w] : p->load)
    p->class_load[static_cast<int>(fabric_.topology().link(l).cls)] += w * double(fabric_.bundle_size(l));
  p->segments = double(segments.size());
  if (symmetry && !symmetry->perms.empty()) apply_symmetry(*p, segments, *symmetry);
  // A link another one implies never binds first and carries that one's bytes: it stays
  // out of the load (Fabric::stand_in). The isolated rate is the same without it.
  std::erase_if(p->load, [&](const std::pair<LinkId, double>& e) { return fabric_.stand_in(e.first) != e.first; });
  p->max_rate = isolated_rate(fabric_, p->load);
  return p;
}

// The transfer stands for k images of itself. Every link is replaced by the representative
// (lowest id) of its orbit under the symmetry group, carrying k / (orbit size) times the
// load: a link every image crosses (a spine-core link serving all rails) carries k times it;
// a link with k distinct images carries it once, and transfers crossing different links of
// one orbit share the representative as their images share those links. When the group is
// larger than the k images (MemberSymmetry::group), the traffic of the representatives is
// itself invariant under the rest of the group, so averaging over each orbit still gives
// every link of it the same load. The max-min rates of these loads are the rates of all
// images, equal by symmetry; every other link of an orbit carries its representative's bytes
// (copied by finish()). Every route is checked to map onto its image's route under every
// element of the group, so the reduction is exact or refused.
std::vector<std::pair<const std::vector<int>*, std::vector<LinkId>*>> NetworkSim::image_tables(const MemberSymmetry& sym) {
  std::vector<std::pair<const std::vector<int>*, std::vector<LinkId>*>> out;
  for (const auto& perm : sym.orbit_perms()) {
    std::vector<LinkId>& table = image_links_[perm];
    if (table.empty()) table.assign(links_.size(), kUnasked);
    out.emplace_back(&perm, &table);
  }
  return out;
}

LinkId NetworkSim::image_of(LinkId l, const std::pair<const std::vector<int>*, std::vector<LinkId>*>& table) const {
  LinkId& image = (*table.second)[std::size_t(l)];
  if (image == kUnasked) image = fabric_.image_link(l, *table.first);
  return image;
}

void NetworkSim::apply_symmetry(PreparedTransfer& p, const std::vector<Segment>& segments, const MemberSymmetry& sym) {
  const double k = double(sym.perms.size() + 1);
  const auto tables = image_tables(sym);
  Route mapped, image;  // scratch, reused
  for (const Segment& s : segments) {
    const RouteView route = fabric_.route(s.src, s.dst);  // (the fabric never moves a route)
    for (const auto& table : tables) {
      const std::vector<int>& perm = *table.first;
      mapped.assign(route.begin(), route.end());
      for (auto& [l, share] : mapped) l = image_of(l, table);
      const RouteView image_route = fabric_.route(fabric_.image_device(s.src, perm), fabric_.image_device(s.dst, perm));
      image.assign(image_route.begin(), image_route.end());
      std::sort(mapped.begin(), mapped.end());
      std::sort(image.begin(), image.end());
      if (mapped != image) throw std::logic_error("symmetry reduction refused: a route does not map onto its image's route");
    }
  }
  if (mirrored_.empty()) mirrored_.assign(links_.size(), 0);
  std::vector<LinkId> orbit;
  for (auto& [l, w] : p.load) {
    orbit.assign(1, l);
    for (const auto& table : tables) orbit.push_back(image_of(l, table));
    std::sort(orbit.begin(), orbit.end());
    orbit.erase(std::unique(orbit.begin(), orbit.end()), orbit.end());
    w *= k / double(orbit.size());
    l = orbit.front();
    if (orbit.size() > 1 && !mirrored_[l]) {
      mirrored_[l] = 1;
      mirrors_.push_back({l, std::vector<LinkId>(orbit.begin() + 1, orbit.end()), 0.0});
    }
  }
  std::sort(p.load.begin(), p.load.end());
  std::size_t out = 0;
  for (std::size_t i = 0; i < p.load.size(); ++i) {
    if (out > 0 && p.load[out - 1].first == p.load[i].first)
      p.load[out - 1].second += p.load[i].second;
    else
      p.load[out++] = p.load[i];
  }
  p.load.resize(out);
  for (double& c : p.class_load) c *= k;
  p.multiplicity = k;
}

std::size_t NetworkSim::SegmentsHash::operator()(const std::vector<Segment>& segments) const {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const Segment& s : segments) {
    h = (h ^ std::uint64_t(s.src)) * 0x100000001b3ull;
    h = (h ^ std::uint64_t(s.dst)) * 0x100000001b3ull;
  }
  return std::size_t(h ^ (h >> 29));
}

NetworkSim::Isolated NetworkSim::isolated(const std::vector<Segment>& segments) {
  if (const auto it = isolated_cache_.find(segments); it != isolated_cache_.end()) return it->second;
  Isolated out;
  out.rate = std::numeric_limits<double>::infinity();
  // Each link's load summed in dense scratch, not by sorting every hop (which was most of
  // Algorithm::Auto's cost). Summing equal shares gives the same bits in any order; a link
  // whose shares differ sends the whole sum through build_load's order instead.
  if (iso_sum_.size() != links_.size()) {
    iso_sum_.assign(links_.size(), 0.0);
    iso_share_.assign(links_.size(), -1.0);
  }
  bool mixed = false;
  iso_touched_.clear();
  for (const Segment& seg : segments) {
    const RouteView r = fabric_.route(seg.src, seg.dst);
    out.latency = std::max(out.latency, fabric_.route_latency(r));
    for (const auto& [l, share] : r) {
      if (iso_share_[l] < 0) {
        iso_share_[l] = share;
        iso_touched_.push_back(l);
      } else if (iso_share_[l] != share) {
        mixed = true;
      }
      iso_sum_[l] += share;
    }
  }
  for (const LinkId l : iso_touched_) {
    out.rate = std::min(out.rate, links_[l].capacity / iso_sum_[l]);
    iso_sum_[l] = 0;
    iso_share_[l] = -1;
  }
  if (mixed) {
    std::vector<std::pair<LinkId, double>> load;
    build_load(fabric_, segments, load, out.latency);
    out.rate = isolated_rate(fabric_, load);
  }
  isolated_cache_.emplace(segments, out);
  return out;
}

double NetworkSim::Isolated::seconds(double bytes, int steps) const {
  const Time drain = std::isinf(rate) ? Time::zero() : Time::from_seconds(bytes / rate);
  return (drain + Time::from_seconds(latency * steps)).seconds();
}

double NetworkSim::isolated_seconds(const std::vector<Segment>& segments, double bytes, int steps) {
  return isolated(segments).seconds(bytes, steps);
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
  if (model_ == SharingModel::Flow) split_batches_on(*prepared);
  const Time latency = Time::from_seconds(prepared->latency_s * steps);
  start_flow(std::move(prepared), bytes, latency, std::move(done));
}

NetworkSim::FlowId NetworkSim::start_flow(Prepared prepared, double bytes, Time latency, Done done) {
  const FlowId id = allocate_flow();
  Flow& f = flows_[id];
  f.prep = std::move(prepared);
  f.bytes = f.prep->load.empty() ? 0.0 : bytes;
  f.booked = 0;
  f.cls = kNotInHeap;
  f.heap_pos = kNotInHeap;
  f.serial = started_++;
  f.latency = latency;
  f.done = std::move(done);
  f.parts.reset();
  f.lone = false;  // (until update() finds its links all private)
  f.active = true;
  ++active_;
  if (model_ == SharingModel::Flow) attach_to_links(id);
  arrivals_.push_back(id);
  request_update();
  return id;
}

namespace {
// Runs `done` when the last of `left` parts has arrived.
struct Join {
  std::size_t left;
  InplaceCallback done;
};
}  // namespace

Prepared NetworkSim::batch_of(const std::vector<Prepared>& parts) const {
  if (parts.size() < 2) return nullptr;
  auto merged = std::make_shared<PreparedTransfer>();
  for (const Prepared& p : parts) {
    if (p->load.empty() || p->multiplicity != parts.front()->multiplicity || p->max_rate != parts.front()->max_rate ||
        p->latency_s != parts.front()->latency_s)
      return nullptr;
    merged->load.insert(merged->load.end(), p->load.begin(), p->load.end());
    for (int k = 0; k < kLinkClassCount; ++k) merged->class_load[k] += p->class_load[k];
    merged->segments += p->segments;
  }
  std::sort(merged->load.begin(), merged->load.end());
  for (std::size_t i = 1; i < merged->load.size(); ++i)
    if (merged->load[i].first == merged->load[i - 1].first) return nullptr;  // two parts share a link
  merged->max_rate = parts.front()->max_rate;
  merged->latency_s = parts.front()->latency_s;
  merged->multiplicity = parts.front()->multiplicity;
  return merged;
}

void NetworkSim::start_batch(std::shared_ptr<const std::vector<Prepared>> parts, Prepared merged, double bytes,
                             int steps, Done done) {
  if (!(bytes >= 0) || steps < 0) throw std::invalid_argument("transfer bytes and steps must not be negative");
  const Time latency = Time::from_seconds(merged->latency_s * steps);
  bool alone = batching_;
  if (model_ == SharingModel::Flow)
    for (const auto& [l, w] : merged->load) alone = alone && link_flows_[l].empty();
  if (alone) {
    const FlowId id = start_flow(std::move(merged), bytes, latency, std::move(done));
    flows_[id].parts = std::move(parts);
    ++live_batches_;
    return;
  }
  auto join = std::make_shared<Join>(Join{parts->size(), std::move(done)});
  for (const Prepared& p : *parts) {
    if (model_ == SharingModel::Flow) split_batches_on(*p);
    start_flow(p, bytes, latency, [join] {
      if (--join->left == 0) join->done();
    });
  }
}

// A batch is alone on its links: a transfer about to cross one splits it first.
void NetworkSim::split_batches_on(const PreparedTransfer& p) {
  if (live_batches_ == 0) return;  // (a pass over every link of every start, for nothing)
  for (const auto& [l, w] : p.load) {
    const auto& users = link_flows_[l];
    if (users.size() == 1 && flows_[users.front().flow].parts) split(users.front().flow);
  }
}

// The batch's parts continue as transfers of their own, each with the bytes the batch has
// left (all parts have sent the same), and its callback runs when the last one arrives.
void NetworkSim::split(FlowId id) {
  ++batches_split_;
  double left = flows_[id].bytes;
  if (flows_[id].lone) {
    left = remaining(flows_[id]);
    leave_lone(id);
  } else if (flows_[id].cls == kNotInHeap) {
    std::erase(arrivals_, id);  // started this instant: nothing sent yet
  } else {
    left = remaining(flows_[id]);
    remove_member(flows_[id].cls, id);
  }
  Flow& b = flows_[id];
  const double sent = b.bytes - left;
  for (const auto& [l, w] : b.load()) link_bytes_[l] += (sent - b.booked) * w;
  delivered_ += sent * b.prep->segments;
  std::vector<LinkId> no_seeds;  // (its links are private: none)
  detach_from_links(id, no_seeds);
  auto parts = std::move(b.parts);
  --live_batches_;
  auto join = std::make_shared<Join>(Join{parts->size(), std::move(b.done)});
  const Time latency = b.latency;
  b.active = false;
  b.prep.reset();
  --active_;
  free_flows_.push_back(id);
  for (const Prepared& p : *parts)
    start_flow(p, left, latency, [join] {
      if (--join->left == 0) join->done();
    });
}

// Joins the flow lists of its links; a link whose transfers' caps now add up to more than
// it carries may bind from now on.
void NetworkSim::attach_to_links(FlowId id) {
  Flow& f = flows_[id];
  const auto& load = f.load();
  const double cap = f.prep->max_rate;
  f.slots.resize(load.size());
  for (std::uint32_t k = 0; k < load.size(); ++k) {
    const LinkId l = load[k].first;
    LinkFlows& crossing = link_flows_[l];
    f.slots[k] = crossing.size();
    crossing.push_back({id, k, load[k].second});
    brief_[l].cap_load += load[k].second * cap;
    if (mode_[l] == LinkMode::Private && can_bind(l)) promote(l);
  }
}

// Leaves its links' flow lists; active links it crossed are where rates may change.
void NetworkSim::detach_from_links(FlowId id, std::vector<LinkId>& seeds) {
  Flow& f = flows_[id];
  const auto& load = f.load();
  for (std::uint32_t k = 0; k < load.size(); ++k) {
    const LinkId l = load[k].first;
    LinkFlows& crossing = link_flows_[l];
    const std::uint32_t at = f.slots[k];
    crossing[at] = crossing.back();
    crossing.pop_back();
    if (at < crossing.size()) flows_[crossing[at].flow].slots[crossing[at].k] = at;
    // (exactly 0 when the last one leaves: the sum forgets its rounding)
    brief_[l].cap_load = crossing.empty() ? 0.0 : brief_[l].cap_load - load[k].second * f.prep->max_rate;
    if (mode_[l] == LinkMode::Active) seeds.push_back(l);
  }
}

void NetworkSim::book_finished(Flow& f) {
  for (const auto& [l, w] : f.load()) link_bytes_[l] += (f.bytes - f.booked) * w;
  delivered_ += f.bytes * f.prep->segments * f.prep->multiplicity;
}

void NetworkSim::request_update() {
  if (update_pending_) return;
  update_pending_ = true;
  sim_.schedule_in(Time::zero(), [this] { update(); });  // batches every start at this instant
}

// Transfers started at this instant join their classes; then one solve for all of them.
void NetworkSim::update() {
  update_pending_ = false;
  changed_scratch_.assign(pending_groups_.begin(), pending_groups_.end());
  const bool pending = !pending_groups_.empty();
  pending_groups_.clear();
  arrivals_work_.swap(arrivals_);
  // Arrivals on private links only go to the lone lane: what follows sees the others.
  bool lone_on_links = false;
  std::erase_if(arrivals_work_, [&](FlowId id) {
    const Flow& f = flows_[id];
    if (!runs_alone(f)) return false;
    lone_on_links = lone_on_links || (model_ == SharingModel::Flow && !f.load().empty());
    start_lone(id);
    return true;
  });
  if (lone_on_links && arrivals_work_.empty() && !pending) {
    // What they did as classes at their caps, in their caps' groups: no solve, and the
    // sweep for idle active links takes its step.
    settle_without_solve(arrivals_work_);
    check_dormant_links(arrivals_work_);
  }
  for (FlowId id : arrivals_work_) {
    Flow& f = flows_[id];
    const ClassId c = class_for(id);
    add_member(c, id, f.bytes);
    if (model_ == SharingModel::Analytical || f.prep->load.empty()) {
      // Nothing to share (or no sharing modelled): the transfer runs at its own cap; with no
      // link to cross it is done at once.
      move_class(c, group_of_cap(classes_[c].cap));
      continue;
    }
    changed_scratch_.push_back(classes_[c].group);
  }
  if (!changed_scratch_.empty()) {
    if (!pending && (arrivals_leave_rates(arrivals_work_) ||
                     (arrivals_work_.size() == 1 && place_arrival(arrivals_work_.front())))) {
      settle_without_solve(arrivals_work_);
    } else {
      seeds_scratch_.clear();
      solve(seeds_scratch_, changed_scratch_);
    }
    check_dormant_links(arrivals_work_);
  }
  arrivals_work_.clear();
  record_class_utilization();
  schedule_next_drain();
}

void NetworkSim::schedule_next_drain() {
  const Time next = std::min(finishes_.empty() ? Time::max() : finishes_.top_time(),
                             lone_finishes_.empty() ? Time::max() : lone_finishes_.top_time());
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
  // The first member of the first class of the first group leaves now; removing it re-times
  // the group, so members due at the same nanosecond come up next (the rounding that
  // scheduled them).
  while (!finishes_.empty() && finishes_.top_time() <= now) {
    const ClassId c = groups_[finishes_.top()].classes.top();
    const FlowId f = classes_[c].members.top();
    finished.push_back(f);
    remove_member(c, f);
  }
  while (!lone_finishes_.empty() && lone_finishes_.top_time() <= now) {
    const FlowId f = lone_finishes_.top();
    finished.push_back(f);
    leave_lone(f);
  }
  seeds_scratch_.clear();
  for (FlowId id : finished) {
    Flow& f = flows_[id];
    book_finished(f);
    if (model_ == SharingModel::Flow) detach_from_links(id, seeds_scratch_);
    if (f.parts) --live_batches_;
    f.active = false;
    --active_;
  }
  if (model_ == SharingModel::Flow) {
    // A link whose transfers' caps no longer add up to more than it carries (one left alone,
    // always) cannot bind any more; their classes, re-keyed without it, may speed up.
    // Whether the rates stand is read before lone links are demoted (which only re-keys
    // classes not bottlenecked there when they stand).
    const bool clean = pending_groups_.empty();
    const bool stand = clean && departures_leave_rates(finished);
    changed_scratch_.assign(pending_groups_.begin(), pending_groups_.end());
    pending_groups_.clear();
    auto& lone = lone_links_;
    lone.clear();
    merged_.clear();
    for (FlowId id : finished)
      for (const auto& [l, w] : flows_[id].load())
        if (mode_[l] != LinkMode::Private && !can_bind(l)) {
          if (mode_[l] == LinkMode::Active) {
            demote(l);
            lone.push_back(l);
          }
          mode_[l] = LinkMode::Private;
          links_[l].drow.clear();
          unschedule_check(l);
        }
    for (LinkId l : lone)
      for (const LinkFlow& lf : link_flows_[l])  // (not one starting now)
        if (flows_[lf.flow].cls != kNotInHeap) changed_scratch_.push_back(classes_[flows_[lf.flow].cls].group);
    // A class that lost its bottleneck link here waits in a fresh group (rekey_without); it is
    // in this change already, through its lone link.
    const bool regrouped = !pending_groups_.empty();
    regrouped_.swap(pending_groups_);
    pending_groups_.clear();
    std::erase_if(seeds_scratch_, [&](LinkId l) { return mode_[l] != LinkMode::Active; });
    if (stand && !regrouped) {
      if (!seeds_scratch_.empty() || !changed_scratch_.empty()) settle_without_solve(finished);
    } else if (clean && regrouped && departures_leave_rates(finished) && place_regrouped(regrouped_, merged_)) {
      settle_without_solve(finished);
      check_dormant_links(arrivals_work_);  // a class that sped up may fill a dormant link
    } else if (!seeds_scratch_.empty() || !changed_scratch_.empty()) {
      solve(seeds_scratch_, changed_scratch_);
      check_dormant_links(arrivals_work_);  // (empty: no arrivals here)
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

void NetworkSim::begin_side_traffic(const Prepared& p, double bytes_per_s) {
  for (int k = 0; k < kLinkClassCount; ++k) class_load_[k] += bytes_per_s * p->class_load[k];
  record_class_utilization();
}

void NetworkSim::end_side_traffic(const Prepared& p, double bytes_per_s, double seconds) {
  for (int k = 0; k < kLinkClassCount; ++k) class_load_[k] -= bytes_per_s * p->class_load[k];
  if (p->side_slot == PreparedTransfer::kNoSlot) {
    p->side_slot = std::uint32_t(side_pending_.size());
    side_pending_.emplace_back(p, 0.0);
  }
  side_pending_[p->side_slot].second += bytes_per_s * seconds;
  record_class_utilization();
}

// Many transfers start and end at the same nanosecond: the series take the utilization once
// per instant, the last one recorded (a piece of zero length adds nothing).
void NetworkSim::record_class_utilization() {
  if (util_dirty_ && sim_.now() != util_at_) flush_class_utilization();
  util_at_ = sim_.now();
  util_dirty_ = true;
  std::copy_n(class_load_.begin(), kLinkClassCount, load_pending_.begin());
}

void NetworkSim::flush_class_utilization() {
  for (int c = 0; c < kLinkClassCount; ++c) {
    if (class_capacity_[c] <= 0) continue;
    const double util = std::max(0.0, load_pending_[c] / class_capacity_[c]);
    if (util != util_written_[c]) {
      class_series_.set(std::size_t(c), util_at_, util);
      util_written_[c] = util;
    }
  }
  util_dirty_ = false;
}

double NetworkSim::rate_of(const Flow& f) const {
  if (f.lone) return cap_of(f);
  return f.cls == kNotInHeap ? 0.0 : ghot_[classes_[f.cls].group].rate;
}

// ---- the lone lane ------------------------------------------------------------------------
// A transfer whose links are all private (none can bind: analytical sharing, or the caps of
// the transfers on each add up to no more than it carries) runs at its cap whatever the
// others do, until one of its links may bind (promote). Keeping it out of the classes and
// groups saves making and dropping a class, a group and their heap entries for each such
// transfer (a pipeline send alone on its NICs: half of a long schedule's time was that).
// Its rate and bytes are booked as a class member's would be, so rates do not change; its
// finish is timed from its start, where a class shared with others would add their clock's
// rounding (a nanosecond either way, docs/network.md).

double NetworkSim::cap_of(const Flow& f) {
  return f.load().empty() ? std::numeric_limits<double>::max() : f.prep->max_rate;
}

bool NetworkSim::runs_alone(const Flow& f) const {
  for (const auto& [l, w] : f.load())
    if (mode_[l] != LinkMode::Private) return false;
  return true;
}

void NetworkSim::start_lone(FlowId id) {
  Flow& f = flows_[id];
  f.lone = true;
  f.lone_since = sim_.now();
  f.key = f.bytes;
  const double rate = cap_of(f);
  for (int k = 0; k < kLinkClassCount; ++k) class_load_[k] += rate * f.prep->class_load[k];
  if (rate > 0) lone_finishes_.set(id, sim_.now() + Time::from_seconds(f.bytes / rate));
}

void NetworkSim::leave_lone(FlowId id) {
  Flow& f = flows_[id];
  lone_finishes_.set(id, Time::max());
  const double rate = cap_of(f);
  for (int k = 0; k < kLinkClassCount; ++k) class_load_[k] -= rate * f.prep->class_load[k];
  f.lone = false;
}

// One of its links may bind from now on: it joins the class of its active links (that one),
// in its cap's group, as a member of the class it would have been in would have moved.
void NetworkSim::join_classes(FlowId id) {
  const double left = remaining(flows_[id]);
  leave_lone(id);
  add_member(class_for(id), id, left);
}

void NetworkSim::dormant_add(LinkId l, ClassId c, double weight, int flows) {
  auto& row = links_[l].drow;
  for (std::size_t i = 0; i < row.size(); ++i)
    if (row[i].cls == c) {
      row[i].flows = std::uint32_t(int(row[i].flows) + flows);
      if (row[i].flows == 0) {
        row[i] = row.back();
        row.pop_back();
      } else {
        row[i].weight += weight;
      }
      return;
    }
  if (flows > 0) row.push_back({c, weight, std::uint32_t(flows)});
}

double NetworkSim::dormant_load(LinkId l) const {
  double load = 0;
  for (const DormantEntry& e : links_[l].drow) load += e.weight * ghot_[class_group_[e.cls]].rate;
  return load;
}

double NetworkSim::link_load(LinkId l) const {
  double load = 0;
  for (const LinkFlow& lf : link_flows_[l]) load += lf.weight * rate_of(flows_[lf.flow]);
  return load;
}

std::vector<std::pair<std::uint64_t, double>> NetworkSim::rates() const {
  std::vector<std::pair<std::uint64_t, double>> out;
  for (const Flow& f : flows_)
    if (f.active && (f.cls != kNotInHeap || f.lone)) out.emplace_back(f.serial, rate_of(f));
  std::sort(out.begin(), out.end());
  return out;
}

std::string NetworkSim::check_max_min() const {
  const auto& topo = fabric_.topology();
  std::vector<double> load(topo.link_count(), 0.0);
  for (const Flow& t : flows_)
    if (t.active)
      for (const auto& [l, w] : t.load()) load[l] += w * rate_of(t);
  for (LinkId l = 0; l < static_cast<LinkId>(load.size()); ++l)
    if (load[l] > topo.link(l).bandwidth * (1 + 1e-9))
      return "link " + std::to_string(l) + " carries " + std::to_string(load[l] / topo.link(l).bandwidth) +
             " of its capacity (" + std::to_string(link_flows_[l].size()) + " transfers, mode " +
             std::to_string(int(mode_[l])) + ")";
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
      for (const LinkFlow& other : link_flows_[l])
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
    const double bytes = link_bytes(l);
    if (bytes <= 0) continue;
    const double cap = fabric_.topology().link(l).bandwidth;
    all.push_back({l, bytes, elapsed > 0 ? bytes / (cap * elapsed) : 0.0});
  }
  // Only the first k are wanted (a 16K-GPU fabric has 164 K links; sorting them all was 3 %
  // of an iteration). The order is total, so the k are the same as a full sort's.
  const auto hotter = [](const LinkStats& a, const LinkStats& b) {
    return a.utilization != b.utilization ? a.utilization > b.utilization : a.link < b.link;
  };
  const auto end = all.begin() + std::ptrdiff_t(std::min(k, all.size()));
  std::partial_sort(all.begin(), end, all.end(), hotter);
  all.erase(end, all.end());
  return all;
}

void NetworkSim::finish() {
  for (auto& [p, bytes] : side_pending_) {
    for (const auto& [l, w] : p->load) side_bytes_[l] += bytes * w;
    p->side_slot = PreparedTransfer::kNoSlot;
  }
  side_pending_.clear();
  // Book the bytes that transfers still under way have sent so far.
  for (Flow& f : flows_) {
    if (!f.active || (f.cls == kNotInHeap && !f.lone)) continue;
    const double sent = f.bytes - remaining(f);
    for (const auto& [l, w] : f.load()) link_bytes_[l] += (sent - f.booked) * w;
    f.booked = sent;
  }
  for (Mirror& m : mirrors_) {
    const double delta = link_bytes_[m.link] - m.copied;
    for (LinkId x : m.images) link_bytes_[x] += delta;
    m.copied = link_bytes_[m.link];
  }
  // Then each bundle's first link (given its bytes above if it is a symmetry image) to the
  // rest of its bundle, which routes leave out (Fabric::bundles).
  const auto& bundles = fabric_.bundles();
  bundle_copied_.resize(bundles.size());
  for (std::size_t b = 0; b < bundles.size(); ++b) {
    const LinkId first = bundles[b].front();
    auto& [bytes, side] = bundle_copied_[b];
    for (std::size_t i = 1; i < bundles[b].size(); ++i) {
      link_bytes_[bundles[b][i]] += link_bytes_[first] - bytes;
      side_bytes_[bundles[b][i]] += side_bytes_[first] - side;
    }
    bytes = link_bytes_[first];
    side = side_bytes_[first];
  }
  if (util_dirty_) flush_class_utilization();
  class_series_.finish(sim_.now());
}

}  // namespace dcsim::network

