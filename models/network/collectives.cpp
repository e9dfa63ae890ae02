#include "models/network/collectives.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>

namespace dcsim::network {
namespace {
using Ranks = std::vector<std::int64_t>;

CollectiveTransfer ring(const Ranks& r, double bytes, int steps, bool backwards = false) {
  CollectiveTransfer t;
  const std::size_t n = r.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (backwards)
      t.segments.push_back({r[(i + 1) % n], r[i]});
    else
      t.segments.push_back({r[i], r[(i + 1) % n]});
  }
  t.bytes = bytes;
  t.steps = steps;
  return t;
}

// Ring algorithms: all-reduce 2(n-1) steps of S/n, RS/AG (n-1) steps of S/n.
CollectivePlan ring_plan(CollectiveOp op, const Ranks& r, double S, bool both) {
  const double n = double(r.size());
  const int mult = op == CollectiveOp::AllReduce ? 2 : 1;
  const double bytes = mult * (n - 1) / n * S / (both ? 2 : 1);
  const int steps = mult * int(r.size() - 1);
  CollectiveStage st;
  CollectiveTransfer t = ring(r, bytes, steps);
  if (both) {
    const CollectiveTransfer back = ring(r, bytes, steps, true);
    t.segments.insert(t.segments.end(), back.segments.begin(), back.segments.end());
  }
  st.transfers.push_back(std::move(t));
  return {op, both ? Algorithm::RingBidirectional : Algorithm::Ring, {st}};
}

// Two complementary binary trees in heap layout: tree 2 mirrors tree 1, so most interior
// nodes of one are leaves of the other. Returns child -> parent edges of both.
std::vector<Segment> double_tree_edges(const Ranks& r, int& depth) {
  const std::size_t n = r.size();
  std::vector<Segment> up;
  for (std::size_t i = 1; i < n; ++i) {
    up.push_back({r[i], r[(i - 1) / 2]});
    up.push_back({r[n - 1 - i], r[n - 1 - (i - 1) / 2]});
  }
  depth = 0;
  while ((std::size_t(1) << (depth + 1)) <= n) ++depth;  // floor(log2 n)
  return up;
}

CollectivePlan tree_allreduce(const Ranks& r, double S) {
  int depth = 0;
  std::vector<Segment> up = double_tree_edges(r, depth);
  std::vector<Segment> down;
  for (const Segment& s : up) down.push_back({s.dst, s.src});
  CollectivePlan p{CollectiveOp::AllReduce, Algorithm::DoubleBinaryTree, {}};
  p.stages.push_back({{CollectiveTransfer{up, S / 2, depth}}});
  p.stages.push_back({{CollectiveTransfer{down, S / 2, depth}}});
  return p;
}

bool power_of_two(std::size_t n) { return n && !(n & (n - 1)); }

CollectivePlan halving_doubling(CollectiveOp op, const Ranks& r, double S) {
  const std::size_t n = r.size();
  if (!power_of_two(n))
    throw std::invalid_argument(fmt::format("halving-doubling needs a power-of-two group, not {} ranks", n));
  std::vector<CollectiveStage> rs, ag;
  double bytes = S;
  for (std::size_t dist = n / 2; dist >= 1; dist /= 2) {
    bytes /= 2;
    CollectiveTransfer t;
    for (std::size_t i = 0; i < n; ++i) t.segments.push_back({r[i], r[i ^ dist]});
    t.bytes = bytes;
    rs.push_back({{t}});
  }
  ag.assign(rs.rbegin(), rs.rend());
  CollectivePlan p{op, Algorithm::HalvingDoubling, {}};
  if (op != CollectiveOp::AllGather) p.stages.insert(p.stages.end(), rs.begin(), rs.end());
  if (op != CollectiveOp::ReduceScatter) p.stages.insert(p.stages.end(), ag.begin(), ag.end());
  return p;
}

CollectiveTransfer all_pairs(const Ranks& r, double bytes) {
  CollectiveTransfer t;
  for (std::size_t i = 0; i < r.size(); ++i)
    for (std::size_t j = 0; j < r.size(); ++j)
      if (i != j) t.segments.push_back({r[i], r[j]});
  t.bytes = bytes;
  return t;
}

CollectivePlan direct(CollectiveOp op, const Ranks& r, double S) {
  const double n = double(r.size());
  CollectivePlan p{op, Algorithm::Direct, {}};
  const CollectiveTransfer t = all_pairs(r, S / n);
  p.stages.push_back({{t}});
  if (op == CollectiveOp::AllReduce) p.stages.push_back({{t}});
  return p;
}

CollectivePlan pairwise(CollectiveOp op, const Ranks& r, double S) {
  const std::size_t n = r.size();
  CollectivePlan p{op, Algorithm::Pairwise, {}};
  const int rounds = op == CollectiveOp::AllReduce ? 2 : 1;
  for (int round = 0; round < rounds; ++round)
    for (std::size_t k = 1; k < n; ++k) {
      CollectiveTransfer t;
      for (std::size_t i = 0; i < n; ++i) t.segments.push_back({r[i], r[(i + k) % n]});
      t.bytes = S / double(n);
      p.stages.push_back({{t}});
    }
  return p;
}

// Whether every scale-up domain the ranks touch holds the same number of them, as the
// hierarchical algorithm's per-domain rings and cross-domain rings need.
bool balanced_domains(const Ranks& r, const Fabric& fabric) {
  std::map<std::int64_t, std::size_t> per_domain;
  for (std::int64_t x : r) ++per_domain[fabric.domain_size() > 0 ? x / fabric.domain_size() : x];
  return std::all_of(per_domain.begin(), per_domain.end(),
                     [&](const auto& d) { return d.second == per_domain.begin()->second; });
}

CollectivePlan hierarchical(CollectiveOp op, const Ranks& r, double S, const Fabric& fabric) {
  // Group ranks by scale-up domain, keeping their order.
  std::map<std::int64_t, Ranks> domains;
  for (std::int64_t x : r) domains[fabric.domain_size() > 0 ? x / fabric.domain_size() : x].push_back(x);
  const std::size_t g = domains.begin()->second.size();
  for (const auto& [d, members] : domains)
    if (members.size() != g)
      throw std::invalid_argument(fmt::format(
          "the hierarchical algorithm needs the same number of ranks in every scale-up domain; {} ranks do not "
          "divide evenly over domains of {} devices",
          r.size(), fabric.domain_size()));
  const std::size_t m = domains.size();
  if (g == 1 || m == 1) return ring_plan(op, r, S, false);
  CollectivePlan p{op, Algorithm::Hierarchical, {}};
  const double gd = double(g), md = double(m);
  CollectiveStage inner_rs, across, inner_ag;
  std::vector<Ranks> by_local(g);
  for (const auto& [d, members] : domains) {
    inner_rs.transfers.push_back(ring(members, (gd - 1) / gd * S, int(g - 1)));
    inner_ag.transfers.push_back(ring(members, (gd - 1) / gd * S, int(g - 1)));
    for (std::size_t i = 0; i < g; ++i) by_local[i].push_back(members[i]);
  }
  const int mult = op == CollectiveOp::AllReduce ? 2 : 1;
  for (const Ranks& group : by_local) across.transfers.push_back(ring(group, mult * (md - 1) / md * S / gd, mult * int(m - 1)));
  if (op != CollectiveOp::AllGather) p.stages.push_back(inner_rs);
  p.stages.push_back(across);
  if (op != CollectiveOp::ReduceScatter) p.stages.push_back(inner_ag);
  return p;
}

// Broadcast / reduce: a pipelined chain (cut-through: time S/B + (n-1) hops) or a binomial tree.
CollectivePlan rooted(CollectiveOp op, const Ranks& r, double S, Algorithm a) {
  CollectivePlan p{op, a, {}};
  const bool reduce = op == CollectiveOp::Reduce;
  if (a == Algorithm::Tree) {
    std::vector<CollectiveStage> stages;
    for (std::size_t dist = 1; dist < r.size(); dist *= 2) {
      CollectiveTransfer t;
      for (std::size_t i = 0; i < dist && i + dist < r.size(); ++i)
        t.segments.push_back(reduce ? Segment{r[i + dist], r[i]} : Segment{r[i], r[i + dist]});
      t.bytes = S;
      stages.push_back({{t}});
    }
    if (reduce) std::reverse(stages.begin(), stages.end());
    p.stages = stages;
    return p;
  }
  CollectiveTransfer t;
  for (std::size_t i = 0; i + 1 < r.size(); ++i)
    t.segments.push_back(reduce ? Segment{r[i + 1], r[i]} : Segment{r[i], r[i + 1]});
  t.bytes = S;
  t.steps = int(r.size() - 1);
  p.stages.push_back({{t}});
  p.algorithm = Algorithm::Ring;
  return p;
}

}  // namespace

std::vector<Algorithm> auto_candidates(CollectiveOp op, const Ranks& r, const Fabric& fabric) {
  std::vector<Algorithm> c;
  const bool multi_domain = fabric.domain_size() > 1 && std::any_of(r.begin(), r.end(), [&](std::int64_t x) {
    return !fabric.same_domain(x, r.front());
  });
  const bool hierarchical_fits = multi_domain && balanced_domains(r, fabric);
  switch (op) {
    case CollectiveOp::AllReduce:
      c = {Algorithm::Ring, Algorithm::RingBidirectional, Algorithm::DoubleBinaryTree};
      if (power_of_two(r.size())) c.push_back(Algorithm::HalvingDoubling);
      if (hierarchical_fits) c.push_back(Algorithm::Hierarchical);
      break;
    case CollectiveOp::ReduceScatter:
    case CollectiveOp::AllGather:
      c = {Algorithm::Ring, Algorithm::RingBidirectional};
      if (power_of_two(r.size())) c.push_back(Algorithm::HalvingDoubling);
      if (hierarchical_fits) c.push_back(Algorithm::Hierarchical);
      break;
    case CollectiveOp::AllToAll: c = {Algorithm::Direct, Algorithm::Pairwise}; break;
    case CollectiveOp::Broadcast:
    case CollectiveOp::Reduce: c = {Algorithm::Ring, Algorithm::Tree}; break;
    case CollectiveOp::SendRecv: c = {Algorithm::Direct}; break;
  }
  return c;
}

const std::vector<std::string>& collective_op_names() {
  static const std::vector<std::string> n = {"all_reduce", "reduce_scatter", "all_gather", "all_to_all",
                                             "broadcast",  "reduce",         "send_recv"};
  return n;
}
const std::vector<std::string>& algorithm_names() {
  static const std::vector<std::string> n = {"auto",   "ring",     "ring_bidirectional", "double_binary_tree",
                                             "halving_doubling", "direct", "pairwise", "hierarchical", "tree"};
  return n;
}
std::string_view to_string(CollectiveOp op) { return collective_op_names()[static_cast<int>(op)]; }
std::string_view to_string(Algorithm a) { return algorithm_names()[static_cast<int>(a)]; }
CollectiveOp parse_collective_op(const std::string& name) {
  const auto& n = collective_op_names();
  return static_cast<CollectiveOp>(std::find(n.begin(), n.end(), name) - n.begin());
}
Algorithm parse_algorithm(const std::string& name) {
  const auto& n = algorithm_names();
  return static_cast<Algorithm>(std::find(n.begin(), n.end(), name) - n.begin());
}

CollectivePlan plan_collective(CollectiveOp op, Algorithm a, const Ranks& r, double S, NetworkSim& net) {
  if (r.size() < 2) {
    if (op == CollectiveOp::SendRecv) throw std::invalid_argument("send/recv needs two ranks");
    return {op, a == Algorithm::Auto ? Algorithm::Ring : a, {}};  // a group of one communicates nothing
  }
  if (a == Algorithm::Auto) {
    CollectivePlan best;
    double best_t = std::numeric_limits<double>::infinity();
    for (Algorithm c : auto_candidates(op, r, net.fabric())) {
      CollectivePlan p = plan_collective(op, c, r, S, net);
      const double t = analytical_seconds(p, net);
      if (t < best_t) {
        best_t = t;
        best = std::move(p);
      }
    }
    return best;
  }
  const auto unsupported = [&] {
    return std::invalid_argument(fmt::format("{} does not support the {} algorithm", to_string(op), to_string(a)));
  };
  switch (op) {
    case CollectiveOp::SendRecv: {
      CollectivePlan p{op, Algorithm::Direct, {}};
      p.stages.push_back({{CollectiveTransfer{{{r[0], r[1]}}, S, 1}}});
      return p;
    }
    case CollectiveOp::Broadcast:
    case CollectiveOp::Reduce:
      if (a != Algorithm::Ring && a != Algorithm::Tree) throw unsupported();
      return rooted(op, r, S, a);
    case CollectiveOp::AllToAll:
      if (a == Algorithm::Direct) return direct(op, r, S);
      if (a == Algorithm::Pairwise) return pairwise(op, r, S);
      throw unsupported();
    case CollectiveOp::AllReduce:
    case CollectiveOp::ReduceScatter:
    case CollectiveOp::AllGather:
      switch (a) {
        case Algorithm::Ring: return ring_plan(op, r, S, false);
        case Algorithm::RingBidirectional: return ring_plan(op, r, S, true);
        case Algorithm::DoubleBinaryTree:
          if (op != CollectiveOp::AllReduce) throw unsupported();
          return tree_allreduce(r, S);
        case Algorithm::HalvingDoubling: return halving_doubling(op, r, S);
        case Algorithm::Hierarchical: return hierarchical(op, r, S, net.fabric());
        case Algorithm::Direct: {
          if (op == CollectiveOp::AllReduce) return direct(op, r, S);
          CollectivePlan p{op, Algorithm::Direct, {}};
          p.stages.push_back({{all_pairs(r, S / double(r.size()))}});
          return p;
        }
        case Algorithm::Pairwise: return pairwise(op, r, S);
        default: throw unsupported();
      }
  }
  throw unsupported();
}

double analytical_seconds(const CollectivePlan& plan, NetworkSim& net) {
  double total = 0;
  for (const CollectiveStage& st : plan.stages) {
    double slowest = 0;
    for (const CollectiveTransfer& t : st.transfers)
      slowest = std::max(slowest, net.isolated_seconds(t.segments, t.bytes, t.steps));
    total += slowest;
  }
  return total;
}

namespace {
struct Runner : std::enable_shared_from_this<Runner> {
  // A stage of identical, link-disjoint transfers (the rings inside each scale-up domain)
  // runs as one batch.
  void check_batch(const CollectiveStage& st) {
    st.batch_checked = true;
    auto parts = std::make_shared<std::vector<Prepared>>();
    for (const CollectiveTransfer& t : st.transfers) {
      if (!t.prepared) t.prepared = net.prepare(t.segments);
      if (t.bytes != st.transfers.front().bytes || t.steps != st.transfers.front().steps) return;
      parts->push_back(t.prepared);
    }
    st.batch = net.batch_of(*parts);
    if (st.batch) st.batch_parts = std::move(parts);
  }
  NetworkSim& net;
  const CollectivePlan& plan;
  NetworkSim::Done done;
  std::size_t stage = 0;
  std::size_t outstanding = 0;
  Runner(NetworkSim& n, const CollectivePlan& p, NetworkSim::Done d) : net(n), plan(p), done(std::move(d)) {}
  void next() {
    while (stage < plan.stages.size() && plan.stages[stage].transfers.empty()) ++stage;
    if (stage == plan.stages.size()) {
      done();
      return;
    }
    const CollectiveStage& st = plan.stages[stage++];
    auto self = shared_from_this();
    if (!st.batch_checked) check_batch(st);
    if (st.batch) {
      outstanding = 1;
      const CollectiveTransfer& first = st.transfers.front();
      net.start_batch(st.batch_parts, st.batch, first.bytes, first.steps, [self] { self->next(); });
      return;
    }
    outstanding = st.transfers.size();
    for (const CollectiveTransfer& t : st.transfers) {
      if (!t.prepared) t.prepared = net.prepare(t.segments);
      net.start(t.prepared, t.bytes, t.steps, [self] {
        if (--self->outstanding == 0) self->next();
      });
    }
  }
};
}  // namespace

void run_collective(NetworkSim& net, const CollectivePlan& plan, NetworkSim::Done done) {
  auto runner = std::make_shared<Runner>(net, plan, std::move(done));
  runner->next();
}

double bus_bandwidth_factor(CollectiveOp op, std::size_t ranks) {
  const double n = double(ranks);
  switch (op) {
    case CollectiveOp::AllReduce: return 2 * (n - 1) / n;
    case CollectiveOp::ReduceScatter:
    case CollectiveOp::AllGather:
    case CollectiveOp::AllToAll: return (n - 1) / n;
    default: return 1.0;
  }
}

}  // namespace dcsim::network
