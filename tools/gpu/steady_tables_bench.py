#!/usr/bin/env python3
"""Two calibration tables dcsim's compute model lacked, measured as ../shared/reference/measured/
kernel_table.py measured h100_kernels.md's (same timer: each kernel repeated for at least 150 ms
after a heat soak of 8192^3 BF16 GEMMs, so the clock sits where the power cap holds it; nvidia-smi
clock and power read beside every row), plus the GEMMs that TP overlap splits, timed whole and
as their pieces back to back. Writes $OUT/steady_tables.json.

1. GEMMs with few rows (M = 128, 256, 512, and 1,024 as the anchor to kernel_table.py's table) on
   kernel_table.py's 13 (K, N) pairs, BF16 and FP8 (torch._scaled_mm, e4m3, per-tensor scale).
   Transformer Engine's ring exchange and pipelined reduce-scatter run one GEMM per chunk of
   tokens, M = T / TP or T / splits: 256 to 1,024 rows in the NeMo recipes.
2. Those recipes' GEMMs whole (M = T) and as `pieces` GEMMs of M = T / pieces launched back to back.
3. FlashAttention-2 (PyTorch SDPA's flash backend) at head dim 128, 32 query heads with K and V
   repeated to 32 (torchtitan's repeat_kv), causal, 16,384 tokens per call (batch x sequence) from
   sequence 1,024 to 16,384, and 32,768 alone; and the non-causal 16K x 32K ring-attention step.
   dcsim's flash2 curve rests on FlashAttention-2's published short-run benchmark x 0.93.
4. (not run yet) The pieces of 2 on three streams round-robin, as Transformer Engine launches
   them, and the whole GEMMs under cuBLAS SM carveouts of 8, 16 and 24 (set_sm_margin).
5. (not run yet) The weight-gradient GEMMs of 2 accumulating into an fp32 main_grad, as
   Megatron's gradient_accumulation_fusion runs them, against a 16-bit output.
Sections 1-3 ran on an H200 on 2026-11-29 (tests/data/h200_steady_tables.json); the device was
not lent again that session, so `steady_tables_bench.py split_gemm split_streams sm_margin
wgrad_accumulate` is the next run.
"""
import json, os, subprocess, sys, time, traceback
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

OUT = os.environ.get('OUT', '/tmp')
dev = 'cuda'
R = {'device': torch.cuda.get_device_name(0), 'torch': torch.__version__, 'cuda': torch.version.cuda,
     'small_m_gemm': [], 'split_gemm': [], 'flash2': []}


def smi():
    try:
        return subprocess.run(['nvidia-smi', '--query-gpu=clocks.sm,power.draw', '--format=csv,noheader,nounits'],
                              capture_output=True, text=True, timeout=5).stdout.strip()
    except Exception as e:
        return str(e)


def timed(fn, min_s=0.15):
    """Seconds per call: one call to size the loop, then calls back to back for at least min_s."""
    fn()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    fn()
    e.record()
    torch.cuda.synchronize()
    n = max(3, int(min_s / max(s.elapsed_time(e) / 1e3, 1e-6)))
    s.record()
    for _ in range(n):
        fn()
    e.record()
    torch.cuda.synchronize()
    return s.elapsed_time(e) / n / 1e3


def soak(seconds):
    a = torch.randn(8192, 8192, device=dev, dtype=torch.bfloat16)
    t0 = time.time()
    while time.time() - t0 < seconds:
        for _ in range(20):
            a @ a
        torch.cuda.synchronize()


def save():
    json.dump(R, open(os.path.join(OUT, 'steady_tables.json' if len(sys.argv) < 2 else 'steady_tables_rerun.json'), 'w'),
              indent=1)


def run(name, body):
    try:
        body()
    except Exception:
        R[name + '_error'] = traceback.format_exc()[-800:]
        print(name, 'FAILED', R[name + '_error'], flush=True)
    save()


one = torch.tensor(1.0, device=dev)


def gemm_pair(M, N, K):
    a = torch.randn(M, K, device=dev, dtype=torch.bfloat16)
    b = torch.randn(N, K, device=dev, dtype=torch.bfloat16)
    a8, b8 = a.to(torch.float8_e4m3fn), b.to(torch.float8_e4m3fn)
    return (lambda: a @ b.t(),
            lambda: torch._scaled_mm(a8, b8.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16))


def small_m():
    pairs = ((16384, 2304), (2048, 16384), (16384, 13312), (6656, 16384), (8192, 1280), (1024, 8192), (8192, 7168),
             (3584, 8192), (12288, 4608), (1536, 12288), (12288, 6144), (6144, 12288), (4096, 4096))
    for M in (128, 256, 512, 1024):
        soak(2)
        for K, N in pairs:
            bf16, fp8 = gemm_pair(M, N, K)
            tb, t8 = timed(bf16), timed(fp8)
            f = 2 * M * N * K
            R['small_m_gemm'].append({'M': M, 'K': K, 'N': N, 'bf16_us': tb * 1e6, 'bf16_tflops': f / tb / 1e12,
                                      'fp8_us': t8 * 1e6, 'fp8_tflops': f / t8 / 1e12, 'smi': smi()})
        print('small_m', M, R['small_m_gemm'][-1], flush=True)


SPLIT_CASES = [('gpt3-175b_tp4_s2048', 2048, 4, [('qkv', 9216, 12288), ('proj', 12288, 3072), ('fc1', 12288, 12288),
                                               ('fc2', 12288, 12288)]),
             ('llama3-405b_tp8_cp2', 4096, 8, [('qkv', 2304, 16384), ('proj', 16384, 2048),
                                               ('fc1', 13312, 16384), ('fc2', 16384, 6656)]),
             ('llama3-70b_tp4_cp2', 4096, 4, [('qkv', 2560, 8192), ('proj', 8192, 2048), ('fc1', 14336, 8192),
                                              ('fc2', 8192, 7168)])]


def one_stream(piece, pieces):
    for _ in range(pieces):
        piece()


STREAMS = []


def three_streams(piece, pieces):
    """Round-robin on three compute streams, as Transformer Engine's comm_gemm_overlap launches
    its pieces (_stream_compute): one piece's last wave can run beside the next one's first."""
    if not STREAMS:
        STREAMS.extend(torch.cuda.Stream() for _ in range(3))
    main = torch.cuda.current_stream()
    for s in STREAMS:
        s.wait_stream(main)
    for j in range(pieces):
        with torch.cuda.stream(STREAMS[j % len(STREAMS)]):
            piece()
    for s in STREAMS:
        main.wait_stream(s)


def time_pieces(section, key, launch):
    """Each SPLIT_CASES GEMM whole, then as its pieces launched by `launch`, BF16 and FP8."""
    soak(2)
    for row, T, pieces, gemms in SPLIT_CASES:
        for name, N, K in gemms:
            whole = gemm_pair(T, N, K)
            part = gemm_pair(T // pieces, N, K)
            r = {'row': row, 'gemm': name, 'M': T, 'N': N, 'K': K, 'pieces': pieces}
            for i, dtype in enumerate(('bf16', 'fp8')):
                r[dtype + '_whole_us'] = timed(whole[i]) * 1e6
                r[dtype + key] = timed(lambda: launch(part[i], pieces)) * 1e6
            r['smi'] = smi()
            R.setdefault(section, []).append(r)
            print(section, r, flush=True)


def split():
    time_pieces('split_gemm', '_pieces_us', one_stream)


def split_streams():
    """No communication waits between the pieces: the least the split can cost."""
    time_pieces('split_gemm_streams', '_pieces_3_streams_us', three_streams)


def sm_margin():
    """GEMMs on the SMs a communication kernel leaves (Transformer Engine's set_sm_margin), through
    PyTorch's cuBLAS SM carveout where this PyTorch has one: dcsim charges c / (SMs - c) more."""
    carve = getattr(torch._C, '_set_sm_carveout_experimental', None)
    if carve is None:
        raise RuntimeError('no torch._C._set_sm_carveout_experimental in this PyTorch')

    def set_carveout(n):
        try:
            carve(n if n else None)
        except TypeError:
            carve(n)
    soak(2)
    for row, T, pieces, gemms in SPLIT_CASES:
        for name, N, K in gemms:
            fns = gemm_pair(T, N, K)
            r = {'row': row, 'gemm': name, 'M': T, 'N': N, 'K': K}
            for sms in (0, 8, 16, 24):
                set_carveout(sms)
                for i, dtype in enumerate(('bf16', 'fp8')):
                    r[f'{dtype}_carveout_{sms}_us'] = timed(fns[i]) * 1e6
            set_carveout(0)
            r['smi'] = smi()
            R.setdefault('sm_margin', []).append(r)
            print('sm_margin', r, flush=True)


def wgrad_accumulate():
    """Weight-gradient GEMMs dW[out, in] = dY^T X over the T tokens, as Megatron runs them with
    gradient_accumulation_fusion: into the fp32 main_grad (beta = 1: the epilogue reads and writes
    4 bytes an element), against a 16-bit output, which dcsim's curves were fitted to. FP8 with
    an fp32 output (no accumulate) stands for Transformer Engine's FP8 wgrad epilogue."""
    soak(2)
    for row, T, _, gemms in SPLIT_CASES:
        for name, out, inp in gemms:
            dy = torch.randn(T, out, device=dev, dtype=torch.bfloat16)
            x = torch.randn(T, inp, device=dev, dtype=torch.bfloat16)
            main_grad = torch.zeros(out, inp, device=dev, dtype=torch.float32)
            r = {'row': row, 'gemm': name + ' wgrad', 'M': out, 'N': inp, 'K': T}
            r['bf16_out_bf16_us'] = timed(lambda: dy.t() @ x) * 1e6
            try:
                r['bf16_accumulate_fp32_us'] = timed(
                    lambda: torch.addmm(main_grad, dy.t(), x, out_dtype=torch.float32)) * 1e6
            except Exception as e:  # an older PyTorch: a GEMM into fp32, then the add
                r['addmm_out_dtype_error'] = repr(e)[:200]
                try:
                    r['bf16_out_fp32_us'] = timed(lambda: torch.mm(dy.t(), x, out_dtype=torch.float32)) * 1e6
                except Exception as e2:
                    r['mm_out_dtype_error'] = repr(e2)[:200]
            g16 = dy.t() @ x
            r['unfused_add_us'] = timed(lambda: main_grad.add_(g16)) * 1e6  # main_grad += grad, unfused
            a8 = dy.t().contiguous().to(torch.float8_e4m3fn)         # [out, T] row-major
            b8 = x.to(torch.float8_e4m3fn).t().contiguous().t()      # [T, in] column-major
            for dtype, key in ((torch.bfloat16, 'fp8_out_bf16_us'), (torch.float32, 'fp8_out_fp32_us')):
                r[key] = timed(lambda: torch._scaled_mm(a8, b8, scale_a=one, scale_b=one, out_dtype=dtype)) * 1e6
            r['smi'] = smi()
            R.setdefault('wgrad_accumulate', []).append(r)
            print('wgrad_accumulate', r, flush=True)


def flash2():
    soak(2)
    H, D = 32, 128
    cases = [(16, 1024, 1024, True), (8, 2048, 2048, True), (4, 4096, 4096, True), (2, 8192, 8192, True),
             (1, 16384, 16384, True), (1, 32768, 32768, True), (1, 16384, 32768, False), (2, 8192, 8192, False)]
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION]):
        for B, sq, skv, causal in cases:
            q = torch.randn(B, sq, H, D, device=dev, dtype=torch.bfloat16).transpose(1, 2).detach().requires_grad_()
            k = torch.randn(B, skv, H, D, device=dev, dtype=torch.bfloat16).transpose(1, 2).detach().requires_grad_()
            v = torch.randn(B, skv, H, D, device=dev, dtype=torch.bfloat16).transpose(1, 2).detach().requires_grad_()
            go = torch.randn(B, H, sq, D, device=dev, dtype=torch.bfloat16)
            fwd = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal)
            tf = timed(fwd)
            tfb = timed(lambda: fwd().backward(go))
            flops = 4 * B * H * sq * skv * D * (0.5 if causal else 1.0)
            R['flash2'].append({'batch': B, 'q_len': sq, 'kv_len': skv, 'heads': H, 'head_dim': D, 'causal': causal,
                                'fwd_us': tf * 1e6, 'fwd_bwd_us': tfb * 1e6, 'fwd_tflops': flops / tf / 1e12,
                                'bwd_tflops': 2.5 * flops / (tfb - tf) / 1e12, 'smi': smi()})
            print('flash2', R['flash2'][-1], flush=True)


R['power_limit_w'] = subprocess.run(['nvidia-smi', '--query-gpu=power.limit', '--format=csv,noheader,nounits'],
                                    capture_output=True, text=True).stdout.strip()
soak(8)
R['after_soak'] = smi()
chosen = sys.argv[1:] or ['small_m_gemm', 'split_gemm', 'flash2']  # a later run may add split_streams
for name, body in (('small_m_gemm', small_m), ('split_gemm', split), ('split_streams', split_streams),
                   ('sm_margin', sm_margin), ('wgrad_accumulate', wgrad_accumulate), ('flash2', flash2)):
    if name not in chosen:
        continue
    t0 = time.time()
    run(name, body)
    print(name, 'took', round(time.time() - t0, 1), 's', flush=True)
print('done', flush=True)
