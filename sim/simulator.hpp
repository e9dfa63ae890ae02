#pragma once
// The event loop: schedule callables at absolute or relative times, cancel them by handle,
// run until the queue empties, a time passes or stop() is called.
//
// Handlers live in slots of a chunked pool with stable addresses, so a handler runs in
// place (it may schedule more events while it runs) and no event allocates once the pool
// has grown to the peak number of pending events. A cancelled event keeps its slot until
// its queue entry surfaces, so a queue entry never points at a reused slot.
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "sim/event_queue.hpp"
#include "sim/inplace_callback.hpp"
#include "sim/time.hpp"

namespace dcsim {

struct EventHandle {
  std::uint32_t slot = ~0u;
  std::uint32_t generation = 0;
  bool valid() const { return slot != ~0u; }
};

class Simulator {
 public:
  Simulator() = default;
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  template <class F>
  EventHandle schedule_at(Time when, F&& handler) {
    if (when < now_) throw_in_past(when);
    const std::uint32_t slot = acquire_slot();
    Slot& s = slot_at(slot);
    s.callback.emplace(std::forward<F>(handler));
    s.state = Slot::Pending;
    queue_.push(when, slot);
    ++pending_;
    return EventHandle{slot, s.generation};
  }
  template <class F>
  EventHandle schedule_in(Time delay, F&& handler) {
    return schedule_at(now_ + delay, std::forward<F>(handler));
  }

  // True if the event was pending and is now cancelled; false if it already ran or was
  // cancelled before (handles are safe to cancel twice).
  bool cancel(EventHandle h);
  bool is_pending(EventHandle h) const;

  void run();                 // until no event is pending or stop() is called
  void run_until(Time limit); // runs events at times <= limit; then now() == limit unless stopped
  void stop() { stopped_ = true; }

  // Calls `hook` every `every` executed events; it observes only (it schedules nothing), so
  // runs with and without it are identical. Used for the progress line.
  void set_progress_hook(std::function<void()> hook, std::uint64_t every = 1u << 16) {
    progress_ = std::move(hook);
    progress_every_ = every;
  }

  Time now() const { return now_; }
  std::uint64_t events_executed() const { return executed_; }
  std::size_t pending() const { return pending_; }

 private:
  struct Slot {
    enum State : std::uint8_t { Free, Pending, Cancelled };
    InplaceCallback callback;
    std::uint32_t generation = 0;
    std::uint32_t next_free = ~0u;
    State state = Free;
  };
  static constexpr std::uint32_t kChunkBits = 12;
  static constexpr std::uint32_t kChunkSize = 1u << kChunkBits;

  Slot& slot_at(std::uint32_t i) { return chunks_[i >> kChunkBits][i & (kChunkSize - 1)]; }
  const Slot& slot_at(std::uint32_t i) const { return chunks_[i >> kChunkBits][i & (kChunkSize - 1)]; }
  std::uint32_t acquire_slot() {
    if (free_head_ == ~0u) add_chunk();
    const std::uint32_t i = free_head_;
    free_head_ = slot_at(i).next_free;
    return i;
  }
  void release_slot(std::uint32_t i) {
    Slot& s = slot_at(i);
    s.callback.reset();
    s.state = Slot::Free;
    ++s.generation;
    s.next_free = free_head_;
    free_head_ = i;
  }
  void add_chunk();
  bool step(Time limit);
  [[noreturn]] void throw_in_past(Time when) const;

  EventQueue queue_;
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  std::uint32_t free_head_ = ~0u;
  Time now_ = Time::zero();
  std::uint64_t executed_ = 0;
  std::size_t pending_ = 0;
  bool stopped_ = false;
  std::function<void()> progress_;
  std::uint64_t progress_every_ = 0;
};

}  // namespace dcsim
