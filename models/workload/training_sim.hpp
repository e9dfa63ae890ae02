#pragma once
// Discrete-event execution of training iterations (docs/training.md).
//
// The unit of execution is a model-parallel group at one pipeline rank and one data-parallel
// index: its TP x CP ranks do the same work at the same times (same shapes, same chip, TP
// and CP collectives among themselves), so one unit stands for all of them. Every unit of the
// job is simulated; every rank's traffic is on the network: a pipeline message carries one
// segment per rank of the group, and each DP collective runs for every TP/CP rank's group.
// tests/workload/training_test.cpp runs the same job with units of single ranks and checks
// identical results.
//
// Each unit runs its pipeline schedule (GPipe, 1F1B or interleaved 1F1B): a task (forward or
// backward of one microbatch through one model chunk) starts when its input has arrived and
// the unit is free. Forward outputs and backward gradients go to the neighbouring stage as
// network transfers. During the last microbatch's backward the gradient buckets become ready
// one by one; when every unit of a DP group has a bucket, its reduction starts (overlapped with
// the remaining backward). Then the optimizer step and, with ZeRO >= 1, the parameter
// all-gather. The iteration ends when the last unit does.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/hardware/cluster.hpp"
#include "models/network/collectives.hpp"
#include "models/network/network_sim.hpp"
#include "models/power/power_model.hpp"
#include "models/workload/parallel_plan.hpp"
#include "models/workload/training_costs.hpp"
#include "models/workload/transformer.hpp"
#include "sim/simulator.hpp"
#include "sim/trace_writer.hpp"

namespace dcsim::workload {

// Where one unit's time went in one iteration; the parts add up to the iteration time.
struct TimeBreakdown {
  double compute = 0;
  double tp_exposed = 0, ep_exposed = 0, cp_exposed = 0, fsdp_exposed = 0;
  double pp_exposed = 0;   // waiting for a pipeline message in flight
  double bubble = 0;       // waiting for the pipeline to fill or drain, and for the slowest unit
  double dp_exposed = 0;   // gradient reduction and parameter gather not hidden by backward
  double optimizer = 0;
  double total() const {
    return compute + tp_exposed + ep_exposed + cp_exposed + fsdp_exposed + pp_exposed + bubble + dp_exposed + optimizer;
  }
};

// One interval of a pipeline stage's timeline (data-parallel replica 0), seconds from the
// iteration's start.
enum class SpanKind : std::uint8_t { Forward, Backward, InTaskComm, Bubble, PipelineWait, DataParallel, Optimizer };
const char* to_string(SpanKind k);
struct PipelineSpan {
  std::int32_t stage = 0;
  SpanKind kind = SpanKind::Forward;
  double start_s = 0, end_s = 0;
  std::int32_t mb = -1, chunk = -1;  // forward and backward tasks
};

struct IterationResult {
  double seconds = 0;
  TimeBreakdown breakdown;  // averaged over units
  double hardware_flops = 0;  // all ranks, including recomputation
  // Every stage's intervals, when the schedule has at most kMaxTimelineTasks tasks in all
  // (a chart of more would be unreadable and results.json large); empty otherwise.
  std::vector<PipelineSpan> timeline;
  static constexpr std::int64_t kMaxTimelineTasks = 8192;
};

struct TrainingOptions {
  bool group_identical_ranks = true;  // false: one unit per rank (the full model, for tests)
  bool fold_symmetric_members = true;  // false: every member's traffic on the network (for tests)
  std::vector<std::int64_t> trace_ranks;  // ranks whose timelines go to the trace
  // How much longer every device's compute takes than the nominal chip's: the job runs at its
  // slowest device's pace (stragglers.hpp). One figure for all keeps identical ranks identical.
  double compute_slowness = 1.0;
};

class TrainingSim {
 public:
  TrainingSim(Simulator& sim, network::NetworkSim& net, power::PowerModel* power, const TransformerSpec& model,
              const ParallelPlan& plan, TrainingCosts costs, TraceWriter* trace, TrainingOptions options);
  ~TrainingSim();
  // Runs one iteration from now to its end.
  IterationResult run_iteration();
  // Whether one member of each unit stands for all on the network (symmetry).
  bool traffic_reduced() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dcsim::workload
