#!/usr/bin/env python3
"""ring_loop_bench.py's logic checked on a CPU, before a lent GPU's minutes go to it: its loop at
toy sizes (2 heads of 8, chunks of 4 tokens), with a stand-in for SDPA's flash op that does the
math (attention with its log-sum-exp forward; backward from the global output and log-sum-exp,
as FlashAttention's does). For CP 2, 4 and 8 and every rank, the ring's merged output and its
query gradients must equal causal attention over the whole sequence at that rank's positions;
then the script's own measuring loop runs through with CUDA's calls stubbed. Any PyTorch from
1.13 on (python3-torch in Debian 12). Run on 2026-11-29: every rank matched."""
import math
import os
import sys
import types

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


class MathFlash:
    """aten's flash forward and backward, by the formulas, on any device."""

    @staticmethod
    def _scores(q, k, causal):
        s = q.float() @ k.float().transpose(-1, -2) / math.sqrt(q.shape[-1])
        if causal:
            assert q.shape[2] == k.shape[2]
            s = s.masked_fill(torch.ones_like(s, dtype=torch.bool).triu(1), float('-inf'))
        return s

    @staticmethod
    def _scaled_dot_product_flash_attention(q, k, v, dropout, causal, debug):
        assert k.shape == v.shape and q.shape[-1] == k.shape[-1]
        s = MathFlash._scores(q, k, causal)
        out = (torch.softmax(s, -1) @ v.float()).to(q.dtype)
        return out, torch.logsumexp(s, -1), None, None, q.shape[2], k.shape[2], torch.tensor(0), torch.tensor(0), None

    @staticmethod
    def _scaled_dot_product_flash_attention_backward(go, q, k, v, o, lse, cq, ck, mq, mk, dropout, causal, seed, off):
        assert go.shape == q.shape == o.shape and tuple(lse.shape) == tuple(q.shape[:3])
        assert k.shape == v.shape and (mq, mk) == (q.shape[2], k.shape[2])
        scale = 1 / math.sqrt(q.shape[-1])
        p = torch.exp(MathFlash._scores(q, k, causal) - lse.float().unsqueeze(-1))  # this block's share
        ds = p * (go.float() @ v.float().transpose(-1, -2) - (go.float() * o.float()).sum(-1, keepdim=True))
        return ((ds @ k.float() * scale).to(q.dtype), (ds.transpose(-1, -2) @ q.float() * scale).to(k.dtype),
                (p.transpose(-1, -2) @ go.float()).to(v.dtype))


def load_bench():
    """ring_loop_bench.py's definitions at toy sizes on the CPU, and its measuring part apart."""
    src = open(os.path.join(HERE, 'ring_loop_bench.py')).read()
    for old, new in (("dev = 'cuda'", "dev = 'cpu'"), ("H, D, CHUNK = 32, 128, 16384", "H, D, CHUNK = 2, 8, 4"),
                     ("aten = torch.ops.aten", "aten = MATH_FLASH"), ("37 * 2**30", "1000"),
                     ("32768 * 128256 * 4", "1000")):
        assert old in src, old
        src = src.replace(old, new)
    split = src.index('\nsoak(20)')
    common = types.ModuleType('gpu_common')
    common.smi = lambda *a, **k: 'cpu'
    common.soak = lambda *a, **k: None
    common.median_ms = lambda fn, repeats=3: (fn(), 1.0)[1]
    sys.modules['gpu_common'] = common
    for name, fn in (('get_device_name', lambda *a: 'cpu'), ('synchronize', lambda *a: None),
                     ('memory_stats', lambda *a: {}), ('memory_reserved', lambda *a: 0),
                     ('set_per_process_memory_fraction', lambda *a: None), ('empty_cache', lambda *a: None),
                     ('get_device_properties', lambda *a: types.SimpleNamespace(total_memory=141 * 2**30))):
        setattr(torch.cuda, name, fn)
    g = {'MATH_FLASH': MathFlash, '__name__': 'ring_loop_bench'}
    exec(compile(src[:split], 'ring_loop_bench.py', 'exec'), g)
    return g, src[split:]


def check_against_causal_attention(g):
    Ring, H, D, CHUNK = g['Ring'], g['H'], g['D'], g['CHUNK']
    torch.manual_seed(0)
    for cp in (2, 4, 8):
        S = 2 * cp * CHUNK
        Q, K, V, GO = (torch.randn(1, H, S, D, dtype=torch.bfloat16) for _ in range(4))
        full = MathFlash._scaled_dot_product_flash_attention(Q, K, V, 0.0, True, False)[0].float()
        Qr, Kr, Vr = (t.float().requires_grad_() for t in (Q, K, V))
        (torch.softmax(MathFlash._scores(Qr, Kr, True), -1) @ Vr).backward(GO.float())

        def mine(t, r):  # load-balanced: rank r holds chunks r and 2 CP - 1 - r
            c = t.chunk(2 * cp, dim=2)
            return torch.cat([c[r], c[2 * cp - 1 - r]], dim=2).contiguous()
        for rank in range(cp):
            ring = Ring(cp)
            ring.q, ring.k, ring.v, ring.grad_out = mine(Q, rank), mine(K, rank), mine(V, rank), mine(GO, rank)
            ring.peers = torch.stack([torch.cat([mine(K, r).flatten(), mine(V, r).flatten()]) for r in range(cp)])
            out, lse = ring.forward(rank)
            assert (out.float() - mine(full, rank)).abs().max() < 0.05, ('output', cp, rank)
            dq = ring.backward(rank, out, lse)[0].float()
            want = mine(Qr.grad, rank)
            assert (dq - want).abs().max() < 0.05 * max(1.0, want.abs().max().item()), ('dq', cp, rank)
        print(f'CP {cp}: output and query gradients match causal attention on all {cp} ranks', flush=True)


if __name__ == '__main__':
    os.environ['OUT'] = os.environ.get('OUT', '/tmp')
    g, measuring = load_bench()
    check_against_causal_attention(g)
    exec(compile(measuring, 'ring_loop_bench.py', 'exec'), g)
    assert len(g['R']['rows']) == 12 and not g['R'].get('errors'), g['R'].get('errors')
    print('the measuring loop ran through: 12 rows, no errors')
