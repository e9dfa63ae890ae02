#pragma once
// The points of a sweep: the grid's product, derived keys, filters and the sample.
#include <cstdint>
#include <string>
#include <vector>

#include "study/sweep_spec.hpp"

namespace dcsim::study {

struct SweepPoint {
  std::int64_t id = 0;   // its place in the grid's product, from 0 (filters and the sample keep it)
  Bindings values;       // each axis key and its value, in axis order
  std::string error;     // a derived value or filter that could not be evaluated here

  // "key=value; key=value": what identifies a point when a sweep resumes.
  std::string key() const;
  // The `--set` overrides of the point: the sweep's shared ones, then its own.
  std::vector<std::string> overrides(const SweepSpec& spec) const;
};

// Throws scenario::InputError when the grid has over kMaxGridPoints points.
std::vector<SweepPoint> expand_points(const SweepSpec& spec);

}  // namespace dcsim::study
