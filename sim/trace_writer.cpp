#include "sim/trace_writer.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace dcsim {
namespace {
constexpr std::size_t kFlushBytes = 1 << 20;
std::string json_string(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }
// Trace timestamps are microseconds; three decimals keep nanosecond resolution.
std::string micros(Time t) {
  const std::int64_t n = t.count_ns();
  return fmt::format("{}{}.{:03d}", n < 0 ? "-" : "", std::llabs(n) / 1000, static_cast<int>(std::llabs(n) % 1000));
}
}  // namespace

TraceWriter::TraceWriter(const std::filesystem::path& path, std::uint64_t max_events)
    : file_(path), max_events_(max_events) {
  buffer_.reserve(kFlushBytes + 4096);
  buffer_ += "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
}

bool TraceWriter::admit() {
  if (written_ >= max_events_) {
    ++dropped_;
    return false;
  }
  if (written_ > 0) buffer_ += ",\n";
  ++written_;
  return true;
}

void TraceWriter::append(std::string_view text) {
  buffer_ += text;
  if (buffer_.size() >= kFlushBytes) flush_buffer();
}

void TraceWriter::flush_buffer() {
  file_.write(buffer_);
  buffer_.clear();
}

void TraceWriter::process_name(int pid, std::string_view name) {
  if (!admit()) return;
  append(fmt::format(R"({{"ph":"M","pid":{},"name":"process_name","args":{{"name":{}}}}})", pid, json_string(name)));
}

void TraceWriter::thread_name(int pid, int tid, std::string_view name) {
  if (!admit()) return;
  append(fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"thread_name","args":{{"name":{}}}}})", pid, tid,
                     json_string(name)));
}

void TraceWriter::thread_sort_index(int pid, int tid, int index) {
  if (!admit()) return;
  append(fmt::format(R"({{"ph":"M","pid":{},"tid":{},"name":"thread_sort_index","args":{{"sort_index":{}}}}})", pid,
                     tid, index));
}

void TraceWriter::complete(int pid, int tid, std::string_view name, std::string_view category, Time start,
                           Time duration, const std::vector<std::pair<std::string, double>>& args) {
  if (!admit()) return;
  std::string text = fmt::format(R"({{"ph":"X","pid":{},"tid":{},"name":{},"cat":{},"ts":{},"dur":{})", pid, tid,
                                 json_string(name), json_string(category), micros(start), micros(duration));
  if (!args.empty()) {
    text += R"(,"args":{)";
    for (std::size_t i = 0; i < args.size(); ++i)
      text += fmt::format("{}{}:{}", i ? "," : "", json_string(args[i].first), nlohmann::json(args[i].second).dump());
    text += "}";
  }
  text += "}";
  append(text);
}

void TraceWriter::counter(int pid, std::string_view name, Time t, double value) {
  if (!admit()) return;
  append(fmt::format(R"({{"ph":"C","pid":{},"name":{},"ts":{},"args":{{"value":{}}}}})", pid, json_string(name),
                     micros(t), nlohmann::json(value).dump()));
}

void TraceWriter::instant(int pid, int tid, std::string_view name, Time t) {
  if (!admit()) return;
  append(fmt::format(R"({{"ph":"i","pid":{},"tid":{},"name":{},"ts":{},"s":"t"}})", pid, tid, json_string(name),
                     micros(t)));
}

void TraceWriter::close() {
  if (closed_) return;
  closed_ = true;
  buffer_ += fmt::format("\n],\"otherData\":{{\"events_dropped\":{}}}}}\n", dropped_);
  flush_buffer();
  file_.commit();
}

}  // namespace dcsim
