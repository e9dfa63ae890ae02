#include "models/scenario/diagnostics.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <tuple>

namespace dcsim::scenario {

std::string Diagnostic::to_string() const {
  if (key_path.empty()) return fmt::format("{}: error: {}", where.to_string(), message);
  return fmt::format("{}: error: {}: {}", where.to_string(), key_path, message);
}

void Diagnostics::error(SourceLocation where, std::string key_path, std::string message) {
  ++count_;
  if (items_.size() < kKept) items_.push_back({std::move(where), std::move(key_path), std::move(message)});
}

std::string Diagnostics::to_string() const {
  // In file order, so the list reads top to bottom like the scenario.
  std::vector<const Diagnostic*> sorted;
  for (const Diagnostic& d : items_) sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic* a, const Diagnostic* b) {
    return std::tie(a->where.file, a->where.line, a->where.column) < std::tie(b->where.file, b->where.line, b->where.column);
  });
  std::string out;
  for (std::size_t i = 0; i < sorted.size() && i < kShown; ++i) out += sorted[i]->to_string() + "\n";
  if (count_ > kShown) out += fmt::format("... and {} more\n", count_ - kShown);
  if (count_ > 1) out += fmt::format("{} errors\n", count_);
  return out;
}

void Diagnostics::throw_if_any() const {
  if (!items_.empty()) throw InputError(to_string());
}

}  // namespace dcsim::scenario
