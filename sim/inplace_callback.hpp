#pragma once
// A move-only void() callable stored inline (no heap allocation). Event handlers capture a
// few pointers and ids; anything larger is a compile error that says so, rather than a
// silent allocation on the hot path.
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace dcsim {

class InplaceCallback {
 public:
  static constexpr std::size_t kCapacity = 48;

  InplaceCallback() = default;
  InplaceCallback(const InplaceCallback&) = delete;
  InplaceCallback& operator=(const InplaceCallback&) = delete;
  ~InplaceCallback() { reset(); }

  template <class F>
  void emplace(F&& f) {
    using Fn = std::decay_t<F>;
    static_assert(sizeof(Fn) <= kCapacity,
                  "event handler captures too much: capture pointers or ids, at most 48 bytes");
    static_assert(alignof(Fn) <= alignof(std::max_align_t), "over-aligned event handler");
    reset();
    ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(f));
    invoke_ = [](void* p) { (*static_cast<Fn*>(p))(); };
    if constexpr (std::is_trivially_destructible_v<Fn>) {
      destroy_ = nullptr;
    } else {
      destroy_ = [](void* p) { static_cast<Fn*>(p)->~Fn(); };
    }
  }

  void operator()() { invoke_(storage_); }
  explicit operator bool() const { return invoke_ != nullptr; }

  void reset() {
    if (destroy_) destroy_(storage_);
    invoke_ = nullptr;
    destroy_ = nullptr;
  }

 private:
  alignas(std::max_align_t) unsigned char storage_[kCapacity];
  void (*invoke_)(void*) = nullptr;
  void (*destroy_)(void*) = nullptr;
};

}  // namespace dcsim
