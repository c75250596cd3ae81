"""Pictures of a convolution at work, in the visual language of conv_arithmetic, made flat.

The input grid is on the left (padding cells white and dashed, zeros inserted by a fractional
stride sand-coloured and dotted), the output grid on the right (above, in 1-D); the cells under
the kernel are shaded dark, the output cell they produce is highlighted, and a beam joins the
two. With ``numbers=True`` the cells show the input values, the kernel weight over each cell
(small, bottom right) and the output values computed so far by :func:`convtutor.conv2d` /
:func:`convtutor.conv_transpose2d`.

Two views, both read from :mod:`convtutor.geometry` (the single source of truth):

* ``view='conv'``: one frame per output cell; a transposed convolution is drawn as the equivalent
  stride-1 convolution over its zero-stuffed, padded input, with the flipped weights;
* ``view='scatter'``: one frame per input cell, whose value times the kernel is added into the
  output (for a transposed convolution, onto the uncropped canvas, its padding dashed).

Drawing is split in two: :func:`frame_model` is a pure function giving each cell's kind,
shading and labels for one frame (what the tests check), and a small scene turns it into
matplotlib artists that are updated in place from frame to frame. matplotlib is imported only
when a picture is drawn; the figures are not managed by pyplot and show themselves once as a PNG
when a notebook cell ends with one.
"""

from __future__ import annotations

import base64
import functools
import io
import re
from dataclasses import dataclass

import numpy as np

from ._validation import as_numeric_array, check_int
from .geometry import Geometry

__all__ = ["STYLE", "Panel", "Picture", "frame_model", "draw", "draw_scatter", "animate", "animate_scatter",
           "frames_png", "to_html", "show", "save_gif"]

# kind: (face colour, face colour under the kernel / being written, edge line style)
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
        """RGBA face colour of every cell, shape ``kind.shape + (4,)``."""
        from matplotlib.colors import to_rgba

        out = np.empty(self.kind.shape + (4,))
        for kind, (face, dark, _) in STYLE.items():
            mask = self.kind == kind
            out[mask & ~self.lit] = to_rgba(face)
            out[mask & self.lit] = to_rgba(dark)
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
    _check(geometry, view)
    nums = _numbers(geometry, values, kernel) if numbers else None
    if index is None:
        index = (0,) * geometry.ndim
    make = _conv_frame if view == "conv" else _scatter_frame
    return make(geometry, index, nums)


def _check(geometry, view: str) -> None:
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry must be a convtutor.geometry.Geometry, got {type(geometry).__name__}")
    if geometry.ndim > 2:
        raise ValueError(f"pictures are drawn for 1-D and 2-D geometries, got a {geometry.ndim}-D geometry")
    if view not in ("conv", "scatter"):
        raise ValueError(f"view={view!r} must be 'conv' or 'scatter'")


# --------------------------------------------------------------------------------------------
# matplotlib


@functools.lru_cache(maxsize=4096)
def _glyphs(text: str, size: float, anchor: str, bold: bool = False):
    """Outline of ``text`` at font size ``size`` (in cells) placed by ``anchor`` at (0, 0):
    ``'center'`` (centred on the digits), ``'corner'`` (bottom-right), ``'top'`` / ``'bottom'``
    (centred horizontally, top of the capitals / bottom of the descenders) or ``'left'``."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    prop = FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    path = TextPath((0, 0), text, size=size, prop=prop)
    if not len(path.vertices):
        return path.vertices, path.codes, 0.0
    x0, x1 = path.vertices[:, 0].min(), path.vertices[:, 0].max()  # control points: close enough, fast
    dx = {"corner": -x1, "left": -x0}.get(anchor, -(x0 + x1) / 2)
    dy = {"corner": 0.0, "top": -0.73 * size, "bottom": 0.24 * size}.get(anchor, -0.365 * size)
    return path.vertices + (dx, dy), path.codes, x1 - x0


def text_path(text: str, size: float, anchor: str, x: float, y: float, bold: bool = False):
    from matplotlib.path import Path

    vertices, codes, _ = _glyphs(text, round(size, 3), anchor, bold)
    return Path(vertices + (x, y), codes)


class _Scene:
    """The artists of one picture, built once and updated in place frame after frame.

    All text is drawn as outlines in one collection (a Text per cell costs about a millisecond
    per frame each); sizes are in cells, so ``cell`` (inches) only converts the point sizes.
    """

    def __init__(self, ax, pic: Picture, cell: float):
        from matplotlib.collections import PathCollection, PolyCollection
        from matplotlib.patches import Polygon, Rectangle

        self.ax, self.artists = ax, []
        pt = cell * 72  # points per cell
        shapes = [pic.left.kind.shape, pic.right.kind.shape]
        (lh, lw), (rh, rw) = shapes
        self.one_row = lh == rh == 1
        if self.one_row:  # output row above the input row, centred
            mid = max(lw, rw) / 2
            self.origins = [(mid - lw / 2, 0.0), (mid - rw / 2, 2.2 + 2.6 * 9 / pt)]
        else:  # side by side, centred vertically
            mid = max(lh, rh) / 2
            self.origins = [(0.0, mid - lh / 2), (lw + 2.2, mid - rh / 2)]
        static, static_colors = [], []  # title, labels, legend: outlines too
        self.polys, self.corners = [], []
        for panel, (x0, y0) in zip((pic.left, pic.right), self.origins):
            rows, cols = panel.kind.shape
            r, c = np.divmod(np.arange(rows * cols), cols)
            corner = np.stack([x0 + c, y0 + rows - 1 - r], axis=1).astype(float)
            square = np.array([(0, 0), (1, 0), (1, 1), (0, 1)], float)
            coll = PolyCollection(corner[:, None, :] + square, edgecolors=EDGE, linewidths=0.9, zorder=1,
                                  linestyles=[STYLE[k][2] for k in panel.kind.ravel()])
            self.polys.append(coll)
            self.corners.append(corner)
            above = self.one_row and panel is pic.right  # in 1-D the output row is on top: label it above
            static.append(text_path(panel.label, 9 / pt, "bottom" if above else "top", x0 + cols / 2,
                                     y0 + 1.25 if above else y0 - 0.25))
            static_colors.append(INK)
        # the beam joining the kernel window to its output, behind the cells, and the two outlines
        self.beam = Polygon(np.zeros((4, 2)), closed=True, facecolor=(0.09, 0.16, 0.23, 0.12),
                            edgecolor=(0.09, 0.16, 0.23, 0.5), linewidth=0.8, zorder=0.5)
        self.boxes = [Rectangle((0, 0), 1, 1, fill=False, edgecolor="#0b1e30", linewidth=1.6, zorder=3)
                      for _ in range(2)]
        self.labels = PathCollection([], edgecolors="none", zorder=4)
        # extent: the grids, the title above, the labels and the legend below
        xs = [x for x, _ in self.origins] + [x + s[1] for (x, _), s in zip(self.origins, shapes)]
        ys = [y for _, y in self.origins] + [y + s[0] for (_, y), s in zip(self.origins, shapes)]
        kinds = [k for k in LEGEND if k in pic.left.kind or k in pic.right.kind]
        t, st, leg = 10 / pt, 8.5 / pt, 7.5 / pt
        width = max(_glyphs(pic.title[0], round(t, 3), "top", True)[2],
                    _glyphs(pic.title[1], round(st, 3), "top")[2]) + 0.8
        x0, x1 = min(xs) - 0.4, max(xs) + 0.4
        if x1 - x0 < width:
            x0, x1 = (x0 + x1 - width) / 2, (x0 + x1 + width) / 2
        top = max(ys) + (0.3 + 1.3 * 9 / pt if self.one_row else 0) + 0.6 + 1.5 * t + 1.2 * st + 0.35
        bottom = min(ys) - 0.5 - 1.3 * 9 / pt - (0.5 + 1.8 * leg if kinds else 0)
        self.extent = (x0, x1, bottom, top)
        cx = (x0 + x1) / 2
        static += [text_path(pic.title[0], t, "top", cx, top - 0.35, bold=True),
                   text_path(pic.title[1], st, "top", cx, top - 0.35 - 1.5 * t)]
        static_colors += [INK, INK]
        swatches = []
        if kinds:  # a legend for the cells that are not plain values
            items = [(k, _glyphs(LEGEND[k], round(leg, 3), "left")[2]) for k in kinds]
            side = 1.3 * leg
            x = cx - (sum(w for _, w in items) + (2 * side + 0.3) * len(items)) / 2
            y = bottom + 0.25 + side / 2
            for k, w in items:
                swatches.append(Rectangle((x, y - side / 2), side, side, facecolor=STYLE[k][0],
                                          edgecolor=EDGE, linestyle=STYLE[k][2], linewidth=0.9))
                static.append(text_path(LEGEND[k], leg, "left", x + 1.4 * side, y))
                static_colors.append(INK)
                x += w + 2 * side + 0.3
        titles = PathCollection(static, facecolors=static_colors, edgecolors="none", zorder=4)
        for artist in [*self.polys, self.labels, titles]:
            self.artists.append(ax.add_collection(artist, autolim=False))
        for artist in [self.beam, *self.boxes, *swatches]:
            self.artists.append(ax.add_artist(artist))  # not add_patch: the limits are set below
        ax.set_xlim(x0, x1)
        ax.set_ylim(bottom, top)
        ax.set_aspect("equal")
        ax.set_axis_off()
        self.update(pic)

    def remove(self) -> None:
        """Take this scene's artists off the Axes (to draw another scene on it)."""
        for artist in self.artists:
            artist.remove()
        self.artists = []

    def update(self, pic: Picture) -> None:
        """Show frame ``pic`` (same cells as the scene was built for): colours, numbers, beam."""
        paths, colors = [], []
        for i, panel in enumerate((pic.left, pic.right)):
            faces = panel.colors().reshape(-1, 4)
            self.polys[i].set_facecolor(faces)
            dark = (faces[:, :3] @ [0.3, 0.59, 0.11]) < 0.5
            cells = zip(self.corners[i], panel.text.ravel(), panel.weight.ravel(), dark, panel.kind.ravel())
            for (x, y), text, weight, d, k in cells:
                if text:
                    paths.append(text_path(text, min(0.42, 1.5 / len(text)), "center", x + 0.5, y + 0.5))
                    colors.append("white" if d else ("#7b8a97" if k in ("padding", "cropped") else INK))
                if weight:
                    size = min(0.27, 1.45 / len(weight))
                    paths.append(text_path(weight, size, "corner", x + 0.95, y + 0.07))
                    colors.append("#ffd166" if d else "#a4161a")
            r0, c0, r1, c1 = panel.box
            x0, y0 = self.origins[i]
            rows = panel.kind.shape[0]
            self.boxes[i].set_bounds(x0 + c0, y0 + rows - 1 - r1, c1 - c0 + 1, r1 - r0 + 1)
        a, b = (bx.get_bbox() for bx in self.boxes)
        if self.one_row:  # top edge of the left span to the bottom edge of the right span
            xy = [(a.x0, a.y1), (a.x1, a.y1), (b.x1, b.y0), (b.x0, b.y0)]
        else:  # right edge of the left span to the left edge of the right span
            xy = [(a.x1, a.y1), (a.x1, a.y0), (b.x0, b.y0), (b.x0, b.y1)]
        self.beam.set_xy(xy)
        self.labels.set_paths(paths)
        self.labels.set_facecolor(colors)


@functools.lru_cache(maxsize=1)
def _picture_figure():
    from matplotlib.figure import Figure

    class PictureFigure(Figure):
        """A figure not managed by pyplot that shows itself once, as a PNG, ending a notebook cell."""

        def _repr_png_(self):
            buf = io.BytesIO()
            self.savefig(buf, format="png", metadata={"Software": None})
            return buf.getvalue()

    return PictureFigure


def scene_figure(pic: Picture, ax, cell: float, dpi: float, old: _Scene | None = None) -> _Scene:
    """Build the scene on ``ax``, or on a new figure sized so that one cell is ``cell`` inches, or
    in place of scene ``old`` on its figure (resized)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if ax is not None:
        return _Scene(ax, pic, cell)
    if old is None:
        fig = _picture_figure()(dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
    else:
        old.remove()
        ax = old.ax
    scene = _Scene(ax, pic, cell)
    x0, x1, y0, y1 = scene.extent
    ax.figure.set_size_inches((x1 - x0) * cell, (y1 - y0) * cell)
    return scene


def _cell_size(numbers: bool, cell) -> float:
    return (0.4 if numbers else 0.3) if cell is None else float(cell)


def draw(geometry: Geometry, out_index=None, ax=None, values=None, kernel=None, numbers: bool = False,
         cell: float | None = None, dpi: float = 100):
    """Draw the kernel over the input at output cell ``out_index``; returns the figure.

    Parameters:
        geometry: a :class:`~convtutor.geometry.Geometry` (direct or transposed, 1-D or 2-D).
        out_index: output cell (default the first).
        ax: an Axes to draw on (default: a new figure).
        values, kernel: input values and weights (default: small integers); numbers: show them.
        cell: size of a cell in inches; dpi: resolution of a new figure.

    Example:
        >>> from convtutor.geometry import conv_geometry
        >>> fig = draw(conv_geometry((5, 5), 3, stride=2), (1, 1), numbers=True)
        >>> fig.savefig("/dev/null", format="png")
    """
    pic = frame_model(geometry, out_index, "conv", values, kernel, numbers)
    return scene_figure(pic, ax, _cell_size(numbers, cell), dpi).ax.figure


def draw_scatter(geometry: Geometry, in_index=None, ax=None, values=None, kernel=None, numbers: bool = False,
                 cell: float | None = None, dpi: float = 100):
    """Draw input cell ``in_index`` adding its copy of the kernel into the output; returns the figure.

    Same parameters as :func:`draw`; for a transposed convolution the output is drawn before its
    padding is cropped (cropped cells dashed), with the partial sums so far when ``numbers``.

    Example:
        >>> from convtutor.geometry import transposed_geometry
        >>> fig = draw_scatter(transposed_geometry((2, 2), 3, stride=2), (1, 1))
    """
    pic = frame_model(geometry, in_index, "scatter", values, kernel, numbers)
    return scene_figure(pic, ax, _cell_size(numbers, cell), dpi).ax.figure


def _animate(geometry, view, values, kernel, numbers, cell, dpi, interval):
    from matplotlib.animation import FuncAnimation

    _check(geometry, view)
    interval = check_int("interval", interval, minimum=1)
    nums = _numbers(geometry, values, kernel) if numbers else None
    if view == "conv":
        pics = [_conv_frame(geometry, y, nums) for y in geometry.positions()]
    else:
        pics = [_scatter_frame(geometry, x, nums) for x in np.ndindex(*geometry.input_size)]
    scene = scene_figure(pics[0], None, _cell_size(numbers, cell), dpi)

    def update(n):
        scene.update(pics[n])
        return ()

    anim = FuncAnimation(scene.ax.figure, update, frames=len(pics), init_func=lambda: (),
                         interval=interval, repeat=True, cache_frame_data=False)
    anim.pictures = pics  # the frame models, in order
    anim.interval_ms = interval
    # matplotlib warns when an animation is garbage-collected unrendered, advising plt.show(); these
    # figures are not pyplot's and are rendered by to_html / save_gif, so the warning only adds noise
    anim._draw_was_started = True
    return anim


def animate(geometry: Geometry, values=None, kernel=None, numbers: bool = False, cell: float | None = None,
            dpi: float = 60, interval: int = 700):
    """One frame per output cell (row-major): a :class:`matplotlib.animation.FuncAnimation`.

    Parameters are those of :func:`draw`, plus ``interval``, the milliseconds between frames.
    The frame models are in ``anim.pictures``. Show it with :func:`to_html` or :func:`show`,
    export it with :func:`save_gif`.

    Example:
        >>> from convtutor.geometry import conv_geometry
        >>> len(animate(conv_geometry((5, 5), 3, stride=2)).pictures)
        4
    """
    return _animate(geometry, "conv", values, kernel, numbers, cell, dpi, interval)


def animate_scatter(geometry: Geometry, values=None, kernel=None, numbers: bool = False,
                    cell: float | None = None, dpi: float = 60, interval: int = 900):
    """One frame per input cell, each adding its kernel copy into the output (:func:`draw_scatter`).

    Example:
        >>> from convtutor.geometry import transposed_geometry
        >>> len(animate_scatter(transposed_geometry((2, 2), 3, stride=2)).pictures)
        4
    """
    return _animate(geometry, "scatter", values, kernel, numbers, cell, dpi, interval)


@functools.lru_cache(maxsize=1)
def _palette():
    """A fixed 256-colour palette: every colour the pictures use, and blends of each ink (text,
    edges) over each background at two levels for anti-aliased edges. A fixed palette keeps
    rare colours (the one highlighted output cell) that an adaptive one would drop."""
    from matplotlib.colors import to_rgb
    from PIL import Image

    backs = [to_rgb(c) for pair in STYLE.values() for c in pair[:2]] + [(1.0, 1.0, 1.0)]
    backs.append(tuple(1 - 0.12 * (1 - np.array(to_rgb("#17293b")))))  # the beam over white
    inks = [to_rgb(c) for c in (INK, EDGE, "white", "#7b8a97", "#ffd166", "#a4161a")]
    colors = {tuple(c) for c in backs + inks}
    for ink in inks:
        for back in backs:
            for t in (1 / 3, 2 / 3):
                colors.add(tuple(t * np.array(ink) + (1 - t) * np.array(back)))
    flat = [round(255 * v) for c in sorted(colors) for v in c][: 3 * 256]
    pal = Image.new("P", (1, 1))
    pal.putpalette(flat + flat[:3] * (256 - len(flat) // 3))
    return pal


def _png(fig, dpi) -> bytes:
    """The figure as a palette PNG (flat colours: about 3x smaller than RGB), without metadata."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    img = Image.open(buf).convert("RGB").quantize(palette=_palette(), dither=Image.Dither.NONE)
    img = img.remap_palette([i for _, i in sorted(img.getcolors(256))])  # keep the colours used
    out = io.BytesIO()
    img.save(out, format="png", optimize=True)
    return out.getvalue()


def _writer_class():
    from matplotlib.animation import AbstractMovieWriter

    class FrameCollector(AbstractMovieWriter):
        """A movie writer that keeps every frame as palette-PNG bytes in ``.frames``."""

        def setup(self, fig, outfile, dpi=None):
            super().setup(fig, outfile, dpi)
            self.frames = []

        def grab_frame(self, **savefig_kwargs):
            self.frames.append(_png(self.fig, self.dpi))

        def finish(self):
            pass

    return FrameCollector


def frames_png(anim) -> list[bytes]:
    """Every frame of an animation of this module as PNG bytes (deterministic).

    Example:
        >>> from convtutor.geometry import conv_geometry
        >>> len(frames_png(animate(conv_geometry(5, 3, stride=2))))
        2
    """
    if not hasattr(anim, "pictures"):
        raise TypeError("anim must be an animation made by convtutor.animation.animate or animate_scatter")
    writer = _writer_class()(fps=1000 / anim.interval_ms)
    # the figure's own resolution (the dpi asked of animate), whatever savefig.dpi says
    anim.save("frames.png", writer=writer, dpi=anim._fig.dpi)  # the collector writes no file
    return writer.frames


# matplotlib's player takes its button icons from Font Awesome on a CDN: the book must work offline
_LEFT, _RIGHT = "&#9664;&#xFE0E;", "&#9654;&#xFE0E;"  # triangles, as text (not emoji)
_ICONS = {"fa-minus": "&minus;", "fa-fast-backward": f"|{_LEFT}{_LEFT}", "fa-step-backward": f"|{_LEFT}",
          "fa-play fa-flip-horizontal": _LEFT, "fa-pause": "&#10074;&#10074;", "fa-play": _RIGHT,
          "fa-step-forward": f"{_RIGHT}|", "fa-fast-forward": f"{_RIGHT}{_RIGHT}|", "fa-plus": "+"}


def to_html(anim, default_mode: str = "loop", id: str | None = None) -> str:
    """A self-contained HTML player for an animation of this module: frames embedded, no CDN.

    matplotlib's JavaScript player (as in :meth:`~matplotlib.animation.Animation.to_jshtml`) with
    palette-PNG frames, the Font Awesome stylesheet link removed and its icons replaced by text,
    and a deterministic element ``id`` (a hash of the frames unless given), so that the same
    animation gives the same HTML on every run.

    Example:
        >>> from convtutor.geometry import conv_geometry
        >>> html = to_html(animate(conv_geometry((5, 5), 3, stride=2)))
        >>> 'http' in html, 'fa fa-' in html
        (False, False)
    """
    import hashlib

    from matplotlib._animation_data import DISPLAY_TEMPLATE, JS_INCLUDE, STYLE_INCLUDE

    if default_mode not in ("loop", "once", "reflect"):
        raise ValueError(f"default_mode={default_mode!r} must be 'loop', 'once' or 'reflect'")
    frames = frames_png(anim)
    if id is None:
        id = hashlib.sha1(b"".join(frames)).hexdigest()[:16]
    elif not re.fullmatch(r"[A-Za-z0-9_]+", str(id)):
        raise ValueError(f"id={id!r} must be letters, digits and underscores (it names JS objects)")
    fill = "\n" + "".join(f'  frames[{n}] = "data:image/png;base64,{base64.b64encode(f).decode()}"\n'
                           for n, f in enumerate(frames))
    mode = {f"{m}_checked": "checked" if m == default_mode else "" for m in ("once", "loop", "reflect")}
    html = JS_INCLUDE + STYLE_INCLUDE + DISPLAY_TEMPLATE.format(
        id=id, Nframes=len(frames), fill_frames=fill, interval=anim.interval_ms, **mode)
    html = re.sub(r"<link[^>]*?href=\"https?://[^\"]*\"[^>]*>", "", html)
    for cls, label in _ICONS.items():
        html = html.replace(f'<i class="fa {cls}"></i>', f"<span>{label}</span>")
    return html


def show(geometry: Geometry, view: str = "conv", **kwargs):
    """The animation as an :class:`IPython.display.HTML` object for a notebook cell.

    ``view`` is ``'conv'`` (:func:`animate`) or ``'scatter'`` (:func:`animate_scatter`); the other
    keyword arguments go to them. The HTML plays without a kernel (the frames are embedded).

    Example:
        >>> from convtutor.geometry import conv_geometry
        >>> type(show(conv_geometry((5, 5), 3, stride=2), numbers=True)).__name__
        'HTML'
    """
    from IPython.display import HTML

    if view not in ("conv", "scatter"):
        raise ValueError(f"view={view!r} must be 'conv' or 'scatter'")
    anim = (animate if view == "conv" else animate_scatter)(geometry, **kwargs)
    return HTML(to_html(anim))


def save_gif(geometry: Geometry, path, view: str = "conv", fps: float | None = None, **kwargs) -> None:
    """Write the animation to a GIF file with matplotlib's PillowWriter.

    Parameters:
        geometry: the geometry to animate; view: ``'conv'`` or ``'scatter'``.
        path: file name ending in ``.gif``.
        fps: frames per second (default from the animation's interval).
        kwargs: passed to :func:`animate` / :func:`animate_scatter`.

    Example:
        >>> import os, tempfile
        >>> from convtutor.geometry import transposed_geometry
        >>> path = os.path.join(tempfile.mkdtemp(), "transposed.gif")
        >>> save_gif(transposed_geometry((2, 2), 3, stride=2), path, view="scatter")
    """
    from matplotlib.animation import PillowWriter

    if view not in ("conv", "scatter"):
        raise ValueError(f"view={view!r} must be 'conv' or 'scatter'")
    if not str(path).lower().endswith(".gif"):
        raise ValueError(f"path={str(path)!r} must end in .gif")
    anim = (animate if view == "conv" else animate_scatter)(geometry, **kwargs)
    anim.save(path, writer=PillowWriter(fps=fps or 1000 / anim.interval_ms))
