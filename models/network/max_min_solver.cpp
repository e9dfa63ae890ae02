// The max-min fair rates, solved on bottleneck groups (docs/network.md, "Solver").
//
// Weighted progressive filling: every free group's rate rises together; a link saturates at
// level (capacity - fixed load - frozen load) / (free weight on it); the lowest such level
// freezes what is still free on that link, a cap freezes the classes at it, and so on until
// all are frozen. A group freezes whole at its own link (or cap). When another link comes
// first, the classes of the group that cross it split off and join that link's group: the
// bottleneck structure changed, and only the classes that move are touched.
//
// Only part of the network is re-solved: the groups reached from the changed links and
// groups, moving from link to group only through saturated links and only to the groups at
// the link's top rate (the ones it bottlenecks: a rate change cannot cross a link with spare
// capacity). The rest keep their rates as fixed load. If the new rates saturate a link on
// which an outside group runs faster than everything re-solved there, that group is no
// longer fairly treated: it joins and the solve is repeated.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "models/network/network_sim.hpp"

namespace dcsim::network {
namespace {
constexpr std::uint32_t kNone = ~0u;
constexpr double kSaturated = 1 - 1e-7;  // relative: a link this full is a bottleneck
constexpr double kIdle = 0.5;            // an active link below this load fraction stops binding
constexpr double kCheckAt = 0.9;         // a dormant link is re-checked when its bound reaches this
constexpr double kTopRate = 1 - 1e-9;    // groups this close to a link's top rate are bottlenecked there
constexpr double kUnfair = 1 + 1e-9;
constexpr double kSameRate = 1 - 1e-12;  // rates this close are one rate when a class settles alone

using LevelEntry = NetworkSim::LevelEntry;
// (level, link) order, as a heap of the lowest first needs it ("later" sits deeper).
bool before(const LevelEntry& a, const LevelEntry& b) { return a.key < b.key; }
const auto later_level = [](const LevelEntry& a, const LevelEntry& b) { return before(b, a); };

// std::pop_heap's order, with the hole taken down to a leaf along the lower child, chosen
// without a branch (which child a sift takes is a coin flip no predictor learns), then the
// last entry sifted up into it (Floyd).
void pop_lowest(std::vector<LevelEntry>& heap) {
  const LevelEntry last = heap.back();
  heap.pop_back();
  const std::size_t n = heap.size();
  if (n == 0) return;
  std::size_t i = 0;
  for (std::size_t c = 1; c < n; c = 2 * i + 1) {
    if (c + 1 < n) c += std::size_t(before(heap[c + 1], heap[c]));
    heap[i] = heap[c];
    i = c;
  }
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!before(last, heap[parent])) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = last;
}
}  // namespace

void NetworkSim::solve(const std::vector<LinkId>& seeds, const std::vector<GroupId>& changed) {
  ++recomputations_;
  gather(seeds, changed);
  do {
    water_fill();
  } while (admit_unfairly_treated());
  apply_rates();
}

void NetworkSim::gather(const std::vector<LinkId>& seeds, const std::vector<GroupId>& changed) {
  ++epoch_;
  comp_links_.clear();
  comp_groups_.clear();
  group_links_.clear();
  group_begin_.assign(1, 0);
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
  for (GroupId g : changed)
    if (groups_[g].live) add_group(g);
  expand();
}

void NetworkSim::add_group(GroupId id) {
  GroupHot& h = ghot_[id];
  if (h.visit == epoch_) return;
  h.visit = epoch_;
  h.scratch = static_cast<std::uint32_t>(comp_groups_.size());
  comp_groups_.push_back(id);
  Group& g = groups_[id];
  if (!g.private_valid) leave_out_private_links(g);
  // Its links by local index, with its weight and classes on each, for the compact problem.
  for (const GroupLink& e : g.column) {
    if (e.left_out) continue;
    LinkState& link = links_[e.link];
    if (link.visit != epoch_) {
      link.visit = epoch_;
      link.pos = static_cast<std::uint32_t>(comp_links_.size());
      comp_links_.push_back(e.link);
      stack_.push_back(e.link);
    }
    group_links_.push_back({link.pos, e.weight, e.classes});
  }
  group_begin_.push_back(static_cast<std::uint32_t>(group_links_.size()));
}

// A link that one class alone crosses (no other class, no other group: a ring's hops) binds
// that class at capacity / (its members' weight), whatever the rest of the network does; of
// a class's links like that only the tightest can bind it first, so the others are left out
// of the problem (GroupLink::left_out). (A group's own link always stays in.) The flags hold
// until the group's column or the privacy of its links changes (Group::private_valid), so
// most solves only read them.
void NetworkSim::leave_out_private_links(Group& g) {
  g.private_valid = true;
  for (GroupLink& e : g.column) e.left_out = false;
  if (g.column.size() <= 2) return;
  // Keeps the tightest link seen so far in, marks every other one out.
  std::uint32_t tightest = kNone;
  double lowest = std::numeric_limits<double>::infinity();
  auto consider = [&](std::uint32_t col_pos) {
    GroupLink& e = g.column[col_pos];
    const double level = brief_[e.link].capacity / e.weight;
    if (level < lowest) {
      if (tightest != kNone) g.column[tightest].left_out = true;
      lowest = level;
      tightest = col_pos;
    } else {
      e.left_out = true;
    }
  };
  if (g.nclasses == 1) {
    // One class: a link no other group crosses is that class's alone, and the group's
    // weight on it is the class's.
    for (std::uint32_t i = 0; i < g.column.size(); ++i)
      if (g.column[i].link != g.link && brief_[g.column[i].link].groups == 1) consider(i);
    return;
  }
  // Several classes: a link counts only if one class alone crosses it, and only a class with
  // two such links has one to leave out; most groups of many classes have none.
  int candidates = 0;
  for (const GroupLink& e : g.column)
    if (e.link != g.link && brief_[e.link].groups == 1 && e.classes == 1) ++candidates;
  if (candidates < 2) return;
  for (const ClassId c : g.classes.ids()) {
    const RateClass& rc = classes_[c];
    tightest = kNone;
    lowest = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < rc.key.size(); ++i) {
      const LinkId l = rc.key[i].link;
      const Entry& e = entries_[rc.entries[i]];
      if (l != g.link && brief_[l].groups == 1 && e.classes == 1) consider(e.col_pos);
    }
  }
}

// From a link, a rate change reaches the groups it bottlenecks: those at its top rate.
// Other links pass it on only when saturated. Every link of the solve comes through here
// once, which also records its load and top rate before the solve.
void NetworkSim::pass_on(LinkId l, bool seed) {
  LinkState& link = links_[l];
  double top = 0, load = 0;
  for (const GroupRowEntry& e : link.grow) {
    const double rate = ghot_[e.group].rate;
    top = std::max(top, rate);
    load += e.weight * rate;
  }
  link.load = load;
  link.top = top;
  if (!seed && load < link.capacity * kSaturated) return;
  for (const GroupRowEntry& e : link.grow)
    if (ghot_[e.group].rate >= top * kTopRate) add_group(e.group);
}

void NetworkSim::expand() {
  while (!stack_.empty()) {
    const LinkId l = stack_.back();
    stack_.pop_back();
    pass_on(l, false);
  }
}

// Each link's groups (with their local entry) as offset arrays, and each link's fixed load:
// everything not re-solved.
void NetworkSim::build_problem() {
  const std::size_t n = comp_links_.size(), m = comp_groups_.size();
  link_begin_.assign(n + 1, 0);
  // One assign zeroes every link's fill state (reset_fill relies on it).
  fill_links_.assign(n, FillLink{});
  for (std::size_t i = 0; i < n; ++i) {
    const LinkState& link = links_[comp_links_[i]];
    fill_links_[i].capacity = link.capacity;
    fill_links_[i].fixed = link.load;
  }
  for (std::size_t k = 0; k < m; ++k) {
    const double rate = ghot_[comp_groups_[k]].rate;
    for (std::uint32_t j = group_begin_[k]; j < group_begin_[k + 1]; ++j) {
      fill_links_[group_links_[j].link].fixed -= group_links_[j].weight * rate;
      ++link_begin_[group_links_[j].link + 1];
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    link_begin_[i + 1] += link_begin_[i];
    fill_links_[i].fixed = std::max(0.0, fill_links_[i].fixed);
  }
  link_groups_.resize(group_links_.size());
  fill_.assign(link_begin_.begin(), link_begin_.end() - 1);
  for (std::size_t k = 0; k < m; ++k)
    for (std::uint32_t j = group_begin_[k]; j < group_begin_[k + 1]; ++j)
      link_groups_[fill_[group_links_[j].link]++] = {static_cast<std::uint32_t>(k), j};
}

void NetworkSim::water_fill() {
  build_problem();
  reset_fill();
  progressive_fill();
}

void NetworkSim::reset_fill() {
  const std::size_t m = comp_groups_.size();
  work_links_.assign(group_links_.begin(), group_links_.end());
  for (const LocalEntry& e : work_links_)
    if (e.classes > 0) {
      fill_links_[e.link].free_weight += e.weight;
      ++fill_links_[e.link].free_count;
    }
  fill_groups_.resize(m);
  for (std::size_t k = 0; k < m; ++k) fill_groups_[k] = FillGroup{.left = groups_[comp_groups_[k]].nclasses};
  flips_.clear();
  ++split_epoch_;
  unfrozen_ = m;
}

void NetworkSim::freeze_group(std::uint32_t k, double level) {
  fill_groups_[k].new_rate = level;
  fill_groups_[k].frozen = 1;
  --unfrozen_;
  for (std::uint32_t j = group_begin_[k]; j < group_begin_[k + 1]; ++j) {
    const LocalEntry& e = work_links_[j];
    if (e.classes == 0) continue;
    FillLink& link = fill_links_[e.link];
    link.frozen_load += e.weight * level;
    link.free_weight -= e.weight;
    --link.free_count;
    link.top_new = std::max(link.top_new, level);
  }
}

std::uint32_t NetworkSim::local_entry(std::uint32_t k, std::uint32_t i) const {
  for (std::uint32_t j = link_begin_[i]; j < link_begin_[i + 1]; ++j)
    if (link_groups_[j].first == k) return link_groups_[j].second;
  throw std::logic_error("flow solver: a class crosses a link its group does not");
}

// The classes of group k that freeze here (those crossing `at`, or those whose cap is
// `level`) leave it: they are frozen at `level` and join the group of `at` (or of their cap)
// once the solve is applied. The rest of the group stays free.
void NetworkSim::split_off(std::uint32_t k, LinkId at, double level, bool by_cap) {
  const GroupId g = comp_groups_[k];
  if (fill_groups_[k].left == 1) {
    // One class left (a new class in a group of its own, typically): it freezes whole.
    for (const ClassId c : groups_[g].classes.ids())
      if (classes_[c].split != split_epoch_) {
        classes_[c].split = split_epoch_;
        flips_.push_back({c, by_cap ? kNoLink : at, level, ghot_[g].rate});
      }
    fill_groups_[k].left = 0;
    freeze_group(k, level);
    fill_groups_[k].emptied = 1;  // its class moves; the group keeps nothing
    return;
  }
  for (const ClassId c : groups_[g].classes.ids()) {
    RateClass& rc = classes_[c];
    if (rc.split == split_epoch_) continue;
    const bool here = by_cap ? rc.cap <= level : rc.key_index(at) < rc.key.size() && rc.key[rc.key_index(at)].link == at;
    if (!here) continue;
    rc.split = split_epoch_;
    flips_.push_back({c, by_cap ? kNoLink : at, level, ghot_[g].rate});
    for (std::size_t n = 0; n < rc.key.size(); ++n) {
      const ClassKeyLink& e = rc.key[n];
      if (groups_[g].column[entries_[rc.entries[n]].col_pos].left_out) continue;  // not in the problem
      const std::uint32_t i = links_[e.link].pos;
      LocalEntry& entry = work_links_[local_entry(k, i)];
      const double a = e.weight * rc.n;
      entry.weight -= a;
      FillLink& link = fill_links_[i];
      if (--entry.classes == 0) --link.free_count;
      link.free_weight -= a;
      link.frozen_load += a * level;
      link.split_load += a * level;
      link.top_new = std::max(link.top_new, level);
    }
    if (--fill_groups_[k].left == 0) {
      fill_groups_[k].frozen = 1;
      fill_groups_[k].emptied = 1;
      --unfrozen_;
      return;
    }
  }
}

// The link's level with what is frozen so far, summed afresh from its groups (free of the
// rounding the running sums accumulate).
double NetworkSim::saturation_level(std::uint32_t i) const {
  double frozen = fill_links_[i].split_load, free = 0;
  for (std::uint32_t j = link_begin_[i]; j < link_begin_[i + 1]; ++j) {
    const auto [k, e] = link_groups_[j];
    const LocalEntry& entry = work_links_[e];
    if (entry.classes == 0) continue;
    if (fill_groups_[k].frozen)
      frozen += entry.weight * fill_groups_[k].new_rate;
    else
      free += entry.weight;
  }
  return std::max(0.0, fill_links_[i].capacity - fill_links_[i].fixed - frozen) / free;
}

void NetworkSim::progressive_fill() {
  const std::size_t n = comp_links_.size(), m = comp_groups_.size();
  auto level_of = [&](std::size_t i) {
    const FillLink& link = fill_links_[i];
    const double spare = std::max(0.0, link.capacity - link.fixed - link.frozen_load);
    return link.free_weight > 0 ? spare / link.free_weight : std::numeric_limits<double>::infinity();
  };
  // Min-heaps of (level, entry): links, and groups' lowest caps. Caps rarely bind, so their
  // heap is built only once a link level passes the lowest cap.
  const auto later = std::greater<>{};
  // A group of one class cannot end faster than its cap, nor than any of its links would let
  // it with nothing else on it (the class cannot split, so nothing lifts that bound). A link
  // whose level starts above the bound of every group crossing it finds them all frozen when
  // the fill reaches it (the fill's level only rises), so it never binds: it stays out of
  // the heap. These are most links of a ring on a hashed fat tree (every hop but the
  // tightest), so the heap holds the few links that can bind.
  for (std::size_t k = 0; k < m; ++k) {
    const GroupId g = comp_groups_[k];
    if (groups_[g].nclasses != 1) {  // classes may split: each is bounded by its cap alone
      double top_cap = 0;
      for (const ClassId c : groups_[g].classes.ids()) top_cap = std::max(top_cap, classes_[c].cap);
      fill_groups_[k].bound = top_cap * (1 + 1e-9);
      continue;
    }
    double b = min_cap(g);
    for (std::uint32_t j = group_begin_[k]; j < group_begin_[k + 1]; ++j) {
      const LocalEntry& e = work_links_[j];
      if (e.classes > 0) b = std::min(b, std::max(0.0, fill_links_[e.link].capacity - fill_links_[e.link].fixed) / e.weight);
    }
    fill_groups_[k].bound = b * (1 + 1e-9);
  }
  heap_.clear();
  for (std::size_t i = 0; i < n; ++i) {
    if (fill_links_[i].free_count == 0) continue;
    const double level = level_of(i);
    for (std::uint32_t j = link_begin_[i]; j < link_begin_[i + 1]; ++j)
      if (fill_groups_[link_groups_[j].first].bound >= level) {
        heap_.emplace_back(level, std::uint32_t(i));
        break;
      }
  }
  std::make_heap(heap_.begin(), heap_.end(), later_level);
  double lowest_cap = std::numeric_limits<double>::infinity();
  for (GroupId g : comp_groups_) lowest_cap = std::min(lowest_cap, min_cap(g));
  cap_heap_.clear();
  bool caps_built = false;
  while (unfrozen_ > 0) {
    const double next_link = heap_.empty() ? std::numeric_limits<double>::infinity() : heap_.front().level();
    if (!caps_built && next_link >= lowest_cap) {
      for (std::size_t k = 0; k < m; ++k)
        if (!fill_groups_[k].frozen) cap_heap_.emplace_back(min_cap(comp_groups_[k]), std::uint32_t(k));
      std::make_heap(cap_heap_.begin(), cap_heap_.end(), later);
      caps_built = true;
    }
    if (!cap_heap_.empty() && cap_heap_.front().first <= next_link) {
      // Classes reach their own caps.
      std::pop_heap(cap_heap_.begin(), cap_heap_.end(), later);
      const auto [cap, k] = cap_heap_.back();
      cap_heap_.pop_back();
      if (fill_groups_[k].frozen) continue;
      const Group& g = groups_[comp_groups_[k]];
      if (g.by_cap && g.cap == cap) {
        freeze_group(k, cap);
        continue;
      }
      // Classes with that cap may have split off since: the lowest cap among those left.
      double lowest = std::numeric_limits<double>::infinity();
      for (const ClassId c : g.classes.ids())
        if (classes_[c].split != split_epoch_) lowest = std::min(lowest, classes_[c].cap);
      if (lowest > cap) {
        cap_heap_.emplace_back(lowest, k);
        std::push_heap(cap_heap_.begin(), cap_heap_.end(), later);
        continue;
      }
      split_off(k, kNoLink, cap, true);
      if (!fill_groups_[k].frozen) {  // the next cap among the classes left
        cap_heap_.emplace_back(cap, k);
        std::push_heap(cap_heap_.begin(), cap_heap_.end(), later);
      }
      continue;
    }
    if (heap_.empty()) break;
    const double level = heap_.front().level();
    const std::uint32_t idx = heap_.front().link();
    pop_lowest(heap_);
    if (fill_links_[idx].free_count == 0) continue;
    // Levels only rise as things freeze: a stale entry is pushed again at its level now.
    const double now_level = level_of(idx);
    if (now_level > level * (1 + 1e-12)) {
      heap_.emplace_back(now_level, idx);
      std::push_heap(heap_.begin(), heap_.end(), later_level);
      continue;
    }
    // The link saturates: what is still free on it freezes at its level, whole groups
    // bottlenecked here, the crossing classes of groups bottlenecked elsewhere.
    const double exact = saturation_level(idx);
    const LinkId here = comp_links_[idx];
    for (std::uint32_t j = link_begin_[idx]; j < link_begin_[idx + 1]; ++j) {
      const auto [k, e] = link_groups_[j];
      if (fill_groups_[k].frozen || work_links_[e].classes == 0) continue;
      const LinkId own = groups_[comp_groups_[k]].link;
      // A group whose own link saturates at this same level (a tie, common in symmetric
      // fabrics) freezes whole here: the same rates, and no class changes group.
      if (own == here || (own != kNoLink && level_of(links_[own].pos) <= exact * (1 + 1e-12)))
        freeze_group(k, exact);
      else
        split_off(k, here, exact, false);
    }
  }
}

// ---- changes that move no rate ----------------------------------------------------------
//
// A max-min allocation is one that is feasible and in which every transfer runs at its cap
// or crosses a saturated link on which no transfer runs faster (its bottleneck). The groups
// keep that certificate: a link group's link is saturated and its classes are the fastest
// there. Many changes leave it standing (on a full-bisection tree, pipeline sends at their
// NIC's rate starting and ending: three in five solves of a 16K-GPU iteration changed no
// rate), and then the solve is skipped (docs/network.md, "Changes that move no rate"):
//  - transfers leave, and no group is bottlenecked at an active link they crossed: every
//    bottleneck keeps its load, so every transfer left keeps its bottleneck;
//  - transfers arrive at their caps (their classes sit in their caps' groups), and every
//    active link they cross stays within capacity with no group bottlenecked at it: the
//    others' bottlenecks are not crossed, so they keep them, and the new ones are at caps.
// (Dormant links cannot bind; they are checked after, as after a solve.)

double NetworkSim::active_load(LinkId l) const {
  double load = 0;
  for (const GroupRowEntry& e : links_[l].grow) load += e.weight * ghot_[e.group].rate;
  return load;
}

bool NetworkSim::arrivals_leave_rates(const std::vector<FlowId>& arrivals) const {
  for (const FlowId id : arrivals) {
    const Flow& f = flows_[id];
    if (!f.active || f.cls == kNotInHeap || !groups_[classes_[f.cls].group].by_cap) return false;
    for (const auto& [l, w] : f.load()) {
      const LinkState& link = links_[l];
      if (mode_[l] == LinkMode::Active && (link.group != kNotInHeap || active_load(l) > link.capacity)) return false;
    }
  }
  return true;
}

// Called once they have left their classes: a group they emptied is gone with its link.
bool NetworkSim::departures_leave_rates(const std::vector<FlowId>& departed) const {
  for (const FlowId id : departed)
    for (const auto& [l, w] : flows_[id].load())
      if (mode_[l] == LinkMode::Active && links_[l].group != kNotInHeap) return false;
  return true;
}

// One class settled alone: its rate is free, everyone else's stays. It can then only take
// what its links have spare: the lowest of its cap and, over its active links, (capacity -
// the others' load) / its weight there. That is max-min with no other rate moved when
//  - the link that sets it is left saturated with the class the fastest on it, ties
//    included (or the cap sets it): the class has a bottleneck;
//  - every link where another group is bottlenecked keeps its load, the class running there
//    at that group's rate (it shares that bottleneck), so every other group keeps its own;
//    the other links only ever lose load or stay within capacity.
// The class must sit in a group of its own kind: its cap's, or a fresh one (a class whose
// link went lone); a link group's other classes would have to move with it.
// (docs/network.md, "Changes that move no rate".)
bool NetworkSim::settle_alone(ClassId cid, Placement& p) const {
  const RateClass& c = classes_[cid];
  if (groups_[c.group].link != kNoLink) return false;
  double rate = c.cap, top_there = 0;
  LinkId at = kNoLink;
  for (const ClassKeyLink& k : c.key) {
    const LinkState& link = links_[k.link];
    const double own = k.weight * c.n;
    double others = 0, top = 0;
    for (const GroupRowEntry& e : link.grow) {
      const double weight = e.group == c.group ? e.weight - own : e.weight;
      if (weight <= 0) continue;
      const double r = ghot_[e.group].rate;
      others += weight * r;
      top = std::max(top, r);
    }
    const double level = std::max(0.0, link.capacity - others) / own;
    if (level < rate) {
      rate = level;
      at = k.link;
      top_there = top;
    }
  }
  // Another group's bottleneck (saturated, that group the fastest there): only if the class
  // runs there at that group's rate, which leaves the link as full as it was.
  for (const ClassKeyLink& k : c.key)
    if (const GroupId g = links_[k.link].group; g != kNotInHeap) {
      const double there = ghot_[g].rate;
      if (!(rate * kSameRate <= there && there * kSameRate <= rate)) return false;
    }
  if (!(rate > 0)) return false;
  if (at != kNoLink && rate < top_there * kSameRate) return false;
  p = {cid, at == kNoLink ? kNotInHeap : links_[at].group, at, rate};
  return true;
}

void NetworkSim::apply_placement(const Placement& p, double& rise) {
  const double from = ghot_[classes_[p.cls].group].rate;
  const GroupId to = p.group != kNotInHeap ? p.group
                     : p.link != kNoLink   ? group_of_link(p.link, p.rate)
                                           : group_of_cap(classes_[p.cls].cap);
  if (from > 0) rise = std::max(rise, ghot_[to].rate / from);
  move_class(p.cls, to);
}

// A transfer arriving alone, placed by settle_alone (most arrivals on a hashed fat tree that
// its cap would overfill a link with: it takes that link's spare).
bool NetworkSim::place_arrival(FlowId id) {
  const Flow& f = flows_[id];
  if (!f.active || f.cls == kNotInHeap) return false;
  Placement p;
  if (!settle_alone(f.cls, p)) return false;
  double rise = 1;
  apply_placement(p, rise);  // (its rate only falls from its cap: no rise)
  grow_drift(rise);
  return true;
}

// Transfers left, and each class whose bottleneck was a link now left to it alone waits in a
// fresh group at its old rate, or merged into a class with the shorter key (whose group then
// carries more weight). Nothing else lost its bottleneck (departures_leave_rates held after
// the lone links were demoted). One such class is settled alone (its rate may move);
// several, only where each keeps its rate, so that none depends on where another settles.
// A class merged into a link group's class moves that group: solve.
bool NetworkSim::place_regrouped(const std::vector<GroupId>& fresh, const std::vector<ClassId>& merged) {
  placements_.clear();
  auto settle = [&](ClassId cid) {
    for (const Placement& p : placements_)
      if (p.cls == cid) return true;
    Placement p;
    if (!settle_alone(cid, p)) return false;
    placements_.push_back(p);
    return true;
  };
  for (const GroupId g : fresh) {
    if (!groups_[g].live) continue;  // its class merged (below)
    if (groups_[g].link != kNoLink || groups_[g].by_cap || groups_[g].classes.size() != 1) return false;
    if (!settle(groups_[g].classes.top())) return false;
  }
  for (const ClassId c : merged)
    if (classes_[c].live && !settle(c)) return false;
  if (placements_.size() > 1)
    for (const Placement& p : placements_) {
      const double old = ghot_[classes_[p.cls].group].rate;
      if (!(p.rate * kSameRate <= old && old * kSameRate <= p.rate)) return false;
    }
  double rise = 1;
  for (const Placement& p : placements_) apply_placement(p, rise);
  grow_drift(rise);
  return true;
}

// What a solve does besides rates, on the links of the transfers that changed: an active link
// left far from full with no group bottlenecked on it stops binding (as apply_rates does).
void NetworkSim::settle_without_solve(const std::vector<FlowId>& changed) {
  ++skipped_;
  for (const FlowId id : changed)
    for (const auto& [l, w] : flows_[id].load()) {
      const LinkState& link = links_[l];
      if (mode_[l] != LinkMode::Active || link.group != kNotInHeap || link_flows_[l].size() < 2) continue;
      const double load = active_load(l);
      if (load < kIdle * link.capacity) make_dormant(l, load);
    }
  sweep_idle_links();
}

// Groups outside the solve that now run faster than everything re-solved on a link the new
// rates saturate: they join, and the solve runs again.
bool NetworkSim::admit_unfairly_treated() {
  joiners_.clear();
  const std::size_t n = comp_links_.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (link_begin_[i] == link_begin_[i + 1]) continue;  // nothing re-solved crosses it
    const FillLink& fill = fill_links_[i];
    if (fill.fixed + fill.frozen_load < fill.capacity * kSaturated) continue;
    const LinkState& link = links_[comp_links_[i]];  // (read only for the saturated few)
    const double top = fill.top_new;
    if (link.top <= top * kUnfair) continue;  // no group on it ran faster than that
    for (const GroupRowEntry& e : link.grow) {
      const GroupHot& g = ghot_[e.group];
      if (g.visit != epoch_ && g.rate > top * kUnfair) joiners_.push_back(e.group);
    }
  }
  if (joiners_.empty()) return false;
  for (GroupId j : joiners_) add_group(j);
  expand();
  return true;
}

void NetworkSim::apply_rates() {
  double rise = 1;
  for (std::size_t k = 0; k < comp_groups_.size(); ++k) {
    const GroupId id = comp_groups_[k];
    ++groups_resolved_;
    resolved_ += static_cast<std::uint64_t>(groups_[id].members);
    if (fill_groups_[k].emptied) continue;  // every class split off
    const double rate = fill_groups_[k].new_rate, old = ghot_[id].rate;
    if (old > 0) rise = std::max(rise, rate / old);
    // A re-solve may reproduce a rate up to rounding; keeping it spares a re-timing.
    if (std::abs(rate - old) > 1e-12 * old || old == 0) set_group_rate(id, rate);
  }
  for (const Flip& f : flips_) {
    if (f.old_rate > 0) rise = std::max(rise, f.rate / f.old_rate);
    GroupId to;
    if (f.link == kNoLink) {
      to = group_of_cap(classes_[f.cls].cap);
    } else {
      to = group_of_link(f.link, f.rate);
      if (ghot_[to].visit != epoch_ && std::abs(ghot_[to].rate - f.rate) > 1e-9 * f.rate)
        throw std::logic_error("flow solver: a link froze classes without its own group being solved");
    }
    move_class(f.cls, to);
  }
  grow_drift(rise);
  // Active links the new rates leave far from full stop binding.
  for (std::size_t i = 0; i < comp_links_.size(); ++i) {
    const LinkId l = comp_links_[i];
    // A link with nothing solved on it may be one a group alone crosses, left out of the
    // problem: its load there is the old one.
    if (link_begin_[i] == link_begin_[i + 1]) continue;
    const double load = fill_links_[i].fixed + fill_links_[i].frozen_load;
    if (load >= kIdle * fill_links_[i].capacity || mode_[l] != LinkMode::Active) continue;
    if (links_[l].group == kNotInHeap && link_flows_[l].size() >= 2) make_dormant(l, load);
  }
  sweep_idle_links();
}

// Links that went active while traffic ramped up, and whose load has since fallen, may not
// come up in a solve again: a few active links are checked after every solve, round robin.
void NetworkSim::sweep_idle_links() {
  for (int n = 0; n < 4 && !active_links_.empty(); ++n) {
    if (sweep_ >= active_links_.size()) sweep_ = 0;
    const LinkId l = active_links_[sweep_++];
    LinkState& link = links_[l];
    if (link.group != kNotInHeap || link_flows_[l].size() < 2) continue;
    const double load = link_load(l);
    if (load < kIdle * link.capacity) make_dormant(l, load);
  }
}

// The drift only grows; before it leaves the range of a double, it and everything kept in
// its units are rescaled together.
void NetworkSim::grow_drift(double factor) {
  drift_ *= factor;
  if (drift_ < 1e100) return;
  const double scale = drift_;
  drift_ = 1;
  // Only a dormant link with a bound is read in these units, and every such link is in
  // checks_ (schedule_check); any other bound is overwritten before it is read again.
  for (const LinkId l : checks_.ids()) {
    links_[l].bound *= scale;
    check_trigger_[l] /= scale;  // the order stays
  }
}

void NetworkSim::make_dormant(LinkId l, double load) {
  demote(l);
  links_[l].bound = load / drift_;
  schedule_check(l);
}

// The bound times drift_ reaches kCheckAt x capacity when drift_ reaches the trigger.
void NetworkSim::schedule_check(LinkId l) {
  const LinkState& link = links_[l];
  if (mode_[l] != LinkMode::Dormant || link.bound <= 0) {
    unschedule_check(l);
    return;
  }
  check_trigger_[l] = kCheckAt * link.capacity / link.bound;
  if (checks_.contains(l))
    checks_.update(l);
  else
    checks_.push(l);
}

void NetworkSim::unschedule_check(LinkId l) {
  if (checks_.contains(l)) checks_.erase(l);
}

// Dormant links whose bound may have reached kCheckAt of capacity are checked exactly: below
// it they get a fresh bound; above it they become active, and one that the last solve pushed
// over capacity is re-solved.
void NetworkSim::check_dormant_links(const std::vector<FlowId>& arrivals) {
  for (FlowId id : arrivals) {
    const Flow& f = flows_[id];
    if (!f.active || f.cls == kNotInHeap) continue;
    const double rate = rate_of(f);
    for (const auto& [l, w] : f.load())
      if (mode_[l] == LinkMode::Dormant) {
        links_[l].bound += w * rate / drift_;
        schedule_check(l);
      }
  }
  for (;;) {
    seeds_scratch_.clear();
    while (!checks_.empty() && check_trigger_[checks_.top()] <= drift_) {
      const LinkId l = checks_.top();
      LinkState& link = links_[l];
      if (mode_[l] != LinkMode::Dormant) {  // every mode change unschedules; kept as a guard
        checks_.pop();
        continue;
      }
      const double load = dormant_load(l);
      if (load < kCheckAt * link.capacity * (1 - 1e-9)) {
        link.bound = load / drift_;
        schedule_check(l);  // re-keyed where it stands: its trigger only moves later
        continue;
      }
      checks_.pop();
      promote(l);
      if (load > link.capacity * (1 + 1e-12)) seeds_scratch_.push_back(l);
    }
    if (seeds_scratch_.empty()) return;
    changed_scratch_.assign(pending_groups_.begin(), pending_groups_.end());
    pending_groups_.clear();
    std::vector<LinkId> seeds;
    seeds.swap(seeds_scratch_);
    solve(seeds, changed_scratch_);
    seeds.clear();
    if (seeds_scratch_.empty()) seeds_scratch_.swap(seeds);
  }
}

}  // namespace dcsim::network
