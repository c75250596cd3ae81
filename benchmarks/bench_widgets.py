"""Redraw time of the explorers: median milliseconds per slider move.

Run:  .venv/bin/python benchmarks/bench_widgets.py [--moves 50]

Each explorer is built once (the first picture, which loads fonts, is not counted); then a
slider is moved ``--moves`` times. "position" moves only recolour the cells; the other sliders
change the geometry and rebuild the scene on the same figure. The time includes the message,
the matplotlib draw and the PNG encoding, everything a notebook user waits for.
"""

from __future__ import annotations

import argparse
import statistics

import matplotlib

matplotlib.use("Agg")

from convtutor.widgets import conv_explorer, depthwise_explorer, transposed_explorer  # noqa: E402


def moves(ex, name: str, values: list[int], n: int) -> list[float]:
    start = len(ex.redraw_ms)
    for m in range(n):
        ex.sliders[name].value = values[m % len(values)]
    return ex.redraw_ms[start:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=50)
    n = parser.parse_args().moves
    rows = []
    for numbers in (False, True):
        label = " (numbers)" if numbers else ""
        ex = conv_explorer(7, 3, numbers=numbers)
        rows.append((f"conv 7x7 k3{label}", "position", moves(ex, "position", list(range(25)), n)))
        rows.append((f"conv 7x7 k3{label}", "padding", moves(ex, "padding", [1, 2, 3, 0], n)))
        ex = transposed_explorer(3, 3, stride=2, numbers=numbers)
        rows.append((f"transposed 3x3 s2{label}", "position", moves(ex, "position", list(range(49)), n)))
        rows.append((f"transposed 3x3 s2{label}", "stride", moves(ex, "stride", [1, 2, 3], n)))
        ex.view.value = "scatter"
        rows.append((f"transposed, scatter{label}", "position", moves(ex, "position", list(range(9)), n)))
    ex = depthwise_explorer(8, 16, groups=8)
    rows.append(("depthwise 8->16", "groups", moves(ex, "groups", [1, 2, 4, 8], n)))
    print(f"{'explorer':32s} {'slider':10s} {'median ms':>10s} {'p90 ms':>8s}")
    for name, slider, times in rows:
        p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
        print(f"{name:32s} {slider:10s} {statistics.median(times):10.1f} {p90:8.1f}")


if __name__ == "__main__":
    main()
