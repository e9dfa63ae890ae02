#pragma once
// The scenario's training workload: model (a preset, with any field overridden), the
// parallelism plan, batch, recomputation, ZeRO, precision, overlap and run length.
#include <cstdint>

#include "models/scenario/reader.hpp"
#include "models/workload/memory_model.hpp"
#include "models/workload/parallel_plan.hpp"
#include "models/workload/stragglers.hpp"
#include "models/workload/transformer.hpp"

namespace dcsim::scenario {

struct TrainingConfig {
  workload::TransformerSpec model;
  workload::ParallelPlan plan;
  bool dp_given = false;
  double train_tokens = 0;        // 0: report per-iteration figures only
  std::int64_t iterations = 1;    // simulated iterations
  workload::MemoryOverheads memory;  // context, NCCL, workspaces, fragmentation
  bool group_identical_ranks = true;
  // false: a plan that does not fit in memory is simulated anyway, with a warning (to see what
  // it would deliver, or where the memory model is known to be conservative).
  bool enforce_memory = true;
  double device_variability = workload::kDeviceVariability;  // relative standard deviation of device speed (stragglers.hpp)
};

// `devices`: the cluster size, to derive dp when it is not given (0 when unknown).
void read_training(MapReader& w, TrainingConfig& out, std::int64_t devices);

}  // namespace dcsim::scenario
