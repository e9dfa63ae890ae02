#pragma once
// An independent, deliberately plain max-min solver and transfer simulator for differential
// tests of NetworkSim: progressive filling over every link (private ones included, no
// classes, no incremental anything), re-solved from scratch at every event.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "sim/time.hpp"

namespace dcsim::testing {

struct RefTransfer {
  std::vector<std::pair<std::int32_t, double>> load;  // (link, weight)
  double bytes = 0;
  Time start;
  Time latency;
};

// Max-min fair rates: all unfrozen transfers rise together; the tightest link fixes the
// rate of every unfrozen transfer crossing it; repeat.
inline std::vector<double> reference_rates(const std::vector<const RefTransfer*>& active,
                                           const std::vector<double>& capacity) {
  const std::size_t n = active.size();
  std::vector<double> rate(n, 0.0);
  std::vector<bool> frozen(n, false);
  std::size_t left = n;
  for (std::size_t i = 0; i < n; ++i)
    if (active[i]->load.empty()) {
      rate[i] = std::numeric_limits<double>::infinity();
      frozen[i] = true;
      --left;
    }
  while (left > 0) {
    std::map<std::int32_t, std::pair<double, double>> use;  // link -> (frozen load, free weight)
    for (std::size_t i = 0; i < n; ++i)
      for (const auto& [l, w] : active[i]->load) {
        auto& u = use[l];
        if (frozen[i])
          u.first += w * rate[i];
        else
          u.second += w;
      }
    double level = std::numeric_limits<double>::infinity();
    for (const auto& [l, u] : use)
      if (u.second > 0) level = std::min(level, std::max(0.0, capacity[l] - u.first) / u.second);
    for (std::size_t i = 0; i < n; ++i) {
      if (frozen[i]) continue;
      for (const auto& [l, w] : active[i]->load) {
        const auto& u = use[l];
        if (std::max(0.0, capacity[l] - u.first) / u.second <= level * (1 + 1e-13)) {
          rate[i] = level;
          frozen[i] = true;
          --left;
          break;
        }
      }
    }
  }
  return rate;
}

// Snapshot after every instant at which something started or finished.
struct RefSnapshot {
  Time at;
  std::vector<std::pair<std::size_t, double>> rates;  // (transfer index, rate), by index
};

struct RefResult {
  std::vector<Time> arrival;  // last byte left + latency, per transfer
  std::vector<RefSnapshot> snapshots;
};

// Event by event on integer nanoseconds, as NetworkSim runs: a transfer's last byte leaves
// at now + round(remaining / rate); starts and ends at one instant are one change.
inline RefResult reference_run(const std::vector<RefTransfer>& transfers, const std::vector<double>& capacity) {
  RefResult out;
  out.arrival.assign(transfers.size(), Time::max());
  std::vector<std::size_t> order(transfers.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return transfers[a].start < transfers[b].start; });
  std::vector<std::size_t> active;
  std::vector<double> remaining(transfers.size(), 0.0), rate(transfers.size(), 0.0);
  std::vector<Time> finish(transfers.size(), Time::max());
  std::size_t next_start = 0;
  Time now = Time::zero();
  while (next_start < order.size() || !active.empty()) {
    Time next = next_start < order.size() ? transfers[order[next_start]].start : Time::max();
    for (std::size_t i : active) next = std::min(next, finish[i]);
    const double dt = (next - now).seconds();
    for (std::size_t i : active) remaining[i] -= std::min(remaining[i], rate[i] * dt);
    now = next;
    // Ends first, then starts, then one solve.
    std::vector<std::size_t> still;
    for (std::size_t i : active) {
      if (finish[i] <= now)
        out.arrival[i] = now + transfers[i].latency;
      else
        still.push_back(i);
    }
    active.swap(still);
    while (next_start < order.size() && transfers[order[next_start]].start == now) {
      const std::size_t i = order[next_start++];
      remaining[i] = transfers[i].load.empty() ? 0.0 : transfers[i].bytes;
      active.push_back(i);
    }
    std::sort(active.begin(), active.end());
    std::vector<const RefTransfer*> view;
    for (std::size_t i : active) view.push_back(&transfers[i]);
    const auto r = reference_rates(view, capacity);
    RefSnapshot snap{now, {}};
    for (std::size_t k = 0; k < active.size(); ++k) {
      const std::size_t i = active[k];
      rate[i] = r[k];
      finish[i] = rate[i] > 0 ? now + Time::from_seconds(remaining[i] / rate[i]) : Time::max();
      snap.rates.emplace_back(i, rate[i]);
    }
    out.snapshots.push_back(std::move(snap));
  }
  return out;
}

}  // namespace dcsim::testing
