#pragma once
#include <string>

namespace dcsim::app {
// `dcsim calibrate CSV --chip NAME`: refits the compute-time model to measured GEMMs and
// prints the fitted parameters, a per-sample error table and the YAML to put in a scenario.
int calibrate(const std::string& csv, const std::string& chip, const std::string& scenario);
// `dcsim catalog [--scenario FILE]`: the accelerator and server tables.
int print_catalog(const std::string& scenario);
}  // namespace dcsim::app
