#!/usr/bin/env python3
"""The kernels the open validation rows hinge on (docs/validation.md, "Where the model misses"),
timed on one GPU in the power-capped steady state (after a heat soak), as h100_kernels.md's were.
Written for the next session a device is lent to: one run of about six minutes, no network, no
packages beyond PyTorch. Writes $OUT/open_questions.json; every case records nvidia-smi's clock
and power after it.

1. GEMMs split as TP overlap splits them. Transformer Engine's ring exchange runs one GEMM per
   TP rank's chunk of the tokens, its pipelined reduce-scatter four, and PyTorch's async TP one
   per rank: pieces with M = T / t. dcsim times the whole GEMM (its fit starts at M = 1,024).
   Shapes: GPT-3 175B at TP4 on 2,048-token sequences (dgxc's GPT-3 rows, +23/+27 %), Llama 3.1
   405B at TP8 CP2 and 70B at TP4 CP2 (dgxc's BF16 rows), whole and in pieces, BF16 and FP8.
2. GEMMs with a short contraction: torchtitan's wk and wv data gradients (K = K/V width / TP:
   128 at TP8, 1,024 at TP1), below the measured K >= 1,024 [A].
3. FP8 GEMMs with and without fast accumulation: Transformer Engine and torchao run the
   forward GEMM with it and the backward ones without; h100_kernels.md measured without.
4. torchtitan's RoPE (complex multiplication in fp32), eager and torch.compile'd, against a
   real-arithmetic form compiled (what a fused kernel costs): checks `fusion.rope: complex`.
5. PyTorch's ring-attention steps at torchtitan's CP shapes (Llama 3.1 8B, 32 heads, K and V
   repeated, 32,768 tokens per rank), FlashAttention-2 backend as SDPA ran it in 2024: the
   causal first step, the rank's queries against one key chunk, one query chunk against the
   rank's keys, and the fp32 merge of one step. Every CP 2, 4 and 8 step is one of these.
"""
import json, os, subprocess, time
import torch
import torch.nn.functional as F

OUT = os.environ.get('OUT', '/tmp')
dev = 'cuda'
R = {'device': torch.cuda.get_device_name(0), 'torch': torch.__version__, 'cuda': torch.version.cuda}


def smi(fields='clocks.sm,power.draw,temperature.gpu'):
    try:
        return subprocess.run(['nvidia-smi', f'--query-gpu={fields}', '--format=csv,noheader,nounits'],
                              capture_output=True, text=True, timeout=5).stdout.strip()
    except Exception as e:
        return str(e)


def timed(fn, iters=10, repeats=5):
    """Median over repeats of the mean of iters back-to-back calls, in ms."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(repeats):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        for _ in range(iters):
            fn()
        e.record()
        torch.cuda.synchronize()
        out.append(s.elapsed_time(e) / iters)
    out.sort()
    return out[len(out) // 2]


def soak(seconds):
    n = 8192
    a = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    t0 = time.time()
    while time.time() - t0 < seconds:
        for _ in range(20):
            a @ b
        torch.cuda.synchronize()


def log(section, row):
    R.setdefault(section, []).append(row)
    print(section, json.dumps(row), flush=True)


def save():
    json.dump(R, open(os.path.join(OUT, 'open_questions.json'), 'w'), indent=1)


R['power_limit_w'] = smi('power.limit')
soak(25)
R['after_soak'] = smi()
print('soaked', R['after_soak'], flush=True)

one = torch.tensor(1.0, device=dev)


def gemm_fns(M, N, K):
    a = torch.randn(M, K, device=dev, dtype=torch.bfloat16)
    b = torch.randn(N, K, device=dev, dtype=torch.bfloat16)
    a8, b8 = a.to(torch.float8_e4m3fn), b.to(torch.float8_e4m3fn)
    bf16 = lambda: a @ b.t()
    fp8 = lambda: torch._scaled_mm(a8, b8.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
    fp8_fast = lambda: torch._scaled_mm(a8, b8.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16,
                                        use_fast_accum=True)
    return bf16, fp8, fp8_fast


# 1. Split GEMMs: (row, tokens T, TP pieces, [(gemm, N, K)]).
split_cases = [
    ('gpt3-175b_tp4_s2048', 2048, 4, [('qkv', 9216, 12288), ('proj', 12288, 3072), ('fc1', 12288, 12288),
                                      ('fc2', 12288, 12288)]),
    ('llama3-405b_tp8_cp2', 4096, 8, [('qkv', 2304, 16384), ('proj', 16384, 2048), ('fc1', 13312, 16384),
                                      ('fc2', 16384, 6656)]),
    ('llama3-70b_tp4_cp2', 4096, 4, [('qkv', 2560, 8192), ('proj', 8192, 2048), ('fc1', 14336, 8192),
                                     ('fc2', 8192, 7168)]),
]
for row, T, pieces, gemms in split_cases:
    for name, N, K in gemms:
        whole = gemm_fns(T, N, K)
        piece = gemm_fns(T // pieces, N, K)
        log('split_gemm', {'row': row, 'gemm': name, 'M': T, 'N': N, 'K': K, 'pieces': pieces,
                           'bf16_whole_ms': timed(whole[0]), 'bf16_piece_ms': timed(piece[0]),
                           'fp8_whole_ms': timed(whole[2]), 'fp8_piece_ms': timed(piece[2]), 'smi': smi()})
save()

# 2. Short contractions (data gradients of separate K and V projections), M = 16,384 tokens.
for N, K in ((8192, 128), (8192, 256), (8192, 512), (8192, 1024), (4096, 1024), (4096, 2048)):
    bf16, fp8, _ = gemm_fns(16384, N, K)
    log('short_k_gemm', {'M': 16384, 'N': N, 'K': K, 'bf16_ms': timed(bf16), 'fp8_ms': timed(fp8), 'smi': smi()})
save()

# 3. FP8 with and without fast accumulation, h100_kernels.md's (K, N) pairs at M = 8,192.
soak(3)
for K, N in ((16384, 2304), (2048, 16384), (16384, 13312), (6656, 16384), (8192, 1280), (1024, 8192), (8192, 7168),
             (3584, 8192), (12288, 4608), (1536, 12288), (12288, 6144), (6144, 12288), (4096, 4096)):
    _, fp8, fp8_fast = gemm_fns(8192, N, K)
    log('fp8_accumulation', {'M': 8192, 'N': N, 'K': K, 'fp8_ms': timed(fp8), 'fp8_fast_accum_ms': timed(fp8_fast),
                             'smi': smi()})
save()


# 4. RoPE as torchtitan writes it (models/llama/model.py apply_rotary_emb) on Llama 3.1 8B's Q and K
# at local batch 2 x 8,192, eager and compiled; and a real-arithmetic form, compiled.
def rope_complex(xq, xk, freqs_cis):
    xq_ = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    xk_ = torch.view_as_complex(xk.float().reshape(*xk.shape[:-1], -1, 2))
    f = freqs_cis.view(1, xq_.shape[1], 1, xq_.shape[-1])
    xq_out = torch.view_as_real(xq_ * f).flatten(3)
    xk_out = torch.view_as_real(xk_ * f).flatten(3)
    return xq_out.type_as(xq), xk_out.type_as(xk)


def rope_real(xq, xk, cos, sin):
    def rot(x):
        x = x.float().reshape(*x.shape[:-1], -1, 2)
        c, s = cos.view(1, x.shape[1], 1, -1), sin.view(1, x.shape[1], 1, -1)
        out = torch.stack((x[..., 0] * c - x[..., 1] * s, x[..., 0] * s + x[..., 1] * c), dim=-1)
        return out.flatten(3).type_as(xq)
    return rot(xq), rot(xk)


B, S, D = 2, 8192, 128
xq = torch.randn(B, S, 32, D, device=dev, dtype=torch.bfloat16, requires_grad=True)
xk = torch.randn(B, S, 8, D, device=dev, dtype=torch.bfloat16, requires_grad=True)
angles = torch.outer(torch.arange(S, device=dev, dtype=torch.float32),
                     1.0 / (500000.0 ** (torch.arange(0, D, 2, device=dev, dtype=torch.float32) / D)))
freqs_cis = torch.polar(torch.ones_like(angles), angles)
cos, sin = angles.cos(), angles.sin()
gq, gk = torch.randn_like(xq), torch.randn_like(xk)
elements = xq.numel() + xk.numel()
for name, fn, extra in (('complex eager', rope_complex, (freqs_cis,)),
                        ('complex compiled', torch.compile(rope_complex, fullgraph=True), (freqs_cis,)),
                        ('real compiled', torch.compile(rope_real, fullgraph=True), (cos, sin))):
    fwd = lambda: fn(xq, xk, *extra)

    def fb():
        q, k = fn(xq, xk, *extra)
        torch.autograd.backward((q, k), (gq, gk))
    log('rope', {'form': name, 'elements': elements, 'fwd_ms': timed(fwd), 'fwd_bwd_ms': timed(fb), 'smi': smi()})
save()

# 5. Ring-attention steps at torchtitan's CP shapes, FlashAttention-2 as SDPA's flash backend.
from torch.nn.attention import SDPBackend, sdpa_kernel

H, S = 32, 32768
soak(3)


def step(name, q_half, kv_half, causal):
    # [B, S, H, D] transposed to [B, H, S, D], as torchtitan's attention hands them to SDPA;
    # K and V made contiguous, as the ring loop does; chunks are views along the sequence.
    q = torch.randn(1, S, H, D, device=dev, dtype=torch.bfloat16).transpose(1, 2).detach().requires_grad_()
    k = torch.randn(1, H, S, D, device=dev, dtype=torch.bfloat16, requires_grad=True)
    v = torch.randn(1, H, S, D, device=dev, dtype=torch.bfloat16, requires_grad=True)
    qq = q.chunk(2, dim=2)[1] if q_half else q
    kk, vv = (k.chunk(2, dim=2)[0], v.chunk(2, dim=2)[0]) if kv_half else (k, v)
    go = torch.randn(qq.shape, device=dev, dtype=torch.bfloat16)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
        fwd = lambda: F.scaled_dot_product_attention(qq, kk, vv, is_causal=causal)

        def fb():
            F.scaled_dot_product_attention(qq, kk, vv, is_causal=causal).backward(go)
        log('ring_step', {'step': name, 'q_len': qq.shape[2], 'kv_len': kk.shape[2], 'heads': H, 'causal': causal,
                          'fwd_ms': timed(fwd, iters=3), 'fwd_bwd_ms': timed(fb, iters=3), 'smi': smi()})


step('first (both chunks, causal)', False, False, True)
step('i <= rank (queries against the first key chunk)', False, True, False)
step('i > rank (second query chunk against all keys)', True, False, False)

# One later step's merge in fp32 (torch.distributed.tensor.experimental._attention, _SDPAMerger).
out = torch.randn(1, H, S, D, device=dev, dtype=torch.float32)
lse = torch.randn(1, H, S, 1, device=dev, dtype=torch.float32)
block_out = torch.randn(1, H, S, D, device=dev, dtype=torch.bfloat16)
block_lse = torch.randn(1, H, S, 1, device=dev, dtype=torch.float32)


def merge():
    b = block_out.to(torch.float32)
    o = out - torch.sigmoid(block_lse - lse) * (out - b)
    l = lse - F.logsigmoid(lse - block_lse)
    return o, l
log('ring_merge', {'elements': out.numel(), 'ms': timed(merge), 'smi': smi()})
save()
print('done', flush=True)
