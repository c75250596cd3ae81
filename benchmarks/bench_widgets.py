"""Redraw time of the live explorers: median and 90th-percentile milliseconds per control change.

Run:  .venv/bin/python benchmarks/bench_widgets.py [--moves 30]

Each explorer is built once; then one control is moved ``--moves`` times through a cycle of
values. The time covers everything a notebook user waits for after a move: the convolutions
(or the receptive-field map), the message, and the PNG encoding of the pictures.
"""

from __future__ import annotations

import argparse
import statistics

from convtutor.widgets import checkerboard_explorer, field_explorer, image_explorer

CASES = [
    ("image", image_explorer, "stride", [1, 2, 3, 4]),
    ("image", image_explorer, "kernel", ["box blur", "gaussian blur", "laplacian", "sharpen"]),
    ("image", image_explorer, "padding_mode", ["zeros", "reflect", "replicate", "circular"]),
    ("checkerboard", checkerboard_explorer, "layers", [1, 2, 3, 4]),
    ("field", field_explorer, "depth", [2, 4, 6, 8]),
    ("field (random weights)", lambda: field_explorer(weights="random"), "depth", [2, 4, 6, 8]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=30)
    n = parser.parse_args().moves
    print(f"{'explorer':24s} {'control':14s} {'median ms':>10s} {'p90 ms':>8s}")
    for name, make, control, values in CASES:
        ex = make()
        start = len(ex.redraw_ms)
        for m in range(n):
            ex.controls[control].value = values[m % len(values)]
        times = ex.redraw_ms[start:]
        p90 = statistics.quantiles(times, n=10)[-1]
        print(f"{name:24s} {control:14s} {statistics.median(times):10.1f} {p90:8.1f}")


if __name__ == "__main__":
    main()
