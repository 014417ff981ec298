#!/usr/bin/env python3
"""Loss + gradient with PyTorch autograd (one thread) and MONAI's DiceLoss, timed side
by side with the Rust engine (examples/engine_time.rs), at 4x3x64x64 and 8x4x128x128.

    pip install torch numpy monai
    python3 reference/timing.py            # builds the Rust example with cargo first

Not part of CI. For each size and Φ (I = MONAI batch=False, BI = batch=True) it prints
the median time of one loss + gradient evaluation, float64, no activation, ε = 1e-5,
and the ratios PyTorch / engine and MONAI / engine. The losses of the three are checked
to agree (1e-12), so the same thing is timed.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from monai.losses import DiceLoss

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EPS = 1e-5


def data(shape):
    """A disc of foreground per (b, c); predictions uniform in [0, 1] (as benches/engine.rs)."""
    b, c, h, w = shape
    rng = np.random.default_rng(7)
    i, j = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    y = np.zeros(shape)
    for bb in range(b):
        for cc in range(c):
            ci, cj, r = h * (bb + 1) / 3 % h, w * (cc + 2) / 5 % w, min(h, w) / 4
            y[bb, cc] = (i - ci) ** 2 + (j - cj) ** 2 < r * r
    return y, rng.random(shape)


def formula(y, p, batch):
    dims = (0, 2, 3) if batch else (2, 3)
    x = (y * p).sum(dims)
    den = y.sum(dims) + p.sum(dims) + EPS
    return 1 - ((2 * x + EPS) / den).mean()


def median_time(f, reps):
    samples = []
    for _ in range(31):
        t = time.perf_counter()
        for _ in range(reps):
            f()
        samples.append((time.perf_counter() - t) / reps)
    return sorted(samples)[15]


def main():
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--example", "engine_time"],
        cwd=ROOT,
        check=True,
    )
    exe = os.path.join(ROOT, "target", "release", "examples", "engine_time")
    print(f"torch {torch.__version__}, 1 thread; float64; no activation; eps = {EPS}")
    print(f"{'shape':<14}{'phi':<5}{'engine':>11}{'torch':>11}{'monai':>11}{'torch/engine':>14}{'monai/engine':>14}")
    for shape in [(4, 3, 64, 64), (8, 4, 128, 128)]:
        y, p = data(shape)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "batch.npz")
            np.savez(path, y=y, pred=p)
            engine = json.loads(subprocess.run([exe, path], capture_output=True, check=True, text=True).stdout)
        reps = max(1, min(1000, 2_000_000 // y.size))
        yt = torch.from_numpy(y)
        for phi, batch in [("I", False), ("BI", True)]:
            monai = DiceLoss(batch=batch, smooth_nr=EPS, smooth_dr=EPS)

            def run(loss_fn):
                pt = torch.from_numpy(p).requires_grad_(True)
                loss = loss_fn(pt)
                loss.backward()
                return loss.item()

            lt = run(lambda pt: formula(yt, pt, batch))
            lm = run(lambda pt: monai(pt, yt))
            le = engine[phi]["loss"]
            assert abs(lt - le) < 1e-12 and abs(lm - le) < 1e-12, (lt, lm, le)
            tt = median_time(lambda: run(lambda pt: formula(yt, pt, batch)), reps)
            tm = median_time(lambda: run(lambda pt: monai(pt, yt)), reps)
            te = engine[phi]["seconds"]
            label = "x".join(map(str, shape))
            print(f"{label:<14}{phi:<5}{te * 1e6:>9.1f}µs{tt * 1e6:>9.1f}µs{tm * 1e6:>9.1f}µs{tt / te:>13.2f}×{tm / te:>13.2f}×")


if __name__ == "__main__":
    sys.exit(main())
