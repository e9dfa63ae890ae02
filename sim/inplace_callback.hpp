#pragma once
// A move-only void() callable stored inline (no heap allocation). Event handlers and
// completion callbacks capture a few pointers and ids; anything larger is a compile error
// that says so, rather than a silent allocation on the hot path.
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace dcsim {

class InplaceCallback {
 public:
  static constexpr std::size_t kCapacity = 48;

  InplaceCallback() = default;
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, InplaceCallback>>>
  InplaceCallback(F&& f) {  // NOLINT(google-explicit-constructor): lambdas convert implicitly
    emplace(std::forward<F>(f));
  }
  InplaceCallback(const InplaceCallback&) = delete;
  InplaceCallback& operator=(const InplaceCallback&) = delete;
  InplaceCallback(InplaceCallback&& o) noexcept { take(o); }
  InplaceCallback& operator=(InplaceCallback&& o) noexcept {
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  ~InplaceCallback() { reset(); }

  template <class F>
  void emplace(F&& f) {
    using Fn = std::decay_t<F>;
    static_assert(sizeof(Fn) <= kCapacity,
                  "event handler captures too much: capture pointers or ids, at most 48 bytes");
    static_assert(alignof(Fn) <= alignof(std::max_align_t), "over-aligned event handler");
    static_assert(std::is_nothrow_move_constructible_v<Fn>, "event handlers must be nothrow-movable");
    reset();
    ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(f));
    invoke_ = [](void* p) { (*static_cast<Fn*>(p))(); };
    // Moves the callable from one storage to another and ends the source's lifetime.
    relocate_ = [](void* from, void* to) {
      ::new (to) Fn(std::move(*static_cast<Fn*>(from)));
      static_cast<Fn*>(from)->~Fn();
    };
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
    relocate_ = nullptr;
  }

 private:
  void take(InplaceCallback& o) noexcept {
    if (!o.invoke_) return;
    o.relocate_(o.storage_, storage_);
    invoke_ = o.invoke_;
    destroy_ = o.destroy_;
    relocate_ = o.relocate_;
    o.invoke_ = nullptr;
    o.destroy_ = nullptr;
    o.relocate_ = nullptr;
  }

  alignas(std::max_align_t) unsigned char storage_[kCapacity];
  void (*invoke_)(void*) = nullptr;
  void (*destroy_)(void*) = nullptr;
  void (*relocate_)(void*, void*) = nullptr;
};

}  // namespace dcsim
