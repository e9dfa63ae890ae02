#include "models/workload/layer_ops.hpp"

namespace dcsim::workload {
namespace {
using hardware::MemoryKernel;
using hardware::Precision;

constexpr double kActivationBytes = 2;  // bf16 activations (fp8 only inside GEMMs)

// Bytes per element of one FP8 quantization of a GEMM operand (docs/compute.md, "FP8"):
// read bf16, write the row-wise and the transposed FP8 copies (amax fused): 4. Current
// scaling first reads the tensor once more for its amax: 6. MXFP8: two cast kernels, each
// reading bf16 and writing FP8 along one dimension (scales are 1/32 of that): 6.
double quantize_bytes(Fp8Recipe r) { return r == Fp8Recipe::Delayed ? 4.0 : 6.0; }

// HBM bytes of the MLP activation per element of the FFN width (per rank). Fused, one kernel
// reads its inputs and writes its output: GeLU 2 + 2 bytes, SwiGLU 4 + 2; backward reads the
// inputs and the output gradient and writes the input gradients (GeLU 6, SwiGLU 10). Unfused
// SwiGLU (silu(a) * b as PyTorch ops): silu reads and writes, the product reads both and
// writes (10 bytes); backward the two products, silu's gradient and the concatenation of the
// halves' gradients (26 bytes). Unfused bias + GeLU: the bias add and the GeLU each read and
// write (8 bytes); backward 12.
double activation_bytes(const TransformerSpec& m, const ParallelPlan& plan, Pass pass) {
  const bool swiglu = m.activation == Activation::SwiGlu, bwd = pass == Pass::Backward;
  // GeLU and squared ReLU alike: one input, one output per element (fused: 4 bytes, backward 6).
  if (plan.fused_activation) return swiglu ? (bwd ? 10.0 : 6.0) : (bwd ? 6.0 : 4.0);
  // From separate gate and up linears (fusion.projections: false) there are no halves to
  // concatenate: 18 bytes backward.
  if (swiglu) return bwd ? (plan.fused_projections ? 26 : 18) : 10;
  return bwd ? 12 : 8;
}

// RMSNorm written as PyTorch ops, bytes per element of a bf16 input (docs/training.md):
// forward x.float() 6, pow(2) 8, mean 4, x * rsqrt 8, type_as 6, times the weight 4: 36.
// Backward, by autograd's formulas: the weight product's two gradients (4, and 8 with the
// column sum), the cast to fp32 (6), the rsqrt product's two (8, and 16 with the row sum),
// mean's expanded division (4), pow's x.pow(1), times 2, times the gradient (8 + 8 + 12),
// the two paths' gradients added (12), the cast back to bf16 (6): 92. Eight kernels forward
// (two of them per row: the epsilon and the rsqrt), sixteen backward.
struct CompositeNorm {
  double bytes, kernels;
};
CompositeNorm composite_rmsnorm(bool backward) { return backward ? CompositeNorm{92, 16} : CompositeNorm{36, 8}; }

// RoPE on Q and K, bytes per element of Q and K and the kernels that move them. Fused: read
// and write each element (4 bytes, either pass). Rotate-half as PyTorch ops (t * cos +
// rotate_half(t) * sin): negate and concatenate the halves, two products, a sum: ~20 bytes
// forward; backward two products, the halves, the sum: ~18 bytes. Complex (torchtitan's
// apply_rotary_emb: view_as_real(view_as_complex(x.float()) * freqs_cis).type_as(x)), for Q and
// K each: the cast to fp32 (6), the complex product (8: freqs_cis is one row per position,
// shared by every head), the cast back (6); backward, by autograd's formulas, the same three
// with the conjugate frequencies. torch.compile falls back to eager kernels for complex tensors
// (Inductor's unsupported_input_tensor), so compiled or not: 20 bytes in six kernels each pass.
// Those kernels stream at an eager activation's rate, not a copy's: on an H200, Llama 3.1 8B's Q
// and K at 2 x 8,192 tokens took 0.558 ms forward and 0.678 ms backward, 0.63 and 0.52 of HBM
// bandwidth (tests/data/h200_open_questions.json; eager SiLU-and-multiply: 0.53).
struct Rope {
  double bytes, kernels;
  MemoryKernel kind = MemoryKernel::Stream;
};
Rope rope_bytes(RopeKernel k, bool backward) {
  switch (k) {
    case RopeKernel::Fused: return {4, 1};
    case RopeKernel::RotateHalf: return {backward ? 18.0 : 20.0, 1};
    case RopeKernel::Complex: return {20, 6, MemoryKernel::Activation};
  }
  return {4, 1};
}

// What a linear layer's operands are, for its FP8 casts (docs/compute.md, "FP8 quantization").
struct Operands {
  double experts = 1;
  const char* piece = "";      // one of separate projections sharing an input
  bool own_input = true;       // false for the projections after the first: their input is cast once
  bool norm_input = false;     // the input is a norm's output (Megatron's TE layers fuse the two)
  bool gathered_grad = false;  // the output gradient is gathered over TP first (row-parallel under SP)
};

struct Builder {
  const TransformerSpec& m;
  const ParallelPlan& plan;
  Pass pass;
  std::vector<LayerOp> ops;

  bool backward() const { return pass == Pass::Backward; }
  bool fp8() const { return plan.precision == Precision::fp8; }
  // Sequence parallelism over TP: the rank holds T / tp tokens between the TP regions, so the
  // column-parallel inputs and the row-parallel output gradients are all-gathered first.
  bool sp_gathers() const { return plan.sequence_parallel && plan.tp > 1; }

  void memory(const char* name, double bytes, MemoryKernel kind, double count = 1) {
    if (bytes > 0) ops.push_back({name, hardware::memory_op(bytes, kind), count});
  }
  // Transformer Engine's FP8 behind Megatron's TE layers, whose norm is fused with the QKV and
  // fc1 linears (TELayerNormColumnParallelLinear).
  bool te_fp8() const {
    return fp8() && !plan.fp8_torchao && !plan.tp_dtensor && plan.norm_kernel == NormKernel::Fused;
  }
  // A linear layer: forward one GEMM; backward the data and weight gradients (two GEMMs of the
  // same FLOPs), after the FP8 casts its operands need.
  void linear(const char* name, double tokens, double out, double in, Operands x = {}) {
    const Precision p = plan.precision;
    const double experts = x.experts;
    const char* piece = x.piece;
    if (fp8()) casts(tokens, out, in, x);
    if (!backward()) {
      ops.push_back({name, hardware::matmul_op({experts, tokens, out, in}, p), 1, piece});
      return;
    }
    // Data gradient dX[T, in] = dY[T, out] W[out, in]; weight gradient dW[out, in] = dY^T X.
    ops.push_back({std::string(name) + " dgrad", hardware::matmul_op({experts, tokens, in, out}, p), 1, piece});
    ops.push_back({std::string(name) + " wgrad", hardware::matmul_op({experts, out, in, tokens}, p), 1, piece});
  }
  // FP8 casts a linear's input forward and its output gradient backward, each with a transposed
  // copy for the GEMM that wants it (docs/compute.md, "FP8 quantization"): 4 bytes per element
  // under delayed scaling, 6 where the amax is read first. Transformer Engine and torchao cast
  // fewer and other bytes, below.
  void casts(double tokens, double out, double in, const Operands& x) {
    if (x.experts == 1 && plan.fp8_torchao) return torchao_casts(tokens, out, in, x);
    if (x.experts == 1 && te_fp8()) {
      if (plan.fp8_recipe == Fp8Recipe::Mx) return te_mxfp8_casts(tokens, out, in, x);
      return te_casts(tokens, out, in, x);
    }
    const double bytes = quantize_bytes(plan.fp8_recipe) * x.experts;
    if (!backward() && x.own_input) memory("quantize input", bytes * tokens * in, MemoryKernel::Quantize);
    if (backward()) memory("quantize grad", bytes * tokens * out, MemoryKernel::Quantize);
  }
  // Transformer Engine's per-tensor scaling (TE 1.13 and 2.1-2.2: layernorm_linear.py, linear.py,
  // base.py grad_output_preprocess, csrc normalization.cpp). A cast writes the FP8 copy and its
  // transpose (delayed 4 bytes; current 6, its amax read first) unless the tensor is gathered
  // over TP next: then the rank's T / tp tokens are cast row-wise (3, or 5) and the gathered
  // whole transposed for the weight gradient (fp8_transpose, 2). Delayed scaling's fused norm
  // writes its output in FP8 itself (no cast: only the transpose, backward); current scaling
  // runs the norm unfused (normalization.cpp) and casts after it.
  void te_casts(double tokens, double out, double in, const Operands& x) {
    const bool current = plan.fp8_recipe == Fp8Recipe::Current;
    const double whole = current ? 6 : 4, rowwise = current ? 5 : 3, t = double(plan.tp);
    const bool sp = sp_gathers();
    if (!backward()) {
      if (!x.own_input || (x.norm_input && !current)) return;
      const bool gathered = x.norm_input && sp;
      memory("quantize input", (gathered ? rowwise * tokens / t : whole * tokens) * in, MemoryKernel::Quantize);
      return;
    }
    if (x.gathered_grad) {
      memory("quantize grad", rowwise * tokens / t * out, MemoryKernel::Quantize);
      memory("transpose grad", 2 * tokens * out, MemoryKernel::Quantize);
    } else {
      memory("quantize grad", whole * tokens * out, MemoryKernel::Quantize);
    }
    // The transposed copy of a norm's output: delayed scaling's fused norm wrote it row-wise
    // only; under current scaling only the gathered one lacks it.
    if (x.norm_input && x.own_input && (!current || sp)) memory("transpose input", 2 * tokens * in, MemoryKernel::Quantize);
  }
  // Transformer Engine's MXFP8 (TE 2.2: layernorm_linear.py, distributed.py _all_gather_mxfp8,
  // csrc normalization.cpp). Its row-wise and column-wise copies scale 32-element blocks along
  // either dimension, so each is a cast of its own (3 bytes: read bf16, write a byte; scales are
  // 1/32 of that) and neither is a transpose of the other. The norm writes both itself when no
  // gather follows; under SP it writes bf16, and the rank's T / tp tokens are cast row-wise
  // before the forward's MXFP8 all-gather and column-wise before the backward's. A gathered
  // output gradient is cast both ways on T / tp tokens and both copies gathered.
  void te_mxfp8_casts(double tokens, double out, double in, const Operands& x) {
    const double t = double(plan.tp);
    const bool sp = sp_gathers();
    const bool norm_cast = x.own_input && x.norm_input && sp;  // else the norm wrote MXFP8 itself
    if (!backward()) {
      if (norm_cast) memory("quantize input", 3 * tokens / t * in, MemoryKernel::Quantize);
      if (x.own_input && !x.norm_input) memory("quantize input", 6 * tokens * in, MemoryKernel::Quantize);
      return;
    }
    if (norm_cast) memory("quantize input", 3 * tokens / t * in, MemoryKernel::Quantize);  // column-wise
    memory("quantize grad", 6 * (x.gathered_grad ? tokens / t : tokens) * out, MemoryKernel::Quantize);
  }
  // torchao's tensorwise float8 (torchao eab345c), compiled, as torchtitan ran it: a cast writes
  // the FP8 copy and the transposed copy `torch._scaled_mm` wants for the other GEMM
  // (float8_ops.py preprocess_addmm) in one kernel, its amax folded into the kernel before it
  // (4 bytes); under TP with SP the rank's T / tp tokens are cast row-wise before their FP8
  // all-gather (PrepareFloat8ModuleInput for a norm's output, Float8RowwiseParallel for a
  // row-parallel output's gradient: 3 bytes) and the gathered whole transposed (2). A weight
  // has no kernel before it: amax, then the cast with its transpose (6), every forward, unless
  // FSDP gathers it in FP8 (`fp8_params`), row-major, when the backward copies it transposed
  // for the data gradient (2). torchao's published compiled Float8Linear speed-ups on an H100
  // check this count (docs/compute.md).
  void torchao_casts(double tokens, double out, double in, const Operands& x) {
    const double t = double(plan.tp);
    const bool gathered_input = x.norm_input && sp_gathers();
    if (!backward()) {
      if (x.own_input) memory("quantize input", (gathered_input ? 3 * tokens / t : 4 * tokens) * in, MemoryKernel::Quantize);
      if (!plan.fp8_params) memory("quantize weight", 6 * out * in, MemoryKernel::Quantize);
      return;
    }
    if (x.own_input && gathered_input) memory("transpose input", 2 * tokens * in, MemoryKernel::Quantize);
    if (x.gathered_grad) {
      memory("quantize grad", 3 * tokens / t * out, MemoryKernel::Quantize);
      memory("transpose grad", 2 * tokens * out, MemoryKernel::Quantize);
    } else {
      memory("quantize grad", 4 * tokens * out, MemoryKernel::Quantize);
    }
    if (plan.fp8_params) memory("transpose weight", 2 * out * in, MemoryKernel::Quantize);
  }
  // Linears that share an input: one GEMM of their outputs together (Megatron's linear_qkv and
  // linear_fc1), or with separate projections one each (torchtitan's wq, wk, wv and w1, w3;
  // Hugging Face's q_proj, k_proj, v_proj and gate_proj, up_proj). Separate, each linear's
  // data gradient is a whole [T, in] tensor, and the backward sums them: one kernel reading
  // each 16-bit gradient and writing the sum, as torch.compile fuses the adds (eager autograd
  // adds them pairwise in place, 4 bytes per element more for three).
  // They follow a norm (`norm_input`).
  void projections(const char* name, double tokens, const std::vector<std::pair<const char*, double>>& pieces, double in) {
    if (plan.fused_projections || pieces.size() < 2) {
      double out = 0;
      for (const auto& piece : pieces) out += piece.second;
      linear(name, tokens, out, in, {.norm_input = true});
      return;
    }
    for (std::size_t i = 0; i < pieces.size(); ++i)
      linear(name, tokens, pieces[i].second, in, {.piece = pieces[i].first, .own_input = i == 0, .norm_input = true});
    if (backward()) memory("input gradient sum", 2 * double(pieces.size() + 1) * tokens * in, MemoryKernel::Stream);
  }
  void norm(const char* name, double elements) {
    if (plan.norm_kernel == NormKernel::Composite) {
      const CompositeNorm c = composite_rmsnorm(backward());
      memory(name, c.bytes * elements / c.kernels, MemoryKernel::Stream, c.kernels);
      return;
    }
    // Forward reads the input and writes the output; backward reads the output gradient and
    // the input, writes the input gradient.
    const bool fused = plan.norm_kernel == NormKernel::Fused;
    const MemoryKernel kind = fused ? (backward() ? MemoryKernel::NormBackward : MemoryKernel::Norm)
                                    : (backward() ? MemoryKernel::NormEagerBackward : MemoryKernel::NormEager);
    memory(name, (backward() ? 6.0 : 4.0) * elements, kind);
  }
  // The residual add after a sub-layer, with its dropout. Forward: read the branch output and
  // the residual, write the sum (6 bytes), and a 1-byte mask with dropout. Backward: the two
  // paths' gradients summed (6 bytes), and dropout's backward reading gradient and mask (5).
  void residual(const char* name, double elements) {
    if (!backward()) {
      memory(name, (m.dropout ? 7.0 : 6.0) * elements, MemoryKernel::Stream);
    } else {
      memory(name, (m.dropout ? 11.0 : 6.0) * elements, MemoryKernel::Stream);
    }
  }
};

// PyTorch's ring attention (torch.distributed.tensor.experimental._attention, December 2024),
// in bytes per layer for n query elements of the rank (K and V as many: SDPA's flash kernel
// takes them repeated to every query head) and c ring steps, on the rank with the most work
// per step (docs/training.md, "Ring attention in PyTorch"). Forward: K and V made contiguous
// and concatenated for each exchange (8 n a step); the first step's output cast to fp32 and
// the result cast back (12 n); each later step's cast and fp32 merge out - sigmoid(dlse) *
// (out - block), three element-wise ops (38 n). Backward: fp32 zeros for dQ, dK, dV (12 n); K
// and V contiguous and concatenated (8 n a step); the first step's dK, dV, dQ accumulated (30
// n); each later step's half-block dK, dV added and the halves concatenated (26 n) and dQ
// accumulated (10 n); dK and dV concatenated in fp32 for every exchange (16 n a step); the
// results cast back (18 n).
double torch_ring_bytes(double n, double c, bool backward) {
  if (!backward) return 8 * n * c + 12 * n + 38 * n * (c - 1);
  return 12 * n + 8 * n * c + 30 * n + 36 * n * (c - 1) + 16 * n * c + 18 * n;
}

void attention_core(Builder& b, double T) {
  const auto& m = b.m;
  const double t = double(b.plan.tp);
  const double heads = double(m.heads) / t, d = double(m.head_dim());
  const double cp = double(b.plan.cp);
  const double s_q = double(m.seq_len) / cp, s_kv = double(m.seq_len);
  const double batch = double(b.plan.microbatch) * heads;
  if (b.plan.flash_attention) {
    // Context parallelism runs ring attention (Transformer Engine): CP steps, each one flash
    // kernel of the rank's queries against one rank's block of keys and values, half of each
    // below the causal diagonal with the load-balanced split.
    const hardware::AttentionShape shape{batch, s_q, s_kv / cp, d, true};
    const double kv_share = b.plan.kv_repeat ? 1.0 : double(m.kv_heads) / double(m.heads);
    hardware::ComputeOp op = hardware::attention_op(shape, kv_share, b.backward());
    op.flash2 = b.plan.flash2;
    b.ops.push_back({"attention", op, cp});
    if (b.plan.cp_torch && cp > 1) b.memory("ring merge", torch_ring_bytes(batch * s_q * d, cp, b.backward()), MemoryKernel::Stream);
    return;
  }
  // Unfused: QK^T and PV write and read the full score matrix; between them the fused
  // scale-mask-softmax kernel reads and writes each score (4 bytes) and dropout reads it and
  // writes it with a 1-byte mask (5 bytes). Backward: each GEMM's two gradients; dropout's
  // gradient reads the gradient and the mask and writes (5 bytes), softmax's reads the
  // gradient and the probabilities and writes (6 bytes).
  const double n = b.backward() ? 2.0 : 1.0;
  b.ops.push_back({"attention scores", hardware::matmul_op({batch, s_q, s_kv, d}, Precision::bf16), n});
  b.ops.push_back({"attention values", hardware::matmul_op({batch, s_q, d, s_kv}, Precision::bf16), n});
  b.memory("softmax, dropout", (b.backward() ? 11.0 : 9.0) * batch * s_q * s_kv, MemoryKernel::Stream);
  (void)T;
}

void mlp(Builder& b, double T, bool moe) {
  const auto& m = b.m;
  const double t = double(b.plan.tp), h = double(m.hidden);
  const double gated = m.mlp_matrices() - 1;  // fc1 outputs: 2 for SwiGLU (gate and up), 1 otherwise
  const bool gathered = b.sp_gathers();  // the row-parallel output gradient
  if (!moe) {
    const double f = double(m.ffn) / t;
    const std::vector<std::pair<const char*, double>> fc1 =
        gated > 1 ? std::vector<std::pair<const char*, double>>{{"gate", f}, {"up", f}}
                  : std::vector<std::pair<const char*, double>>{{"", f}};
    if (b.backward()) {
      b.linear("fc2", T, h, f, {.gathered_grad = gathered});
      b.memory("activation", activation_bytes(m, b.plan, b.pass) * T * f, MemoryKernel::Activation);
      b.projections("fc1", T, fc1, h);
    } else {
      b.projections("fc1", T, fc1, h);
      b.memory("activation", activation_bytes(m, b.plan, b.pass) * T * f, MemoryKernel::Activation);
      b.linear("fc2", T, h, f, {.gathered_grad = gathered});
    }
    return;
  }
  // Mixture of experts: a router, each token's hidden state permuted to its top_k experts
  // and back (read and write: 4 bytes per element each way), the local experts as one
  // batch of GEMMs.
  const double local = double(m.experts) / double(b.plan.ep);
  const double per_expert = T * double(m.top_k) * double(b.plan.ep) / double(m.experts);
  const double f = double(m.expert_ffn) / t;
  const double routed = T * double(m.top_k) * h;
  b.ops.push_back({"router", hardware::matmul_op({1, T, double(m.experts), h}, Precision::bf16), b.backward() ? 2.0 : 1.0});
  b.memory("permute", 4 * routed, MemoryKernel::Stream);
  b.linear("expert fc1", per_expert, gated * f, h, {.experts = local});
  b.memory("activation", activation_bytes(m, b.plan, b.pass) * per_expert * local * f, MemoryKernel::Activation);
  b.linear("expert fc2", per_expert, h, f, {.experts = local});
  b.memory("unpermute", 4 * routed, MemoryKernel::Stream);
}

}  // namespace

double tokens_per_rank(const TransformerSpec& m, const ParallelPlan& plan) {
  return double(plan.microbatch) * double(m.seq_len) / double(plan.cp);
}

std::vector<LayerOp> layer_ops(const TransformerSpec& m, const ParallelPlan& plan, bool moe, Pass pass,
                               LayerPart part) {
  Builder b{m, plan, pass, {}};
  const double T = tokens_per_rank(m, plan);
  if (part == LayerPart::AttentionCore) {
    attention_core(b, T);
    return std::move(b.ops);
  }
  const double t = double(plan.tp), h = double(m.hidden), kv = double(m.kv_dim());
  const double Ts = T / (plan.sequence_parallel ? t : 1.0);  // norms and residuals: split by SP
  const bool gathered = b.sp_gathers();  // the row-parallel output gradients
  const Rope rope = !m.rotary ? Rope{0, 1} : rope_bytes(plan.rope_kernel, b.backward());
  const double rope_elements = T * (h + kv) / t;
  // K and V repeated to every query head for an attention kernel without grouped K/V
  // (fusion.gqa: false, SDPA as torchtitan called it): each copied out (read the group's,
  // write every head's), and backward summed back over the copies (the same bytes).
  const double repeat = plan.kv_repeat && kv < h ? 2 * 2 * (kv + h) * T / t : 0.0;
  const std::vector<std::pair<const char*, double>> qkv = {{"q", h / t}, {"k", kv / t}, {"v", kv / t}};
  if (!b.backward()) {
    b.norm("norm", Ts * h);
    b.projections("qkv", T, qkv, h);
    b.memory("rope", rope.bytes * rope_elements / rope.kernels, rope.kind, rope.kernels);
    b.memory("kv repeat", repeat, MemoryKernel::Stream);
    attention_core(b, T);
    b.linear("proj", T, h, h / t, {.gathered_grad = gathered});
    b.residual("residual", Ts * h);
    b.norm("norm", Ts * h);
    mlp(b, T, moe);
    b.residual("residual", Ts * h);
  } else {
    b.residual("residual", Ts * h);
    mlp(b, T, moe);
    b.norm("norm", Ts * h);
    b.residual("residual", Ts * h);
    b.linear("proj", T, h, h / t, {.gathered_grad = gathered});
    attention_core(b, T);
    b.memory("kv repeat", repeat, MemoryKernel::Stream);
    b.memory("rope", rope.bytes * rope_elements / rope.kernels, rope.kind, rope.kernels);
    b.projections("qkv", T, qkv, h);
    b.norm("norm", Ts * h);
  }
  (void)kActivationBytes;
  return std::move(b.ops);
}

}  // namespace dcsim::workload
