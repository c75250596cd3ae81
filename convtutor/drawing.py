"""Drawings with matplotlib: a convolution at one moment, a strip of moments, and the book's figures.

The browser's animations and explorers are drawn by the JavaScript engine
(:mod:`convtutor.explorer`); matplotlib draws what is static or printed: one frame
(:func:`draw`, :func:`draw_scatter`), a strip of consecutive frames for paper (:func:`strip`),
and the figures of the chapters that need no animation (:func:`channel_groups`,
:func:`padding_modes`, :func:`value_grid`, :func:`field_overlay`, :func:`conv_tensors`,
:func:`stack_paths`). A :class:`Scene` is built once and updated in place frame after frame, which
is what the live ipywidgets explorers and the GIF/MP4 export (:mod:`convtutor.export`) use. All
text is drawn as glyph outlines in one collection, so a frame with a hundred numbers redraws in
milliseconds.

Figures here are not managed by pyplot; ending a notebook cell with one shows it once: in the
formats the notebook chose for its inline figures (SVG after ``%config
InlineBackend.figure_formats = ["svg"]``), else as a PNG.
"""

from __future__ import annotations

import functools
import io

import numpy as np

from ._validation import check_int
from .frames import EDGE, INK, LEGEND, STYLE, Picture, check_geometry, frame_model, frame_models
from .geometry import Geometry

__all__ = ["Scene", "text_path", "scene_figure", "cell_size", "use_svg", "draw", "draw_scatter", "strip",
           "channel_groups", "padding_modes", "value_grid", "field_overlay", "conv_tensors",
           "stack_paths"]


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


class Scene:
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
            faces = panel.colors().reshape(-1, 3)
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


def _inline_formats():
    """The figure formats and print options a notebook chose for its inline figures
    (``%config InlineBackend.figure_formats = ["svg"]``), or None outside a Jupyter kernel.

    The options are read from the inline backend's settings object, created (with the
    kernel's configuration) if pyplot has not drawn a figure yet.
    """
    import sys

    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return None
    try:
        from matplotlib_inline.config import InlineBackend
    except ImportError:  # pragma: no cover - ipykernel depends on it
        return None
    backend = InlineBackend.instance(parent=shell)
    return set(backend.figure_formats), dict(backend.print_figure_kwargs)


@functools.lru_cache(maxsize=1)
def _picture_figure():
    from matplotlib.figure import Figure

    class PictureFigure(Figure):
        """A figure not managed by pyplot that shows itself once, ending a notebook cell.

        In a kernel whose inline backend has figure formats (``%config
        InlineBackend.figure_formats``), it shows in those formats, drawn as IPython draws pyplot's
        figures (with ``InlineBackend.print_figure_kwargs``); elsewhere as a PNG.
        """

        def _repr_png_(self):
            chosen = _inline_formats()
            if chosen is not None and "png" not in chosen[0]:
                return None
            buf = io.BytesIO()
            self.savefig(buf, format="png", metadata={"Software": None})
            return buf.getvalue()

        def _repr_svg_(self):
            chosen = _inline_formats()
            if chosen is None or "svg" not in chosen[0]:
                return None
            from IPython.core.pylabtools import print_figure

            return print_figure(self, "svg", **chosen[1])

    return PictureFigure


def scene_figure(pic: Picture, ax, cell: float, dpi: float, old: Scene | None = None) -> Scene:
    """Build the scene on ``ax``, or on a new figure sized so that one cell is ``cell`` inches, or
    in place of scene ``old`` on its figure (resized)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if ax is not None:
        return Scene(ax, pic, cell)
    if old is None:
        fig = _picture_figure()(dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
    else:
        old.remove()
        ax = old.ax
    scene = Scene(ax, pic, cell)
    x0, x1, y0, y1 = scene.extent
    ax.figure.set_size_inches((x1 - x0) * cell, (y1 - y0) * cell)
    return scene


def cell_size(numbers: bool, cell) -> float:
    """A cell's size in inches: ``cell``, or a default that leaves room for the numbers."""
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
    return scene_figure(pic, ax, cell_size(numbers, cell), dpi).ax.figure


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
    return scene_figure(pic, ax, cell_size(numbers, cell), dpi).ax.figure


def _new_axes(ax, size):
    """``ax`` itself, or the Axes of a new non-pyplot figure of ``size`` inches."""
    if ax is not None:
        return ax
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _picture_figure()(figsize=size, dpi=100)
    FigureCanvasAgg(fig)
    return fig.add_subplot()


def strip(geometry: Geometry, view: str = "conv", frames=None, columns: int = 4, values=None, kernel=None,
          numbers: bool = False, cell: float | None = None, dpi: float = 100):
    """Consecutive frames side by side, for a page that cannot play an animation.

    Parameters:
        geometry: a 1-D or 2-D :class:`~convtutor.geometry.Geometry`.
        view: ``'conv'`` or ``'scatter'``.
        frames: the frame numbers to show (default: all of them).
        columns: frames per row.
        values, kernel, numbers, cell, dpi: as in :func:`draw`.

    Example:
        >>> from convtutor.geometry import conv_geometry
        >>> fig = strip(conv_geometry((5, 5), 3, stride=2), columns=2)
        >>> len(fig.axes)
        4
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    pictures = frame_models(geometry, view, values, kernel, numbers)
    chosen = list(range(len(pictures))) if frames is None else [check_int("frames[i]", f, minimum=0) for f in frames]
    for f in chosen:
        if f >= len(pictures):
            raise ValueError(f"frame {f} does not exist: this picture has {len(pictures)} frames")
    columns = check_int("columns", columns, minimum=1)
    rows = -(-len(chosen) // columns)
    size = cell_size(numbers, cell)
    fig = _picture_figure()(dpi=dpi)
    FigureCanvasAgg(fig)
    extent = None
    for n, f in enumerate(chosen):
        ax = fig.add_subplot(rows, min(columns, len(chosen)), n + 1)
        scene = Scene(ax, pictures[f], size)
        extent = scene.extent
    x0, x1, y0, y1 = extent
    fig.set_size_inches(min(columns, len(chosen)) * (x1 - x0) * size, rows * (y1 - y0) * size)
    fig.subplots_adjust(0, 0, 1, 1, 0.02, 0.02)
    return fig


_GROUP_COLOURS = ("#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442", "#999999")


def channel_groups(channels, groups, ax=None, title: str | None = None):
    """Which channels each output channel reads, stage by stage, coloured by group.

    ``channels`` lists the channel counts of the tensors (at least two: input and output) and
    ``groups`` the groups of each convolution between them (an int for every stage, or a list).
    ``groups = C_in`` is a depthwise stage; a depthwise separable layer is ``channels=[C, C, C_out]``,
    ``groups=[C, 1]``. The lines are the kernels: ``C_out * C_in / groups`` per stage.

    Returns the figure; ``fig.kernels`` holds the number of lines of each stage.

    Example:
        >>> fig = channel_groups([4, 4, 8], [4, 1])   # depthwise, pointwise
        >>> fig.kernels
        [4, 32]
    """
    from matplotlib.collections import LineCollection, PolyCollection

    counts = [check_int(f"channels[{i}]", c, minimum=1) for i, c in enumerate(channels)]
    if len(counts) < 2:
        raise ValueError(f"channels={channels!r} must list at least two tensors (input and output)")
    gs = [groups] * (len(counts) - 1) if isinstance(groups, int) else list(groups)
    if len(gs) != len(counts) - 1:
        raise ValueError(f"groups={groups!r} must have one entry per stage ({len(counts) - 1})")
    from ._validation import check_channels

    for a, b, g in zip(counts, counts[1:], gs):
        check_channels(a, b, g)
    rows = max(counts)
    ax = _new_axes(ax, (1.6 + 2.2 * (len(counts) - 1), 0.5 + 0.28 * rows))
    ys = [(rows - c) / 2 + np.arange(c)[::-1] for c in counts]
    segments, colours, kernels = [], [], []
    for stage, (a, b, g) in enumerate(zip(counts, counts[1:], gs)):
        gin, gout = np.arange(a) // (a // g), np.arange(b) // (b // g)
        n = 0
        for o in range(b):
            for c in np.flatnonzero(gin == gout[o]):
                segments.append([(2 * stage + 0.4, ys[stage][c] + 0.4), (2 * stage + 2, ys[stage + 1][o] + 0.4)])
                colours.append(_GROUP_COLOURS[gout[o] % len(_GROUP_COLOURS)])
                n += 1
        kernels.append(n)
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=1.0, alpha=0.85))
    for col, (c, y) in enumerate(zip(counts, ys)):
        g = gs[col] if col < len(gs) else gs[-1]
        group = np.arange(c) // (c // g) if col < len(gs) else np.arange(c) // (c // gs[-1])
        squares = [[(2 * col, yy), (2 * col + 0.8, yy), (2 * col + 0.8, yy + 0.8), (2 * col, yy + 0.8)] for yy in y]
        ax.add_collection(PolyCollection(squares, facecolors=[_GROUP_COLOURS[q % len(_GROUP_COLOURS)] for q in group],
                                         edgecolors=EDGE, linewidths=0.8))
        ax.text(2 * col + 0.4, -0.4, f"{c}", ha="center", va="top", fontsize=9, color=INK)
    ax.set_xlim(-0.4, 2 * (len(counts) - 1) + 1.2)
    ax.set_ylim(-1.2, rows + 0.2)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10, color=INK)
    ax.figure.kernels = kernels
    return ax.figure


def value_grid(array, ax=None, title: str | None = None, fmt: str = "{:.3g}", fontsize: float = 8):
    """A small 2-D array as coloured cells with their values written in (a diverging scale).

    Example:
        >>> fig = value_grid(np.arange(9).reshape(3, 3) - 4, title="centred")
    """
    from ._validation import as_numeric_array, check_ndim

    a = check_ndim("array", as_numeric_array("array", array), (1, 2), "a 1-D or 2-D array")
    a = a.reshape(1, -1) if a.ndim == 1 else a
    ax = _new_axes(ax, (0.35 * a.shape[1] + 0.4, 0.35 * a.shape[0] + 0.5))
    top = max(float(np.abs(a).max()), 1e-12)
    ax.imshow(a, cmap="RdBu_r", vmin=-1.8 * top, vmax=1.8 * top)
    for (r, c), v in np.ndenumerate(a):
        ax.text(c, r, fmt.format(v + 0), ha="center", va="center", fontsize=fontsize, color=INK)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9, color=INK)
    return ax.figure


def padding_modes(values, padding: int, modes=None):
    """One row of cells per padding mode: the input in the middle, the border filled as that mode does.

    Padding cells are drawn dashed, with the value they copy and the input cell it comes from
    marked (:func:`convtutor.padding.padding_source`); a zero is a blank dashed cell.

    Example:
        >>> fig = padding_modes([1, 2, 3, 4, 5], 3)
        >>> len(fig.axes)
        4
    """
    from matplotlib.patches import Rectangle

    from ._validation import as_numeric_array, check_ndim
    from .padding import PADDING_KINDS, pad, padding_source

    v = check_ndim("values", as_numeric_array("values", values), (1,), "a 1-D array")
    p = check_int("padding", padding, minimum=0)
    modes = PADDING_KINDS if modes is None else tuple(modes)
    fig = _picture_figure()(figsize=(0.42 * (v.size + 2 * p) + 1.6, 0.55 * len(modes) + 0.2), dpi=100)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    for row, mode in enumerate(modes):
        ax = fig.add_subplot(len(modes), 1, row + 1)
        padded = pad(v, (p,), mode)
        for pos, value in enumerate(padded):
            source = padding_source(pos, v.size, p, mode)
            inside = p <= pos < p + v.size
            face = STYLE["input"][0] if inside else ("#ffffff" if source is None else "#d9ecf7")
            ax.add_patch(Rectangle((pos, 0), 1, 1, facecolor=face, edgecolor=EDGE,
                                   linestyle="solid" if inside else "dashed", linewidth=0.9))
            if source is not None:
                ax.text(pos + 0.5, 0.5, f"{value + 0:g}", ha="center", va="center", fontsize=9,
                        color=INK if inside else "#41607a")
        ax.text(-0.3, 0.5, mode, ha="right", va="center", fontsize=9, color=INK)
        ax.set_xlim(-2.6, padded.size + 0.1)
        ax.set_ylim(-0.1, 1.1)
        ax.set_aspect("equal")
        ax.set_axis_off()
    fig.subplots_adjust(0, 0, 1, 1, 0, 0.15)
    return fig


def field_overlay(image, field, ax=None, title: str | None = None):
    """An image with a receptive field on it: the measured map as a glow, the theoretical square outlined.

    Parameters:
        image: ``(H, W)`` grey or ``(3, H, W)`` RGB values in [0, 1].
        field: a :class:`convtutor.receptive.FieldMap` computed on an input of the image's size.

    Example:
        >>> from convtutor.receptive import field_map
        >>> from convtutor.arithmetic import Layer
        >>> fm = field_map([Layer(3, 2, 1)] * 2, (20, 20))
        >>> fig = field_overlay(np.zeros((20, 20)), fm)
    """
    from matplotlib.patches import Rectangle

    from ._validation import as_numeric_array, check_ndim

    img = check_ndim("image", as_numeric_array("image", image), (2, 3), "a 2-D (H, W) or 3-D (3, H, W) array")
    rgb_image = np.moveaxis(img, 0, -1) if img.ndim == 3 else np.stack([img] * 3, axis=-1)
    values = np.abs(field.values)
    if values.shape != rgb_image.shape[:2]:
        raise ValueError(f"field was measured on an input of size {values.shape}, the image is {rgb_image.shape[:2]}")
    ax = _new_axes(ax, (3.2, 3.2 * rgb_image.shape[0] / rgb_image.shape[1]))
    # the image dimmed, with an orange glow blended in where the field reaches: one RGB image
    # (not two layers), so that a vector figure embeds a single picture
    alpha = (0.85 * values / values.max())[..., None]
    blended = np.clip(rgb_image, 0, 1) * 0.55 * (1 - alpha) + np.array([1.0, 0.62, 0.0]) * alpha
    ax.imshow(blended, interpolation="nearest")
    (r0, r1), (c0, c1) = field.predicted
    ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0 + 1, r1 - r0 + 1, fill=False, edgecolor="#56B4E9",
                           linewidth=1.6, linestyle="--"))
    ax.set_xlim(-0.5, values.shape[1] - 0.5)
    ax.set_ylim(values.shape[0] - 0.5, -0.5)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9, color=INK)
    return ax.figure


def use_svg() -> None:
    """Show a notebook's matplotlib figures as SVG that is the same on every run.

    Line and grid art stays crisp at any zoom; the SVG carries no date and fixed element ids
    (``svg.hashsalt``), so nbval finds it unchanged when the notebook runs again; figures are
    cropped to their content. Call it once, in a chapter's first cell.

    Example:
        >>> use_svg()
    """
    import matplotlib
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    matplotlib.rcParams["svg.hashsalt"] = "convtutor"
    set_matplotlib_formats("svg", metadata={"Date": None}, bbox_inches="tight")


_OUTPUT_COLOURS = ("#6ccbb7", "#c9a0dc", "#f4a582", "#9ecae1", "#d9d96c", "#bdbdbd")


def conv_tensors(in_channels: int = 3, out_channels: int = 2, input_size=5, kernel_size=3, stride=1,
                 padding=0, ax=None, title: str | None = None):
    """The real tensors of one 2-D convolution layer, drawn as stacks of channel sheets.

    Left, the input: ``C_in`` sheets of ``H x W`` cells. Middle, the weight: ``C_out`` kernels,
    each a stack of ``C_in`` sheets of ``kH x kW`` (sheet ``c`` has the colour of input channel
    ``c``: every kernel spans all the input channels). Right, the output: ``C_out`` sheets, one per
    kernel, in that kernel's colour. The window of the first output cell is shaded on every
    input sheet and joined to that cell: one output value sums ``C_in * kH * kW`` products.

    Parameters:
        in_channels: ``C_in``, 1 to 8 (sheets drawn).
        out_channels: ``C_out``, 1 to 6 (kernels drawn).
        input_size, kernel_size, stride, padding: an int or ``(height, width)``; sizes up to
            12 cells, padding as in :func:`convtutor.conv2d` (ints only: zeros on both sides).
        ax: an Axes to draw on (default: a new figure).
        title: a heading.

    Shape:
        the output sheets are ``conv_shape(input_size, kernel_size, stride, padding).output_size``.

    Returns the figure; ``fig.sheets`` counts the sheets drawn
    (``{"input": C_in, "kernels": C_out * C_in, "output": C_out}``) and ``fig.output_size`` is
    the output's spatial size.

    Example:
        >>> fig = conv_tensors(3, 2, input_size=5, kernel_size=3)
        >>> fig.sheets, fig.output_size
        ({'input': 3, 'kernels': 6, 'output': 2}, (3, 3))
    """
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    from .arithmetic import conv_shape

    cin = check_int("in_channels", in_channels, minimum=1)
    cout = check_int("out_channels", out_channels, minimum=1)
    if cin > 8:
        raise ValueError(f"in_channels={cin} must be at most 8 (the sheets drawn stay legible)")
    if cout > len(_OUTPUT_COLOURS):
        raise ValueError(f"out_channels={cout} must be at most {len(_OUTPUT_COLOURS)} "
                         "(one colour per kernel)")
    for name, value in (("input_size", input_size), ("kernel_size", kernel_size)):
        sizes = value if isinstance(value, (tuple, list)) else (value,)
        if any(isinstance(v, int) and v > 12 for v in sizes):
            raise ValueError(f"{name}={value!r} must be at most 12 cells in each dimension (the cells drawn)")
    if isinstance(padding, str) or (isinstance(padding, (tuple, list)) and
                                    any(isinstance(p, (tuple, list)) for p in padding)):
        raise TypeError(f"padding={padding!r} must be an int or (height, width) ints: zeros on both sides")
    shape = conv_shape(input_size if isinstance(input_size, (tuple, list)) else (input_size,) * 2,
                       kernel_size, stride, padding, in_channels=cin, out_channels=cout)
    (ih, iw), (kh, kw), (oh, ow) = shape.input_size, shape.kernel_size, shape.output_size
    (pt, _), (pl, _) = shape.padding
    step, gap, space, cell = 0.55, 2.6, 0.9, 0.24     # sheet offset, gaps (cells); inches per cell
    rows, cols = ih + 2 * pt, iw + 2 * pl             # the padded input
    x_kernel = cols + (cin - 1) * step + gap
    kernel_w, kernel_h = kw + (cin - 1) * step, kh + (cin - 1) * step
    x_output = x_kernel + kernel_w + gap
    kernels_h = cout * kernel_h + (cout - 1) * space
    column = max(rows + (cin - 1) * step, kernels_h, oh + (cout - 1) * step)
    width = x_output + ow + (cout - 1) * step + 0.3
    ax = _new_axes(ax, (width * cell + 0.3, (column + 3.6) * cell))
    z = [1.0]

    def box(x0, y0, h, w):
        return [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]

    def sheet(x0, y0, h, w, face, edge, lw=0.9, inner=None, lit=None):
        """One channel: a face of h x w cells (``inner``: the part that is not padding), its
        cell lines, and the lit cells (row0, col0, rows, cols from the top left)."""
        polys, colours, styles = [box(x0, y0, h, w)], [face], ["solid"]
        if inner is not None:                         # padding: white and dashed around the input
            top, left = inner
            colours[0], styles[0] = "#ffffff", "dashed"
            polys.append(box(x0 + left, y0 + top, h - 2 * top, w - 2 * left))
            colours.append(face)
            styles.append("solid")
        ax.add_collection(PolyCollection(polys, facecolors=colours, edgecolors=edge, linewidths=lw,
                                         linestyles=styles, zorder=z[0]))
        lines = [[(x0 + c, y0), (x0 + c, y0 + h)] for c in range(1, w)]
        lines += [[(x0, y0 + r), (x0 + w, y0 + r)] for r in range(1, h)]
        if lines:                                     # one path for all the cell lines: a light SVG
            grid = Path(np.array(lines, float).reshape(-1, 2), [Path.MOVETO, Path.LINETO] * len(lines))
            ax.add_patch(PathPatch(grid, fill=False, edgecolor=EDGE, linewidth=0.35, alpha=0.55,
                                   zorder=z[0] + 0.1))
        corners = None
        if lit is not None:
            r0, c0, nr, nc = lit
            corners = box(x0 + c0, y0 + h - r0 - nr, nr, nc)
            ax.add_collection(PolyCollection([corners], facecolors=(0.09, 0.16, 0.23, 0.25),
                                             edgecolors="#0b1e30", linewidths=1.2, zorder=z[0] + 0.2))
        z[0] += 1
        return corners

    y_in = (column - rows - (cin - 1) * step) / 2
    for c in reversed(range(cin)):                    # back to front
        window = sheet(c * step, y_in + c * step, rows, cols, _GROUP_COLOURS[c % 8], EDGE,
                       inner=(pt, pl) if pt or pl else None, lit=(0, 0, kh, kw))
    for o in range(cout):
        y = (column + kernels_h) / 2 - (o + 1) * kernel_h - o * space
        for c in reversed(range(cin)):
            sheet(x_kernel + c * step, y + c * step, kh, kw, _GROUP_COLOURS[c % 8], _OUTPUT_COLOURS[o],
                  lw=1.8)
        ax.text(x_kernel - 0.3, y + kh / 2, f"W[{o}]", ha="right", va="center", fontsize=9, color=INK,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0}, zorder=z[0])
    y_out = (column - oh - (cout - 1) * step) / 2
    for o in reversed(range(cout)):
        target = sheet(x_output + o * step, y_out + o * step, oh, ow, _OUTPUT_COLOURS[o], EDGE,
                       lit=(0, 0, 1, 1) if o == 0 else None)
    ax.add_collection(LineCollection([[window[2], target[3]], [window[1], target[0]]], colors="#0b1e30",
                                     linewidths=0.8, linestyles="dashed", zorder=0.5))
    padded = f"\n(padding {pt}×{pl})" if pt or pl else ""
    plural = "s" if cout > 1 else ""
    channels = f"{cin} channel{'s' if cin > 1 else ''}"
    labels = [(cols / 2 + (cin - 1) * step / 2, f"input: {channels}\nof {ih}×{iw}{padded}"),
              (x_kernel + kernel_w / 2, f"weight: {cout} kernel{plural}\neach {cin}×{kh}×{kw}"),
              (x_output + ow / 2 + (cout - 1) * step / 2, f"output: {cout} channel{plural}\nof {oh}×{ow}")]
    for x, text in labels:
        ax.text(x, -0.5, text, ha="center", va="top", fontsize=9, color=INK, linespacing=1.3)
    ax.set_xlim(-0.3, width)
    ax.set_ylim(-3.4, column + 0.3)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10, color=INK)
    ax.figure.sheets = {"input": cin, "kernels": cout * cin, "output": cout}
    ax.figure.output_size = shape.output_size
    return ax.figure


def stack_paths(layers, length: int, padding=None, output_index=None, ax=None, labels=None,
                anchor: str | None = None):
    """A 1-D stack of layers as rows of dots, one line per kernel tap; the taps that reach one
    output cell of the last layer are drawn dark (the picture of WaveNet's dilated causal stack).

    Each row is one feature map (the input at the bottom); a dot of row ``l`` is joined to the
    cells of row ``l - 1`` its kernel reads (padding cells are not drawn). Which cells those are
    comes from :func:`convtutor.geometry.conv_geometry`, layer by layer.

    Parameters:
        layers: the stack, as :func:`convtutor.receptive_field` takes it (``Layer`` objects,
            tuples ``(kernel_size, stride, padding, dilation)``...).
        length: the input's length.
        padding: ``None`` (each layer's own ``padding``) or a name for every layer:
            ``'causal'``, ``'same'``, ``'valid'``, ``'full'``.
        output_index: the output cell whose paths are dark (default: the last one).
        ax: an Axes to draw on (default: a new figure).
        labels: one name per row, input first (default ``input``, ``d = 1``...).
        anchor: where a dot sits over the cells it reads: ``'end'`` (over the last one: a causal
            output stands at its own time step) or ``'center'``; default ``'end'`` for causal
            padding, else ``'center'``.

    Returns the figure; ``fig.reached`` holds, per row (input first), the sorted cells that the
    output cell depends on: ``fig.reached[0]`` is its receptive field, cut by the input's edges.

    Example:
        >>> from convtutor.arithmetic import Layer
        >>> rates = [Layer(2, dilation=d) for d in (1, 2, 4)]
        >>> fig = stack_paths(rates, 12, padding="causal")
        >>> fig.reached[0]
        (4, 5, 6, 7, 8, 9, 10, 11)
    """
    from .arithmetic import as_layer
    from .geometry import conv_geometry

    stack = [as_layer(spec, i) for i, spec in enumerate(layers)]
    if not stack:
        raise ValueError("layers must hold at least one layer")
    length = check_int("length", length, minimum=1)
    if padding is not None and not isinstance(padding, str):
        raise TypeError(f"padding must be None or a name ('causal', 'same', 'valid', 'full'), got {padding!r}")
    anchor = anchor or ("end" if padding == "causal" else "center")
    if anchor not in ("end", "center"):
        raise ValueError(f"anchor={anchor!r} must be 'end' or 'center'")
    geometries, size = [], length
    for layer in stack:
        g = conv_geometry(size, layer.kernel_size, layer.stride,
                          layer.padding if padding is None else padding, layer.dilation)
        geometries.append(g)
        size = g.output_size[0]
    rows = len(stack) + 1
    if labels is None:
        labels = ["input"] + [f"d = {layer.dilation}" for layer in stack]
    labels = [str(text) for text in labels]
    if len(labels) != rows:
        raise ValueError(f"labels must name {rows} rows (the input and each layer), got {len(labels)}")
    last = geometries[-1].output_size[0]
    out = last - 1 if output_index is None else check_int("output_index", output_index, minimum=0)
    if out >= last:
        raise ValueError(f"output_index={out} must be below the last layer's output size {last}")
    # x of cell n in row l is offset + scale * n: over the middle or the last cell it reads
    offsets, scales = [0.0], [1.0]
    for layer, g in zip(stack, geometries):
        span = layer.dilation * (layer.kernel_size - 1)
        shift = (span if anchor == "end" else span / 2) - g.padding[0][0]
        offsets.append(offsets[-1] + scales[-1] * shift)
        scales.append(scales[-1] * layer.stride)
    reached = [set() for _ in range(rows)]
    reached[-1].add(out)
    for level in range(len(stack), 0, -1):
        for n in reached[level]:
            reached[level - 1].update(t.input_index[0] for t in geometries[level - 1].footprint(n)
                                      if t.input_index is not None)
    ax = _new_axes(ax, (min(0.32 * length + 1.2, 9.0), 0.62 * rows + 0.5))
    light, dark = [], []
    for level, g in enumerate(geometries, start=1):
        for n in range(g.output_size[0]):
            for t in g.footprint(n):
                if t.input_index is None:
                    continue
                c = t.input_index[0]
                segment = [(offsets[level - 1] + scales[level - 1] * c, level - 1),
                           (offsets[level] + scales[level] * n, level)]
                (dark if n in reached[level] else light).append(segment)
    for segments, colour, width, z in ((light, "#d5dde4", 0.8, 1), (dark, "#1c5b96", 1.6, 2)):
        # one polyline broken by NaNs: a single path in a vector file, not one per tap
        xy = np.full((3 * len(segments), 2), np.nan)
        if segments:
            xy[0::3], xy[1::3] = [a for a, _ in segments], [b for _, b in segments]
        ax.plot(xy[:, 0], xy[:, 1], color=colour, lw=width, zorder=z, solid_capstyle="round")
    sizes = [length] + [g.output_size[0] for g in geometries]
    for level, count in enumerate(sizes):
        xs = offsets[level] + scales[level] * np.arange(count)
        on = np.isin(np.arange(count), sorted(reached[level]))
        ax.scatter(xs[~on], np.full((~on).sum(), level), s=26, color="white", edgecolor="#a8b6c2", zorder=3)
        ax.scatter(xs[on], np.full(on.sum(), level), s=30, color="#1c5b96", edgecolor=INK, zorder=4)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # time steps are whole
    ax.set_yticks(range(rows), labels, fontsize=9)
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", labelsize=9)
    ax.set_xlim(-0.7, length - 0.3)
    ax.set_ylim(-0.5, rows - 0.5)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.figure.reached = [tuple(sorted(r)) for r in reached]
    ax.figure.dark_taps = len(dark)
    return ax.figure
