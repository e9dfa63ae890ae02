#!/usr/bin/env python3
"""One rank of PyTorch's 2024 ring attention, its whole loop, on one GPU: what torchtitan's CP rows
ran (docs/validation.md: CP 2 within 1 %, CP 4 and 8 +34 and +41 % fast, with the kernels measured
right). Each ring step's kernels were timed alone (open_questions_bench.py `ring`); this times the
loop around them as torch.distributed.tensor.experimental._attention (torch 1963fc8, 2024-12-23)
runs it on a rank: the load-balanced steps, the fp32 merges, the concatenations for every exchange,
the fp32 accumulators of the backward and the caching allocator's traffic, for CP 2, 4 and 8 at the
rows' shapes (Llama 3.1 8B: 32 heads after repeat_kv, head dim 128, 32,768 tokens per rank in two
16,384-token chunks, BF16, FlashAttention-2 through SDPA's flash op).

The loop is written here from the algorithm, not imported: it needs no process group. What other
ranks would send is emulated: the forward's all-gather output (ALL_GATHER, the default rotation) is
a fresh buffer of CP x the rank's K and V, filled by one copy from a resident buffer (the bytes the
peers' NVLink writes put into this rank's HBM); the backward's dK/dV rotation (ALL_TO_ALL) is a
fresh buffer filled the same way each step. No communication runs, so what this measures is the
rank's own work: if CP 4 and 8 cost per step what CP 2 does, the rows' loss lies in the ring's
communication and waits across GPUs; if not, it is on the rank.

Two memory states, each for ranks 0 and CP - 1 (rank 0's later steps are all partial: one query
chunk against all keys; rank CP - 1's are all queries against one key chunk):
- `free`: nothing else on the GPU;
- `pressed`: the process held to the 96 GB part's capacity (torch.cuda.set_per_process_memory_fraction)
  with 37 GiB resident (torchtitan's shards, saved block inputs and the rest of the step) and the
  cache left holding the eager loss's blocks (12 bytes per logit of 32,768 x 128,256 at its peak,
  docs/training.md: 47 GiB), as the rows reserved 84 GiB.
The caching allocator runs with expandable segments, as torchtitan's run_llama_train.sh (9dec370)
set PYTORCH_CUDA_ALLOC_CONF; a run may override it from the environment.
Reports per CP and rank: forward and backward (ms, median of 3), the same loop's SDPA calls alone,
the emulated peer writes alone (to subtract: on the real rank they arrive beside the compute), and
the allocator's retries (torch.cuda.memory_stats 'num_alloc_retries').
Writes $OUT/ring_loop.json. About a minute on an H200.
"""
import json, os

os.environ.setdefault('PYTORCH_CUDA_ALLOC_CONF', 'expandable_segments:True')
import torch

from gpu_common import median_ms as ms, smi, soak

OUT = os.environ.get('OUT', '/tmp')
dev = 'cuda'
H, D, CHUNK = 32, 128, 16384  # heads after repeat_kv, head dim, tokens per chunk (two per rank)
aten = torch.ops.aten
R = {'device': torch.cuda.get_device_name(0), 'torch': torch.__version__, 'cuda': torch.version.cuda,
     'alloc_conf': os.environ['PYTORCH_CUDA_ALLOC_CONF'], 'rows': []}


def half(t, i):
    """Chunk i of two along the sequence (dim 2 of [B, H, S, D]), a view as the loop takes it."""
    return t.chunk(2, dim=2)[i]


def replace_half(whole, part, i, add):
    """The loop's partial update: chunk along the sequence, add or set one chunk, concatenate back."""
    chunks = list(whole.chunk(2, dim=2))
    chunks[i] = chunks[i] + part if add else part
    return torch.cat(chunks, dim=2)


def step_inputs(i, rank):
    """Which queries meet which keys at step i (load-balanced split: rank r holds chunks r and 2 CP - 1 - r)."""
    if i == 0:
        return 'causal'
    return 'first_kv' if i <= rank else 'second_q'


class Ring:
    def __init__(s, cp):
        s.cp = cp
        shape = (1, H, 2 * CHUNK, D)
        s.q, s.k, s.v = (torch.randn(shape, device=dev, dtype=torch.bfloat16) for _ in range(3))
        s.n = s.k.numel()
        s.peers = torch.randn(cp, 2 * s.n, device=dev, dtype=torch.bfloat16)  # what the all-gather brings
        s.grad_out = torch.randn(shape, device=dev, dtype=torch.bfloat16)
        s.peer_grads = torch.randn(2 * s.n, device=dev, dtype=torch.float32)  # what the dK/dV rotation brings
        # The forward's bookkeeping outputs the backward op takes (no dropout: placeholders), per step kind.
        s.aux = {}
        for kind in ('causal', 'first_kv', 'second_q'):
            q, k, v = s.step_operands(kind, s.k, s.v)
            fw = aten._scaled_dot_product_flash_attention(q, k, v, 0.0, kind == 'causal', False)
            s.aux[kind] = (fw[2], fw[3], q.shape[2], k.shape[2], fw[6], fw[7])

    def step_operands(s, kind, k, v):
        q = half(s.q, 1) if kind == 'second_q' else s.q
        if kind == 'first_kv':
            k, v = half(k, 0), half(v, 0)
        return q, k, v

    def gathered(s, rank):
        buf = torch.empty_like(s.peers)
        buf.copy_(s.peers)
        buf[rank].copy_(torch.cat([s.k.flatten(), s.v.flatten()]))
        return buf

    def kv_at(s, buf, i, rank):
        if i == 0:
            return s.k, s.v
        kv = buf[(rank - i) % s.cp]
        return kv[:s.n].view(s.k.shape), kv[s.n:].view(s.v.shape)

    def sdpa(s, q, k, v, causal):
        out, lse = aten._scaled_dot_product_flash_attention(q, k, v, 0.0, causal, False)[:2]
        return out, lse

    def forward(s, rank, kernels_only=False):
        buf = s.gathered(rank) if not kernels_only else s.peers
        out = lse = None
        saved = []
        for i in range(s.cp):
            k, v = s.kv_at(buf, i, rank)
            if not kernels_only and i < s.cp - 1:
                torch.cat([k.flatten(), v.flatten()])  # the loop concatenates for every exchange
            kind = step_inputs(i, rank)
            q, k, v = s.step_operands(kind, k, v)
            o, l = s.sdpa(q, k, v, kind == 'causal')
            saved.append((kind, o, l))
            if kernels_only:
                continue
            o, l = o.float(), l.unsqueeze(-1).float()
            if out is None:
                out, lse = o, l
                continue
            part = kind == 'second_q'
            cur_o, cur_l = (half(out, 1), half(lse, 1)) if part else (out, lse)
            new_o = cur_o - torch.sigmoid(l - cur_l) * (cur_o - o)
            new_l = cur_l - torch.nn.functional.logsigmoid(cur_l - l)
            out, lse = (replace_half(out, new_o, 1, False), replace_half(lse, new_l, 1, False)) if part else (new_o, new_l)
        if kernels_only:
            return saved
        return out.to(torch.bfloat16), lse.squeeze(-1)

    def backward(s, rank, out, lse, kernels_only=False):
        buf = s.gathered(rank) if not kernels_only else s.peers
        if not kernels_only:
            gq = torch.zeros_like(s.q, dtype=torch.float32)
            gk = torch.zeros_like(s.k, dtype=torch.float32)
            gv = torch.zeros_like(s.v, dtype=torch.float32)
        for i in range(s.cp):
            k, v = s.kv_at(buf, i, rank)
            if not kernels_only and i < s.cp - 1:
                torch.cat([k.flatten(), v.flatten()])
            kind = step_inputs(i, rank)
            q, k, v = s.step_operands(kind, k, v)
            o, go, l = out, s.grad_out, lse
            if kind == 'second_q':
                o, go, l = half(out, 1), half(s.grad_out, 1), half(lse.unsqueeze(-1), 1).squeeze(-1).contiguous()
            cq, ck, mq, mk, seed, offset = s.aux[kind]
            dq, dk, dv = aten._scaled_dot_product_flash_attention_backward(
                go, q, k, v, o, l, cq, ck, mq, mk, 0.0, kind == 'causal', seed, offset)[:3]
            if kernels_only:
                continue
            if i > 0:  # the rotated dK/dV arrive in a fresh buffer
                gk, gv = s.received(gk.shape)
            if kind == 'first_kv':  # this step's gradients cover the first key chunk only
                gk, gv = replace_half(gk, dk, 0, True), replace_half(gv, dv, 0, True)
            else:
                gk.add_(dk)
                gv.add_(dv)
            torch.cat([gk.flatten(), gv.flatten()])  # sent on to the next rank
            gq = replace_half(gq, dq, 1, True) if kind == 'second_q' else gq.add_(dq)
        if not kernels_only:
            gk, gv = s.received(s.k.shape)  # the last rotation brings the rank's own keys' gradients home
            return gq.to(torch.bfloat16), gk.to(torch.bfloat16), gv.to(torch.bfloat16)

    def received(s, shape):
        recv = torch.empty_like(s.peer_grads)
        recv.copy_(s.peer_grads)
        return recv[:s.n].view(shape), recv[s.n:].view(shape)

    def kernels_fwd(s, rank):
        s.forward(rank, kernels_only=True)

    def kernels_bwd(s, rank, out, lse):
        s.backward(rank, out, lse, kernels_only=True)


def measure(state, cp, rank):
    ring = Ring(cp)
    out, lse = ring.forward(rank)
    retries = torch.cuda.memory_stats().get('num_alloc_retries', 0)
    row = {'state': state, 'cp': cp, 'rank': rank,
           'fwd_ms': ms(lambda: ring.forward(rank)),
           'bwd_ms': ms(lambda: ring.backward(rank, out, lse)),
           'kernels_fwd_ms': ms(lambda: ring.kernels_fwd(rank)),
           'kernels_bwd_ms': ms(lambda: ring.kernels_bwd(rank, out, lse)),
           # the emulated peer writes: one gather a pass, one dK/dV arrival per later backward step and the last
           'peer_writes_fwd_ms': ms(lambda: ring.gathered(rank)),
           'peer_writes_bwd_ms': ms(lambda: ring.gathered(rank)) + cp * ms(lambda: ring.received(ring.k.shape)),
           'alloc_retries': torch.cuda.memory_stats().get('num_alloc_retries', 0) - retries,
           'reserved_gb': torch.cuda.memory_reserved() / 1e9, 'smi': smi()}
    row['per_step_ms'] = (row['fwd_ms'] + row['bwd_ms']) / cp
    R['rows'].append(row)
    print(json.dumps(row), flush=True)
    del ring, out, lse


def press():
    """Hold the process to the 96 GB part's 97,886 MiB with 84 GiB reserved, as the rows' Memory(GiB)
    column read: 37 GiB resident and the loss's 47 GiB of blocks freed into the cache."""
    total = torch.cuda.get_device_properties(0).total_memory
    torch.cuda.set_per_process_memory_fraction(min(1.0, 97886 * 2**20 / total))
    resident = torch.empty(37 * 2**30, dtype=torch.uint8, device=dev)
    logits = [torch.empty(32768 * 128256 * 4, dtype=torch.uint8, device=dev) for _ in range(3)]
    del logits  # freed, still cached: the next step's ring must carve its buffers from them
    return resident


def save():
    json.dump(R, open(os.path.join(OUT, 'ring_loop.json'), 'w'), indent=1)


def run(state, cp, rank):
    try:
        measure(state, cp, rank)
    except Exception as e:  # an out-of-memory under pressure is itself a finding
        R.setdefault('errors', []).append({'state': state, 'cp': cp, 'rank': rank, 'error': repr(e)})
        print(state, cp, rank, repr(e), flush=True)
    torch.cuda.synchronize()
    save()


soak(20)
R['after_soak'] = smi()
for cp in (2, 4, 8):
    for rank in (0, cp - 1):
        run('free', cp, rank)
torch.cuda.empty_cache()
held = press()
for cp in (2, 4, 8):
    for rank in (0, cp - 1):
        run('pressed', cp, rank)
print('done', flush=True)
