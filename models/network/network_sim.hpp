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
//    progressive filling). Starts and ends at one instant are batched into one update, and
//    an update re-solves only the transfers whose rates can change: those reached from the
//    changed links through saturated links (rates only propagate through bottlenecks),
//    holding the others fixed, and widening the set until no fixed transfer is treated
//    unfairly. Completions are kept in time order with a single pending event.
// With no link shared between transfers both give the same times, to the nanosecond.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <tuple>
#include <string>
#include <utility>
#include <vector>

#include "models/network/fabric.hpp"
#include "models/power/binned_series.hpp"
#include "sim/simulator.hpp"

namespace dcsim::network {

enum class SharingModel { Analytical, Flow };

struct Segment {
  std::int64_t src = 0, dst = 0;
};

// A transfer's load on each link (segments x route shares, merged) and its longest path
// latency: computed once and reused by transfers that repeat the same segments.
struct PreparedTransfer {
  std::vector<std::pair<LinkId, double>> load;
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
  using Done = std::function<void()>;
  NetworkSim(Simulator& sim, Fabric& fabric, SharingModel model);

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

  // Statistics up to now.
  double link_bytes(LinkId l) const { return link_bytes_[l]; }  // finished transfers, and all after finish()
  double link_load(LinkId l) const { return link_load_[l]; }  // bytes/s currently carried
  std::vector<LinkStats> hottest_links(std::size_t k) const;
  double bytes_delivered() const { return delivered_; }  // per segment bytes x segments, finished transfers
  const power::BinnedSeries& class_utilization(LinkClass c) const { return class_series_[static_cast<int>(c)]; }
  double class_capacity(LinkClass c) const { return class_capacity_[static_cast<int>(c)]; }
  void finish();  // closes the statistics at now()
  // Checks the max-min invariants on the current rates: no link above capacity, and every
  // active transfer crosses a saturated link on which no transfer has a higher rate.
  // Returns "" or a description of the first violation (tests call it between events).
  std::string check_max_min() const;

 private:
  struct Transfer {
    Prepared prep;
    const std::vector<std::pair<LinkId, double>>& load() const { return prep->load; }
    double bytes = 0;      // per segment
    double segments = 0;
    double remaining = 0;  // bytes per segment still to send
    double booked = 0;     // bytes per segment already added to link_bytes_ (by finish())
    double rate = 0;       // bytes/s per segment
    Time last_update;
    Time latency;
    Time finish = Time::max();  // when the last byte leaves at the current rate
    Done done;
    // Positions in load() of the links another active transfer also crosses (flow model):
    // the only links of this transfer a re-solve needs; the rest are within max_rate.
    std::vector<std::uint32_t> shared;
    std::uint32_t visit = 0;
    std::uint32_t scratch = 0;  // position during a recomputation
    bool active = false;
  };
  using TransferId = std::uint32_t;

  TransferId allocate();
  void advance(Transfer& t, Time now);
  void set_rate(TransferId id, double rate);
  void set_finish(TransferId id);
  void schedule_next_drain();
  void on_drain();
  void request_update(const std::vector<std::pair<LinkId, double>>& load);
  void update();
  void recompute(std::vector<LinkId> seeds, const std::vector<TransferId>& arrivals);
  bool saturated(LinkId l) const;
  void change_load(const Transfer& t, double delta_rate);
  void mark_shared(TransferId f, LinkId l, bool shared);
  void record_class_utilization();

  Simulator& sim_;
  Fabric& fabric_;
  SharingModel model_;
  std::vector<Transfer> transfers_;
  std::vector<TransferId> free_;
  std::vector<std::vector<TransferId>> on_link_;  // active transfers per link
  std::vector<double> link_bytes_, link_load_;
  std::vector<double> capacity_;  // bytes/s per link, dense copy of the topology's for the solver
  std::vector<double> class_capacity_, class_load_;
  std::vector<power::BinnedSeries> class_series_;
  std::vector<std::uint32_t> link_visit_;
  std::vector<std::uint32_t> link_pos_;  // scratch: position of a link during a recomputation
  std::set<std::pair<std::int64_t, TransferId>> by_finish_;
  EventHandle next_drain_;
  Time next_drain_at_ = Time::max();
  std::vector<LinkId> dirty_;
  std::vector<TransferId> arrivals_;
  // Scratch space of recompute(), kept to avoid allocating on every update.
  std::vector<double> scratch_fixed_, scratch_weight_;
  std::vector<std::uint32_t> scratch_version_;
  std::vector<std::tuple<double, std::uint32_t, std::uint32_t>> scratch_heap_;
  bool update_pending_ = false;
  std::uint32_t visit_epoch_ = 0;
  std::size_t active_ = 0;
  std::uint64_t started_ = 0, recomputations_ = 0, resolved_ = 0;
  double delivered_ = 0;
};

}  // namespace dcsim::network
