"""Explorers and players that need no kernel: the browser's one drawing engine.

An ipywidgets explorer (:mod:`convtutor.widgets`) recomputes in Python, so in the static HTML
book its sliders are dead. The pictures here are drawn by a short script
(``convtutor/assets/explorer.js``, plain JavaScript and SVG, no dependency) that carries the
same geometry as :mod:`convtutor.geometry`; the tests compare the two cell by cell. They work
in any browser, offline, in a trusted notebook and in the HTML book, and stay crisp at any zoom.

* :func:`static_explorer` - sliders change the layer (input size, kernel, stride, padding,
  dilation, output_padding, channels; one slider per axis for a non-square layer); play or step
  through the output cells; flip the kernel; for a transposed convolution switch between the
  two views ("as a convolution" over the input with zeros inserted, "as a scatter" of kernel
  copies onto the uncropped output).
* :func:`player` - the same picture with fixed settings: an animation with play/pause, step
  and a scrub slider, optionally with a chapter's own input values and weights.

Pointing at (or tapping) an output cell highlights the cells it reads and prints its sum of
products; pointing at an input cell shows the output cells it adds to. A button downloads the
current frame as a standalone SVG.

Markup. Each object displays as one element::

    <div data-convtutor-explorer="conv|transposed"
         id="ct-<10 hex>" class="ct-explorer"
         data-config='{json}'>...</div>

(``data-convtutor-player`` for a player). The id is a hash of the configuration (or
``"ct-" + key``), so a notebook's output is the same on every run. In a notebook the
stylesheet and the script follow the element inline (``<style data-convtutor-asset>``,
``<script data-convtutor-asset>``); the HTML book loads them once from ``_static`` instead:
the display also carries the configuration as ``application/vnd.convtutor.explorer+json``,
which the book renders without the inline copies (``book/_ext/convtutor_explorers.py``).

State in the page URL. An explorer keeps its layer in ``location.hash`` under its id, so a
setting can be shared as a link; several explorers share the hash, joined by ``&``::

    #ct-3fa9c01b2e=kind:conv;i:5x5;k:3x3;s:2x2;p:1x1;d:1x1;flip:0;at:4

Sizes hold one integer per spatial dimension joined by ``x`` (height x width; one integer
for a 1-D layer): ``i`` input, ``k`` kernel, ``s`` stride, ``p`` padding (each side), ``d``
dilation, ``op`` output_padding (transposed only). ``kind`` is ``conv`` or ``transposed``,
``view`` (transposed only) ``conv`` or ``scatter``, ``flip`` 0 or 1, ``ch`` is
``in_channels,out_channels,groups`` (explorers with channel sliders), ``at`` the frame shown.
Players, and explorers inside a notebook's output area, do not write the URL; a link sets
any element. From JavaScript, ``window.convtutorExplorer.setState(element,
{...})``, ``getState(element)`` and ``link(element, {...})`` do the same (see the script's
header).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from importlib import resources

import numpy as np

from ._validation import as_numeric_array, check_bool, check_int, is_int
from .geometry import conv_geometry, transposed_geometry

__all__ = ["StaticExplorer", "Player", "Solver", "static_explorer", "player", "solver_explorer", "state_fragment",
           "explorer_assets", "element_html", "MIME"]

MIME = "application/vnd.convtutor.explorer+json"
"""The MIME type of an explorer's configuration in a notebook output."""

FORMAT = 2  # version of the configuration read by explorer.js

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
SIZES = ("input", "kernel", "stride", "padding", "dilation", "output_padding")
MINIMUM = {"input": 1, "kernel": 1, "stride": 1, "padding": 0, "dilation": 1, "output_padding": 0,
           "in_channels": 1, "out_channels": 1, "groups": 1}
MAX_CELLS = 64  # cells a player may draw along one axis (grid or canvas)
_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,40}")


def _asset(name: str) -> str:
    return (resources.files("convtutor") / "assets" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def explorer_assets() -> tuple[str, str]:
    """The script and the stylesheet as copied inline into a notebook output.

    The script loses its comments and indentation (a third of its size); the files as shipped
    in ``convtutor/assets`` are what the HTML book serves from ``_static``.

    Example:
        >>> script, style = explorer_assets()
        >>> "convtutorExplorer" in script and ".ct-explorer" in style
        True
    """
    out, in_block = [], False
    for line in _asset("explorer.js").splitlines():
        line = line.strip()
        if in_block:
            in_block = "*/" not in line
            continue
        if line.startswith("/*"):
            in_block = "*/" not in line
            continue
        if line and not line.startswith("//"):
            out.append(line)
    return "\n".join(out), _asset("explorer.css")


def _attribute(text: str) -> str:
    """Escape text for a single-quoted HTML attribute."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#x27;")


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def element_html(payload: dict) -> str:
    """The element of one explorer or player, without the script and stylesheet.

    ``payload`` is the ``application/vnd.convtutor.explorer+json`` data of a display:
    ``{"format", "id", "kind", "mode", "config"}`` (what the book's Sphinx extension renders).

    Example:
        >>> html = element_html(static_explorer(input=4).payload())
        >>> html[:43]
        '<div data-convtutor-explorer="conv" id="ct-'

    """
    if not isinstance(payload, dict):
        raise TypeError(f"payload must be a dict, got {type(payload).__name__}")
    missing = {"format", "id", "kind", "mode", "config"} - set(payload)
    if missing:
        raise ValueError(f"payload lacks {', '.join(sorted(missing))}")
    if payload["format"] != FORMAT:
        raise ValueError(f"payload format {payload['format']!r} is not {FORMAT}: re-run the notebook")
    if payload["kind"] not in ("conv", "transposed") or payload["mode"] not in ("explore", "play", "solve"):
        raise ValueError(f"payload kind={payload['kind']!r}, mode={payload['mode']!r} are not known")
    if not re.fullmatch(r"ct-[a-z0-9-]+", str(payload["id"])):
        raise ValueError(f"payload id={payload['id']!r} must look like 'ct-...'")
    attr = {"explore": "data-convtutor-explorer", "play": "data-convtutor-player",
            "solve": "data-convtutor-solver"}[payload["mode"]]
    what = {"explore": "explorer", "play": "animation", "solve": "shape solver"}[payload["mode"]]
    return (f'<div {attr}="{payload["kind"]}" id="{payload["id"]}" class="ct-explorer" '
            f"data-config='{_attribute(_json(payload['config']))}'><p class=\"ct-noscript\">An interactive "
            f"{what} of convtutor: it needs JavaScript (a trusted notebook, or the HTML book).</p></div>")


class _Drawing:
    """What explorers and players share: configuration, id, HTML and Jupyter display."""

    mode = "explore"
    kind = "conv"

    def config(self) -> dict:  # pragma: no cover - defined by the subclasses
        raise NotImplementedError

    @property
    def element_id(self) -> str:
        """The element's id: ``"ct-" + key``, or a hash of the configuration (deterministic)."""
        if self.key is not None:
            return f"ct-{self.key}"
        text = _json({"kind": self.kind, "mode": self.mode, "config": self.config()})
        return "ct-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]

    def payload(self) -> dict:
        """The data of the ``application/vnd.convtutor.explorer+json`` output."""
        return {"format": FORMAT, "id": self.element_id, "kind": self.kind, "mode": self.mode,
                "config": self.config()}

    def to_html(self, assets: bool = True) -> str:
        """The element, followed (``assets=True``) by the stylesheet and the script inline."""
        html = element_html(self.payload())
        if not assets:
            return html
        script, style = explorer_assets()
        return (f"{html}\n<style data-convtutor-asset=\"explorer.css\">{style}</style>\n"
                f"<script data-convtutor-asset=\"explorer.js\">{script}</script>")

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = {"text/plain": repr(self), "text/html": self.to_html(), MIME: self.payload()}
        if include:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle


def _ndim_of(ndim, named: dict, arrays: dict | None = None) -> int:
    """Number of spatial dimensions: ``ndim``, else the length of the tuples given, else the
    number of axes of the arrays given, else 2; they must agree."""
    found = {}
    for name, value in named.items():
        if isinstance(value, (tuple, list)):
            found[name] = len(value)
    for name, array in (arrays or {}).items():
        if array is not None:
            found[name] = array.ndim
    if ndim is not None:
        ndim = check_int("ndim", ndim)
        if ndim not in (1, 2):
            raise ValueError(f"ndim={ndim} must be 1 or 2 (the explorer draws 1-D and 2-D layers)")
        found = {"ndim": ndim, **found}
    lengths = set(found.values())
    if len(lengths) > 1:
        described = ", ".join(f"{name}: {n}" for name, n in found.items())
        raise ValueError(f"the arguments disagree on the number of spatial dimensions ({described})")
    n = lengths.pop() if lengths else 2
    if n not in (1, 2):
        raise ValueError(f"the explorer draws 1-D and 2-D layers, got {n} spatial dimensions ({found})")
    return n


def _sizes(name: str, value, ndim: int) -> tuple[int, ...]:
    """An int for every axis, or one int per axis; each at least the parameter's minimum."""
    if is_int(value):
        items = (int(value),) * ndim
    elif isinstance(value, (tuple, list)):
        items = tuple(value)
        if not all(is_int(v) for v in items):
            raise TypeError(f"{name} must be an int or a tuple of {ndim} ints, got {value!r}")
        items = tuple(int(v) for v in items)
    else:
        raise TypeError(f"{name} must be an int or a tuple of {ndim} ints, got {value!r} ({type(value).__name__})")
    for v in items:
        if v < MINIMUM[name]:
            raise ValueError(f"{name}={value!r} must be >= {MINIMUM[name]} in every dimension")
    return items


def _check_view(kind: str, view) -> str:
    if view not in ("conv", "scatter"):
        raise ValueError(f"view={view!r} must be 'conv' or 'scatter'")
    if view == "scatter" and kind != "transposed":
        raise ValueError("view='scatter' draws a transposed convolution: use kind='transposed'")
    return view


def _check_kind(kind) -> str:
    if kind not in ("conv", "transposed"):
        raise ValueError(f"kind={kind!r} must be 'conv' or 'transposed'")
    return kind


def _check_title(title):
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, got {type(title).__name__}")
    return title


def _check_key(key):
    if key is None:
        return None
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"key={key!r} must be 1-41 lowercase letters, digits or '-' (it names the explorer in the URL)")
    return key


def _geometry(kind: str, layer: dict):
    """The geometry of the starting layer: its ValueError if the layer is impossible."""
    if kind == "transposed":
        return transposed_geometry(layer["input"], layer["kernel"], layer["stride"], layer["padding"],
                                   layer["output_padding"], layer["dilation"])
    return conv_geometry(layer["input"], layer["kernel"], layer["stride"], layer["padding"], layer["dilation"])


def _shown(value: tuple[int, ...], given) -> str:
    """A parameter in the text repr: as given (an int stays an int), tuples as 5x7."""
    return str(value[0]) if is_int(given) else "x".join(map(str, value))


class StaticExplorer(_Drawing):
    """A kernel-free explorer with sliders; displays as HTML in Jupyter and in the built book.

    Build it with :func:`static_explorer`. ``params`` maps each slider's parameter to its
    starting value (an int, or a tuple for a parameter with one slider per axis).
    """

    mode = "explore"

    def __init__(self, kind: str, ndim: int, params: dict, given: dict, limits: dict, numbers: bool,
                 title: str | None, flip: bool, view: str, key: str | None):
        self.kind = kind
        self.ndim = ndim
        self.params = dict(params)
        self._given = dict(given)
        self.limits = dict(limits)
        self.numbers = numbers
        self.title = title
        self.flip = flip
        self.view = view
        self.key = key

    def config(self) -> dict:
        """The JSON configuration the script reads: the layer, the sliders and their ranges."""
        layer, sliders = {}, []
        for name in ORDER:
            if name not in self.params:
                continue
            value, (low, high) = self.params[name], self.limits[name]
            if name in SIZES:
                layer[name] = list(value)
                if self.ndim == 1 or is_int(self._given[name]):
                    sliders.append({"name": name, "value": value[0], "min": low, "max": high})
                else:
                    sliders += [{"name": name, "axis": a, "value": v, "min": low, "max": high}
                                for a, v in enumerate(value)]
            else:
                sliders.append({"name": name, "value": value, "min": low, "max": high})
        return {"layer": layer, "params": sliders, "numbers": self.numbers, "title": self.title,
                "flip": self.flip, "view": self.view}

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={_shown(v, self._given[k]) if k in SIZES else v}" for k, v in self.params.items())
        extra = "".join([", flip=True" if self.flip else "", f", view={self.view}" if self.view != "conv" else ""])
        name = self.kind + (" 1-D" if self.ndim == 1 else "")
        return f"<convtutor static explorer: {name}, {values}{extra}>"


def static_explorer(kind: str = "conv", *, input=5, kernel=3, stride=1, padding=0, dilation=1,
                    output_padding=None, in_channels: int | None = None, out_channels: int | None = None,
                    groups: int | None = None, numbers: bool = False, title: str | None = None,
                    limits: dict | None = None, ndim: int | None = None, flip: bool = False,
                    view: str = "conv", key: str | None = None) -> StaticExplorer:
    """A kernel-free explorer of a 1-D or 2-D convolution (``kind='conv'``) or transposed one.

    Each size parameter is an int (one slider moves every axis: a square layer) or a tuple
    ``(height, width)`` (one slider per axis), or ``(n,)`` for a 1-D layer.

    Parameters:
        kind: ``'conv'`` or ``'transposed'``.
        input, kernel, stride, padding, dilation: starting slider values (padding is added on
            both sides of each axis).
        output_padding: starting value of an output_padding slider (transposed only; default 0).
        in_channels, out_channels, groups: add channel sliders (parameter and multiply-add counts
            then use them); leave ``None`` for a single channel.
        numbers: show small integer values in the cells, the weights over the kernel footprint
            and the outputs computed so far.
        title: a heading above the explorer.
        limits: ``{name: (min, max)}`` to change a slider's range.
        ndim: 1 or 2; by default the length of the tuples given, else 2.
        flip: start with the kernel flipped (true convolution instead of cross-correlation).
        view: ``'conv'``, or ``'scatter'`` to start a transposed convolution in its scatter view.
        key: names the explorer in the page URL (``#ct-<key>=...``) instead of a hash of its
            configuration, so links survive edits of the configuration.

    Shape:
        the output size shown is ``conv_output_size`` / ``conv_transpose_output_size`` per axis.

    Example:
        >>> up = static_explorer('transposed', input=2, kernel=3, stride=2)
        >>> up.kind, up.params["output_padding"]
        ('transposed', (0, 0))
        >>> wide = static_explorer(input=(5, 7), kernel=(3, 1), padding=(1, 0))
        >>> wide.params["input"], wide.params["kernel"]
        ((5, 7), (3, 1))
        >>> static_explorer(input=8, kernel=3, ndim=1, flip=True).element_id
        'ct-e2fe489782'
    """
    kind = _check_kind(kind)
    given = {"input": input, "kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation}
    if kind == "transposed":
        given["output_padding"] = 0 if output_padding is None else output_padding
    elif output_padding is not None:
        raise ValueError("output_padding is a parameter of kind='transposed' only")
    n = _ndim_of(ndim, given)
    params: dict = {name: _sizes(name, value, n) for name, value in given.items()}
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
        if value is not None:
            params[name] = check_int(name, value, minimum=1)
    lims = dict(LIMITS)
    if limits is not None and not isinstance(limits, dict):
        raise TypeError(f"limits must be a dict {{name: (min, max)}}, got {type(limits).__name__}")
    for name, pair in (limits or {}).items():
        if name not in params:
            raise ValueError(f"limits has {name!r}, which is not a slider of this explorer ({', '.join(params)})")
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise TypeError(f"limits[{name!r}] must be a (min, max) pair, got {pair!r}")
        low = check_int(f"limits[{name!r}][0]", pair[0], minimum=MINIMUM[name])
        high = check_int(f"limits[{name!r}][1]", pair[1])
        if high < low:
            raise ValueError(f"limits[{name!r}]=({low}, {high}) must have min <= max")
        lims[name] = (low, high)
    for name, value in params.items():
        low, high = lims[name]
        for v in (value if name in SIZES else (value,)):
            if not low <= v <= high:
                raise ValueError(f"{name}={v} must lie in its slider range [{low}, {high}]")
    # the starting layer must be possible (the sliders may later reach impossible ones)
    _geometry(kind, params)
    g = params.get("groups", 1)
    for name in ("in_channels", "out_channels"):
        if name in params and params[name] % g:
            raise ValueError(f"groups={g} must divide {name}={params[name]}")
    return StaticExplorer(kind, n, params, given, lims, check_bool("numbers", numbers), _check_title(title),
                          check_bool("flip", flip), _check_view(kind, view), _check_key(key))


def _plain(array: np.ndarray) -> list:
    """Nested lists of Python numbers (integral floats as ints: shorter JSON, same values)."""
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)):
            raise ValueError("values and weights must be finite")
        return [_plain(a) for a in array] if array.ndim > 1 else \
            [int(v) if float(v).is_integer() else float(v) for v in array.tolist()]
    return array.astype(np.int64).tolist()


class Player(_Drawing):
    """A kernel-free animation of one layer with fixed settings: play/pause, step, scrub.

    Build it with :func:`player`. ``layer`` maps each size parameter to one int per axis;
    ``geometry`` is the layer's :class:`convtutor.geometry.Geometry`.
    """

    mode = "play"

    def __init__(self, kind: str, layer: dict, geometry, view: str, values, weights, numbers: bool,
                 flip: bool, title: str | None, interval_ms: int, autoplay: bool, key: str | None):
        self.kind = kind
        self.layer = dict(layer)
        self.geometry = geometry
        self.view = view
        self.values = values
        self.weights = weights
        self.numbers = numbers
        self.flip = flip
        self.title = title
        self.interval_ms = interval_ms
        self.autoplay = autoplay
        self.key = key

    @property
    def frames(self) -> int:
        """Number of frames: one per output cell ("conv" view) or per input cell ("scatter")."""
        size = self.geometry.input_size if self.view == "scatter" else self.geometry.output_size
        return int(np.prod(size))

    def config(self) -> dict:
        """The JSON configuration the script reads."""
        return {"layer": {k: list(v) for k, v in self.layer.items()}, "view": self.view, "numbers": self.numbers,
                "flip": self.flip, "title": self.title, "interval": self.interval_ms, "autoplay": self.autoplay,
                "values": None if self.values is None else _plain(self.values),
                "weights": None if self.weights is None else _plain(self.weights)}

    def __repr__(self) -> str:
        parts = [f"{k}={'x'.join(map(str, v))}" for k, v in self.layer.items()]
        extra = [f"view={self.view}"] if self.kind == "transposed" else []
        extra += ["flip=True"] if self.flip else []
        extra += ["values"] if self.values is not None else []
        extra += ["weights"] if self.weights is not None else []
        return f"<convtutor player: {self.kind}, {', '.join(parts + extra)}, {self.frames} frames>"


def _array(name: str, value):
    if value is None:
        return None
    arr = as_numeric_array(name, value)
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must be a 1-D or 2-D array of spatial values (no batch or channel axes), "
                         f"got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must hold finite numbers")
    if arr.size > 4096:
        raise ValueError(f"{name} has {arr.size} values; a player shows at most 4096")
    return arr


def player(kind: str = "conv", *, input=None, kernel=None, stride=1, padding=0, dilation=1, output_padding=0,
           view: str = "conv", values=None, weights=None, numbers: bool = False, flip: bool = False,
           title: str | None = None, interval_ms: int = 700, autoplay: bool = False, ndim: int | None = None,
           key: str | None = None) -> Player:
    """A kernel-free animation of a 1-D or 2-D (transposed) convolution with fixed settings.

    The same drawing as :func:`static_explorer`, without parameter sliders: play/pause, step
    back and forward, a scrub slider over the frames, hover to see a sum of products. With
    ``values`` and ``weights`` a chapter shows its own example numbers; the script computes
    every output from them (the tests compare it with :func:`convtutor.conv2d` and friends).

    Parameters:
        kind: ``'conv'`` or ``'transposed'``.
        input: input size (int or tuple); default the shape of ``values``, else 5.
        kernel: kernel size (int or tuple); default the shape of ``weights``, else 3.
        stride, padding, dilation: ints or one int per axis (padding on both sides).
        output_padding: transposed only, below stride or dilation.
        view: ``'conv'`` (one frame per output cell: the kernel slides over the grid) or, for a
            transposed convolution, ``'scatter'`` (one frame per input cell: it adds a scaled
            kernel copy onto the uncropped output).
        values: the input, a 1-D or 2-D real array of the input size (default: small integers).
        weights: the kernel as stored (``weight[0, 0]`` of a layer), of the kernel size.
        numbers: write values, weights and outputs in the cells.
        flip: use the flipped kernel (true convolution instead of cross-correlation).
        title: a heading above the animation.
        interval_ms: milliseconds between frames when playing (50 to 10000).
        autoplay: start playing when the animation scrolls into view (not for readers who ask
            their system for reduced motion).
        ndim: 1 or 2; by default from the arrays or tuples given, else 2.
        key: names the element (``id="ct-<key>"``) instead of a hash of its configuration.

    Shape:
        ``values``: ``input`` (e.g. ``(H, W)``); ``weights``: ``kernel``; frames: the output
        size's product ("conv" view) or the input size's ("scatter" view).

    Example:
        >>> import numpy as np
        >>> x = np.arange(16).reshape(4, 4)
        >>> p = player("conv", values=x, weights=np.ones((3, 3)), numbers=True)
        >>> p.frames, p.geometry.output_size
        (4, (2, 2))
        >>> up = player("transposed", input=2, kernel=3, stride=2,
        ...             view="scatter")
        >>> up.frames
        4
    """
    kind = _check_kind(kind)
    view = _check_view(kind, view)
    if kind == "conv" and output_padding not in (0, None):
        raise ValueError("output_padding is a parameter of kind='transposed' only")
    values_arr = _array("values", values)
    weights_arr = _array("weights", weights)
    given = {"input": input, "kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation}
    if kind == "transposed":
        given["output_padding"] = output_padding
    n = _ndim_of(ndim, {k: v for k, v in given.items() if v is not None},
                 {"values": values_arr, "weights": weights_arr})
    if given["input"] is None:
        given["input"] = tuple(values_arr.shape) if values_arr is not None else 5
    if given["kernel"] is None:
        given["kernel"] = tuple(weights_arr.shape) if weights_arr is not None else 3
    layer = {name: _sizes(name, value, n) for name, value in given.items()}
    for name, arr, size in (("values", values_arr, layer["input"]), ("weights", weights_arr, layer["kernel"])):
        if arr is not None and tuple(arr.shape) != size:
            which = "input" if name == "values" else "kernel"
            raise ValueError(f"{name} has shape {tuple(arr.shape)} but {which}={size}: they must agree")
    geo = _geometry(kind, layer)
    for dim in range(n):
        cells = max(geo.grid_size[dim], geo.canvas_size[dim], geo.input_size[dim])
        if cells > MAX_CELLS:
            raise ValueError(f"the picture would be {cells} cells wide in dimension {dim}; a player draws at most "
                             f"{MAX_CELLS} (use smaller sizes)")
    interval_ms = check_int("interval_ms", interval_ms)
    if not 50 <= interval_ms <= 10000:
        raise ValueError(f"interval_ms={interval_ms} must lie in [50, 10000]")
    return Player(kind, layer, geo, view, values_arr, weights_arr, check_bool("numbers", numbers),
                  check_bool("flip", flip), _check_title(title), interval_ms, check_bool("autoplay", autoplay),
                  _check_key(key))


class Solver(_Drawing):
    """The inverse shape solver in the browser; build it with :func:`solver_explorer`."""

    mode = "solve"

    def __init__(self, kind, input, output, bounds, target, title, key):
        self.kind, self.input, self.output, self.bounds = kind, input, output, bounds
        self.target, self.title, self.key = target, title, key

    def config(self) -> dict:
        """The JSON configuration the script reads."""
        return {"input": self.input, "output": self.output, "transposed": self.kind == "transposed",
                "max_kernel": self.bounds[0], "max_stride": self.bounds[1], "max_dilation": self.bounds[2],
                "target": self.target, "title": self.title}

    def __repr__(self) -> str:
        return (f"<convtutor shape solver: {self.input} -> {self.output}"
                f"{', transposed' if self.kind == 'transposed' else ''}>")


def solver_explorer(input: int = 32, output: int = 16, *, transposed: bool = False, max_kernel: int = 7,
                    max_stride: int = 4, max_dilation: int = 3, target=None, title: str | None = None,
                    key: str | None = None) -> Solver:
    """Type an input size and a wanted output size; the browser lists every layer that gives it.

    The list is :func:`convtutor.solver.layers_for`'s, computed by the page's script (its twin,
    checked against it by the tests), for one spatial dimension and the given bounds. Clicking a
    layer opens it in the explorer ``target`` (a :func:`static_explorer` on the same page, or its
    element id).

    Example:
        >>> layer = static_explorer(input=16, kernel=3, stride=2, padding=1,
        ...                         key="layer", limits={"input": (1, 32)})
        >>> solver_explorer(16, 8, target=layer)
        <convtutor shape solver: 16 -> 8>
    """
    for name, value in (("input", input), ("output", output)):
        value = check_int(name, value, minimum=1)
        if value > 4096:
            raise ValueError(f"{name}={value} must be at most 4096")
    bounds = tuple(check_int(name, v, minimum=1) for name, v in
                   (("max_kernel", max_kernel), ("max_stride", max_stride), ("max_dilation", max_dilation)))
    if isinstance(target, _Drawing):
        target = target.element_id
    if target is not None and not (isinstance(target, str) and re.fullmatch(r"ct-[a-z0-9-]+", target)):
        raise ValueError(f"target={target!r} must be an explorer or its element id 'ct-...'")
    return Solver("transposed" if check_bool("transposed", transposed) else "conv", int(input), int(output),
                  bounds, target, _check_title(title), _check_key(key))


def state_fragment(kind: str = "conv", *, input, kernel, stride=1, padding=0, dilation=1, output_padding=0,
                   flip: bool = False) -> str:
    """The URL-state text of a layer, as the script writes it after ``#<element id>=``.

    A link ``page.html#ct-layer=<fragment>`` opens that layer in the explorer of key ``"layer"``
    on that page. Sizes are ints (both axes) or ``(h, w)`` pairs; padding is symmetric.

    Example:
        >>> state_fragment(input=56, kernel=3, padding=1)
        'kind:conv;i:56x56;k:3x3;s:1x1;p:1x1;d:1x1;flip:0'
    """
    kind = _check_kind(kind)
    values = {"input": input, "kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation}
    if kind == "transposed":
        values["output_padding"] = output_padding
    n = 1 if all(isinstance(v, (tuple, list)) and len(v) == 1 for v in values.values()) else 2
    sizes = {name: _sizes(name, v, n) for name, v in values.items()}
    short = {"input": "i", "kernel": "k", "stride": "s", "padding": "p", "dilation": "d", "output_padding": "op"}
    fields = [f"kind:{kind}"] + [f"{short[name]}:{'x'.join(map(str, sizes[name]))}"
                                 for name in ("input", "kernel", "stride", "padding", "dilation")]
    if kind == "transposed":
        fields += [f"op:{'x'.join(map(str, sizes['output_padding']))}", "view:conv"]
    return ";".join(fields + [f"flip:{1 if check_bool('flip', flip) else 0}"])
