// The YAML loader on arbitrary bytes: any input is either a tree or a diagnostic, never a
// crash, a hang or unbounded memory (alias expansion is capped).
#include <cstddef>
#include <cstdint>
#include <string>

#include "models/scenario/diagnostics.hpp"
#include "models/scenario/yaml_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dcsim::scenario::Diagnostics diag;
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)dcsim::scenario::parse_yaml_text(text, "<fuzz>", diag);
  return 0;
}
