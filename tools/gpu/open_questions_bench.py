#!/usr/bin/env python3
"""The kernels the open validation rows hinge on (docs/validation.md, "Where the model misses"),
timed on one GPU in the power-capped steady state (after a heat soak), as h100_kernels.md's were.
One run of about a minute and a half, no network, no packages beyond PyTorch; each section runs
apart (an error is recorded and the rest go on), and `open_questions_bench.py SECTION...` runs
only those. Writes $OUT/open_questions.json; every case records nvidia-smi's clock and power
after it. Run on an H200 on 2026-11-29: tests/data/h200_open_questions.json.

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
6. torchtitan's Llama 3.1 8B block at local batch 2 x 8,192: eager, compiled, and compiled
   under llama3_8b.toml's per-op checkpointing, with its kernels summed by kind.
Sections 1-3 time short bursts (10 calls) rather than kernel_table.py's 150 ms loops, so their
clocks sit above the capped state (nvidia-smi read 1,440-1,965 MHz); steady_tables_bench.py
repeats 1 with the steady timer.
"""
import functools, json, os, subprocess, sys, time
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
    json.dump(R, open(os.path.join(OUT, 'open_questions.json' if len(sys.argv) < 2 else 'open_questions_rerun.json'), 'w'), indent=1)


R['power_limit_w'] = smi('power.limit')
soak(25)
R['after_soak'] = smi()
print('soaked', R['after_soak'], flush=True)

one = torch.tensor(1.0, device=dev)


def section(name, body):
    """Runs one section; an error is recorded and the later sections still run."""
    try:
        body()
    except Exception as e:
        R.setdefault('errors', {})[name] = repr(e)
        print(name, 'error', repr(e), flush=True)
    save()


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


def split_gemms():
    for row, T, pieces, gemms in split_cases:
        for name, N, K in gemms:
            whole = gemm_fns(T, N, K)
            piece = gemm_fns(T // pieces, N, K)
            log('split_gemm', {'row': row, 'gemm': name, 'M': T, 'N': N, 'K': K, 'pieces': pieces,
                               'bf16_whole_ms': timed(whole[0]), 'bf16_piece_ms': timed(piece[0]),
                               'fp8_whole_ms': timed(whole[2]), 'fp8_piece_ms': timed(piece[2]), 'smi': smi()})


# 2. Short contractions (data gradients of separate K and V projections), M = 16,384 tokens.
def short_k():
    for N, K in ((8192, 128), (8192, 256), (8192, 512), (8192, 1024), (4096, 1024), (4096, 2048)):
        bf16, fp8, _ = gemm_fns(16384, N, K)
        log('short_k_gemm', {'M': 16384, 'N': N, 'K': K, 'bf16_ms': timed(bf16), 'fp8_ms': timed(fp8), 'smi': smi()})


# 3. FP8 with and without fast accumulation, h100_kernels.md's (K, N) pairs at M = 8,192.
def fp8_accumulation():
    soak(3)
    for K, N in ((16384, 2304), (2048, 16384), (16384, 13312), (6656, 16384), (8192, 1280), (1024, 8192),
                 (8192, 7168), (3584, 8192), (12288, 4608), (1536, 12288), (12288, 6144), (6144, 12288),
                 (4096, 4096)):
        _, fp8, fp8_fast = gemm_fns(8192, N, K)
        log('fp8_accumulation', {'M': 8192, 'N': N, 'K': K, 'fp8_ms': timed(fp8),
                                 'fp8_fast_accum_ms': timed(fp8_fast), 'smi': smi()})


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


D = 128
angles = torch.outer(torch.arange(8192, device=dev, dtype=torch.float32),
                     1.0 / (500000.0 ** (torch.arange(0, D, 2, device=dev, dtype=torch.float32) / D)))
freqs_cis = torch.polar(torch.ones_like(angles), angles)


def rope():
    xq = torch.randn(2, 8192, 32, D, device=dev, dtype=torch.bfloat16, requires_grad=True)
    xk = torch.randn(2, 8192, 8, D, device=dev, dtype=torch.bfloat16, requires_grad=True)
    cos, sin = angles.cos(), angles.sin()
    gq, gk = torch.randn_like(xq), torch.randn_like(xk)
    elements = xq.numel() + xk.numel()
    for name, fn, extra in (('complex eager', rope_complex, (freqs_cis,)),
                            ('complex compiled', torch.compile(rope_complex), (freqs_cis,)),
                            ('real compiled', torch.compile(rope_real), (cos, sin))):
        fwd = lambda: fn(xq, xk, *extra)

        def fb():
            q, k = fn(xq, xk, *extra)
            torch.autograd.backward((q, k), (gq, gk))
        log('rope', {'form': name, 'elements': elements, 'fwd_ms': timed(fwd), 'fwd_bwd_ms': timed(fb),
                     'smi': smi()})


# 5. Ring-attention steps at torchtitan's CP shapes, FlashAttention-2 as SDPA's flash backend.
from torch.nn.attention import SDPBackend, sdpa_kernel


def ring_step(name, q_half, kv_half, causal, H=32, S=32768):
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


def ring():
    soak(3)
    ring_step('first (both chunks, causal)', False, False, True)
    ring_step('i <= rank (queries against the first key chunk)', False, True, False)
    ring_step('i > rank (second query chunk against all keys)', True, False, False)
    # One later step's merge in fp32 (torch.distributed.tensor.experimental._attention, _SDPAMerger).
    H, S = 32, 32768
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


# 6. torchtitan's Llama 3.1 8B block as its rows run it (models/llama/model.py at 9dec370): separate wq, wk,
# wv and w1, w3, complex RoPE, repeat_kv, SDPA (flash), RMSNorm; local batch 2 x 8,192 tokens, BF16. Forward
# and forward+backward eager, compiled, and compiled under llama3_8b.toml's per-op checkpointing (save every
# mm but each second one, and SDPA's outputs), with the compiled layer's kernels summed by kind.
class Block(torch.nn.Module):
    def __init__(s, h=4096, nq=32, nkv=8, f=14336):
        super().__init__()
        s.nq, s.nkv, s.d = nq, nkv, h // nq
        s.wq, s.wk, s.wv = (torch.nn.Linear(h, n * s.d, bias=False) for n in (nq, nkv, nkv))
        s.wo = torch.nn.Linear(h, h, bias=False)
        s.w1, s.w3 = torch.nn.Linear(h, f, bias=False), torch.nn.Linear(h, f, bias=False)
        s.w2 = torch.nn.Linear(f, h, bias=False)
        s.n1, s.n2 = torch.nn.RMSNorm(h, eps=1e-5), torch.nn.RMSNorm(h, eps=1e-5)

    def forward(s, x, freqs_cis):
        b, t, h = x.shape
        y = s.n1(x)
        xq, xk, xv = s.wq(y).view(b, t, s.nq, s.d), s.wk(y).view(b, t, s.nkv, s.d), s.wv(y).view(b, t, s.nkv, s.d)
        xq, xk = rope_complex(xq, xk, freqs_cis)
        rep = s.nq // s.nkv
        keys = xk[:, :, :, None, :].expand(b, t, s.nkv, rep, s.d).reshape(b, t, s.nq, s.d)
        values = xv[:, :, :, None, :].expand(b, t, s.nkv, rep, s.d).reshape(b, t, s.nq, s.d)
        o = F.scaled_dot_product_attention(xq.transpose(1, 2), keys.transpose(1, 2), values.transpose(1, 2),
                                           is_causal=True)
        x = x + s.wo(o.transpose(1, 2).reshape(b, t, h))
        z = s.n2(x)
        return x + s.w2(F.silu(s.w1(z)) * s.w3(z))


def op_sac(block):
    from torch.utils.checkpoint import checkpoint, create_selective_checkpoint_contexts, CheckpointPolicy
    save = {torch.ops.aten.mm.default, torch.ops.aten._scaled_dot_product_flash_attention.default,
            torch.ops.aten._scaled_dot_product_efficient_attention.default, torch.ops.aten.max.default}
    counts = {}

    def policy(ctx, op, *args, **kwargs):
        mode = 'recompute' if ctx.is_recompute else 'forward'
        if op == torch.ops.aten.mm.default:
            counts[mode] = counts.get(mode, 0) + 1
        keep = op in save and not (op == torch.ops.aten.mm.default and counts.get(mode, 0) % 2 == 0)
        return CheckpointPolicy.MUST_SAVE if keep else CheckpointPolicy.PREFER_RECOMPUTE

    def run(x, fc):
        counts.clear()
        # Dynamo traces context_fn only as a functools.partial (torchtitan's form), not a lambda.
        return checkpoint(block, x, fc, use_reentrant=False,
                          context_fn=functools.partial(create_selective_checkpoint_contexts, policy))
    return run


def kind(name):
    n = name.lower()
    if any(k in n for k in ('flash', 'fmha', 'attention', 'sdpa')):
        return 'attention'
    if any(k in n for k in ('gemm', 'xmma', 'cutlass', 'nvjet', 'sm90_', 'cublas')):
        return 'gemm'
    return 'other'


def kernels_by_kind(fn, iters=3):
    from torch.profiler import profile, ProfilerActivity
    fn()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(iters):
            fn()
        torch.cuda.synchronize()
    sums, counts = {}, {}
    for e in prof.key_averages():
        if e.device_type == torch.autograd.DeviceType.CUDA:
            k = kind(e.key)
            sums[k] = sums.get(k, 0.0) + e.self_device_time_total / 1000.0 / iters
            counts[k] = counts.get(k, 0) + e.count // iters
    return {'ms': sums, 'kernels': counts}


def llama31_8b_block():
    soak(5)
    block = Block().to(dev, torch.bfloat16)
    x8 = torch.randn(2, 8192, 4096, device=dev, dtype=torch.bfloat16, requires_grad=True)
    g8 = torch.randn_like(x8)
    forms = (('eager', block), ('compiled', torch.compile(block)),
             ('compiled, per-op SAC', torch.compile(op_sac(block))))
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
        for name, fn in forms:
            fwd = lambda: fn(x8, freqs_cis)

            def fb():
                fn(x8, freqs_cis).backward(g8)
            row = {'form': name, 'batch': 2, 'seq': 8192, 'fwd_ms': timed(fwd, iters=5, repeats=5),
                   'fwd_bwd_ms': timed(fb, iters=5, repeats=5), 'smi': smi()}
            try:
                row['fwd_by_kind'] = kernels_by_kind(fwd)
                row['fwd_bwd_by_kind'] = kernels_by_kind(fb)
            except Exception as e:
                row['profile_error'] = repr(e)
            log('llama31_8b_block', row)
            save()


sections = (('split_gemm', split_gemms), ('ring', ring), ('llama31_8b_block', llama31_8b_block),
            ('short_k_gemm', short_k), ('fp8_accumulation', fp8_accumulation), ('rope', rope))
chosen = sys.argv[1:] or [name for name, _ in sections]  # a later run may repeat one section
for name, body in sections:
    if name not in chosen:
        continue
    t0 = time.time()
    section(name, body)
    torch.cuda.empty_cache()
    print(name, 'took', round(time.time() - t0, 1), 's', flush=True)
print('done', flush=True)
