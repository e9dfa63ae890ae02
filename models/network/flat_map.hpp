#pragma once
// A small open-addressing hash map from 64-bit keys to 32-bit values (linear probing,
// tombstones swept on growth). No allocation per insertion once it has grown.
#include <bit>
#include <cstdint>
#include <vector>

namespace dcsim::network {

class FlatMap64 {
 public:
  static constexpr std::uint32_t kMissing = ~0u;

  std::uint32_t find(std::uint64_t key) const {
    if (slots_.empty()) return kMissing;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash(key) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.state == kEmptySlot) return kMissing;
      if (s.state == kFull && s.key == key) return s.value;
    }
  }
  // Inserts or overwrites.
  void set(std::uint64_t key, std::uint32_t value) {
    if ((used_ + 1) * 10 > slots_.size() * 7) rehash();
    const std::size_t mask = slots_.size() - 1;
    std::size_t tomb = slots_.size();
    for (std::size_t i = hash(key) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.state == kFull && s.key == key) {
        s.value = value;
        return;
      }
      if (s.state == kTomb && tomb == slots_.size()) tomb = i;
      if (s.state == kEmptySlot) {
        Slot& at = tomb < slots_.size() ? slots_[tomb] : s;
        if (&at == &s) ++used_;
        at = {key, value, kFull};
        ++size_;
        return;
      }
    }
  }
  void erase(std::uint64_t key) {
    if (slots_.empty()) return;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash(key) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.state == kEmptySlot) return;
      if (s.state == kFull && s.key == key) {
        s.state = kTomb;
        --size_;
        return;
      }
    }
  }
  std::size_t size() const { return size_; }

 private:
  static constexpr std::uint8_t kEmptySlot = 0, kFull = 1, kTomb = 2;
  struct Slot {
    std::uint64_t key = 0;
    std::uint32_t value = 0;
    std::uint8_t state = kEmptySlot;
  };
  static std::uint64_t hash(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  void rehash() {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(std::max<std::size_t>(64, std::bit_ceil((size_ + 1) * 3)), Slot{});
    used_ = 0;
    size_ = 0;
    for (const Slot& s : old)
      if (s.state == kFull) set(s.key, s.value);
  }

  std::vector<Slot> slots_;
  std::size_t used_ = 0, size_ = 0;
};

}  // namespace dcsim::network
