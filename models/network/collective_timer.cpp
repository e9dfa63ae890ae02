#include "models/network/collective_timer.hpp"

#include <algorithm>
#include <limits>

namespace dcsim::network {

double CollectiveTimer::seconds(CollectiveOp op, const std::vector<std::int64_t>& ranks, double bytes) {
  if (ranks.size() < 2) return analytical_seconds(plan_collective(op, Algorithm::Auto, ranks, bytes, net_), net_);
  auto key = std::make_pair(int(op), ranks);
  auto it = timed_.find(key);
  if (it == timed_.end()) {
    std::vector<Timed> all;
    for (const Algorithm a : auto_candidates(op, ranks, net_.fabric())) {
      Timed t{a, {}};
      for (const auto& stage : plan_collective(op, a, ranks, bytes, net_).stages) {
        t.stages.emplace_back();
        for (const auto& transfer : stage.transfers) t.stages.back().push_back(net_.isolated(transfer.segments));
      }
      all.push_back(std::move(t));
    }
    it = timed_.emplace(std::move(key), std::move(all)).first;
  }
  // As analytical_seconds: per stage the slowest transfer, summed; the fastest algorithm.
  double best = std::numeric_limits<double>::infinity();
  for (const Timed& t : it->second) {
    const CollectivePlan plan = plan_collective(op, t.algorithm, ranks, bytes, net_);
    double total = 0;
    for (std::size_t s = 0; s < plan.stages.size(); ++s) {
      double slowest = 0;
      for (std::size_t i = 0; i < plan.stages[s].transfers.size(); ++i) {
        const CollectiveTransfer& tr = plan.stages[s].transfers[i];
        slowest = std::max(slowest, t.stages[s][i].seconds(tr.bytes, tr.steps));
      }
      total += slowest;
    }
    best = std::min(best, total);
  }
  return best;
}

}  // namespace dcsim::network
