#pragma once
// A binary min-heap of ids whose keys and heap positions live in the caller's objects, so an
// id's key can change or the id can leave from anywhere in O(log n), without searching.
// `Access` provides key(id) (any totally ordered value) and pos(id) (a std::uint32_t&).
// Ties are broken by id, so the order never depends on insertion history.
#include <cstdint>
#include <utility>
#include <vector>

namespace dcsim::network {

inline constexpr std::uint32_t kNotInHeap = ~0u;

template <class Access>
class IndexedHeap {
 public:
  explicit IndexedHeap(Access access = {}) : a_(std::move(access)) {}
  // Points the heap at other storage for keys and positions; keeps the id buffer's capacity.
  void rebind(Access access) {
    a_ = std::move(access);
    ids_.clear();
  }

  bool empty() const { return ids_.empty(); }
  std::size_t size() const { return ids_.size(); }
  std::uint32_t top() const { return ids_.front(); }
  bool contains(std::uint32_t id) const { return a_.pos(id) != kNotInHeap; }
  const std::vector<std::uint32_t>& ids() const { return ids_; }

  void push(std::uint32_t id) {
    a_.pos(id) = static_cast<std::uint32_t>(ids_.size());
    ids_.push_back(id);
    up(a_.pos(id));
  }
  void erase(std::uint32_t id) {
    const std::uint32_t i = a_.pos(id);
    a_.pos(id) = kNotInHeap;
    const std::uint32_t last = ids_.back();
    ids_.pop_back();
    if (i == ids_.size()) return;
    ids_[i] = last;
    a_.pos(last) = i;
    fix(i);
  }
  // Floyd's pop: the hole at the root goes down to a leaf along the lower child, chosen
  // without a branch (a coin flip no predictor learns), and the last id sifts up into it.
  void pop() {
    a_.pos(ids_.front()) = kNotInHeap;
    const std::uint32_t last = ids_.back();
    ids_.pop_back();
    const auto n = static_cast<std::uint32_t>(ids_.size());
    if (n == 0) return;
    std::uint32_t i = 0;
    for (std::uint32_t c = 1; c < n; c = 2 * i + 1) {
      if (c + 1 < n) c += std::uint32_t(lower(ids_[c + 1], ids_[c]));
      ids_[i] = ids_[c];
      a_.pos(ids_[i]) = i;
      i = c;
    }
    ids_[i] = last;
    up(i);
  }
  // The id's key changed: restore the heap order.
  void update(std::uint32_t id) { fix(a_.pos(id)); }
  void clear() {
    for (std::uint32_t id : ids_) a_.pos(id) = kNotInHeap;
    ids_.clear();
  }

 private:
  bool less(std::uint32_t x, std::uint32_t y) const {
    const auto& kx = a_.key(x);
    const auto& ky = a_.key(y);
    return kx < ky || (!(ky < kx) && x < y);
  }
  // less() evaluated without short-circuit jumps.
  bool lower(std::uint32_t x, std::uint32_t y) const {
    const auto& kx = a_.key(x);
    const auto& ky = a_.key(y);
    return bool(int(kx < ky) | (int(!(ky < kx)) & int(x < y)));
  }
  void fix(std::uint32_t i) {
    if (i > 0 && less(ids_[i], ids_[(i - 1) / 2]))
      up(i);
    else
      down(i);
  }
  void up(std::uint32_t i) {
    const std::uint32_t id = ids_[i];
    while (i > 0) {
      const std::uint32_t parent = (i - 1) / 2;
      if (!less(id, ids_[parent])) break;
      ids_[i] = ids_[parent];
      a_.pos(ids_[i]) = i;
      i = parent;
    }
    ids_[i] = id;
    a_.pos(id) = i;
  }
  void down(std::uint32_t i) {
    const std::uint32_t id = ids_[i];
    const auto n = static_cast<std::uint32_t>(ids_.size());
    for (;;) {
      std::uint32_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n) child += std::uint32_t(lower(ids_[child + 1], ids_[child]));
      if (!less(ids_[child], id)) break;
      ids_[i] = ids_[child];
      a_.pos(ids_[i]) = i;
      i = child;
    }
    ids_[i] = id;
    a_.pos(id) = i;
  }

  Access a_;
  std::vector<std::uint32_t> ids_;
};

}  // namespace dcsim::network
