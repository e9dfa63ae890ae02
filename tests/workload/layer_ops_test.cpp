// One tensor-parallel rank's transformer layer, forward and backward: the kernels dcsim times
// (models/workload/layer_ops.cpp) against whole layers measured on a real H100
// (shared/reference/h100_kernels.md, "One tensor-parallel rank's transformer layer"), and
// the kernel accounting itself against hand-worked counts.
#include "models/workload/layer_ops.hpp"
#include "models/workload/training_costs.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "models/scenario/catalog_parser.hpp"

using namespace dcsim;
using namespace dcsim::workload;

namespace {
const hardware::AcceleratorSpec& shipped_chip(const char* name) {
  static const hardware::Catalog catalog = [] {
    scenario::Diagnostics diag;
    return scenario::read_catalog(nullptr, "catalog", diag);
  }();
  return *catalog.accelerator(name);
}
const hardware::AcceleratorSpec& h100() { return shipped_chip("H100-SXM"); }
const hardware::AcceleratorSpec& h200() { return shipped_chip("H200"); }

// The HBM bytes of a layer's ops of one name.
double bytes(const std::vector<LayerOp>& ops, const std::string& name) {
  double b = 0;
  for (const auto& o : ops)
    if (o.name == name) b += o.op.bytes * o.count;
  return b;
}

double seconds(const std::vector<LayerOp>& ops, bool print = false) {
  double s = 0;
  for (const auto& o : ops) {
    const double t = hardware::op_time(h100(), o.op).seconds * o.count;
    if (print) std::printf("  %-18s %8.3f ms\n", o.name.c_str(), t * 1e3);
    s += t;
  }
  return s;
}

// The measured layer (measured/layer_bench_defs.py): eager PyTorch, SDPA flash attention,
// no RoPE, no dropout, sequence parallelism emulated by norms and residuals on T/tp tokens,
// a copy standing in for each all-gather (x.repeat: read T/tp x h, write T x h) and a sum for
// each reduce-scatter (read T x h, write T/tp x h), two of each per pass; their backward is
// the reverse. The attention output is copied to [T, heads x d] before the projection, and
// K and V are copied out of the fused QKV output (forward and backward).
struct MeasuredLayer {
  const char* name;
  std::int64_t hidden, heads, kv_heads, ffn, tp, seq;
  bool swiglu;
  double fwd_ms, fwd_bwd_ms;  // measured
};

struct Modeled {
  double fwd_s, fwd_bwd_s;
};

Modeled model_layer(const MeasuredLayer& l, bool print = false) {
  TransformerSpec m;
  m.layers = 1;
  m.hidden = l.hidden;
  m.heads = l.heads;
  m.kv_heads = l.kv_heads;
  m.ffn = l.ffn;
  m.seq_len = l.seq;
  m.vocab = 1;
  m.activation = l.swiglu ? Activation::SwiGlu : Activation::Gelu;
  m.rotary = false;
  m.dropout = false;
  ParallelPlan p;
  p.tp = l.tp;
  p.sequence_parallel = true;
  p.norm_kernel = NormKernel::Native;
  p.fused_activation = !l.swiglu;  // F.gelu is one kernel; SwiGLU is silu then multiply
  auto fwd = layer_ops(m, p, false, Pass::Forward);
  auto bwd = layer_ops(m, p, false, Pass::Backward);
  const double T = double(l.seq), h = double(l.hidden), t = double(l.tp);
  const double stand_in = 2 * (2 * (T / t) * h + 2 * T * h) + 2 * (2 * T * h + 2 * (T / t) * h);
  const double kv = double(l.hidden) / double(l.heads) * double(l.kv_heads) / t;
  const double copies = 4 * T * h / t + 2 * 4 * T * kv;
  for (auto* ops : {&fwd, &bwd}) {
    ops->push_back({"gather/scatter", hardware::memory_op(stand_in, hardware::MemoryKernel::Stream), 1});
    ops->push_back({"layout copies", hardware::memory_op(copies, hardware::MemoryKernel::Stream), 1});
  }
  // The benchmark repeats backward without zeroing gradients: autograd adds each new weight
  // gradient into .grad (read both, write: 6 bytes per bf16 parameter).
  const double params = (h * (h + 2 * kv * t) + h * h + m.mlp_matrices() * h * double(l.ffn)) / t;
  bwd.push_back({"accumulate .grad", hardware::memory_op(6 * params, hardware::MemoryKernel::Stream), 1});
  if (print) std::printf("%s forward\n", l.name);
  const double f = seconds(fwd, print);
  if (print) std::printf("%s backward\n", l.name);
  const double b = seconds(bwd, print);
  return {f, f + b};
}
}  // namespace

// Measured 2026-11-27 on one H100 SXM (PyTorch 2.11, CUDA 13.0). The 405B layer after a heat
// soak (eager: 11.01 / 34.26 ms; torch.compile: 10.56 / 33.25); the others right after the
// GEMM runs, at a higher clock than a training run holds (nvidia-smi read 1,965 MHz after
// them), so a model of the steady state is slower than those by a few percent.
TEST(LayerOps, ModeledLayersMatchTheLayersMeasuredOnAnH100) {
  const MeasuredLayer soaked{"llama3-405b_tp8_s8192", 16384, 128, 8, 53248, 8, 8192, true, 11.01, 34.26};
  const Modeled m405 = model_layer(soaked, true);
  std::printf("405B: model %.2f / %.2f ms, measured %.2f / %.2f\n", m405.fwd_s * 1e3, m405.fwd_bwd_s * 1e3,
              soaked.fwd_ms, soaked.fwd_bwd_ms);
  EXPECT_NEAR(m405.fwd_bwd_s * 1e3 / soaked.fwd_bwd_ms, 1.0, 0.05);
  EXPECT_NEAR(m405.fwd_s * 1e3 / soaked.fwd_ms, 1.0, 0.05);
  const MeasuredLayer boost[] = {
      {"llama3-70b_tp8_s8192", 8192, 64, 8, 28672, 8, 8192, true, 3.13, 10.04},
      {"llama3-70b_tp4_s8192", 8192, 64, 8, 28672, 4, 8192, true, 5.89, 19.61},
      {"gpt3-175b_tp8_s2048", 12288, 96, 96, 49152, 8, 2048, false, 1.43, 4.79},
      // tools/gpu/cp_attention_bench.py, after its heat soak (1,620 MHz, 540 W when it ended).
      {"gpt3-175b_tp4_s2048", 12288, 96, 96, 49152, 4, 2048, false, 2.84, 9.67},
  };
  for (const auto& l : boost) {
    const Modeled m = model_layer(l, true);
    std::printf("%s: model %.2f / %.2f ms, measured %.2f / %.2f\n", l.name, m.fwd_s * 1e3, m.fwd_bwd_s * 1e3, l.fwd_ms,
                l.fwd_bwd_ms);
    EXPECT_NEAR(m.fwd_bwd_s * 1e3 / l.fwd_bwd_ms, 1.03, 0.06) << l.name;
  }
}

// MPT-7B's block as llm-foundry's benchmark row L30 runs it (TP1, microbatch 6 x 2,048
// tokens, eager PyTorch: LayerNorm without bias, F.gelu, no linear biases, flash attention),
// measured on one H100 after a 25 s heat soak (tools/gpu/mpt_layer_bench.py,
// tests/data/h100_mpt7b_layer.json: 1,380-1,395 MHz, 689-697 W): 8.07 ms forward, 25.64 ms
// forward and backward with gradients set to None before each pass, as FSDP leaves them.
// The block's only layout copy is the attention output's to [T, h] (and back in backward).
TEST(LayerOps, ModeledMpt7bBlockMatchesTheBlockMeasuredOnAnH100) {
  TransformerSpec m;
  m.layers = 1;
  m.hidden = 4096;
  m.heads = 32;
  m.kv_heads = 32;
  m.ffn = 16384;
  m.seq_len = 2048;
  m.vocab = 1;
  m.activation = Activation::Gelu;
  m.rotary = false;
  m.dropout = false;
  ParallelPlan p;
  p.tp = 1;
  p.microbatch = 6;
  p.norm_kernel = NormKernel::Native;
  p.fused_activation = true;  // F.gelu is one kernel
  auto fwd = layer_ops(m, p, false, Pass::Forward);
  auto bwd = layer_ops(m, p, false, Pass::Backward);
  const double T = 6.0 * 2048, h = 4096;
  for (auto* ops : {&fwd, &bwd})
    ops->push_back({"attention output copy", hardware::memory_op(4 * T * h, hardware::MemoryKernel::Stream), 1});
  std::printf("mpt-7b block forward\n");
  const double f = seconds(fwd, true);
  std::printf("mpt-7b block backward\n");
  const double b = seconds(bwd, true);
  std::printf("mpt-7b block: model %.2f / %.2f ms, measured 8.07 / 25.64\n", f * 1e3, (f + b) * 1e3);
  EXPECT_NEAR((f + b) * 1e3 / 25.64, 1.0, 0.05);
  EXPECT_NEAR(f * 1e3 / 8.07, 1.0, 0.05);
}

namespace {
// One Llama 3 70B layer at sequence 8,192, for the context-parallel checks.
TransformerSpec llama3_70b_layer() {
  TransformerSpec m;
  m.layers = 1;
  m.hidden = 8192;
  m.heads = 64;
  m.kv_heads = 8;
  m.ffn = 28672;
  m.seq_len = 8192;
  m.vocab = 1;
  m.activation = Activation::SwiGlu;
  return m;
}

double attention_flops(const std::vector<LayerOp>& ops, double& kv_len) {
  double f = 0;
  for (const auto& o : ops)
    if (o.op.kind == hardware::OpKind::Attention) {
      f += o.op.flops * o.count;
      kv_len = o.op.attention.kv_len;
    }
  return f;
}
}  // namespace

// Context parallelism with the load-balanced causal split: each of CP ranks does 1/CP of
// the causal attention FLOPs, as CP ring steps of its queries against one block of keys.
TEST(LayerOps, ContextParallelAttentionSplitsTheCausalWork) {
  const TransformerSpec m = llama3_70b_layer();
  ParallelPlan p;
  p.tp = 4;
  double kv1 = 0, kv2 = 0;
  const double one = attention_flops(layer_ops(m, p, false, Pass::Forward), kv1);
  p.cp = 2;
  const double two = attention_flops(layer_ops(m, p, false, Pass::Forward), kv2);
  // 16 heads per rank, d 128: 4 s^2 d / 2 per head causal = 2 x 8192^2 x 128 x 16.
  EXPECT_DOUBLE_EQ(one, 2.0 * 8192 * 8192 * 128 * 16);
  EXPECT_DOUBLE_EQ(two, one / 2);
  EXPECT_DOUBLE_EQ(kv1, 8192);
  EXPECT_DOUBLE_EQ(kv2, 4096);  // each ring step sees one rank's block
}

// PyTorch's ring attention (cp_implementation: torch) adds one memory-bound pass per layer of
// the bytes its element-wise ops move, for n = T/CP x heads/t x d query elements: forward
// 8 n c + 12 n + 38 n (c - 1), backward 68 n + 44 n (c - 1) + 16 n c (docs/training.md,
// "Ring attention in PyTorch"); Transformer Engine's ring adds none.
TEST(LayerOps, TorchRingAttentionMovesWhatItsElementWiseOpsMove) {
  const TransformerSpec m = llama3_70b_layer();
  ParallelPlan p;
  p.tp = 4;
  p.cp = 4;
  const auto merge_bytes = [&](Pass pass) {
    double bytes = -1;
    for (const auto& o : layer_ops(m, p, false, pass, LayerPart::AttentionCore))
      if (o.name == "ring merge") bytes = o.op.bytes * o.count;
    return bytes;
  };
  EXPECT_EQ(merge_bytes(Pass::Forward), -1.0);
  p.cp_torch = true;
  const double n = 8192.0 / 4 * 16 * 128, c = 4;
  EXPECT_DOUBLE_EQ(merge_bytes(Pass::Forward), 8 * n * c + 12 * n + 38 * n * (c - 1));
  EXPECT_DOUBLE_EQ(merge_bytes(Pass::Backward), 68 * n + 44 * n * (c - 1) + 16 * n * c);
}

// RMSNorm written as PyTorch ops (torchtitan's default, Meta's reference Llama code): each op
// streams its bytes, 36 per element in 8 kernels forward and 92 in 16 backward (hand-counted
// in layer_ops.cpp), against PyTorch's native kernel's 4 and 6 at the eager norm rates. Sequence parallelism
// splits the norm's tokens.
TEST(LayerOps, CompositeRmsNormStreamsWhatEachOfItsOpsMoves) {
  const TransformerSpec m = llama3_70b_layer();
  ParallelPlan p;
  p.tp = 4;
  p.sequence_parallel = true;
  const auto norms = [&](Pass pass) {
    std::vector<LayerOp> out;
    for (const auto& o : layer_ops(m, p, false, pass))
      if (o.name == "norm") out.push_back(o);
    return out;
  };
  const double elements = 8192.0 / 4 * 8192;
  p.norm_kernel = NormKernel::Native;
  ASSERT_EQ(norms(Pass::Forward).size(), 2u);
  EXPECT_DOUBLE_EQ(norms(Pass::Forward)[0].op.bytes, 4 * elements);
  EXPECT_EQ(norms(Pass::Forward)[0].op.memory_kernel, hardware::MemoryKernel::NormEager);
  EXPECT_DOUBLE_EQ(norms(Pass::Backward)[0].op.bytes, 6 * elements);
  p.norm_kernel = NormKernel::Composite;
  for (const Pass pass : {Pass::Forward, Pass::Backward}) {
    const auto ops = norms(pass);
    ASSERT_EQ(ops.size(), 2u);
    const double bytes = (pass == Pass::Forward ? 36 : 92) * elements, kernels = pass == Pass::Forward ? 8 : 16;
    for (const auto& o : ops) {
      EXPECT_DOUBLE_EQ(o.op.bytes * o.count, bytes);
      EXPECT_EQ(o.count, kernels);
      EXPECT_EQ(o.op.memory_kernel, hardware::MemoryKernel::Stream);
      EXPECT_NEAR(hardware::op_time(h100(), o.op).seconds * o.count, kernels * 2.899e-6 + bytes / (0.90 * 3.35e12), 1e-12);
    }
  }
}

// Separate projections (torchtitan's wq, wk, wv and w1, w3): the same GEMM FLOPs as one QKV
// and one gate-and-up GEMM, in pieces of their own widths; the backward sums the pieces' input
// gradients in one kernel (2 bytes per piece read and 2 written per element of the input),
// unfused SwiGLU's
// backward has no halves to concatenate (18 bytes, not 26), and FP8 casts each shared input
// once.
TEST(LayerOps, SeparateProjectionsSplitTheGemmsAndAddTheirInputGradients) {
  const TransformerSpec m = llama3_70b_layer();
  ParallelPlan p;
  p.tp = 4;
  p.sequence_parallel = true;
  p.fused_activation = false;
  const double T = 8192, h = 8192, kv = 1024, f = 28672.0 / 4;
  const auto sum = [](const std::vector<LayerOp>& ops, const std::string& name) {
    double flops = 0, bytes = 0, count = 0;
    for (const auto& o : ops)
      if (o.name == name) {
        flops += o.op.flops * o.count;
        bytes += o.op.bytes * o.count;
        count += o.count;
      }
    return std::array<double, 3>{flops, bytes, count};
  };
  for (const Pass pass : {Pass::Forward, Pass::Backward}) {
    p.fused_projections = true;
    const auto fused = layer_ops(m, p, false, pass);
    p.fused_projections = false;
    const auto separate = layer_ops(m, p, false, pass);
    for (const char* gemm : {"qkv", "fc1", "qkv dgrad", "qkv wgrad", "fc1 dgrad", "fc1 wgrad"})
      EXPECT_DOUBLE_EQ(sum(separate, gemm)[0], sum(fused, gemm)[0]) << gemm;
    std::vector<std::string> pieces;
    for (const auto& o : separate)
      if (o.name == (pass == Pass::Forward ? "qkv" : "qkv dgrad")) pieces.push_back(o.piece);
    EXPECT_EQ(pieces, (std::vector<std::string>{"q", "k", "v"}));
    for (const auto& o : separate)
      if (o.name == "qkv" && o.piece == "k") {
        EXPECT_DOUBLE_EQ(o.op.shape.n, kv / 4);
      }
    const auto added = sum(separate, "input gradient sum");
    EXPECT_DOUBLE_EQ(added[1], pass == Pass::Forward ? 0.0 : (8 + 6) * T * h);  // q, k, v read, sum written; gate, up
    const double activation = sum(separate, "activation")[1] - sum(fused, "activation")[1];
    EXPECT_DOUBLE_EQ(activation, pass == Pass::Forward ? 0.0 : (18.0 - 26.0) * T * f);
  }
  p.precision = hardware::Precision::fp8;
  p.fp8_recipe = Fp8Recipe::Current;  // torchao's, as the runs with separate projections cast
  p.fused_projections = false;
  const auto fwd = layer_ops(m, p, false, Pass::Forward);
  // The attention norm's output, the attention output, the MLP norm's output, the SwiGLU
  // output: four casts, as with one QKV and one gate-and-up GEMM.
  EXPECT_EQ(sum(fwd, "quantize input")[2], 4.0);
}

// Transformer Engine's delayed-scaling FP8 behind Megatron's layers (TE 1.13 and 2.1
// layernorm_linear.py, base.py grad_output_preprocess), hand-counted for Llama 3 70B at TP4 with
// SP: the fused norm writes the QKV and fc1 inputs in FP8, so forward casts only the attention
// output and the SwiGLU output (4 bytes each: read bf16, write FP8 and its transpose); backward
// transposes the two gathered norm outputs for the weight gradients (2 bytes: read and write a
// byte), casts the column-parallel output gradients (4 bytes) and the row-parallel ones on the
// rank's T / 4 tokens before their gather (3 bytes) and transposes them gathered (2 bytes).
// Current scaling runs the norm unfused and casts after it, with its amax read first: the norm
// outputs on T / 4 tokens before their gather (5 bytes), everything else 6. MXFP8 casts each
// direction apart (TE 2.2). With a norm that is not Transformer Engine's, every input and gradient
// is cast whole (4 bytes).
TEST(LayerOps, TransformerEngineFp8CastsWhatItsFusedNormDoesNotWrite) {
  const TransformerSpec m = llama3_70b_layer();
  ParallelPlan p;
  p.tp = 4;
  p.sequence_parallel = true;
  p.precision = hardware::Precision::fp8;
  const double T = 8192, h = 8192, kv = 1024, f = 28672.0 / 4, qkv = (h + 2 * kv) / 4;
  const auto fwd = layer_ops(m, p, false, Pass::Forward), bwd = layer_ops(m, p, false, Pass::Backward);
  EXPECT_DOUBLE_EQ(bytes(fwd, "quantize input"), 4 * T * h / 4 + 4 * T * f);
  EXPECT_DOUBLE_EQ(bytes(bwd, "transpose input"), 2 * T * h + 2 * T * h);
  EXPECT_DOUBLE_EQ(bytes(bwd, "quantize grad"), 4 * T * qkv + 4 * T * 2 * f + 2 * 3 * (T / 4) * h);
  EXPECT_DOUBLE_EQ(bytes(bwd, "transpose grad"), 2 * (2 * T * h));

  ParallelPlan current = p;
  current.fp8_recipe = Fp8Recipe::Current;
  const auto cf = layer_ops(m, current, false, Pass::Forward), cb = layer_ops(m, current, false, Pass::Backward);
  EXPECT_DOUBLE_EQ(bytes(cf, "quantize input"), 2 * 5 * (T / 4) * h + 6 * T * h / 4 + 6 * T * f);
  EXPECT_DOUBLE_EQ(bytes(cb, "transpose input"), 2 * T * h + 2 * T * h);
  EXPECT_DOUBLE_EQ(bytes(cb, "quantize grad"), 6 * T * qkv + 6 * T * 2 * f + 2 * 5 * (T / 4) * h);
  EXPECT_DOUBLE_EQ(bytes(cb, "transpose grad"), 2 * (2 * T * h));

  // MXFP8: two casts of 3 bytes, one per direction; under SP the norm outputs are cast each way on
  // T / 4 tokens (forward row-wise, backward column-wise) and the gathered gradients both ways on
  // T / 4; without a gather the norm writes both copies itself.
  ParallelPlan mx = p;
  mx.fp8_recipe = Fp8Recipe::Mx;
  const auto mf = layer_ops(m, mx, false, Pass::Forward), mb = layer_ops(m, mx, false, Pass::Backward);
  EXPECT_DOUBLE_EQ(bytes(mf, "quantize input"), 2 * 3 * (T / 4) * h + 6 * T * h / 4 + 6 * T * f);
  EXPECT_DOUBLE_EQ(bytes(mb, "quantize input"), 2 * 3 * (T / 4) * h);
  EXPECT_DOUBLE_EQ(bytes(mb, "quantize grad"), 6 * T * qkv + 6 * T * 2 * f + 2 * 6 * (T / 4) * h);
  EXPECT_EQ(bytes(mb, "transpose input") + bytes(mb, "transpose grad"), 0.0);
  mx.tp = 1;
  mx.sequence_parallel = false;
  EXPECT_DOUBLE_EQ(bytes(layer_ops(m, mx, false, Pass::Forward), "quantize input"), 6 * T * h + 6 * T * 28672.0);

  ParallelPlan native = p;
  native.norm_kernel = NormKernel::Native;
  const auto nf = layer_ops(m, native, false, Pass::Forward), nb = layer_ops(m, native, false, Pass::Backward);
  EXPECT_DOUBLE_EQ(bytes(nf, "quantize input"), 4 * (T * h + T * h / 4 + T * h + T * f));
  EXPECT_DOUBLE_EQ(bytes(nb, "quantize grad"), 4 * (T * qkv + T * h + T * 2 * f + T * h));
  EXPECT_EQ(bytes(nb, "transpose input") + bytes(nb, "transpose grad"), 0.0);
}

// torchao's tensorwise float8 compiled, as torchtitan ran it (torchao eab345c: float8_tensor_parallel.py,
// float8_linear.py, float8_ops.py preprocess_addmm), hand-counted for Llama 3 70B at TP4 with SP
// and separate projections: a cast writes the FP8 copy and its transpose with the amax folded
// into the kernel before it (4 bytes); the norm outputs are cast row-wise on the rank's T / 4
// tokens before their gather (3 bytes, PrepareFloat8ModuleInput) and transposed gathered (2),
// and so are the row-parallel output gradients (Float8RowwiseParallel); FP8 weights from FSDP
// are copied transposed for the data gradient (2), bf16 ones cast every forward (amax, then
// cast and transpose: 6).
TEST(LayerOps, TorchaoFloat8CastsBeforeGatheringAndTransposesForTheGemms) {
  const TransformerSpec m = llama3_70b_layer();
  ParallelPlan p;
  p.tp = 4;
  p.sequence_parallel = true;
  p.tp_dtensor = true;
  p.fused_projections = false;
  p.precision = hardware::Precision::fp8;
  p.fp8_recipe = Fp8Recipe::Current;
  p.fp8_torchao = true;
  p.fp8_params = true;
  const double T = 8192, h = 8192, kv = 1024, f = 28672.0 / 4, q = h / 4, k = kv / 4;
  const auto fwd = layer_ops(m, p, false, Pass::Forward), bwd = layer_ops(m, p, false, Pass::Backward);
  // Two norm outputs on T / 4 tokens, row-wise; the attention output and the SwiGLU output on T.
  EXPECT_DOUBLE_EQ(bytes(fwd, "quantize input"), 3 * 2 * (T / 4) * h + 4 * (T * q + T * f));
  EXPECT_DOUBLE_EQ(bytes(fwd, "quantize weight"), 0.0);  // FP8 weights from FSDP's float8 all-gather
  EXPECT_DOUBLE_EQ(bytes(bwd, "transpose input"), 2 * 2 * T * h);  // the two gathered norm outputs
  // wq, wk, wv, w1, w3 outputs on T; wo and w2 gathered from T / 4.
  EXPECT_DOUBLE_EQ(bytes(bwd, "quantize grad"), 4 * T * (q + 2 * k + 2 * f) + 3 * 2 * (T / 4) * h);
  EXPECT_DOUBLE_EQ(bytes(bwd, "transpose grad"), 2 * 2 * T * h);
  const double weights = h * (q + 2 * k) + q * h + 2 * h * f + f * h;
  EXPECT_DOUBLE_EQ(bytes(bwd, "transpose weight"), 2 * weights);
  p.fp8_params = false;  // bf16 weights: each forward casts them with their transpose
  EXPECT_DOUBLE_EQ(bytes(layer_ops(m, p, false, Pass::Forward), "quantize weight"), 6 * weights);
  EXPECT_DOUBLE_EQ(bytes(layer_ops(m, p, false, Pass::Backward), "transpose weight"), 0.0);
}

// torchao's README (eab345c, "Performance") publishes compiled Float8Linear speed-ups over a
// bf16 Linear, forward and backward, on an H100: 0.80 at M, K, N = 1024, 2048, 1024 and 1.39 at
// 4096, 8192, 16384. With torchao's count above (bf16 weights: cast every forward) dcsim's GEMMs
// and casts give 1.34 at the large shape, where the kernels decide, within 5 %. (At the small
// one, where launch floors decide, they give 0.62: not held here, and docs/compute.md says so.)
TEST(LayerOps, TorchaoFloat8LinearSpeedupsMatchTorchaosPublishedMicrobenchmark) {
  const auto speedup = [](double M, double K, double N) {
    const auto linear = [&](hardware::Precision precision) {
      double s = 0;
      for (const auto& op : {hardware::matmul_op({1, M, N, K}, precision), hardware::matmul_op({1, M, K, N}, precision),
                             hardware::matmul_op({1, N, K, M}, precision)})
        s += hardware::op_time(h100(), op).seconds;
      return s;
    };
    const auto cast = [&](double bytes) {
      return hardware::op_time(h100(), hardware::memory_op(bytes, hardware::MemoryKernel::Quantize)).seconds;
    };
    // Input and output gradient: 4 bytes each; the bf16 weight: 6, every forward.
    const double fp8 = linear(hardware::Precision::fp8) + cast(4 * M * K) + cast(6 * K * N) + cast(4 * M * N);
    return linear(hardware::Precision::bf16) / fp8;
  };
  EXPECT_NEAR(speedup(4096, 8192, 16384), 1.39, 0.05 * 1.39);
}

// K and V copied out to every query head (SDPA without grouped K/V, torchtitan's repeat_kv):
// read the group's, write every head's, forward; summed back backward. Nothing for a model
// whose K and V have as many heads as Q. The attention kernel then reads K and V per head.
TEST(LayerOps, RepeatedKvCopiesOutEveryHeadAndSumsItBack) {
  TransformerSpec m = llama3_70b_layer();
  ParallelPlan p;
  p.tp = 8;
  p.sequence_parallel = true;
  const auto repeat_bytes = [&](Pass pass) {
    double bytes = 0;
    for (const auto& o : layer_ops(m, p, false, pass))
      if (o.name == "kv repeat") bytes += o.op.bytes * o.count;
    return bytes;
  };
  EXPECT_EQ(repeat_bytes(Pass::Forward), 0.0);
  p.kv_repeat = true;
  const double T = 8192, h = 8192, kv = 1024;
  EXPECT_DOUBLE_EQ(repeat_bytes(Pass::Forward), 2 * 2 * (kv + h) / 8 * T);
  EXPECT_DOUBLE_EQ(repeat_bytes(Pass::Backward), 2 * 2 * (kv + h) / 8 * T);
  m.kv_heads = m.heads;
  EXPECT_EQ(repeat_bytes(Pass::Forward), 0.0);
}

// RoPE on Q and K, per element of both: fused 4 bytes in one kernel; rotate-half as PyTorch
// ops 20 forward and 18 backward; torchtitan's complex form, which torch.compile leaves to
// eager kernels, a cast to fp32 (6), the complex product (8) and the cast back (6) for Q and for
// K, each pass: 20 bytes in six kernels. Nothing for a model without rotary positions.
TEST(LayerOps, RopeMovesWhatItsFormMoves) {
  TransformerSpec m = llama3_70b_layer();
  m.rotary = true;
  ParallelPlan p;
  p.tp = 8;
  const auto rope = [&](Pass pass) {
    for (const auto& o : layer_ops(m, p, false, pass))
      if (o.name == "rope") return std::pair{o.op.bytes * o.count, o.count};
    return std::pair{0.0, 0.0};
  };
  const double elements = 8192.0 * (8192 + 1024) / 8;
  EXPECT_EQ(rope(Pass::Forward), std::pair(4 * elements, 1.0));
  EXPECT_EQ(rope(Pass::Backward), std::pair(4 * elements, 1.0));
  p.rope_kernel = RopeKernel::RotateHalf;
  EXPECT_EQ(rope(Pass::Forward), std::pair(20 * elements, 1.0));
  EXPECT_EQ(rope(Pass::Backward), std::pair(18 * elements, 1.0));
  p.rope_kernel = RopeKernel::Complex;
  for (const Pass pass : {Pass::Forward, Pass::Backward}) {
    EXPECT_DOUBLE_EQ(rope(pass).first, 20 * elements);
    EXPECT_EQ(rope(pass).second, 6.0);
  }
  m.rotary = false;
  EXPECT_EQ(rope(Pass::Forward).first, 0.0);
}

// Ring attention at CP 2 measured on an H100 after a heat soak (tools/gpu/cp_attention_bench.py,
// tests/data/h100_cp_attention.json): Llama 3 70B at TP4 (16 query heads, 2 KV heads), sequence
// 8,192. Each rank runs its 4,096 queries against themselves (causal) and half of the other
// rank's block (2,048 x 4,096 or 4,096 x 2,048, no mask): 0.150 + 0.109 ms forward, 0.753 +
// 0.488 ms forward and backward on rank 0 (rank 1: 0.753 + 0.503). dcsim times CP kernels of
// the rank's queries against one block with half their square's FLOPs.
TEST(LayerOps, ContextParallelAttentionTimeMatchesTheMeasuredRingSteps) {
  const TransformerSpec m = llama3_70b_layer();
  ParallelPlan p;
  p.tp = 4;
  p.cp = 2;
  auto attention_seconds = [&](Pass pass) {
    double s = 0;
    for (const auto& o : layer_ops(m, p, false, pass))
      if (o.op.kind == hardware::OpKind::Attention) s += hardware::op_time(h100(), o.op).seconds * o.count;
    return s;
  };
  const double fwd = attention_seconds(Pass::Forward), bwd = attention_seconds(Pass::Backward);
  const double measured_fwd = (0.150 + 0.109 + 0.150 + 0.115) / 2 * 1e-3;
  const double measured_fwd_bwd = (0.753 + 0.488 + 0.753 + 0.503) / 2 * 1e-3;
  std::printf("CP2 attention: model %.3f / %.3f ms, measured %.3f / %.3f\n", fwd * 1e3, (fwd + bwd) * 1e3,
              measured_fwd * 1e3, measured_fwd_bwd * 1e3);
  EXPECT_NEAR((fwd + bwd) / measured_fwd_bwd, 1.0, 0.10);
  EXPECT_NEAR(fwd / measured_fwd, 1.0, 0.15);
}

// The same layers profiled kernel by kernel in the steady state (tools/gpu/layer_profile_bench.py,
// tests/data/h100_layer_profile.json): the GEMMs and attention kernels inside a layer against the
// model's. (The benchmark's eager SwiGLU runs on strided halves of the fc1 output, which PyTorch
// executes with non-vectorized kernels: its memory-bound kernels are not comparable to fused
// training kernels, so only GEMMs and attention are checked here.)
TEST(LayerOps, GemmsAndAttentionInsideALayerMatchTheirProfiledKernelTimes) {
  struct Profiled {
    MeasuredLayer layer;
    double gemm_ms, attention_ms;
  };
  const Profiled profiled[] = {
      {{"llama3-405b_tp8_s8192", 16384, 128, 8, 53248, 8, 8192, true, 0, 0}, 26.36, 2.11},
      {{"llama3-70b_tp4_s8192", 8192, 64, 8, 28672, 4, 8192, true, 0, 0}, 14.21, 2.14},
      {{"gpt3-175b_tp4_s2048", 12288, 96, 96, 49152, 4, 2048, false, 0, 0}, 7.64, 0.29},
  };
  for (const auto& p : profiled) {
    TransformerSpec m;
    m.layers = 1;
    m.hidden = p.layer.hidden;
    m.heads = p.layer.heads;
    m.kv_heads = p.layer.kv_heads;
    m.ffn = p.layer.ffn;
    m.seq_len = p.layer.seq;
    m.vocab = 1;
    m.activation = p.layer.swiglu ? Activation::SwiGlu : Activation::Gelu;
    m.rotary = false;
    m.dropout = false;
    ParallelPlan plan;
    plan.tp = p.layer.tp;
    double gemm = 0, attention = 0;
    for (Pass pass : {Pass::Forward, Pass::Backward})
      for (const auto& o : layer_ops(m, plan, false, pass)) {
        const double ms = hardware::op_time(h100(), o.op).seconds * o.count * 1e3;
        if (o.op.kind == hardware::OpKind::Matmul) gemm += ms;
        if (o.op.kind == hardware::OpKind::Attention) attention += ms;
      }
    std::printf("%s: GEMMs model %.2f ms, profiled %.2f; attention %.2f, %.2f\n", p.layer.name, gemm, p.gemm_ms, attention,
                p.attention_ms);
    EXPECT_NEAR(gemm / p.gemm_ms, 1.0, 0.06) << p.layer.name;
    if (p.layer.seq >= 8192) {
      EXPECT_NEAR(attention / p.attention_ms, 1.0, 0.06) << p.layer.name;
    }
  }
}

namespace {
// One layer of Llama 3.1 8B as torchtitan's model.py writes it, on one GPU (TP 1): separate
// wq, wk, wv and w1, w3, complex RoPE, K and V repeated for SDPA's FlashAttention-2.
TransformerSpec llama31_8b_layer() {
  TransformerSpec m;
  m.layers = 1;
  m.hidden = 4096;
  m.heads = 32;
  m.kv_heads = 8;
  m.ffn = 14336;
  m.seq_len = 8192;
  m.vocab = 1;
  m.activation = Activation::SwiGlu;
  m.rotary = true;
  m.dropout = false;
  return m;
}
ParallelPlan torchtitan_tp1_plan() {
  ParallelPlan p;
  p.tp = 1;
  p.sequence_parallel = false;
  p.flash2 = true;
  p.rope_kernel = RopeKernel::Complex;
  p.fused_projections = false;
  p.kv_repeat = true;
  return p;
}
}  // namespace

// torchtitan's Llama 3.1 8B block as its rows run it (separate wq, wk, wv and w1, w3; complex
// RoPE in fp32; K and V repeated to every head; SDPA's FlashAttention-2; RMSNorm), local batch
// 2 x 8,192, BF16, torch.compile'd, measured on one H200 after a heat soak
// (tools/gpu/open_questions_bench.py, tests/data/h200_open_questions.json; two runs: 14.81 /
// 46.99 and 14.69 / 46.79 ms forward / forward and backward at 1,680-1,710 MHz, 675-678 W).
// Profiled forward and backward: GEMMs 27.7-27.9 ms, attention 14.7 ms, other kernels 3.2 ms.
TEST(LayerOps, ModeledTorchtitan8bBlockMatchesTheBlockMeasuredOnAnH200) {
  const TransformerSpec m = llama31_8b_layer();
  ParallelPlan p = torchtitan_tp1_plan();
  p.microbatch = 2;
  double gemm = 0, attention = 0, other = 0, fwd = 0, rope = 0;
  for (Pass pass : {Pass::Forward, Pass::Backward})
    for (const auto& o : layer_ops(m, p, false, pass)) {
      const double ms = hardware::op_time(h200(), o.op).seconds * o.count * 1e3;
      if (o.name == "rope") rope += ms;
      std::printf("  %-8s %-24s %8.3f ms\n", pass == Pass::Forward ? "forward" : "backward", o.name.c_str(), ms);
      (o.op.kind == hardware::OpKind::Matmul ? gemm : o.op.kind == hardware::OpKind::Attention ? attention : other) += ms;
      if (pass == Pass::Forward) fwd += ms;
    }
  std::printf("8B block: model %.2f / %.2f ms (GEMMs %.2f, attention %.2f, other %.2f), measured 14.75 / 46.89 (27.8, "
              "14.7, 3.2)\n",
              fwd, gemm + attention + other, gemm, attention, other);
  EXPECT_NEAR(fwd / 14.75, 1.0, 0.05);
  // The complex RoPE alone, eager (the same file): 0.558 ms forward, 1.236 forward and backward.
  std::printf("complex RoPE: model %.3f ms, measured 1.236\n", rope);
  EXPECT_NEAR(rope / 1.236, 1.0, 0.10);
  EXPECT_NEAR((gemm + attention + other) / 46.89, 1.0, 0.05);
  // Under llama3_8b.toml's per-op checkpointing, compiled: 14.64 / 51.41 ms (1,575 MHz, 687 W),
  // 4.52 ms more than without; GEMMs 31.1 ms (+3.4: wk, wo and w3 again), other kernels 3.5.
  double again = 0;
  for (const auto& o : op_policy_recompute(m, p, false)) again += hardware::op_time(h200(), o.op).seconds * o.count * 1e3;
  std::printf("8B block, per-op checkpointing: recomputed %.2f ms, measured 4.52\n", again);
  EXPECT_NEAR((gemm + attention + other + again) / 51.41, 1.0, 0.05);
}

// torchtitan's long-context rows (Llama 3.1 8B, 32,768 tokens per rank at CP 1, 2, 4 and 8):
// PyTorch's ring attention runs SDPA's FlashAttention-2 once per step on 32 heads (K and V
// repeated). Measured on one H200 after a heat soak (tools/gpu/open_questions_bench.py,
// tests/data/h200_open_questions.json, 1,965 MHz, 664-681 W): the first step (the rank's two
// chunks, causal, 32K x 32K) 25.24 / 94.53 ms forward / forward and backward, every later step
// (16K x 32K or 32K x 16K, no mask) 25.09 / 95.91 ms on average. Every CP degree runs the same
// steps, one more per rank added: the kernels grow with CP - 1 and nothing else does.
TEST(LayerOps, TorchRingAttentionStepsMatchTheStepsMeasuredOnAnH200) {
  TransformerSpec m = llama31_8b_layer();
  ParallelPlan p = torchtitan_tp1_plan();
  p.cp_torch = true;
  for (std::int64_t cp : {2, 4, 8}) {
    m.seq_len = 32768 * cp;
    p.cp = cp;
    double fwd = 0, bwd = 0;
    for (Pass pass : {Pass::Forward, Pass::Backward})
      for (const auto& o : layer_ops(m, p, false, pass))
        if (o.op.kind == hardware::OpKind::Attention)
          (pass == Pass::Forward ? fwd : bwd) += hardware::op_time(h200(), o.op).seconds * o.count * 1e3;
    const double steps = double(cp - 1);
    const double measured_fwd = 25.24 + steps * 25.09, measured_fwd_bwd = 94.53 + steps * 95.91;
    std::printf("CP %lld ring attention: model %.1f / %.1f ms, measured %.1f / %.1f\n", static_cast<long long>(cp), fwd,
                fwd + bwd, measured_fwd, measured_fwd_bwd);
    EXPECT_NEAR((fwd + bwd) / measured_fwd_bwd, 1.0, 0.05) << cp;
    EXPECT_NEAR(fwd / measured_fwd, 1.0, 0.10) << cp;
  }
}
