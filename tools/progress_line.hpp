#pragma once
// A one-line progress report on stderr for runs longer than a second, when stderr is a
// terminal: simulated time, the workload's own status (iteration k of n), events/s and an
// estimate of the time left. It observes the simulator; it never changes a result.
#include <chrono>
#include <string>

#include "sim/simulator.hpp"

namespace dcsim::app {

class ProgressLine {
 public:
  ProgressLine(Simulator& sim, bool enabled);
  ~ProgressLine();  // clears the line
  // `done` and `total` steps of the workload (e.g. iterations), for the estimate.
  void set_status(const std::string& status, double done, double total);

 private:
  void update();
  Simulator& sim_;
  bool enabled_;
  bool shown_ = false;
  std::string status_;
  double done_ = 0, total_ = 0;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace dcsim::app
