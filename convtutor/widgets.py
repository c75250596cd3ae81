"""Explorers for a live kernel: sliders for the parameters, the picture and the numbers redrawn.

Each explorer is an :class:`Explorer`: ``.sliders`` (name -> ``ipywidgets.IntSlider``),
``.message`` (an ``ipywidgets.HTML`` with the output size, the formula with the numbers filled
in, parameters and multiply-adds from :mod:`convtutor.arithmetic`), ``.output`` (an
``ipywidgets.Output`` holding the picture as a PNG) and ``.widget`` (the whole box, which is
what a notebook shows). A combination the package rejects (kernel larger than the padded input,
``output_padding`` not below stride or dilation...) shows the package's message instead of the
picture, never a traceback.

The picture is drawn on one matplotlib figure kept for the explorer's life: moving the
``position`` slider only recolours the cells and relabels the numbers; other sliders rebuild
the scene on the same figure. The PNG goes straight into the Output widget's ``outputs``, so
nothing leaks into the notebook cell's own output.
"""

from __future__ import annotations

import base64
import html
import time

import numpy as np

from . import arithmetic
from .drawing import scene_figure, text_path
from .frames import INK, frame_model
from ._validation import check_int
from .geometry import conv_geometry, describe, transposed_geometry

__all__ = ["Explorer", "conv_explorer", "transposed_explorer", "depthwise_explorer"]


def _slider(name: str, value: int, low: int, high: int, description: str | None = None):
    import ipywidgets as w

    value = check_int(name, value, minimum=low)
    return w.IntSlider(value=value, min=low, max=max(high, value), description=description or name,
                       continuous_update=True, style={"description_width": "initial"},
                       layout=w.Layout(width="260px"))


def _png(fig) -> bytes:
    """The figure as an RGB PNG, quickly: draw, then let Pillow encode with light compression."""
    import io

    from PIL import Image

    fig.canvas.draw()
    size = fig.canvas.get_width_height()
    img = Image.frombuffer("RGBA", size, fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="png", compress_level=1)
    return buf.getvalue()


def _fmt_size(size) -> str:
    return "×".join(map(str, size))


class Explorer:
    """Sliders, a message and a picture, redrawn on every slider move.

    Attributes:
        sliders: dict name -> ``ipywidgets.IntSlider`` (set ``.value`` to drive it from code).
        message: ``ipywidgets.HTML`` with the numbers, or the error for an impossible combination.
        output: ``ipywidgets.Output`` holding the picture.
        widget: the ``ipywidgets.VBox`` shown in a notebook (ending a cell with the explorer shows it).
        error: the last error message (``None`` when the combination is valid).
        redraws: how many times the explorer updated; redraw_ms: the milliseconds each update took.
    """

    def __init__(self, sliders: dict, controls: tuple = ()):
        import ipywidgets as w

        self.sliders = sliders
        self.message = w.HTML()
        self.output = w.Output()
        self.error: str | None = None
        self.redraws = 0
        self.redraw_ms: list[float] = []
        self.figure = None
        self._scene = None
        self._scene_key = None
        self._busy = False
        items = list(sliders.values()) + list(controls)
        half = (len(items) + 1) // 2
        box = w.HBox([w.VBox(items[:half]), w.VBox(items[half:])])
        self.widget = w.VBox([box, self.message, self.output])
        for control in items:
            control.observe(self._changed, names="value")
        self.update()

    def _repr_mimebundle_(self, **kwargs):
        """Show the box; its plain-text form (what nbval compares) is short and deterministic."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={value}" for name, value in self.values().items())
        return f"{type(self).__name__.lstrip('_')}({values})"

    def _changed(self, change) -> None:
        if not self._busy:
            self.update()

    def values(self) -> dict:
        """The current slider values."""
        return {name: s.value for name, s in self.sliders.items()}

    def update(self) -> None:
        """Recompute the message and redraw the picture from the current slider values."""
        start = time.perf_counter()
        self._busy = True
        try:
            text, png = self._compute(self.values())
            self.error = None
        except ValueError as exc:  # an impossible combination: the package's own message
            self.error = str(exc)
            text, png = f'<span style="color:#a4161a">&#9888; {html.escape(self.error)}</span>', None
        finally:
            self._busy = False
        self.message.value = text
        if png is None:
            self.output.outputs = ()
        else:
            data = {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": "<picture>"}
            self.output.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)
        self.redraws += 1
        self.redraw_ms.append((time.perf_counter() - start) * 1000)

    def _set_range(self, name: str, count: int) -> int:
        """Fit slider ``name`` to ``count`` choices (0..count-1) and return its value."""
        s = self.sliders[name]
        s.max = max(count - 1, 0)
        s.disabled = count <= 1
        return s.value

    def _draw(self, key, pic) -> bytes:
        """Update the scene if ``key`` (what the cells are) is unchanged, else rebuild it."""
        if key == self._scene_key:
            self._scene.update(pic)
        else:
            self._scene = scene_figure(pic, None, self.cell, 72, old=self._scene)
            self.figure = self._scene.ax.figure
            self._scene_key = key
        return _png(self.figure)

    def _compute(self, v: dict) -> tuple[str, bytes | None]:  # pragma: no cover - abstract
        raise NotImplementedError


class _ConvExplorer(Explorer):
    def __init__(self, input_size, kernel_size, stride, padding, dilation, numbers):
        self.numbers, self.cell = numbers, 0.34 if numbers else 0.28
        super().__init__({
            "input_size": _slider("input_size", input_size, 1, 12, "input i"),
            "kernel_size": _slider("kernel_size", kernel_size, 1, 7, "kernel k"),
            "stride": _slider("stride", stride, 1, 4, "stride s"),
            "padding": _slider("padding", padding, 0, 4, "padding p"),
            "dilation": _slider("dilation", dilation, 1, 4, "dilation d"),
            "position": _slider("position", 0, 0, 0, "position"),
        })

    def _compute(self, v):
        i, k, s, p, d = (v[n] for n in ("input_size", "kernel_size", "stride", "padding", "dilation"))
        g = conv_geometry((i, i), k, s, p, d)
        positions = list(g.positions())
        y = positions[self._set_range("position", len(positions))]
        taps = g.footprint(y)
        o = g.output_size[0]
        kinds = [t.kind for t in taps]
        weights = arithmetic.conv_parameters(1, 1, k, bias=False)
        macs = arithmetic.conv_macs(1, 1, k, g.output_size)
        msg = (
            f"<b>{html.escape(describe(g))}</b><br>"
            f"output size <b>{_fmt_size(g.output_size)}</b>: "
            f"o = &lfloor;(i + 2p &minus; d(k&minus;1) &minus; 1) / s&rfloor; + 1 = "
            f"&lfloor;({i} + {2 * p} &minus; {d * (k - 1)} &minus; 1) / {s}&rfloor; + 1 = {o}; "
            f"the dilated kernel spans d(k&minus;1) + 1 = {d * (k - 1) + 1} cells<br>"
            f"one channel in, one out: {weights} weights, {macs} multiply-adds "
            f"({o * o} positions &times; {k * k})<br>"
            f"position {y}: the kernel covers {kinds.count('input')} input and "
            f"{kinds.count('padding')} padding cells"
        )
        pic = frame_model(g, y, "conv", numbers=self.numbers)
        return msg, self._draw(g, pic)


class _TransposedExplorer(Explorer):
    def __init__(self, input_size, kernel_size, stride, padding, output_padding, dilation, numbers):
        import ipywidgets as w

        self.numbers, self.cell = numbers, 0.32 if numbers else 0.26
        self.view = w.ToggleButtons(options=[("as a convolution", "conv"), ("as a scatter", "scatter")],
                                    value="conv", description="view",
                                    style={"description_width": "initial", "button_width": "120px"})
        super().__init__({
            "input_size": _slider("input_size", input_size, 1, 8, "input i"),
            "kernel_size": _slider("kernel_size", kernel_size, 1, 6, "kernel k"),
            "stride": _slider("stride", stride, 1, 4, "stride s"),
            "padding": _slider("padding", padding, 0, 4, "padding p"),
            "output_padding": _slider("output_padding", output_padding, 0, 3, "output_padding"),
            "dilation": _slider("dilation", dilation, 1, 3, "dilation d"),
            "position": _slider("position", 0, 0, 0, "position"),
        }, controls=(self.view,))

    def _compute(self, v):
        names = ("input_size", "kernel_size", "stride", "padding", "output_padding", "dilation")
        i, k, s, p, op, d = (v[n] for n in names)
        g = transposed_geometry((i, i), k, s, p, op, d)
        view = self.view.value
        cells = list(g.positions()) if view == "conv" else list(np.ndindex(*g.input_size))
        index = cells[self._set_range("position", len(cells))]
        o, before = g.output_size[0], g.grid_padding[0][0]
        zeros = f"{s - 1} zero{'s' if s != 2 else ''}"
        msg = (
            f"<b>{html.escape(describe(g))}</b><br>"
            f"output size <b>{_fmt_size(g.output_size)}</b>: "
            f"o = (i&minus;1)s &minus; 2p + d(k&minus;1) + op + 1 = "
            f"({i}&minus;1)&middot;{s} &minus; {2 * p} + {d * (k - 1)} + {op} + 1 = {o}<br>"
            f"as a convolution: {zeros} inserted between input values, "
            f"{'padded' if before >= 0 else 'cropped'} by |d(k&minus;1) &minus; p| = {abs(before)} "
            f"(+{op} after): a {_fmt_size(g.grid_size)} grid, kernel flipped, stride 1<br>"
            f"multiply-adds: {arithmetic.conv_transpose_macs(1, 1, k, g.input_size)} as a scatter "
            f"({i * i} inputs &times; {k * k} weights); {o * o * k * k} as the equivalent convolution, "
            f"which also multiplies the inserted and padding zeros<br>"
            f"{'output' if view == 'conv' else 'input'} cell {index}"
        )
        pic = frame_model(g, index, view, numbers=self.numbers)
        return msg, self._draw((g, view), pic)


class _DepthwiseExplorer(Explorer):
    def __init__(self, in_channels, out_channels, groups, kernel_size, input_size):
        self.cell = None
        super().__init__({
            "in_channels": _slider("in_channels", in_channels, 1, 16, "in channels I"),
            "out_channels": _slider("out_channels", out_channels, 1, 32, "out channels O"),
            "groups": _slider("groups", groups, 1, 16, "groups g"),
            "kernel_size": _slider("kernel_size", kernel_size, 1, 7, "kernel k"),
            "input_size": _slider("input_size", input_size, 1, 64, "input size"),
        })

    def _compute(self, v):
        names = ("in_channels", "out_channels", "groups", "kernel_size", "input_size")
        cin, cout, g, k, n = (v[x] for x in names)
        a = arithmetic
        params = a.conv_parameters(cin, cout, k, groups=g, bias=False)  # checks the channels
        size = a.conv_output_size((n, n), k, padding="same")
        macs = a.conv_macs(cin, cout, k, size, groups=g)
        dense_p, dense_m = a.conv_parameters(cin, cout, k, bias=False), a.conv_macs(cin, cout, k, size)
        sep_p = (a.conv_parameters(cin, cin, k, groups=cin, bias=False)
                 + a.conv_parameters(cin, cout, 1, bias=False))
        sep_m = a.conv_macs(cin, cin, k, size, groups=cin) + a.conv_macs(cin, cout, 1, size)
        kind = "depthwise" if g == cin else ("grouped" if g > 1 else "standard")
        mult = f"; depth multiplier O/I = {cout // cin}" if g == cin and cout % cin == 0 else ""
        msg = (
            f"<b>{kind} convolution</b>: {g} group{'s' if g > 1 else ''} of {cin // g} input &rarr; "
            f"{cout // g} output channel{'s' if cout // g > 1 else ''}{mult}<br>"
            f"weights (I/g)&middot;O&middot;k&sup2; = {cin // g}&middot;{cout}&middot;{k * k} = "
            f"<b>{params}</b> "
            f"(standard: {dense_p}); multiply-adds on {_fmt_size(size)} ('same' padding): <b>{macs}</b> "
            f"(standard: {dense_m})<br>"
            f"depthwise separable instead (depthwise {k}&times;{k} then pointwise 1&times;1): "
            f"{sep_p} weights, {sep_m} multiply-adds"
        )
        return msg, self._picture(cin, cout, g, k)

    def _picture(self, cin, cout, g, k) -> bytes:
        """Which input channels each output channel reads, coloured by group."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection, PathCollection, PolyCollection
        from matplotlib.figure import Figure

        if self.figure is None:
            self.figure = Figure(dpi=72)
            FigureCanvasAgg(self.figure)
            self._axes = self.figure.add_axes((0, 0, 1, 1))
            self._artists = []
        ax = self._axes
        for artist in self._artists:  # reuse the Axes: take the last picture's artists off
            artist.remove()
        cmap = ["#63aee8", "#6ccbb7", "#f4a259", "#bc4b51", "#8e7dbe", "#5b8e7d", "#e9c46a", "#8cb369"]
        rows = max(cin, cout)
        u = min(0.26, 3.0 / (rows + 1))  # inches per channel box
        pt = 1 / (72 * u)  # data units per point
        width = 4.6 / u
        xin, xout = 0.22 * width - 0.4, 0.78 * width - 0.4
        yin = (rows - cin) / 2 + np.arange(cin)[::-1]
        yout = (rows - cout) / 2 + np.arange(cout)[::-1]
        group_in, group_out = np.arange(cin) // (cin // g), np.arange(cout) // (cout // g)
        segs, colors = [], []
        for o in range(cout):
            for c in np.flatnonzero(group_in == group_out[o]):
                segs.append([(xin + 0.8, yin[c] + 0.4), (xout, yout[o] + 0.4)])
                colors.append(cmap[group_out[o] % len(cmap)])
        artists = [LineCollection(segs, colors=colors, linewidths=0.9, alpha=0.8)]
        for x, ys, groups in ((xin, yin, group_in), (xout, yout, group_out)):
            squares = [[(x, y), (x + 0.8, y), (x + 0.8, y + 0.8), (x, y + 0.8)] for y in ys]
            artists.append(PolyCollection(squares, facecolors=[cmap[q % len(cmap)] for q in groups],
                                          edgecolors="#27435c", linewidths=0.8))
        many = "s" if cin // g > 1 else ""
        texts = [text_path(f"input: {cin} channels", 8 * pt, "top", xin + 0.4, -0.3 - 3 * pt),
                 text_path(f"output: {cout} channels", 8 * pt, "top", xout + 0.4, -0.3 - 3 * pt),
                 text_path(f"each output channel reads {cin // g} input channel{many}: "
                                  f"{cin // g} kernel{many} of {k}×{k}", 8.5 * pt, "bottom", width / 2,
                                  rows + 0.2 + 3 * pt)]
        artists.append(PathCollection(texts, facecolors=INK, edgecolors="none"))
        self._artists = [ax.add_collection(a, autolim=False) for a in artists]
        ax.set_xlim(0, width)
        ax.set_ylim(-0.3 - 16 * pt, rows + 0.5 + 14 * pt)
        ax.set_axis_off()
        self.figure.set_size_inches(4.6, (rows + 0.8 + 30 * pt) * u)
        return _png(self.figure)


def conv_explorer(input_size=5, kernel_size=3, stride=1, padding=0, dilation=1, numbers=False) -> Explorer:
    """Sliders for a square convolution: input size, kernel, stride, padding, dilation, position.

    Parameters:
        input_size, kernel_size, stride, padding, dilation: starting values (ints).
        numbers: show input values, weights and outputs in the cells.

    Example:
        >>> ex = conv_explorer(5, 3, stride=2)
        >>> ex.sliders["padding"].value = 1
        >>> "output size <b>3×3</b>" in ex.message.value
        True
    """
    return _ConvExplorer(input_size, kernel_size, stride, padding, dilation, numbers)


def transposed_explorer(input_size=2, kernel_size=3, stride=2, padding=0, output_padding=0, dilation=1,
                        numbers=False) -> Explorer:
    """Sliders for a square transposed convolution; ``.view`` switches between the equivalent
    convolution over the zero-stuffed grid and the scatter of kernel copies.

    Example:
        >>> ex = transposed_explorer(2, 3, stride=2)
        >>> "output size <b>5×5</b>" in ex.message.value
        True
    """
    return _TransposedExplorer(input_size, kernel_size, stride, padding, output_padding, dilation, numbers)


def depthwise_explorer(in_channels=4, out_channels=8, groups=4, kernel_size=3, input_size=16) -> Explorer:
    """Sliders for channels and groups: which input channels each output channel reads, and the
    weights and multiply-adds of standard, grouped, depthwise and depthwise separable convolutions.

    Example:
        >>> ex = depthwise_explorer(16, 32, groups=1)
        >>> "= <b>4608</b>" in ex.message.value      # the source's example
        True
    """
    return _DepthwiseExplorer(in_channels, out_channels, groups, kernel_size, input_size)
