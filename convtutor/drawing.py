"""Drawings with matplotlib: a convolution at one moment, a strip of moments, and the book's figures.

The browser's animations and explorers are drawn by the JavaScript engine
(:mod:`convtutor.explorer`); matplotlib draws what is static or printed: one frame
(:func:`draw`, :func:`draw_scatter`), a strip of consecutive frames for paper (:func:`strip`),
and the figures of the chapters that need no animation (:func:`channel_groups`,
:func:`padding_modes`, :func:`value_grid`, :func:`field_overlay`). A :class:`Scene` is built once
and updated in place frame after frame, which is what the live ipywidgets explorers and the
GIF/MP4 export (:mod:`convtutor.export`) use. All text is drawn as glyph outlines in one
collection, so a frame with a hundred numbers redraws in milliseconds.

Figures here are not managed by pyplot; ending a notebook cell with one shows it once as a PNG.
"""

from __future__ import annotations

import functools
import io

import numpy as np

from ._validation import check_int
from .frames import EDGE, INK, LEGEND, STYLE, Picture, check_geometry, frame_model, frame_models
from .geometry import Geometry

__all__ = ["Scene", "text_path", "scene_figure", "cell_size", "use_svg", "draw", "draw_scatter", "strip", "channel_groups",
           "padding_modes", "value_grid", "field_overlay"]


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
    ax.imshow(np.clip(rgb_image, 0, 1) * 0.55, interpolation="nearest")
    glow = np.zeros(values.shape + (4,))
    glow[..., :3] = (1.0, 0.62, 0.0)
    glow[..., 3] = 0.85 * values / values.max()
    ax.imshow(glow, interpolation="nearest")
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
