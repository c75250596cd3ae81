"""Explorers that need no kernel: HTML + a small script, for the static book and for Jupyter.

An ipywidgets explorer (:mod:`convtutor.widgets`) recomputes in Python, so in the static HTML
book its sliders are dead. The explorer here carries its own geometry in a short script
(``convtutor/assets/explorer.js``, the same rules as :mod:`convtutor.geometry`, checked against
it by the tests), so the sliders, the picture and the arithmetic work in any browser, offline.

The output is one ``<div data-convtutor-explorer="conv|transposed">`` with its parameters as
JSON, followed by the stylesheet and the script inline (no CDN, no file to serve). Each slider is
an ``<input type="range" data-param="NAME">``; the output size is in ``[data-output-size]``.
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from importlib import resources

from ._validation import check_int
from .geometry import conv_geometry, transposed_geometry

__all__ = ["StaticExplorer", "static_explorer", "explorer_assets"]

# slider name: (default minimum, default maximum)
LIMITS = {
    "input": (1, 12),
    "kernel": (1, 7),
    "stride": (1, 4),
    "padding": (0, 4),
    "dilation": (1, 4),
    "output_padding": (0, 3),
    "in_channels": (1, 64),
    "out_channels": (1, 64),
    "groups": (1, 64),
}
ORDER = tuple(LIMITS)


@lru_cache(maxsize=None)
def explorer_assets() -> tuple[str, str]:
    """The explorer's script and stylesheet, as shipped in ``convtutor/assets``."""
    base = resources.files("convtutor") / "assets"
    script = (base / "explorer.js").read_text(encoding="utf-8")
    # every explorer carries the script inline: drop comment lines and indentation (the file
    # has no multi-line strings), which takes a third off each page's copy
    lines = (line.strip() for line in script.splitlines())
    script = "\n".join(line for line in lines if line and not line.startswith(("//", "/*", "*")))
    return script, (base / "explorer.css").read_text(encoding="utf-8")


class StaticExplorer:
    """A kernel-free explorer; displays as HTML in Jupyter and in the built book."""

    def __init__(self, kind: str, params: dict[str, int], limits: dict[str, tuple[int, int]],
                 numbers: bool, title: str | None):
        self.kind = kind
        self.params = dict(params)
        self.limits = dict(limits)
        self.numbers = numbers
        self.title = title

    def config(self) -> dict:
        """The JSON configuration the script reads (slider values and ranges)."""
        return {
            "title": self.title,
            "numbers": self.numbers,
            "params": [
                {"name": name, "value": self.params[name], "min": self.limits[name][0], "max": self.limits[name][1]}
                for name in ORDER if name in self.params
            ],
        }

    def to_html(self) -> str:
        """The whole explorer: the element, the stylesheet and the script (self-contained)."""
        script, style = explorer_assets()
        cfg = html.escape(json.dumps(self.config(), sort_keys=True), quote=True)
        return (
            f'<div data-convtutor-explorer="{self.kind}" data-config="{cfg}"></div>\n'
            f"<style>{style}</style>\n<script>{script}</script>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"<convtutor static explorer: {self.kind}, {values}>"


def static_explorer(kind: str = "conv", *, input: int = 5, kernel: int = 3, stride: int = 1, padding: int = 0,
                    dilation: int = 1, output_padding: int | None = None, in_channels: int | None = None,
                    out_channels: int | None = None, groups: int | None = None, numbers: bool = False,
                    title: str | None = None, limits: dict | None = None) -> StaticExplorer:
    """A kernel-free explorer of a square 2-D convolution (``kind='conv'``) or transposed one.

    Parameters:
        kind: ``'conv'`` or ``'transposed'``.
        input, kernel, stride, padding, dilation: starting slider values.
        output_padding: starting value of an output_padding slider (transposed only; default 0).
        in_channels, out_channels, groups: add channel sliders (parameter and multiply-add counts
            then use them); leave ``None`` for a single channel.
        numbers: show small integer values in the cells and the running sum of products.
        title: a heading above the explorer.
        limits: ``{name: (min, max)}`` to change a slider's range.

    Shape:
        the output size shown is ``conv_output_size`` / ``conv_transpose_output_size``.

    Example:
        >>> static_explorer('transposed', input=2, kernel=3, stride=2)
        <convtutor static explorer: transposed, input=2, kernel=3, stride=2, padding=0, dilation=1, output_padding=0>
    """
    if kind not in ("conv", "transposed"):
        raise ValueError(f"kind={kind!r} must be 'conv' or 'transposed'")
    params = {"input": input, "kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation}
    if kind == "transposed":
        params["output_padding"] = 0 if output_padding is None else output_padding
    elif output_padding is not None:
        raise ValueError("output_padding is a parameter of kind='transposed' only")
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
        if value is not None:
            params[name] = value
    lims = dict(LIMITS)
    for name, pair in (limits or {}).items():
        if name not in params:
            raise ValueError(f"limits has {name!r}, which is not a slider of this explorer ({', '.join(params)})")
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise TypeError(f"limits[{name!r}] must be a (min, max) pair, got {pair!r}")
        lims[name] = (check_int(f"limits[{name!r}][0]", pair[0]), check_int(f"limits[{name!r}][1]", pair[1]))
    for name, value in params.items():
        low, high = lims[name]
        value = check_int(name, value, minimum=LIMITS[name][0])
        if not low <= value <= high:
            raise ValueError(f"{name}={value} must lie in its slider range [{low}, {high}]")
        params[name] = value
    # the starting layer must be possible (the sliders may later reach impossible ones)
    if kind == "transposed":
        transposed_geometry(input, kernel, stride, padding, params["output_padding"], dilation)
    else:
        conv_geometry((input, input), (kernel, kernel), stride, padding, dilation)
    g = params.get("groups", 1)
    for name in ("in_channels", "out_channels"):
        if name in params and params[name] % g:
            raise ValueError(f"groups={g} must divide {name}={params[name]}")
    return StaticExplorer(kind, params, lims, bool(numbers), title)
