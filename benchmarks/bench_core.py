"""Speed of convtutor against PyTorch on the fast-core issue's three layers, timed in blocks.

Run:  .venv/bin/python benchmarks/bench_core.py [--threads 2] [--dtype float32] [--batches 1 8] [--rounds 5]

B  conv 64->64, 3x3, padding 1, on 56x56
E  transposed conv 64->32, 4x4, stride 2, padding 1, on 28x28 (to 56x56)
F  depthwise 3x3 (groups 64) then pointwise 64->128, on 56x56

Each library is timed in blocks of its own (convtutor.timing.time_blocks: a warm-up call, then
many calls, median; libraries alternate only by whole blocks), with the thread count stated.
Besides each library's time and GFLOP/s, the table gives numpy's own matrix product on the same
multiply-adds, arranged as each step's im2col product ((C_out/g) x (C_in/g * k*k) times
(C_in/g * k*k) x positions, per group): the best any formulation that first builds the im2col
buffer can do, since it must still run that product. Run it with nothing else on the machine
(no build, no tests): two-thread timings collapse when another process takes a core. Even on a
quiet machine, the project's shared host moves the times from one minute to the next by more
than a target's margin (convtutor's more than PyTorch's, in the fast-core issue's runs):
``--rounds`` measures the whole table several times, in turn, and judges the median ratio.
"""

from __future__ import annotations

import argparse
import math
import statistics

import numpy as np

import convtutor as ct
from convtutor import timing
from convtutor.timing import Step

CASES = {
    "B": ("conv 64->64 3x3 p1, 56x56", 1.5, (56, (Step(64, 64, (3, 3), 1, (1, 1)),))),
    "E": ("transposed 64->32 4x4 s2 p1, 28x28", 2.0, (28, (Step(64, 32, (4, 4), 2, (1, 1), transposed=True),))),
    "F": ("depthwise 3x3 + pointwise 64->128, 56x56", 3.0,
          (56, (Step(64, 64, (3, 3), 1, (1, 1), groups=64), Step(64, 128, (1, 1))))),
}


def gemm_equivalent(layer, batch, dtype):
    """numpy's matmul on each step's im2col product shapes (the matrices filled with ones)."""
    size, steps = layer
    mats = []
    for s in steps:
        shape = (ct.conv_transpose_shape if s.transposed else ct.conv_shape)(
            (size, size), s.kernel_size, s.stride, s.padding, **({"output_padding": 0} if s.transposed else {}),
            dilation=s.dilation, in_channels=s.in_channels, out_channels=s.out_channels, groups=s.groups)
        g, k = s.groups, math.prod(s.kernel_size)
        positions = math.prod(shape.input_size if s.transposed else shape.output_size)
        if s.transposed:   # every input value times every weight: (C_out/g * K) x (C_in/g) @ (C_in/g) x positions
            a = np.ones((g, s.out_channels // g * k, s.in_channels // g), dtype)
            b = np.ones((batch, g, s.in_channels // g, positions), dtype)
        else:
            a = np.ones((g, s.out_channels // g, s.in_channels // g * k), dtype)
            b = np.ones((batch, g, s.in_channels // g * k, positions), dtype)
        mats.append((a, b, np.empty((batch, *a.shape[:2], positions), dtype)))
        size = shape.output_size[0]
    return lambda: [np.matmul(a, b, out=out) for a, b, out in mats]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every row this many times, in turn; the verdict uses the median ratio")
    args = parser.parse_args()
    info = timing.machine()
    print(f"{info['cpu']}, {info['cores']} cores, {args.threads} threads, {args.dtype}; numpy "
          f"{np.__version__}; load average {info['load_average_1min']:.2f}")
    print(f"{'':44} {'':>5} | {'torch':^16} | {'convtutor':^16} | {'numpy matmul':^16} | ratio  target")
    print(f"{'layer':44} {'batch':>5} | {'ms':>7} {'GFLOP/s':>8} | {'ms':>7} {'GFLOP/s':>8} | "
          f"{'ms':>7} {'GFLOP/s':>8} | conv/torch")
    unstable, ratios = [], {}
    for round_ in range(args.rounds):
        if args.rounds > 1:
            print(f"round {round_ + 1} of {args.rounds}")
        unstable += measure(args, ratios)
    if args.rounds > 1:
        print(f"median over {args.rounds} rounds of the ratio convtutor / torch (each round's in brackets):")
        for (key, batch), rs in ratios.items():
            med, target = statistics.median(rs), CASES[key][1]
            print(f"{key} batch {batch}: {med:.2f}x  target {target}x {'met' if med <= target else 'NOT met'}  "
                  f"[{', '.join(f'{r:.2f}' for r in rs)}]")
    if unstable:
        print("UNSTABLE (blocks disagreed by more than 15%; rerun on a quiet machine):", ", ".join(unstable))


def measure(args, ratios) -> list[str]:
    """One round: every case and batch, printed as a row; each ratio appended to ``ratios``."""
    unstable = []
    for key in args.cases:
        title, target, layer = CASES[key]
        macs = timing.layer_macs(layer)
        for batch in args.batches:
            calls = timing.layer_callables(layer, batch, dtype=args.dtype)
            mine, theirs = calls["convtutor"](), calls["torch"]().numpy()
            tol = 1e-3 if args.dtype == "float32" else 1e-9
            assert np.allclose(mine, theirs, rtol=tol, atol=tol), f"{key}: convtutor and torch disagree"
            calls["numpy matmul"] = gemm_equivalent(layer, batch, args.dtype)
            times = timing.time_blocks(calls, threads=args.threads)
            unstable += [f"{key} batch {batch} {t.name}" for t in times.values() if not t.stable]
            row = f"{key}  {title:41} {batch:>5} |"
            for lib in ("torch", "convtutor", "numpy matmul"):
                ms = times[lib].median_ms
                row += f" {ms:>7.3f} {2 * macs * batch / (ms * 1e-3) / 1e9:>8.1f} |"
            ratio = times["convtutor"].median_ms / times["torch"].median_ms
            ratios.setdefault((key, batch), []).append(ratio)
            row += f" {ratio:>5.2f}x  {target}x {'met' if ratio <= target else 'NOT met'}"
            print(row, flush=True)
    return unstable


if __name__ == "__main__":
    main()
