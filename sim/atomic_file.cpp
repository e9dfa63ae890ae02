#include "sim/atomic_file.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <stdexcept>
#include <system_error>

namespace dcsim {

AtomicFile::AtomicFile(std::filesystem::path target)
    : target_(std::move(target)),
      temporary_(target_.string() + fmt::format(".tmp.{}", static_cast<long>(::getpid()))) {
  out_.open(temporary_, std::ios::binary | std::ios::trunc);
  if (!out_) throw EnvironmentError(fmt::format("cannot write {}: cannot create {}", target_.string(), temporary_.string()));
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

void AtomicFile::commit() {
  out_.flush();
  const bool ok = static_cast<bool>(out_);
  out_.close();
  if (!ok || out_.fail()) throw EnvironmentError(fmt::format("cannot write {}: I/O error", target_.string()));
  std::error_code ec;
  std::filesystem::rename(temporary_, target_, ec);
  if (ec) throw EnvironmentError(fmt::format("cannot write {}: {}", target_.string(), ec.message()));
  committed_ = true;
}

void write_file_atomically(const std::filesystem::path& target, std::string_view content) {
  AtomicFile f(target);
  f.write(content);
  f.commit();
}

}  // namespace dcsim
