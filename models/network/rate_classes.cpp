// Rate classes: transfers with the same active links (and weights on them) and the same cap
// share one rate in any max-min solution, so they share one record (network_sim.hpp).
// This file keeps classes consistent as transfers come and go and as links change mode:
// the class table, each class's virtual clock and member heap, and the rows (classes per
// active link) the solver reads.
#include <algorithm>
#include <bit>
#include <cmath>

#include "models/network/network_sim.hpp"

namespace dcsim::network {
namespace {
constexpr std::uint32_t kEmpty = ~0u;
constexpr std::uint32_t kTombstone = ~0u - 1;

std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
template <class Key>
std::uint64_t hash_key(const Key& key, double cap) {
  std::uint64_t h = mix(std::bit_cast<std::uint64_t>(cap));
  for (const auto& e : key) h = mix(h ^ (std::uint64_t(std::uint32_t(e.link)) * 0x100000001b3ull) ^
                                    mix(std::bit_cast<std::uint64_t>(e.weight)));
  return h;
}
}  // namespace

std::size_t NetworkSim::RateClass::key_index(LinkId l) const {
  const auto it = std::lower_bound(key.begin(), key.end(), l, [](const ClassKeyLink& e, LinkId x) { return e.link < x; });
  return static_cast<std::size_t>(it - key.begin());
}

// ---- the class table: open addressing on the key's hash ------------------------------------

NetworkSim::ClassId NetworkSim::table_find(const std::vector<ClassKeyLink>& key, double cap, std::uint64_t h) const {
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = h & mask; table_[i] != kEmpty; i = (i + 1) & mask) {
    const std::uint32_t e = table_[i];
    if (e == kTombstone) continue;
    const RateClass& c = classes_[e];
    if (c.hash == h && hot_[e].cap == cap && c.key == key) return e;
  }
  return kNotInHeap;
}

void NetworkSim::table_insert(ClassId id) {
  if ((table_used_ + 1) * 10 > table_.size() * 7) {
    // Grow, or just sweep the tombstones: re-insert the live classes.
    const std::size_t size = std::max<std::size_t>(64, std::bit_ceil((live_classes_ + 1) * 3));
    table_.assign(size, kEmpty);
    table_used_ = 0;
    for (ClassId c = 0; c < classes_.size(); ++c)
      if (classes_[c].live && c != id) place(c);
  }
  place(id);
}

void NetworkSim::place(ClassId id) {
  const std::size_t mask = table_.size() - 1;
  std::size_t i = classes_[id].hash & mask;
  while (table_[i] != kEmpty && table_[i] != kTombstone) i = (i + 1) & mask;
  if (table_[i] == kEmpty) ++table_used_;
  table_[i] = id;
}

void NetworkSim::table_erase(ClassId id) {
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = classes_[id].hash & mask;; i = (i + 1) & mask)
    if (table_[i] == id) {
      table_[i] = kTombstone;
      return;
    }
}

NetworkSim::ClassId NetworkSim::find_or_make_class(std::vector<ClassKeyLink>& key, double cap, double inherit_rate) {
  const std::uint64_t h = hash_key(key, cap);
  if (const ClassId found = table_find(key, cap, h); found != kNotInHeap) return found;
  ClassId id;
  if (!free_classes_.empty()) {
    id = free_classes_.back();
    free_classes_.pop_back();
  } else {
    id = static_cast<ClassId>(classes_.size());
    classes_.emplace_back();
    hot_.emplace_back();
    clocks_.emplace_back();
  }
  RateClass& c = classes_[id];
  c.key.assign(key.begin(), key.end());
  c.hash = h;
  c.members.rebind(MemberAccess{&flows_});
  c.class_load.fill(0.0);
  c.live = true;
  hot_[id] = {inherit_rate, 0.0, cap, 0, 0};
  clocks_[id] = {0.0, 0.0, sim_.now()};
  ++live_classes_;
  table_insert(id);
  add_row_entries(id);
  return id;
}

void NetworkSim::release_class(ClassId id) {
  RateClass& c = classes_[id];
  table_erase(id);
  for (std::size_t i = c.key.size(); i-- > 0;) remove_row_entry(id, i);
  finishes_.set(id, Time::max());
  c.live = false;
  --live_classes_;
  free_classes_.push_back(id);
}

// ---- rows: the classes crossing each active link ------------------------------------------

void NetworkSim::add_row_entries(ClassId id) {
  RateClass& c = classes_[id];
  c.row_pos.resize(c.key.size());
  for (std::size_t i = 0; i < c.key.size(); ++i) {
    auto& row = links_[c.key[i].link].row;
    c.row_pos[i] = static_cast<std::uint32_t>(row.size());
    row.push_back({id, c.key[i].weight});
  }
}

void NetworkSim::remove_row_entry(ClassId id, std::size_t i) {
  RateClass& c = classes_[id];
  const LinkId l = c.key[i].link;
  auto& row = links_[l].row;
  const std::uint32_t at = c.row_pos[i];
  row[at] = row.back();
  row.pop_back();
  if (at < row.size()) {
    RateClass& moved = classes_[row[at].cls];
    moved.row_pos[moved.key_index(l)] = at;
  }
}

// ---- clocks and timing --------------------------------------------------------------------

void NetworkSim::advance_clock(ClassId id) {
  ClassClock& k = clocks_[id];
  const Time now = sim_.now();
  if (now != k.at) {
    k.clock += hot_[id].rate * (now - k.at).seconds();
    k.at = now;
  }
}

double NetworkSim::remaining(const Flow& f) const {
  const ClassClock& k = clocks_[f.cls];
  const double clock = k.clock + hot_[f.cls].rate * (sim_.now() - k.at).seconds();
  return std::max(0.0, f.key - clock);
}

// The class's next finish: when its first member's last byte leaves at the current rate.
void NetworkSim::retime(ClassId id) {
  const double rate = hot_[id].rate;
  Time next = Time::max();
  if (hot_[id].n > 0 && rate > 0) {
    advance_clock(id);
    const double left = std::max(0.0, clocks_[id].head - clocks_[id].clock);
    next = sim_.now() + Time::from_seconds(left / rate);
  }
  finishes_.set(id, next);
}

void NetworkSim::set_rate(ClassId id, double rate) {
  advance_clock(id);
  const RateClass& c = classes_[id];
  const double delta = rate - hot_[id].rate;
  for (int k = 0; k < kLinkClassCount; ++k) class_load_[k] += delta * c.class_load[k];
  hot_[id].rate = rate;
  retime(id);
}

void NetworkSim::add_member(ClassId id, FlowId f, double left) {
  RateClass& c = classes_[id];
  Flow& flow = flows_[f];
  advance_clock(id);
  flow.key = clocks_[id].clock + left;
  flow.cls = id;
  c.members.push(f);
  hot_[id].n += 1;
  clocks_[id].head = flows_[c.members.top()].key;
  const double rate = hot_[id].rate;
  for (int k = 0; k < kLinkClassCount; ++k) {
    c.class_load[k] += flow.prep->class_load[k];
    class_load_[k] += rate * flow.prep->class_load[k];
  }
  retime(id);
}

void NetworkSim::remove_member(ClassId id, FlowId f) {
  RateClass& c = classes_[id];
  Flow& flow = flows_[f];
  c.members.erase(f);
  hot_[id].n -= 1;
  const double rate = hot_[id].rate;
  for (int k = 0; k < kLinkClassCount; ++k) {
    c.class_load[k] -= flow.prep->class_load[k];
    class_load_[k] -= rate * flow.prep->class_load[k];
  }
  flow.cls = kNotInHeap;
  if (c.members.empty()) {
    release_class(id);
    return;
  }
  clocks_[id].head = flows_[c.members.top()].key;
  retime(id);
}

void NetworkSim::move_flow(FlowId f, ClassId to) {
  const ClassId from = flows_[f].cls;
  if (from == to) return;
  const double left = remaining(flows_[f]);
  remove_member(from, f);
  add_member(to, f, left);
}

// ---- keys follow link modes ---------------------------------------------------------------

NetworkSim::ClassId NetworkSim::class_for(FlowId f) {
  key_scratch_.clear();
  for (const auto& [l, w] : flows_[f].load())
    if (links_[l].mode == LinkMode::Active) key_scratch_.push_back({l, w});
  return find_or_make_class(key_scratch_, flows_[f].prep->max_rate, 0.0);
}

// The link may bind from now on: every transfer crossing it moves to the class whose key
// adds the link. Rates do not change (the link was not binding), so no solve is needed here.
void NetworkSim::promote(LinkId l) {
  LinkState& link = links_[l];
  link.mode = LinkMode::Active;
  ++link.bound_version;
  for (const LinkFlow& lf : links_[l].flows) {
    const FlowId f = lf.flow;
    if (flows_[f].cls == kNotInHeap) continue;  // arriving now: keyed once all its links are attached
    const ClassId from = flows_[f].cls;
    key_scratch_.assign(classes_[from].key.begin(), classes_[from].key.end());
    const ClassKeyLink add{l, flows_[f].load()[lf.k].second};
    key_scratch_.insert(std::lower_bound(key_scratch_.begin(), key_scratch_.end(), add,
                                         [](const ClassKeyLink& a, const ClassKeyLink& b) { return a.link < b.link; }),
                        add);
    const ClassId to = find_or_make_class(key_scratch_, hot_[from].cap, hot_[from].rate);
    move_flow(f, to);
  }
}

// The link cannot bind (a single transfer, or load far below capacity): it leaves every
// class key. Classes that then have equal keys merge; their rates are equal already.
void NetworkSim::demote(LinkId l) {
  LinkState& link = links_[l];
  // Each re-key removes the class's entry from this row, so take from the back.
  while (!link.row.empty()) rekey_without(link.row.back().cls, l);
  link.mode = link.flows.size() >= 2 ? LinkMode::Dormant : LinkMode::Private;
  ++link.bound_version;
}

void NetworkSim::rekey_without(ClassId id, LinkId l) {
  RateClass& c = classes_[id];
  const std::size_t i = c.key_index(l);
  key_scratch_.assign(c.key.begin(), c.key.end());
  key_scratch_.erase(key_scratch_.begin() + std::ptrdiff_t(i));
  // An existing class with the shorter key takes the members.
  const std::uint64_t h = hash_key(key_scratch_, hot_[id].cap);
  if (const ClassId into = table_find(key_scratch_, hot_[id].cap, h); into != kNotInHeap) {
    // Members that speed up by joining count in the drift that bounds dormant links' load.
    const double from_rate = hot_[id].rate, to_rate = hot_[into].rate;
    if (from_rate > 0 && to_rate > from_rate) grow_drift(to_rate / from_rate);
    while (!classes_[id].members.empty()) move_flow(classes_[id].members.top(), into);  // releases id at the end
    return;
  }
  // Otherwise the class drops the link from its key and keeps its members.
  table_erase(id);
  remove_row_entry(id, i);
  c.key.erase(c.key.begin() + std::ptrdiff_t(i));
  c.row_pos.erase(c.row_pos.begin() + std::ptrdiff_t(i));
  c.hash = h;
  table_insert(id);
}

}  // namespace dcsim::network
