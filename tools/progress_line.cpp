#include "tools/progress_line.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace dcsim::app {

ProgressLine::ProgressLine(Simulator& sim, bool enabled)
    : sim_(sim), enabled_(enabled && ::isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()), last_(start_) {
  if (enabled_) sim_.set_progress_hook([this] { update(); });
}

ProgressLine::~ProgressLine() {
  if (enabled_) sim_.set_progress_hook(nullptr);
  if (shown_) std::fputs("\r\033[K", stderr);
}

void ProgressLine::set_status(const std::string& status, double done, double total) {
  status_ = status;
  done_ = done;
  total_ = total;
}

void ProgressLine::update() {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (elapsed < 1.0 || std::chrono::duration<double>(now - last_).count() < 0.2) return;
  last_ = now;
  shown_ = true;
  std::string eta;
  if (total_ > 0 && done_ > 0 && done_ < total_) eta = fmt::format(" | about {:.0f} s left", elapsed / done_ * (total_ - done_));
  std::fprintf(stderr, "\r\033[K[dcsim] simulated %s%s%s | %.3g events/s | %.0f s%s", to_string(sim_.now()).c_str(),
               status_.empty() ? "" : " | ", status_.c_str(), double(sim_.events_executed()) / elapsed, elapsed,
               eta.c_str());
  std::fflush(stderr);
}

}  // namespace dcsim::app
