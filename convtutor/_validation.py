"""Argument checks shared by every public function.

All validation of convtutor lives here, so that each rule is written once and every
function reports a broken rule with the same words: the parameter, its value and the
rule. Errors are ``TypeError`` for a wrong kind of value and ``ValueError`` for a value
of the right kind that breaks a rule.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

PADDING_MODES = ("valid", "same", "full")


def is_int(value) -> bool:
    """True for Python and numpy integers, False for bools and everything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_int(name: str, value, minimum: int | None = None) -> int:
    """Return ``value`` as an int, or raise naming ``name``."""
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={value} must be >= {minimum}")
    return value


def int_tuple(name: str, value, n: int, minimum: int | None = None) -> tuple[int, ...]:
    """Expand an int or check a sequence of ``n`` ints; each must be >= ``minimum``."""
    if is_int(value):
        items = (value,) * n
    elif isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ValueError(
                f"{name}={tuple(value)!r} must have {n} value{'s' if n != 1 else ''} "
                f"(one per spatial dimension), got {len(value)}"
            )
        items = tuple(value)
    else:
        raise TypeError(
            f"{name} must be an int or a tuple of {n} ints, got {value!r} ({type(value).__name__})"
        )
    out = []
    for item in items:
        if not is_int(item):
            raise TypeError(f"{name} must contain only ints, got {value!r}")
        item = int(item)
        if minimum is not None and item < minimum:
            raise ValueError(f"{name}={value!r} must be >= {minimum} in every dimension")
        out.append(item)
    return tuple(out)


def as_numeric_array(name: str, value) -> np.ndarray:
    """Turn ``value`` into an ndarray of a real numeric dtype (never copies needlessly)."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists and the like
        raise TypeError(f"{name} must be a numeric array: {exc}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must be a real numeric array (integer or floating point), got dtype {arr.dtype}"
        )
    return arr


def check_real(name: str, value, minimum: float | None = None, *, allow_none: bool = False) -> float | None:
    """Return ``value`` as a finite float (or None when allowed), or raise naming ``name``."""
    if value is None and allow_none:
        return None
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        kind = "a real number or None" if allow_none else "a real number"
        raise TypeError(f"{name} must be {kind}, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name}={value} must be finite")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={value} must be >= {minimum}")
    return value


def check_ndim(name: str, array: np.ndarray, ndims: tuple[int, ...], layout: str) -> np.ndarray:
    """Raise ``ValueError`` unless ``array.ndim`` is one of ``ndims``; ``layout`` names the axes."""
    if array.ndim not in ndims:
        raise ValueError(f"{name} must be {layout}, got a {array.ndim}-D array of shape {array.shape}")
    return array

def resolve_padding(
    padding,
    kernel_size: tuple[int, ...],
    dilation: tuple[int, ...],
    stride: tuple[int, ...],
    *,
    allow_modes: bool = True,
) -> tuple[tuple[int, int], ...]:
    """Padding as (before, after) zeros per spatial dimension.

    ``'valid'`` pads nothing, ``'same'`` pads ``d*(k-1)`` in total (the odd zero goes after,
    as in PyTorch) and needs stride 1, ``'full'`` pads ``d*(k-1)`` on both sides so every
    partial overlap is computed. An int pads every side by that much, a tuple gives one
    symmetric amount per dimension.
    """
    n = len(kernel_size)
    if isinstance(padding, str):
        if not allow_modes:
            raise TypeError(
                f"padding must be an int or a tuple of {n} ints here, got the string {padding!r}"
            )
        if padding not in PADDING_MODES:
            raise ValueError(f"padding={padding!r} is not one of {', '.join(map(repr, PADDING_MODES))}")
        totals = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
        if padding == "valid":
            return tuple((0, 0) for _ in range(n))
        if padding == "full":
            return tuple((t, t) for t in totals)
        if any(s != 1 for s in stride):
            raise ValueError(f"padding='same' needs stride=1 in every dimension, got stride={stride}")
        return tuple((t // 2, t - t // 2) for t in totals)
    pads = int_tuple("padding", padding, n, minimum=0)
    return tuple((p, p) for p in pads)


@dataclass(frozen=True)
class ConvArgs:
    """Checked and normalised arguments of one (transposed) convolution call."""

    input: np.ndarray  # always batched: (N, C_in, *spatial)
    weight: np.ndarray
    bias: np.ndarray | None
    batched: bool
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    groups: int
    in_channels: int
    out_channels: int
    kernel_size: tuple[int, ...]
    output_size: tuple[int, ...]
    output_padding: tuple[int, ...] = ()


def _shape_text(nd: int, transposed: bool) -> str:
    letters = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(nd, tuple(f"S{i}" for i in range(nd)))
    return ", ".join(letters)


def _arrays(fname, nd, input, weight, bias, transposed):
    x = as_numeric_array("input", input)
    w = as_numeric_array("weight", weight)
    dims = _shape_text(nd, transposed)
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(
            f"{fname}: input must be {nd + 1}-D (C_in, {dims}) or {nd + 2}-D (N, C_in, {dims}), "
            f"got {x.ndim}-D input of shape {x.shape}"
        )
    wdesc = "(C_in, C_out/groups, " if transposed else "(C_out, C_in/groups, "
    if w.ndim != nd + 2:
        raise ValueError(
            f"{fname}: weight must be {nd + 2}-D {wdesc}{', '.join('k' + c for c in dims.split(', '))}), "
            f"got {w.ndim}-D weight of shape {w.shape}"
        )
    if any(k < 1 for k in w.shape[2:]):
        raise ValueError(f"{fname}: kernel size {w.shape[2:]} must be >= 1 in every dimension")
    if any(n < 1 for n in x.shape[-nd:]):
        raise ValueError(f"{fname}: every spatial size of the input must be >= 1, got input shape {x.shape}")
    if x.shape[-nd - 1] < 1:
        raise ValueError(f"{fname}: in_channels must be >= 1, got input shape {x.shape}")
    b = None
    if bias is not None:
        b = as_numeric_array("bias", bias)
    batched = x.ndim == nd + 2
    if not batched:
        x = x[np.newaxis]
    dtype = np.result_type(x.dtype, w.dtype, *(() if b is None else (b.dtype,)))
    x = x.astype(dtype, copy=False)
    w = w.astype(dtype, copy=False)
    if b is not None:
        b = b.astype(dtype, copy=False)
    return x, w, b, batched


def check_conv(fname: str, nd: int, input, weight, bias, stride, padding, dilation, groups) -> ConvArgs:
    """Validate the arguments of ``conv{nd}d`` (same rules as torch.nn.functional)."""
    x, w, b, batched = _arrays(fname, nd, input, weight, bias, transposed=False)
    stride = int_tuple("stride", stride, nd, minimum=1)
    dilation = int_tuple("dilation", dilation, nd, minimum=1)
    groups = check_int("groups", groups, minimum=1)
    c_in, c_out = x.shape[1], w.shape[0]
    if c_in % groups:
        raise ValueError(f"{fname}: groups={groups} must divide in_channels={c_in}")
    if c_out % groups:
        raise ValueError(f"{fname}: groups={groups} must divide out_channels={c_out} (weight.shape[0])")
    if w.shape[1] * groups != c_in:
        raise ValueError(
            f"{fname}: weight.shape[1]={w.shape[1]} times groups={groups} must equal "
            f"in_channels={c_in} (input.shape[{1 if batched else 0}])"
        )
    if b is not None and b.shape != (c_out,):
        raise ValueError(f"{fname}: bias must have shape ({c_out},) (one per output channel), got {b.shape}")
    kernel = tuple(w.shape[2:])
    pads = resolve_padding(padding, kernel, dilation, stride)
    out = []
    for dim, (i, k, s, (pb, pa), d) in enumerate(zip(x.shape[2:], kernel, stride, pads, dilation)):
        keff = d * (k - 1) + 1
        if keff > i + pb + pa:
            raise ValueError(
                f"{fname}: in spatial dimension {dim}, the dilated kernel size {keff} "
                f"(kernel {k}, dilation {d}) is larger than the padded input size {i + pb + pa} "
                f"(input {i} + padding {pb}+{pa}): the output would be empty"
            )
        out.append((i + pb + pa - keff) // s + 1)
    return ConvArgs(x, w, b, batched, stride, pads, dilation, groups, c_in, c_out, kernel, tuple(out))


def check_conv_transpose(
    fname: str, nd: int, input, weight, bias, stride, padding, output_padding, groups, dilation
) -> ConvArgs:
    """Validate the arguments of ``conv_transpose{nd}d`` (same rules as torch.nn.functional)."""
    x, w, b, batched = _arrays(fname, nd, input, weight, bias, transposed=True)
    stride = int_tuple("stride", stride, nd, minimum=1)
    dilation = int_tuple("dilation", dilation, nd, minimum=1)
    groups = check_int("groups", groups, minimum=1)
    pads = resolve_padding(padding, tuple(w.shape[2:]), dilation, stride, allow_modes=False)
    output_padding = int_tuple("output_padding", output_padding, nd, minimum=0)
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(
                f"{fname}: output_padding={output_padding} must be smaller than stride={stride} "
                f"or dilation={dilation} in every dimension"
            )
    c_in = x.shape[1]
    if w.shape[0] != c_in:
        raise ValueError(
            f"{fname}: weight.shape[0]={w.shape[0]} must equal in_channels={c_in} "
            f"(input.shape[{1 if batched else 0}]); a transposed weight is (C_in, C_out/groups, *kernel)"
        )
    if c_in % groups:
        raise ValueError(f"{fname}: groups={groups} must divide in_channels={c_in}")
    c_out = w.shape[1] * groups
    if b is not None and b.shape != (c_out,):
        raise ValueError(f"{fname}: bias must have shape ({c_out},) (one per output channel), got {b.shape}")
    kernel = tuple(w.shape[2:])
    out = []
    for dim, (i, k, s, (p, _), op, d) in enumerate(
        zip(x.shape[2:], kernel, stride, pads, output_padding, dilation)
    ):
        o = (i - 1) * s - 2 * p + d * (k - 1) + op + 1
        if o < 1:
            raise ValueError(
                f"{fname}: in spatial dimension {dim}, the output size (i-1)*s - 2p + d*(k-1) + "
                f"output_padding + 1 = ({i}-1)*{s} - 2*{p} + {d}*({k}-1) + {op} + 1 = {o} "
                "is below 1: padding is too large"
            )
        out.append(o)
    return ConvArgs(
        x, w, b, batched, stride, pads, dilation, groups, c_in, c_out, kernel, tuple(out), output_padding
    )
