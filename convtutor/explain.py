"""Explain a PyTorch model: per layer its output shape, parameters, multiply-adds and receptive field.

:func:`summary` traces a ``torch.nn.Module`` with ``torch.fx`` and runs it once on zeros of
``input_shape`` to read the real shapes. Why ``torch.fx`` and not forward hooks: a hook fires
for each module, but a residual ``out + x`` or a ``torch.cat`` is a function call, not a
module, so hooks cannot see where two branches meet, and the receptive field after a merge
depends on both branches. ``fx`` records the whole data-flow graph, merges included. (Its
limit: a ``forward`` whose control flow depends on tensor values cannot be traced; such a
model gets a clear error.)

Per node, along each spatial axis, the receptive field ``r``, jump ``j`` and start follow
Araujo, Norris & Sim (2019), as :func:`convtutor.receptive_field` computes them: each layer's
own field comes from that function, and a layer applied after a field ``(r, j, start)`` gives
``(r + (r_1 - 1) j, j j_1, start + start_1 j)`` (the recurrence, composed). Where branches
merge (addition, multiplication, concatenation along channels), an output cell sees the
union of what each branch sees: the interval from the lowest to the highest input cell over
the branches. Merging maps with different jumps has no single jump, and raises an error; if a
branch's field is unknown (after a transposed convolution with stride > 1), so is the union.

Multiply-adds (MACs) are counted for convolutions, transposed convolutions (at their input
positions) and linear layers, for the whole ``input_shape`` batch; FLOPs are ``2 * MACs``,
the convention of ``torch.utils.flop_counter.FlopCounterMode``. Other layers count zero.
"""

from __future__ import annotations

import dataclasses
import html
import math
import operator
from dataclasses import dataclass

from ._validation import check_int
from .arithmetic import Layer, conv_macs, conv_transpose_macs, receptive_field
from .conventions import same_padding

__all__ = ["SummaryRow", "ModelSummary", "summary", "COLUMNS", "COMPACT"]


@dataclass(frozen=True)
class SummaryRow:
    """One layer (graph node) of a model.

    ``receptive_field``, ``jump`` and ``start`` hold one value per spatial axis, or None
    where the output has no spatial axes any more (after a flatten) or a field is not one
    interval for every cell (a transposed convolution with stride > 1): ``note`` says which.
    ``kernel_size``, ``stride``, ``padding`` (zeros before, per axis) and ``dilation`` are
    set for convolution and pooling rows, with ``input_shape`` the shape the layer reads, so
    that a row can open its layer in the book's explorer: ``link`` is that URL when
    :func:`summary` is given ``link=`` (1-D and 2-D layers with symmetric padding).
    """

    name: str
    kind: str
    output_shape: tuple[int, ...]
    parameters: int
    macs: int
    receptive_field: tuple[int, ...] | None
    jump: tuple[int, ...] | None
    start: tuple[float, ...] | None
    kernel_size: tuple[int, ...] | None = None
    stride: tuple[int, ...] | None = None
    padding: tuple[int, ...] | None = None
    dilation: tuple[int, ...] | None = None
    note: str = ""
    link: str = ""
    input_shape: tuple[int, ...] | None = None
    output_padding: tuple[int, ...] | None = None

    @property
    def flops(self) -> int:
        """Floating-point operations: a multiply-add is two (FlopCounterMode's convention)."""
        return 2 * self.macs


COLUMNS = ("layer", "type", "output shape", "params", "MACs", "FLOPs", "r", "jump", "start", "k / s / p / d")
"""Every column of a summary table, in order."""
COMPACT = ("layer", "type", "output shape", "params", "MACs", "r", "jump", "k / s / p / d")
"""The columns a notebook shows by default (FLOPs are twice the MACs; ``start`` is in the rows)."""
_RIGHT = {"params", "MACs", "FLOPs", "r", "jump", "start"}


def _axes(values, fmt=str) -> str:
    if values is None:
        return "-"
    texts = [fmt(v) for v in values]
    return texts[0] if len(set(texts)) == 1 else "x".join(texts)


def _cells(row: SummaryRow) -> list[str]:
    ksp = "-"
    if row.kernel_size is not None:
        ksp = " / ".join(_axes(v) for v in (row.kernel_size, row.stride, row.padding, row.dilation))
    return [row.name, row.kind, "x".join(map(str, row.output_shape)), f"{row.parameters:,}",
            f"{row.macs:,}", f"{row.flops:,}", _axes(row.receptive_field), _axes(row.jump),
            _axes(row.start, lambda v: f"{v:g}"), ksp]


@dataclass(frozen=True, repr=False)
class ModelSummary:
    """The table :func:`summary` returns: ``rows``, totals, text (``str``, :meth:`text`) and HTML
    (:meth:`html`, what Jupyter shows: the :data:`COMPACT` columns) views."""

    input_shape: tuple[int, ...]
    rows: tuple[SummaryRow, ...]

    def __repr__(self) -> str:
        return f"ModelSummary(input_shape={self.input_shape}, {len(self.rows)} rows)"

    @property
    def parameters(self) -> int:
        return sum(r.parameters for r in self.rows)

    @property
    def macs(self) -> int:
        return sum(r.macs for r in self.rows)

    @property
    def flops(self) -> int:
        return 2 * self.macs

    def row(self, name: str) -> SummaryRow:
        """The row of the layer called ``name`` (its module path, or the graph node's name)."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no layer named {name!r}; layers: {', '.join(r.name for r in self.rows)}")

    def _table(self, columns=COLUMNS) -> list[list[str]]:
        unknown = [c for c in columns if c not in COLUMNS]
        if unknown or not columns:
            raise ValueError(f"columns={tuple(columns)!r} must be chosen from {', '.join(map(repr, COLUMNS))}")
        total = dict(zip(COLUMNS, ["total", "", "", f"{self.parameters:,}", f"{self.macs:,}", f"{self.flops:,}",
                                   "", "", "", ""]))
        keep = [COLUMNS.index(c) for c in columns]
        rows = [list(COLUMNS)] + [_cells(r) for r in self.rows] + [[total[c] for c in COLUMNS]]
        return [[line[k] for k in keep] for line in rows]

    def text(self, columns=COLUMNS) -> str:
        """The table as aligned text, with the chosen ``columns`` (names from :data:`COLUMNS`)."""
        table = self._table(columns)
        widths = [max(len(line[c]) for line in table) for c in range(len(columns))]
        lines = []
        for n, line in enumerate(table):
            cells = [t.rjust(w) if name in _RIGHT else t.ljust(w)
                     for name, t, w in zip(columns, line, widths)]
            lines.append("  ".join(cells).rstrip())
            if n == 0 or n == len(table) - 2:
                lines.append("  ".join("-" * w for w in widths))
        shape = "x".join(map(str, self.input_shape))
        return f"input {shape}\n" + "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return self.html()

    def html(self, columns=COMPACT) -> str:
        """The table as HTML (what a notebook shows), with the chosen ``columns``; a row whose layer
        has a ``link`` links its name to the explorer."""
        table = self._table(columns)
        head = "".join(f"<th>{html.escape(t)}</th>" for t in table[0])
        body = []
        links = [r.link for r in self.rows] + [""]
        for line, url in zip(table[1:], links):
            cells = [f"<td>{html.escape(t)}</td>" for t in line]
            if url:
                cells[0] = f'<td><a href="{html.escape(url)}">{html.escape(line[0])}</a></td>'
            body.append("<tr>" + "".join(cells) + "</tr>")
        shape = "x".join(map(str, self.input_shape))
        flops = "" if "FLOPs" in columns else "; FLOPs = 2 x MACs"
        return (f'<table class="convtutor-summary"><caption>input {shape}{flops}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


# ----------------------------------------------------------------------------------- tracing

_ELEMENTWISE = (
    "ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid",
    "Tanh", "Hardtanh", "Hardswish", "Hardsigmoid", "Softplus", "Identity", "Dropout", "Dropout1d",
    "Dropout2d", "Dropout3d", "AlphaDropout", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
)
_MERGE_FUNCTIONS = {operator.add, operator.iadd, operator.mul, operator.imul, operator.sub,
                    operator.isub, operator.truediv}
_MERGE_METHODS = {"add", "add_", "mul", "mul_", "sub", "sub_", "div"}
_IDENTITY_METHODS = {"relu", "relu_", "sigmoid", "tanh", "contiguous", "clone", "float", "double"}

_CONST = object()      # a node that does not depend on the input (a parameter, a number)


class _Unsupported(ValueError):
    pass


def summary(model, input_shape, *, link: str | None = None) -> ModelSummary:
    """Per layer of a PyTorch model: output shape, parameters, MACs/FLOPs, receptive field.

    Supported layers: ``Conv1d/2d/3d`` (any padding, ``'same'`` and ``'valid'`` included,
    dilation, groups), ``ConvTranspose1d/2d/3d`` (receptive field for stride 1 only),
    ``MaxPool``/``AvgPool`` 1-3d, adaptive pools whose input size is a multiple of the output
    size, ``Linear`` (after a flatten), ``Flatten``/``view``/``reshape`` to ``(N, features)``,
    batch norm (as the per-channel affine map of evaluation), element-wise activations and
    dropout, ``mean`` over the spatial axes, and merges: ``+``, ``-``, ``*``, ``/`` of two
    branches and ``torch.cat`` along channels. Anything else raises a ``ValueError`` naming the
    layer: a row is never guessed.

    Parameters:
        model: a ``torch.nn.Module`` that ``torch.fx.symbolic_trace`` can trace.
        input_shape: shape of the input, batch and channels first: ``(N, C, *spatial)``.
        link: where the book's layer explorer is, as ``"page.html#ct-<key>"`` (``"#ct-layer"``
            on the same page): each convolution, transposed convolution and pooling row then gets
            a ``link`` that opens its layer there (:func:`convtutor.explorer.state_fragment`), and
            the HTML table shows it.

    Returns:
        a :class:`ModelSummary`: one :class:`SummaryRow` per node of the graph that computes a
        tensor; ``print`` it for text, or let Jupyter show its HTML table.

    Shape:
        ``row.output_shape`` is the shape torch computes on zeros of ``input_shape``;
        ``receptive_field``, ``jump`` and ``start`` have one entry per spatial axis.

    Example:
        >>> import torch.nn as nn
        >>> net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
        ...                     nn.MaxPool2d(2))
        >>> s = summary(net, (1, 3, 32, 32))
        >>> [(r.name, r.receptive_field) for r in s.rows]
        [('0', (3, 3)), ('1', (3, 3)), ('2', (4, 4))]
        >>> s.rows[-1].output_shape
        (1, 8, 16, 16)
        >>> s.parameters, s.macs
        (224, 221184)
    """
    import torch
    import torch.fx as fx
    from torch.fx.passes.shape_prop import ShapeProp

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
        raise ValueError(f"input_shape must be (N, C, *spatial) with 1 to 3 spatial axes, got {input_shape!r}")
    shape = tuple(check_int("input_shape", v, minimum=1) for v in input_shape)
    if len(shape) > 5:
        raise ValueError(f"input_shape must have 1 to 3 spatial axes, got {len(shape) - 2}")
    try:
        graph = fx.symbolic_trace(model)
    except Exception as exc:  # fx raises several kinds (TraceError, TypeError, ...)
        raise ValueError(
            f"summary: torch.fx cannot trace {type(model).__name__} ({type(exc).__name__}: {exc}); "
            "a forward whose control flow depends on tensor values is not supported"
        ) from None
    first = next(iter(model.parameters()), None)
    dtype = first.dtype if first is not None else torch.float32
    was_training = model.training
    graph.eval()
    with torch.no_grad():
        ShapeProp(graph).propagate(torch.zeros(shape, dtype=dtype))
    graph.train(was_training)
    rows = tuple(_rows(graph, len(shape) - 2))
    if link is not None:
        rows = tuple(dataclasses.replace(r, link=_link(link, r)) for r in rows)
    return ModelSummary(shape, rows)


def _link(base: str, row: SummaryRow) -> str:
    """The URL that opens the row's layer in the explorer at ``base`` (empty when it cannot)."""
    from .explorer import state_fragment

    if row.kernel_size is None or row.input_shape is None or len(row.kernel_size) > 2:
        return ""
    transposed = row.kind.startswith("ConvTranspose")
    layer = dict(input=tuple(row.input_shape[2:]), kernel=tuple(row.kernel_size), stride=tuple(row.stride),
                 padding=tuple(row.padding), dilation=tuple(row.dilation))
    try:
        if transposed:
            return f"{base}={state_fragment('transposed', output_padding=tuple(row.output_padding), **layer)}"
        return f"{base}={state_fragment('conv', **layer)}"
    except (TypeError, ValueError):
        return ""


def _shape(node):
    meta = node.meta.get("tensor_meta")
    return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None


def _rows(graph, nd: int) -> list[SummaryRow]:
    modules = dict(graph.named_modules())
    seen_modules = set()
    state = {}                 # node -> tuple of (r, j, start) per axis | None | _CONST
    rows = []
    for node in graph.graph.nodes:
        if node.op == "placeholder":
            state[node] = tuple((1, 1, 0.0) for _ in range(nd))
            continue
        if node.op == "output":
            continue
        if node.op == "get_attr":
            state[node] = _CONST
            target = _attr(graph, node.target)
            n = target.numel() if isinstance(target, torch_parameter_type()) else 0
            if n:
                rows.append(SummaryRow(node.target, "parameter", tuple(target.shape), n, 0, None, None, None))
            continue
        out_shape = _shape(node)
        if out_shape is None:          # x.size(), shapes, numbers: no tensor, no row
            state[node] = _CONST
            continue
        try:
            row = _layer(node, modules, state, nd, seen_modules)
        except _Unsupported as exc:
            raise ValueError(f"summary: {exc}") from None
        if row.receptive_field is None:
            state[node] = None
        else:
            state[node] = tuple(zip(row.receptive_field, row.jump, row.start))
        rows.append(row)
    return rows


def torch_parameter_type():
    import torch

    return torch.nn.Parameter


def _attr(graph, target: str):
    obj = graph
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


def _fields(st):
    if st is None or st is _CONST:
        return None, None, None
    return (tuple(int(r) for r, _, _ in st), tuple(int(j) for _, j, _ in st),
            tuple(float(u) for _, _, u in st))


def _compose(st, layers: list[Layer]):
    """Apply one layer per axis (``Layer``s) to a field state, through ``receptive_field``."""
    if st is None:
        return None
    out = []
    for (r, j, start), layer in zip(st, layers):
        own = receptive_field([layer])[0]
        out.append((r + (own.size - 1) * j, j * own.jump, start + own.start * j))
    return tuple(out)


def _merge(name: str, states):
    """Union of the fields of merging branches (constants do not count)."""
    live = [s for s in states if s is not _CONST]
    if not live:
        return _CONST
    if any(s is None for s in live):      # a branch's field is unknown: so is the union
        return None
    out = []
    for axis, fields in enumerate(zip(*live)):
        jumps = {j for _, j, _ in fields}
        if len(jumps) > 1:
            raise _Unsupported(
                f"layer {name!r} merges branches whose jumps differ along spatial axis {axis} "
                f"({sorted(jumps)}): the merged map has no single jump, so no receptive field"
            )
        lo = min(u - (r - 1) / 2 for r, _, u in fields)
        hi = max(u + (r - 1) / 2 for r, _, u in fields)
        out.append((int(round(hi - lo)) + 1, jumps.pop(), (lo + hi) / 2))
    return tuple(out)


def _layer(node, modules, state, nd, seen_modules):
    """The row and the field state of one graph node."""
    out_shape = _shape(node)
    tensor_args = [a for a in _flat_args(node) if hasattr(a, "op")]
    src = tensor_args[0] if tensor_args else None
    in_shape = _shape(src) if src is not None else None
    st_in = state.get(src, _CONST) if src is not None else _CONST

    if node.op == "call_module":
        module = modules[node.target]
        kind = type(module).__name__
        params = 0
        if id(module) not in seen_modules:
            seen_modules.add(id(module))
            params = sum(p.numel() for p in module.parameters())
        return _module_row(node.target, kind, module, params, in_shape, out_shape, st_in, nd)

    name = node.name
    target = node.target
    kind = target if isinstance(target, str) else getattr(target, "__name__", str(target))
    row = lambda st, note="": SummaryRow(name, kind, out_shape, 0, 0, *_fields(st), note=note)  # noqa: E731
    import torch

    if node.op == "call_function" and target in (torch.cat, torch.concat):
        dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
        if dim % len(out_shape) != 1:
            raise _Unsupported(f"layer {name!r} (torch.cat) joins along dim {dim}, not the channels")
        merged = _merge(name, [state[a] for a in node.args[0]])
        return row(merged, "" if merged is not None else "a branch's field is unknown")
    if (node.op == "call_function" and target in _MERGE_FUNCTIONS) or (
            node.op == "call_method" and target in _MERGE_METHODS) or (
            node.op == "call_function" and target in (torch.add, torch.mul, torch.sub)):
        for a in tensor_args:
            shp = _shape(a)
            if state.get(a) is not _CONST and shp is not None and shp[2:] != out_shape[2:]:
                raise _Unsupported(f"layer {name!r} ({kind}) broadcasts over the spatial axes: not supported")
        merged = _merge(name, [state[a] for a in tensor_args])
        return row(merged, "" if merged is not None else "a branch's field is unknown")
    if node.op == "call_method" and target in _IDENTITY_METHODS:
        return row(st_in)
    if node.op == "call_function" and target in _identity_functions():
        return row(st_in)
    flattening = (node.op == "call_method" and target in ("flatten", "view", "reshape")) or (
        node.op == "call_function" and target in (torch.flatten, torch.reshape))
    if flattening:
        if len(out_shape) == 2 and in_shape is not None and out_shape[0] == in_shape[0]:
            flat = _flattened(st_in, in_shape)
            return SummaryRow(name, kind, out_shape, 0, 0, **flat)
        raise _Unsupported(f"layer {name!r} ({kind}) reshapes {in_shape} to {out_shape}: only (N, features) is supported")
    if (node.op == "call_method" and target == "mean") or (node.op == "call_function" and target is torch.mean):
        return row(*_global_pool(name, kind, node, in_shape, out_shape, st_in, nd))
    raise _Unsupported(
        f"layer {name!r} ({kind}) is not supported: its receptive field and cost are unknown to "
        "convtutor.explain (see its docstring for the supported layers)"
    )


def _identity_functions():
    import torch
    import torch.nn.functional as F

    return {F.relu, F.relu6, F.gelu, F.silu, F.leaky_relu, F.elu, F.hardswish, F.dropout,
            torch.relu, torch.sigmoid, torch.tanh, F.sigmoid, F.tanh}


def _flat_args(node):
    for a in node.args:
        if isinstance(a, (list, tuple)):
            yield from a
        else:
            yield a
    yield from node.kwargs.values()


def _global_pool(name, kind, node, in_shape, out_shape, st_in, nd):
    dims = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else None)
    dims = (dims,) if isinstance(dims, int) else tuple(dims or ())
    spatial = {d % len(in_shape) for d in dims}
    if spatial != set(range(2, 2 + nd)):
        raise _Unsupported(f"layer {name!r} ({kind}) averages over dims {dims}: only the spatial axes are supported")
    layers = [Layer(m, m) for m in in_shape[2:]]
    st = _compose(st_in, layers) if st_in is not _CONST else _CONST
    return st, "global mean"


def _tuple(value, nd):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * nd


def _module_row(name, kind, module, params, in_shape, out_shape, st_in, nd):
    import torch.nn as nn

    batch = in_shape[0] if in_shape else 1
    base = dict(name=name, kind=kind, output_shape=out_shape, parameters=params, input_shape=in_shape)

    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        k, s, d = module.kernel_size, module.stride, module.dilation
        if isinstance(module.padding, str):
            if module.padding == "same":
                before = tuple(same_padding(i, kk, 1, dd, "torch")[0] for i, kk, dd in zip(in_shape[2:], k, d))
            else:
                before = (0,) * len(k)
        else:
            before = tuple(module.padding)
        macs = batch * conv_macs(module.in_channels, module.out_channels, k, out_shape[2:], module.groups)
        st = _compose(st_in, [Layer(*a) for a in zip(k, s, before, d)])
        return SummaryRow(**base, macs=macs, **_named(st), kernel_size=k, stride=s, padding=before, dilation=d)

    if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
        k, s, d, p = module.kernel_size, module.stride, module.dilation, module.padding
        macs = batch * conv_transpose_macs(module.in_channels, module.out_channels, k, in_shape[2:], module.groups)
        note = ""
        if all(v == 1 for v in s) and all(dd * (kk - 1) >= pp for kk, dd, pp in zip(k, d, p)):
            # stride 1: a convolution with the flipped kernel and padding d(k-1) - p
            st = _compose(st_in, [Layer(kk, 1, dd * (kk - 1) - pp, dd) for kk, dd, pp in zip(k, d, p)])
        else:
            st = None
            note = "transposed with stride > 1: the field differs from cell to cell"
        return SummaryRow(**base, macs=macs, **_named(st), kernel_size=k, stride=s, padding=p,
                          dilation=d, note=note, output_padding=tuple(module.output_padding))

    pools = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
    if isinstance(module, pools):
        k = _tuple(module.kernel_size, nd)
        s = _tuple(module.stride if module.stride is not None else module.kernel_size, nd)
        p = _tuple(module.padding, nd)
        d = _tuple(getattr(module, "dilation", 1), nd)
        st = _compose(st_in, [Layer(*a) for a in zip(k, s, p, d)])
        return SummaryRow(**base, macs=0, **_named(st), kernel_size=k, stride=s, padding=p, dilation=d)

    adaptive = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
                nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)
    if isinstance(module, adaptive):
        ins, outs = in_shape[2:], out_shape[2:]
        if any(i % o for i, o in zip(ins, outs)):
            raise _Unsupported(
                f"layer {name!r} ({kind}) pools {ins} to {outs}: windows of unequal size; only an "
                "input size that is a multiple of the output size is supported"
            )
        k = tuple(i // o for i, o in zip(ins, outs))
        st = _compose(st_in, [Layer(kk, kk) for kk in k])
        return SummaryRow(**base, macs=0, **_named(st), kernel_size=k, stride=k, padding=(0,) * nd,
                          dilation=(1,) * nd)

    if isinstance(module, nn.Linear):
        if len(in_shape) != 2:
            raise _Unsupported(f"layer {name!r} (Linear) is applied to a map of shape {in_shape}: "
                               "only (N, features) is supported; flatten or pool it first")
        macs = math.prod(in_shape[:-1]) * module.in_features * module.out_features
        # mixes features only: every output sees what its inputs saw
        return SummaryRow(**base, macs=macs, **_named(st_in if st_in is not _CONST else None))

    if isinstance(module, nn.Flatten):
        if len(out_shape) != 2 or out_shape[0] != in_shape[0]:
            raise _Unsupported(f"layer {name!r} (Flatten) gives {out_shape}: only (N, features) is supported")
        return SummaryRow(**base, macs=0, **_flattened(st_in, in_shape))

    if kind in _ELEMENTWISE:
        return SummaryRow(**base, macs=0, **_named(st_in if st_in is not _CONST else None))

    raise _Unsupported(
        f"layer {name!r} ({kind}) is not supported: its receptive field and cost are unknown to "
        "convtutor.explain (see its docstring for the supported layers)"
    )


def _flattened(st_in, in_shape) -> dict:
    """Fields after flattening to (N, features): kept for a 1x1 map, else gone."""
    if len(in_shape) == 2 or all(v == 1 for v in in_shape[2:]):
        return _named(st_in if st_in is not _CONST else None)
    return dict(receptive_field=None, jump=None, start=None,
                note="flattened: each feature sees a different part of the input")


def _named(st) -> dict:
    r, j, u = _fields(st)
    return dict(receptive_field=r, jump=j, start=u)
