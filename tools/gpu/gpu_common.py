"""What the GPU scripts written from 2026-11-29 on share: nvidia-smi's reading beside a row, and
the heat soak that brings the clock to where a training run holds it (back-to-back 8192^3 BF16
GEMMs, as ../shared/reference/measured/kernel_table.py soaks). The scripts that ran before keep
their own copies, so the recorded data stay with the text that measured them."""
import subprocess
import time

import torch


def smi(fields='clocks.sm,power.draw'):
    """nvidia-smi's reading now (SM clock MHz, board power W by default), or why there is none."""
    try:
        return subprocess.run(['nvidia-smi', f'--query-gpu={fields}', '--format=csv,noheader,nounits'],
                              capture_output=True, text=True, timeout=5).stdout.strip()
    except Exception as e:
        return str(e)


def soak(seconds, device='cuda'):
    """Back-to-back 8192^3 BF16 GEMMs for `seconds`: the power cap settles the clock."""
    a = torch.randn(8192, 8192, device=device, dtype=torch.bfloat16)
    t0 = time.time()
    while time.time() - t0 < seconds:
        for _ in range(20):
            a @ a
        torch.cuda.synchronize()


def median_ms(fn, repeats=3):
    """Median of `repeats` single calls after one warm-up, in ms (CUDA events): for calls of
    tens of milliseconds and more, which the 150 ms loops of kernel_table.py would repeat."""
    fn()
    torch.cuda.synchronize()
    out = []
    for _ in range(repeats):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        torch.cuda.synchronize()
        out.append(s.elapsed_time(e))
    return sorted(out)[len(out) // 2]
