#include "sim/atomic_file.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace dcsim {
namespace {
// Temporary files open now, in fixed storage a signal handler may read (unlink is
// async-signal-safe; nothing here allocates). A run has a handful open at a time.
constexpr std::size_t kSlots = 64, kPathBytes = 4096;
std::array<std::array<char, kPathBytes>, kSlots> g_paths;
std::array<std::atomic<bool>, kSlots> g_used{};

int register_temporary(const std::filesystem::path& p) {
  const std::string text = p.string();
  if (text.size() >= kPathBytes) return -1;
  for (std::size_t i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (g_used[i].compare_exchange_strong(expected, true)) {
      std::memcpy(g_paths[i].data(), text.c_str(), text.size() + 1);
      return static_cast<int>(i);
    }
  }
  return -1;  // more than kSlots at once: that file is simply not cleaned on a signal
}

void unregister_temporary(int slot) {
  if (slot >= 0) g_used[static_cast<std::size_t>(slot)].store(false);
}

std::uint64_t next_temporary_number() {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

extern "C" void remove_temporaries_and_die(int sig) {
  for (std::size_t i = 0; i < kSlots; ++i)
    if (g_used[i].load()) ::unlink(g_paths[i].data());
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}
}  // namespace

void remove_temporary_files_on_signals() {
  struct sigaction action {};
  action.sa_handler = remove_temporaries_and_die;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &action, nullptr);
}

AtomicFile::AtomicFile(std::filesystem::path target)
    : target_(std::move(target)),
      // Unique per process and per file, so runs on several threads never share one.
      temporary_(target_.string() + fmt::format(".tmp.{}.{}", static_cast<long>(::getpid()), next_temporary_number())) {
  out_.open(temporary_, std::ios::binary | std::ios::trunc);
  if (!out_) throw EnvironmentError(fmt::format("cannot write {}: cannot create {}", target_.string(), temporary_.string()));
  slot_ = register_temporary(temporary_);
}

AtomicFile::~AtomicFile() {
  unregister_temporary(slot_);
  if (!committed_) {
    out_.close();
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

void AtomicFile::commit() {
  out_.flush();
  const bool ok = static_cast<bool>(out_);
  out_.close();
  if (!ok || out_.fail()) throw EnvironmentError(fmt::format("cannot write {}: I/O error", target_.string()));
  std::error_code ec;
  std::filesystem::rename(temporary_, target_, ec);
  if (ec) throw EnvironmentError(fmt::format("cannot write {}: {}", target_.string(), ec.message()));
  committed_ = true;
  unregister_temporary(slot_);
  slot_ = -1;
}

void write_file_atomically(const std::filesystem::path& target, std::string_view content) {
  AtomicFile f(target);
  f.write(content);
  f.commit();
}

}  // namespace dcsim
