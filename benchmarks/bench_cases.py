"""Time the fast path on every layer of the torch cross-check tables (tests/_torch_support.py).

Run:  .venv/bin/python benchmarks/bench_cases.py --save now.json [--compare before.json]

The fast-core issue asks that no case of tests/test_conv_torch.py (and of the transposed table)
gets slower. These layers are tiny, so their time is mostly the fixed cost of a call (checking
the arguments, planning, Python). Each case is timed in blocks (convtutor.timing.time_blocks),
one thread, float32 and float64. To compare two versions, run the script in each (for example
in a `git worktree` of the older commit, with this file copied in) and pass the first file to
the second run with --compare: it prints the ratio per case and the cases that got slower by
more than the given margin.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import convtutor as ct  # noqa: E402
from convtutor import timing  # noqa: E402
from _torch_support import CONV_CASES, TRANSPOSED_CASES  # noqa: E402

FUNCS = {(False, 1): ct.conv1d, (False, 2): ct.conv2d, (False, 3): ct.conv3d,
         (True, 1): ct.conv_transpose1d, (True, 2): ct.conv_transpose2d, (True, 3): ct.conv_transpose3d}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, required=True)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--margin", type=float, default=0.10, help="slower by more than this is flagged")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    calls = {}
    for case in CONV_CASES + TRANSPOSED_CASES:
        for dtype in (np.float32, np.float64):
            x, w, b = case.arrays(rng, dtype)
            fn = FUNCS[case.transposed, case.nd]
            calls[f"{'T' if case.transposed else 'C'} {case.id} {np.dtype(dtype).name}"] = (
                lambda fn=fn, x=x, w=w, b=b, kw=case.kwargs(): fn(x, w, b, **kw))
    times = timing.time_blocks(calls, threads=1, blocks=2, block_seconds=0.1, settle=0.02)
    result = {name: t.median_ms for name, t in times.items()}
    args.save.write_text(json.dumps(result, indent=1))
    if not args.compare:
        for name, ms in result.items():
            print(f"{name:58} {1e3 * ms:8.1f} us")
        return
    before = json.loads(args.compare.read_text())
    ratios = {name: result[name] / before[name] for name in result if name in before}
    for name, r in ratios.items():
        print(f"{name:58} {1e3 * before[name]:8.1f} -> {1e3 * result[name]:8.1f} us  {r:5.2f}x")
    slower = [name for name, r in ratios.items() if r > 1 + args.margin]
    print(f"median ratio {np.median(list(ratios.values())):.2f}x over {len(ratios)} cases; "
          f"slower by more than {args.margin:.0%}: {len(slower)}")
    for name in slower:
        print("  ", name, f"{ratios[name]:.2f}x")


if __name__ == "__main__":
    main()
