// The max-min fair rates of rate classes (docs/network.md, "Solver").
//
// Weighted progressive filling: every free class's rate rises together; a link saturates at
// level (capacity - fixed load - frozen load) / (free weight on it); the lowest such level
// freezes the classes crossing that link, a class's own cap freezes it alone, and so on until
// all are frozen.
//
// Only part of the network is re-solved: classes reached from the changed links and classes,
// moving from link to class only through saturated links and only to the classes at the
// link's top rate (the ones it bottlenecks: a rate change cannot cross a link with spare
// capacity). The rest keep their rates as fixed load. If the new rates saturate a link on
// which an outside class runs faster than every re-solved one, that class is no longer
// fairly treated: it joins and the solve is repeated.
#include <algorithm>
#include <cmath>
#include <limits>

#include "models/network/network_sim.hpp"

namespace dcsim::network {
namespace {
constexpr double kSaturated = 1 - 1e-7;      // relative: a link this full is a bottleneck
constexpr double kIdle = 0.5;                // an active link below this load fraction stops binding
constexpr double kCheckAt = 0.9;             // a dormant link is re-checked when its bound reaches this
constexpr double kTopRate = 1 - 1e-9;        // classes this close to a link's top rate are bottlenecked there
constexpr double kUnfair = 1 + 1e-9;
}  // namespace

void NetworkSim::solve(const std::vector<LinkId>& seeds, const std::vector<ClassId>& changed) {
  ++recomputations_;
  gather(seeds, changed);
  do {
    water_fill();
  } while (admit_unfairly_treated());
  apply_rates();
}

void NetworkSim::gather(const std::vector<LinkId>& seeds, const std::vector<ClassId>& changed) {
  ++epoch_;
  comp_links_.clear();
  comp_classes_.clear();
  class_links_.clear();
  class_begin_.assign(1, 0);
  stack_.clear();
  // A seed passes the change on whether or not it is still full: a departure may have just
  // freed it.
  for (LinkId l : seeds) {
    LinkState& link = links_[l];
    if (link.visit == epoch_) continue;
    link.visit = epoch_;
    link.pos = static_cast<std::uint32_t>(comp_links_.size());
    comp_links_.push_back(l);
  }
  for (LinkId l : seeds) pass_on(l, true);
  for (ClassId c : changed)
    if (classes_[c].live) add_class(c);
  expand();
}

void NetworkSim::add_class(ClassId id) {
  ClassHot& h = hot_[id];
  if (h.visit == epoch_) return;
  h.visit = epoch_;
  h.scratch = static_cast<std::uint32_t>(comp_classes_.size());
  comp_classes_.push_back(id);
  // Its links by local index with its whole weight on each, for the compact problem.
  for (const ClassKeyLink& k : classes_[id].key) {
    LinkState& link = links_[k.link];
    if (link.visit != epoch_) {
      link.visit = epoch_;
      link.pos = static_cast<std::uint32_t>(comp_links_.size());
      comp_links_.push_back(k.link);
      stack_.push_back(k.link);
    }
    class_links_.emplace_back(link.pos, k.weight * h.n);
  }
  class_begin_.push_back(static_cast<std::uint32_t>(class_links_.size()));
}

// From a link, a rate change reaches the classes it bottlenecks: those at its top rate.
// Other links pass it on only when saturated. Every link of the solve comes through here
// once, which also records its load and top rate before the solve.
void NetworkSim::pass_on(LinkId l, bool seed) {
  LinkState& link = links_[l];
  double top = 0, load = 0;
  for (const RowEntry& e : link.row) {
    const ClassHot& c = hot_[e.cls];
    top = std::max(top, c.rate);
    load += e.weight * c.n * c.rate;
  }
  link.load = load;
  link.top = top;
  if (!seed && load < link.capacity * kSaturated) return;
  for (const RowEntry& e : link.row)
    if (hot_[e.cls].rate >= top * kTopRate) add_class(e.cls);
}

void NetworkSim::expand() {
  while (!stack_.empty()) {
    const LinkId l = stack_.back();
    stack_.pop_back();
    pass_on(l, false);
  }
}

// The re-solved classes and links as a compact problem: each class's links (recorded by
// add_class), each link's classes, and each link's fixed load (everything not re-solved).
void NetworkSim::build_problem() {
  const std::size_t n = comp_links_.size(), m = comp_classes_.size();
  link_begin_.assign(n + 1, 0);
  fixed_.resize(n);
  for (std::size_t i = 0; i < n; ++i) fixed_[i] = links_[comp_links_[i]].load;
  for (std::size_t k = 0; k < m; ++k) {
    const double rate = hot_[comp_classes_[k]].rate;
    for (std::uint32_t j = class_begin_[k]; j < class_begin_[k + 1]; ++j) {
      const auto [i, a] = class_links_[j];
      fixed_[i] -= a * rate;
      ++link_begin_[i + 1];
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    link_begin_[i + 1] += link_begin_[i];
    fixed_[i] = std::max(0.0, fixed_[i]);
  }
  link_classes_.resize(class_links_.size());
  fill_.assign(link_begin_.begin(), link_begin_.end() - 1);
  for (std::size_t k = 0; k < m; ++k)
    for (std::uint32_t j = class_begin_[k]; j < class_begin_[k + 1]; ++j)
      link_classes_[fill_[class_links_[j].first]++] = {static_cast<std::uint32_t>(k), class_links_[j].second};
}

// Fills new_rate_ (and where each class froze) for every class of the compact problem.
void NetworkSim::water_fill() {
  build_problem();
  reset_fill();
  progressive_fill();
}

void NetworkSim::reset_fill() {
  const std::size_t n = comp_links_.size(), m = comp_classes_.size();
  frozen_load_.assign(n, 0.0);
  free_weight_.assign(n, 0.0);
  free_count_.assign(n, 0);
  for (const auto& [i, a] : class_links_) {
    free_weight_[i] += a;
    ++free_count_[i];
  }
  new_rate_.assign(m, -1.0);
  unfrozen_ = m;
}

void NetworkSim::freeze(std::uint32_t k, double level) {
  new_rate_[k] = level;
  --unfrozen_;
  for (std::uint32_t j = class_begin_[k]; j < class_begin_[k + 1]; ++j) {
    const auto [i, a] = class_links_[j];
    frozen_load_[i] += a * level;
    free_weight_[i] -= a;
    --free_count_[i];
  }
}

// The link's level with the classes frozen so far, summed afresh from its classes (free of
// the rounding the running sums accumulate).
double NetworkSim::saturation_level(std::uint32_t i) const {
  double frozen = 0, free = 0;
  for (std::uint32_t j = link_begin_[i]; j < link_begin_[i + 1]; ++j) {
    const auto [k, a] = link_classes_[j];
    if (new_rate_[k] >= 0)
      frozen += a * new_rate_[k];
    else
      free += a;
  }
  return std::max(0.0, links_[comp_links_[i]].capacity - fixed_[i] - frozen) / free;
}

void NetworkSim::progressive_fill() {
  const std::size_t n = comp_links_.size(), m = comp_classes_.size();
  auto level_of = [&](std::size_t i) {
    const double spare = std::max(0.0, links_[comp_links_[i]].capacity - fixed_[i] - frozen_load_[i]);
    return free_weight_[i] > 0 ? spare / free_weight_[i] : std::numeric_limits<double>::infinity();
  };
  // Min-heaps of (level, entry): links, and classes' own caps. Caps rarely bind, so their
  // heap is built only once a link level passes the lowest cap.
  const auto later = std::greater<>{};
  heap_.clear();
  for (std::size_t i = 0; i < n; ++i)
    if (free_count_[i] > 0) heap_.emplace_back(level_of(i), std::uint32_t(i));
  std::make_heap(heap_.begin(), heap_.end(), later);
  double lowest_cap = std::numeric_limits<double>::infinity();
  for (ClassId id : comp_classes_) lowest_cap = std::min(lowest_cap, hot_[id].cap);
  cap_heap_.clear();
  bool caps_built = false;
  while (unfrozen_ > 0) {
    const double next_link = heap_.empty() ? std::numeric_limits<double>::infinity() : heap_.front().first;
    if (!caps_built && next_link >= lowest_cap) {
      for (std::size_t k = 0; k < m; ++k)
        if (new_rate_[k] < 0) cap_heap_.emplace_back(hot_[comp_classes_[k]].cap, std::uint32_t(k));
      std::make_heap(cap_heap_.begin(), cap_heap_.end(), later);
      caps_built = true;
    }
    if (!cap_heap_.empty() && cap_heap_.front() <= std::make_pair(next_link, std::uint32_t(n))) {
      // A class reached its own cap.
      std::pop_heap(cap_heap_.begin(), cap_heap_.end(), later);
      const auto [level, k] = cap_heap_.back();
      cap_heap_.pop_back();
      if (new_rate_[k] < 0) freeze(k, level);
      continue;
    }
    if (heap_.empty()) break;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const auto [level, idx] = heap_.back();
    heap_.pop_back();
    if (free_count_[idx] == 0) continue;
    // Levels only rise as classes freeze: a stale entry is pushed again at its level now.
    const double now_level = level_of(idx);
    if (now_level > level * (1 + 1e-12)) {
      heap_.emplace_back(now_level, idx);
      std::push_heap(heap_.begin(), heap_.end(), later);
      continue;
    }
    // The link saturates: every class still free on it freezes at its level.
    const double exact = saturation_level(idx);
    for (std::uint32_t j = link_begin_[idx]; j < link_begin_[idx + 1]; ++j)
      if (new_rate_[link_classes_[j].first] < 0) freeze(link_classes_[j].first, exact);
  }
}

// Classes outside the solve that now run faster than every re-solved class on a link the
// new rates saturate: they join, and the solve runs again.
bool NetworkSim::admit_unfairly_treated() {
  joiners_.clear();
  const std::size_t n = comp_links_.size();
  for (std::size_t i = 0; i < n; ++i) {
    const LinkState& link = links_[comp_links_[i]];
    if (fixed_[i] + frozen_load_[i] < link.capacity * kSaturated || link_begin_[i] == link_begin_[i + 1]) continue;
    double top = 0;
    for (std::uint32_t j = link_begin_[i]; j < link_begin_[i + 1]; ++j) top = std::max(top, new_rate_[link_classes_[j].first]);
    if (link.top <= top * kUnfair) continue;  // no class on it ran faster than that
    for (const RowEntry& e : link.row) {
      const ClassHot& c = hot_[e.cls];
      if (c.visit != epoch_ && c.rate > top * kUnfair) joiners_.push_back(e.cls);
    }
  }
  if (joiners_.empty()) return false;
  for (ClassId j : joiners_) add_class(j);
  expand();
  return true;
}

void NetworkSim::apply_rates() {
  double rise = 1;
  for (std::size_t k = 0; k < comp_classes_.size(); ++k) {
    const ClassId id = comp_classes_[k];
    const double rate = std::max(0.0, new_rate_[k]);
    const double old = hot_[id].rate;
    resolved_ += static_cast<std::uint64_t>(hot_[id].n);
    ++classes_resolved_;
    if (old > 0) rise = std::max(rise, rate / old);
    // A re-solve may reproduce a rate up to rounding; keeping it spares a re-timing.
    if (std::abs(rate - old) > 1e-12 * old || old == 0) set_rate(id, rate);
  }
  grow_drift(rise);
  // Active links the new rates leave far from full stop binding.
  for (std::size_t i = 0; i < comp_links_.size(); ++i) {
    const LinkId l = comp_links_[i];
    if (links_[l].mode != LinkMode::Active) continue;
    const double load = fixed_[i] + frozen_load_[i];
    if (load < kIdle * links_[l].capacity && links_[l].flows.size() >= 2) make_dormant(l, load);
  }
}

// The drift only grows; before it leaves the range of a double, it and everything kept in
// its units are rescaled together.
void NetworkSim::grow_drift(double factor) {
  drift_ *= factor;
  if (drift_ < 1e100) return;
  const double scale = drift_;
  drift_ = 1;
  for (LinkState& link : links_) link.bound *= scale;
  for (auto& e : checks_) std::get<0>(e) /= scale;
}

void NetworkSim::make_dormant(LinkId l, double load) {
  demote(l);
  links_[l].bound = load / drift_;
  schedule_check(l);
}

// The bound times drift_ reaches kCheckAt x capacity when drift_ reaches the trigger.
void NetworkSim::schedule_check(LinkId l) {
  LinkState& link = links_[l];
  ++link.bound_version;
  if (link.mode != LinkMode::Dormant || link.bound <= 0) return;
  const double trigger = kCheckAt * link.capacity / link.bound;
  checks_.emplace_back(trigger, l, link.bound_version);
  std::push_heap(checks_.begin(), checks_.end(), std::greater<>{});
}

// Dormant links whose bound may have reached kCheckAt of capacity are checked exactly: below
// it they get a fresh bound; above it they become active, and one that the last solve pushed
// over capacity is re-solved.
void NetworkSim::check_dormant_links(const std::vector<FlowId>& arrivals) {
  for (FlowId id : arrivals) {
    const Flow& f = flows_[id];
    if (!f.active || f.cls == kNotInHeap) continue;
    const double rate = hot_[f.cls].rate;
    for (const auto& [l, w] : f.load())
      if (links_[l].mode == LinkMode::Dormant) {
        links_[l].bound += w * rate / drift_;
        schedule_check(l);
      }
  }
  for (;;) {
    seeds_scratch_.clear();
    while (!checks_.empty() && std::get<0>(checks_.front()) <= drift_) {
      std::pop_heap(checks_.begin(), checks_.end(), std::greater<>{});
      const auto [trigger, l, version] = checks_.back();
      checks_.pop_back();
      LinkState& link = links_[l];
      if (version != link.bound_version || link.mode != LinkMode::Dormant) continue;
      const double load = link_load(l);
      if (load < kCheckAt * link.capacity * (1 - 1e-9)) {
        link.bound = load / drift_;
        schedule_check(l);
        continue;
      }

      promote(l);
      if (load > link.capacity * (1 + 1e-12)) seeds_scratch_.push_back(l);
    }
    // Stale entries would pile up over a long run: rebuild when they dominate.
    if (checks_.size() > 64 && checks_.size() > 4 * links_.size()) {
      std::erase_if(checks_, [&](const auto& e) {
        const LinkState& link = links_[std::get<1>(e)];
        return std::get<2>(e) != link.bound_version || link.mode != LinkMode::Dormant;
      });
      std::make_heap(checks_.begin(), checks_.end(), std::greater<>{});
    }
    if (seeds_scratch_.empty()) return;
    changed_scratch_.clear();
    std::vector<LinkId> seeds;
    seeds.swap(seeds_scratch_);
    solve(seeds, changed_scratch_);
    seeds.clear();
    if (seeds_scratch_.empty()) seeds_scratch_.swap(seeds);
  }
}

}  // namespace dcsim::network

