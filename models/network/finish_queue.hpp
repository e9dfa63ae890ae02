#pragma once
// When each rate class next has a transfer finishing: a binary min-heap of (time, class) with
// the key stored in the heap entry itself, so re-timing a class touches only the heap array
// (a re-solve re-times hundreds of classes, each by a small step). Ties go to the lower id.
#include <cstdint>
#include <vector>

#include "sim/time.hpp"

namespace dcsim::network {

class FinishQueue {
 public:
  static constexpr std::uint32_t kAbsent = ~0u;

  bool empty() const { return heap_.empty(); }
  std::uint32_t top() const { return heap_.front().id; }
  Time top_time() const { return heap_.front().at; }

  // Sets (or, with Time::max(), removes) the class's next finish.
  void set(std::uint32_t id, Time at) {
    if (id >= pos_.size()) pos_.resize(id + 1, kAbsent);
    const std::uint32_t i = pos_[id];
    if (at == Time::max()) {
      if (i != kAbsent) remove_at(i);
      return;
    }
    if (i == kAbsent) {
      pos_[id] = static_cast<std::uint32_t>(heap_.size());
      heap_.push_back({at, id});
      up(pos_[id]);
      return;
    }
    const Time old = heap_[i].at;
    heap_[i].at = at;
    if (at < old)
      up(i);
    else
      down(i);
  }

 private:
  struct Entry {
    Time at;
    std::uint32_t id;
    bool before(const Entry& o) const { return at < o.at || (at == o.at && id < o.id); }
  };
  void remove_at(std::uint32_t i) {
    pos_[heap_[i].id] = kAbsent;
    const Entry last = heap_.back();
    heap_.pop_back();
    if (i == heap_.size()) return;
    heap_[i] = last;
    pos_[last.id] = i;
    if (i > 0 && last.before(heap_[(i - 1) / 2]))
      up(i);
    else
      down(i);
  }
  void up(std::uint32_t i) {
    const Entry e = heap_[i];
    while (i > 0) {
      const std::uint32_t parent = (i - 1) / 2;
      if (!e.before(heap_[parent])) break;
      heap_[i] = heap_[parent];
      pos_[heap_[i].id] = i;
      i = parent;
    }
    heap_[i] = e;
    pos_[e.id] = i;
  }
  void down(std::uint32_t i) {
    const Entry e = heap_[i];
    const auto n = static_cast<std::uint32_t>(heap_.size());
    for (;;) {
      std::uint32_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && heap_[child + 1].before(heap_[child])) ++child;
      if (!heap_[child].before(e)) break;
      heap_[i] = heap_[child];
      pos_[heap_[i].id] = i;
      i = child;
    }
    heap_[i] = e;
    pos_[e.id] = i;
  }

  std::vector<Entry> heap_;
  std::vector<std::uint32_t> pos_;
};

}  // namespace dcsim::network
