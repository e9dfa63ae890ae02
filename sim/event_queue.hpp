#pragma once
// The pending-event set: a 4-ary min-heap of 16-byte entries ordered by (time, sequence).
//
// Why this shape (measured in bench/bench_event_queue.cpp against std::priority_queue):
//  - 16-byte entries, four children per node, each sibling group on one 64-byte cache line:
//    half the tree depth of a binary heap and one cache miss per level.
//  - Deferred pop: pop() leaves a hole at the root; if the next operation is a push (the
//    common "handle one event, schedule one" pattern) the new entry fills the hole with a
//    single sift, instead of a sift-down for the pop plus a sift-up for the push.
//  - Bottom-up sift (Floyd): the hole descends along the smaller children to a leaf and the
//    entry climbs back only as far as needed. New events are usually later than most pending
//    ones, so they stop near the bottom and the descent needs one comparison per level.
//  - The (time, sequence) pair compares as one unsigned 128-bit integer: no branches.
// The sequence number makes equal-time events leave in the order they were pushed.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "sim/time.hpp"

namespace dcsim {

namespace detail {
struct AlignedFree {
  std::size_t align = 64;
  void operator()(void* p) const;
};
}  // namespace detail

class EventQueue {
 public:
  // The payload is a caller-chosen id below 2^24 (the Simulator uses it as a slot index).
  static constexpr int kPayloadBits = 24;
  static constexpr std::uint32_t kMaxPayload = (1u << kPayloadBits) - 1;

  struct Entry {
    std::int64_t time;
    std::uint64_t key;  // sequence << kPayloadBits | payload
    Time when() const { return Time::ns(time); }
    std::uint32_t payload() const { return static_cast<std::uint32_t>(key & kMaxPayload); }
  };

  EventQueue();
  ~EventQueue();
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  void push(Time t, std::uint32_t payload);
  // Removes and returns the earliest entry. Precondition: !empty().
  Entry pop();
  // The earliest entry without removing it. Precondition: !empty().
  const Entry& top();

  std::size_t size() const { return size_ - (hole_ ? 1 : 0); }
  bool empty() const { return size() == 0; }
  void reserve(std::size_t n);
  // Tests only: jump the sequence counter to exercise renumbering near its limit.
  void jump_sequence_for_testing(std::uint64_t next) { next_seq_ = next; }

 private:
  static bool less(const Entry& a, const Entry& b) {
    __extension__ typedef unsigned __int128 U;
    const U ka = (U(std::uint64_t(a.time) ^ (1ull << 63)) << 64) | a.key;
    const U kb = (U(std::uint64_t(b.time) ^ (1ull << 63)) << 64) | b.key;
    return ka < kb;
  }
  Entry& at(std::size_t i) { return data_[i + kOffset]; }
  void fill_hole_with_last();
  void sift_from_root(Entry e);
  void sift_up(std::size_t i, Entry e);
  void grow();
  void renumber();
  [[noreturn]] static void throw_payload_too_large();
  static constexpr std::uint64_t kMaxSequence = (~0ull) >> kPayloadBits;

  // Logical index i lives at data_[i + 3], so children 4i+1..4i+4 start on a 64-byte line.
  static constexpr std::size_t kOffset = 3;
  std::unique_ptr<Entry[], detail::AlignedFree> data_;
  std::size_t capacity_ = 0;  // logical entries
  std::size_t size_ = 0;      // logical entries, including a deferred hole at the root
  bool hole_ = false;
  std::uint64_t next_seq_ = 0;
};

inline void EventQueue::push(Time t, std::uint32_t payload) {
  if (payload > kMaxPayload) throw_payload_too_large();
  if (next_seq_ > kMaxSequence) renumber();
  const Entry e{t.count_ns(), (next_seq_++ << kPayloadBits) | payload};
  if (hole_) {
    hole_ = false;
    sift_from_root(e);
    return;
  }
  if (size_ == capacity_) grow();
  sift_up(size_++, e);
}

inline const EventQueue::Entry& EventQueue::top() {
  if (hole_) fill_hole_with_last();
  return at(0);
}

inline EventQueue::Entry EventQueue::pop() {
  if (hole_) fill_hole_with_last();
  const Entry e = at(0);
  hole_ = true;  // resolved lazily by the next push, pop or top
  return e;
}

inline void EventQueue::fill_hole_with_last() {
  hole_ = false;
  --size_;
  if (size_ > 0) sift_from_root(at(size_));
}

// Floyd's bottom-up sift: walk the hole down the smaller children, then bubble e up.
inline void EventQueue::sift_from_root(Entry e) {
  std::size_t hole = 0;
  const std::size_t n = size_;
  for (;;) {
    const std::size_t first = 4 * hole + 1;
    if (first + 3 < n) {
      // The grandchildren of this node are 16 consecutive entries (four cache lines);
      // fetching them now overlaps the next level's memory latency with this level's work.
      const std::size_t grandchildren = 4 * first + 1;
      if (grandchildren < n) {
        const char* p = reinterpret_cast<const char*>(&at(grandchildren));
        __builtin_prefetch(p);
        __builtin_prefetch(p + 64);
        __builtin_prefetch(p + 128);
        __builtin_prefetch(p + 192);
      }
      // Tournament of four without branches: mispredicted branches, not memory, dominate
      // a heap that fits in cache.
      const std::size_t left = first + std::size_t(less(at(first + 1), at(first)));
      const std::size_t right = first + 2 + std::size_t(less(at(first + 3), at(first + 2)));
      const std::size_t take_right = std::size_t(0) - std::size_t(less(at(right), at(left)));
      const std::size_t best = left ^ ((left ^ right) & take_right);
      at(hole) = at(best);
      hole = best;
    } else if (first < n) {
      std::size_t best = first;
      for (std::size_t c = first + 1; c < n; ++c)
        if (less(at(c), at(best))) best = c;
      at(hole) = at(best);
      hole = best;
    } else {
      break;
    }
  }
  sift_up(hole, e);
}

inline void EventQueue::sift_up(std::size_t i, Entry e) {
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!less(e, at(parent))) break;
    at(i) = at(parent);
    i = parent;
  }
  at(i) = e;
}

}  // namespace dcsim
