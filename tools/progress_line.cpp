#include "tools/progress_line.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "sim/time.hpp"

namespace dcsim::app {

ProgressLine::ProgressLine(bool enabled)
    : enabled_(enabled && ::isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()), last_(start_) {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::clear() {
  if (shown_) std::fputs("\r\033[K", stderr);
  shown_ = false;
}

void ProgressLine::update(const engine::RunProgress& p) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (elapsed < 1.0 || std::chrono::duration<double>(now - last_).count() < 0.2) return;
  last_ = now;
  shown_ = true;
  std::fprintf(stderr, "\r\033[K[dcsim] simulated %s | %.*s | %.3g events/s | %.0f s",
               to_string(Time::from_seconds(p.simulated_seconds)).c_str(), int(p.workload.size()), p.workload.data(),
               double(p.events) / elapsed, elapsed);
  std::fflush(stderr);
}

}  // namespace dcsim::app
