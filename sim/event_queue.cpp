#include "sim/event_queue.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace dcsim {
namespace {
// Small heaps: cache-line aligned. Large ones: 2 MiB aligned and backed by transparent huge
// pages where the kernel offers them, so the random walk to the leaves misses the TLB less.
constexpr std::size_t kLineAlign = 64;
constexpr std::size_t kHugeAlign = std::size_t(2) << 20;
constexpr std::size_t kHugeThreshold = std::size_t(4) << 20;

void* allocate(std::size_t bytes) {
  const std::size_t align = bytes >= kHugeThreshold ? kHugeAlign : kLineAlign;
  bytes = (bytes + align - 1) / align * align;
  void* p = ::operator new(bytes, std::align_val_t(align));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (align == kHugeAlign) ::madvise(p, bytes, MADV_HUGEPAGE);  // a hint; failure is harmless
#endif
  return p;
}
}  // namespace

void detail::AlignedFree::operator()(void* p) const {
  if (p) ::operator delete(p, std::align_val_t(align));
}

EventQueue::EventQueue() { reserve(1024); }
EventQueue::~EventQueue() = default;

void EventQueue::reserve(std::size_t n) {
  if (n <= capacity_) return;
  const std::size_t bytes = (n + kOffset) * sizeof(Entry);
  auto* fresh = static_cast<Entry*>(allocate(bytes));
  if (data_) std::memcpy(fresh + kOffset, data_.get() + kOffset, size_ * sizeof(Entry));
  data_ = std::unique_ptr<Entry[], detail::AlignedFree>(fresh, detail::AlignedFree{bytes >= kHugeThreshold ? kHugeAlign : kLineAlign});
  capacity_ = n;
}

void EventQueue::grow() { reserve(capacity_ * 2); }

void EventQueue::throw_payload_too_large() { throw std::length_error("event payload id exceeds 2^24"); }

// After 2^40 pushes the sequence field would overflow: reassign sequences 0..n-1 in the
// current (time, sequence) order. A sorted array is a valid heap, so nothing else changes.
void EventQueue::renumber() {
  if (hole_) fill_hole_with_last();
  Entry* begin = data_.get() + kOffset;
  std::sort(begin, begin + size_, less);
  for (std::size_t i = 0; i < size_; ++i)
    begin[i].key = (std::uint64_t(i) << kPayloadBits) | (begin[i].key & kMaxPayload);
  next_seq_ = size_;
}

}  // namespace dcsim
