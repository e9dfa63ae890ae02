#include "sim/simulator.hpp"

#include <fmt/format.h>

namespace dcsim {

void Simulator::add_chunk() {
  const auto base = static_cast<std::uint32_t>(chunks_.size() * kChunkSize);
  if (base + kChunkSize - 1 > EventQueue::kMaxPayload)
    throw std::length_error("more than 16.7 million events pending at once");
  chunks_.push_back(std::make_unique<Slot[]>(kChunkSize));
  for (std::uint32_t k = kChunkSize; k-- > 0;) {
    chunks_.back()[k].next_free = free_head_;
    free_head_ = base + k;
  }
}

void Simulator::throw_in_past(Time when) const {
  throw std::logic_error(
      fmt::format("event scheduled in the past: at {} while now is {}", to_string(when), to_string(now_)));
}

bool Simulator::cancel(EventHandle h) {
  if (!is_pending(h)) return false;
  Slot& s = slot_at(h.slot);
  s.callback.reset();  // release captured state now; the slot itself waits for its queue entry
  s.state = Slot::Cancelled;
  --pending_;
  return true;
}

bool Simulator::is_pending(EventHandle h) const {
  if (!h.valid() || (h.slot >> kChunkBits) >= chunks_.size()) return false;
  const Slot& s = slot_at(h.slot);
  return s.generation == h.generation && s.state == Slot::Pending;
}

// Runs the next event if it is at or before `limit`. Returns false when none qualifies.
bool Simulator::step(Time limit) {
  while (!queue_.empty()) {
    const EventQueue::Entry& top = queue_.top();
    if (top.when() > limit) return false;
    const EventQueue::Entry e = queue_.pop();
    Slot& s = slot_at(e.payload());
    if (s.state == Slot::Cancelled) {
      release_slot(e.payload());
      continue;
    }
    now_ = e.when();
    --pending_;
    ++executed_;
    s.state = Slot::Free;  // running: no longer cancellable
    s.callback();
    release_slot(e.payload());
    if (progress_ && executed_ % progress_every_ == 0) progress_();
    return true;
  }
  return false;
}

void Simulator::run() {
  stopped_ = false;
  while (!stopped_ && step(Time::max())) {
  }
}

void Simulator::run_until(Time limit) {
  stopped_ = false;
  while (!stopped_ && step(limit)) {
  }
  if (!stopped_ && limit > now_) now_ = limit;
}

}  // namespace dcsim
