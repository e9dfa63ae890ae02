#pragma once
// Shared by the scenario harnesses: the input as a scenario file of this process.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace dcsim::fuzz {

inline std::filesystem::path scenario_file(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("dcsim_fuzz_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                static_cast<std::streamsize>(size));
  return path;
}

}  // namespace dcsim::fuzz
