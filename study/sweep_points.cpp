#include "study/sweep_points.hpp"

#include <algorithm>

#include "sim/random.hpp"

namespace dcsim::study {

std::string SweepPoint::key() const {
  std::string k;
  for (const auto& [key, value] : values) {
    if (!k.empty()) k += "; ";
    k += key + "=" + value;
  }
  return k;
}

std::vector<std::string> SweepPoint::overrides(const SweepSpec& spec) const {
  std::vector<std::string> out = spec.set;
  for (const auto& [key, value] : values) out.push_back(key + "=" + value);
  return out;
}

std::vector<SweepPoint> expand_points(const SweepSpec& spec) {
  std::vector<SweepPoint> points;
  std::vector<std::size_t> at(spec.grid.size(), 0);  // the odometer over grid steps
  std::int64_t place = 0;
  for (bool more = true; more; ++place) {
    SweepPoint p;
    p.id = place;
    for (std::size_t s = 0; s < spec.grid.size(); ++s)
      for (const Axis& a : spec.grid[s].axes) p.values.emplace_back(a.key, a.values[at[s]]);
    bool keep = true;
    try {
      for (const Axis& a : spec.derived) p.values.emplace_back(a.key, format_value(a.derived->number(p.values)));
      for (const Expression& f : spec.filters) keep = keep && f.test(p.values);
    } catch (const ExpressionError& e) {
      p.error = e.what();  // kept, so the point's error is reported
    }
    if (keep) points.push_back(std::move(p));
    // Advance: the last step fastest.
    more = false;
    for (std::size_t s = spec.grid.size(); s-- > 0;) {
      if (++at[s] < spec.grid[s].size()) {
        more = true;
        break;
      }
      at[s] = 0;
    }
  }
  if (spec.sample && *spec.sample < std::int64_t(points.size())) {
    // A partial Fisher-Yates draw, then back in sweep order (ids keep their places).
    RandomStream rng = RandomStreams(spec.seed).stream("sweep.sample");
    const std::size_t n = std::size_t(*spec.sample);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t j = i + std::size_t(rng.uniform01() * double(points.size() - i));
      std::swap(points[i], points[std::min(j, points.size() - 1)]);
    }
    points.resize(n);
    std::sort(points.begin(), points.end(), [](const SweepPoint& a, const SweepPoint& b) { return a.id < b.id; });
  }
  return points;
}

}  // namespace dcsim::study
