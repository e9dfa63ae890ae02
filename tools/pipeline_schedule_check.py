#!/usr/bin/env python3
"""Checks interleaved pipeline schedules as dcsim orders them (docs/training.md, "Pipeline
schedules"): whether an order deadlocks, and how long it takes with unit-time forwards and
double-time backwards. Reproduces the figures docs/training.md quotes:
  tools/pipeline_schedule_check.py
Each rank runs its tasks in a fixed order: `warmup` forwards, then one forward and one
backward at a time, then the remaining backwards. Forwards follow Megatron-core's schedule
table (groups of N microbatches per model chunk). A task waits for its input: the forward
of the previous virtual stage, the backward of the next one (or its own forward at the end).
"""
from collections import deque


def table(m, v, n):
    out = []
    for first in range(0, m, n):
        for k in range(v):
            out.extend((mb, k) for mb in range(first, min(m, first + n)))
    return out


def order(pp, v, n, m, rank, warmup):
    t = table(m, v, n)
    total = m * v
    w = min(total, warmup(pp, v, n, rank))
    fwd = [("F", mb, k) for mb, k in t]
    bwd = [("B", mb, v - 1 - k) for mb, k in t]
    out = fwd[:w]
    for i in range(total - w):
        out += [fwd[w + i], bwd[i]]
    return out + bwd[total - w:]


def deps(kind, mb, s, stages):
    if kind == "F":
        return [("F", mb, s - 1)] if s > 0 else []
    return [("F", mb, s)] + ([("B", mb, s + 1)] if s < stages - 1 else [])


def acyclic(pp, v, n, m, warmup):
    orders = [order(pp, v, n, m, r, warmup) for r in range(pp)]
    pos = {(kind, mb, k * pp + r): (r, i) for r in range(pp) for i, (kind, mb, k) in enumerate(orders[r])}
    indeg, adj = {}, {}
    for r in range(pp):
        for i, (kind, mb, k) in enumerate(orders[r]):
            node = (r, i)
            indeg.setdefault(node, 0)
            before = [(r, i - 1)] if i > 0 else []
            for d in before + [pos[x] for x in deps(kind, mb, k * pp + r, pp * v)]:
                adj.setdefault(d, []).append(node)
                indeg[node] += 1
    ready = deque(x for x, c in indeg.items() if c == 0)
    seen = 0
    while ready:
        x = ready.popleft()
        seen += 1
        for y in adj.get(x, []):
            indeg[y] -= 1
            if indeg[y] == 0:
                ready.append(y)
    return seen == len(indeg)


def makespan(pp, v, n, m, warmup, tf=1.0, tb=2.0):
    orders = [order(pp, v, n, m, r, warmup) for r in range(pp)]
    done, nxt, clock = {}, [0] * pp, [0.0] * pp
    moved = True
    while moved:
        moved = False
        for r in range(pp):
            while nxt[r] < len(orders[r]):
                kind, mb, k = orders[r][nxt[r]]
                s = k * pp + r
                need = deps(kind, mb, s, pp * v)
                if not all(d in done for d in need):
                    break
                clock[r] = max([clock[r]] + [done[d] for d in need]) + (tf if kind == "F" else tb)
                done[(kind, mb, s)] = clock[r]
                nxt[r] += 1
                moved = True
    return max(clock)


def megatron(pp, v, n, r):
    return 2 * (pp - r - 1) + (v - 1) * n


def capped(pp, v, n, r):
    return (v - 1) * n + 2 * min(pp - r - 1, n - 1)


if __name__ == "__main__":
    valid = [(pp, v, n, m) for pp in range(2, 10) for v in range(2, 5) for n in range(pp, pp + 3)
             for m in range(n, 3 * pp + 1) if m % n == 0 or m % n >= pp]
    print("Megatron's warm-up, N >= pp:", sum(acyclic(*c, megatron) for c in valid), "of", len(valid), "deadlock-free")
    print("Megatron's warm-up, pp 4 v 2 N 1 m 4, deadlock-free:", acyclic(4, 2, 1, 4, megatron))
    small = [(pp, v, n, m) for pp in range(2, 17) for v in range(2, 6) for n in range(1, pp + 4)
             for m in range(n, 4 * pp + 1, n)]
    print("capped warm-up, m a multiple of N:", sum(acyclic(*c, capped) for c in small), "of", len(small),
          "deadlock-free")
    for n in (16, 8, 1):
        print(f"pp 16 v 2 m 32 N {n}: {makespan(16, 2, n, 32, capped):.0f} steps (capped warm-up)")
