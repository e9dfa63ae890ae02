#pragma once
// Moves bytes over a Fabric in simulated time.
//
// A transfer is a set of segments (source device -> destination device) that advance at one
// shared rate and each carry the same bytes: a single send is one segment; a ring collective
// is one transfer whose segments are the ring's edges (a pipelined ring runs at the pace of
// its slowest edge). A transfer finishes `latency` after its last byte leaves, where latency
// is `steps` times the longest segment's path latency (a ring of 2(n-1) steps pays the hop
// latency 2(n-1) times).
//
// Bandwidth sharing (docs/network.md):
//  - analytical: each transfer alone on the network: rate = min over links of
//    capacity / (the transfer's load on the link). No contention between transfers.
//  - flow: max-min fair sharing of every link among all active transfers (weighted
//    progressive filling), exact to rounding. With no link shared between transfers both
//    give the same times, to the nanosecond.
//
// How the flow model stays fast (docs/network.md, "Solver"):
//  - A link crossed by one transfer only caps that transfer (its isolated rate, max_rate).
//    A transfer whose links are all private runs at its cap until one of them may bind: it
//    stays out of classes and groups, its finish timed once (the lone lane: most pipeline
//    sends, network_sim.cpp).
//    A shared link is `active` (it may bind: it takes part in solves) or `dormant` (its
//    load is provably below capacity: a bound, scaled by how much any rate has grown since
//    the link was last checked, stays under 90 % of capacity; it is checked exactly when
//    the bound says it might not).
//  - Transfers with the same active links, weights and cap are one rate class; classes
//    frozen at the same link's level (or the same cap) are one bottleneck group, with one
//    rate and one virtual clock. Each transfer keeps the clock value at which it finishes,
//    so a rate change re-times a group, not its transfers.
//  - A change re-solves only the groups it can reach through saturated links (a rate
//    change cannot cross a link with spare capacity), widening the set until no group
//    outside it is treated unfairly; starts and ends at one instant are one change.
//    A change that provably moves no rate, or only one class's (an arrival that takes a
//    link's spare, a class whose bottleneck went to it alone), is settled without a solve.
//  - A transfer may stand for its images under permutations of GPU positions that leave
//    the fabric unchanged (MemberSymmetry): its loads fold onto link orbits.
//  - Identical transfers on disjoint links that no other transfer crosses (the rings inside
//    each server of a hierarchical collective) run as one batch while they stay alone: each
//    runs at its own cap, so one transfer of all their segments has their rate, times and
//    bytes. The first transfer to touch one of its links splits the batch into its parts,
//    each with the bytes it has left, before it joins (docs/network.md, "Batches").
#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "models/network/fabric.hpp"
#include "models/network/finish_queue.hpp"
#include "models/network/flat_map.hpp"
#include "models/network/indexed_heap.hpp"
#include "models/network/inline_list.hpp"
#include "models/power/binned_series.hpp"
#include "sim/inplace_callback.hpp"
#include "sim/simulator.hpp"

namespace dcsim::network {

enum class SharingModel { Analytical, Flow };

struct Segment {
  std::int64_t src = 0, dst = 0;
  bool operator==(const Segment&) const = default;
};

// A transfer's load on each link (segments x route shares, merged) and its longest path
// latency: computed once and reused by transfers that repeat the same segments.
struct PreparedTransfer {
  std::vector<std::pair<LinkId, double>> load;  // sorted by link
  std::array<double, kLinkClassCount> class_load{};  // the load summed per link class
  double max_rate = 0;  // alone on the network: min over its links of capacity / load
  double latency_s = 0;
  double segments = 0;
  double multiplicity = 1;  // identical transfers it stands for (symmetry)
  // Its side traffic's bytes not yet on its links: NetworkSim's slot for them, or kNoSlot.
  static constexpr std::uint32_t kNoSlot = ~0u;
  mutable std::uint32_t side_slot = kNoSlot;
};

// Identical traffic on every member of a group of GPUs: the transfer given stands for
// itself and its images under each permutation of GPU positions (Fabric::member_symmetric;
// docs/network.md, "Symmetry").
struct MemberSymmetry {
  std::vector<std::vector<int>> perms;  // every image but the identity
  // Every element but the identity of the group of permutations the whole traffic is
  // invariant under, when the images alone do not form a group (TP4 on eight rails: the
  // images are rotations by 1 to 3, the group all eight rotations); empty: `perms` is it.
  // Link orbits are taken under the group.
  std::vector<std::vector<int>> group;
  const std::vector<std::vector<int>>& orbit_perms() const { return group.empty() ? perms : group; }
};
using Prepared = std::shared_ptr<const PreparedTransfer>;

struct LinkStats {
  LinkId link;
  double bytes = 0;        // carried over the run
  double utilization = 0;  // bytes / (bandwidth x elapsed)
};

class NetworkSim {
 public:
  using Done = InplaceCallback;
  NetworkSim(Simulator& sim, Fabric& fabric, SharingModel model);
  ~NetworkSim();

  // Starts now. `bytes` per segment; `done` runs when the transfer has fully arrived.
  void start(const std::vector<Segment>& segments, double bytes, int steps, Done done);
  void start(Prepared prepared, double bytes, int steps, Done done);
  Prepared prepare(const std::vector<Segment>& segments, const MemberSymmetry* symmetry = nullptr);
  // One transfer standing for all of `parts` (start_batch), or null when they cannot run as
  // one: each must be link-disjoint from the others, with the same cap, latency and
  // multiplicity (symmetry folding).
  Prepared batch_of(const std::vector<Prepared>& parts) const;
  // Starts every part with `bytes` and `steps`; `done` runs when all have arrived. They run
  // as the batch `merged` (from batch_of) while none of its links carries anything else.
  void start_batch(std::shared_ptr<const std::vector<Prepared>> parts, Prepared merged, double bytes, int steps,
                   Done done);
  void set_batching(bool on) { batching_ = on; }  // off: start_batch starts the parts one by one
  std::uint64_t batches_split() const { return batches_split_; }
  // Traffic timed elsewhere (tensor-parallel collectives, which the compute model overlaps
  // with the GEMMs): it counts in the link statistics, bytes and utilization by class, at a
  // steady rate while it lasts, but takes no bandwidth from transfers (docs/network.md).
  void begin_side_traffic(const Prepared& p, double bytes_per_s);
  void end_side_traffic(const Prepared& p, double bytes_per_s, double seconds);
  // The time the transfer would take alone on the network (the analytical model's answer).
  double isolated_seconds(const std::vector<Segment>& segments, double bytes, int steps);
  // What isolated_seconds is made of: the transfer's rate alone (infinite when it crosses no
  // link) and its path latency per step.
  struct Isolated {
    double rate = 0, latency = 0;
    double seconds(double bytes, int steps) const;  // rounded as isolated_seconds rounds
  };
  Isolated isolated(const std::vector<Segment>& segments);  // remembered per segment list

  SharingModel model() const { return model_; }
  Fabric& fabric() { return fabric_; }
  std::size_t active_transfers() const { return active_; }
  std::uint64_t transfers_started() const { return started_; }
  std::uint64_t rate_recomputations() const { return recomputations_; }
  // Changes settled without a solve: provably no rate moved, or only one class's, set from
  // its links' spare capacity (max_min_solver.cpp).
  std::uint64_t solves_skipped() const { return skipped_; }
  std::uint64_t transfers_resolved() const { return resolved_; }  // summed over recomputations
  std::uint64_t groups_resolved() const { return groups_resolved_; }  // likewise, bottleneck groups
  std::size_t rate_classes() const { return live_classes_; }

  // Statistics up to now.
  // Finished transfers and ended side traffic (all after finish()).
  // A link that transfers leave out reports the bytes of the link that implies it.
  double link_bytes(LinkId l) const {
    const LinkId s = fabric_.stand_in(l);
    return link_bytes_[s] + side_bytes_[s];
  }
  double link_load(LinkId l) const;  // bytes/s currently carried
  std::vector<LinkStats> hottest_links(std::size_t k) const;
  double bytes_delivered() const { return delivered_; }  // per segment bytes x segments, finished transfers
  // Utilization of every link class over time (one signal per LinkClass); complete after finish().
  const power::BinnedSeriesSet& class_utilization() const { return class_series_; }
  double class_capacity(LinkClass c) const { return class_capacity_[static_cast<int>(c)]; }
  void finish();  // closes the statistics at now()
  // Checks the max-min invariants on the current rates: no link above capacity, and every
  // active transfer crosses a saturated link on which no transfer has a higher rate, or runs
  // at its own cap. Returns "" or a description of the first violation (tests call it
  // between events).
  std::string check_max_min() const;
  // The current rate of every active transfer, by start order (tests compare solvers).
  std::vector<std::pair<std::uint64_t, double>> rates() const;

  // The solver's queue entry: a link's level in the fill and the link, packed so that one
  // integer compare orders them as (level, link) (levels are never negative, and the bits of
  // non-negative doubles order as their values do).
  struct LevelEntry {
    __extension__ using Key = unsigned __int128;
    Key key;
    LevelEntry(double level, std::uint32_t link) : key(Key(std::bit_cast<std::uint64_t>(level)) << 32 | link) {}
    double level() const { return std::bit_cast<double>(std::uint64_t(key >> 32)); }
    std::uint32_t link() const { return std::uint32_t(key); }
  };

 private:
  using FlowId = std::uint32_t;
  using ClassId = std::uint32_t;
  using GroupId = std::uint32_t;
  static constexpr LinkId kNoLink = -1;
  enum class LinkMode : std::uint8_t { Private, Dormant, Active };

  struct Flow {
    Prepared prep;
    double bytes = 0;      // per segment
    double booked = 0;     // bytes per segment already added to link_bytes_ (by finish())
    double key = 0;        // its class's clock value at which its last byte leaves (lone: its bytes at lone_since)
    ClassId cls = kNotInHeap;
    std::uint32_t heap_pos = kNotInHeap;  // in its class's member heap
    std::uint64_t serial = 0;             // start order
    std::vector<std::uint32_t> slots;     // its index in each of its links' flow lists
    Time latency;
    Done done;
    std::shared_ptr<const std::vector<Prepared>> parts;  // a batch: what it stands for
    bool active = false;
    bool lone = false;  // in the lone lane: at its cap on private links, in no class
    Time lone_since;
    const std::vector<std::pair<LinkId, double>>& load() const { return prep->load; }
  };
  struct MemberAccess {
    std::vector<Flow>* flows = nullptr;
    const double& key(std::uint32_t f) const { return (*flows)[f].key; }
    std::uint32_t& pos(std::uint32_t f) const { return (*flows)[f].heap_pos; }
  };
  struct CheckAccess {
    std::vector<double>* trigger = nullptr;
    std::vector<std::uint32_t>* pos_of = nullptr;
    const double& key(std::uint32_t l) const { return (*trigger)[l]; }
    std::uint32_t& pos(std::uint32_t l) const { return (*pos_of)[l]; }
  };
  struct ClassKeyLink {
    LinkId link;
    double weight;  // per member
    bool operator==(const ClassKeyLink&) const = default;
  };
  // Transfers with the same active links (and weights on them) and cap: one rate in any
  // max-min solution (rate_classes.cpp).
  struct RateClass {
    std::vector<ClassKeyLink> key;       // active links, sorted
    std::vector<std::uint32_t> row_pos;  // its entry's index in each key link's class row
    std::vector<std::uint32_t> entries;  // its group's entry for each key link
    std::uint64_t hash = 0;
    double cap = 0;                      // members' isolated rate
    double n = 0;                        // members
    IndexedHeap<MemberAccess> members;   // by the clock value at which each finishes
    std::array<double, kLinkClassCount> class_load{};  // summed over members
    GroupId group = kNotInHeap;
    std::uint32_t group_pos = kNotInHeap;  // in its group's class heap
    double offset = 0;  // its clock = its group's clock + offset
    double group_key = 0;  // its first member's finish on its group's clock
    std::uint32_t split = 0;  // solver scratch
    bool live = false;
    std::size_t key_index(LinkId l) const;
  };
  struct ClassAccess {
    std::vector<RateClass>* classes = nullptr;
    const double& key(std::uint32_t c) const { return (*classes)[c].group_key; }
    std::uint32_t& pos(std::uint32_t c) const { return (*classes)[c].group_pos; }
  };
  // The classes that freeze at one link's level (or at one cap value, or, until the next
  // solve, a class that lost its link): one rate, one clock (bottleneck_groups.cpp).
  struct GroupHot {
    double rate = 0;
    std::uint32_t visit = 0, scratch = 0;
  };
  struct GroupLink {
    LinkId link;
    std::uint32_t entry;
    double weight;              // summed over its classes' members on the link
    std::uint32_t classes = 0;  // its entry's (mirrored: the solve reads it with the column)
    bool left_out = false;      // a private link that cannot bind first (valid with Group::private_valid)
  };
  struct Group {
    LinkId link = kNoLink;  // its bottleneck; kNoLink for cap groups and new classes
    double cap = 0;         // cap groups: the cap
    bool by_cap = false;
    std::vector<GroupLink> column;
    IndexedHeap<ClassAccess> classes;  // by their first member's finish on the group clock
    std::array<double, kLinkClassCount> class_load{};  // summed over its classes
    double clock = 0;  // bytes per segment served since creation
    Time clock_at;
    double min_cap = 0;
    double members = 0;  // transfers in its classes
    std::uint32_t nclasses = 0;
    bool min_cap_stale = false;
    bool live = false;
    // The column's left_out flags hold: nothing they depend on (its entries, their weights
    // and classes, which of its links another group crosses) changed since they were set.
    bool private_valid = false;
  };
  // One (link, group) pair of the bottleneck structure: the group's weight on the link and
  // how many of its classes cross it; mirrored in the group's column and the link's row.
  struct Entry {
    LinkId link;
    GroupId group;
    double weight = 0;
    std::uint32_t classes = 0, col_pos = 0, row_pos = 0;
  };
  struct RowEntry {
    ClassId cls;
    double weight;  // per member
  };
  struct GroupRowEntry {
    GroupId group;
    double weight;
    std::uint32_t entry;
  };
  struct LinkFlow {
    FlowId flow;
    std::uint32_t k;  // index in the flow's load
    double weight;
  };
  // Every active transfer crossing a link (in link_flows_, kept dense).
  struct alignas(64) LinkFlows : InlineList<LinkFlow, 3> {};
  static_assert(sizeof(LinkFlows) == 64, "a link's usual few transfers fill one cache line");
  struct DormantEntry {
    ClassId cls;
    double weight;  // of the class's members crossing the link
    std::uint32_t flows;
  };
  struct LinkState {
    double capacity = 0;
    std::vector<RowEntry> row;        // active links: the classes crossing it
    std::vector<GroupRowEntry> grow;  // active links: the groups crossing it
    std::vector<DormantEntry> drow;   // dormant links: the classes crossing it
    GroupId group = kNotInHeap;       // the group it bottlenecks, if any
    std::uint32_t active_pos = 0;     // in active_links_
    double bound = 0;                 // dormant: load bound divided by the drift at the time
    // Solver scratch: membership and position in the solve, and the load and top rate on it
    // before the solve.
    std::uint32_t visit = 0, pos = 0;
    double load = 0, top = 0;
  };

  // Transfers (network_sim.cpp).
  FlowId allocate_flow();
  FlowId start_flow(Prepared prepared, double bytes, Time latency, Done done);
  void split_batches_on(const PreparedTransfer& p);
  void split(FlowId batch);
  void attach_to_links(FlowId id);
  void detach_from_links(FlowId id, std::vector<LinkId>& seeds);
  void on_drain();
  void schedule_next_drain();
  void request_update();
  void update();
  void record_class_utilization();
  void book_finished(Flow& f);
  void apply_symmetry(PreparedTransfer& p, const std::vector<Segment>& segments, const MemberSymmetry& sym);
  double rate_of(const Flow& f) const;
  // The lone lane.
  bool runs_alone(const Flow& f) const;
  static double cap_of(const Flow& f);
  void start_lone(FlowId id);
  void leave_lone(FlowId id);
  void join_classes(FlowId id);
  double dormant_load(LinkId l) const;
  void dormant_add(LinkId l, ClassId c, double weight, int flows);

  // Rate classes (rate_classes.cpp).
  ClassId table_find(const std::vector<ClassKeyLink>& key, double cap, std::uint64_t hash) const;
  template <class Same>
  ClassId table_find_if(std::uint64_t hash, double cap, Same same) const;
  void table_insert(ClassId c);
  void place(ClassId c);
  void table_erase(ClassId c);
  ClassId class_for(FlowId f);
  ClassId find_or_make_class(std::vector<ClassKeyLink>& key, double cap, GroupId group);
  void release_class(ClassId c);
  GroupId likely_group(ClassId c);
  void add_member(ClassId c, FlowId f, double remaining);
  void remove_member(ClassId c, FlowId f);
  double remaining(const Flow& f) const;
  void move_flow(FlowId f, ClassId to);
  void add_row_entries(ClassId c);
  void remove_row_entry(ClassId c, std::size_t key_index);
  void promote(LinkId l);
  bool whole_class_crosses(LinkId l, ClassId id, double weight) const;
  void demote(LinkId l);
  void rekey_without(ClassId c, LinkId l);
  void rekey_with(ClassId c, ClassKeyLink e, std::uint64_t hash);

  // Bottleneck groups (bottleneck_groups.cpp).
  GroupId make_group(LinkId link, double cap, bool by_cap, double rate);
  GroupId group_of_link(LinkId l, double rate);
  GroupId group_of_cap(double cap);
  void release_group(GroupId g);
  void join_group(ClassId c, GroupId g, double clock);
  void leave_group(ClassId c);
  void move_class(ClassId c, GroupId to);
  std::uint32_t acquire_entry(GroupId g, LinkId l);
  void release_entry(std::uint32_t e);
  void add_entry_weight(std::uint32_t e, double weight);
  void advance_clock(GroupId g);
  double class_clock(ClassId c) const;
  void set_group_rate(GroupId g, double rate);
  void retime(GroupId g);
  void update_head(ClassId c);
  double min_cap(GroupId g);

  // The solver (max_min_solver.cpp).
  void solve(const std::vector<LinkId>& seeds, const std::vector<GroupId>& changed);
  void gather(const std::vector<LinkId>& seeds, const std::vector<GroupId>& changed);
  void add_group(GroupId g);
  void leave_out_private_links(Group& g);
  void expand();
  void pass_on(LinkId l, bool seed);
  void build_problem();
  void water_fill();
  void reset_fill();
  void progressive_fill();
  void freeze_group(std::uint32_t k, double level);
  void split_off(std::uint32_t k, LinkId at, double level, bool by_cap);
  std::uint32_t local_entry(std::uint32_t k, std::uint32_t i) const;
  double saturation_level(std::uint32_t i) const;
  bool admit_unfairly_treated();
  double active_load(LinkId l) const;
  bool arrivals_leave_rates(const std::vector<FlowId>& arrivals) const;
  bool departures_leave_rates(const std::vector<FlowId>& departed) const;
  struct Placement {
    ClassId cls;
    GroupId group;  // the group it joins; kNotInHeap: a new one at `link`, or its cap's
    LinkId link;    // kNoLink: its cap
    double rate;
  };
  bool settle_alone(ClassId cid, Placement& p) const;
  void apply_placement(const Placement& p, double& rise);
  bool place_arrival(FlowId id);
  bool place_regrouped(const std::vector<GroupId>& fresh, const std::vector<ClassId>& merged);
  void settle_without_solve(const std::vector<FlowId>& changed);
  void apply_rates();
  void check_dormant_links(const std::vector<FlowId>& arrivals);
  void schedule_check(LinkId l);
  void make_dormant(LinkId l, double load);
  void grow_drift(double factor);
  void sweep_idle_links();

  Simulator& sim_;
  Fabric& fabric_;
  SharingModel model_;
  std::vector<Flow> flows_;
  std::vector<FlowId> free_flows_;
  std::vector<RateClass> classes_;
  std::vector<ClassId> free_classes_;
  std::vector<GroupId> class_group_;  // each class's group, kept dense for the dormant-link checks
  std::vector<Group> groups_;
  std::vector<GroupHot> ghot_;
  std::vector<GroupId> free_groups_;
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> free_entries_;
  FlatMap64 cap_groups_;    // cap value -> group
  std::vector<LinkState> links_;
  // Each link's mode, kept dense: a transfer's start and end read the modes of all its links
  // (dozens for a pipeline send across a tree), and a LinkState spans three cache lines.
  std::vector<LinkMode> mode_;
  // Each link's transfers, one cache line per link for the usual few (InlineList).
  std::vector<LinkFlows> link_flows_;
  // What a transfer's start and end and the private-link pass read, kept dense (a LinkState
  // spans three cache lines; reading its capacity at every start was a tenth of a 16K-GPU
  // fat-tree run): capacity, how many groups cross the link (max_min_solver.cpp), and the
  // sum over its transfers of weight x cap. Its load can never pass that sum: a link whose
  // sum stays within capacity cannot bind, however many transfers share it (one alone
  // always; several queue pairs' shares of one NIC's rate on a spine link), and stays
  // private: out of every solve and every dormant check.
  struct LinkBrief {
    double capacity = 0;
    double cap_load = 0;
    std::uint32_t groups = 0;
  };
  bool can_bind(LinkId l) const { return brief_[l].cap_load > brief_[l].capacity * (1 + 1e-12); }
  std::vector<LinkBrief> brief_;
  std::vector<LinkId> active_links_;
  std::size_t sweep_ = 0;  // where the sweep for idle active links resumes
  FinishQueue finishes_;    // groups by their next finish
  FinishQueue lone_finishes_;  // lone transfers by their finish
  // Class lookup by key: open addressing on the key's hash (rate_classes.cpp).
  std::vector<ClassId> table_;
  std::size_t table_used_ = 0, live_classes_ = 0;

  // Dormant links: re-checked when drift_ x bound may exceed 90 % of capacity.
  double drift_ = 1;  // product over changes of the largest rate increase factor
  // One entry per dormant link, keyed by the drift at which its bound reaches the check.
  std::vector<double> check_trigger_;
  std::vector<std::uint32_t> check_pos_;
  IndexedHeap<CheckAccess> checks_;
  void unschedule_check(LinkId l);

  // Statistics.
  std::vector<double> link_bytes_;
  std::vector<double> side_bytes_;  // side traffic: booked on the real links, never mirrored
  // Side traffic's bytes per transfer, spread on its links at finish() (a TP ring's dozens
  // of links at every task's end were 5 % of a 16K-GPU run).
  std::vector<std::pair<Prepared, double>> side_pending_;
  // Links whose images carry the same bytes (symmetry), copied to them by finish().
  struct Mirror {
    LinkId link;
    std::vector<LinkId> images;
    double copied = 0;
  };
  std::vector<Mirror> mirrors_;
  std::vector<std::pair<double, double>> bundle_copied_;  // per fabric bundle: link and side bytes copied
  std::vector<std::uint8_t> mirrored_;
  // Per symmetry permutation, each link's image, filled as asked (kUnasked until then).
  static constexpr LinkId kUnasked = -2;
  std::map<std::vector<int>, std::vector<LinkId>> image_links_;
  std::vector<std::pair<const std::vector<int>*, std::vector<LinkId>*>> image_tables(const MemberSymmetry& sym);
  LinkId image_of(LinkId l, const std::pair<const std::vector<int>*, std::vector<LinkId>*>& table) const;
  std::vector<double> class_capacity_, class_load_;
  power::BinnedSeriesSet class_series_{kLinkClassCount, Time::us(100)};
  // The load last recorded and its instant: the series take each instant's last one (a
  // copy: the utilization is worked out once per instant, at the flush).
  std::array<double, kLinkClassCount> load_pending_{};
  // What each series holds now: a class whose utilization did not move is not written again
  // (most changes move the load of one or two classes of six).
  std::array<double, kLinkClassCount> util_written_{};
  Time util_at_ = Time::zero();
  bool util_dirty_ = false;
  void flush_class_utilization();

  // Pending work at the current instant.
  EventHandle next_drain_;
  Time next_drain_at_ = Time::max();
  std::vector<FlowId> arrivals_, arrivals_work_;
  std::vector<GroupId> pending_groups_;  // groups whose weights changed outside a solve
  std::vector<GroupId> regrouped_;       // on_drain's: the fresh groups of classes whose link went lone
  std::vector<ClassId> merged_;          // classes that took another's members (rekey_without)
  std::vector<Placement> placements_;
  bool update_pending_ = false;

  // Solver scratch, kept to avoid allocating on every change. The re-solved groups are
  // copied into a compact problem: per group its links (local index, weight, classes), per
  // link the groups crossing it (group, entry), both as offset arrays.
  struct LocalEntry {
    std::uint32_t link;
    double weight;
    std::uint32_t classes;
  };
  struct Flip {
    ClassId cls;
    LinkId link;  // kNoLink: to its cap
    double rate, old_rate;
  };
  std::uint32_t epoch_ = 0, split_epoch_ = 0;
  std::vector<LinkId> comp_links_, stack_, seeds_scratch_, lone_links_;
  std::vector<GroupId> comp_groups_, changed_scratch_, joiners_;
  std::vector<std::uint32_t> group_begin_, link_begin_, fill_;
  std::vector<LocalEntry> group_links_, work_links_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> link_groups_;  // (group, its local entry)
  // The fill's state per link and per group of the solve, each in one record: a link's level
  // reads all of its fields at once.
  struct FillLink {
    double capacity = 0;
    double fixed = 0;        // load of everything not re-solved
    double frozen_load = 0;  // of the groups and classes frozen so far
    double split_load = 0;   // of the classes that split off
    double free_weight = 0;  // of what is still free
    double top_new = 0;      // the highest rate frozen on it
    std::uint32_t free_count = 0;
  };
  struct FillGroup {
    double new_rate = -1;
    double bound = std::numeric_limits<double>::infinity();
    std::uint32_t left = 0;  // classes not split off
    std::uint8_t frozen = 0, emptied = 0;
  };
  std::vector<FillLink> fill_links_;
  std::vector<FillGroup> fill_groups_;
  std::vector<Flip> flips_;
  std::vector<LevelEntry> heap_;
  std::vector<std::pair<double, std::uint32_t>> cap_heap_;
  std::size_t unfrozen_ = 0;
  std::vector<FlowId> finished_scratch_;
  // isolated()'s answers by segment list: Algorithm::Auto times every candidate of every
  // data-parallel collective, once per bucket size, over the same ranks (routes never change).
  struct SegmentsHash {
    std::size_t operator()(const std::vector<Segment>& segments) const;
  };
  std::unordered_map<std::vector<Segment>, Isolated, SegmentsHash> isolated_cache_;
  std::vector<double> iso_sum_, iso_share_;  // isolated()'s scratch, per link (share -1: untouched)
  std::vector<LinkId> iso_touched_;
  std::vector<ClassKeyLink> key_scratch_;

  bool batching_ = true;
  std::uint64_t batches_split_ = 0;
  std::size_t live_batches_ = 0;  // batches on their links: none, and a start skips the split check
  std::size_t active_ = 0;
  std::uint64_t started_ = 0, recomputations_ = 0, skipped_ = 0, resolved_ = 0, groups_resolved_ = 0;
  double delivered_ = 0;
};

}  // namespace dcsim::network
