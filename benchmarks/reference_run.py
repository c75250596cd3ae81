"""Measure the reference run that chapters 5 and 7 rest on, and write it to book/data/reference_run.json.

Run:  .venv/bin/python benchmarks/reference_run.py [--threads 2] [--out book/data/reference_run.json]

Run it on a quiet machine: nothing else running (no build, no tests, no other job), `uptime` load
well under 1. It measures, with convtutor.timing (blocks per library, never call-by-call
alternation):

* the machine's matrix-product speed (1024 x 1024 float32, numpy and torch; the faster is the
  compute peak) and copy bandwidth (256 MiB: main memory; 512 KiB: a cache);
* the seven layers of chapter 7 (convtutor.timing.LAYERS) in PyTorch and in convtutor, batch 1
  and batch 8, float32;
* the lesson of chapter 7: the standard layer timed the wrong way (the two libraries alternated
  call by call) beside the right way, and PyTorch on 2 threads and on 1 while another process
  keeps one core busy.

Then it runs the plausibility checks (convtutor.timing.check_run). A run that fails them is
printed with the reason and NOT written: the chapters keep the previous reference.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np
import torch

import convtutor
from convtutor import timing

ROOT = Path(__file__).resolve().parents[1]


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _round(x: float) -> float:
    return float(f"{x:.4g}")


def lesson(threads: int) -> dict:
    """The standard layer, batch 1: blocks against call-by-call alternation; a busy core."""
    calls = timing.layer_callables("standard 3x3", 1)
    blocks = {k: t.median_ms for k, t in timing.time_blocks(calls, threads=threads).items()}
    interleaved = timing.time_interleaved(calls, threads=threads, calls=30)
    busy = {}
    spinner = multiprocessing.Process(target=_spin, args=(60.0,), daemon=True)
    spinner.start()
    try:
        time.sleep(0.5)
        for n in (threads, 1):
            t = timing.time_blocks({"torch": calls["torch"]}, threads=n)["torch"]
            busy[f"torch_{n}_threads"] = t.median_ms
    finally:
        spinner.terminate()
        spinner.join()
    quiet = {f"torch_{n}_threads": timing.time_blocks({"torch": calls["torch"]}, threads=n)["torch"].median_ms
             for n in (threads, 1)}
    return {"layer": "standard 3x3", "batch": 1,
            "blocks_ms": {k: _round(v) for k, v in blocks.items()},
            "interleaved_ms": {k: _round(v) for k, v in interleaved.items()},
            "busy_core_ms": {k: _round(v) for k, v in busy.items()},
            "quiet_ms": {k: _round(v) for k, v in quiet.items()}}


def measure(threads: int, block_seconds: float = 0.25) -> dict:
    info = timing.machine()
    info["versions"]["torch"] = torch.__version__
    info["versions"]["convtutor"] = convtutor.__version__
    print(f"{info['cpu']}, {info['cores']} cores, load average {info['load_average_1min']:.2f}", flush=True)
    # the same helpers as the chapters' live cells (timing.live_run), with longer blocks
    roofs = timing.measure_roofs(threads=threads)
    stable = roofs.pop("stable")
    print(f"peak {roofs['compute_peak_gflops']:.0f} GFLOP/s, main {roofs['bandwidth_gbps']['main']:.1f} GB/s, "
          f"cache {roofs['bandwidth_gbps']['cache']:.1f} GB/s", flush=True)
    layers = {}
    for name in timing.LAYERS:
        measured, layer_stable = timing.measure_layers([name], (1, 8), threads=threads, blocks=3, retries=6,
                                                      block_seconds=block_seconds)
        layers.update(measured)
        stable.update(layer_stable)
        row = layers[name]
        print(f"{name:22} torch {row['torch_ms']}  convtutor {row['convtutor_ms']}", flush=True)
    return {
        "machine": {"cpu": info["cpu"], "cores": info["cores"], "threads": threads,
                    "load_average_1min": _round(info["load_average_1min"] or 0.0)},
        "versions": info["versions"],
        "date": info["date"],
        "command": f"python benchmarks/reference_run.py --block-seconds {block_seconds:g}",
        **roofs,
        "layers": layers,
        "stable": stable,
        "lesson": lesson(threads),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "book" / "data" / "reference_run.json")
    parser.add_argument("--block-seconds", type=float, default=0.25,
                        help="length of one timing block per layer (longer blocks average out a noisy host)")
    parser.add_argument("--provisional", action="store_true",
                        help="write the run even when a check fails, marked provisional (for drafting the "
                             "chapters only; the book must ship a reportable run)")
    args = parser.parse_args()
    run = measure(args.threads, args.block_seconds)
    verdict = timing.check_run(run)
    print(verdict)
    run["reportable"] = verdict.reportable
    run["checks"] = [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in verdict.checks]
    if not verdict.reportable and not args.provisional:
        sys.exit(f"not written: {args.out} keeps the previous reference run")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(run, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    np.random.seed(0)
    main()
