#pragma once
// A growable array of 16 bytes (pointer and two 32-bit counts) for the children of YAML
// maps and lists: std::vector takes 24, and a tree node holds either text or children, so
// with this both fit the same 16 bytes. Elements must move without throwing.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace dcsim::scenario {

template <typename T>
class CompactVector {
 public:
  CompactVector() noexcept = default;
  CompactVector(const CompactVector& other) {
    reserve(other.size_);
    for (const T& item : other) push_back(item);
  }
  CompactVector(CompactVector&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  CompactVector& operator=(CompactVector other) noexcept {
    swap(other);
    return *this;
  }
  ~CompactVector() {
    clear();
    ::operator delete(data_, std::align_val_t{alignof(T)});
  }

  void swap(CompactVector& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  std::span<const T> span() const { return {data_, size_}; }

  void push_back(T item) {
    if (size_ == capacity_) {
      if (size_ == UINT32_MAX) throw std::length_error("a YAML map or list of over 4 G entries");
      reserve(capacity_ == 0 ? 1 : std::min<std::size_t>(std::size_t{capacity_} * 2, UINT32_MAX));
    }
    ::new (static_cast<void*>(data_ + size_)) T(std::move(item));
    ++size_;
  }

  template <typename Pred>
  void erase_if(Pred pred) {
    T* kept = std::remove_if(begin(), end(), pred);
    const auto removed = static_cast<std::uint32_t>(end() - kept);
    std::destroy(kept, end());
    size_ -= removed;
  }

  void clear() noexcept {
    std::destroy(begin(), end());
    size_ = 0;
  }

 private:
  // Only for capacity <= UINT32_MAX (push_back sees to it); T is complete here, so a tree
  // node may hold a CompactVector of its own type.
  void reserve(std::size_t capacity) {
    if (capacity <= capacity_) return;
    static_assert(std::is_nothrow_move_constructible_v<T>);
    T* grown = static_cast<T*>(::operator new(capacity * sizeof(T), std::align_val_t{alignof(T)}));
    std::uninitialized_move(begin(), end(), grown);
    std::destroy(begin(), end());
    ::operator delete(data_, std::align_val_t{alignof(T)});
    data_ = grown;
    capacity_ = static_cast<std::uint32_t>(capacity);
  }

  T* data_ = nullptr;
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 0;
};

}  // namespace dcsim::scenario
