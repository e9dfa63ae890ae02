#pragma once
// Shared by the tests: the shipped hardware catalog, and running the dcsim binary.
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "models/scenario/catalog_parser.hpp"

namespace dcsim::testing {

inline const hardware::Catalog& builtin_catalog() {
  static const hardware::Catalog catalog = [] {
    scenario::Diagnostics diag;
    return scenario::read_catalog(nullptr, "catalog", diag);
  }();
  return catalog;
}

struct CommandResult {
  int code;
  std::string output;  // stdout and stderr together
};

inline CommandResult run_dcsim(const std::string& args) {
  const std::string cmd = std::string(DCSIM_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int status = pclose(pipe);
  return {WEXITSTATUS(status), out};
}

}  // namespace dcsim::testing
