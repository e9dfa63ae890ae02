#!/usr/bin/env python3
"""One tensor-parallel rank's transformer layer (layer_bench_defs.py) profiled kernel by kernel on
one GPU in the power-capped steady state: after a 25 s GEMM heat soak, 10 forward+backward passes
under torch.profiler, kernel times summed by kind (GEMM, attention, everything else), and each
layer's GEMMs timed again in isolation right after, so the GEMMs inside a layer can be compared
with the same GEMMs alone. Writes $OUT/layer_profile.json."""
import json, os, subprocess, time, importlib.util
import torch
from torch.profiler import profile, ProfilerActivity

OUT = os.environ.get('OUT', '/tmp')
dev = 'cuda'
spec = importlib.util.spec_from_file_location('defs', os.path.join(os.path.dirname(__file__), 'layer_bench_defs.py'))
defs = importlib.util.module_from_spec(spec); spec.loader.exec_module(defs)
R = {'device': torch.cuda.get_device_name(0), 'torch': torch.__version__, 'layers': {}}

def smi():
    try:
        return subprocess.run(['nvidia-smi', '--query-gpu=clocks.sm,power.draw,temperature.gpu',
                               '--format=csv,noheader,nounits'], capture_output=True, text=True, timeout=5).stdout.strip()
    except Exception as e:
        return str(e)

def soak(seconds):
    n = 8192
    a = torch.randn(n, n, device=dev, dtype=torch.bfloat16); b = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    t0 = time.time()
    while time.time() - t0 < seconds:
        for _ in range(20): a @ b
        torch.cuda.synchronize()

def kind(name):
    n = name.lower()
    if any(k in n for k in ('flash', 'fmha', 'attention', 'sdpa')): return 'attention'
    if any(k in n for k in ('gemm', 'xmma', 'cutlass', 'nvjet', 'sm90_', 'cublas')): return 'gemm'
    return 'other'

def profile_layer(name, h, nq, nkv, f, tp, swiglu, seq):
    m = defs.Layer(h, nq, nkv, f, tp, swiglu).to(dev, torch.bfloat16)
    x = torch.randn(seq // tp, h, device=dev, dtype=torch.bfloat16, requires_grad=True)
    g = torch.randn(seq // tp, h, device=dev, dtype=torch.bfloat16)
    def fb():
        m(x).backward(g)
    for _ in range(5): fb()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(10): fb()
    e.record(); torch.cuda.synchronize()
    wall = s.elapsed_time(e) / 10
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(10): fb()
        torch.cuda.synchronize()
    totals = {'gemm': 0.0, 'attention': 0.0, 'other': 0.0}
    kernels = []
    for ev in prof.key_averages():
        t = getattr(ev, 'device_time_total', None)
        if t is None: t = getattr(ev, 'cuda_time_total', 0)
        if t <= 0 or ev.key.startswith('ProfilerStep'): continue
        if getattr(ev, 'device_type', None) is not None and 'CUDA' not in str(ev.device_type): continue
        totals[kind(ev.key)] += t / 10 / 1e3  # ms per fwd+bwd
        kernels.append((ev.key[:90], round(t / 10 / 1e3, 4), ev.count // 10))
    kernels.sort(key=lambda k: -k[1])
    # The same layer's GEMMs alone: forward X W^T, data gradient dY W, weight gradient dY^T X.
    T = seq
    alone = 0.0
    for lin in (m.qkv, m.o, m.fc1, m.fc2):
        W = lin.weight.detach()
        X = torch.randn(T, lin.in_features, device=dev, dtype=torch.bfloat16)
        dY = torch.randn(T, lin.out_features, device=dev, dtype=torch.bfloat16)
        for fn in (lambda: X @ W.t(), lambda: dY @ W, lambda: dY.t() @ X):
            for _ in range(3): fn()
            torch.cuda.synchronize()
            s.record()
            for _ in range(10): fn()
            e.record(); torch.cuda.synchronize()
            alone += s.elapsed_time(e) / 10
    R['layers'][name] = {'wall_fwd_bwd_ms': wall, 'kernel_ms_by_kind': totals, 'gemms_alone_ms': alone,
                         'top_kernels': kernels[:25], 'smi_after': smi()}
    print(name, json.dumps(R['layers'][name])[:900], flush=True)
    del m, x, g
    torch.cuda.empty_cache()

soak(25)
R['after_soak'] = smi()
print('soaked', R['after_soak'], flush=True)
for name, c in {'llama3-405b_tp8_s8192': (16384, 128, 8, 53248, 8, True, 8192),
                'llama3-70b_tp4_s8192': (8192, 64, 8, 28672, 4, True, 8192),
                'gpt3-175b_tp4_s2048': (12288, 96, 96, 49152, 4, False, 2048)}.items():
    try:
        profile_layer(name, *c)
    except Exception as ex:
        R['layers'][name] = {'error': repr(ex)[:500]}
        print(name, 'FAILED', ex, flush=True)
    soak(5)
json.dump(R, open(os.path.join(OUT, 'layer_profile.json'), 'w'), indent=1)
print('done', flush=True)
