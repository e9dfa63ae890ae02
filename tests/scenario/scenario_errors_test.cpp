// Every class of scenario error, with the position, key path, value and what is allowed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scenario_test_util.hpp"

using dcsim::testing::load_errors;
using dcsim::testing::write_temp;
using ::testing::HasSubstr;

namespace {
const char* kValid = R"(name: q
workload:
  type: queueing
  servers: 2
  jobs: 100
  mean_interarrival: 1 ms
  mean_service: 1.5 ms
)";
}

TEST(ScenarioErrors, AValidScenarioLoadsIntoTypedStructs) {
  const auto path = write_temp("valid.yaml", kValid);
  const auto s = dcsim::scenario::load_scenario(path, {});
  EXPECT_EQ(s.name, "q");
  EXPECT_EQ(s.queueing.servers, 2);
  EXPECT_EQ(s.queueing.jobs, 100);
  EXPECT_EQ(s.queueing.mean_service, dcsim::Time::us(1500));
  EXPECT_EQ(s.seed, 1u);
}

TEST(ScenarioErrors, UnknownKeyNamesPositionAndSuggestsTheClosestKey) {
  const auto path = write_temp("unknown.yaml", R"(name: q
workload:
  type: queueing
  severs: 2
  jobs: 100
  mean_interarrival: 1 ms
  mean_service: 1 ms
)");
  const std::string e = load_errors(path);
  EXPECT_THAT(e, HasSubstr(path.string() + ":4:3: error: workload.severs: unknown key \"severs\"; did you mean \"servers\"?"));
}

TEST(ScenarioErrors, BareNumberWhereAQuantityIsNeeded) {
  const auto path = write_temp("bare.yaml", R"(workload:
  type: queueing
  jobs: 100
  mean_interarrival: 1
  mean_service: 1 ms
)");
  EXPECT_THAT(load_errors(path), HasSubstr(":4:22: error: workload.mean_interarrival: \"1\" has no unit; expected a duration"));
}

TEST(ScenarioErrors, MissingRequiredKeyNamesTheMapAndWhatIsExpected) {
  const auto path = write_temp("missing.yaml", R"(workload:
  type: queueing
  mean_interarrival: 1 ms
  mean_service: 1 ms
)");
  EXPECT_THAT(load_errors(path), HasSubstr(":2:3: error: workload.jobs: missing required key \"jobs\" (expected an integer >= 1"));
  const auto no_workload = write_temp("no_workload.yaml", "name: x\n");
  EXPECT_THAT(load_errors(no_workload), HasSubstr("workload: missing required key \"workload\""));
}

TEST(ScenarioErrors, WrongTypeAndOutOfRange) {
  const auto path = write_temp("types.yaml", R"(workload:
  type: queueing
  servers: two
  jobs: 0
  mean_interarrival: [1 ms]
  mean_service: -1 ms
)");
  const std::string e = load_errors(path);
  EXPECT_THAT(e, HasSubstr(":3:12: error: workload.servers: \"two\" is not an integer >= 1"));
  EXPECT_THAT(e, HasSubstr(":4:9: error: workload.jobs: 0 is out of range; allowed: an integer >= 1"));
  EXPECT_THAT(e, HasSubstr(":5:22: error: workload.mean_interarrival: found a list; expected a duration"));
  EXPECT_THAT(e, HasSubstr(":6:17: error: workload.mean_service: \"-1 ms\" is out of range; allowed: > 0 ns"));
}

TEST(ScenarioErrors, BadChoiceSuggestsAndListsTheAllowedValues) {
  const auto path = write_temp("choice.yaml", R"(workload:
  type: queuing
)");
  EXPECT_THAT(load_errors(path), HasSubstr(":2:9: error: workload.type: \"queuing\" is not allowed; did you mean \"queueing\"?; allowed: training, collective, flows, queueing"));
}

TEST(ScenarioErrors, AllErrorsInAFileAreReportedTogether) {
  const auto path = write_temp("many.yaml", R"(nmae: q
seed: -3
workload:
  type: queueing
  jobs: x
  mean_interarrival: 1 parsec
  mean_service: 1 ms
)");
  const std::string e = load_errors(path);
  EXPECT_THAT(e, HasSubstr(":1:1: error: nmae: unknown key \"nmae\"; did you mean \"name\"?"));
  EXPECT_THAT(e, HasSubstr(":2:7: error: seed: -3 is out of range"));
  EXPECT_THAT(e, HasSubstr(":5:9: error: workload.jobs: \"x\" is not an integer"));
  EXPECT_THAT(e, HasSubstr(":6:22: error: workload.mean_interarrival: unknown unit \"parsec\""));
  EXPECT_THAT(e, HasSubstr("4 errors"));
}

TEST(ScenarioErrors, InvalidYamlAndDuplicateKeysAndNonMapDocuments) {
  const auto bad = write_temp("bad_yaml.yaml", "workload:\n  type: [queueing\n");
  EXPECT_THAT(load_errors(bad), HasSubstr(bad.string() + ":3:1: error: invalid YAML"));
  const auto dup = write_temp("dup.yaml", "name: a\nname: b\nworkload: {}\n");
  EXPECT_THAT(load_errors(dup), HasSubstr(":2:1: error: invalid YAML: key \"name\" appears twice"));
  const auto list = write_temp("list.yaml", "- a\n- b\n");
  EXPECT_THAT(load_errors(list), HasSubstr(":1:1: error: a scenario file must be a map of keys, not a list"));
  const auto empty = write_temp("empty.yaml", "");
  EXPECT_THAT(load_errors(empty), HasSubstr("the file is empty"));
  EXPECT_THAT(load_errors("/nonexistent/dir/x.yaml"), HasSubstr("cannot open \"/nonexistent/dir/x.yaml\": no such file"));
}

TEST(ScenarioErrors, QueuePairsAreForEcmpRoutingOnly) {
  const auto path = write_temp("qps.yaml", R"(network:
  routing: spray
  qps_per_connection: 16
workload:
  type: queueing
  jobs: 1
  mean_interarrival: 1 ms
  mean_service: 1 ms
)");
  EXPECT_THAT(load_errors(path), HasSubstr(":3:23: error: network.qps_per_connection: queue pairs are hashed by ECMP"));
  EXPECT_THAT(load_errors(path, {"network.routing=ecmp", "network.qps_per_connection=0"}),
              HasSubstr("network.qps_per_connection: 0 is out of range; allowed: an integer >= 1 and <= 64"));
  EXPECT_EQ(load_errors(path, {"network.routing=ecmp"}), "");
}

// DeepSpeed's BF16_Optimizer shards its own state over fp32 gradients it all-reduces and adds
// every microbatch's gradients into them itself: other ZeRO stages, 16-bit reduction and fused
// accumulation are refused, with the key and why.
TEST(ScenarioErrors, DeepSpeedBf16OptimizerNeedsZeroOneAndFp32Gradients) {
  const auto path = write_temp("ds_bf16.yaml", R"(cluster: {server: dgx-h100, accelerators: 8}
workload:
  type: training
  model: {preset: llama3-8b}
  parallelism: {tp: 1, pp: 1}
  batch: {microbatch: 1, global: 8}
  optimizer: deepspeed_bf16
)");
  EXPECT_EQ(load_errors(path), "");
  EXPECT_THAT(load_errors(path, {"workload.zero=2"}),
              HasSubstr(":7:14: error: workload.optimizer: deepspeed_bf16 (DeepSpeed's BF16_Optimizer) shards its optimizer state: it needs zero: 1"));
  EXPECT_THAT(load_errors(path, {"workload.grad_reduce_in_fp32=false"}),
              HasSubstr("error: workload.grad_reduce_in_fp32: deepspeed_bf16 (DeepSpeed's BF16_Optimizer) reduces fp32 gradients"));
  EXPECT_EQ(load_errors(path, {"workload.grad_accumulation=separate"}), "");
  EXPECT_THAT(load_errors(path, {"workload.grad_accumulation=fused"}),
              HasSubstr("error: workload.grad_accumulation: deepspeed_bf16 (DeepSpeed's BF16_Optimizer) adds every microbatch's "
                        "gradients into its fp32 buffer in separate kernels"));
}

// Whose FSDP shards the weights only means something when FSDP does.
TEST(ScenarioErrors, FsdpImplementationNeedsFsdp) {
  const auto path = write_temp("fsdp_impl.yaml", R"(cluster: {server: dgx-h100, accelerators: 8}
workload:
  type: training
  model: {preset: llama3-8b}
  parallelism: {tp: 1, pp: 1}
  batch: {microbatch: 1, global: 8}
  zero: fsdp
  fsdp_implementation: fsdp1
)");
  EXPECT_EQ(load_errors(path), "");
  EXPECT_THAT(load_errors(path, {"workload.zero=1"}),
              HasSubstr(":8:24: error: workload.fsdp_implementation: sets whose FSDP shards the weights, but zero is 1: use zero: fsdp"));
  EXPECT_THAT(load_errors(path, {"workload.fsdp_implementation=fsdp3"}),
              HasSubstr("allowed: fsdp2, fsdp1, megatron"));
}

// Whose ring attention runs only means something with context parallelism.
TEST(ScenarioErrors, CpImplementationNeedsContextParallelism) {
  const auto path = write_temp("cp_impl.yaml", R"(cluster: {server: dgx-h100, accelerators: 8}
workload:
  type: training
  model: {preset: llama3-8b, seq_len: 32768}
  parallelism: {tp: 1, pp: 1, cp: 2}
  batch: {microbatch: 1, global: 4}
  cp_implementation: torch
  fusion: {gqa: false}
)");
  EXPECT_EQ(load_errors(path), "");
  EXPECT_THAT(load_errors(path, {"workload.fusion.gqa=true"}),
              HasSubstr("error: workload.cp_implementation: PyTorch's ring attention ran SDPA on K and V repeated to every "
                        "query head, but the model's 8 KV heads are grouped: set fusion.gqa: false"));
  EXPECT_EQ(load_errors(path, {"workload.fusion.gqa=true", "workload.model.kv_heads=32"}), "");  // no groups
  EXPECT_THAT(load_errors(path, {"workload.parallelism.cp=1"}),
              HasSubstr(":7:22: error: workload.cp_implementation: sets whose ring attention runs, but parallelism.cp is 1: it needs cp >= 2"));
  EXPECT_THAT(load_errors(path, {"workload.attention=unfused"}),
              HasSubstr("error: workload.cp_implementation: PyTorch's ring attention runs SDPA's fused kernels"));
}

// Whose FP8 linears run needs FP8, torchao's tensorwise dynamic scaling and, under TP,
// PyTorch's tensor-parallel styles.
TEST(ScenarioErrors, Fp8ImplementationNeedsFp8AndTorchaoItsScalingAndTp) {
  const auto path = write_temp("fp8_impl.yaml", R"(cluster: {server: dgx-h100, accelerators: 8}
workload:
  type: training
  model: {preset: llama3-8b}
  parallelism: {tp: 2, pp: 1}
  batch: {microbatch: 1, global: 4}
  precision: fp8
  fp8_recipe: current
  fp8_implementation: torchao
  tp_implementation: torch
)");
  EXPECT_EQ(load_errors(path), "");
  EXPECT_THAT(load_errors(path, {"workload.precision=bf16", "workload.fp8_recipe=delayed"}),
              HasSubstr(":9:23: error: workload.fp8_implementation: sets whose FP8 linears run, but precision is not fp8"));
  EXPECT_THAT(load_errors(path, {"workload.fp8_recipe=delayed"}),
              HasSubstr("error: workload.fp8_implementation: torchao's float8 as dcsim models it scales every tensor each "
                        "step (tensorwise, dynamic): it needs fp8_recipe: current"));
  EXPECT_THAT(load_errors(path, {"workload.tp_implementation=transformer_engine"}),
              HasSubstr("error: workload.fp8_implementation: torchao's float8 shards over TP with PyTorch's "
                        "tensor-parallel styles (Float8ColwiseParallel, Float8RowwiseParallel): set tp_implementation: torch"));
  EXPECT_THAT(load_errors(path, {"workload.fp8_implementation=deepspeed"}), HasSubstr("allowed: transformer_engine, torchao"));
}

TEST(ScenarioErrors, NormFusionIsFusedNativeOrComposite) {
  const auto path = write_temp("norm_kernel.yaml", R"(cluster: {server: dgx-h100, accelerators: 8}
workload:
  type: training
  model: {preset: llama3-8b}
  parallelism: {tp: 1, pp: 1}
  batch: {microbatch: 1, global: 8}
  fusion: {norm: composite}
)");
  EXPECT_EQ(load_errors(path), "");
  EXPECT_EQ(load_errors(path, {"workload.fusion.norm=false"}), "");
  EXPECT_THAT(load_errors(path, {"workload.fusion.norm=eager"}),
              HasSubstr("error: workload.fusion.norm: \"eager\" is not allowed; allowed: true, false, composite"));
}

TEST(ScenarioErrors, RopeFusionIsFusedRotateHalfOrComplex) {
  const auto path = write_temp("rope_kernel.yaml", R"(cluster: {server: dgx-h100, accelerators: 8}
workload:
  type: training
  model: {preset: llama3-8b}
  parallelism: {tp: 1, pp: 1}
  batch: {microbatch: 1, global: 8}
  fusion: {rope: complex}
)");
  EXPECT_EQ(load_errors(path), "");
  EXPECT_EQ(load_errors(path, {"workload.fusion.rope=false"}), "");
  EXPECT_THAT(load_errors(path, {"workload.fusion.rope=eager"}),
              HasSubstr("--set workload.fusion.rope=eager: error: workload.fusion.rope: \"eager\" is not allowed; allowed: true, false, complex"));
}

// Whose TP runs: Transformer Engine's or PyTorch's DTensor styles; PyTorch's async TP overlaps
// only the latter, and is its default overlap.
TEST(ScenarioErrors, TpImplementationNeedsTpAndMatchesItsOverlap) {
  const auto path = write_temp("tp_impl.yaml", R"(cluster: {server: dgx-h100, accelerators: 8}
workload:
  type: training
  model: {preset: llama3-8b}
  parallelism: {tp: 8, pp: 1, sequence_parallel: true}
  batch: {microbatch: 1, global: 8}
  tp_implementation: torch
)");
  EXPECT_EQ(load_errors(path), "");
  EXPECT_EQ(load_errors(path, {"workload.overlap.tp=true"}), "");  // async TP, its default overlap
  EXPECT_EQ(load_errors(path, {"workload.overlap.tp=true", "workload.tp_overlap_implementation=torch"}), "");
  EXPECT_THAT(load_errors(path, {"workload.parallelism.tp=1"}),
              HasSubstr(":7:22: error: workload.tp_implementation: sets how TP runs, but parallelism.tp is 1: it needs "
                        "tp >= 2"));
  EXPECT_THAT(load_errors(path, {"workload.overlap.tp=true", "workload.tp_overlap_implementation=transformer_engine"}),
              HasSubstr("error: workload.tp_overlap_implementation: Transformer Engine's userbuffers overlap Transformer "
                        "Engine's TP, but tp_implementation is torch"));
  EXPECT_THAT(load_errors(path, {"workload.overlap.tp=true", "workload.tp_overlap_implementation=torch",
                                 "workload.tp_implementation=transformer_engine"}),
              HasSubstr("error: workload.tp_overlap_implementation: PyTorch's async TP overlaps PyTorch's TP (DTensor), "
                        "but tp_implementation is transformer_engine: set tp_implementation: torch"));
  EXPECT_THAT(load_errors(path, {"workload.tp_implementation=dtensor"}),
              HasSubstr("\"dtensor\" is not allowed; allowed: transformer_engine, torch"));
}

// A recipe's userbuffer pairings: Transformer Engine's names and methods, the SMs that
// pipelined and bulk pairings need, and only where Transformer Engine's overlap runs.
TEST(ScenarioErrors, TpOverlapConfigNamesTransformerEnginesPairings) {
  const auto path = write_temp("tp_overlap_cfg.yaml", R"(cluster: {server: dgx-h100, accelerators: 8}
workload:
  type: training
  model: {preset: llama3-8b}
  parallelism: {tp: 4, pp: 1, sequence_parallel: true}
  batch: {microbatch: 1, global: 8}
  overlap: {tp: true}
  tp_overlap_config:
    qkv_fprop: {method: none}
    fc2_dgrad: {method: ring_exchange, aggregate: true}
    proj_fprop: {method: pipeline, num_sm: 24, set_sm_margin: true, num_splits: 4}
)");
  EXPECT_EQ(load_errors(path), "");
  EXPECT_THAT(load_errors(path, {"workload.overlap.tp=false"}),
              HasSubstr("error: workload.tp_overlap_config: sets Transformer Engine's userbuffer pairings, but its TP "
                        "overlap does not run: it needs tp >= 2, overlap.tp: true and tp_overlap_implementation: "
                        "transformer_engine"));
  EXPECT_THAT(load_errors(path, {"workload.tp_overlap_config.proj_fprop.method=bulk",
                                 "workload.tp_overlap_config.proj_fprop.num_splits=2"}),
              HasSubstr("workload.tp_overlap_config.proj_fprop.num_splits: splits a pipelined GEMM: it needs method: "
                        "pipeline"));
  EXPECT_THAT(load_errors(path, {"workload.tp_overlap_config.fc2_dgrad.method=bulk"}),
              HasSubstr("workload.tp_overlap_config.fc2_dgrad.aggregate: pairs the chunks of a ring exchange: it needs "
                        "method: ring_exchange"));
  EXPECT_THAT(load_errors(path, {"workload.tp_overlap_config.qkv_fprop.num_sm=4"}),
              HasSubstr("workload.tp_overlap_config.qkv_fprop.num_sm: sets the SMs of overlapped communication, but "
                        "method is none"));
  EXPECT_THAT(load_errors(path, {"workload.tp_overlap_config.proj_fprop.num_sm=0"}),
              HasSubstr("workload.tp_overlap_config.proj_fprop.num_sm"));  // at least one SM
  EXPECT_THAT(load_errors(path, {"workload.tp_overlap_config.fc1_wgrad.method=bulk"}),
              HasSubstr("workload.tp_overlap_config.fc1_wgrad.num_sm"));  // bulk needs its SMs
  EXPECT_THAT(load_errors(path, {"workload.tp_overlap_config.qkv_fprop.method=split"}),
              HasSubstr("\"split\" is not allowed; allowed: ring_exchange, pipeline, bulk, none"));
  EXPECT_THAT(load_errors(path, {"workload.tp_overlap_config.attn_fprop.method=bulk"}),
              HasSubstr("unknown key \"attn_fprop\""));
}

TEST(ScenarioErrors, TpOverlapImplementationNeedsOverlappedTp) {
  const auto path = write_temp("tp_overlap_impl.yaml", R"(cluster: {server: dgx-h100, accelerators: 8}
workload:
  type: training
  model: {preset: llama3-8b}
  parallelism: {tp: 8, pp: 1, sequence_parallel: true}
  batch: {microbatch: 1, global: 8}
  overlap: {tp: true}
  tp_overlap_implementation: torch
)");
  EXPECT_EQ(load_errors(path), "");
  EXPECT_THAT(load_errors(path, {"workload.overlap.tp=false"}),
              HasSubstr(":8:30: error: workload.tp_overlap_implementation: sets whose TP overlap runs, but TP communication "
                        "is not overlapped (tp 8, overlap.tp false): it needs tp >= 2 and overlap.tp: true"));
  EXPECT_THAT(load_errors(path, {"workload.tp_overlap_implementation=userbuffers"}),
              HasSubstr("\"userbuffers\" is not allowed; allowed: transformer_engine, torch"));
}
