#pragma once
// Validating reader over one map of a ConfigNode tree. Each getter names a key, what it
// accepts and its default (none = required); problems go to Diagnostics with the file
// position, key path, bad value and what is allowed, and the getter returns a harmless
// value so reading continues and every error in a file is reported in one go. finish()
// reports keys nobody asked for as unknown, with a "did you mean" suggestion.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "models/scenario/config_node.hpp"
#include "models/scenario/diagnostics.hpp"
#include "models/scenario/units.hpp"
#include "sim/time.hpp"

namespace dcsim::scenario {

// The longest duration a scenario may give (31.7 years): simulated time is int64 nanoseconds
// (292 years), and this leaves room for what a run adds to the times it is given.
inline constexpr double kMaxScenarioSeconds = 1e9;
// The slowest link a scenario may give, 1 kB/s (nothing in a datacenter is slower; a
// bandwidth of 0 means "none" where a key allows it).
inline constexpr double kMinBandwidth = 1e3;

class MapReader {
 public:
  // `node` may be null (an absent optional section): every getter then yields its default.
  MapReader(const ConfigNode* node, std::string path, Diagnostics& diag);

  bool present() const { return node_ != nullptr && node_->is_map(); }
  bool has(const std::string& key) const;
  const std::string& path() const { return path_; }
  SourceLocation where() const;
  SourceLocation where_of(const std::string& key) const;  // the value's location, or the map's
  Diagnostics& diagnostics() { return diag_; }
  std::string key_path(const std::string& key) const;

  double quantity(const std::string& key, Dimension d, std::optional<double> fallback = std::nullopt,
                  double min = 0.0, bool min_exclusive = false);
  // Durations are at most kMaxScenarioSeconds; bandwidths 0 or at least kMinBandwidth.
  Time duration(const std::string& key, std::optional<Time> fallback = std::nullopt, bool positive = false);
  std::int64_t integer(const std::string& key, std::optional<std::int64_t> fallback = std::nullopt,
                       std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                       std::int64_t max = std::numeric_limits<std::int64_t>::max());
  double number(const std::string& key, std::optional<double> fallback = std::nullopt,
                double min = -std::numeric_limits<double>::infinity(),
                double max = std::numeric_limits<double>::infinity());
  bool boolean(const std::string& key, std::optional<bool> fallback = std::nullopt);
  std::string string(const std::string& key, std::optional<std::string> fallback = std::nullopt);
  std::string choice(const std::string& key, const std::vector<std::string>& allowed,
                     std::optional<std::string> fallback = std::nullopt);

  // A nested map; absent and not required gives a reader with present() == false.
  MapReader map(const std::string& key, bool required = false);
  // A list of maps, each handed to `each` with its own reader (path "key[i]").
  void for_each_map(const std::string& key, const std::function<void(MapReader&, std::size_t)>& each,
                    bool required = false);
  // A list of scalars (or one scalar, read as a list of one).
  std::vector<std::string> strings(const std::string& key, std::optional<std::vector<std::string>> fallback = std::nullopt);
  std::vector<std::int64_t> integers(const std::string& key, std::int64_t min,
                                     std::optional<std::vector<std::int64_t>> fallback = std::nullopt);
  // Raw access for sections read by a specialised parser (marks the key as known).
  const ConfigNode* raw(const std::string& key);
  // Keys this map holds that are not in `known` (e.g. catalog entries named by the user).
  std::vector<std::string> keys() const;

  void error(const std::string& key, const std::string& message);  // at the key's value
  void finish();  // unknown keys -> errors

 private:
  const ConfigNode* scalar_or_error(const std::string& key, const std::string& expected);
  void require_missing(const std::string& key, const std::string& expected);

  const ConfigNode* node_;
  std::string path_;
  Diagnostics& diag_;
  std::vector<std::string> asked_;
};

// Levenshtein distance; the suggestion is the closest candidate within a third of the length.
std::size_t edit_distance(const std::string& a, const std::string& b);
std::optional<std::string> closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace dcsim::scenario
