#include "models/scenario/reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace dcsim::scenario {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::optional<std::string> closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

namespace {
std::string list_of(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}
}  // namespace

MapReader::MapReader(const ConfigNode* node, std::string path, Diagnostics& diag)
    : node_(node), path_(std::move(path)), diag_(diag) {
  if (node_ && node_->is_null()) node_ = nullptr;  // "key:" with nothing after it reads as absent
  if (node_ && !node_->is_map()) {
    diag_.error(node_->where(), path_, fmt::format("expected a map of keys, found {}", kind_name(node_->kind())));
    node_ = nullptr;
  }
}

bool MapReader::has(const std::string& key) const { return node_ && node_->find(key) && !node_->find(key)->is_null(); }

SourceLocation MapReader::where() const { return node_ ? node_->where() : SourceLocation{"<scenario>", 0, 0}; }

SourceLocation MapReader::where_of(const std::string& key) const {
  if (node_)
    if (const ConfigNode* v = node_->find(key)) return v->where();
  return where();
}

std::string MapReader::key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

void MapReader::error(const std::string& key, const std::string& message) {
  diag_.error(where_of(key), key_path(key), message);
}

void MapReader::require_missing(const std::string& key, const std::string& expected) {
  diag_.error(where(), key_path(key), fmt::format("missing required key \"{}\" ({})", key, expected));
}

const ConfigNode* MapReader::scalar_or_error(const std::string& key, const std::string& expected) {
  asked_.push_back(key);
  if (!node_) return nullptr;
  const ConfigNode* v = node_->find(key);
  if (!v || v->is_null()) return nullptr;
  if (!v->is_scalar()) {
    diag_.error(v->where(), key_path(key), fmt::format("found {}; {}", kind_name(v->kind()), expected));
    return nullptr;
  }
  return v;
}

double MapReader::quantity(const std::string& key, Dimension d, std::optional<double> fallback, double min,
                           bool min_exclusive) {
  const std::string expected = fmt::format("expected {} such as \"{}\"", dimension_name(d), dimension_example(d));
  const bool was_present = has(key);
  const ConfigNode* v = scalar_or_error(key, expected);
  if (!v) {
    if (!was_present && !fallback) require_missing(key, expected);
    return fallback.value_or(0.0);
  }
  const ParsedQuantity q = parse_quantity(v->text(), d);
  if (!q.value) {
    diag_.error(v->where(), key_path(key), q.error);
    return fallback.value_or(0.0);
  }
  if (*q.value < min || (min_exclusive && *q.value == min)) {
    diag_.error(v->where(), key_path(key),
                fmt::format("\"{}\" is out of range; allowed: {} {}", v->text(), min_exclusive ? ">" : ">=",
                            format_quantity(min, d)));
    return fallback.value_or(0.0);
  }
  // Physical bounds every quantity of its kind must keep, so no run overflows its clock.
  if (d == Dimension::Duration && *q.value > kMaxScenarioSeconds) {
    diag_.error(v->where(), key_path(key),
                fmt::format("{} s is beyond what a run can simulate; allowed: up to {:g} s (simulated time is counted "
                            "in int64 nanoseconds)", *q.value, kMaxScenarioSeconds));
    return fallback.value_or(0.0);
  }
  if (d == Dimension::Bandwidth && *q.value > 0 && *q.value < kMinBandwidth) {
    diag_.error(v->where(), key_path(key),
                fmt::format("\"{}\" is out of range; allowed: 0 or at least {}", v->text(),
                            format_quantity(kMinBandwidth, Dimension::Bandwidth)));
    return fallback.value_or(0.0);
  }
  return *q.value;
}

Time MapReader::duration(const std::string& key, std::optional<Time> fallback, bool positive) {
  std::optional<double> fb;
  if (fallback) fb = fallback->seconds();
  const std::size_t errors = diag_.size();
  const Time t = Time::from_seconds(quantity(key, Dimension::Duration, fb, 0.0, positive));  // at most kMaxScenarioSeconds
  if (positive && t <= Time::zero() && has(key) && diag_.size() == errors) {
    // Simulated time counts whole nanoseconds: a positive duration must be at least one.
    diag_.error(where_of(key), key_path(key), "rounds to 0 ns; allowed: at least 1 ns (simulated time counts nanoseconds)");
    return fallback.value_or(Time::ns(1));
  }
  return t;
}

std::int64_t MapReader::integer(const std::string& key, std::optional<std::int64_t> fallback, std::int64_t min,
                                std::int64_t max) {
  std::string allowed = "an integer";
  if (min != std::numeric_limits<std::int64_t>::min()) allowed += fmt::format(" >= {}", min);
  if (max != std::numeric_limits<std::int64_t>::max()) allowed += fmt::format(" and <= {}", max);
  const bool was_present = has(key);
  const ConfigNode* v = scalar_or_error(key, "expected " + allowed);
  if (!v) {
    if (!was_present && !fallback) require_missing(key, "expected " + allowed);
    return fallback.value_or(std::max<std::int64_t>(min, 0));
  }
  std::int64_t value = 0;
  const std::string_view t = v->text();
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end != t.data() + t.size()) {
    diag_.error(v->where(), key_path(key), fmt::format("\"{}\" is not {}", t, allowed));
    return fallback.value_or(std::max<std::int64_t>(min, 0));
  }
  if (value < min || value > max) {
    diag_.error(v->where(), key_path(key), fmt::format("{} is out of range; allowed: {}", value, allowed));
    return fallback.value_or(std::max<std::int64_t>(min, 0));
  }
  return value;
}

double MapReader::number(const std::string& key, std::optional<double> fallback, double min, double max) {
  std::string allowed = "a number";
  if (std::isfinite(min)) allowed += fmt::format(" >= {}", min);
  if (std::isfinite(max)) allowed += fmt::format(" and <= {}", max);
  const bool was_present = has(key);
  const ConfigNode* v = scalar_or_error(key, "expected " + allowed);
  if (!v) {
    if (!was_present && !fallback) require_missing(key, "expected " + allowed);
    return fallback.value_or(std::isfinite(min) ? min : 0.0);
  }
  double value = 0;
  const std::string_view t = v->text();
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(value)) {
    diag_.error(v->where(), key_path(key), fmt::format("\"{}\" is not {}", t, allowed));
    return fallback.value_or(std::isfinite(min) ? min : 0.0);
  }
  if (value < min || value > max) {
    diag_.error(v->where(), key_path(key), fmt::format("{} is out of range; allowed: {}", t, allowed));
    return fallback.value_or(std::isfinite(min) ? min : 0.0);
  }
  return value;
}

bool MapReader::boolean(const std::string& key, std::optional<bool> fallback) {
  const bool was_present = has(key);
  const ConfigNode* v = scalar_or_error(key, "expected true or false");
  if (!v) {
    if (!was_present && !fallback) require_missing(key, "expected true or false");
    return fallback.value_or(false);
  }
  if (v->text() == "true") return true;
  if (v->text() == "false") return false;
  diag_.error(v->where(), key_path(key), fmt::format("\"{}\" is not a boolean; allowed: true, false", v->text()));
  return fallback.value_or(false);
}

std::string MapReader::string(const std::string& key, std::optional<std::string> fallback) {
  const bool was_present = has(key);
  const ConfigNode* v = scalar_or_error(key, "expected a text value");
  if (!v) {
    if (!was_present && !fallback) require_missing(key, "expected a text value");
    return fallback.value_or("");
  }
  return std::string(v->text());
}

std::string MapReader::choice(const std::string& key, const std::vector<std::string>& allowed,
                              std::optional<std::string> fallback) {
  const std::string expected = "expected one of: " + list_of(allowed);
  const bool was_present = has(key);
  const ConfigNode* v = scalar_or_error(key, expected);
  if (!v) {
    if (!was_present && !fallback) require_missing(key, expected);
    return fallback.value_or(allowed.empty() ? "" : allowed.front());
  }
  const std::string text(v->text());
  if (std::find(allowed.begin(), allowed.end(), text) != allowed.end()) return text;
  std::string message = fmt::format("\"{}\" is not allowed", text);
  if (auto guess = closest_match(text, allowed)) message += fmt::format("; did you mean \"{}\"?", *guess);
  diag_.error(v->where(), key_path(key), message + "; allowed: " + list_of(allowed));
  return fallback.value_or(allowed.empty() ? "" : allowed.front());
}

MapReader MapReader::map(const std::string& key, bool required) {
  asked_.push_back(key);
  const ConfigNode* v = node_ ? node_->find(key) : nullptr;
  if ((!v || v->is_null()) && required) require_missing(key, "expected a map of keys");
  return MapReader(v, key_path(key), diag_);
}

void MapReader::for_each_map(const std::string& key, const std::function<void(MapReader&, std::size_t)>& each,
                             bool required) {
  asked_.push_back(key);
  const ConfigNode* v = node_ ? node_->find(key) : nullptr;
  if (!v || v->is_null()) {
    if (required) require_missing(key, "expected a list");
    return;
  }
  if (!v->is_sequence()) {
    diag_.error(v->where(), key_path(key), fmt::format("expected a list, found {}", kind_name(v->kind())));
    return;
  }
  for (std::size_t i = 0; i < v->items().size(); ++i) {
    MapReader item(&v->items()[i], fmt::format("{}[{}]", key_path(key), i), diag_);
    each(item, i);
    item.finish();
  }
}

std::vector<std::string> MapReader::strings(const std::string& key, std::optional<std::vector<std::string>> fallback) {
  asked_.push_back(key);
  const ConfigNode* v = node_ ? node_->find(key) : nullptr;
  if (!v || v->is_null()) {
    if (!fallback) require_missing(key, "expected a list of values");
    return fallback.value_or(std::vector<std::string>{});
  }
  if (v->is_scalar()) return {std::string(v->text())};
  std::vector<std::string> out;
  if (!v->is_sequence()) {
    diag_.error(v->where(), key_path(key), fmt::format("expected a list of values, found {}", kind_name(v->kind())));
    return out;
  }
  for (std::size_t i = 0; i < v->items().size(); ++i) {
    const ConfigNode& item = v->items()[i];
    if (!item.is_scalar())
      diag_.error(item.where(), fmt::format("{}[{}]", key_path(key), i), "expected a single value");
    else
      out.emplace_back(item.text());
  }
  return out;
}

std::vector<std::int64_t> MapReader::integers(const std::string& key, std::int64_t min,
                                              std::optional<std::vector<std::int64_t>> fallback) {
  const bool was_present = has(key);
  std::optional<std::vector<std::string>> none;
  if (!was_present && fallback) {
    asked_.push_back(key);
    return *fallback;
  }
  std::vector<std::int64_t> out;
  for (const std::string& s : strings(key, none)) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value < min) {
      error(key, fmt::format("\"{}\" is not an integer >= {}", s, min));
      continue;
    }
    out.push_back(value);
  }
  return out;
}

const ConfigNode* MapReader::raw(const std::string& key) {
  asked_.push_back(key);
  if (!node_) return nullptr;
  const ConfigNode* v = node_->find(key);
  return v && !v->is_null() ? v : nullptr;
}

std::vector<std::string> MapReader::keys() const {
  std::vector<std::string> out;
  if (node_)
    for (const auto& m : node_->members()) out.push_back(m.key.str());
  return out;
}

void MapReader::finish() {
  if (!node_) return;
  std::vector<std::string> known = asked_;
  std::sort(known.begin(), known.end());
  known.erase(std::unique(known.begin(), known.end()), known.end());
  for (const auto& m : node_->members()) {
    const std::string key = m.key.str();
    if (std::binary_search(known.begin(), known.end(), key)) continue;
    std::string message = fmt::format("unknown key \"{}\"", key);
    if (auto guess = closest_match(key, known)) message += fmt::format("; did you mean \"{}\"?", *guess);
    diag_.error(m.key_where, key_path(key), message + "; allowed here: " + list_of(known));
  }
}

}  // namespace dcsim::scenario
