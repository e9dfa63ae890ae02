#pragma once
// A string of 16 bytes for the text of YAML scalars and keys: up to 15 characters live in
// the object itself, longer ones in one heap block. std::string takes 32 bytes, and a 50 MB
// scenario has millions of short scalars ("275", "64 MB"), so this halves their share of
// the tree.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dcsim::scenario {

class CompactText {
 public:
  CompactText() noexcept { bytes_[kTagByte] = 0; }
  explicit CompactText(std::string_view s) {
    if (s.size() <= kInlineCapacity) {
      std::memcpy(bytes_, s.data(), s.size());
      bytes_[kTagByte] = static_cast<char>(s.size());
      return;
    }
    if (s.size() > UINT32_MAX) throw std::length_error("a YAML scalar over 4 GiB");
    char* chars = new char[s.size()];
    std::memcpy(chars, s.data(), s.size());
    const auto size = static_cast<std::uint32_t>(s.size());
    std::memcpy(bytes_, &chars, sizeof chars);
    std::memcpy(bytes_ + sizeof chars, &size, sizeof size);
    bytes_[kTagByte] = kOnHeap;
  }
  CompactText(const CompactText& other) : CompactText(other.view()) {}
  CompactText(CompactText&& other) noexcept {
    std::memcpy(bytes_, other.bytes_, sizeof bytes_);
    other.bytes_[kTagByte] = 0;  // the heap block, if any, now belongs here
  }
  CompactText& operator=(const CompactText& other) {
    if (this != &other) *this = CompactText(other);
    return *this;
  }
  CompactText& operator=(CompactText&& other) noexcept {
    if (this != &other) {
      release();
      std::memcpy(bytes_, other.bytes_, sizeof bytes_);
      other.bytes_[kTagByte] = 0;
    }
    return *this;
  }
  ~CompactText() { release(); }

  std::string_view view() const {
    if (!on_heap()) return {bytes_, static_cast<std::size_t>(bytes_[kTagByte])};
    std::uint32_t size = 0;
    std::memcpy(&size, bytes_ + sizeof(char*), sizeof size);
    return {heap_chars(), size};
  }
  std::string str() const { return std::string(view()); }
  operator std::string_view() const { return view(); }  // NOLINT: reads like the string it holds
  friend bool operator==(const CompactText& a, std::string_view b) { return a.view() == b; }

 private:
  // Inline: the characters, then their count in the last byte. On the heap: the pointer,
  // the 32-bit size, and kOnHeap in the last byte.
  static constexpr std::size_t kInlineCapacity = 15;
  static constexpr std::size_t kTagByte = 15;
  static constexpr char kOnHeap = -1;

  bool on_heap() const { return bytes_[kTagByte] == kOnHeap; }
  char* heap_chars() const {
    char* chars = nullptr;
    std::memcpy(&chars, bytes_, sizeof chars);
    return chars;
  }
  void release() {
    if (on_heap()) delete[] heap_chars();
    bytes_[kTagByte] = 0;
  }

  alignas(8) char bytes_[16];
};
static_assert(sizeof(CompactText) == 16);

}  // namespace dcsim::scenario
