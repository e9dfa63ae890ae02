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
//    A shared link is `active` (it may bind: it takes part in the solve) or `dormant` (its
//    load is provably below capacity: a bound, scaled by how much any rate has grown since
//    the link was last checked, stays under 90 % of capacity; it is re-checked exactly when
//    the bound says it might not).
//  - Transfers with the same active links, weights and cap are one rate class: max-min
//    gives them the same rate, so the solve works on classes, not transfers. Each class
//    keeps a virtual clock (bytes per segment served since it was created) and its members
//    in a heap by the clock value at which each finishes: a rate change re-times the class,
//    not each transfer.
//  - A change re-solves only the classes it can reach through saturated links (a rate
//    change cannot cross a link with spare capacity), widening the set until no class
//    outside it is treated unfairly; starts and ends at one instant are one change.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "models/network/fabric.hpp"
#include "models/network/finish_queue.hpp"
#include "models/network/indexed_heap.hpp"
#include "models/power/binned_series.hpp"
#include "sim/inplace_callback.hpp"
#include "sim/simulator.hpp"

namespace dcsim::network {

enum class SharingModel { Analytical, Flow };

struct Segment {
  std::int64_t src = 0, dst = 0;
};

// A transfer's load on each link (segments x route shares, merged) and its longest path
// latency: computed once and reused by transfers that repeat the same segments.
struct PreparedTransfer {
  std::vector<std::pair<LinkId, double>> load;  // sorted by link
  std::array<double, kLinkClassCount> class_load{};  // the load summed per link class
  double max_rate = 0;  // alone on the network: min over its links of capacity / load
  double latency_s = 0;
  double segments = 0;
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
  Prepared prepare(const std::vector<Segment>& segments);
  // The time the transfer would take alone on the network (the analytical model's answer).
  double isolated_seconds(const std::vector<Segment>& segments, double bytes, int steps);

  SharingModel model() const { return model_; }
  Fabric& fabric() { return fabric_; }
  std::size_t active_transfers() const { return active_; }
  std::uint64_t transfers_started() const { return started_; }
  std::uint64_t rate_recomputations() const { return recomputations_; }
  std::uint64_t transfers_resolved() const { return resolved_; }  // summed over recomputations
  std::uint64_t classes_resolved() const { return classes_resolved_; }  // likewise, rate classes
  std::size_t rate_classes() const { return live_classes_; }

  // Statistics up to now.
  double link_bytes(LinkId l) const { return link_bytes_[l]; }  // finished transfers, and all after finish()
  double link_load(LinkId l) const;  // bytes/s currently carried
  std::vector<LinkStats> hottest_links(std::size_t k) const;
  double bytes_delivered() const { return delivered_; }  // per segment bytes x segments, finished transfers
  const power::BinnedSeries& class_utilization(LinkClass c) const { return class_series_[static_cast<int>(c)]; }
  double class_capacity(LinkClass c) const { return class_capacity_[static_cast<int>(c)]; }
  void finish();  // closes the statistics at now()
  // Checks the max-min invariants on the current rates: no link above capacity, and every
  // active transfer crosses a saturated link on which no transfer has a higher rate, or runs
  // at its own cap. Returns "" or a description of the first violation (tests call it
  // between events).
  std::string check_max_min() const;
  // The current rate of every active transfer, by start order (tests compare solvers).
  std::vector<std::pair<std::uint64_t, double>> rates() const;

 private:
  using FlowId = std::uint32_t;
  using ClassId = std::uint32_t;
  enum class LinkMode : std::uint8_t { Private, Dormant, Active };

  struct Flow {
    Prepared prep;
    double bytes = 0;      // per segment
    double booked = 0;     // bytes per segment already added to link_bytes_ (by finish())
    double key = 0;        // its class's clock value at which its last byte leaves
    ClassId cls = kNotInHeap;
    std::uint32_t heap_pos = kNotInHeap;  // in its class's member heap
    std::uint64_t serial = 0;             // start order
    std::vector<std::uint32_t> slots;     // its index in each of its links' flow lists
    Time latency;
    Done done;
    bool active = false;
    const std::vector<std::pair<LinkId, double>>& load() const { return prep->load; }
  };
  struct MemberAccess {
    std::vector<Flow>* flows = nullptr;
    const double& key(std::uint32_t f) const { return (*flows)[f].key; }
    std::uint32_t& pos(std::uint32_t f) const { return (*flows)[f].heap_pos; }
  };
  struct ClassKeyLink {
    LinkId link;
    double weight;  // per member
    bool operator==(const ClassKeyLink&) const = default;
  };
  // A rate class in three parts, by who reads it: the solver reads `ClassHot` for every row
  // entry it visits, re-timing reads `ClassClock`, the rest is bookkeeping.
  struct ClassHot {
    double rate = 0;
    double n = 0;    // members
    double cap = 0;  // members' isolated rate
    std::uint32_t visit = 0, scratch = 0;
  };
  struct ClassClock {
    double clock = 0;  // bytes per segment served since creation
    double head = 0;   // the first member's finish key
    Time at;           // when clock was last advanced
  };
  struct RateClass {
    std::vector<ClassKeyLink> key;       // active links, sorted
    std::vector<std::uint32_t> row_pos;  // its entry's index in each key link's row
    std::uint64_t hash = 0;
    IndexedHeap<MemberAccess> members;   // by the clock value at which each finishes
    std::array<double, kLinkClassCount> class_load{};  // summed over members
    bool live = false;
    std::size_t key_index(LinkId l) const;
  };
  struct RowEntry {
    ClassId cls;
    double weight;  // per member
  };
  struct LinkFlow {
    FlowId flow;
    std::uint32_t k;  // index in the flow's load
  };
  struct LinkState {
    double capacity = 0;
    LinkMode mode = LinkMode::Private;
    std::vector<LinkFlow> flows;  // every active transfer crossing it
    std::vector<RowEntry> row;    // active links: the classes crossing it
    double bound = 0;             // dormant: load bound divided by the drift at the time
    std::uint32_t bound_version = 0;
    // Solver scratch: membership and position in the solve, and the load and top rate of
    // every class on it before the solve.
    std::uint32_t visit = 0, pos = 0;
    double load = 0, top = 0;
  };

  // Transfers (network_sim.cpp).
  FlowId allocate_flow();
  void attach_to_links(FlowId id);
  void detach_from_links(FlowId id, std::vector<LinkId>& seeds);
  void on_drain();
  void release_finished();
  void schedule_next_drain();
  void request_update();
  void update();
  void record_class_utilization();
  void book_finished(Flow& f);

  // Rate classes (rate_classes.cpp).
  ClassId table_find(const std::vector<ClassKeyLink>& key, double cap, std::uint64_t hash) const;
  void table_insert(ClassId c);
  void place(ClassId c);
  void table_erase(ClassId c);
  ClassId class_for(FlowId f);
  ClassId find_or_make_class(std::vector<ClassKeyLink>& key, double cap, double inherit_rate);
  void release_class(ClassId c);
  void add_member(ClassId c, FlowId f, double remaining);
  void remove_member(ClassId c, FlowId f);
  double remaining(const Flow& f) const;
  void advance_clock(ClassId c);
  void set_rate(ClassId c, double rate);
  void retime(ClassId c);
  void move_flow(FlowId f, ClassId to);
  void add_row_entries(ClassId c);
  void remove_row_entry(ClassId c, std::size_t key_index);
  void promote(LinkId l);
  void demote(LinkId l);
  void rekey_without(ClassId c, LinkId l);

  // The solver (max_min_solver.cpp).
  void solve(const std::vector<LinkId>& seeds, const std::vector<ClassId>& changed);
  void gather(const std::vector<LinkId>& seeds, const std::vector<ClassId>& changed);
  void add_class(ClassId c);
  void expand();
  void pass_on(LinkId l, bool seed);
  void build_problem();
  void water_fill();
  void reset_fill();
  void progressive_fill();
  void freeze(std::uint32_t k, double level);
  double saturation_level(std::uint32_t i) const;
  bool admit_unfairly_treated();
  void apply_rates();
  void check_dormant_links(const std::vector<FlowId>& arrivals);
  void schedule_check(LinkId l);
  void make_dormant(LinkId l, double load);
  void grow_drift(double factor);

  Simulator& sim_;
  Fabric& fabric_;
  SharingModel model_;
  std::vector<Flow> flows_;
  std::vector<FlowId> free_flows_;
  std::vector<RateClass> classes_;
  std::vector<ClassHot> hot_;
  std::vector<ClassClock> clocks_;
  std::vector<ClassId> free_classes_;
  std::vector<LinkState> links_;
  FinishQueue finishes_;
  // Class lookup by key: open addressing on the key's hash (rate_classes.cpp).
  std::vector<ClassId> table_;
  std::size_t table_used_ = 0, live_classes_ = 0;

  // Dormant links: re-checked when drift_ x bound may exceed 90 % of capacity.
  double drift_ = 1;  // product over changes of the largest rate increase factor
  std::vector<std::tuple<double, LinkId, std::uint32_t>> checks_;  // min-heap: (drift trigger, link, version)

  // Statistics.
  std::vector<double> link_bytes_;
  std::vector<double> class_capacity_, class_load_;
  std::vector<power::BinnedSeries> class_series_;

  // Pending work at the current instant.
  EventHandle next_drain_;
  Time next_drain_at_ = Time::max();
  std::vector<FlowId> arrivals_;
  bool update_pending_ = false;

  // Solver scratch, kept to avoid allocating on every change. The re-solved part is copied
  // into a compact problem: per class its links (local index, weight x members), per link
  // the classes crossing it, both as offset arrays.
  std::uint32_t epoch_ = 0;
  std::vector<LinkId> comp_links_, stack_, seeds_scratch_, lone_links_;
  std::vector<ClassId> comp_classes_, changed_scratch_, joiners_;
  std::vector<std::uint32_t> class_begin_, link_begin_, fill_;
  std::vector<std::pair<std::uint32_t, double>> class_links_, link_classes_;
  std::vector<double> fixed_, frozen_load_, free_weight_, new_rate_;
  std::size_t unfrozen_ = 0;
  std::vector<std::uint32_t> free_count_;
  std::vector<std::pair<double, std::uint32_t>> heap_, cap_heap_;
  std::vector<FlowId> finished_scratch_, arrivals_work_;
  std::vector<ClassKeyLink> key_scratch_;

  std::size_t active_ = 0;
  std::uint64_t started_ = 0, recomputations_ = 0, resolved_ = 0, classes_resolved_ = 0;
  double delivered_ = 0;
};

}  // namespace dcsim::network
