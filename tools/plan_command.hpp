#pragma once
// `dcsim plan SCENARIO`: search the parallel plans of the scenario's model on its cluster
// (docs/plan_search.md).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "study/plan_search.hpp"

namespace dcsim::app {

struct PlanCommandOptions {
  std::filesystem::path scenario;
  std::vector<std::string> overrides;
  std::optional<std::filesystem::path> out_dir;  // default: out/<scenario stem>_plans
  study::PlanSpace space;
  std::int64_t top = 50;
  int jobs = 0;
  bool quiet = false;
};

// Exit code: 0 done, 2 bad input (or no plan fits), 3 the machine refused, 1 internal error.
int run_plan_command(const PlanCommandOptions& options);

// "1,2,4" -> {1, 2, 4}; false on anything else.
bool parse_int_list(const std::string& text, std::vector<std::int64_t>& out);

}  // namespace dcsim::app
