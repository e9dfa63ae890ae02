// The scenario reader on arbitrary bytes: a scenario or an InputError (exit 2), nothing else.
#include "fuzz/fuzz_input.hpp"
#include "models/scenario/diagnostics.hpp"
#include "models/scenario/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = dcsim::fuzz::scenario_file(data, size);
  try {
    (void)dcsim::scenario::load_scenario(path, {});
  } catch (const dcsim::scenario::InputError&) {
  }
  return 0;
}
