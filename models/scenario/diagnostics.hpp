#pragma once
// Input errors collected across a whole scenario, so a researcher sees all of them at once.
#include <stdexcept>
#include <string>
#include <vector>

#include "models/scenario/config_node.hpp"

namespace dcsim::scenario {

struct Diagnostic {
  SourceLocation where;
  std::string key_path;  // "workload.model.layers", or empty for the document itself
  std::string message;   // says the bad value and what is allowed
  std::string to_string() const;
};

class Diagnostics {
 public:
  void error(SourceLocation where, std::string key_path, std::string message);
  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  const std::vector<Diagnostic>& items() const { return items_; }  // the first kKept
  // One line per error in file order, the first kShown of them, then how many more.
  std::string to_string() const;
  void throw_if_any() const;  // throws InputError holding them

  // A scenario with a million bad flows names the first hundred and counts the rest.
  static constexpr std::size_t kShown = 100, kKept = 10'000;

 private:
  std::vector<Diagnostic> items_;
  std::size_t count_ = 0;
};

// Bad input (exit code 2), as opposed to an internal error (exit code 1).
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace dcsim::scenario
