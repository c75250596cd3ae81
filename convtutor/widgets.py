"""Live explorers that need Python: sliders that recompute on real data, in Jupyter.

The geometry of a layer (which cells the kernel reads, the output size) is explored in any
browser, without Python, by :mod:`convtutor.explorer`. The explorers here do what only a running
kernel can: they convolve a real photograph (:func:`image_explorer`), grow the checkerboard
artifacts of stacked transposed convolutions (:func:`checkerboard_explorer`), measure a
stack's receptive field on the photograph (:func:`field_explorer`), split a convolution of the
colour photograph into its depthwise and pointwise steps (:func:`separable_explorer`), and
filter a noisy 1-D signal with a 'same', causal or valid convolution (:func:`signal_explorer`).
Every number comes from the package (``conv1d``, ``conv2d``, ``conv_transpose2d``, ``pad``,
``field_map``, ``depthwise_conv2d``, ``pointwise_conv2d``).

Each explorer is an :class:`Explorer`: ``.controls`` (name -> widget; set ``.value`` to drive it
from code), ``.message`` (an ``ipywidgets.HTML`` with the sizes and what the picture shows, or
the package's error for an impossible setting), ``.images`` (``ipywidgets.Image`` widgets) and
``.widget`` (the whole box). In a notebook it shows as the live box; where no kernel runs (the
HTML book) it shows a still picture of its first setting instead.
"""

from __future__ import annotations

import base64
import html
import io
import time

import numpy as np

from ._validation import check_choice, check_int
from .arithmetic import Layer, conv_output_size
from .conv import conv2d
from .images import sample_image
from .padding import PADDING_KINDS, pad
from .receptive import field_map
from .transposed import conv_transpose2d

__all__ = ["Explorer", "KERNELS", "MIXES", "SIGNAL_KERNELS", "image_explorer", "checkerboard_explorer",
           "field_explorer", "separable_explorer", "signal_explorer"]


def _box_blur(k):
    return np.full((k, k), 1.0 / (k * k))


def _gaussian(k):
    x = np.arange(k) - (k - 1) / 2
    g = np.exp(-(x ** 2) / (2 * (k / 4) ** 2))
    g2 = np.outer(g, g)
    return g2 / g2.sum()


# name -> kernel of size k (the fixed 3x3 ones ignore k)
KERNELS = {
    "identity": lambda k: np.pad([[1.0]], (k - 1) // 2) if k % 2 else np.pad([[1.0]], ((0, k - 1), (0, k - 1))),
    "box blur": _box_blur,
    "gaussian blur": _gaussian,
    "sobel x (vertical edges)": lambda k: np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]]),
    "sobel y (horizontal edges)": lambda k: np.array([[1.0, 2, 1], [0, 0, 0], [-1, -2, -1]]),
    "laplacian": lambda k: np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "sharpen": lambda k: np.array([[0.0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
}


def _png(image: np.ndarray, scale: int = 2, signed: bool = False) -> bytes:
    """An array as a PNG, each cell ``scale`` x ``scale`` pixels; signed values on a blue-white-red scale."""
    from PIL import Image

    a = np.asarray(image, dtype=np.float64)
    if a.ndim == 3:
        a = np.moveaxis(a, 0, -1)
    if signed:
        top = max(float(np.abs(a).max()), 1e-12)
        t = np.clip(a / top, -1, 1)
        rgb = np.stack([1 - np.clip(-t, 0, 1) * 0.75, 1 - np.abs(t) * 0.7, 1 - np.clip(t, 0, 1) * 0.75], axis=-1)
    else:
        lo, hi = float(a.min()), float(a.max())
        rgb = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        if rgb.ndim == 2:
            rgb = np.stack([rgb] * 3, axis=-1)
    pixels = np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)
    pixels = pixels.repeat(scale, axis=0).repeat(scale, axis=1)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="png", compress_level=1)
    return buf.getvalue()


class Explorer:
    """Controls, a message and pictures, recomputed on every change.

    Attributes:
        controls: dict name -> widget (sliders, dropdowns); set ``.value`` to drive it from code.
        message: ``ipywidgets.HTML`` with the numbers, or the error of an impossible setting.
        images: list of ``ipywidgets.Image`` holding the pictures.
        widget: the ``ipywidgets.VBox`` shown in a notebook.
        error: the last error message (``None`` when the setting is possible).
        redraws: how many updates ran; redraw_ms: how long each took.
    """

    def __init__(self, controls: dict, n_images: int, captions: tuple[str, ...]):
        import ipywidgets as w

        self.controls = controls
        self.message = w.HTML()
        self.images = [w.Image(format="png") for _ in range(n_images)]
        self.error: str | None = None
        self.redraws = 0
        self.redraw_ms: list[float] = []
        boxes = [w.VBox([w.HTML(f"<b>{html.escape(c)}</b>"), im]) for c, im in zip(captions, self.images)]
        items = list(controls.values())
        half = (len(items) + 1) // 2
        layout = w.Layout(flex_flow="row wrap")
        self.widget = w.VBox([w.HBox([w.VBox(items[:half]), w.VBox(items[half:])], layout=layout),
                              self.message, w.HBox(boxes, layout=layout)])
        for control in items:
            control.observe(lambda change: self.update(), names="value")
        self.update()

    def values(self) -> dict:
        """The current value of every control."""
        return {name: c.value for name, c in self.controls.items()}

    def update(self) -> None:
        """Recompute the message and the pictures from the controls."""
        start = time.perf_counter()
        try:
            text, pngs = self._compute(self.values())
            self.error = None
        except ValueError as exc:             # an impossible setting: the package's own message
            self.error = str(exc)
            text, pngs = f'<span style="color:#a4161a">&#9888; {html.escape(self.error)}</span>', []
        self.message.value = text
        for image, png in zip(self.images, pngs + [b""] * (len(self.images) - len(pngs))):
            image.value = png
        self.redraws += 1
        self.redraw_ms.append((time.perf_counter() - start) * 1e3)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.values().items())})"

    def still(self, width: int = 600, quality: int = 80):
        """The pictures of this setting side by side, as one JPEG ``width`` pixels wide.

        A light still (tens of KB, where the PNG pictures of :meth:`_repr_mimebundle_` weigh
        hundreds) for a page that shows the explorer without a kernel. Returns an
        ``IPython.display.Image``; its ``.data`` holds the JPEG bytes.
        """
        from IPython.display import Image as Display
        from PIL import Image

        width = check_int("width", width, minimum=16)
        quality = check_int("quality", quality, minimum=1)
        if quality > 95:
            raise ValueError(f"quality={quality} must be at most 95")
        pictures = [Image.open(io.BytesIO(bytes(im.value))).convert("RGB") for im in self.images if im.value]
        if not pictures:
            raise ValueError("the explorer has no picture to show: its setting is impossible")
        gap = 8
        height = max(p.height for p in pictures)
        sheet = Image.new("RGB", (sum(p.width for p in pictures) + gap * (len(pictures) - 1), height), "white")
        x = 0
        for picture in pictures:
            sheet.paste(picture, (x, (height - picture.height) // 2))
            x += picture.width + gap
        sheet = sheet.resize((width, max(1, round(height * width / sheet.width))), Image.LANCZOS)
        buf = io.BytesIO()
        sheet.save(buf, format="jpeg", quality=quality)
        return Display(data=buf.getvalue(), format="jpeg")

    def _repr_mimebundle_(self, **kwargs):
        """The live box in Jupyter; a still picture of this setting where no kernel runs."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        pictures = "".join(f'<img alt="explorer picture" style="max-width:100%;margin-right:8px" '
                           f'src="data:image/png;base64,{base64.b64encode(bytes(im.value)).decode()}">'
                           for im in self.images if im.value)
        bundle["text/html"] = (f'<div class="ct-still">{pictures}<div>{self.message.value}</div>'
                               "<div><i>A still of the live explorer: run the notebook in Jupyter to move "
                               "its sliders.</i></div></div>")
        bundle["text/plain"] = repr(self)
        return bundle

    def _compute(self, v: dict) -> tuple[str, list[bytes]]:  # pragma: no cover - abstract
        raise NotImplementedError


def _slider(name, value, low, high, description=None):
    import ipywidgets as w

    value = check_int(name, value, minimum=low)
    return w.IntSlider(value=value, min=low, max=max(high, value), description=description or name,
                       continuous_update=False, style={"description_width": "initial"},
                       layout=w.Layout(width="250px"))


def _dropdown(name, value, options, description=None):
    import ipywidgets as w

    check_choice(name, value, tuple(options))
    return w.Dropdown(value=value, options=list(options), description=description or name,
                      style={"description_width": "initial"}, layout=w.Layout(width="250px"))


def _sized(kernel: str) -> bool:
    """Whether a kernel of :data:`KERNELS` takes its size from the kernel-size slider."""
    return KERNELS[kernel](2).shape != KERNELS[kernel](4).shape


class _ImageExplorer(Explorer):
    def __init__(self, kernel, kernel_size, stride, dilation, padding, padding_mode):
        self.image = sample_image(gray=True)
        super().__init__({
            "kernel": _dropdown("kernel", kernel, KERNELS),
            "kernel_size": _slider("kernel_size", kernel_size, 1, 9, "kernel size (blurs)"),
            "stride": _slider("stride", stride, 1, 4, "stride s"),
            "dilation": _slider("dilation", dilation, 1, 4, "dilation d"),
            "padding": _slider("padding", padding, 0, 12, "padding p"),
            "padding_mode": _dropdown("padding_mode", padding_mode, PADDING_KINDS, "padding mode"),
        }, 2, ("input (150 x 128)", "output"))

    def update(self) -> None:
        # the fixed 3x3 kernels ignore the size slider: it is greyed out, not left doing nothing
        self.controls["kernel_size"].disabled = not _sized(self.controls["kernel"].value)
        super().update()

    def _compute(self, v):
        kernel = KERNELS[v["kernel"]](v["kernel_size"])
        k = kernel.shape[0]
        x = pad(self.image[None], (v["padding"], v["padding"]), v["padding_mode"])
        out = conv2d(x[None], kernel[None, None], stride=v["stride"], dilation=v["dilation"])[0, 0]
        o = conv_output_size(self.image.shape, k, v["stride"], v["padding"], v["dilation"])
        signed = bool((kernel < 0).any())
        msg = (f"kernel <b>{html.escape(v['kernel'])}</b> ({k}&times;{k}), stride {v['stride']}, dilation "
               f"{v['dilation']} (spans {v['dilation'] * (k - 1) + 1} cells), padding {v['padding']} "
               f"({v['padding_mode']}) &rarr; output <b>{o[0]}&times;{o[1]}</b>"
               + ("; negative values blue, positive red" if signed else ""))
        return msg, [_png(self.image), _png(out, scale=max(1, round(2 * self.image.shape[1] / max(o[1], 1))),
                                            signed=signed)]


class _CheckerboardExplorer(Explorer):
    def __init__(self, layers, kernel_size, stride, method):
        super().__init__({
            "layers": _slider("layers", layers, 1, 4, "stacked layers"),
            "kernel_size": _slider("kernel_size", kernel_size, 1, 6, "kernel size k"),
            "stride": _slider("stride", stride, 1, 3, "stride s"),
            "method": _dropdown("method", method, ("transposed convolution", "resize, then convolve"),
                                "upsampling"),
        }, 2, ("constant input, upsampled", "the photograph, upsampled"))

    def _compute(self, v):
        k, s, n = v["kernel_size"], v["stride"], v["layers"]
        constant = np.ones((1, 1, 6, 6))
        photo = sample_image(gray=True)[None, None, ::8, ::8]
        kernel = np.ones((1, 1, k, k)) / (k * k / (s * s))
        outs = []
        for x in (constant, photo):
            for _ in range(n):
                if v["method"] == "transposed convolution":
                    p = max(0, (k - s) // 2)
                    x = conv_transpose2d(x, kernel, stride=s, padding=p)
                else:   # nearest-neighbour resize, then a k x k average with 'same' padding
                    x = x.repeat(s, axis=2).repeat(s, axis=3)
                    x = conv2d(x, np.ones((1, 1, k, k)) / (k * k), padding="same")
            outs.append(x[0, 0])
        inner = outs[0][k * n:-k * n or None, k * n:-k * n or None] if outs[0].shape[0] > 2 * k * n + 2 else outs[0]
        spread = float(inner.max() - inner.min()) / max(float(np.abs(inner).mean()), 1e-12)
        even = k % s == 0
        msg = (f"{n} &times; {html.escape(v['method'])}, k={k}, s={s}: "
               f"{'k is a multiple of s: every output cell gets the same number of kernel copies' if even and v['method'].startswith('t') else ''}"
               f"{'k is not a multiple of s: uneven overlap' if not even and v['method'].startswith('t') else ''}"
               f"{'resize then convolve: no uneven overlap' if v['method'].startswith('r') else ''}"
               f"<br>away from the border, a constant input comes out with a relative spread of "
               f"<b>{spread:.2f}</b> (0 means flat: no checkerboard)")
        return msg, [_png(outs[0], scale=max(1, 240 // outs[0].shape[1])),
                     _png(outs[1], scale=max(1, 240 // outs[1].shape[1]))]


class _FieldExplorer(Explorer):
    def __init__(self, depth, kernel_size, stride, dilation, weights):
        self.image = sample_image(gray=True)
        super().__init__({
            "depth": _slider("depth", depth, 1, 8, "layers"),
            "kernel_size": _slider("kernel_size", kernel_size, 1, 7, "kernel size k"),
            "stride": _slider("stride", stride, 1, 3, "stride s"),
            "dilation": _slider("dilation", dilation, 1, 4, "dilation d"),
            "weights": _dropdown("weights", weights, ("ones", "random"), "weights"),
        }, 1, ("the field of the centre output cell, on the photograph",))

    def _compute(self, v):
        k, s, d = v["kernel_size"], v["stride"], v["dilation"]
        layers = [Layer(k, s, d * (k - 1) // 2, d)] * v["depth"]
        fm = field_map(layers, self.image.shape, weights=v["weights"], draws=4)
        values = np.abs(fm.values) / np.abs(fm.values).max()
        rgb = np.stack([self.image * 0.55] * 3)
        rgb[0] += 0.45 * values
        rgb[1] += 0.28 * values
        (r0, r1), (c0, c1) = fm.clipped
        rgb[2, r0:r1 + 1, [c0, c1]] = 1.0
        rgb[2, [r0, r1], c0:c1 + 1] = 1.0
        used = np.count_nonzero(fm.values) / ((r1 - r0 + 1) * (c1 - c0 + 1))
        msg = (f"{v['depth']} layers of k={k}, s={s}, d={d}: theoretical field <b>{fm.field.size}</b> cells wide "
               f"(jump {fm.field.jump}); the outline is that square on the image, the glow what actually reaches "
               f"the output cell {fm.output_index}: {used:.0%} of the square's cells"
               + (f", spread (std) {fm.std[1]:.1f} cells" if v["weights"] == "random" else ""))
        return msg, [_png(np.clip(rgb, 0, 1), scale=2)]


def image_explorer(kernel="sobel x (vertical edges)", kernel_size=3, stride=1, dilation=1, padding=1,
                   padding_mode="zeros") -> Explorer:
    """Convolve the sample photograph live: kernel, stride, dilation, padding and padding mode.

    Example:
        >>> ex = image_explorer()
        >>> ex.controls["stride"].value = 2
        >>> "output <b>75&times;64</b>" in ex.message.value
        True
    """
    return _ImageExplorer(kernel, kernel_size, stride, dilation, padding, padding_mode)


def checkerboard_explorer(layers=2, kernel_size=3, stride=2, method="transposed convolution") -> Explorer:
    """Stack transposed convolutions (or resize-then-convolve) and watch checkerboard artifacts grow.

    Example:
        >>> ex = checkerboard_explorer(kernel_size=4, stride=2)
        >>> "every output cell gets the same number" in ex.message.value
        True
    """
    return _CheckerboardExplorer(layers, kernel_size, stride, method)


def field_explorer(depth=3, kernel_size=3, stride=2, dilation=1, weights="ones") -> Explorer:
    """A stack's receptive field on the sample photograph: the theoretical square and what really reaches.

    Example:
        >>> ex = field_explorer(depth=2, stride=1)
        >>> "theoretical field <b>5</b>" in ex.message.value
        True
    """
    return _FieldExplorer(depth, kernel_size, stride, dilation, weights)


# name -> 1-D kernel of size k (the difference kernel ignores k)
SIGNAL_KERNELS = {
    "moving average": lambda k: np.full(k, 1.0 / k),
    "gaussian": lambda k: _gaussian(k).sum(axis=0),
    "difference [1, 0, -1]": lambda k: np.array([1.0, 0.0, -1.0]),
}


def _signal(noise: float, length: int = 400):
    """The chapter's stand-in for audio: 3 Hz + 17 Hz waves sampled 400 times a second, plus noise."""
    t = np.arange(length) / 400
    clean = np.sin(2 * np.pi * 3 * t) + 0.5 * np.sin(2 * np.pi * 17 * t)
    return t, clean, clean + noise * np.random.default_rng(0).standard_normal(length)


class _SignalExplorer(Explorer):
    def __init__(self, kernel, kernel_size, dilation, padding, noise):
        super().__init__({
            "kernel": _dropdown("kernel", kernel, SIGNAL_KERNELS),
            "kernel_size": _slider("kernel_size", kernel_size, 1, 31, "kernel size k"),
            "dilation": _slider("dilation", dilation, 1, 8, "dilation d"),
            "padding": _dropdown("padding", padding, ("same", "causal", "valid"), "padding"),
            "noise": _float_slider("noise", noise, 0.0, 1.0, "noise"),
        }, 1, ("the signal (grey), the clean waves (dashed) and the output (red), against time",))

    def _compute(self, v):
        from .conv import conv1d

        kernel = SIGNAL_KERNELS[v["kernel"]](v["kernel_size"])
        k, d = kernel.size, v["dilation"]
        t, clean, noisy = _signal(v["noise"])
        out = conv1d(noisy[None, None], kernel[None, None], padding=v["padding"], dilation=d)[0, 0]
        # output n stands at the time of the last input it reads ('causal') or of its middle input
        start = {"same": 0, "causal": 0, "valid": d * (k - 1) // 2}[v["padding"]]
        times = t[start:start + out.size]
        span = d * (k - 1)
        msg = (f"kernel <b>{html.escape(v['kernel'])}</b> of {k} weights at dilation {d} (spans "
               f"{span + 1} samples), padding '{v['padding']}': {noisy.size} samples in, "
               f"<b>{out.size}</b> out"
               + (f"; each output stands at the end of its window, d(k-1)/2 = <b>{span / 2:g}</b> samples "
                  "after its middle: the causal filter lags by that much" if v["padding"] == "causal" else
                  "; each output stands at the middle of its window"))
        return msg, [_plot_png(t, noisy, clean, times, out)]


def _float_slider(name, value, low, high, description=None):
    import ipywidgets as w

    if not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"{name}={value!r} must be a number in [{low}, {high}]")
    return w.FloatSlider(value=float(value), min=low, max=high, step=0.05, description=description or name,
                         continuous_update=False, style={"description_width": "initial"},
                         layout=w.Layout(width="250px"))


def _plot_png(t, noisy, clean, times, out) -> bytes:
    """A small line plot as PNG (a figure outside pyplot: nothing leaks into the cell output)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 2.2), dpi=80)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(t, noisy, color="#b8c4ce", lw=0.8)
    ax.plot(t, clean, "--", color="#17293a", lw=1)
    ax.plot(times, out, color="#c0392b", lw=1.4)
    ax.set_xlabel("time (s)", fontsize=9)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def signal_explorer(kernel="moving average", kernel_size=9, dilation=1, padding="same", noise=0.3) -> Explorer:
    """Filter a noisy 1-D signal live: kernel, size, dilation, and 'same', causal or valid padding.

    The output is drawn at the time each value belongs to (a causal output at the end of its
    window, the others at its middle), so a causal filter's delay shows: a symmetric smoothing
    kernel trails the clean waves by ``d (k - 1) / 2`` samples.

    Example:
        >>> ex = signal_explorer(padding="causal")
        >>> "lags by that much" in ex.message.value
        True
    """
    return _SignalExplorer(kernel, kernel_size, dilation, padding, noise)

# pointwise (1x1) mixes of the three colour channels: name -> (C_out, 3) matrix
MIXES = {
    "keep the colours (identity)": np.eye(3),
    "grey (luma)": np.array([[0.299, 0.587, 0.114]]),
    "swap red and blue": np.array([[0.0, 0, 1], [0, 1, 0], [1, 0, 0]]),
    "red minus green": np.array([[1.0, -1, 0]]),
}


def _kernel_of_size(name: str, k: int) -> np.ndarray:
    """``KERNELS[name]`` as a k x k array (a fixed 3x3 kernel centred in zeros)."""
    kernel = KERNELS[name](k)
    extra = k - kernel.shape[0]
    return np.pad(kernel, (extra // 2, extra - extra // 2)) if extra > 0 else kernel


class _SeparableExplorer(Explorer):
    def __init__(self, red, green, blue, kernel_size, mix):
        self.image = sample_image()
        super().__init__({
            "red": _dropdown("red", red, KERNELS, "red kernel"),
            "green": _dropdown("green", green, KERNELS, "green kernel"),
            "blue": _dropdown("blue", blue, KERNELS, "blue kernel"),
            "kernel_size": _slider("kernel_size", kernel_size, 3, 9, "kernel size k"),
            "mix": _dropdown("mix", mix, MIXES, "pointwise mix"),
        }, 3, ("input: 3 colour channels", "after depthwise: each channel alone", "after pointwise: mixed"))

    def weights(self, v=None):
        """The depthwise weight ``(3, 1, k, k)`` and the pointwise matrix ``(C_out, 3)`` of a setting."""
        v = self.values() if v is None else v
        k = v["kernel_size"]
        depthwise = np.stack([_kernel_of_size(v[c], k) for c in ("red", "green", "blue")])[:, None]
        return depthwise, MIXES[v["mix"]]

    def _compute(self, v):
        from .arithmetic import conv_macs, conv_parameters
        from .separable import depthwise_conv2d, pointwise_conv2d

        depthwise, mix = self.weights(v)
        k, c_out = v["kernel_size"], mix.shape[0]
        h = depthwise_conv2d(self.image, depthwise, padding="same")
        y = pointwise_conv2d(h, mix)
        self.arrays = (h, y)           # the two steps' outputs, (3, H, W) and (C_out, H, W)
        size = self.image.shape[1:]
        sep = (conv_parameters(3, 3, k, groups=3, bias=False), conv_parameters(3, c_out, 1, bias=False))
        macs = conv_macs(3, 3, k, size, groups=3) + conv_macs(3, c_out, 1, size)
        msg = (f"depthwise: 3 kernels of {k}&times;{k}, <b>{sep[0]}</b> weights, each colour filtered alone; "
               f"pointwise: a {c_out}&times;3 matrix, <b>{sep[1]}</b> weights, the only step that mixes colours"
               f" &rarr; {c_out} output channel{'s' if c_out > 1 else ''}. A standard {k}&times;{k} convolution "
               f"from 3 to {c_out} channels: <b>{conv_parameters(3, c_out, k, bias=False)}</b> weights, "
               f"{conv_macs(3, c_out, k, size):,} multiply-adds against {macs:,} here")
        shown = np.clip(y, 0, 1) if c_out == 3 else y[0]
        return msg, [_png(self.image), _png(np.clip(h, 0, 1)),
                     _png(shown, signed=c_out == 1 and bool((mix < 0).any()))]


def separable_explorer(red="gaussian blur", green="identity", blue="sobel x (vertical edges)", kernel_size=5,
                       mix="keep the colours (identity)") -> Explorer:
    """A depthwise separable convolution of the colour photograph, step by step.

    The depthwise step filters each colour channel with its own kernel (one dropdown per channel,
    a ``k x k`` kernel; the fixed 3x3 kernels are centred in zeros) with ``'same'`` padding; the
    pointwise step multiplies the three values of every pixel by a matrix (``MIXES``). The three
    pictures are the input, the depthwise output (channels never meet) and the pointwise output;
    the message counts the weights and multiply-adds against a standard convolution. Every number
    comes from :func:`convtutor.depthwise_conv2d` and :func:`convtutor.pointwise_conv2d`.

    Example:
        >>> ex = separable_explorer(kernel_size=3, mix="grey (luma)")
        >>> msg = ex.message.value
        >>> "<b>27</b> weights" in msg and "<b>3</b> weights" in msg
        True
    """
    return _SeparableExplorer(red, green, blue, kernel_size, mix)
