"""Random layers computed by convtutor and by PyTorch, side by side: the chapters' cross-check.

:func:`compare_with_torch` draws random valid layers (channels, groups, kernel, stride, padding,
dilation, output_padding; batched or not; 1-D to 3-D), runs each through the package and through
``torch.nn.functional`` on the same arrays, and reports how many agree in shape and values. The
chapters print its table; the test suite holds the package to a far larger random search
(``tests/test_properties.py``). PyTorch is imported only when this runs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from ._validation import check_choice, check_int

__all__ = ["Comparison", "random_layer", "compare_with_torch", "table"]

KINDS = ("conv", "transposed")


@dataclass(frozen=True)
class Comparison:
    """How the package and PyTorch compared on the random layers of one kind and dimension."""

    kind: str
    dims: int
    layers: int
    equal: int
    max_error: float
    failures: tuple[str, ...]

    @property
    def all_equal(self) -> bool:
        """Whether every layer agreed."""
        return self.equal == self.layers


def random_layer(rng: np.random.Generator, dims: int, kind: str = "conv", dtype=np.float64) -> dict:
    """One random valid layer: ``input``, ``weight``, ``bias`` and the keyword arguments.

    Example:
        >>> layer = random_layer(np.random.default_rng(0), 2)
        >>> sorted(layer)
        ['bias', 'input', 'kwargs', 'weight']
    """
    dims = check_int("dims", dims, minimum=1)
    kind = check_choice("kind", kind, KINDS)

    def ints(low, high):
        return tuple(int(v) for v in rng.integers(low, high, size=dims))

    groups = int(rng.choice([1, 1, 2, 3]))
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    k, s, d = ints(1, 5 if dims < 3 else 4), ints(1, 4), ints(1, 3)
    batch = (int(rng.integers(1, 3)),) if rng.random() < 0.8 else ()
    if kind == "conv":
        if s == (1,) * dims and rng.random() < 0.3:
            p = str(rng.choice(["same", "valid"]))
        else:
            p = ints(0, 3) if rng.random() < 0.5 else int(rng.integers(0, 3))
        pads = (0,) * dims if p in ("same", "valid") else (p if isinstance(p, tuple) else (p,) * dims)
        size = tuple(dd * (kk - 1) + 1 - 2 * pp + int(rng.integers(0, 5)) for kk, dd, pp in zip(k, d, pads))
        size = tuple(max(1, v) for v in size)
        weight = rng.standard_normal((c_out, c_in // groups, *k))
        kwargs = dict(stride=s, padding=p, dilation=d, groups=groups)
    else:
        size = ints(1, 5)
        p = ints(0, 3)
        a = tuple(int(rng.integers(0, max(ss, dd))) for ss, dd in zip(s, d))
        # padding may not crop everything: keep the output at least one cell
        p = tuple(min(pp, ((i - 1) * ss + dd * (kk - 1) + aa) // 2)
                  for pp, i, ss, dd, kk, aa in zip(p, size, s, d, k, a))
        weight = rng.standard_normal((c_in, c_out // groups, *k))
        kwargs = dict(stride=s, padding=p, output_padding=a, groups=groups, dilation=d)
    x = rng.standard_normal((*batch, c_in, *size)).astype(dtype)
    bias = rng.standard_normal(c_out).astype(dtype) if rng.random() < 0.5 else None
    return {"input": x, "weight": weight.astype(dtype), "bias": bias, "kwargs": kwargs}


def _package_functions() -> dict:
    from . import conv, transposed

    return {("conv", n): getattr(conv, f"conv{n}d") for n in (1, 2, 3)} | \
           {("transposed", n): getattr(transposed, f"conv_transpose{n}d") for n in (1, 2, 3)}


def compare_with_torch(layers: int = 40, *, dims=(1, 2, 3), kinds=KINDS, seed: int = 0, dtype=np.float64,
                       functions: Mapping[tuple[str, int], Callable] | None = None) -> list[Comparison]:
    """Run ``layers`` random layers of each kind and dimension through the package and PyTorch.

    Parameters:
        layers: random layers per (kind, dimension).
        dims: the numbers of spatial dimensions to try.
        kinds: ``'conv'`` and/or ``'transposed'``.
        seed: seed of the random layers (the same seed gives the same layers).
        dtype: float64 (compared to 1e-10) or float32 (to 1e-4).
        functions: replace the package's function for a ``(kind, dims)`` (to see the check fail).

    Returns:
        one :class:`Comparison` per (kind, dimension).

    Example:
        >>> results = compare_with_torch(3, dims=(2,), kinds=("conv",))
        >>> [c.all_equal for c in results]
        [True]
    """
    import torch
    import torch.nn.functional as F

    layers = check_int("layers", layers, minimum=1)
    for kind in kinds:
        check_choice("kinds", kind, KINDS)
    tol = 1e-10 if np.dtype(dtype) == np.float64 else 1e-4
    ours = _package_functions() | dict(functions or {})
    theirs = {("conv", n): getattr(F, f"conv{n}d") for n in (1, 2, 3)} | \
             {("transposed", n): getattr(F, f"conv_transpose{n}d") for n in (1, 2, 3)}
    rng = np.random.default_rng(seed)
    out = []
    for kind in kinds:
        for n in dims:
            equal, worst, failures = 0, 0.0, []
            for _ in range(layers):
                layer = random_layer(rng, n, kind, dtype)
                args = [layer["input"], layer["weight"], layer["bias"]]
                mine = ours[kind, n](*args, **layer["kwargs"])
                with torch.no_grad(), warnings.catch_warnings():
                    warnings.filterwarnings("ignore", "Using padding='same'", UserWarning)  # torch's note
                    ref = theirs[kind, n](*(None if a is None else torch.from_numpy(np.array(a)) for a in args),
                                          **layer["kwargs"]).numpy()
                if mine.shape == ref.shape:
                    err = float(np.max(np.abs(mine - ref), initial=0.0))
                    worst = max(worst, err)
                    if np.allclose(mine, ref, rtol=tol, atol=tol):
                        equal += 1
                        continue
                if len(failures) < 3:
                    failures.append(f"{kind}{n}d input {layer['input'].shape} weight {layer['weight'].shape} "
                                    f"{layer['kwargs']}")
            out.append(Comparison(kind, n, layers, equal, worst, tuple(failures)))
    return out


def table(comparisons) -> str:
    """The comparisons as a small text table (deterministic, for printing in a notebook)."""
    lines = ["function             layers  equal to torch  largest difference"]
    for c in comparisons:
        name = f"conv{c.dims}d" if c.kind == "conv" else f"conv_transpose{c.dims}d"
        lines.append(f"{name:20} {c.layers:6}  {c.equal:6} ({'all' if c.all_equal else 'NOT all'})"
                     f"   {'< 1e-12' if c.max_error < 1e-12 else f'{c.max_error:.1e}'}")
    return "\n".join(lines)
