// Bottleneck groups: progressive filling freezes every class still free on a link at that
// link's level, so all classes a link bottlenecks share one rate; likewise classes at equal
// caps. A group holds that rate, one virtual clock for all its classes, its classes in a heap
// by their next finish, and its column of the bottleneck structure: its weight on each
// active link (mirrored, per link, in the link's group row). A change re-times groups,
// not classes (network_sim.hpp).
#include <algorithm>
#include <bit>
#include <limits>

#include "models/network/network_sim.hpp"

namespace dcsim::network {
NetworkSim::GroupId NetworkSim::make_group(LinkId link, double cap, bool by_cap, double rate) {
  GroupId id;
  if (!free_groups_.empty()) {
    id = free_groups_.back();
    free_groups_.pop_back();
  } else {
    id = static_cast<GroupId>(groups_.size());
    groups_.emplace_back();
    ghot_.emplace_back();
  }
  Group& g = groups_[id];
  g.link = link;
  g.cap = cap;
  g.by_cap = by_cap;
  g.column.clear();
  g.classes.rebind(ClassAccess{&classes_});
  g.class_load.fill(0.0);
  g.clock = 0;
  g.clock_at = sim_.now();
  g.min_cap = std::numeric_limits<double>::infinity();
  g.min_cap_stale = false;
  g.nclasses = 0;
  g.members = 0;
  g.live = true;
  g.private_valid = false;
  ghot_[id] = {rate, 0, 0};
  if (link != kNoLink) links_[link].group = id;
  if (by_cap) cap_groups_.set(std::bit_cast<std::uint64_t>(cap), id);
  return id;
}

NetworkSim::GroupId NetworkSim::group_of_link(LinkId l, double rate) {
  if (links_[l].group != kNotInHeap) return links_[l].group;
  return make_group(l, 0, false, rate);
}

NetworkSim::GroupId NetworkSim::group_of_cap(double cap) {
  const std::uint32_t found = cap_groups_.find(std::bit_cast<std::uint64_t>(cap));
  if (found != FlatMap64::kMissing) return found;
  return make_group(kNoLink, cap, true, cap);
}

void NetworkSim::release_group(GroupId id) {
  Group& g = groups_[id];
  if (g.link != kNoLink) links_[g.link].group = kNotInHeap;
  if (g.by_cap) cap_groups_.erase(std::bit_cast<std::uint64_t>(g.cap));
  finishes_.set(id, Time::max());
  g.live = false;
  free_groups_.push_back(id);
}

// The (link, group) entry of a class joining the group on that link: created with the
// first class, shared by the rest, gone with the last.
std::uint32_t NetworkSim::acquire_entry(GroupId gid, LinkId l) {
  // A link's row holds the few groups crossing it: a scan beats hashing.
  std::uint32_t e = FlatMap64::kMissing;
  for (const GroupRowEntry& r : links_[l].grow)
    if (r.group == gid) {
      e = r.entry;
      break;
    }
  if (e == FlatMap64::kMissing) {
    if (!free_entries_.empty()) {
      e = free_entries_.back();
      free_entries_.pop_back();
    } else {
      e = static_cast<std::uint32_t>(entries_.size());
      entries_.emplace_back();
    }
    Group& g = groups_[gid];
    LinkState& link = links_[l];
    entries_[e] = {l, gid, 0.0, 0, static_cast<std::uint32_t>(g.column.size()), static_cast<std::uint32_t>(link.grow.size())};
    g.column.push_back({l, e, 0.0});
    link.grow.push_back({gid, 0.0, e});
    if (++brief_[l].groups == 2) groups_[link.grow.front().group].private_valid = false;  // no longer its alone
  }
  groups_[gid].column[entries_[e].col_pos].classes = ++entries_[e].classes;
  groups_[gid].private_valid = false;
  return e;
}

void NetworkSim::release_entry(std::uint32_t e) {
  Entry& entry = entries_[e];
  groups_[entry.group].private_valid = false;
  Group& g = groups_[entry.group];
  g.column[entry.col_pos].classes = --entry.classes;
  if (entry.classes > 0) return;
  // Gone: swap-remove from the column and the row.
  LinkState& link = links_[entry.link];
  g.column[entry.col_pos] = g.column.back();
  g.column.pop_back();
  if (entry.col_pos < g.column.size()) entries_[g.column[entry.col_pos].entry].col_pos = entry.col_pos;
  link.grow[entry.row_pos] = link.grow.back();
  link.grow.pop_back();
  if (--brief_[entry.link].groups == 1) groups_[link.grow.front().group].private_valid = false;  // now its alone
  if (entry.row_pos < link.grow.size()) entries_[link.grow[entry.row_pos].entry].row_pos = entry.row_pos;
  free_entries_.push_back(e);
}

void NetworkSim::add_entry_weight(std::uint32_t e, double weight) {
  Entry& entry = entries_[e];
  // (The private-link flags stay: a member joining or leaving a class scales its weight on
  // every link of its key alike, which keeps the order of their levels; every other weight
  // change comes with acquire_entry or release_entry.)
  entry.weight += weight;
  groups_[entry.group].column[entry.col_pos].weight = entry.weight;
  links_[entry.link].grow[entry.row_pos].weight = entry.weight;
}

void NetworkSim::join_group(ClassId cid, GroupId gid, double clock) {
  RateClass& c = classes_[cid];
  Group& g = groups_[gid];
  advance_clock(gid);
  c.group = gid;
  class_group_[cid] = gid;
  c.offset = clock - g.clock;
  ++g.nclasses;
  g.members += c.n;
  c.entries.resize(c.key.size());
  for (std::size_t i = 0; i < c.key.size(); ++i) {
    c.entries[i] = acquire_entry(gid, c.key[i].link);
    add_entry_weight(c.entries[i], c.key[i].weight * c.n);
  }
  const double rate = ghot_[gid].rate;
  for (int k = 0; k < kLinkClassCount; ++k) {
    groups_[gid].class_load[k] += c.class_load[k];
    class_load_[k] += rate * c.class_load[k];
  }
  Group& gg = groups_[gid];
  if (!gg.min_cap_stale) gg.min_cap = std::min(gg.min_cap, c.cap);
  update_head(cid);
}

void NetworkSim::leave_group(ClassId cid) {
  RateClass& c = classes_[cid];
  const GroupId gid = c.group;
  Group& g = groups_[gid];
  for (std::size_t i = 0; i < c.key.size(); ++i) {
    add_entry_weight(c.entries[i], -c.key[i].weight * c.n);
    release_entry(c.entries[i]);
  }
  const double rate = ghot_[gid].rate;
  for (int k = 0; k < kLinkClassCount; ++k) {
    g.class_load[k] -= c.class_load[k];
    class_load_[k] -= rate * c.class_load[k];
  }
  if (c.group_pos != kNotInHeap) g.classes.erase(cid);
  if (c.cap <= g.min_cap) g.min_cap_stale = true;
  g.members -= c.n;
  c.group = kNotInHeap;
  class_group_[cid] = kNotInHeap;
  if (--g.nclasses == 0)
    release_group(gid);
  else
    retime(gid);
}

// Keeps the class's clock (so its members' finish keys stay valid) across the move.
void NetworkSim::move_class(ClassId cid, GroupId to) {
  if (classes_[cid].group == to) return;
  const double clock = class_clock(cid);
  leave_group(cid);
  join_group(cid, to, clock);
}

void NetworkSim::advance_clock(GroupId gid) {
  Group& g = groups_[gid];
  const Time now = sim_.now();
  if (now != g.clock_at) {
    g.clock += ghot_[gid].rate * (now - g.clock_at).seconds();
    g.clock_at = now;
  }
}

double NetworkSim::class_clock(ClassId cid) const {
  const RateClass& c = classes_[cid];
  const Group& g = groups_[c.group];
  return g.clock + ghot_[c.group].rate * (sim_.now() - g.clock_at).seconds() + c.offset;
}

void NetworkSim::set_group_rate(GroupId gid, double rate) {
  advance_clock(gid);
  const double delta = rate - ghot_[gid].rate;
  for (int k = 0; k < kLinkClassCount; ++k) class_load_[k] += delta * groups_[gid].class_load[k];
  ghot_[gid].rate = rate;
  retime(gid);
}

// The class's first member's finish, on its group's clock.
void NetworkSim::update_head(ClassId cid) {
  RateClass& c = classes_[cid];
  Group& g = groups_[c.group];
  if (c.members.empty()) {
    if (c.group_pos != kNotInHeap) g.classes.erase(cid);
  } else {
    c.group_key = flows_[c.members.top()].key - c.offset;
    if (c.group_pos == kNotInHeap)
      g.classes.push(cid);
    else
      g.classes.update(cid);
  }
  retime(c.group);
}

// The group's next finish: when its first class's first member's last byte leaves.
void NetworkSim::retime(GroupId gid) {
  Group& g = groups_[gid];
  const double rate = ghot_[gid].rate;
  Time next = Time::max();
  if (!g.classes.empty() && rate > 0) {
    advance_clock(gid);
    const double left = std::max(0.0, classes_[g.classes.top()].group_key - g.clock);
    next = sim_.now() + Time::from_seconds(left / rate);
  }
  finishes_.set(gid, next);
}

double NetworkSim::min_cap(GroupId gid) {
  Group& g = groups_[gid];
  if (g.min_cap_stale) {
    g.min_cap = std::numeric_limits<double>::infinity();
    for (ClassId c : g.classes.ids()) g.min_cap = std::min(g.min_cap, classes_[c].cap);
    g.min_cap_stale = false;
  }
  return g.min_cap;
}

}  // namespace dcsim::network
