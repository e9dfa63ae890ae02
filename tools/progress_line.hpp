#pragma once
// A one-line progress report on stderr for runs longer than a second, when stderr is a
// terminal: simulated time, the workload, events/s and the wall time so far. It observes a
// run (engine::RunControl::progress); it never changes a result.
#include <chrono>

#include "engine/engine.hpp"

namespace dcsim::app {

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled);
  ~ProgressLine();  // clears the line
  void update(const engine::RunProgress& p);
  void clear();

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace dcsim::app
