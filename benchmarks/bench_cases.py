"""Time the fast path on every layer of the torch cross-check tables, against an older version.

Run:  .venv/bin/python benchmarks/bench_cases.py --against 4a305d0 [--dtype float32]

The fast-core issue asks that no case of tests/test_conv_torch.py (and of the transposed table)
gets slower. These layers are tiny, so their time is mostly the fixed cost of a call (checking
the arguments, planning, numpy's per-call overhead). The older version's convtutor/_compute.py
is read from git and loaded beside the current one, and each case is timed with both in the
same process, in blocks (convtutor.timing.time_blocks, one thread): the two versions alternate
only by whole blocks. Comparing files written by separate runs would mix in the drift of a
shared machine, which here is larger than the differences being measured.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import convtutor as ct  # noqa: E402
from convtutor import conv, separable, timing, transposed  # noqa: E402
from _torch_support import CONV_CASES, TRANSPOSED_CASES  # noqa: E402

FUNCS = {(False, 1): ct.conv1d, (False, 2): ct.conv2d, (False, 3): ct.conv3d,
         (True, 1): ct.conv_transpose1d, (True, 2): ct.conv_transpose2d, (True, 3): ct.conv_transpose3d}
USERS = (conv, separable, transposed)        # the modules that call the fast path


def load_compute(rev: str):
    """convtutor/_compute.py as it was at ``rev``, as a module of the package."""
    src = subprocess.run(["git", "show", f"{rev}:convtutor/_compute.py"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader(f"convtutor._compute_at_{rev}", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "convtutor"
    exec(compile(src, f"{rev}:convtutor/_compute.py", "exec"), module.__dict__)
    return module


def with_compute(module, fn):
    """``fn`` run with ``module`` as the fast path of every function that calls it."""
    def call():
        saved = [user._compute for user in USERS]
        for user in USERS:
            user._compute = module
        try:
            return fn()
        finally:
            for user, old in zip(USERS, saved):
                user._compute = old
    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the git revision to compare with")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--margin", type=float, default=0.10, help="slower by more than this is listed")
    args = parser.parse_args()
    before = load_compute(args.against)
    now = conv._compute
    rng = np.random.default_rng(0)
    calls = {}
    for case in CONV_CASES + TRANSPOSED_CASES:
        x, w, b = case.arrays(rng, np.dtype(args.dtype))
        fn = (lambda f=FUNCS[case.transposed, case.nd], x=x, w=w, b=b, kw=case.kwargs(): f(x, w, b, **kw))
        name = f"{'transposed' if case.transposed else 'conv'} {case.id}"
        assert np.allclose(with_compute(before, fn)(), fn(), rtol=1e-4, atol=1e-4), name
        calls[name, "before"] = with_compute(before, fn)
        calls[name, "now"] = with_compute(now, fn)
    keys = list(calls)
    times = timing.time_blocks({f"{n} ({v})": calls[n, v] for n, v in keys}, threads=1, blocks=3,
                               block_seconds=0.1, settle=0.0)
    unstable = [name for name, t in times.items() if not t.stable]
    ratios = {}
    print(f"{'case':52} {args.against:>10} {'now':>10}  ratio")
    for name in dict.fromkeys(n for n, _ in keys):
        old, new = times[f"{name} (before)"].median_ms, times[f"{name} (now)"].median_ms
        ratios[name] = new / old
        print(f"{name:52} {1e3 * old:8.1f}us {1e3 * new:8.1f}us  {ratios[name]:5.2f}x")
    slower = [n for n, r in ratios.items() if r > 1 + args.margin]
    print(f"median ratio now/{args.against}: {statistics.median(ratios.values()):.2f}x over {len(ratios)} "
          f"cases, {args.dtype}; slower by more than {args.margin:.0%}: {len(slower)}"
          + "".join(f"\n  {n}: {ratios[n]:.2f}x" for n in slower))
    if unstable:
        print("unstable (blocks disagreed by more than 15%):", ", ".join(unstable))


if __name__ == "__main__":
    main()
