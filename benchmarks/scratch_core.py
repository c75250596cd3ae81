"""Scratch memory of the fast path on the fast-core issue's layers (tracemalloc, deterministic).

Run:  .venv/bin/python benchmarks/scratch_core.py

Scratch is the peak of what one call allocates beyond its output (convtutor.timing.scratch_bytes),
shown against the zero-padded input and against the im2col buffer a full unfold would need.
"""

from __future__ import annotations


import numpy as np

import convtutor as ct
from convtutor.timing import scratch_bytes

MiB = 2**20


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{'layer':52}{'batch':>6}{'scratch':>10}{'padded in':>11}{'ratio':>7}{'im2col':>9}  (MiB = 2**20 bytes)")
    for batch in (1, 8):
        for dtype in (np.float32, np.float64):
            x = rng.standard_normal((batch, 64, 56, 56)).astype(dtype)
            cases = {
                "B  conv 64->64 3x3 p1, 56x56": (lambda: ct.conv2d(x, w3, padding=1), 1, 9),
                "D  depthwise 3x3 p1 (groups 64), 56x56": (lambda: ct.conv2d(x, wd, padding=1, groups=64), 1, 9),
                "E  transposed 64->32 4x4 s2 p1, 28x28": (lambda: ct.conv_transpose2d(
                    x[:, :, :28, :28], we, stride=2, padding=1), None, 16),
            }
            w3 = rng.standard_normal((64, 64, 3, 3)).astype(dtype)
            wd = rng.standard_normal((64, 1, 3, 3)).astype(dtype)
            we = rng.standard_normal((64, 32, 4, 4)).astype(dtype)
            for name, (fn, pad, taps) in cases.items():
                scratch = scratch_bytes(fn)
                if pad is None:            # the input of the transposed layer: 28x28, 64 channels
                    padded = batch * 64 * 30 * 30 * x.itemsize
                    cols = batch * 64 * taps * 28 * 28 * x.itemsize
                else:
                    padded = batch * 64 * 58 * 58 * x.itemsize
                    cols = batch * 64 * taps * 56 * 56 * x.itemsize
                label = f"{name} {np.dtype(dtype).name}"
                print(f"{label:52}{batch:>6}{scratch / MiB:>7.2f}MiB{padded / MiB:>8.2f}MiB"
                      f"{scratch / padded:>6.2f}x{cols / MiB:>6.1f}MiB")


if __name__ == "__main__":
    main()
