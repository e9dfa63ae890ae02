#pragma once
// Writes a file so that readers see either the old file or the complete new one: the data
// goes to a temporary file beside the target and is renamed over it on commit(). A writer
// destroyed without commit() (an exception, an error) removes its temporary file.
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dcsim {

// The machine refused: a folder that cannot be created, a disk that is full or read-only.
// Not the input's fault and not a bug: the command line reports it with its own exit code.
class EnvironmentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  void write(std::string_view text) { out_.write(text.data(), static_cast<std::streamsize>(text.size())); }
  void commit();  // flush, close, rename; throws EnvironmentError on any I/O failure
  const std::filesystem::path& target() const { return target_; }

 private:
  std::filesystem::path target_, temporary_;
  std::ofstream out_;
  bool committed_ = false;
  int slot_ = -1;  // in the registry a signal handler cleans (remove_temporary_files_on_signals)
};

// Convenience: the whole content at once.
void write_file_atomically(const std::filesystem::path& target, std::string_view content);

// On SIGINT, SIGTERM or SIGHUP, removes every AtomicFile's temporary file still open, then
// dies of the signal as it would have: an interrupted run leaves no *.tmp.<pid> behind.
void remove_temporary_files_on_signals();

}  // namespace dcsim
