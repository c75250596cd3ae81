"""Timing that can be published: blocks per library, stated threads, and checks before a number is used.

Two habits make most benchmark numbers wrong on a small machine, and both are guarded against here.

* **Alternating two libraries call by call.** numpy's BLAS threads and PyTorch's OpenMP threads
  keep spinning for a while after each call, waiting for more work. A call of the other library
  that starts right then competes with them for the cores, so both look slower than they are,
  and by different amounts. :func:`time_blocks` therefore times each callable in a *block* of its
  own (a warm-up call, then many calls), and alternates libraries only by whole blocks.
  :func:`time_interleaved` does it the wrong way on purpose, to show the difference.
* **Trusting a run without looking at it.** Another process on one of two cores can make a
  two-thread timing several times slower. A run is only *reportable* when its blocks agree with
  each other (:attr:`Timing.stable`) and its numbers are physically plausible
  (:func:`check_run`): cache faster than main memory, a batch of 8 costing 3 to 12 times a batch
  of 1 for a compute-bound layer, a dense convolution within reach of the machine's matrix-product
  peak. A run that fails says so and is not used.

The layers of chapter 7 (64 channels, 56 x 56) are defined here once (:data:`LAYERS`), so that the
stored reference run (``benchmarks/reference_run.py``, which writes ``book/data/reference_run.json``)
and the chapters' live cells time exactly the same calls. numpy's thread pool is limited with
``threadpoolctl``; PyTorch is imported only by the functions that time it.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Callable, Mapping, NamedTuple

import numpy as np

from . import _compute
from ._validation import check_int, check_real
from .arithmetic import conv_parameters, conv_shape, conv_transpose_shape

__all__ = [
    "thread_limit",
    "Timing",
    "time_blocks",
    "time_interleaved",
    "gemm_gflops",
    "copy_bandwidth_gbps",
    "machine",
    "Step",
    "LAYERS",
    "layer_macs",
    "layer_callables",
    "Check",
    "Verdict",
    "check_run",
    "layer_parameters",
    "Traffic",
    "layer_traffic",
    "layer_intensity",
    "attainable_gflops",
    "layer_module",
    "scratch_bytes",
    "measure_layers",
    "measure_roofs",
    "live_run",
    "describe_run",
    "side_by_side",
]


@contextlib.contextmanager
def thread_limit(threads: int):
    """Inside the block, numpy's BLAS and (if it is loaded) PyTorch use ``threads`` threads.

    Example:
        >>> with thread_limit(1):
        ...     _ = np.ones((64, 64)) @ np.ones((64, 64))
    """
    from threadpoolctl import threadpool_limits

    threads = check_int("threads", threads, minimum=1)
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=threads):
        if torch is not None:
            torch.set_num_threads(threads)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


@dataclass(frozen=True)
class Timing:
    """The blocks of one callable: the median milliseconds of each block, in the order they ran.

    The timing rests on the ``agree`` blocks that agree best (all of them when ``agree`` is 0):
    ``median_ms`` is the median of those blocks, and the timing is ``stable`` when the slowest of
    them is at most ``tolerance`` (a fraction) slower than the fastest. On a shared machine a
    block can be slowed by another process, never sped up, so the blocks that agree are the
    ones nothing disturbed.
    """

    name: str
    threads: int
    calls: int
    block_ms: tuple[float, ...]
    tolerance: float
    agree: int = 0

    @property
    def kept(self) -> tuple[float, ...]:
        """The blocks the timing rests on: the ``agree`` neighbours (in time per call) that differ least."""
        ordered = sorted(self.block_ms)
        need = self.agree or len(ordered)
        if need >= len(ordered):
            return tuple(ordered)
        groups = [ordered[i:i + need] for i in range(len(ordered) - need + 1)]
        return tuple(min(groups, key=lambda g: g[-1] / g[0]))

    @property
    def median_ms(self) -> float:
        """The time of one call, in milliseconds."""
        return statistics.median(self.kept)

    @property
    def spread(self) -> float:
        """``max / min - 1`` over the kept block medians."""
        kept = self.kept
        return max(kept) / min(kept) - 1

    @property
    def stable(self) -> bool:
        """Whether the kept blocks agree within the tolerance."""
        return self.spread <= self.tolerance

    def __str__(self) -> str:
        blocks = ", ".join(f"{b:.3g}" for b in self.block_ms)
        flag = "" if self.stable else f"  UNSTABLE (blocks differ by {self.spread:.0%})"
        return f"{self.name}: {self.median_ms:.3g} ms ({self.calls} calls a block, blocks {blocks}){flag}"


def _callables(callables: Mapping[str, Callable[[], object]]) -> dict:
    if not isinstance(callables, Mapping) or not callables:
        raise TypeError("callables must be a non-empty mapping of names to functions without arguments")
    for name, fn in callables.items():
        if not callable(fn):
            raise TypeError(f"callables[{name!r}] must be callable, got {type(fn).__name__}")
    return dict(callables)


def _one_call_ms(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def _block(fn, calls: int, settle: float) -> float:
    """A pause (the other library's threads stop spinning), one warm-up call (this library's wake
    up), then ``calls`` timed calls: their median."""
    time.sleep(settle)
    fn()
    return statistics.median(_one_call_ms(fn) for _ in range(calls))


def time_blocks(callables, *, threads: int = 2, blocks: int = 2, block_seconds: float = 0.25,
                min_calls: int = 3, max_calls: int = 200, tolerance: float = 0.15,
                retries: int = 2, settle: float = 0.25) -> dict[str, Timing]:
    """Time each callable in blocks of its own, alternating callables only by whole blocks.

    Each callable is warmed up and timed once to choose its number of calls per block (about
    ``block_seconds`` worth, between ``min_calls`` and ``max_calls``). Then ``blocks`` rounds run:
    in each, every callable runs one block: a pause of ``settle`` seconds, so that the threads the
    previous block left spinning go to sleep (measured here: a 2-thread numpy product leaves
    PyTorch's next calls up to 20 times slower for about 50 ms), a warm-up call, then its calls,
    each timed; the block's value is their median. When no ``blocks`` of a callable's blocks agree
    within ``tolerance``, that callable runs another block, in another round, at most
    ``retries`` rounds; its time is the median of the ``blocks`` blocks that agree best
    (:attr:`Timing.kept`). A timing that is still unstable says so (:attr:`Timing.stable`) and
    must not be reported.

    Parameters:
        callables: a mapping of names to functions without arguments.
        threads: threads numpy's BLAS and PyTorch may use (:func:`thread_limit`).
        blocks: blocks that must agree per callable (at least 2, so that they can be compared).
        block_seconds: the time a block should take.
        min_calls, max_calls: bounds on the calls per block.
        tolerance: how much two blocks may differ (0.15: 15%).
        retries: how many extra rounds may be run to reach stable blocks.
        settle: seconds of pause before each block.

    Returns:
        a dict of :class:`Timing`, in the order of ``callables``.

    Example:
        >>> work = {"sum": lambda: sum(range(1000))}
        >>> result = time_blocks(work, threads=1, block_seconds=0.01, settle=0)
        >>> result["sum"].calls >= 3, len(result["sum"].kept)
        (True, 2)
    """
    fns = _callables(callables)
    threads = check_int("threads", threads, minimum=1)
    blocks = check_int("blocks", blocks, minimum=2)
    block_seconds = check_real("block_seconds", block_seconds, minimum=0.0)
    min_calls = check_int("min_calls", min_calls, minimum=1)
    max_calls = check_int("max_calls", max_calls, minimum=min_calls)
    tolerance = check_real("tolerance", tolerance, minimum=0.0)
    retries = check_int("retries", retries, minimum=0)
    settle = check_real("settle", settle, minimum=0.0)
    with thread_limit(threads):
        calls = {}
        for name, fn in fns.items():
            fn()
            once = max(_one_call_ms(fn), 1e-6)
            calls[name] = min(max_calls, max(min_calls, round(1e3 * block_seconds / once)))
        runs = {name: [] for name in fns}
        for _ in range(blocks):
            for name, fn in fns.items():
                runs[name].append(_block(fn, calls[name], settle))
        for _ in range(retries):
            unstable = [name for name in fns
                        if not Timing(name, threads, calls[name], tuple(runs[name]), tolerance, blocks).stable]
            if not unstable:
                break
            for name in unstable:
                runs[name].append(_block(fns[name], calls[name], settle))
    return {name: Timing(name, threads, calls[name], tuple(runs[name]), tolerance, blocks) for name in fns}


def time_interleaved(callables, *, threads: int = 2, calls: int = 20) -> dict[str, float]:
    """The wrong way, kept to show its effect: one call of each callable in turn, ``calls`` times.

    Returns the median milliseconds per callable. Compare with :func:`time_blocks` on the same
    callables: with two libraries whose thread pools spin after a call, both come out slower.

    Example:
        >>> work = {"a": lambda: None, "b": lambda: None}
        >>> sorted(time_interleaved(work, threads=1, calls=3))
        ['a', 'b']
    """
    fns = _callables(callables)
    calls = check_int("calls", calls, minimum=1)
    samples = {name: [] for name in fns}
    with thread_limit(threads):
        for fn in fns.values():
            fn()
        for _ in range(calls):
            for name, fn in fns.items():
                samples[name].append(_one_call_ms(fn))
    return {name: statistics.median(s) for name, s in samples.items()}


def gemm_gflops(n: int = 1024, *, threads: int = 2, library: str = "numpy", block_seconds: float = 0.25,
                settle: float = 0.25) -> tuple[float, Timing]:
    """Speed of an ``n x n`` float32 matrix product: near the machine's peak for dense arithmetic.

    Returns ``(GFLOP/s, the Timing)``, counting ``2 n^3`` FLOPs per product. ``library`` is
    ``'numpy'`` or ``'torch'``; ``block_seconds`` and ``settle`` go to :func:`time_blocks`.

    Example:
        >>> gflops, timing = gemm_gflops(64, threads=1)
        >>> gflops > 0
        True
    """
    n = check_int("n", n, minimum=1)
    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    if library == "numpy":
        out = np.empty_like(a)
        fn = lambda: np.matmul(a, a, out=out)  # noqa: E731
    elif library == "torch":
        import torch

        at = torch.from_numpy(a)
        fn = lambda: torch.mm(at, at)  # noqa: E731
    else:
        raise ValueError(f"library={library!r} must be 'numpy' or 'torch'")
    timing = time_blocks({f"{library} {n}x{n} matmul": fn}, threads=threads, block_seconds=block_seconds,
                         settle=settle)
    (t,) = timing.values()
    return 2 * n**3 / (t.median_ms * 1e-3) / 1e9, t


def copy_bandwidth_gbps(nbytes: int, *, block_seconds: float = 0.25, settle: float = 0.25) -> tuple[float, Timing]:
    """Memory bandwidth seen by a copy of ``nbytes`` bytes (read + write counted), one thread.

    A copy much larger than the last-level cache measures main memory; one that fits in a cache
    measures that cache. Returns ``(GB/s, the Timing)``; ``block_seconds`` and ``settle`` go to
    :func:`time_blocks`.

    Example:
        >>> gbps, timing = copy_bandwidth_gbps(1 << 16)
        >>> gbps > 0
        True
    """
    nbytes = check_int("nbytes", nbytes, minimum=4)
    src = np.ones(nbytes // 4, dtype=np.float32)
    dst = np.empty_like(src)
    timing = time_blocks({f"copy {nbytes / 2**20:.3g} MiB": lambda: np.copyto(dst, src)}, threads=1,
                         block_seconds=block_seconds, settle=settle)
    (t,) = timing.values()
    return 2 * src.nbytes / (t.median_ms * 1e-3) / 1e9, t


def machine() -> dict:
    """What a published number was measured on: processor, cores, versions, date, load."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for name in ("torch", "convtutor"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", "?")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"cpu": model, "cores": os.cpu_count(), "versions": versions,
            "date": datetime.date.today().isoformat(), "load_average_1min": load}


# ------------------------------------------------------------------ the layers of chapter 7

@dataclass(frozen=True)
class Step:
    """One convolution of a benchmarked layer (a layer may have two: depthwise then pointwise)."""

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, int]
    stride: int = 1
    padding: tuple[int, int] = (0, 0)
    dilation: int = 1
    groups: int = 1
    transposed: bool = False


def _c(cin, cout, k, **kw) -> Step:
    k = (k, k) if isinstance(k, int) else k
    p = kw.pop("padding", ((k[0] - 1) // 2, (k[1] - 1) // 2))
    return Step(cin, cout, k, padding=p, **kw)


# name -> (input height and width, steps); every layer produces a 64-channel 56 x 56 map,
# except the cross-check layers of bench_core ("B", "E", "F" of the fast-core issue)
LAYERS: dict[str, tuple[int, tuple[Step, ...]]] = {
    "standard 3x3": (56, (_c(64, 64, 3),)),
    "dilated 3x3, d=2": (56, (_c(64, 64, 3, padding=(2, 2), dilation=2),)),
    "transposed 4x4, s=2": (28, (Step(64, 64, (4, 4), 2, (1, 1), transposed=True),)),
    "separable 3x1 + 1x3": (56, (_c(64, 64, (3, 1)), _c(64, 64, (1, 3)))),
    "depthwise 3x3": (56, (_c(64, 64, 3, groups=64),)),
    "pointwise 1x1": (56, (_c(64, 64, 1),)),
    "depthwise separable": (56, (_c(64, 64, 3, groups=64), _c(64, 64, 1))),
}


def _shape(step: Step, size: int):
    if step.transposed:
        return conv_transpose_shape((size, size), step.kernel_size, step.stride, step.padding, 0, step.dilation,
                                    in_channels=step.in_channels, out_channels=step.out_channels,
                                    groups=step.groups)
    return conv_shape((size, size), step.kernel_size, step.stride, step.padding, step.dilation,
                      in_channels=step.in_channels, out_channels=step.out_channels, groups=step.groups)


def _layer(name_or_layer):
    if isinstance(name_or_layer, str):
        if name_or_layer not in LAYERS:
            raise ValueError(f"layer={name_or_layer!r} is not one of {', '.join(map(repr, LAYERS))}")
        return LAYERS[name_or_layer]
    size, steps = name_or_layer
    return check_int("input size", size, minimum=1), tuple(steps)


def layer_macs(layer) -> int:
    """Multiply-adds of one example through a layer of :data:`LAYERS` (a name) or ``(size, steps)``.

    Example:
        >>> layer_macs("depthwise separable")   # 56 * 56 * (64 * 9 + 64 * 64)
        14651392
    """
    size, steps = _layer(layer)
    total = 0
    for step in steps:
        shape = _shape(step, size)
        total += shape.macs
        size = shape.output_size[0]
    return total


def _float_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype={dtype} must be float32 or float64")
    return dtype


def _weights(steps, dtype, rng) -> list[np.ndarray]:
    """Seeded weights of the steps, scaled by 1/sqrt(fan-in) (drawn before the input, so that the
    weights do not depend on the batch size)."""
    weights = []
    for s in steps:
        shape = ((s.in_channels, s.out_channels // s.groups) if s.transposed
                 else (s.out_channels, s.in_channels // s.groups)) + tuple(s.kernel_size)
        w = rng.standard_normal(shape) / math.sqrt(math.prod(shape[1:]))
        weights.append(w.astype(dtype))
    return weights


def layer_callables(layer, batch: int = 1, *, dtype=np.float32, seed: int = 0) -> dict[str, Callable[[], object]]:
    """The same layer, with the same weights and input, as a ``torch`` and a ``convtutor`` call.

    ``layer`` is a name of :data:`LAYERS` or ``(size, steps)``. Both callables compute the whole
    layer for a batch of ``batch`` images of ``dtype`` (float32 or float64; PyTorch under
    ``torch.no_grad``).

    Example:
        >>> calls = layer_callables("pointwise 1x1")
        >>> sorted(calls)
        ['convtutor', 'torch']
    """
    import torch
    import torch.nn.functional as F

    from .conv import conv2d
    from .transposed import conv_transpose2d

    size, steps = _layer(layer)
    batch = check_int("batch", batch, minimum=1)
    dtype = _float_dtype(dtype)
    rng = np.random.default_rng(seed)
    weights = _weights(steps, dtype, rng)
    x = rng.standard_normal((batch, steps[0].in_channels, size, size)).astype(dtype)
    xt, wts = torch.from_numpy(x), [torch.from_numpy(w) for w in weights]

    def with_numpy():
        y = x
        for s, w in zip(steps, weights):
            if s.transposed:
                y = conv_transpose2d(y, w, stride=s.stride, padding=s.padding, groups=s.groups, dilation=s.dilation)
            else:
                y = conv2d(y, w, stride=s.stride, padding=s.padding, dilation=s.dilation, groups=s.groups)
        return y

    def with_torch():
        with torch.no_grad():
            y = xt
            for s, w in zip(steps, wts):
                if s.transposed:
                    y = F.conv_transpose2d(y, w, stride=s.stride, padding=s.padding, groups=s.groups,
                                           dilation=s.dilation)
                else:
                    y = F.conv2d(y, w, stride=s.stride, padding=s.padding, dilation=s.dilation, groups=s.groups)
            return y

    return {"torch": with_torch, "convtutor": with_numpy}


# ------------------------------------------------------------------ is a run reportable?

@dataclass(frozen=True)
class Check:
    """One plausibility check of a run: its name, whether it passed, and the numbers behind it."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Verdict:
    """The checks of a run; it may be reported only if every one passed."""

    checks: tuple[Check, ...]

    @property
    def reportable(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    def __str__(self) -> str:
        return _check_lines([(c.name, c.passed, c.detail) for c in self.checks], self.reportable)


def _check_lines(checks, reportable: bool, width: int = 76) -> str:
    """The verdict as text, wrapped to ``width`` characters (the book's code column)."""
    import textwrap

    head = "reportable" if reportable else "NOT reportable: a check failed, do not use these numbers"
    lines = [head]
    for name, passed, detail in checks:
        lines += textwrap.wrap(f"{'ok  ' if passed else 'FAIL'} {name}: {detail}", width,
                               subsequent_indent="     ", break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines)


# layers whose time should grow with the batch (compute-bound), and the dense one held to the peak
COMPUTE_BOUND = ("standard 3x3", "dilated 3x3, d=2")
DENSE = "standard 3x3"
LIGHT = "depthwise 3x3"   # 64 times less work than DENSE: it must take less time
# A layer whose time must match the sum of its parts' (the same work): the layer, its parts, and
# how far the ratio may stray (extra passes over memory, noise) before the run is not believed.
SAME_WORK = (("depthwise separable", ("depthwise 3x3", "pointwise 1x1"), (0.5, 2.0)),
             ("dilated 3x3, d=2", ("standard 3x3",), (1 / 1.5, 1.5)))


def check_run(run: Mapping, *, batch_ratio=(3.0, 12.0), peak_fraction: float = 0.2) -> Verdict:
    """The plausibility checks of a measured run (the layout of ``book/data/reference_run.json``).

    * cache bandwidth above main-memory bandwidth;
    * for each compute-bound layer, a batch of 8 takes ``batch_ratio[0]`` to ``batch_ratio[1]``
      times as long as a batch of 1 (in each library);
    * PyTorch's dense standard layer at batch 8 runs at least ``peak_fraction`` of the matrix
      product's speed (``compute_peak_gflops``);
    * the depthwise layer, with 64 times fewer multiply-adds, takes less time than the standard
      one (in each library and batch): a run in which every layer takes about the same time,
      whatever its work, measured stalled threads, not layers;
    * a layer takes about as long as the layers that do the same work (:data:`SAME_WORK`, in each
      library and batch): the depthwise separable layer as its depthwise and pointwise steps
      together, the dilated layer as the standard one. A timing that a stall inflated several
      times over can pass every other check;
    * every timing of the run was stable (its blocks agreed), where the run records it.

    A check whose numbers the run does not hold (a run of a few layers, one library, no roofs:
    a live run, :func:`live_run`) is left out, so a smaller run is held to fewer checks.

    Example:
        >>> layer = {"macs": 10**8, "torch_ms": {"1": 5.0, "8": 35.0},
        ...          "convtutor_ms": {"1": 8.0, "8": 60.0}}
        >>> run = {"compute_peak_gflops": 100.0,
        ...        "bandwidth_gbps": {"main": 10.0, "cache": 40.0},
        ...        "layers": {"standard 3x3": layer}}
        >>> check_run(run).reportable
        True
    """
    low, high = batch_ratio
    checks = []
    bw = run.get("bandwidth_gbps", {})
    if "cache" in bw and "main" in bw:
        checks.append(Check("cache faster than main memory", bw["cache"] > bw["main"],
                            f"cache {bw['cache']:.1f} GB/s, main memory {bw['main']:.1f} GB/s"))
    layers = run["layers"]
    for name in COMPUTE_BOUND:
        if name not in layers:
            continue
        for lib in ("torch", "convtutor"):
            ms = layers[name].get(f"{lib}_ms", {})
            if "1" not in ms or "8" not in ms:
                continue
            ratio = ms["8"] / ms["1"]
            checks.append(Check(f"{name}, {lib}: batch 8 / batch 1 within {low:g}-{high:g}x",
                                low <= ratio <= high, f"{ratio:.2f}x ({ms['1']:.3g} ms, {ms['8']:.3g} ms)"))
    if DENSE in layers and "8" in layers[DENSE].get("torch_ms", {}) and "compute_peak_gflops" in run:
        layer = layers[DENSE]
        gflops = 2 * layer["macs"] * 8 / (layer["torch_ms"]["8"] * 1e-3) / 1e9
        peak = run["compute_peak_gflops"]
        checks.append(Check(f"{DENSE} (torch, batch 8) within reach of the matrix-product peak",
                            gflops >= peak_fraction * peak,
                            f"{gflops:.0f} GFLOP/s against a peak of {peak:.0f} (at least {peak_fraction:.0%})"))
    if DENSE in layers and LIGHT in layers:
        for lib in ("torch", "convtutor"):
            for batch, dense_ms in layers[DENSE].get(f"{lib}_ms", {}).items():
                light_ms = layers[LIGHT].get(f"{lib}_ms", {}).get(batch)
                if light_ms is not None:
                    checks.append(Check(f"{LIGHT} faster than {DENSE}, {lib}, batch {batch}",
                                        light_ms < dense_ms, f"{light_ms:.3g} ms against {dense_ms:.3g} ms"))
    for name, parts, (lo, hi) in SAME_WORK:
        if name not in layers or any(part not in layers for part in parts):
            continue
        for lib in ("torch", "convtutor"):
            for batch, ms in layers[name].get(f"{lib}_ms", {}).items():
                sums = [layers[part].get(f"{lib}_ms", {}).get(batch) for part in parts]
                if None in sums:
                    continue
                ratio = ms / sum(sums)
                checks.append(Check(f"{name} as long as {' + '.join(parts)} ({lo:.2g}-{hi:.2g}x), {lib}, batch {batch}",
                                    lo <= ratio <= hi, f"{ratio:.2f}x ({ms:.3g} ms against {sum(sums):.3g} ms)"))
    unstable = [name for name, stable in run.get("stable", {}).items() if not stable]
    if "stable" in run:
        checks.append(Check("every timing stable (blocks agree)", not unstable,
                            "all blocks agree" if not unstable else "unstable: " + ", ".join(unstable)))
    return Verdict(tuple(checks))


# ------------------------------------------------------------------ the layers' costs, and runs for the chapters

def layer_parameters(layer) -> int:
    """Learnable values of a layer of :data:`LAYERS` (a name) or ``(size, steps)``: its weights (no bias).

    Example:
        >>> layer_parameters("depthwise separable")     # 64 * 9 + 64 * 64
        4672
    """
    _, steps = _layer(layer)
    return sum(conv_parameters(s.in_channels, s.out_channels, s.kernel_size, s.groups, bias=False) for s in steps)


class Traffic(NamedTuple):
    """The fewest bytes one call of a layer must move: every value read or written once.

    ``input`` and ``output`` are the feature maps, ``between`` the map a two-step layer writes
    and reads back (0 for one step), ``weights`` the weights (read once per call, whatever the
    batch).
    """

    input: int
    between: int
    output: int
    weights: int

    @property
    def total(self) -> int:
        """``input + 2 * between + output + weights``: the map between two steps is written, then read."""
        return self.input + 2 * self.between + self.output + self.weights


def layer_traffic(layer, batch: int = 1, itemsize: int = 4) -> Traffic:
    """The smallest memory traffic of one call of a layer, in bytes (``itemsize`` 4: float32).

    A lower bound: a real implementation moves more (it reads some values more than once,
    converts layouts, or writes scratch buffers).

    Example:
        >>> # 64 x 56 x 56 float32 maps: 802816 bytes each
        >>> layer_traffic("depthwise separable")
        Traffic(input=802816, between=802816, output=802816, weights=18688)
    """
    size, steps = _layer(layer)
    batch = check_int("batch", batch, minimum=1)
    itemsize = check_int("itemsize", itemsize, minimum=1)
    maps = []
    for step in steps:
        shape = _shape(step, size)
        maps.append(step.out_channels * math.prod(shape.output_size))
        size = shape.output_size[0]
    first = _layer(layer)[0]
    return Traffic(batch * steps[0].in_channels * first * first * itemsize,
                   batch * sum(maps[:-1]) * itemsize, batch * maps[-1] * itemsize,
                   layer_parameters(layer) * itemsize)


def layer_intensity(layer, batch: int = 1, itemsize: int = 4) -> float:
    """Arithmetic intensity of a layer: FLOPs (2 per multiply-add) per byte of its smallest traffic.

    ``2 * MACs * batch / layer_traffic(layer, batch).total``. A layer below the machine's balance
    (peak FLOP/s divided by bandwidth in bytes/s) is memory-bound (Williams et al., 2009).

    Example:
        >>> # 18 FLOPs for each 8 bytes in and out
        >>> round(layer_intensity("depthwise 3x3"), 2)
        2.25
    """
    batch = check_int("batch", batch, minimum=1)
    return 2 * layer_macs(layer) * batch / layer_traffic(layer, batch, itemsize).total


def attainable_gflops(intensity, peak_gflops, bandwidth_gbps) -> float:
    """The roofline: the fastest a kernel of a given intensity can run, ``min(peak, intensity * bandwidth)``.

    Parameters:
        intensity: FLOPs per byte.
        peak_gflops: the machine's compute peak, GFLOP/s.
        bandwidth_gbps: its memory bandwidth, GB/s.

    Example:
        >>> attainable_gflops(2.25, 100.0, 20.0)
        45.0
        >>> attainable_gflops(130.0, 100.0, 20.0)
        100.0
    """
    intensity = check_real("intensity", intensity, minimum=0.0)
    peak = check_real("peak_gflops", peak_gflops, minimum=0.0)
    bandwidth = check_real("bandwidth_gbps", bandwidth_gbps, minimum=0.0)
    return min(peak, intensity * bandwidth)


def layer_module(layer, *, seed: int = 0, dtype=np.float32):
    """The layer as a ``torch.nn.Sequential`` of ``Conv2d`` / ``ConvTranspose2d`` without bias.

    Its weights are those of :func:`layer_callables` with the same ``seed`` (its ``'torch'`` call
    and this module compute the same output).

    Example:
        >>> module = layer_module("depthwise separable")
        >>> [tuple(p.shape) for p in module.parameters()]
        [(64, 1, 3, 3), (64, 64, 1, 1)]
    """
    import torch
    from torch import nn

    _, steps = _layer(layer)
    weights = _weights(steps, _float_dtype(dtype), np.random.default_rng(seed))
    modules = []
    for s, w in zip(steps, weights):
        cls = nn.ConvTranspose2d if s.transposed else nn.Conv2d
        m = cls(s.in_channels, s.out_channels, s.kernel_size, stride=s.stride, padding=s.padding,
                dilation=s.dilation, groups=s.groups, bias=False)
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(w))
        modules.append(m.to(torch.float64) if w.dtype == np.float64 else m)
    return nn.Sequential(*modules)


def scratch_bytes(fn: Callable[[], np.ndarray]) -> int:
    """Peak bytes allocated while ``fn()`` runs, beyond the array it returns (``tracemalloc``).

    ``fn`` is called once untraced first, so that one-time work (imports, caches) is not counted;
    then once under ``tracemalloc``, which sees numpy's array buffers and Python's objects. The
    fast path keeps its buffers between calls (a workspace per thread); it is dropped before
    the traced call, so that it is allocated again and counted. The
    result varies by a few kilobytes from run to run: the Python objects the call creates and
    frees (print it rounded to 0.1 MB, or compare it with a tolerance).

    Example:
        >>> x = np.zeros(1000)
        >>> # x + 1: a temporary of 8000 bytes
        >>> 8000 <= scratch_bytes(lambda: (x + 1) * 2) < 8500
        True
    """
    import tracemalloc

    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    fn()
    _compute.release_workspace()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return max(0, peak - before - getattr(out, "nbytes", 0))


LIBRARIES = ("torch", "convtutor")


def _round4(x: float) -> float:
    """Four significant digits: what a run stores."""
    return float(f"{x:.4g}")


def measure_layers(names=None, batches=(1, 8), *, libraries=LIBRARIES, threads: int = 2, blocks: int = 3,
                   retries: int = 4, block_seconds: float = 0.25, settle: float = 0.25) -> tuple[dict, dict]:
    """Time layers of :data:`LAYERS` with :func:`time_blocks`: the ``layers`` and ``stable`` of a run.

    For each name and batch, the libraries' calls (:func:`layer_callables`) are timed in blocks of
    their own. Returns ``(layers, stable)`` in the layout of ``book/data/reference_run.json``:
    ``layers[name] = {"macs", "<library>_ms": {"<batch>": ms}}`` (4 significant digits) and
    ``stable["<name> <library> <batch>"]``.

    Example:
        >>> layers, stable = measure_layers(
        ...     ["pointwise 1x1"], (1,), libraries=("torch",),
        ...     block_seconds=0.01, settle=0, blocks=2, retries=0)
        >>> sorted(layers["pointwise 1x1"]), list(stable)
        (['macs', 'torch_ms'], ['pointwise 1x1 torch 1'])
    """
    names = list(LAYERS) if names is None else [names] if isinstance(names, str) else list(names)
    libraries = (libraries,) if isinstance(libraries, str) else tuple(libraries)
    for lib in libraries:
        if lib not in LIBRARIES:
            raise ValueError(f"libraries has {lib!r}, which is not one of {', '.join(map(repr, LIBRARIES))}")
    batches = [check_int("batches", b, minimum=1) for b in batches]
    layers, stable = {}, {}
    for name in names:
        row = {"macs": layer_macs(name)} | {f"{lib}_ms": {} for lib in libraries}
        for batch in batches:
            calls = layer_callables(name, batch)
            times = time_blocks({lib: calls[lib] for lib in libraries}, threads=threads, blocks=blocks,
                                retries=retries, block_seconds=block_seconds, settle=settle)
            for lib, t in times.items():
                row[f"{lib}_ms"][str(batch)] = _round4(t.median_ms)
                stable[f"{name} {lib} {batch}"] = t.stable
        layers[name] = row
    return layers, stable


def measure_roofs(*, threads: int = 2, libraries=("numpy", "torch"), main_bytes: int = 256 << 20,
                  cache_bytes: int = 512 << 10, block_seconds: float = 0.25, settle: float = 0.25) -> dict:
    """The two roofs of the roofline: the matrix-product peak and the copy bandwidths of a run.

    A 1024 x 1024 float32 product per library (:func:`gemm_gflops`; the fastest is the peak) and
    two copies (:func:`copy_bandwidth_gbps`): ``main_bytes``, larger than the caches, and
    ``cache_bytes``, which fits in one. Returns ``{"compute_peak_gflops", "gemm_gflops",
    "bandwidth_gbps": {"main", "cache"}, "stable"}`` in the layout of a run.
    """
    kw = dict(block_seconds=block_seconds, settle=settle)
    peaks = {lib: gemm_gflops(1024, threads=threads, library=lib, **kw) for lib in libraries}
    main, t_main = copy_bandwidth_gbps(main_bytes, **kw)
    cache, t_cache = copy_bandwidth_gbps(cache_bytes, **kw)
    stable = {t.name: t.stable for t in (t_main, t_cache, *(t for _, t in peaks.values()))}
    return {"compute_peak_gflops": _round4(max(g for g, _ in peaks.values())),
            "gemm_gflops": {lib: _round4(g) for lib, (g, _) in peaks.items()},
            "bandwidth_gbps": {"main": _round4(main), "cache": _round4(cache)}, "stable": stable}


def live_run(names, batches=(1, 8), *, libraries=("torch",), roofs: bool = False, threads: int = 2,
             blocks: int = 2, retries: int = 1, block_seconds: float = 0.1, settle: float = 0.1) -> dict:
    """A few seconds of the reference run's measurements on this machine, checked like it.

    The same calls and the same helper as ``benchmarks/reference_run.py`` (:func:`measure_layers`,
    and :func:`measure_roofs` when ``roofs``), with shorter blocks; the result has the layout of
    ``book/data/reference_run.json`` (only the layers, batches and libraries asked for), with
    ``reportable`` and ``checks`` from :func:`check_run`. Compare it with the reference with
    :func:`side_by_side`.
    """
    kw = dict(threads=threads, block_seconds=block_seconds, settle=settle)
    info = machine()
    run = {"machine": {"cpu": info["cpu"], "cores": info["cores"], "threads": threads,
                       "load_average_1min": _round4(info["load_average_1min"] or 0.0)},
           "versions": info["versions"], "date": info["date"], "stable": {}}
    if roofs:
        measured = measure_roofs(libraries=[lib if lib == "torch" else "numpy" for lib in libraries], **kw)
        run["stable"].update(measured.pop("stable"))
        run.update(measured)
    run["layers"], stable = measure_layers(names, batches, libraries=libraries, blocks=blocks, retries=retries, **kw)
    run["stable"].update(stable)
    verdict = check_run(run)
    run["reportable"] = verdict.reportable
    run["checks"] = [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in verdict.checks]
    return run


def describe_run(run: Mapping, width: int = 76) -> str:
    """Where and when a run was measured, whether it may be reported, and its checks, as text.

    The checks are those stored with the run (``run["checks"]``), else :func:`check_run`'s.
    Lines are wrapped to ``width`` characters.

    Example:
        >>> machine = {"cpu": "Some CPU", "cores": 2, "threads": 2,
        ...            "load_average_1min": 0.1}
        >>> check = {"name": "cache faster than main memory",
        ...          "passed": True, "detail": "yes"}
        >>> run = {"machine": machine, "date": "2026-01-01",
        ...        "versions": {"numpy": "2.4"}, "layers": {},
        ...        "checks": [check], "reportable": True}
        >>> print(describe_run(run))
        Some CPU, 2 cores, 2 threads, load average 0.1 (1 minute)
        measured 2026-01-01 with numpy 2.4
        reportable
        ok   cache faster than main memory: yes
    """
    import textwrap

    width = check_int("width", width, minimum=40)
    m = run.get("machine", {})
    lines = [f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('threads', '?')} threads, "
             f"load average {m.get('load_average_1min', '?')} (1 minute)",
             f"measured {run.get('date', '?')} with "
             + ", ".join(f"{k} {v}" for k, v in run.get("versions", {}).items())]
    if "command" in run:
        lines.append(f"command: {run['command']}")
    text = "\n".join(textwrap.fill(line, width, subsequent_indent="  ", break_on_hyphens=False) for line in lines)
    if "checks" in run:
        checks = [(c["name"], c["passed"], c["detail"]) for c in run["checks"]]
        reportable = run.get("reportable", all(c[1] for c in checks))
    else:
        verdict = check_run(run)
        checks = [(c.name, c.passed, c.detail) for c in verdict.checks]
        reportable = verdict.reportable
    return text + "\n" + _check_lines(checks, reportable, width)


def side_by_side(reference: Mapping, live: Mapping) -> str:
    """The numbers of a live run beside the reference's: roofs, then each layer, library and batch.

    Only what the live run measured is listed; the last column is live / reference (above 1:
    slower here, for times; faster, for speeds). Lines are at most 76 characters.

    Example:
        >>> def run(ms):
        ...     layer = {"macs": 1, "torch_ms": {"1": ms}}
        ...     return {"layers": {"pointwise 1x1": layer}}
        >>> ref, here = run(0.5), run(0.75)
        >>> print(side_by_side(ref, here))  # doctest: +NORMALIZE_WHITESPACE
        reference here here/ref
        pointwise 1x1, torch, batch 1 0.5 ms 0.75 ms 1.50x
    """
    rows = [f"{'':40}{'reference':>13}{'here':>13}{'here/ref':>10}"]

    def row(label, ref, here, unit):
        ratio = f"{here / ref:.2f}x" if ref else ""
        rows.append(f"{label:40}{ref:>8.4g} {unit:4}{here:>8.4g} {unit:4}{ratio:>10}")

    if "compute_peak_gflops" in live:
        row("matrix product (the peak)", reference.get("compute_peak_gflops", 0), live["compute_peak_gflops"],
            "GF/s")
    for key, label in (("main", "copy, main memory"), ("cache", "copy, cache")):
        if key in live.get("bandwidth_gbps", {}):
            row(label, reference.get("bandwidth_gbps", {}).get(key, 0), live["bandwidth_gbps"][key], "GB/s")
    for name, layer in live["layers"].items():
        ref_layer = reference.get("layers", {}).get(name, {})
        for lib in LIBRARIES:
            for batch, ms in layer.get(f"{lib}_ms", {}).items():
                ref_ms = ref_layer.get(f"{lib}_ms", {}).get(batch, 0)
                row(f"{name}, {lib}, batch {batch}", ref_ms, ms, "ms")
    return "\n".join(rows)
