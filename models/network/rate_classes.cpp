// Rate classes: transfers with the same active links (and weights on them) and the same cap
// share one rate in any max-min solution, so they share one record (network_sim.hpp).
// This file keeps classes consistent as transfers come and go and as links change mode:
// the class table, each class's member heap, and the rows (classes per active link) that
// re-keying reads. Each class sits in one bottleneck group (bottleneck_groups.cpp), which
// holds its rate and clock.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

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
// A key's hash is its cap's plus one term per link, summed: adding or dropping a link updates
// it in constant time, which matters for transfers of hundreds of links (a ring across
// servers) re-keyed whenever one of their links becomes shared or private again.
template <class KeyLink>
std::uint64_t key_term(const KeyLink& e) {
  return mix((std::uint64_t(std::uint32_t(e.link)) * 0x100000001b3ull) ^ mix(std::bit_cast<std::uint64_t>(e.weight)));
}
template <class Key>
std::uint64_t hash_key(const Key& key, double cap) {
  std::uint64_t h = mix(std::bit_cast<std::uint64_t>(cap));
  for (const auto& e : key) h += key_term(e);
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
    if (c.hash == h && c.cap == cap && c.key == key) return e;
  }
  return kNotInHeap;
}

// The class with hash h and cap whose key `same` accepts (checked only on a hash match).
template <class Same>
NetworkSim::ClassId NetworkSim::table_find_if(std::uint64_t h, double cap, Same same) const {
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = h & mask; table_[i] != kEmpty; i = (i + 1) & mask) {
    const std::uint32_t e = table_[i];
    if (e == kTombstone) continue;
    const RateClass& c = classes_[e];
    if (c.hash == h && c.cap == cap && same(c.key)) return e;
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

// The class with this key, or a new one placed in `group` (a new group of its own when
// kNotInHeap: a class nobody has solved yet).
NetworkSim::ClassId NetworkSim::find_or_make_class(std::vector<ClassKeyLink>& key, double cap, GroupId group) {
  const std::uint64_t h = hash_key(key, cap);
  if (const ClassId found = table_find(key, cap, h); found != kNotInHeap) return found;
  ClassId id;
  if (!free_classes_.empty()) {
    id = free_classes_.back();
    free_classes_.pop_back();
  } else {
    id = static_cast<ClassId>(classes_.size());
    classes_.emplace_back();
    class_group_.push_back(kNotInHeap);
  }
  RateClass& c = classes_[id];
  c.key.assign(key.begin(), key.end());
  c.hash = h;
  c.cap = cap;
  c.n = 0;
  c.members.rebind(MemberAccess{&flows_});
  c.class_load.fill(0.0);
  c.group = kNotInHeap;
  class_group_[id] = kNotInHeap;
  c.group_pos = kNotInHeap;
  c.offset = 0;
  c.group_key = 0;
  c.split = 0;
  c.live = true;
  ++live_classes_;
  table_insert(id);
  add_row_entries(id);
  if (group == kNotInHeap) group = likely_group(id);
  join_group(id, group, 0.0);
  return id;
}

// Where a new class will most likely freeze: the group of its link with the lowest level, or
// its cap's group when the cap is lower still. The solve that follows moves it if not.
NetworkSim::GroupId NetworkSim::likely_group(ClassId id) {
  const RateClass& c = classes_[id];
  GroupId best = kNotInHeap;
  double lowest = c.cap;
  for (const ClassKeyLink& e : c.key) {
    const GroupId g = links_[e.link].group;
    if (g != kNotInHeap && ghot_[g].rate < lowest) {
      lowest = ghot_[g].rate;
      best = g;
    }
  }
  return best != kNotInHeap ? best : group_of_cap(c.cap);
}

void NetworkSim::release_class(ClassId id) {
  RateClass& c = classes_[id];
  leave_group(id);
  table_erase(id);
  for (std::size_t i = c.key.size(); i-- > 0;) remove_row_entry(id, i);
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

// ---- members ------------------------------------------------------------------------------

double NetworkSim::remaining(const Flow& f) const {
  if (f.lone) return std::max(0.0, f.key - cap_of(f) * (sim_.now() - f.lone_since).seconds());
  return std::max(0.0, f.key - class_clock(f.cls));
}

void NetworkSim::add_member(ClassId id, FlowId f, double left) {
  RateClass& c = classes_[id];
  Flow& flow = flows_[f];
  const GroupId g = c.group;
  advance_clock(g);
  flow.key = groups_[g].clock + c.offset + left;
  flow.cls = id;
  for (const auto& [l, w] : flow.load())
    if (mode_[l] == LinkMode::Dormant) dormant_add(l, id, w, 1);
  c.members.push(f);
  c.n += 1;
  groups_[g].members += 1;
  for (std::size_t i = 0; i < c.key.size(); ++i) add_entry_weight(c.entries[i], c.key[i].weight);
  const double rate = ghot_[g].rate;
  for (int k = 0; k < kLinkClassCount; ++k) {
    c.class_load[k] += flow.prep->class_load[k];
    groups_[g].class_load[k] += flow.prep->class_load[k];
    class_load_[k] += rate * flow.prep->class_load[k];
  }
  update_head(id);
}

void NetworkSim::remove_member(ClassId id, FlowId f) {
  RateClass& c = classes_[id];
  Flow& flow = flows_[f];
  const GroupId g = c.group;
  c.members.erase(f);
  c.n -= 1;
  for (const auto& [l, w] : flow.load())
    if (mode_[l] == LinkMode::Dormant) dormant_add(l, id, -w, -1);
  groups_[g].members -= 1;
  flow.cls = kNotInHeap;
  for (std::size_t i = 0; i < c.key.size(); ++i) add_entry_weight(c.entries[i], -c.key[i].weight);
  const double rate = ghot_[g].rate;
  for (int k = 0; k < kLinkClassCount; ++k) {
    c.class_load[k] -= flow.prep->class_load[k];
    groups_[g].class_load[k] -= flow.prep->class_load[k];
    class_load_[k] -= rate * flow.prep->class_load[k];
  }
  if (c.members.empty()) {  // the class goes with its last member
    release_class(id);
    return;
  }
  update_head(id);
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
    if (mode_[l] == LinkMode::Active) key_scratch_.push_back({l, w});
  return find_or_make_class(key_scratch_, cap_of(flows_[f]), kNotInHeap);
}

// The link may bind from now on: every transfer crossing it moves to the class whose key
// adds the link, in the same group. Rates do not change (the link was not binding), so no
// solve is needed here.
void NetworkSim::promote(LinkId l) {
  LinkState& link = links_[l];
  mode_[l] = LinkMode::Active;
  link.drow.clear();
  unschedule_check(l);
  link.active_pos = static_cast<std::uint32_t>(active_links_.size());
  active_links_.push_back(l);
  for (const LinkFlow& lf : link_flows_[l]) {
    const FlowId f = lf.flow;
    if (flows_[f].lone) {
      join_classes(f);
      continue;
    }
    if (flows_[f].cls == kNotInHeap) continue;  // arriving now: keyed once all its links are attached
    const ClassId from = flows_[f].cls;
    const RateClass& c = classes_[from];
    const ClassKeyLink add{l, lf.weight};
    const std::size_t at = c.key_index(l);
    if (at < c.key.size() && c.key[at].link == l) continue;  // its whole class took the link already
    const std::uint64_t h = c.hash + key_term(add);
    // The key with `add` inserted at `at`, compared without building it.
    const ClassId to = table_find_if(h, c.cap, [&](const std::vector<ClassKeyLink>& k) {
      return k.size() == c.key.size() + 1 && std::equal(c.key.begin(), c.key.begin() + std::ptrdiff_t(at), k.begin()) &&
             k[at] == add && std::equal(c.key.begin() + std::ptrdiff_t(at), c.key.end(), k.begin() + std::ptrdiff_t(at) + 1);
    });
    if (to != kNotInHeap) {
      move_flow(f, to);
    } else if (c.n == 1 || whole_class_crosses(l, from, lf.weight)) {
      rekey_with(from, add, h);  // a class all of whose members cross it: edit its key in place
    } else {
      key_scratch_.assign(c.key.begin(), c.key.end());
      key_scratch_.insert(key_scratch_.begin() + std::ptrdiff_t(at), add);
      move_flow(f, find_or_make_class(key_scratch_, c.cap, c.group));
    }
  }
}

// Whether every member of class `id` crosses link l with weight w. Counting costs a pass
// over the link's transfers, so it is done only when moving the members one by one would
// cost more (long transfers: two rings of hundreds of links with one key, as the rails'
// rings of a folded collective are).
bool NetworkSim::whole_class_crosses(LinkId l, ClassId id, double w) const {
  const RateClass& c = classes_[id];
  const auto& crossing = link_flows_[l];
  const std::size_t move_cost = std::size_t(c.n) * flows_[c.members.top()].load().size();
  if (crossing.size() > move_cost) return false;
  std::size_t n = 0;
  for (const LinkFlow& lf : crossing)
    if (flows_[lf.flow].cls == id && lf.weight == w) ++n;
  return n == std::size_t(c.n);
}

// The class's members all cross link e.link, which becomes active: the link joins its key,
// its row and its group's column, as if the class had been made with it. Members, group,
// clock and rate stay: the link was not binding. (A class of hundreds of links re-made for
// every link that becomes shared was a third of the time on 10,752 GPUs.)
void NetworkSim::rekey_with(ClassId id, ClassKeyLink e, std::uint64_t hash) {
  RateClass& c = classes_[id];
  const std::size_t i = c.key_index(e.link);
  const auto at = [i](auto& v) { return v.begin() + std::ptrdiff_t(i); };
  table_erase(id);
  c.key.insert(at(c.key), e);
  c.hash = hash;
  table_insert(id);
  auto& row = links_[e.link].row;
  c.row_pos.insert(at(c.row_pos), static_cast<std::uint32_t>(row.size()));
  row.push_back({id, e.weight});
  const std::uint32_t entry = acquire_entry(c.group, e.link);
  classes_[id].entries.insert(at(classes_[id].entries), entry);
  add_entry_weight(entry, e.weight * classes_[id].n);
}

// The link cannot bind (a single transfer, or load far below capacity): it leaves every
// class key. Classes that then have equal keys merge; their rates are equal already.
void NetworkSim::demote(LinkId l) {
  LinkState& link = links_[l];
  // Each re-key removes the class's entry from this row, so take from the back.
  while (!link.row.empty()) rekey_without(link.row.back().cls, l);
  mode_[l] = can_bind(l) ? LinkMode::Dormant : LinkMode::Private;
  // A dormant link keeps, per class crossing it, the weight of its members there: its load
  // is then summed over classes, not transfers.
  link.drow.clear();
  if (mode_[l] == LinkMode::Dormant)
    for (const LinkFlow& lf : link_flows_[l])
      if (flows_[lf.flow].cls != kNotInHeap) dormant_add(l, flows_[lf.flow].cls, lf.weight, 1);
  const LinkId last = active_links_.back();
  active_links_[link.active_pos] = last;
  links_[last].active_pos = link.active_pos;
  active_links_.pop_back();
  unschedule_check(l);
}

void NetworkSim::rekey_without(ClassId id, LinkId l) {
  RateClass& c = classes_[id];
  const std::size_t i = c.key_index(l);
  // An existing class with the shorter key takes the members.
  const std::uint64_t h = c.hash - key_term(c.key[i]);
  const ClassId into = table_find_if(h, c.cap, [&](const std::vector<ClassKeyLink>& k) {
    return k.size() + 1 == c.key.size() && std::equal(k.begin(), k.begin() + std::ptrdiff_t(i), c.key.begin()) &&
           std::equal(k.begin() + std::ptrdiff_t(i), k.end(), c.key.begin() + std::ptrdiff_t(i) + 1);
  });
  if (into != kNotInHeap) {
    // Members that speed up by joining count in the drift that bounds dormant links' load.
    const double from_rate = ghot_[c.group].rate, to_rate = ghot_[classes_[into].group].rate;
    if (from_rate > 0 && to_rate > from_rate) grow_drift(to_rate / from_rate);
    while (!classes_[id].members.empty()) move_flow(classes_[id].members.top(), into);  // releases id at the end
    merged_.push_back(into);
    return;
  }
  // Otherwise the class drops the link from its key and keeps its members. A class cannot
  // stay in the group of a link it no longer crosses: it waits in a group of its own for
  // the next solve.
  add_entry_weight(c.entries[i], -c.key[i].weight * c.n);
  release_entry(c.entries[i]);
  c.entries.erase(c.entries.begin() + std::ptrdiff_t(i));
  table_erase(id);
  remove_row_entry(id, i);
  c.key.erase(c.key.begin() + std::ptrdiff_t(i));
  c.row_pos.erase(c.row_pos.begin() + std::ptrdiff_t(i));
  c.hash = h;
  table_insert(id);
  if (groups_[c.group].link == l) {
    const GroupId fresh = make_group(kNoLink, 0, false, ghot_[c.group].rate);
    move_class(id, fresh);
    pending_groups_.push_back(fresh);
  }
}

}  // namespace dcsim::network
