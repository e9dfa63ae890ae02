#!/usr/bin/env python3
"""Flash-attention kernels as context-parallel ring attention runs them, on one GPU in the
power-capped steady state (after a heat soak), for dcsim's CP attention model
(docs/compute.md, "Context-parallel attention"), and one GPT-3 175B TP4 layer.

Transformer Engine's load-balanced ring attention at CP 2 splits a sequence of s tokens into
chunks c0..c3; rank 0 holds c0, c3. Step 0: its 2 chunks against themselves, causal (s/2 x s/2);
step 1: c3 against the other rank's c1, c2, full (s/4 x s/2); rank 1's step 1 is c1, c2 against
c0 (s/2 x s/4). Writes $OUT/cp_attention.json: per case forward and forward+backward ms, medians
of 5 repeats of 10 iterations, with nvidia-smi clock and power after each case."""
import json, os, subprocess, time
import torch
import torch.nn.functional as F

OUT = os.environ.get('OUT', '/tmp')
dev = 'cuda'
R = {'device': torch.cuda.get_device_name(0), 'torch': torch.__version__, 'cases': []}

def smi():
    try:
        return subprocess.run(['nvidia-smi', '--query-gpu=clocks.sm,power.draw,temperature.gpu',
                               '--format=csv,noheader,nounits'], capture_output=True, text=True, timeout=5).stdout.strip()
    except Exception as e:
        return str(e)

def timed(fn, iters=10, repeats=5):
    for _ in range(3): fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(repeats):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        for _ in range(iters): fn()
        e.record(); torch.cuda.synchronize()
        out.append(s.elapsed_time(e) / iters)
    out.sort()
    return out[len(out) // 2]

# Heat soak: 25 s of 8192^3 BF16 GEMMs, so the clock settles under the power cap.
N = 8192
a = torch.randn(N, N, device=dev, dtype=torch.bfloat16); b = torch.randn(N, N, device=dev, dtype=torch.bfloat16)
t0 = time.time()
while time.time() - t0 < 25:
    for _ in range(20): a @ b
    torch.cuda.synchronize()
R['after_soak'] = smi()
print('soaked', R['after_soak'], flush=True)
del a, b

def attention_case(name, heads, kv_heads, q_len, kv_len, causal, d=128):
    q = torch.randn(1, heads, q_len, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
    k = torch.randn(1, kv_heads, kv_len, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
    v = torch.randn(1, kv_heads, kv_len, d, device=dev, dtype=torch.bfloat16, requires_grad=True)
    go = torch.randn(1, heads, q_len, d, device=dev, dtype=torch.bfloat16)
    gqa = kv_heads != heads
    fwd = lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=gqa)
    def fb():
        fwd().backward(go)
    row = {'name': name, 'heads': heads, 'kv_heads': kv_heads, 'q_len': q_len, 'kv_len': kv_len, 'causal': causal,
           'head_dim': d, 'fwd_ms': timed(fwd), 'fwd_bwd_ms': timed(fb), 'smi': smi()}
    R['cases'].append(row)
    print(json.dumps(row), flush=True)

for model, heads, kv in (('llama3-70b_tp4', 16, 2), ('llama3-405b_tp8', 16, 1)):
    s = 8192
    attention_case(f'{model} full causal s{s}', heads, kv, s, s, True)
    attention_case(f'{model} cp2 step0 causal', heads, kv, s // 2, s // 2, True)
    attention_case(f'{model} cp2 rank0 step1', heads, kv, s // 4, s // 2, False)
    attention_case(f'{model} cp2 rank1 step1', heads, kv, s // 2, s // 4, False)
attention_case('gpt3-175b_tp4 causal s2048', 24, 24, 2048, 2048, True)

# GPT-3 175B, one TP4 rank's layer at sequence 2048 (layer_bench.py's layer).
import importlib.util
spec = importlib.util.spec_from_file_location('defs', os.path.join(os.path.dirname(__file__), 'layer_bench_defs.py'))
defs = importlib.util.module_from_spec(spec); spec.loader.exec_module(defs)
h, nq, f, tp, seq = 12288, 96, 49152, 4, 2048
m = defs.Layer(h, nq, nq, f, tp, False).to(dev, torch.bfloat16)
x = torch.randn(seq // tp, h, device=dev, dtype=torch.bfloat16, requires_grad=True)
g = torch.randn(seq // tp, h, device=dev, dtype=torch.bfloat16)
def fb():
    m(x).backward(g)
R['gpt3-175b_tp4_s2048'] = {'layer_fwd_ms': timed(lambda: m(x)), 'layer_fwd_bwd_ms': timed(fb), 'smi': smi()}
print('gpt3 layer', R['gpt3-175b_tp4_s2048'], flush=True)
json.dump(R, open(os.path.join(OUT, 'cp_attention.json'), 'w'), indent=1)
print('done', flush=True)
