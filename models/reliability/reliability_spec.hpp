#pragma once
// What a whole training run meets besides iterating (docs/reliability.md): failure processes
// per component class, what the job does about each, checkpoints and the storage they go to.
// Plain numbers: the scenario layer fills them, the engine adds the iteration's figures.
#include <cstdint>
#include <string>
#include <vector>

namespace dcsim::reliability {

// What one failure class's component is: its count comes from the cluster's shape.
enum class Scope { Gpu, Node, Domain, Rack, LeafSwitch, SpineSwitch };  // Domain: one scale-up (NVLink) domain
// What a failure does to the synchronous job.
enum class Effect {
  ReplaceNode,  // the job stops; the node(s) in the blast radius are swapped for spares or repaired
  Restart,      // the job stops and restarts on the same nodes (software, hangs)
  Degrade,      // the job runs on, slower, until the component is repaired (a spine switch)
  Straggler,    // the job runs on, slower, until the slow node is found; then as ReplaceNode
};

struct FailureClass {
  std::string name;      // e.g. "gpu"
  std::string category;  // hardware, network, software
  Scope scope = Scope::Node;
  double rate_per_hour = 0;  // per component of the scope
  double weibull_shape = 1;  // 1: exponential; a component's age restarts when it is replaced
  Effect effect = Effect::ReplaceNode;
  double slowdown = 1;       // Degrade, Straggler: iteration time multiplier while it lasts
  bool hang = false;         // found by the collective watchdog, not by health checks
  double detect_s = -1;      // < 0: the job's default (JobResponse::detect_s or hang_detect_s)
  double repair_s = -1;      // Degrade: until repaired; < 0: the job's node repair time
};

// Counts the scopes resolve to.
struct ClusterShape {
  std::int64_t gpus = 0, nodes = 0, gpus_per_node = 1, nodes_per_rack = 1, nodes_per_leaf = 1;
  std::int64_t nodes_per_domain = 1;  // one NVLink domain: a server of 8, or the 18 trays of an NVL72 rack
  std::int64_t leaf_switches = 0, spine_switches = 0;
  std::int64_t nodes_per_replica = 1;  // one data-parallel replica (elastic continuation)
  std::int64_t replicas = 1;           // data-parallel replicas
};

struct JobResponse {
  double detect_s = 120;          // health checks and error reports
  double hang_detect_s = 600;     // a collective hang: the watchdog's timeout
  double straggler_detect_s = 3600;
  double reschedule_s = 300;      // the scheduler re-places the job
  double process_start_s = 60;    // containers, Python, CUDA contexts
  double init_base_s = 30;        // collective initialization ...
  double init_per_rank_s = 0.002; // ... growing with the rank count
  // Nodes that can take a failed node's place at once: hot spares, or the rest of a cluster
  // larger than the job. < 0: as many as it takes (the scheduler always finds a healthy node).
  std::int64_t spare_nodes = -1;
  double swap_s = 600;            // putting a spare in a failed node's place
  double node_repair_s = 2 * 86400;  // a failed node out of the pool
  bool elastic = false;           // without a spare: go on with fewer data-parallel replicas
};

struct CheckpointSpec {
  double size_bytes = 0;           // weights and optimizer state, whole model
  double write_bandwidth = 0;      // aggregate, bytes/s, to the storage
  double read_bandwidth = 0;       // aggregate, for the load after a restart
  double per_node_bandwidth = 0;   // each node's own limit (0: none)
  double copy_bandwidth = 0;       // per GPU, HBM to host memory (asynchronous: the blocking part)
  bool async = false;
  double interval_s = 0;           // running time between checkpoints; 0: optimal (Young/Daly)
};

struct RunSpec {
  double work_s = 0;       // training time to complete without interruptions (0: run for duration_s)
  double duration_s = 0;   // a wall-clock window (0: until work_s is done)
  double iteration_s = 0;  // checkpoints fall between iterations: the interval is at least one
  double power_w = 0;      // facility power while training
  double idle_power_w = 0; // facility power while the job is down
  double usd_per_hour = 0; // the cluster's price
  std::int64_t trials = 100;
  std::uint64_t seed = 1;
  int threads = 0;         // 0: every core
};

struct ReliabilitySpec {
  std::vector<FailureClass> classes;
  JobResponse job;
  CheckpointSpec checkpoint;
  RunSpec run;
};

const char* to_string(Scope s);
const char* to_string(Effect e);

}  // namespace dcsim::reliability
