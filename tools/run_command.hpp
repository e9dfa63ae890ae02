#pragma once
// What `dcsim SCENARIO` does: load and validate, run the workload, write results, summarize.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dcsim::app {

struct RunOptions {
  std::filesystem::path scenario;
  std::vector<std::string> overrides;
  std::optional<std::uint64_t> seed;
  std::optional<std::filesystem::path> out_dir;  // default: out/<scenario file stem>
  bool quiet = false;
};

// Returns the process exit code: 0 success, 2 bad input, 1 internal error. Messages go to
// stderr, the summary to stdout.
int run_scenario(const RunOptions& options);
int validate_scenario(const std::filesystem::path& scenario, const std::vector<std::string>& overrides);

std::filesystem::path default_out_dir(const std::filesystem::path& scenario);

// Exit code when the machine refuses (an output folder that cannot be created, a disk that is
// full or read-only): neither bad input (2) nor a bug (1).
inline constexpr int kEnvironmentErrorExit = 3;

// Runs a command's body and maps what it throws to the exit codes every command shares:
// scenario::InputError 2 (its message as is), EnvironmentError 3, anything else 1.
int with_exit_codes(const std::function<int()>& body);

}  // namespace dcsim::app
