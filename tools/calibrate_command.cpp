#include "tools/calibrate_command.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
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

namespace {
bool is_attention_csv(const std::string& path) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') return line.rfind("batch,seq,", 0) == 0;
  return false;
}

void print_gemm_fit(const std::vector<hardware::GemmSample>& samples, const hardware::AcceleratorSpec& chip,
                    const hardware::CurveFit& fit) {
  const auto p = samples.front().precision;
  fmt::print("{} samples, {} GEMMs on {} (peak {})\n", samples.size(), hardware::to_string(p), chip.name,
             format_quantity(chip.peak(p), Dimension::Compute));
  fmt::print("{:>6} {:>6} {:>6} {:>6} {:>12} {:>12} {:>8}  source\n", "batch", "m", "n", "k", "measured", "model", "error");
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
  for (const auto& [source, scale] : fit.source_scale)
    fmt::print("samples from {} run {:.3f}x the fitted level (another clock)\n", source, scale);
  fmt::print("\n# fitted compute curve, for a scenario's catalog section:\ncatalog:\n  accelerators:\n    {}:\n"
             "      compute:\n        max_efficiency: {{{}: {:.4f}}}\n        shape: {{{}: {{half_mn: {:.1f}, half_k: {:.1f}}}}}\n"
             "        kernel_floor: {:.3f} us\n",
             chip.name, hardware::to_string(p), fit.curve.max_efficiency, hardware::to_string(p), fit.curve.half_mn,
             fit.curve.half_k, fit.kernel_floor_s * 1e6);
}

void print_attention_fit(const std::vector<hardware::AttentionSample>& samples, const hardware::AcceleratorSpec& chip,
                         const hardware::AttentionFit& fit) {
  fmt::print("{} samples, causal flash attention on {} (bf16 peak {})\n", samples.size(), chip.name,
             format_quantity(chip.peak(hardware::Precision::bf16), Dimension::Compute));
  fmt::print("{:>8} {:>7} {:>10} {:>10} {:>8} {:>11} {:>11} {:>8}\n", "heads", "seq", "fwd us", "model", "error",
             "bwd us", "model", "error");
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto& s = samples[i];
    fmt::print("{:>8} {:>7} {:>10.1f} {:>10.1f} {:>+7.1f}% {:>11.1f} {:>11.1f} {:>+7.1f}%\n", s.shape.batch_heads,
               s.shape.q_len, s.forward_s * 1e6, fit.predicted_forward_s[i] * 1e6,
               100 * (fit.predicted_forward_s[i] / s.forward_s - 1), s.backward_s * 1e6,
               fit.predicted_backward_s[i] * 1e6, 100 * (fit.predicted_backward_s[i] / s.backward_s - 1));
  }
  fmt::print("rms log error: forward {:.3f}, backward {:.3f}\n", fit.rms_log_error_forward, fit.rms_log_error_backward);
  auto curve = [](const hardware::AttentionCurve& c) {
    return fmt::format("{{max_efficiency: {:.4f}, half_tiles: {:.1f}, half_seq: {:.1f}}}", c.max_efficiency,
                       c.half_tiles, c.half_seq);
  };
  fmt::print("\n# fitted attention curves, for a scenario's catalog section:\ncatalog:\n  accelerators:\n    {}:\n"
             "      compute:\n        attention:\n          forward: {}\n          backward: {}\n",
             chip.name, curve(fit.forward), curve(fit.backward));
}
}  // namespace

int calibrate(const CalibrateOptions& o) {
  try {
    const hardware::Catalog catalog = load_catalog(o.scenario);
    const hardware::AcceleratorSpec* chip = catalog.accelerator(o.chip);
    if (!chip) {
      std::string names;
      for (const auto& n : catalog.accelerator_names()) names += (names.empty() ? "" : ", ") + n;
      std::cerr << fmt::format("error: --chip \"{}\" is not in the catalog; allowed: {}\n", o.chip, names);
      return 2;
    }
    if (is_attention_csv(o.csv.front())) {
      if (o.csv.size() > 1) throw std::runtime_error("give one attention CSV at a time");
      const auto samples = hardware::read_attention_csv(o.csv.front());
      print_attention_fit(samples, *chip, hardware::fit_attention_curves(*chip, samples));
      return 0;
    }
    std::vector<hardware::GemmSample> samples;
    for (const auto& path : o.csv) {
      if (is_attention_csv(path)) throw std::runtime_error(path + ": an attention CSV cannot join a GEMM fit");
      auto more = hardware::read_gemm_csv(path);
      samples.insert(samples.end(), more.begin(), more.end());
    }
    hardware::GemmFitOptions fo;
    fo.relative_sources = o.relative_sources;
    fo.half_mn = o.half_mn;
    print_gemm_fit(samples, *chip, hardware::fit_matmul_curve(*chip, samples, fo));
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
