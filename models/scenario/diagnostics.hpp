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
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  std::string to_string() const;  // one line per error
  void throw_if_any() const;      // throws InputError holding every error

 private:
  std::vector<Diagnostic> items_;
};

// Bad input (exit code 2), as opposed to an internal error (exit code 1).
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace dcsim::scenario
