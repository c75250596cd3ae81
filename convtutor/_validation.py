"""The argument rules of convtutor, each written once.

Every rule about the *value* of an argument lives here: what counts as an int, a tuple per
spatial dimension, a numeric array, a channel count that groups divide, a 2-D kernel, a
numerical rank. A broken rule raises ``TypeError`` (the wrong kind of value) or ``ValueError``
(the right kind, breaking a rule), and the message names the parameter, its value and the rule.

The rules about *sizes* (output size, padding modes, the "output would be empty" and
"output_padding too large" cases) live in one place too: :class:`convtutor.arithmetic.ConvShape`.
"""

from __future__ import annotations

import numbers

import numpy as np


def is_int(value) -> bool:
    """True for Python and numpy integers, False for bools and everything else."""
    if type(value) is int:             # the common case, without the abstract-class check
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_int(name: str, value, minimum: int | None = None) -> int:
    """Return ``value`` as an int, or raise naming ``name``."""
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={value} must be >= {minimum}")
    return value


def check_bool(name: str, value) -> bool:
    """Return ``value`` if it is True or False (numpy bools included), or raise naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def check_choice(name: str, value, choices: tuple) -> object:
    """Return ``value`` if it is one of ``choices``, or raise listing them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}={value!r} must be one of {', '.join(map(repr, choices))}")
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


def size_tuple(name: str, value) -> tuple[tuple[int, ...], bool]:
    """Sizes (>= 1) from an int or a non-empty tuple, and whether the caller gave a plain int."""
    if is_int(value):
        return (check_int(name, value, minimum=1),), True
    if isinstance(value, (tuple, list)) and value:
        return int_tuple(name, tuple(value), len(value), minimum=1), False
    raise TypeError(f"{name} must be an int or a non-empty tuple of ints, got {value!r}")


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


def check_finite(name: str, array: np.ndarray) -> np.ndarray:
    """Raise unless every value of ``array`` is finite."""
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite values (no NaN or infinity)")
    return array


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


def check_channels(in_channels, out_channels, groups) -> tuple[int, int, int]:
    """Channel counts (>= 1) and a number of groups that divides both."""
    cin = check_int("in_channels", in_channels, minimum=1)
    cout = check_int("out_channels", out_channels, minimum=1)
    g = check_int("groups", groups, minimum=1)
    if cin % g:
        raise ValueError(f"groups={g} must divide in_channels={cin}")
    if cout % g:
        raise ValueError(f"groups={g} must divide out_channels={cout}")
    return cin, cout, g


def check_kernel2d(name: str, kernel) -> np.ndarray:
    """A 2-D kernel ``(kH, kW)``: real, non-empty, finite."""
    k = check_ndim(name, as_numeric_array(name, kernel), (2,), "a 2-D array (kH, kW)")
    if k.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {k.shape}")
    return check_finite(name, k)


def check_vector(name: str, value) -> np.ndarray:
    """A 1-D kernel factor: real, non-empty, finite."""
    v = check_ndim(name, as_numeric_array(name, value), (1,), "a 1-D array")
    if v.size == 0:
        raise ValueError(f"{name} must not be empty")
    return check_finite(name, v)


def numerical_rank(singular_values: np.ndarray, tol: float) -> int:
    """How many singular values exceed ``tol`` times the largest (0 when all are 0).

    The one rank rule of the package: a kernel's rank (:mod:`convtutor.separable`) and a
    convolution matrix's rank (:mod:`convtutor.deconvolution`) are both counted this way.
    """
    s = np.asarray(singular_values)
    if s.size == 0 or s[0] == 0:
        return 0
    return int(np.count_nonzero(s > tol * s[0]))


_AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


def check_input_layout(fname: str, x: np.ndarray, nd: int, channels: str = "C") -> np.ndarray:
    """An input of ``nd`` spatial dimensions: ``(channels, *spatial)`` or ``(N, channels, *spatial)``."""
    if x.ndim not in (nd + 1, nd + 2):
        space = ", ".join(_AXES.get(nd, tuple(f"S{i}" for i in range(nd))))
        raise ValueError(
            f"{fname}: input must be {nd + 1}-D ({channels}, {space}) or {nd + 2}-D (N, {channels}, {space}), "
            f"got {x.ndim}-D input of shape {x.shape}"
        )
    return x


def conv_arrays(fname: str, nd: int, input, weight, bias, transposed: bool):
    """The arrays of one (transposed) convolution call: numeric, of the right rank, batched.

    Returns ``(input, weight, bias, batched)`` with the input given a batch axis if it had none
    and all three converted to their common dtype (``numpy.result_type``). The rules about
    channels and sizes are checked afterwards, from the shapes alone
    (:func:`convtutor.arithmetic.conv_shape`).
    """
    x = check_input_layout(fname, as_numeric_array("input", input), nd, "C_in")
    w = as_numeric_array("weight", weight)
    dims = _AXES[nd]
    if w.ndim != nd + 2:
        lead = "C_in, C_out/groups" if transposed else "C_out, C_in/groups"
        kernel = ", ".join("k" + c for c in dims)
        raise ValueError(
            f"{fname}: weight must be {nd + 2}-D ({lead}, {kernel}), got {w.ndim}-D weight of shape {w.shape}"
        )
    b = None if bias is None else as_numeric_array("bias", bias)
    batched = x.ndim == nd + 2
    if not batched:
        x = x[np.newaxis]
    dtype = np.result_type(x.dtype, w.dtype, *(() if b is None else (b.dtype,)))
    x = x.astype(dtype, copy=False)
    w = w.astype(dtype, copy=False)
    if b is not None:
        b = b.astype(dtype, copy=False)
    return x, w, b, batched


def weight_dims(fname: str, weight, transposed: bool, max_dims: int = 3) -> int:
    """Number of spatial dimensions of a weight ``(C, C', *kernel)``: 1 to ``max_dims``."""
    w = as_numeric_array("weight", weight)
    lead = "C_in, C_out/groups" if transposed else "C_out, C_in/groups"
    if not 3 <= w.ndim <= max_dims + 2:
        raise ValueError(
            f"{fname}: weight must be ({lead}, *kernel) with 1 to {max_dims} spatial dimensions, "
            f"got shape {w.shape}"
        )
    return w.ndim - 2


def check_weight_channels(weight_shape: tuple, in_channels: int, groups: int, batched: bool,
                          transposed: bool) -> None:
    """The weight's channel axis must match the input: ``C_in / groups`` (or ``C_in`` transposed)."""
    where = f"input.shape[{1 if batched else 0}]"
    if transposed:
        if weight_shape[0] != in_channels:
            raise ValueError(
                f"weight.shape[0]={weight_shape[0]} must equal in_channels={in_channels} ({where}); "
                "a transposed weight is (C_in, C_out/groups, *kernel)"
            )
    elif weight_shape[1] * groups != in_channels:
        raise ValueError(
            f"weight.shape[1]={weight_shape[1]} times groups={groups} must equal in_channels={in_channels} ({where})"
        )


def check_bias(bias: np.ndarray | None, out_channels: int) -> None:
    """A bias holds one value per output channel."""
    if bias is not None and bias.shape != (out_channels,):
        raise ValueError(f"bias must have shape ({out_channels},) (one per output channel), got {bias.shape}")
