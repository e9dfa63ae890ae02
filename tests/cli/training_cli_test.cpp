// Training scenarios through the dcsim binary: input errors, memory that does not fit,
// power caps that slow the run.
#include <cmath>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../test_support.hpp"

#include <cstdio>
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

using ::testing::HasSubstr;

namespace {
using Result = dcsim::testing::CommandResult;
Result run(const std::string& args) { return dcsim::testing::run_dcsim(args); }
const std::string kTiny = std::string(DCSIM_SOURCE_DIR) + "/tests/data/tiny_training.yaml";
std::string out_dir(const char* name) { return "/tmp/dcsim_tests/training_cli/" + std::string(name) + std::to_string(::getpid()); }
nlohmann::json results(const std::string& dir) {
  std::ifstream in(dir + "/results.json");
  return nlohmann::json::parse(in);
}
}  // namespace

TEST(TrainingCli, APlanThatDoesNotFitSaysWhereAndWhatWouldFit) {
  const auto r = run(kTiny + " --quiet --set workload.model.layers=512 --set workload.model.hidden=8192 "
                             "--set workload.model.heads=64 --set workload.recompute=none --set workload.zero=0");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("the plan does not fit in memory: pipeline stage 0 needs"));
  EXPECT_THAT(r.output, HasSubstr("weights"));
  EXPECT_THAT(r.output, HasSubstr("H100-SXM has 85.52 GB"));
}

TEST(TrainingCli, PlanAndModelErrorsNameTheKey) {
  auto r = run(kTiny + " --quiet --set workload.parallelism.dp=4");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("workload.parallelism.dp: tp 4 x pp 2 x cp 1 x dp 4 = 32 ranks, but the cluster has 16 devices"));
  r = run(kTiny + " --quiet --set workload.model=llama3-406b");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown model preset \"llama3-406b\"; did you mean \"llama3-405b\"?"));
  r = run(kTiny + " --quiet --set workload.batch.global=7");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("the global batch 7 is not a multiple of microbatch 1 x dp 2"));
  r = run(kTiny + " --quiet --set workload.parallelism.tp=3");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("tp 3 must divide the model's 16 heads"));
}

TEST(TrainingCli, ExecutionSettingsRejectBadValuesAndSayWhatIsAllowed) {
  const std::pair<const char*, const char*> cases[] = {
      {"workload.grad_accumulation=sometimes",
       "workload.grad_accumulation: \"sometimes\" is not allowed; allowed: fused, separate"},
      {"workload.fusion.rope=maybe", "workload.fusion.rope: \"maybe\" is not allowed; allowed: true, false, complex"},
      {"workload.fusion.gelu=true", "workload.fusion.gelu: unknown key \"gelu\"; allowed here: activation, cross_entropy, gqa, norm, projections, rope"},
      {"workload.overlap.pp=sometimes", "workload.overlap.pp: \"sometimes\" is not a boolean; allowed: true, false"},
      {"workload.model.position_embedding=sinusoidal",
       "workload.model.position_embedding: \"sinusoidal\" is not allowed; allowed: rotary, learned, alibi"},
      {"workload.attention=flash3", "workload.attention: \"flash3\" is not allowed; did you mean \"flash\"?; allowed: flash, flash2, unfused"},
      {"workload.dp_bucket_params=fast",
       "workload.dp_bucket_params: \"fast\" is not allowed; allowed: auto or a number of parameters >= 1000"},
      {"workload.optimizer_dtype=fp8", "workload.optimizer_dtype: \"fp8\" is not allowed"},
      {"workload.optimizer=lion", "workload.optimizer: \"lion\" is not allowed"},
      {"workload.recompute=op --set workload.model.experts=4 --set workload.model.expert_ffn=1024",
       "workload.recompute: recompute: op (torchtitan's per-op policy) is modeled for dense models only"},
      {"workload.recompute=op --set workload.attention=unfused",
       "workload.attention: recompute: op models torchtitan's policy around SDPA's fused attention"},
  };
  for (const auto& [set, message] : cases) {
    const auto r = run(kTiny + " --quiet --set " + set);
    EXPECT_EQ(r.code, 2) << set;
    EXPECT_THAT(r.output, HasSubstr(message));
  }
}

TEST(TrainingCli, ARackPowerCapSlowsComputeAndIsNeverExceeded) {
  const std::string free = out_dir("free"), capped = out_dir("capped");
  ASSERT_EQ(run(kTiny + " --quiet --out " + free).code, 0);
  // Two p5 servers in one rack: 2 x 2.6 kW hosts + 16 GPUs; 8 kW leaves ~175 W per GPU.
  const auto r = run(kTiny + " --set power.rack_limit=8.5kW --out " + capped);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("warning: power caps hold compute at"));
  const auto a = results(free), b = results(capped);
  EXPECT_LT(b["power"]["compute_clock"].get<double>(), 1.0);
  EXPECT_GT(b["training"]["iteration_time_s"].get<double>(), a["training"]["iteration_time_s"].get<double>());
  EXPECT_LE(b["power"]["facility_peak_w"].get<double>(), 8500 * 1.2 * (1 + 1e-9) + b["power"]["network_w"].get<double>() * 1.2);
}

TEST(TrainingCli, ABoardPowerLimitSlowsComputeByTheCubeLawAndMustLieWithinTheChipsRange) {
  const std::string free = out_dir("board_free"), limited = out_dir("board_500w");
  ASSERT_EQ(run(kTiny + " --quiet --out " + free).code, 0);
  ASSERT_EQ(run(kTiny + " --quiet --set power.device_limit=500W --out " + limited).code, 0);
  const auto a = results(free), b = results(limited);
  // H100: 70 W idle, 700 W at full clock; 500 W leaves f = cbrt(430 / 630) for GEMMs.
  EXPECT_DOUBLE_EQ(b["power"]["device_limit_w"].get<double>(), 500);
  EXPECT_NEAR(b["power"]["compute_clock"].get<double>(), std::cbrt(430.0 / 630.0), 1e-9);
  EXPECT_GT(b["training"]["iteration_time_s"].get<double>(), a["training"]["iteration_time_s"].get<double>());
  for (const char* bad : {"701W", "70W"}) {
    const auto r = run(kTiny + " --quiet --set power.device_limit=" + bad);
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_THAT(r.output, HasSubstr("power.device_limit"));
    EXPECT_THAT(r.output, HasSubstr("outside H100-SXM's range: above its idle draw (70 W) and at most its TDP (700 W)"));
  }
}

TEST(TrainingCli, HardwareThatCannotBeBuiltIsAnInputErrorNamingTheSection) {
  // 512 servers x 8 rails need 128 leaves: a 2-tier Clos of radix 64 holds 64.
  auto r = run(std::string(DCSIM_SOURCE_DIR) + "/scenarios/allreduce_4096.yaml --quiet --set network.scale_out.tiers=2");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("allreduce_4096.yaml: error: network: a 2-tier Clos of radix 64 holds at most 64 leaves"));
  EXPECT_THAT(r.output, HasSubstr("use tiers: 3 or a larger radix"));
  // A rack cap below what the GPUs need at their lowest clock.
  r = run(kTiny + " --quiet --set power.rack_limit=6kW");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("tiny_training.yaml: error: power: power cap too low: H100-SXM needs"));
}

TEST(TrainingCli, RunScopedEnergyCountsItAndFacilityOverTheSameSpan) {
  const std::string out = out_dir("energy");
  const Result r = run(kTiny + " --quiet --out " + out + " --set workload.train_tokens=1e9");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = results(out);
  EXPECT_EQ(j["energy"]["scope"], "run");
  // A constant PUE of 1.2 (the default): facility = 1.2 x IT over the whole run.
  EXPECT_NEAR(j["energy"]["facility_kwh"].get<double>() / j["energy"]["it_kwh"].get<double>(), 1.2, 1e-9);
  EXPECT_GT(j["energy"]["it_kwh"].get<double>(), 100 * j["energy"]["per_iteration_kwh"].get<double>() / 1.2);
}

// The pipeline timeline (timeline.csv, drawn in report.html): every stage's spans tile the
// iteration from 0 to its end without gap or overlap, each stage runs every forward and
// backward once per chunk, and the spans of each kind, summed over stages, are the
// breakdown's parts, with pipeline sends overlapped or blocking and gradients reduced beside
// the backward or after it. The breakdown averages every unit: replicas match replica 0 in the
// 1F1B plans; the interleaved one runs a single replica, since there same-instant events (a DP
// collective launched as a task starts) may order differently in two replicas.
TEST(TrainingCli, ThePipelineTimelineTilesTheIterationAndSumsToTheBreakdown) {
  for (const std::string plan :
       {"", " --set workload.overlap.pp=false --set workload.overlap.dp=false --set workload.zero=1 --set workload.overlap.param_gather=false",
        " --set cluster.servers=1 --set workload.parallelism.dp=1 --set workload.parallelism.virtual_stages=2 "
        "--set workload.parallelism.schedule=interleaved --set output.trace_ranks=[0]"}) {
    SCOPED_TRACE("plan:" + plan);
    const std::string out = out_dir("timeline");
    const auto r = run(kTiny + " --quiet --out " + out + plan);
    ASSERT_EQ(r.code, 0) << r.output;
    const auto res = results(out);
    const double T = res["training"]["iteration_time_s"];
    const int pp = res["training"]["parallelism"]["pp"], vp = res["training"]["parallelism"]["virtual_stages"];
    const int m = res["training"]["parallelism"]["microbatches"];
    // The interleaved schedule says its microbatch group (pp unless set); the others have none.
    const auto& par = res["training"]["parallelism"];
    if (vp > 1)
      EXPECT_EQ(par["microbatch_group"], pp);
    else
      EXPECT_FALSE(par.contains("microbatch_group"));
    EXPECT_EQ(res["training"]["timeline"]["file"], "timeline.csv");
    std::ifstream in(out + "/timeline.csv");
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "stage,kind,start_s,end_s,microbatch,chunk");
    std::map<int, std::vector<std::pair<double, double>>> by_stage;
    std::map<std::string, double> by_kind;
    std::map<int, int> tasks;
    std::size_t spans = 0;
    while (std::getline(in, line)) {
      ++spans;
      std::stringstream ss(line);
      std::string stage, kind, a, b;
      std::getline(ss, stage, ',');
      std::getline(ss, kind, ',');
      std::getline(ss, a, ',');
      std::getline(ss, b, ',');
      by_stage[std::stoi(stage)].push_back({std::stod(a), std::stod(b)});
      by_kind[kind] += std::stod(b) - std::stod(a);
      if (kind == "forward" || kind == "backward") ++tasks[std::stoi(stage)];
    }
    EXPECT_EQ(spans, res["training"]["timeline"]["spans"].get<std::size_t>());
    ASSERT_EQ(int(by_stage.size()), pp);
    for (auto& [stage, s] : by_stage) {
      std::sort(s.begin(), s.end());
      EXPECT_NEAR(s.front().first, 0.0, 1e-9) << "stage " << stage;
      for (std::size_t i = 1; i < s.size(); ++i) EXPECT_NEAR(s[i].first, s[i - 1].second, 1e-9) << "stage " << stage;
      EXPECT_NEAR(s.back().second, T, 1e-9) << "stage " << stage;
      EXPECT_EQ(tasks[stage], 2 * m * vp) << "stage " << stage;
    }
    const auto& b = res["training"]["breakdown"];
    auto seconds = [&](const char* k) { return b[k]["seconds"].get<double>(); };
    // Task durations are seconds, span ends whole nanoseconds: within 1 ns per task.
    const double per_task = 1e-9 * 2 * m * vp;
    EXPECT_NEAR((by_kind["forward"] + by_kind["backward"]) / pp, seconds("compute"), per_task);
    EXPECT_NEAR(by_kind["tp_cp_ep_comm"] / pp,
                seconds("tp_exposed") + seconds("ep_exposed") + seconds("cp_exposed") + seconds("fsdp_exposed"), per_task);
    EXPECT_NEAR(by_kind["bubble"] / pp, seconds("pipeline_bubble"), 1e-9);
    EXPECT_NEAR(by_kind["pp_wait"] / pp, seconds("pp_exposed"), 1e-9);
    EXPECT_NEAR(by_kind["dp"] / pp, seconds("dp_exposed"), 1e-9);
    EXPECT_NEAR(by_kind["optimizer"] / pp, seconds("optimizer"), 1e-9);
  }
}

// attention: flash2 runs FlashAttention-2's slower curve on an H100 and says in results.json
// that the curve rests on a derated short-run benchmark; a run without it says nothing of it.
TEST(TrainingCli, FlashAttention2IsSlowerAndNamedAmongTheAssumptions) {
  const std::string own = out_dir("attention_own"), fa2 = out_dir("attention_fa2");
  ASSERT_EQ(run(kTiny + " --quiet --out " + own).code, 0);
  ASSERT_EQ(run(kTiny + " --quiet --set workload.attention=flash2 --out " + fa2).code, 0);
  const auto a = results(own), b = results(fa2);
  EXPECT_GT(b["training"]["iteration_time_s"].get<double>(), a["training"]["iteration_time_s"].get<double>());
  EXPECT_FALSE(a["assumptions"].contains("attention_flash2"));
  ASSERT_TRUE(b["assumptions"].contains("attention_flash2"));
  EXPECT_THAT(b["assumptions"]["attention_flash2"].get<std::string>(), HasSubstr("published short-run H100 benchmark"));
}

// Under FSDP results.json names whose FSDP ran, and FSDP1's serialized post-backward kernels
// among the assumptions; FSDP2's copies run on the compute stream and assume nothing.
TEST(TrainingCli, FsdpImplementationIsNamedWithItsAssumption) {
  const std::string two = out_dir("fsdp2"), one = out_dir("fsdp1"), sharded = out_dir("zero1");
  ASSERT_EQ(run(kTiny + " --quiet --set workload.zero=fsdp --out " + two).code, 0);
  ASSERT_EQ(run(kTiny + " --quiet --set workload.zero=fsdp --set workload.fsdp_implementation=fsdp1 --out " + one).code, 0);
  ASSERT_EQ(run(kTiny + " --quiet --out " + sharded).code, 0);
  const auto a = results(two), b = results(one), c = results(sharded);
  EXPECT_EQ(a["training"]["parallelism"]["fsdp_implementation"].get<std::string>(), "fsdp2");
  EXPECT_EQ(b["training"]["parallelism"]["fsdp_implementation"].get<std::string>(), "fsdp1");
  EXPECT_FALSE(c["training"]["parallelism"].contains("fsdp_implementation"));
  EXPECT_FALSE(a["assumptions"].contains("fsdp1_post_backward"));
  ASSERT_TRUE(b["assumptions"].contains("fsdp1_post_backward"));
  EXPECT_THAT(b["assumptions"]["fsdp1_post_backward"].get<std::string>(), HasSubstr("upper bound"));
}

// results.json names whose TP ran (PyTorch's async TP implies PyTorch's TP) and, with TP
// overlap, whose overlap; async TP takes no SMs from the GEMMs (copy engines) and keeps no
// userbuffers in the caching allocator's pool, where Transformer Engine's overlap adds them.
TEST(TrainingCli, TpOverlapImplementationIsNamed) {
  const std::string te = out_dir("tp_te"), torch = out_dir("tp_torch");
  const std::string te_plain = out_dir("tp_te_plain"), torch_plain = out_dir("tp_torch_plain");
  const std::string sp = " --quiet --set workload.parallelism.sequence_parallel=true";
  ASSERT_EQ(run(kTiny + sp + " --set workload.overlap.tp=true --out " + te).code, 0);
  ASSERT_EQ(run(kTiny + sp + " --set workload.overlap.tp=true --set workload.tp_overlap_implementation=torch --out " + torch).code, 0);
  ASSERT_EQ(run(kTiny + sp + " --out " + te_plain).code, 0);
  ASSERT_EQ(run(kTiny + sp + " --set workload.tp_implementation=torch --out " + torch_plain).code, 0);
  const auto a = results(te), b = results(torch), c = results(te_plain), d = results(torch_plain);
  EXPECT_EQ(a["training"]["parallelism"]["tp_overlap_implementation"].get<std::string>(), "transformer_engine");
  EXPECT_EQ(b["training"]["parallelism"]["tp_overlap_implementation"].get<std::string>(), "torch");
  EXPECT_FALSE(c["training"]["parallelism"].contains("tp_overlap_implementation"));
  EXPECT_EQ(a["training"]["parallelism"]["tp_implementation"].get<std::string>(), "transformer_engine");
  EXPECT_EQ(b["training"]["parallelism"]["tp_implementation"].get<std::string>(), "torch");
  EXPECT_EQ(d["training"]["parallelism"]["tp_implementation"].get<std::string>(), "torch");
  // Transformer Engine's pairings that ran, each from the preset unless the scenario set it.
  const auto& ub = a["training"]["parallelism"]["tp_overlap_config"];
  EXPECT_EQ(ub.size(), 10u);
  EXPECT_EQ(ub["proj_fprop"]["method"].get<std::string>(), "pipeline");
  EXPECT_EQ(ub["proj_fprop"]["num_sm"].get<int>(), 24);
  EXPECT_TRUE(ub["proj_fprop"]["set_sm_margin"].get<bool>());
  EXPECT_EQ(ub["qkv_fprop"]["from"].get<std::string>(), "preset");
  EXPECT_FALSE(b["training"]["parallelism"].contains("tp_overlap_config"));
  const std::string own = out_dir("tp_own");
  ASSERT_EQ(run(kTiny + sp + " --set workload.overlap.tp=true --set workload.tp_overlap_config.qkv_fprop.method=none --out " +
                own).code, 0);
  const auto e = results(own)["training"]["parallelism"]["tp_overlap_config"]["qkv_fprop"];
  EXPECT_EQ(e["method"].get<std::string>(), "none");
  EXPECT_EQ(e["from"].get<std::string>(), "scenario");
  EXPECT_FALSE(e.contains("num_sm"));
  const auto reserved = [](const nlohmann::json& r) { return r["memory"]["per_stage"][0]["reserved_bytes"].get<double>(); };
  EXPECT_GT(reserved(a), reserved(c));
  EXPECT_EQ(reserved(b), reserved(d));
  EXPECT_FALSE(a["assumptions"].contains("tp_overlap_torch"));
  ASSERT_TRUE(b["assumptions"].contains("tp_overlap_torch"));
  EXPECT_THAT(b["assumptions"]["tp_overlap_torch"].get<std::string>(), HasSubstr("copy engines"));
  // Both overlaps split GEMMs into pieces that are timed whole; without overlap nothing is split.
  for (const auto* r : {&a, &b}) EXPECT_THAT((*r)["assumptions"]["tp_overlap_pieces"].get<std::string>(), HasSubstr("timed whole"));
  EXPECT_FALSE(c["assumptions"].contains("tp_overlap_pieces"));
  // BF16's preset keeps 24 of an H100's 132 SMs from the proj GEMM (set_sm_margin): 24 / 108 more,
  // a cost dcsim reads from the code, not a measurement; async TP and no overlap keep none.
  EXPECT_THAT(a["assumptions"]["tp_overlap_sm_margin"].get<std::string>(), HasSubstr("up to 24 of 132"));
  EXPECT_THAT(a["assumptions"]["tp_overlap_sm_margin"].get<std::string>(), HasSubstr("22.2 % at 24"));
  EXPECT_FALSE(b["assumptions"].contains("tp_overlap_sm_margin"));
  EXPECT_FALSE(c["assumptions"].contains("tp_overlap_sm_margin"));
}

// PyTorch's ring attention's element-wise ops are counted as eager kernels, an upper bound
// that results.json names; Transformer Engine's ring (the default, merges fused) doesn't.
TEST(TrainingCli, TorchRingAttentionIsNamedAmongTheAssumptions) {
  const std::string te = out_dir("cp_te"), torch = out_dir("cp_torch");
  const std::string cp = " --quiet --set workload.parallelism.dp=1 --set workload.parallelism.cp=2";
  ASSERT_EQ(run(kTiny + cp + " --out " + te).code, 0);
  ASSERT_EQ(run(kTiny + cp + " --set workload.cp_implementation=torch --out " + torch).code, 0);
  const auto a = results(te), b = results(torch);
  EXPECT_FALSE(a["assumptions"].contains("cp_ring_torch"));
  EXPECT_THAT(b["assumptions"]["cp_ring_torch"].get<std::string>(), HasSubstr("upper bound"));
  EXPECT_GT(b["training"]["iteration_time_s"].get<double>(), a["training"]["iteration_time_s"].get<double>());
}

// The composite RMSNorm and the eager loss say what their timing rests on, in results.json and
// in the summary.
TEST(TrainingCli, CompositeNormAndEagerLossAreNamedAmongTheAssumptions) {
  const std::string fused = out_dir("norm_fused"), composite = out_dir("norm_composite");
  ASSERT_EQ(run(kTiny + " --quiet --out " + fused).code, 0);
  const auto r = run(kTiny + " --set workload.fusion.norm=composite --set workload.fusion.cross_entropy=false --out " + composite);
  ASSERT_EQ(r.code, 0);
  // The summary names them too.
  EXPECT_THAT(r.output, HasSubstr("assumed in the model: norm_composite, cross_entropy_eager"));
  const auto a = results(fused), b = results(composite);
  EXPECT_FALSE(a["assumptions"].contains("norm_composite"));
  EXPECT_FALSE(a["assumptions"].contains("cross_entropy_eager"));
  EXPECT_THAT(b["assumptions"]["norm_composite"].get<std::string>(), HasSubstr("autograd's formulas"));
  EXPECT_THAT(b["assumptions"]["cross_entropy_eager"].get<std::string>(), HasSubstr("loss_parallel"));  // the tiny run has TP4
  EXPECT_GT(b["training"]["iteration_time_s"].get<double>(), a["training"]["iteration_time_s"].get<double>());
}

// Megatron's fused gradient accumulation (the default) is timed as the GEMM alone, which
// results.json names; a run that accumulates in separate kernels counts them and does not.
TEST(TrainingCli, FusedGradientAccumulationIsNamedAmongTheAssumptions) {
  const std::string fused = out_dir("acc_fused"), separate = out_dir("acc_separate");
  const auto r = run(kTiny + " --out " + fused);
  ASSERT_EQ(r.code, 0);
  EXPECT_THAT(r.output, HasSubstr("wgrad_accumulation_fused"));
  ASSERT_EQ(run(kTiny + " --quiet --set workload.grad_accumulation=separate --out " + separate).code, 0);
  const auto a = results(fused), b = results(separate);
  EXPECT_THAT(a["assumptions"]["wgrad_accumulation_fused"].get<std::string>(), HasSubstr("epilogue"));
  EXPECT_FALSE(b["assumptions"].contains("wgrad_accumulation_fused"));
}

// results.json names whose FP8 linears ran and their scaling; a BF16 run names neither.
TEST(TrainingCli, Fp8ImplementationAndRecipeAreNamed) {
  const std::string bf16 = out_dir("fp8_none"), te = out_dir("fp8_te"), ao = out_dir("fp8_torchao");
  ASSERT_EQ(run(kTiny + " --quiet --out " + bf16).code, 0);
  ASSERT_EQ(run(kTiny + " --quiet --set workload.precision=fp8 --out " + te).code, 0);
  ASSERT_EQ(run(kTiny + " --quiet --set workload.precision=fp8 --set workload.fp8_recipe=current "
                        "--set workload.fp8_implementation=torchao --set workload.tp_implementation=torch --out " + ao)
                .code,
            0);
  const auto a = results(bf16)["training"]["parallelism"], b = results(te)["training"]["parallelism"],
             c = results(ao)["training"]["parallelism"];
  EXPECT_FALSE(a.contains("fp8_implementation"));
  EXPECT_FALSE(a.contains("fp8_recipe"));
  EXPECT_EQ(b["fp8_implementation"].get<std::string>(), "transformer_engine");
  EXPECT_EQ(b["fp8_recipe"].get<std::string>(), "delayed");
  EXPECT_EQ(c["fp8_implementation"].get<std::string>(), "torchao");
  EXPECT_EQ(c["fp8_recipe"].get<std::string>(), "current");
  // torchao's casts are counted as torch.compile is taken to emit them, and said so.
  EXPECT_THAT(results(ao)["assumptions"]["fp8_casts_torchao"].get<std::string>(), HasSubstr("torch.compile"));
  EXPECT_FALSE(results(te)["assumptions"].contains("fp8_casts_torchao"));
}

// Queue pairs run at one rate per transfer (docs/network.md, "Routing"): results.json says so
// when there are several, and results.json names the routing either way.
TEST(TrainingCli, QueuePairsAreNamedAmongTheAssumptions) {
  const std::string one = out_dir("qps_one"), four = out_dir("qps_four");
  ASSERT_EQ(run(kTiny + " --quiet --out " + one).code, 0);
  ASSERT_EQ(run(kTiny + " --quiet --set network.qps_per_connection=4 --out " + four).code, 0);
  const auto a = results(one), b = results(four);
  EXPECT_EQ(a["network"]["qps_per_connection"].get<int>(), 1);
  EXPECT_EQ(b["network"]["qps_per_connection"].get<int>(), 4);
  EXPECT_EQ(b["network"]["routing"].get<std::string>(), "ecmp");
  EXPECT_FALSE(a["assumptions"].contains("queue_pairs"));
  ASSERT_TRUE(b["assumptions"].contains("queue_pairs"));
  EXPECT_THAT(b["assumptions"]["queue_pairs"].get<std::string>(), HasSubstr("4 queue pairs per connection move at one rate"));
}
