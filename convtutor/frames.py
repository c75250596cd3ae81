"""What one frame of a picture shows: the model behind every drawing of a convolution at work.

A frame has two panels, the grid the kernel slides over (left; for a transposed convolution the
input with zeros inserted and padding added) and the output (right). :func:`frame_model` gives,
for one output cell (``view='conv'``) or one input cell (``view='scatter'``), each cell's kind,
whether it is lit (under the kernel, or being written), its value and the weight over it, as
plain arrays read from :mod:`convtutor.geometry`. matplotlib draws these models
(:mod:`convtutor.drawing`, :mod:`convtutor.export`); the browser's explorer draws the same
geometry in JavaScript (:mod:`convtutor.explorer`). Nothing here imports matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_numeric_array, check_choice
from .geometry import Geometry

__all__ = ["STYLE", "LEGEND", "INK", "EDGE", "VIEWS", "rgb", "Panel", "Picture", "frame_model", "frame_models",
           "check_geometry"]

VIEWS = ("conv", "scatter")


def rgb(colour: str) -> tuple[float, float, float]:
    """A ``#rrggbb`` colour as three floats in [0, 1]."""
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))


STYLE = {
    "input": ("#63aee8", "#1c5b96", "solid"),
    "padding": ("#ffffff", "#a8b6c2", "dashed"),
    "inserted": ("#f3e9d2", "#c4ad7c", "dotted"),
    "output": ("#6ccbb7", "#127564", "solid"),
    "cropped": ("#ffffff", "#a8b6c2", "dashed"),
}
LEGEND = {"padding": "zero padding", "inserted": "inserted zero", "cropped": "cropped (padding)"}
INK, EDGE = "#17293a", "#27435c"


@dataclass(frozen=True)
class Panel:
    """One grid of a frame, as 2-D arrays (a 1-D grid is one row): each cell's ``kind`` (a key of
    :data:`STYLE`), whether it is ``lit`` (under the kernel, or written), its ``text`` (value) and
    ``weight`` label, and ``box`` = ``(row0, col0, row1, col1)``, the lit span the beam joins."""

    label: str
    kind: np.ndarray
    lit: np.ndarray
    text: np.ndarray
    weight: np.ndarray
    box: tuple[int, int, int, int]

    def colors(self) -> np.ndarray:
        """Face colour of every cell as an RGB array, shape ``kind.shape + (3,)``."""
        out = np.empty(self.kind.shape + (3,))
        for kind, (face, dark, _) in STYLE.items():
            mask = self.kind == kind
            out[mask & ~self.lit] = rgb(face)
            out[mask & self.lit] = rgb(dark)
        return out


@dataclass(frozen=True)
class Picture:
    """One frame: a two-line title, the left (input) and right (output) panels."""

    title: tuple[str, str]
    left: Panel
    right: Panel


def _as2d(a: np.ndarray) -> np.ndarray:
    return a.reshape(1, -1) if a.ndim == 1 else a


def _fmt(v) -> str:
    v = float(v) + 0.0
    return str(int(v)) if v.is_integer() else f"{v:.3g}"


def _title(g: Geometry, view: str) -> tuple[str, str]:
    """Name of the picture and its parameters in the book's notation (i, k, s, p, d, op, o)."""
    def size(v):
        return "×".join(map(str, v))

    def one(v):  # one value when every dimension agrees
        return str(v[0]) if len(set(v)) == 1 else "(" + ", ".join(map(str, v)) + ")"

    pads = one([str(b) if b == a else f"{b}+{a}" for b, a in g.padding])
    parts = [f"i={size(g.input_size)}", f"k={size(g.kernel_size)}", f"s={one(g.stride)}", f"p={pads}"]
    dilated = any(d > 1 for d in g.dilation)
    if dilated:
        parts.append(f"d={one(g.dilation)}")
    if any(g.output_padding):
        parts.append(f"op={one(g.output_padding)}")
    name = ("dilated " if dilated else "") + ("transposed " if g.transposed else "") + "convolution"
    name = name.capitalize()
    if view == "scatter":
        name += ", as a scatter of kernel copies" if g.transposed else ", seen from one input cell"
    elif g.transposed:
        name += ", as a convolution"
    return name, "  ".join(parts) + f"  →  o={size(g.output_size)}"


@dataclass(frozen=True)
class _Numbers:
    values: np.ndarray  # input values
    kernel: np.ndarray
    grid: np.ndarray  # the values on the grid the kernel slides over (zeros around)
    output: np.ndarray


def _numbers(g: Geometry, values, kernel) -> _Numbers:
    """Check the values and kernel (defaults: small integers) and compute the output with the package."""
    from . import conv, transposed

    if values is None:
        values = np.random.default_rng(7).integers(0, 4, g.input_size)
    if kernel is None:
        kernel = np.random.default_rng(3).integers(0, 3, g.kernel_size)
    values, kernel = as_numeric_array("values", values), as_numeric_array("kernel", kernel)
    for name, arr, shape in (("values", values, g.input_size), ("kernel", kernel, g.kernel_size)):
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape} (the geometry's {name} size), got {arr.shape}")
    grid = np.zeros(g.grid_size, dtype=values.dtype)
    for x in np.ndindex(*g.input_size):
        grid[g.input_to_grid(x)] = values[x]
    x, w = values[None, None], kernel[None, None]
    if g.transposed:
        fn = (transposed.conv_transpose1d, transposed.conv_transpose2d)[g.ndim - 1]
        out = fn(x, w, stride=g.stride, padding=[p for p, _ in g.padding],
                 output_padding=g.output_padding, dilation=g.dilation)
    else:
        fn = (conv.conv1d, conv.conv2d)[g.ndim - 1]
        out = fn(np.pad(x, [(0, 0), (0, 0), *g.padding]), w, stride=g.stride, dilation=g.dilation)
    return _Numbers(values, kernel, grid, out[0, 0])


def _box(cells) -> tuple[int, int, int, int]:
    rows = [c[0] for c in cells]
    cols = [c[1] for c in cells]
    return min(rows), min(cols), max(rows), max(cols)


def _cell(index) -> tuple[int, int]:
    return (0, index[0]) if len(index) == 1 else tuple(index)


def _empty(shape) -> np.ndarray:
    return np.full(shape, "", dtype=object)


def _conv_frame(g: Geometry, out_index, nums: _Numbers | None) -> Picture:
    taps = g.footprint(out_index)
    kind = _as2d(np.asarray(g.grid_kind))
    lit = np.zeros(kind.shape, bool)
    text, weight = _empty(kind.shape), _empty(kind.shape)
    for tap in taps:
        lit[_cell(tap.grid_index)] = True
    out_shape = _as2d(np.zeros(g.output_size)).shape
    out_lit = np.zeros(out_shape, bool)
    out_lit[_cell(out_index)] = True
    out_text = _empty(out_shape)
    if nums is not None:
        grid = _as2d(nums.grid)
        for cell in zip(*np.nonzero(kind == "input")):
            text[cell] = _fmt(grid[cell])
        for tap in taps:
            weight[_cell(tap.grid_index)] = "×" + _fmt(nums.kernel[tap.kernel_index])
        for y in g.positions():  # the outputs computed so far
            out_text[_cell(y)] = _fmt(nums.output[y])
            if y == tuple(out_index):
                break
    left_label = "input, zeros inserted and padded" if g.transposed else "input"
    return Picture(
        _title(g, "conv"),
        Panel(left_label, kind, lit, text, weight, _box([_cell(t.grid_index) for t in taps])),
        Panel("output", np.full(out_shape, "output", dtype="<U8"), out_lit, out_text, _empty(out_shape),
              _box([_cell(out_index)])),
    )


def _scatter_frame(g: Geometry, in_index, nums: _Numbers | None) -> Picture:
    from . import conv, transposed

    hits = g.scatter(in_index)
    in_shape = _as2d(np.zeros(g.input_size)).shape
    lit = np.zeros(in_shape, bool)
    lit[_cell(in_index)] = True
    text = _empty(in_shape)
    canvas = np.zeros(g.canvas_size, dtype="<U8")
    canvas[...] = "cropped"
    canvas[tuple(slice(off, off + o) for off, o in zip(g.canvas_offset, g.output_size))] = "output"
    kind = _as2d(canvas)
    out_lit = np.zeros(kind.shape, bool)
    out_text, out_weight = _empty(kind.shape), _empty(kind.shape)
    for h in hits:
        out_lit[_cell(h.canvas_index)] = True
    if nums is not None:
        done = np.zeros(g.input_size, nums.values.dtype)
        for x in np.ndindex(*g.input_size):
            text[_cell(x)] = _fmt(nums.values[x])
        for x in np.ndindex(*g.input_size):  # the input cells added so far
            done[x] = nums.values[x]
            if x == tuple(in_index):
                break
        x, w = done[None, None], nums.kernel[None, None]
        if g.transposed:  # the uncropped canvas: no padding, zeros past its end
            fn = (transposed.conv_transpose1d, transposed.conv_transpose2d)[g.ndim - 1]
            part = fn(x, w, stride=g.stride, dilation=g.dilation)[0, 0]
            part = np.pad(part, [(0, c - n) for c, n in zip(g.canvas_size, part.shape)])
        else:
            fn = (conv.conv1d, conv.conv2d)[g.ndim - 1]
            part = fn(np.pad(x, [(0, 0), (0, 0), *g.padding]), w, stride=g.stride, dilation=g.dilation)[0, 0]
        for c in np.ndindex(*g.canvas_size):
            out_text[_cell(c)] = _fmt(part[c])
        for h in hits:
            out_weight[_cell(h.canvas_index)] = "×" + _fmt(nums.kernel[h.kernel_index])
    box = _box([_cell(h.canvas_index) for h in hits]) if hits else _box([(0, 0)])
    return Picture(
        _title(g, "scatter"),
        Panel("input", np.full(in_shape, "input", dtype="<U8"), lit, text, _empty(in_shape),
              _box([_cell(in_index)])),
        Panel("output (partial sums)" if nums else "output", kind, out_lit, out_text, out_weight, box),
    )


def frame_model(geometry: Geometry, index=None, view: str = "conv", values=None, kernel=None,
                numbers: bool = False) -> Picture:
    """What one frame shows, as plain arrays (no matplotlib): the model :func:`draw` draws.

    Parameters:
        geometry: a :class:`~convtutor.geometry.Geometry` (1-D or 2-D).
        index: the output cell (``view='conv'``) or input cell (``view='scatter'``); default the first.
        view: ``'conv'`` (the kernel over the grid) or ``'scatter'`` (an input cell's kernel copy).
        values: input values (shape ``input_size``), kernel: weights (shape ``kernel_size``);
            small integers by default.
        numbers: fill in values, weights and outputs.

    Example:
        >>> from convtutor.geometry import conv_geometry
        >>> pic = frame_model(conv_geometry((5, 5), 3, stride=2), (0, 1))
        >>> int(pic.left.lit.sum()), pic.left.box, pic.right.box
        (9, (0, 2, 2, 4), (0, 1, 0, 1))
    """
    check_geometry(geometry, view)
    nums = _numbers(geometry, values, kernel) if numbers else None
    if index is None:
        index = (0,) * geometry.ndim
    make = _conv_frame if view == "conv" else _scatter_frame
    return make(geometry, index, nums)


def frame_models(geometry: Geometry, view: str = "conv", values=None, kernel=None,
                 numbers: bool = False) -> list[Picture]:
    """Every frame, in order: one per output cell (``'conv'``) or per input cell (``'scatter'``).

    Example:
        >>> from convtutor.geometry import conv_geometry
        >>> len(frame_models(conv_geometry((5, 5), 3, stride=2)))
        4
    """
    check_geometry(geometry, view)
    nums = _numbers(geometry, values, kernel) if numbers else None
    if view == "conv":
        return [_conv_frame(geometry, y, nums) for y in geometry.positions()]
    return [_scatter_frame(geometry, x, nums) for x in np.ndindex(*geometry.input_size)]


def check_geometry(geometry, view: str = "conv") -> Geometry:
    """A 1-D or 2-D :class:`~convtutor.geometry.Geometry` and a known view, or a clear error."""
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a convtutor.geometry.Geometry, got {type(geometry).__name__}")
    if geometry.ndim > 2:
        raise ValueError(f"pictures are drawn for 1-D and 2-D geometries, got a {geometry.ndim}-D geometry")
    check_choice("view", view, VIEWS)
    return geometry
