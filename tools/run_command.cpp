#include "tools/run_command.hpp"

#include <fmt/format.h>

#include <iostream>

#include "engine/engine.hpp"
#include "models/scenario/diagnostics.hpp"
#include "models/scenario/units.hpp"
#include "sim/atomic_file.hpp"
#include "tools/progress_line.hpp"

namespace dcsim::app {
namespace fs = std::filesystem;

fs::path default_out_dir(const fs::path& scenario) { return fs::path("out") / scenario.stem(); }

int validate_scenario(const fs::path& path, const std::vector<std::string>& overrides) {
  try {
    const scenario::Scenario s = engine::load(path, overrides);
    engine::check(s);
    fmt::print("{}: ok ({})\n", path.string(), s.name);
    return 0;
  } catch (const scenario::InputError& e) {
    std::cerr << e.what();
    return 2;
  }
}

int with_exit_codes(const std::function<int()>& body) {
  try {
    return body();
  } catch (const scenario::InputError& e) {
    std::cerr << e.what();
    return 2;
  } catch (const EnvironmentError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kEnvironmentErrorExit;
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return 1;
  }
}

int run_scenario(const RunOptions& options) {
  return with_exit_codes([&] {
    const scenario::Scenario s = engine::load(options.scenario, options.overrides, options.seed);
    if (options.out_dir && options.out_dir->empty()) {
      std::cerr << "error: --out: an empty folder name; give a folder, or leave --out out for out/<scenario name>/\n";
      return 2;
    }
    const fs::path out = options.out_dir.value_or(default_out_dir(options.scenario));
    remove_temporary_files_on_signals();
    ProgressLine progress(!options.quiet);
    engine::RunControl control;
    control.out_dir = out;
    control.progress = [&progress](const engine::RunProgress& p) { progress.update(p); };
    const engine::RunResult r = engine::run(s, control);
    progress.clear();
    if (!options.quiet) {
      const double rate = r.wall_seconds > 0 ? double(r.events) / r.wall_seconds : 0.0;
      fmt::print("{}", r.summary);
      fmt::print("  simulated {} events in {:.3f} s wall ({} events/s)\n", scenario::format_count(double(r.events)),
                 r.wall_seconds, scenario::format_count(rate));
      fmt::print("  results in {}/\n", out.string());
    }
    return 0;
  });
}

}  // namespace dcsim::app
