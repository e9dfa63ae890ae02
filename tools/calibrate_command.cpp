#include "tools/calibrate_command.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

#include "models/hardware/calibration.hpp"
#include "models/scenario/catalog_parser.hpp"
#include "models/scenario/scenario.hpp"
#include "models/scenario/units.hpp"

namespace dcsim::app {
namespace {
using scenario::Dimension;
using scenario::format_quantity;

hardware::Catalog load_catalog(const std::string& scenario_path) {
  if (!scenario_path.empty()) return scenario::load_catalog_of(scenario_path);
  scenario::Diagnostics diag;
  hardware::Catalog c = scenario::read_catalog(nullptr, "catalog", diag);
  diag.throw_if_any();
  return c;
}
}  // namespace

int calibrate(const std::string& csv, const std::string& chip_name, const std::string& scenario_path) {
  try {
    const hardware::Catalog catalog = load_catalog(scenario_path);
    const hardware::AcceleratorSpec* chip = catalog.accelerator(chip_name);
    if (!chip) {
      std::string names;
      for (const auto& n : catalog.accelerator_names()) names += (names.empty() ? "" : ", ") + n;
      std::cerr << fmt::format("error: --chip \"{}\" is not in the catalog; allowed: {}\n", chip_name, names);
      return 2;
    }
    const auto samples = hardware::read_gemm_csv(csv);
    const hardware::CurveFit fit = hardware::fit_matmul_curve(*chip, samples);
    const auto p = samples.front().precision;
    fmt::print("{}: {} samples, {} GEMMs on {} (peak {})\n", csv, samples.size(), hardware::to_string(p), chip->name,
               format_quantity(chip->peak(p), Dimension::Compute));
    fmt::print("{:>6} {:>6} {:>6} {:>6} {:>12} {:>12} {:>8}  source\n", "batch", "m", "n", "k", "measured", "model",
               "error");
    double worst = 0;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const auto& s = samples[i];
      const double measured = s.shape.flops() / s.seconds / 1e12;
      const double model = s.shape.flops() / fit.predicted_seconds[i] / 1e12;
      const double err = model / measured - 1;
      worst = std::max(worst, std::abs(err));
      fmt::print("{:>6} {:>6} {:>6} {:>6} {:>8.1f} TF/s {:>7.1f} TF/s {:>+7.1f}%  {}\n", s.shape.batch, s.shape.m,
                 s.shape.n, s.shape.k, measured, model, 100 * err, s.source);
    }
    fmt::print("rms log error {:.3f} (~{:.1f} % typical), worst {:.1f} %, {} iterations\n", fit.rms_log_error,
               100 * (std::exp(fit.rms_log_error) - 1), 100 * worst, fit.iterations);
    fmt::print("\n# fitted compute curve, for a scenario's catalog section:\ncatalog:\n  accelerators:\n    {}:\n"
               "      compute:\n        shape_gain: {:.4f}      # asymptote {:.4f} over the {} ceiling {:.4f}\n"
               "        half_mn: {:.1f}\n        half_k: {:.1f}\n        kernel_floor: {:.3f} us\n",
               chip->name, fit.shape_gain, fit.asymptote, hardware::to_string(p), fit.max_efficiency, fit.half_mn,
               fit.half_k, fit.kernel_floor_s * 1e6);
    return 0;
  } catch (const scenario::InputError& e) {
    std::cerr << e.what();
    return 2;
  } catch (const std::runtime_error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}

int print_catalog(const std::string& scenario_path) {
  try {
    const hardware::Catalog catalog = load_catalog(scenario_path);
    using hardware::Precision;
    auto tf = [](const hardware::AcceleratorSpec& a, Precision p) {
      return a.supports(p) ? fmt::format("{:.0f}", a.peak(p) / 1e12) : std::string("-");
    };
    fmt::print("Accelerators (dense TFLOP/s)\n");
    fmt::print("{:<14} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>10} {:>10} {:>7} {:>7}\n", "chip", "fp32", "tf32",
               "bf16", "fp16", "fp8", "fp4", "HBM", "HBM bw", "scale-up", "idle", "max");
    for (const auto& [name, a] : catalog.accelerators)
      fmt::print("{:<14} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>10} {:>10} {:>7} {:>7}\n", name,
                 tf(a, Precision::fp32), tf(a, Precision::tf32), tf(a, Precision::bf16), tf(a, Precision::fp16),
                 tf(a, Precision::fp8), tf(a, Precision::fp4), format_quantity(a.hbm_bytes, Dimension::Bytes),
                 format_quantity(a.hbm_bandwidth, Dimension::Bandwidth),
                 format_quantity(a.scale_up_bandwidth, Dimension::Bandwidth),
                 format_quantity(a.power.idle_w, Dimension::Power), format_quantity(a.power.max_w, Dimension::Power));
    fmt::print("\nServers\n");
    fmt::print("{:<20} {:<12} {:>4} {:<9} {:>10} {:>7} {:>12} {:>9} {:>11}\n", "server", "accelerator", "n", "scale-up",
               "per device", "domain", "NICs", "host", "price");
    for (const auto& [name, s] : catalog.servers)
      fmt::print("{:<20} {:<12} {:>4} {:<9} {:>10} {:>7} {:>12} {:>9} {:>11}\n", name, s.accelerator, s.accelerators,
                 hardware::to_string(s.scale_up.topology), format_quantity(s.scale_up.bandwidth, Dimension::Bandwidth),
                 s.domain_size(), fmt::format("{} x {:.0f} Gbps", s.nics, s.nic_bandwidth * 8 / 1e9),
                 format_quantity(s.host_power_w, Dimension::Power),
                 format_quantity(s.price_per_hour, Dimension::MoneyPerHour));
    fmt::print("\nSources: models/hardware/catalog/*.yaml (each figure's `sources` entry); docs/hardware.md\n");
    return 0;
  } catch (const scenario::InputError& e) {
    std::cerr << e.what();
    return 2;
  }
}

}  // namespace dcsim::app
