#include "study/sweep_spec.hpp"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "models/scenario/diagnostics.hpp"
#include "models/scenario/reader.hpp"
#include "models/scenario/yaml_loader.hpp"
#include "sim/random.hpp"

namespace dcsim::study {
namespace fs = std::filesystem;
using scenario::Diagnostics;
using scenario::MapReader;

namespace {

constexpr std::int64_t kMaxAxisValues = 1'000'000;

std::string with_unit(double v, const std::string& unit) {
  const std::string number = fmt::format("{:.12g}", v);
  return unit.empty() ? number : number + " " + unit;
}

// from, from + step, ... up to `to` (inclusive, within rounding).
std::vector<std::string> read_range(MapReader& r) {
  const double from = r.number("from"), to = r.number("to"), step = r.number("step", std::nullopt, 0);
  const std::string unit = r.string("unit", "");
  r.finish();
  std::vector<std::string> out;
  if (step <= 0) {
    r.error("step", "the step must be above 0");
    return out;
  }
  if (to < from) {
    r.error("to", fmt::format("{} is below from ({})", to, from));
    return out;
  }
  const double n = std::floor((to - from) / step * (1 + 1e-12)) + 1;
  if (n > double(kMaxAxisValues)) {
    r.error("step", fmt::format("gives {} values; at most {}", n, kMaxAxisValues));
    return out;
  }
  for (std::int64_t i = 0; i < std::int64_t(n); ++i) out.push_back(with_unit(from + double(i) * step, unit));
  return out;
}

// from, from x factor, ... up to `to`.
std::vector<std::string> read_geometric(MapReader& r) {
  const double from = r.number("from", std::nullopt, 0, std::numeric_limits<double>::max());
  const double to = r.number("to"), factor = r.number("factor");
  const std::string unit = r.string("unit", "");
  r.finish();
  std::vector<std::string> out;
  if (from <= 0) {
    r.error("from", "a geometric range starts above 0");
    return out;
  }
  if (factor <= 1) {
    r.error("factor", fmt::format("{} must be above 1", factor));
    return out;
  }
  for (double v = from; v <= to * (1 + 1e-12) && std::int64_t(out.size()) < kMaxAxisValues; v *= factor)
    out.push_back(with_unit(v, unit));
  if (out.empty()) r.error("to", fmt::format("{} is below from ({})", to, from));
  return out;
}

// `count` draws, uniform in [from, to), whole numbers when `integer`.
std::vector<std::string> read_random(MapReader& r, const std::string& key, std::uint64_t seed) {
  const double from = r.number("from"), to = r.number("to");
  const std::int64_t count = r.integer("count", std::nullopt, 1, kMaxAxisValues);
  const bool integer = r.boolean("integer", false);
  const std::string unit = r.string("unit", "");
  r.finish();
  std::vector<std::string> out;
  if (!(to > from)) {
    r.error("to", fmt::format("{} must be above from ({})", to, from));
    return out;
  }
  RandomStream rng = RandomStreams(seed).stream("sweep.random." + key);
  for (std::int64_t i = 0; i < count; ++i) {
    const double v = integer ? std::floor(rng.uniform(std::ceil(from), std::floor(to) + 1)) : rng.uniform(from, to);
    out.push_back(with_unit(v, unit));
  }
  return out;
}

// One axis: `key` and exactly one way to give its values.
Axis read_axis(MapReader& r, std::uint64_t seed, bool in_zip) {
  Axis a;
  a.key = r.string("key");
  const std::vector<std::string> ways = {"values", "range", "geometric", "random", "expression"};
  std::vector<std::string> given;
  for (const auto& w : ways) {
    r.raw(w);  // known here, so a misspelt one is suggested
    if (r.has(w)) given.push_back(w);
  }
  if (given.size() != 1) {
    r.error("key", fmt::format("axis {} needs exactly one of values, range, geometric, random or expression; it has {}",
                               a.key, given.empty() ? std::string("none") : fmt::format("{}", fmt::join(given, ", "))));
    return a;
  }
  const std::string& way = given.front();
  if (way == "values") {
    a.values = r.strings("values");
    if (a.values.empty()) r.error("values", "an axis needs at least one value");
  } else if (way == "expression") {
    const std::string text = r.string("expression");
    if (in_zip) r.error("expression", "a derived axis cannot be part of a zip");
    try {
      a.derived.emplace(text);
    } catch (const ExpressionError& e) {
      r.error("expression", e.what());
    }
  } else {
    MapReader m = r.map(way, true);
    a.values = way == "range" ? read_range(m) : way == "geometric" ? read_geometric(m) : read_random(m, a.key, seed);
  }
  return a;  // for_each_map finishes the axis's map
}

}  // namespace

std::vector<std::string> SweepSpec::axis_keys() const {
  std::vector<std::string> keys;
  for (const GridStep& step : grid)
    for (const Axis& a : step.axes) keys.push_back(a.key);
  for (const Axis& a : derived) keys.push_back(a.key);
  return keys;
}

SweepSpec load_sweep(const fs::path& file) {
  Diagnostics diag;
  scenario::ConfigNode root = scenario::load_yaml_file(file, diag);
  diag.throw_if_any();
  SweepSpec spec;
  spec.file = file;
  MapReader top(&root, "", diag);
  spec.name = top.string("name", file.stem().string());
  if (spec.name.empty() || spec.name.find_first_of("/\\") != std::string::npos || spec.name == "." || spec.name == "..")
    top.error("name", fmt::format("\"{}\" is not a folder name (no slashes)", spec.name));
  const std::string base = top.string("scenario");
  spec.scenario = fs::path(base).is_absolute() ? fs::path(base) : file.parent_path() / base;
  if (!base.empty() && !fs::is_regular_file(spec.scenario))
    top.error("scenario", fmt::format("no scenario file at {}", spec.scenario.string()));
  spec.set = top.strings("set", std::vector<std::string>{});
  for (const std::string& s : spec.set)
    if (s.find('=') == std::string::npos) top.error("set", fmt::format("\"{}\" is not key.path=value", s));
  spec.seed = static_cast<std::uint64_t>(top.integer("seed", 1, 0));
  if (top.has("sample")) spec.sample = top.integer("sample", std::nullopt, 1, kMaxGridPoints);

  std::set<std::string> seen;
  auto add_key = [&](MapReader& r, const std::string& key) {
    if (!key.empty() && !seen.insert(key).second) r.error("key", fmt::format("{} is already an axis", key));
  };
  top.for_each_map(
      "grid",
      [&](MapReader& item, std::size_t) {
        GridStep step;
        if (item.has("zip")) {
          item.for_each_map("zip", [&](MapReader& z, std::size_t) {
            Axis a = read_axis(z, spec.seed, true);
            add_key(z, a.key);
            step.axes.push_back(std::move(a));
          }, true);
          if (step.axes.empty()) return;
          for (const Axis& a : step.axes)
            if (a.values.size() != step.axes.front().values.size())
              item.error("zip", fmt::format("the axes of a zip take as many values each: {} has {}, {} has {}",
                                            step.axes.front().key, step.axes.front().values.size(), a.key,
                                            a.values.size()));
        } else {
          Axis a = read_axis(item, spec.seed, false);
          add_key(item, a.key);
          if (a.derived) {
            // Derived keys read grid keys and earlier derived ones.
            for (const std::string& name : a.derived->names())
              if (!seen.count(name) || name == a.key)
                item.error("expression", fmt::format("{} is not an axis above this one", name));
            spec.derived.push_back(std::move(a));
            return;
          }
          step.axes.push_back(std::move(a));
        }
        if (!step.axes.empty() && !step.axes.front().values.empty()) spec.grid.push_back(std::move(step));
      },
      true);
  for (const std::string& text : top.strings("filter", std::vector<std::string>{})) {
    try {
      Expression e(text);
      for (const std::string& name : e.names())
        if (!seen.count(name)) top.error("filter", fmt::format("in \"{}\": {} is not an axis of the sweep", text, name));
      spec.filters.push_back(std::move(e));
    } catch (const ExpressionError& e) {
      top.error("filter", e.what());
    }
  }
  double points = 1;
  for (const GridStep& s : spec.grid) points *= double(s.size());
  if (points > double(kMaxGridPoints))
    top.error("grid", fmt::format("the grid has {:.0f} points; at most {} (add filters after narrowing the axes, or "
                                  "use random axes)", points, kMaxGridPoints));
  top.finish();
  diag.throw_if_any();
  return spec;
}

}  // namespace dcsim::study
