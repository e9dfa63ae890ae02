#!/usr/bin/env python3
"""MPT-7B as llm-foundry's benchmark row L30 trains it (8 H100, FSDP, microbatch 6, sequence
2,048, amp_bf16, flash attention with ALiBi, no activation checkpointing), measured piece by
piece on one GPU in the power-capped steady state (after a 25 s GEMM heat soak):
  - one transformer block, forward and forward+backward, with three attention kernels:
    SDPA's flash kernel without ALiBi, flash-attn 2 with ALiBi slopes (when installed) and
    SDPA with an additive ALiBi + causal bias (the memory-efficient kernel);
    parameters in BF16 as FSDP's mixed precision hands them to the block, gradients set to
    None before each pass (as FSDP frees them after its reduce-scatter);
  - each of the block's GEMMs alone (forward, data gradient, weight gradient);
  - the attention kernels alone;
  - the embedding, final norm, tied LM head and cross-entropy (FP32 under autocast);
  - one DecoupledLionW step on one GPU's shard (the 6.65 B parameters over 8 GPUs, in the
    194 tensors use_orig_params gives the optimizer).
Writes $OUT/mpt7b_layer.json; prints each figure as it goes."""
import json, os, subprocess, time
import torch
import torch.nn.functional as F
from torch.profiler import profile, ProfilerActivity

OUT = os.environ.get('OUT', '/tmp')
dev = 'cuda'
B, S, H, NH, FF, V = 6, 2048, 4096, 32, 16384, 50368
D = H // NH
R = {'device': torch.cuda.get_device_name(0), 'torch': torch.__version__, 'shape': dict(B=B, S=S, H=H, NH=NH, FF=FF, V=V)}


def smi():
    try:
        return subprocess.run(['nvidia-smi', '--query-gpu=clocks.sm,power.draw,temperature.gpu,clocks_throttle_reasons.active',
                               '--format=csv,noheader,nounits'], capture_output=True, text=True, timeout=5).stdout.strip()
    except Exception as e:
        return str(e)


def soak(seconds):
    n = 8192
    a = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=dev, dtype=torch.bfloat16)
    t0 = time.time()
    while time.time() - t0 < seconds:
        for _ in range(20):
            a @ b
        torch.cuda.synchronize()


def timed(fn, reps=10, warm=3):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(reps):
        fn()
    e.record()
    torch.cuda.synchronize()
    return s.elapsed_time(e) / reps


def kind(name):
    n = name.lower()
    if any(k in n for k in ('flash', 'fmha', 'attention', 'sdpa', 'attn')):
        return 'attention'
    if any(k in n for k in ('gemm', 'xmma', 'cutlass', 'nvjet', 'sm90_', 'cublas')):
        return 'gemm'
    return 'other'


def profiled(fn, reps=5):
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(reps):
            fn()
        torch.cuda.synchronize()
    totals = {'gemm': 0.0, 'attention': 0.0, 'other': 0.0}
    kernels = []
    for ev in prof.key_averages():
        t = getattr(ev, 'device_time_total', None)
        if t is None:
            t = getattr(ev, 'cuda_time_total', 0)
        if t <= 0 or ev.key.startswith('ProfilerStep'):
            continue
        if getattr(ev, 'device_type', None) is not None and 'CUDA' not in str(ev.device_type):
            continue
        totals[kind(ev.key)] += t / reps / 1e3
        kernels.append((ev.key[:90], round(t / reps / 1e3, 4), ev.count // reps))
    kernels.sort(key=lambda k: -k[1])
    return totals, kernels[:20]


def alibi_slopes():  # MPT: 2^(-8 i / n_heads), i = 1..n_heads
    return torch.tensor([2 ** (-8 * (i + 1) / NH) for i in range(NH)], device=dev, dtype=torch.float32)


def attention_variants():
    out = {'sdpa_flash_no_alibi': lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)}
    pos = torch.arange(S, device=dev)
    rel = (pos[None, :] - pos[:, None]).float()  # key - query (<= 0 where visible)
    bias = alibi_slopes()[:, None, None] * rel[None]
    bias = bias.masked_fill(rel[None] > 0, float('-inf')).to(torch.bfloat16)[None]  # [1, NH, S, S]
    out['sdpa_alibi_bias'] = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    try:
        from flash_attn import flash_attn_func
        slopes = alibi_slopes()
        out['flash_attn2_alibi'] = lambda q, k, v: flash_attn_func(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), causal=True, alibi_slopes=slopes).transpose(1, 2)
        R['flash_attn'] = __import__('flash_attn').__version__
    except Exception as ex:
        R['flash_attn'] = 'not available: ' + repr(ex)[:200]
    return out


class Block(torch.nn.Module):
    def __init__(s, attn):
        super().__init__()
        s.ln1 = torch.nn.LayerNorm(H, bias=False)
        s.wqkv = torch.nn.Linear(H, 3 * H, bias=False)
        s.out = torch.nn.Linear(H, H, bias=False)
        s.ln2 = torch.nn.LayerNorm(H, bias=False)
        s.up = torch.nn.Linear(H, FF, bias=False)
        s.down = torch.nn.Linear(FF, H, bias=False)
        s.attn = attn

    def forward(s, x):  # [B, S, H]
        q, k, v = s.wqkv(s.ln1(x)).chunk(3, dim=-1)
        q, k, v = (t.reshape(B, S, NH, D).transpose(1, 2) for t in (q, k, v))
        a = s.attn(q, k, v)
        x = x + s.out(a.transpose(1, 2).reshape(B, S, H))
        return x + s.down(F.gelu(s.up(s.ln2(x))))


def block(name, attn):
    m = Block(attn).to(dev, torch.bfloat16)
    x = torch.randn(B, S, H, device=dev, dtype=torch.bfloat16, requires_grad=True)
    g = torch.randn(B, S, H, device=dev, dtype=torch.bfloat16)

    def fwd():
        with torch.autocast('cuda', torch.bfloat16):
            return m(x)

    def fb():
        m.zero_grad(set_to_none=True)
        x.grad = None
        fwd().backward(g)

    r = {'fwd_ms': timed(lambda: fwd()), 'fwd_bwd_ms': timed(fb)}
    r['kernel_ms_by_kind'], r['top_kernels'] = profiled(fb)
    r['smi_after'] = smi()
    R['block_' + name] = r
    print('block', name, json.dumps(r)[:700], flush=True)
    return m


def gemms_alone(m):
    T = B * S
    r = {}
    for lin_name in ('wqkv', 'out', 'up', 'down'):
        W = getattr(m, lin_name).weight.detach()
        X = torch.randn(T, W.shape[1], device=dev, dtype=torch.bfloat16)
        dY = torch.randn(T, W.shape[0], device=dev, dtype=torch.bfloat16)
        r[lin_name] = {'fwd_ms': timed(lambda: X @ W.t()), 'dgrad_ms': timed(lambda: dY @ W),
                       'wgrad_ms': timed(lambda: dY.t() @ X)}
    r['smi_after'] = smi()
    R['gemms_alone'] = r
    print('gemms', json.dumps(r), flush=True)


def attention_alone(variants):
    r = {}
    for name, attn in variants.items():
        q, k, v = (torch.randn(B, NH, S, D, device=dev, dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
        go = torch.randn(B, NH, S, D, device=dev, dtype=torch.bfloat16)

        def fb():
            q.grad = k.grad = v.grad = None
            attn(q, k, v).backward(go)
        try:
            r[name] = {'fwd_ms': timed(lambda: attn(q, k, v)), 'fwd_bwd_ms': timed(fb)}
        except Exception as ex:
            r[name] = {'error': repr(ex)[:300]}
    R['attention_alone'] = r
    print('attention', json.dumps(r), flush=True)


def head():
    emb = torch.nn.Embedding(V, H).to(dev, torch.bfloat16)
    lnf = torch.nn.LayerNorm(H, bias=False).to(dev, torch.bfloat16)
    ids = torch.randint(0, V, (B, S), device=dev)
    labels = torch.randint(0, V, (B * S,), device=dev)
    x_last = torch.randn(B, S, H, device=dev, dtype=torch.bfloat16, requires_grad=True)

    def fb():
        emb.zero_grad(set_to_none=True)
        lnf.zero_grad(set_to_none=True)
        x_last.grad = None
        with torch.autocast('cuda', torch.bfloat16):
            e = emb(ids)
            logits = F.linear(lnf(x_last + 0 * e), emb.weight)  # tied head; the embedding joins the graph
            loss = F.cross_entropy(logits.view(-1, V), labels)
        loss.backward()
    r = {'fwd_bwd_ms': timed(fb)}
    r['kernel_ms_by_kind'], r['top_kernels'] = profiled(fb)
    R['embedding_head_loss'] = r
    print('head', json.dumps(r)[:700], flush=True)


def lion_step():
    n_params = 6_649_020_416 // 8
    sizes = [n_params // 194] * 193
    sizes.append(n_params - sum(sizes))
    ps = [torch.randn(n, device=dev) for n in sizes]
    gs = [torch.randn(n, device=dev) for n in sizes]
    ms = [torch.zeros(n, device=dev) for n in sizes]
    lr, wd, b1, b2 = 1e-4, 0.0, 0.9, 0.99

    @torch.no_grad()
    def step():  # Composer's DecoupledLionW, one tensor at a time
        for p, g, m in zip(ps, gs, ms):
            p.mul_(1 - wd * lr)
            update = m.lerp(g, 1 - b1).sign_()
            p.add_(update, alpha=-lr)
            m.lerp_(g, 1 - b2)
    R['lion_step_shard'] = {'params': n_params, 'tensors': len(sizes), 'ms': timed(step, reps=5, warm=2)}
    print('lion', json.dumps(R['lion_step_shard']), flush=True)


soak(25)
R['after_soak'] = smi()
print('soaked', R['after_soak'], flush=True)
variants = attention_variants()
first = None
for name, attn in variants.items():
    try:
        m = block(name, attn)
        first = first or m
    except Exception as ex:
        R['block_' + name] = {'error': repr(ex)[:500]}
        print('block', name, 'FAILED', ex, flush=True)
    soak(3)
for step in (lambda: gemms_alone(first), lambda: attention_alone(variants), head, lion_step):
    try:
        step()
    except Exception as ex:
        print('FAILED', ex, flush=True)
        R.setdefault('errors', []).append(repr(ex)[:300])
    json.dump(R, open(os.path.join(OUT, 'mpt7b_layer.json'), 'w'), indent=1)
R['end'] = smi()
json.dump(R, open(os.path.join(OUT, 'mpt7b_layer.json'), 'w'), indent=1)
print('done', flush=True)
