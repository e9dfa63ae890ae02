#pragma once
// A list of trivially copyable entries whose first N sit inside the list itself; only a
// longer list takes a heap block (kept when it shrinks, as std::vector keeps its capacity).
// Most links of a training fabric carry one to three transfers at a time, so with the
// list in a dense per-link array a transfer's start and end touch one cache line per link,
// not a LinkState and then a separate block.
#include <algorithm>
#include <cstdint>
#include <type_traits>

namespace dcsim::network {

template <class T, std::uint32_t N>
class InlineList {
  static_assert(std::is_trivially_copyable_v<T> && N > 0);

 public:
  InlineList() = default;
  InlineList(const InlineList&) = delete;
  InlineList& operator=(const InlineList&) = delete;
  InlineList(InlineList&& o) noexcept { take(o); }
  InlineList& operator=(InlineList&& o) noexcept {
    if (this == &o) return *this;
    if (on_heap()) delete[] heap_;
    take(o);
    return *this;
  }
  ~InlineList() {
    if (on_heap()) delete[] heap_;
  }

  std::uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& operator[](std::uint32_t i) { return data()[i]; }
  const T& operator[](std::uint32_t i) const { return data()[i]; }
  T& front() { return data()[0]; }
  const T& front() const { return data()[0]; }
  T& back() { return data()[size_ - 1]; }
  const T& back() const { return data()[size_ - 1]; }
  void pop_back() { --size_; }
  void clear() { size_ = 0; }
  void push_back(const T& v) {
    if (size_ == cap_) grow();
    data()[size_++] = v;
  }

 private:
  bool on_heap() const { return cap_ > N; }
  // Takes o's entries (its heap block, or a copy of its inline ones) and leaves it empty;
  // whatever this held must already be freed.
  void take(InlineList& o) {
    size_ = o.size_;
    cap_ = o.cap_;
    if (o.on_heap()) {
      heap_ = o.heap_;
      o.cap_ = N;
    } else {
      std::copy(o.local_, o.local_ + o.size_, local_);
    }
    o.size_ = 0;
  }
  T* data() { return on_heap() ? heap_ : local_; }
  const T* data() const { return on_heap() ? heap_ : local_; }
  void grow() {
    const std::uint32_t cap = cap_ * 2;
    T* block = new T[cap];
    std::copy(data(), data() + size_, block);
    if (on_heap()) delete[] heap_;
    heap_ = block;
    cap_ = cap;
  }

  std::uint32_t size_ = 0, cap_ = N;
  union {
    T local_[N];
    T* heap_;
  };
};

}  // namespace dcsim::network
