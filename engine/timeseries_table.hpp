#pragma once
#include <string>
#include <vector>

namespace dcsim::engine {

// The common time grid for timeseries.csv and the report's charts: power and link
// utilization over simulated time.
struct TimeSeriesTable {
  std::vector<std::string> columns;       // name_unit, first "time_s"
  std::vector<std::vector<double>> rows;  // one per grid point
};

}  // namespace dcsim::engine
