#pragma once
// Streams Chrome trace-event JSON (opens in Perfetto and chrome://tracing) to disk as events
// arrive: memory stays bounded by a small write buffer, and the file size by max_events,
// past which events are counted and dropped rather than written.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/atomic_file.hpp"
#include "sim/time.hpp"

namespace dcsim {

class TraceWriter {
 public:
  explicit TraceWriter(const std::filesystem::path& path, std::uint64_t max_events = 5'000'000);
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // Metadata: names shown for a process (a group of tracks) and a thread (one track).
  void process_name(int pid, std::string_view name);
  void thread_name(int pid, int tid, std::string_view name);
  void thread_sort_index(int pid, int tid, int index);
  // A span on one track ("ph":"X"). Arguments are emitted as a flat JSON object of numbers.
  void complete(int pid, int tid, std::string_view name, std::string_view category, Time start, Time duration,
                const std::vector<std::pair<std::string, double>>& args = {});
  // A counter track value from time t onward ("ph":"C").
  void counter(int pid, std::string_view name, Time t, double value);
  void instant(int pid, int tid, std::string_view name, Time t);

  std::uint64_t events_written() const { return written_; }
  std::uint64_t events_dropped() const { return dropped_; }
  // Writes the closing bracket and renames the file into place.
  void close();

 private:
  bool admit();
  void append(std::string_view text);
  void flush_buffer();

  AtomicFile file_;
  std::string buffer_;
  std::uint64_t max_events_;
  std::uint64_t written_ = 0;
  std::uint64_t dropped_ = 0;
  bool closed_ = false;
};

}  // namespace dcsim
