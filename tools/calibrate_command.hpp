#pragma once
#include <optional>
#include <string>
#include <vector>

namespace dcsim::app {
struct CalibrateOptions {
  std::vector<std::string> csv;
  std::string chip = "H100-SXM";
  std::string scenario;
  std::vector<std::string> relative_sources;
  std::optional<double> half_mn;
};
// `dcsim calibrate CSV... --chip NAME`: refits the compute-time model to measured GEMMs or
// flash-attention kernels and prints the fitted parameters, a per-sample error table and the
// YAML to put in a scenario's catalog.
int calibrate(const CalibrateOptions& options);
// `dcsim catalog [--scenario FILE]`: the accelerator and server tables.
int print_catalog(const std::string& scenario);
}  // namespace dcsim::app
