"""Which cells each output cell reads: the geometry behind every picture of the book.

A convolution slides its kernel over a *grid*; each output cell is the dot product of the
kernel with the grid cells under it. :class:`Geometry` names those cells, for any number of
dimensions:

* a direct convolution slides over the input padded with zeros, ``stride`` cells per step;
* a transposed convolution is drawn as its equivalent direct convolution (Dumoulin & Visin,
  2016, section 4): it slides one cell per step over a grid made of the input with
  ``stride - 1`` zeros *inserted* between neighbouring values, padded by ``d(k - 1) - p`` cells
  before and ``d(k - 1) - p + output_padding`` after (cropped where that is negative), with the
  kernel flipped. Each :class:`Tap` records which weight of the original kernel it uses.

Every grid cell has a kind: ``'input'``, ``'padding'`` or ``'inserted'`` (a zero of the
fractional stride). :meth:`Geometry.scatter` gives the other view of the same sums: the
output cells one input cell is added to, and with which weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Iterator

import numpy as np

from ._validation import int_tuple, is_int
from .arithmetic import ConvShape, conv_shape, conv_transpose_shape

__all__ = ["Tap", "Hit", "Geometry", "layer_geometry", "conv_geometry", "transposed_geometry", "describe", "KINDS"]

KINDS = ("input", "padding", "inserted")


@dataclass(frozen=True)
class Tap:
    """One kernel value over one grid cell.

    ``kernel_index`` indexes the weight as stored (``weight[o, c, *kernel_index]``; for a
    transposed convolution the flipped tap is already undone), ``grid_index`` the cell of the
    grid, ``input_index`` the input cell it holds (``None`` for padding or an inserted zero)
    and ``kind`` one of :data:`KINDS`.
    """

    kernel_index: tuple[int, ...]
    grid_index: tuple[int, ...]
    input_index: tuple[int, ...] | None
    kind: str


@dataclass(frozen=True)
class Hit:
    """One input cell's contribution in the scatter view: ``weight[kernel_index] * x`` lands on
    ``canvas_index`` of the uncropped output; ``output_index`` is ``None`` when the padding of a
    transposed convolution crops that cell away."""

    kernel_index: tuple[int, ...]
    canvas_index: tuple[int, ...]
    output_index: tuple[int, ...] | None


@dataclass(frozen=True)
class Geometry:
    """The cells read by every output cell of one (transposed) convolution; build it with
    :func:`conv_geometry`, :func:`transposed_geometry` or :func:`layer_geometry`.

    ``layer`` is the layer's :class:`~convtutor.arithmetic.ConvShape` (its sizes, padding pairs
    and output size; its fields are also attributes of the geometry). ``grid_padding`` is the
    padding of the grid the kernel slides on (equal to ``padding`` for a direct convolution,
    ``d(k-1) - p_before`` and ``d(k-1) - p_after + output_padding`` for a transposed one, negative
    meaning cropped). ``grid_stride`` is the kernel's step on the grid and ``input_step`` the
    spacing of input values on it (``stride`` for a transposed convolution, whose stride is
    "fractional").
    """

    layer: ConvShape
    grid_size: tuple[int, ...]
    grid_padding: tuple[tuple[int, int], ...]
    grid_stride: tuple[int, ...]
    input_step: tuple[int, ...]

    transposed = property(lambda self: self.layer.transposed, doc="Whether the layer is a transposed convolution.")
    input_size = property(lambda self: self.layer.input_size, doc="Input size ``i`` per dimension.")
    kernel_size = property(lambda self: self.layer.kernel_size, doc="Kernel size ``k`` per dimension.")
    stride = property(lambda self: self.layer.stride, doc="The layer's stride ``s``.")
    padding = property(lambda self: self.layer.padding, doc="The layer's ``(before, after)`` padding pairs.")
    dilation = property(lambda self: self.layer.dilation, doc="Dilation ``d`` per dimension.")
    output_padding = property(lambda self: self.layer.output_padding, doc="Output padding (transposed).")
    output_size = property(lambda self: self.layer.output_size, doc="Output size ``o`` per dimension.")
    ndim = property(lambda self: self.layer.ndim, doc="Number of spatial dimensions.")
    effective_kernel_size = property(lambda self: self.layer.effective_kernel_size,
                                     doc="Cells spanned by the dilated kernel: ``d(k - 1) + 1``.")

    @property
    def canvas_size(self) -> tuple[int, ...]:
        """Size of the output before a transposed convolution crops its padding (the scatter
        view's canvas); the output size for a direct convolution."""
        if not self.transposed:
            return self.output_size
        return tuple(max(f, b + o) for f, (b, _), o in zip(self.layer.full_size, self.padding, self.output_size))

    @property
    def canvas_offset(self) -> tuple[int, ...]:
        """Canvas cell of output cell 0 (the cropped padding ``p`` of a transposed convolution)."""
        return tuple(p for p, _ in self.padding) if self.transposed else (0,) * self.ndim

    def positions(self) -> Iterator[tuple[int, ...]]:
        """Every output index, in row-major order (the order of the animation frames)."""
        return np.ndindex(*self.output_size)

    def _check_index(self, name: str, index, size: tuple[int, ...]) -> tuple[int, ...]:
        if is_int(index):
            index = (index,)
        index = int_tuple(name, index, self.ndim, minimum=0)
        for i, n in zip(index, size):
            if i >= n:
                raise ValueError(f"{name}={index} must be below {size} in every dimension")
        return index

    def grid_to_input(self, cell) -> tuple[int, ...] | None:
        """The input index held by grid ``cell``, or ``None`` for padding and inserted zeros."""
        cell = self._check_index("cell", cell, self.grid_size)
        return self._input_of(cell)

    def _input_of(self, cell: tuple[int, ...]) -> tuple[int, ...] | None:
        out = []
        for g, (before, _), step, i in zip(cell, self.grid_padding, self.input_step, self.input_size):
            c = g - before
            if c < 0 or c > (i - 1) * step or c % step:
                return None
            out.append(c // step)
        return tuple(out)

    def _kind_of(self, cell: tuple[int, ...]) -> str:
        inserted = False
        for g, (before, _), step, i in zip(cell, self.grid_padding, self.input_step, self.input_size):
            c = g - before
            if c < 0 or c > (i - 1) * step:
                return "padding"
            inserted = inserted or bool(c % step)
        return "inserted" if inserted else "input"

    @cached_property
    def grid_kind(self) -> np.ndarray:
        """Array of ``grid_size`` strings: the kind of every grid cell (see :data:`KINDS`)."""
        kinds = np.empty(self.grid_size, dtype="<U8")
        for cell in np.ndindex(*self.grid_size):
            kinds[cell] = self._kind_of(cell)
        kinds.flags.writeable = False
        return kinds

    def input_to_grid(self, input_index) -> tuple[int, ...]:
        """The grid cell holding input cell ``input_index``."""
        index = self._check_index("input_index", input_index, self.input_size)
        pairs = zip(index, self.input_step, self.grid_padding)
        return tuple(x * step + before for x, step, (before, _) in pairs)

    def footprint(self, out_index) -> tuple[Tap, ...]:
        """The taps of output cell ``out_index``, in the order the kernel window covers the grid
        (row-major over the window; for a transposed convolution that is the flipped kernel's
        order, and ``kernel_index`` names the stored weight).

        Example:
            >>> g = conv_geometry((5, 5), 3, stride=2)
            >>> [t.grid_index for t in g.footprint((0, 1))][:3]
            [(0, 2), (0, 3), (0, 4)]
        """
        out_index = self._check_index("out_index", out_index, self.output_size)
        taps = []
        for t in np.ndindex(*self.kernel_size):
            cell = tuple(y * s + tt * d for y, s, tt, d in zip(out_index, self.grid_stride, t, self.dilation))
            weight = tuple(k - 1 - tt for k, tt in zip(self.kernel_size, t)) if self.transposed else t
            taps.append(Tap(weight, cell, self._input_of(cell), self._kind_of(cell)))
        return tuple(taps)

    def scatter(self, input_index) -> tuple[Hit, ...]:
        """The cells input cell ``input_index`` is added to, one :class:`Hit` per kernel tap that
        reaches the output (a transposed convolution also lists the taps cropped by padding,
        with ``output_index=None``), in kernel order.

        Example:
            >>> g = transposed_geometry((2, 2), 3, stride=2)
            >>> [h.output_index for h in g.scatter((0, 1))][:3]
            [(0, 2), (0, 3), (0, 4)]
        """
        x = self._check_index("input_index", input_index, self.input_size)
        hits = []
        for t in np.ndindex(*self.kernel_size):
            if self.transposed:
                canvas = tuple(xx * s + tt * d for xx, s, tt, d in zip(x, self.stride, t, self.dilation))
                out = tuple(c - off for c, off in zip(canvas, self.canvas_offset))
                inside = all(0 <= y < o for y, o in zip(out, self.output_size))
                hits.append(Hit(t, canvas, out if inside else None))
            else:
                # x + p_before = y*s + t*d  ->  y = (x + p_before - t*d) / s, when whole and in range
                zs = [xx + pb - tt * d for xx, (pb, _), tt, d in zip(x, self.padding, t, self.dilation)]
                if all(z % s == 0 and 0 <= z // s < o for z, s, o in zip(zs, self.stride, self.output_size)):
                    y = tuple(z // s for z, s in zip(zs, self.stride))
                    hits.append(Hit(t, y, y))
        return tuple(hits)


def layer_geometry(layer: ConvShape) -> Geometry:
    """The geometry of a layer given as a :class:`~convtutor.arithmetic.ConvShape`.

    A direct convolution slides ``stride`` cells per step over the padded input; a transposed one
    slides one cell per step over the input with ``stride - 1`` zeros inserted, padded by
    ``d(k - 1) - p_before`` before and ``d(k - 1) - p_after + output_padding`` after.

    Example:
        >>> from convtutor.arithmetic import conv_shape
        >>> layer_geometry(conv_shape((5, 5), 3, stride=2)).grid_size
        (5, 5)
    """
    if not isinstance(layer, ConvShape):
        raise TypeError(f"layer must be a convtutor.arithmetic.ConvShape, got {type(layer).__name__}")
    n = layer.ndim
    if not layer.transposed:
        return Geometry(layer, layer.padded_size, layer.padding, layer.stride, (1,) * n)
    pads = tuple((e - 1 - b, e - 1 - a + op) for e, (b, a), op in
                 zip(layer.effective_kernel_size, layer.padding, layer.output_padding))
    grid = tuple((i - 1) * s + 1 + b + a for i, s, (b, a) in zip(layer.input_size, layer.stride, pads))
    return Geometry(layer, grid, pads, (1,) * n, layer.stride)


def conv_geometry(input_size, kernel_size, stride=1, padding=0, dilation=1) -> Geometry:
    """Geometry of a direct convolution: the kernel steps ``stride`` cells over the padded input.

    The number of dimensions is the length of the first tuple among the arguments (all ints
    means 1-D); ints broadcast to every dimension.

    Parameters:
        input_size: input size ``i`` (int or tuple).
        kernel_size: kernel size ``k``.
        stride: step ``s`` of the kernel.
        padding: zeros per side (int), per dimension (tuple of ints or ``(before, after)``
            pairs), or ``'valid'``, ``'same'``, ``'full'``, ``'causal'``.
        dilation: spacing ``d`` of the kernel values.

    Shape:
        ``grid_size = i + p_before + p_after``,
        ``output_size = (grid_size - d * (k - 1) - 1) // s + 1``.

    Example:
        >>> g = conv_geometry((5, 5), 3, stride=2)
        >>> g.output_size, g.grid_size
        ((2, 2), (5, 5))
        >>> g = conv_geometry(6, 2, dilation=2, padding='causal')
        >>> g.grid_padding   # left only
        ((2, 0),)
    """
    return layer_geometry(conv_shape(input_size, kernel_size, stride, padding, dilation))


def transposed_geometry(input_size, kernel_size, stride=1, padding=0, output_padding=0,
                        dilation=1) -> Geometry:
    """Geometry of a transposed convolution, drawn as a stride-1 convolution over the input with
    zeros inserted and padding added (or cropped).

    Parameters:
        input_size: input size ``i`` of the transposed convolution (int or tuple).
        kernel_size: kernel size ``k``.
        stride: stride ``s`` of the convolution it transposes (``s - 1`` zeros between values).
        padding: padding ``p`` of that convolution (int, tuple or pairs; cropped from the output).
        output_padding: cells added at the end, below stride or dilation.
        dilation: spacing ``d`` of the kernel values.

    Shape:
        ``grid_size = (i - 1) * s + 1 + 2 * (d * (k - 1) - p) + output_padding``,
        ``output_size = (i - 1) * s - 2 * p + d * (k - 1) + output_padding + 1``.

    Example:
        >>> g = transposed_geometry((2, 2), 3, stride=2)   # 2x2 back to 5x5
        >>> g.output_size, g.grid_size, g.grid_padding
        ((5, 5), (7, 7), ((2, 2), (2, 2)))
    """
    return layer_geometry(conv_transpose_shape(input_size, kernel_size, stride, padding, output_padding, dilation))


def describe(geometry: Geometry) -> str:
    """One line naming the configuration and its output size (for messages and printing).

    Example:
        >>> describe(conv_geometry((5, 5), 3, stride=2))
        'convolution: input 5×5, kernel 3×3, stride 2, padding 0 → output 2×2'
    """
    def fmt(t):
        return "×".join(map(str, t))

    def one(t):
        return str(t[0]) if len(set(t)) == 1 else "(" + ", ".join(map(str, t)) + ")"

    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a Geometry, got {type(geometry).__name__}")
    g = geometry
    pad = one([str(pb) if pb == pa else f"{pb}+{pa}" for pb, pa in g.padding])
    parts = [f"input {fmt(g.input_size)}", f"kernel {fmt(g.kernel_size)}", f"stride {one(g.stride)}",
             f"padding {pad}"]
    if any(d != 1 for d in g.dilation):
        parts.append(f"dilation {one(g.dilation)}")
    if any(g.output_padding):
        parts.append(f"output_padding {one(g.output_padding)}")
    name = "transposed convolution" if g.transposed else "convolution"
    return f"{name}: {', '.join(parts)} → output {fmt(g.output_size)}"

