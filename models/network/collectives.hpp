#pragma once
// Collective communication as transfers on the network (docs/network.md).
//
// A collective becomes a plan: a sequence of stages; each stage runs some transfers at the
// same time and ends when all have arrived. Each transfer is a set of coupled segments
// (network_sim.hpp). Sizes follow nccl-tests: S is the buffer each rank holds (all-reduce),
// the full input (reduce-scatter), the full output (all-gather), or the data each rank sends
// in total (all-to-all).
//
//  ring all-reduce          1 stage: edges r -> r+1, 2(n-1)/n S bytes, 2(n-1) steps
//  ring (both directions)   1 stage: both rings, half the bytes each
//  double binary tree       reduce up both trees then broadcast down (S/2 per tree), depth steps each
//  halving-doubling         log2 n reduce-scatter stages (S/2, S/4, ...), then the same in reverse
//  direct                   every pair at once (all-to-all; all-reduce = direct RS + direct AG)
//  pairwise                 n-1 stages, stage k: r -> r+k
//  hierarchical             RS inside each scale-up domain, all-reduce across domains on S/g, AG inside
//  auto                     the fastest candidate by the alpha-beta time on this fabric, as NCCL's
//                           tuner picks by its cost model
#include <cstdint>
#include <string>
#include <vector>

#include "models/network/network_sim.hpp"

namespace dcsim::network {

enum class CollectiveOp { AllReduce, ReduceScatter, AllGather, AllToAll, Broadcast, Reduce, SendRecv };
enum class Algorithm { Auto, Ring, RingBidirectional, DoubleBinaryTree, HalvingDoubling, Direct, Pairwise, Hierarchical, Tree };

std::string_view to_string(CollectiveOp op);
std::string_view to_string(Algorithm a);
const std::vector<std::string>& collective_op_names();
const std::vector<std::string>& algorithm_names();
CollectiveOp parse_collective_op(const std::string& name);  // names from collective_op_names()
Algorithm parse_algorithm(const std::string& name);

struct CollectiveTransfer {
  std::vector<Segment> segments;
  double bytes = 0;  // per segment
  int steps = 1;
  mutable Prepared prepared;  // filled on first run, reused after
};
struct CollectiveStage {
  std::vector<CollectiveTransfer> transfers;
  // Filled on first run: the stage as one batch (NetworkSim::start_batch) when its transfers
  // are identical in size and steps and link-disjoint; null otherwise.
  mutable bool batch_checked = false;
  mutable Prepared batch;
  mutable std::shared_ptr<const std::vector<Prepared>> batch_parts;
};
struct CollectivePlan {
  CollectiveOp op = CollectiveOp::AllReduce;
  Algorithm algorithm = Algorithm::Ring;
  std::vector<CollectiveStage> stages;
};

// Throws std::invalid_argument when the algorithm does not apply (halving-doubling on a
// non-power-of-two group, hierarchical on unequal domains, fewer than 2 ranks for send/recv).
CollectivePlan plan_collective(CollectiveOp op, Algorithm algorithm, const std::vector<std::int64_t>& ranks,
                               double bytes, NetworkSim& net);

// The algorithms Algorithm::Auto chooses among for this group (the fastest, timed alone).
std::vector<Algorithm> auto_candidates(CollectiveOp op, const std::vector<std::int64_t>& ranks, const Fabric& fabric);

// Sum over stages of the slowest transfer, each alone on the network.
double analytical_seconds(const CollectivePlan& plan, NetworkSim& net);

// Runs the plan from now; `done` fires when the last stage completes. The plan must outlive
// the run (it is read as the stages proceed).
void run_collective(NetworkSim& net, const CollectivePlan& plan, NetworkSim::Done done);

// nccl-tests' bus-bandwidth factor: busbw = algbw * factor.
double bus_bandwidth_factor(CollectiveOp op, std::size_t ranks);

}  // namespace dcsim::network
