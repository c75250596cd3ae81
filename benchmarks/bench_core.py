"""Speed of convtutor against torch on the issue's three layers (float32, batch 1).

Run:  .venv/bin/python benchmarks/bench_core.py [--repeats 30]

Both libraries run in this process, interleaved call by call, torch on 2 threads; the
table gives the median time of each and the ratio convtutor / torch.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

import convtutor as ct


def cases(rng):
    f32 = np.float32
    x_b = rng.standard_normal((1, 64, 56, 56)).astype(f32)
    w_b = rng.standard_normal((64, 64, 3, 3)).astype(f32)
    x_e = rng.standard_normal((1, 64, 28, 28)).astype(f32)
    w_e = rng.standard_normal((64, 32, 4, 4)).astype(f32)
    x_f = rng.standard_normal((1, 64, 56, 56)).astype(f32)
    w_dw = rng.standard_normal((64, 1, 3, 3)).astype(f32)
    w_pw = rng.standard_normal((128, 64, 1, 1)).astype(f32)
    t = torch.from_numpy
    return [
        ("B  conv 64->64 3x3 pad 1, 56x56",
         lambda: ct.conv2d(x_b, w_b, padding=1),
         lambda: F.conv2d(t(x_b), t(w_b), padding=1), 1.5, 2.0),
        ("E  transposed 64->32 4x4 s2 p1, 28x28",
         lambda: ct.conv_transpose2d(x_e, w_e, stride=2, padding=1),
         lambda: F.conv_transpose2d(t(x_e), t(w_e), stride=2, padding=1), 2.0, 3.0),
        ("F  depthwise 3x3 + pointwise 64->128, 56x56",
         lambda: ct.conv2d(ct.conv2d(x_f, w_dw, padding=1, groups=64), w_pw),
         lambda: F.conv2d(F.conv2d(t(x_f), t(w_dw), padding=1, groups=64), t(w_pw)), 3.0, 4.0),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, torch {torch.__version__}, {args.repeats} interleaved repeats, median")
    print(f"{'layer':46s} {'convtutor':>10s} {'torch':>10s} {'ratio':>7s}  target / limit")
    worst = True
    with torch.no_grad():
        for name, mine, ref, target, limit in cases(rng):
            assert np.allclose(mine(), ref().numpy(), rtol=1e-3, atol=1e-3), name
            tm, tr = [], []
            for _ in range(3):  # warm-up
                mine(), ref()
            for _ in range(args.repeats):
                t0 = time.perf_counter(); mine(); t1 = time.perf_counter(); ref(); t2 = time.perf_counter()
                tm.append(t1 - t0); tr.append(t2 - t1)
            m, r = statistics.median(tm), statistics.median(tr)
            ok = "ok" if m / r <= target else ("within limit" if m / r <= limit else "OVER LIMIT")
            worst &= m / r <= limit
            print(f"{name:46s} {m * 1e3:8.2f}ms {r * 1e3:8.2f}ms {m / r:6.2f}x  {target}x / {limit}x  {ok}")
    if not worst:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
