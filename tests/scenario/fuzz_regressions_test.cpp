// Every input a fuzzer (or a person) found that once crashed, hung or exhausted memory, kept in
// fuzz/regressions/: each now loads as a scenario or is refused as bad input (a hang would meet
// ctest's timeout).
#include <gtest/gtest.h>

#include <filesystem>

#include "models/scenario/diagnostics.hpp"
#include "models/scenario/scenario.hpp"

namespace fs = std::filesystem;

TEST(FuzzRegressions, EveryFoundInputIsAScenarioOrAnInputError) {
  const fs::path dir = fs::path(DCSIM_SOURCE_DIR) / "fuzz" / "regressions";
  std::size_t inputs = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    ++inputs;
    try {
      (void)dcsim::scenario::load_scenario(entry.path(), {});
    } catch (const dcsim::scenario::InputError&) {
    }
  }
  EXPECT_GE(inputs, 4u);
}
