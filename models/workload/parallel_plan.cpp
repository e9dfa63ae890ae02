#include "models/workload/parallel_plan.hpp"

#include <algorithm>
#include <limits>
#include <sstream>

namespace dcsim::workload {
namespace {
std::int64_t size_of(const ParallelPlan& p, char dim) {
  switch (dim) {
    case 't': return p.tp;
    case 'c': return p.cp;
    case 'd': return p.dp;
    default: return p.pp;
  }
}
std::int64_t& field(RankCoord& c, char dim) {
  switch (dim) {
    case 't': return c.t;
    case 'c': return c.c;
    case 'd': return c.d;
    default: return c.p;
  }
}
}  // namespace

std::int64_t rank_of(const ParallelPlan& plan, const RankCoord& coord) {
  RankCoord c = coord;
  std::int64_t rank = 0, stride = 1;
  for (char dim : plan.order) {
    rank += field(c, dim) * stride;
    stride *= size_of(plan, dim);
  }
  return rank;
}

RankCoord coord_of(const ParallelPlan& plan, std::int64_t rank) {
  RankCoord c;
  for (char dim : plan.order) {
    const std::int64_t n = size_of(plan, dim);
    field(c, dim) = rank % n;
    rank /= n;
  }
  return c;
}

bool parse_order(const std::string& text, std::array<char, 4>& out) {
  std::stringstream ss(text);
  std::vector<char> dims;
  for (std::string part; std::getline(ss, part, '-');) {
    if (part == "tp") dims.push_back('t');
    else if (part == "cp") dims.push_back('c');
    else if (part == "dp") dims.push_back('d');
    else if (part == "pp") dims.push_back('p');
    else if (part == "ep") continue;
    else return false;
  }
  if (dims.size() != 4) return false;
  for (char d : {'t', 'c', 'd', 'p'})
    if (std::count(dims.begin(), dims.end(), d) != 1) return false;
  std::copy(dims.begin(), dims.end(), out.begin());
  return true;
}

std::string_view to_string(Schedule s) {
  switch (s) {
    case Schedule::GPipe: return "gpipe";
    case Schedule::OneFOneB: return "1f1b";
    case Schedule::Interleaved: return "interleaved";
  }
  return "?";
}

std::int64_t ParallelPlan::warmup_forwards(std::int64_t p) const {
  const std::int64_t m = microbatches();
  switch (schedule) {
    case Schedule::GPipe: return m * virtual_stages;
    case Schedule::OneFOneB: return std::min(m, pp - p - 1);
    case Schedule::Interleaved:  // Megatron-core: 2 (pp - p - 1) + (v - 1) N, with N >= pp
      return std::min(m * virtual_stages, (virtual_stages - 1) * group() + 2 * (pp - p - 1));
  }
  return m;
}

double ParallelPlan::effective_bucket_params() const {
  if (bucket_params > 0) return bucket_params;
  if (!overlap_dp) return std::numeric_limits<double>::infinity();
  return std::max(40e6, 1e6 * double(dp * cp));
}

std::string_view to_string(Fp8Recipe r) {
  switch (r) {
    case Fp8Recipe::Delayed: return "delayed";
    case Fp8Recipe::Current: return "current";
    case Fp8Recipe::Mx: return "mxfp8";
  }
  return "?";
}

std::string_view to_string(FsdpImplementation f) {
  switch (f) {
    case FsdpImplementation::Fsdp2: return "fsdp2";
    case FsdpImplementation::Fsdp1: return "fsdp1";
    case FsdpImplementation::Megatron: return "megatron";
  }
  return "?";
}

std::string_view to_string(Recompute r) {
  switch (r) {
    case Recompute::None: return "none";
    case Recompute::Selective: return "selective";
    case Recompute::Full: return "full";
    case Recompute::Op: return "op";
  }
  return "?";
}

}  // namespace dcsim::workload
