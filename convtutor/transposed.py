"""Transposed convolution in N dimensions, like ``torch.nn.functional.conv_transpose{1,2,3}d``.

A transposed convolution is the adjoint of a convolution: if ``C`` is the matrix of a
convolution (:func:`convtutor.conv_matrix`), the transposed convolution multiplies by ``C.T``.
It maps the *shape* of the convolution's output back to the shape of its input; it does not
undo the convolution (see :mod:`convtutor.deconvolution` for a real inverse).

Three equal views of it are functions here, each written to be read:

* :func:`conv_transpose_scatter` - every input value scales a copy of the kernel, and the
  copies are added into the output, ``stride`` cells apart;
* :func:`conv_transpose_as_conv` - insert ``stride - 1`` zeros between input values, pad
  by ``d(k-1) - p`` on each side, and run an ordinary stride-1 convolution with the
  spatially flipped kernel whose in/out channels are swapped;
* :func:`conv_transpose_matrix` - multiply by the transpose of the convolution matrix.

The fast :func:`conv_transpose2d` does the scatter with one matrix product per image and
one strided addition per kernel tap.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ._validation import ConvArgs, as_numeric_array, check_conv, check_conv_transpose, int_tuple, is_int
from .conv import _forward, conv_matrix

__all__ = [
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "conv_transpose_scatter",
    "conv_transpose_as_conv",
    "conv_transpose_matrix",
    "insert_zeros",
]


def _full_size(a: ConvArgs) -> tuple[int, ...]:
    """Size of the output before the padding is cropped: ``(i - 1)s + d(k - 1) + 1``."""
    return tuple((i - 1) * s + d * (k - 1) + 1 for i, s, d, k in zip(a.input.shape[2:], a.stride, a.dilation, a.kernel_size))


def _crop(full: np.ndarray, a: ConvArgs) -> np.ndarray:
    """Cut ``padding`` cells off the start of every dimension and keep ``output_size`` cells."""
    index = (slice(None), slice(None)) + tuple(slice(p, p + o) for (p, _), o in zip(a.padding, a.output_size))
    return np.ascontiguousarray(full[index])


def _buffer(a: ConvArgs) -> np.ndarray:
    # output_padding may reach past the scattered copies: those cells stay zero
    size = tuple(max(f, p + o) for f, (p, _), o in zip(_full_size(a), a.padding, a.output_size))
    return np.zeros((a.input.shape[0], a.out_channels, *size), dtype=a.weight.dtype)


def _finish(full: np.ndarray, a: ConvArgs) -> np.ndarray:
    out = _crop(full, a)
    if a.bias is not None:
        out += a.bias.reshape((1, -1) + (1,) * len(a.kernel_size))
    return out if a.batched else out[0]


def _transpose_forward(a: ConvArgs) -> np.ndarray:
    x = a.input
    g = a.groups
    cig, cog = a.in_channels // g, a.out_channels // g
    k = a.kernel_size
    taps = math.prod(k)
    in_size = x.shape[2:]
    length = math.prod(in_size)
    # (g, C_out/g * taps, C_in/g): one matrix per group, rows are (output channel, tap)
    wt = np.ascontiguousarray(a.weight.reshape(g, cig, cog * taps).transpose(0, 2, 1))
    full = _buffer(a)
    for n in range(x.shape[0]):
        cols = np.matmul(wt, x[n].reshape(g, cig, length))          # every input value times every weight
        cols = cols.reshape(a.out_channels, *k, *in_size)
        for tap in itertools.product(*(range(kk) for kk in k)):
            sl = tuple(
                slice(t * d, t * d + (i - 1) * s + 1, s)
                for t, d, s, i in zip(tap, a.dilation, a.stride, in_size)
            )
            full[(n, slice(None), *sl)] += cols[(slice(None), *tap)]
    return _finish(full, a)


def _make(nd: int):
    name = f"conv_transpose{nd}d"
    dims = {1: "L", 2: "H, W", 3: "D, H, W"}[nd]
    kdims = {1: "kL", 2: "kH, kW", 3: "kD, kH, kW"}[nd]
    example_in = {1: "(1, 2, 2)", 2: "(1, 2, 2, 2)", 3: "(1, 2, 2, 2, 2)"}[nd]
    example_w = {1: "(2, 3, 3)", 2: "(2, 3, 3, 3)", 3: "(2, 3, 3, 3, 3)"}[nd]
    example_out = {1: "(1, 3, 5)", 2: "(1, 3, 5, 5)", 3: "(1, 3, 5, 5, 5)"}[nd]

    def conv_transpose(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        a = check_conv_transpose(name, nd, input, weight, bias, stride, padding, output_padding, groups, dilation)
        return _transpose_forward(a)

    conv_transpose.__name__ = conv_transpose.__qualname__ = name
    conv_transpose.__doc__ = f"""{nd}-D transposed convolution, like ``torch.nn.functional.{name}``.

    The adjoint of ``conv{nd}d`` with the same weight, stride, padding, dilation and groups:
    each input value scales a copy of its kernel slice, the copies land ``stride`` cells
    apart and overlap-add; then ``padding`` cells are cut from both ends of every dimension
    and ``output_padding`` cells are added at the end.

    Parameters:
        input: array ``(N, C_in, {dims})``, or unbatched ``(C_in, {dims})``.
        weight: array ``(C_in, C_out / groups, {kdims})`` (note: in-channels first).
        bias: optional array ``(C_out,)``.
        stride: stride of the convolution being transposed (spacing of the kernel copies).
        padding: padding of the convolution being transposed (cropped from the output).
        output_padding: cells added at the end of each dimension, below stride or dilation;
            picks one of the input sizes that the strided convolution maps to the same size.
        groups: independent channel groups.
        dilation: spacing between kernel values.

    Returns:
        an array of the dtype of the inputs.

    Shape:
        output ``(N, C_out, *o)`` with, per dimension,
        ``o = (i - 1) * s - 2 * p + d * (k - 1) + output_padding + 1``
        (:func:`convtutor.conv_transpose_output_size`).

    Example:
        >>> import numpy as np
        >>> from convtutor import {name}
        >>> {name}(np.ones({example_in}), np.ones({example_w}), stride=2).shape
        {example_out}
    """
    return conv_transpose


conv_transpose1d = _make(1)
conv_transpose2d = _make(2)
conv_transpose3d = _make(3)


def _check_nd(input, weight, bias, stride, padding, output_padding, groups, dilation) -> ConvArgs:
    w = as_numeric_array("weight", weight)
    if w.ndim < 3:
        raise ValueError(
            f"weight must be (C_in, C_out/groups, *kernel) with at least 1 spatial dimension, got shape {w.shape}"
        )
    nd = w.ndim - 2
    return check_conv_transpose(
        f"conv_transpose{nd}d", nd, input, weight, bias, stride, padding, output_padding, groups, dilation
    )


def conv_transpose_scatter(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution as a scatter of kernel copies, written as plain loops (slow).

    For every input cell, multiply the kernel by its value and add the product into the
    output at ``stride * position``; finally crop ``padding``. Same arguments and result as
    :func:`conv_transpose2d` (dimensions read from ``weight``).

    Shape:
        ``o = (i - 1) * s - 2 * p + d * (k - 1) + output_padding + 1``.

    Example:
        >>> import numpy as np
        >>> conv_transpose_scatter(np.ones((1, 1, 2)), np.ones((1, 1, 3)), stride=2)
        array([[[1., 1., 2., 1., 1.]]])
    """
    a = _check_nd(input, weight, bias, stride, padding, output_padding, groups, dilation)
    full = _buffer(a)
    cig, cog = a.in_channels // a.groups, a.out_channels // a.groups
    for n in range(a.input.shape[0]):
        for c in range(a.in_channels):                      # every input channel,
            g = c // cig                                    # (its group)
            for pos in np.ndindex(*a.input.shape[2:]):      # every input cell:
                value = a.input[(n, c, *pos)]
                for o in range(cog):                        # add value * kernel to each output channel
                    for t in np.ndindex(*a.kernel_size):
                        target = tuple(p * s + tt * d for p, s, tt, d in zip(pos, a.stride, t, a.dilation))
                        full[(n, g * cog + o, *target)] += value * a.weight[(c, o, *t)]
    return _finish(full, a)


def insert_zeros(input, stride):
    """Put ``stride - 1`` zeros between neighbouring values (the "fractional stride").

    Parameters:
        input: an array.
        stride: an int (applied to every axis) or a tuple for the trailing ``len(stride)`` axes.

    Shape:
        each affected axis of size ``i`` becomes ``(i - 1) * s + 1``.

    Example:
        >>> import numpy as np
        >>> insert_zeros(np.array([1, 2, 3]), 2)
        array([1, 0, 2, 0, 3])
    """
    x = as_numeric_array("input", input)
    if is_int(stride):
        n = x.ndim
    elif isinstance(stride, (tuple, list)):
        n = len(stride)
    else:
        raise TypeError(f"stride must be an int or a tuple of ints, got {stride!r} ({type(stride).__name__})")
    if n > x.ndim:
        raise ValueError(f"stride={stride!r} has more values than input has axes ({x.ndim})")
    ss = int_tuple("stride", stride, n, minimum=1)
    lead = x.ndim - n
    shape = x.shape[:lead] + tuple((i - 1) * s + 1 for i, s in zip(x.shape[lead:], ss))
    out = np.zeros(shape, dtype=x.dtype)
    out[(Ellipsis, *(slice(None, None, s) for s in ss))] = x
    return out


def conv_transpose_as_conv(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution as an ordinary convolution over a zero-stuffed input.

    1. insert ``s - 1`` zeros between the input values (:func:`insert_zeros`);
    2. pad ``d(k - 1) - p`` zeros on each side (plus ``output_padding`` at the end); when that
       is negative, crop instead;
    3. convolve with stride 1 and the same dilation, using the kernel flipped in every spatial
       axis with its in/out channels swapped.

    Same arguments and result as :func:`conv_transpose2d` (dimensions read from ``weight``).

    Shape:
        ``o = (i - 1) * s - 2 * p + d * (k - 1) + output_padding + 1``.

    Example:
        >>> import numpy as np
        >>> conv_transpose_as_conv(np.ones((1, 1, 2)), np.ones((1, 1, 3)), stride=2)
        array([[[1., 1., 2., 1., 1.]]])
    """
    a = _check_nd(input, weight, bias, stride, padding, output_padding, groups, dilation)
    nd = len(a.kernel_size)
    g = a.groups
    cig, cog = a.in_channels // g, a.out_channels // g
    x = insert_zeros(a.input, a.stride)
    index = [slice(None), slice(None)]
    pads = [(0, 0), (0, 0)]
    for k, d, (p, _), op in zip(a.kernel_size, a.dilation, a.padding, a.output_padding):
        before, after = d * (k - 1) - p, d * (k - 1) - p + op
        pads.append((max(before, 0), max(after, 0)))
        index.append(slice(max(-before, 0), None if after >= 0 else after))
    x = np.pad(x[tuple(index)], pads)
    # (C_in, C_out/g, *k) -> (C_out, C_in/g, *k), flipped in space
    w = a.weight.reshape(g, cig, cog, *a.kernel_size).swapaxes(1, 2).reshape(a.out_channels, cig, *a.kernel_size)
    w = w[(Ellipsis, *(slice(None, None, -1),) * nd)]
    args = check_conv(f"conv{nd}d", nd, x, w, a.bias, 1, 0, a.dilation, g)
    out = _forward(args)
    return out if a.batched else out[0]


def conv_transpose_matrix(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution as a multiplication by ``C.T``, the transposed convolution matrix.

    ``C`` is :func:`convtutor.conv_matrix` of the convolution with the same weight, stride,
    padding, dilation and groups whose *input* has the transposed convolution's output shape.
    Same arguments and result as :func:`conv_transpose2d` (dimensions read from ``weight``).

    Shape:
        ``o = (i - 1) * s - 2 * p + d * (k - 1) + output_padding + 1``.

    Example:
        >>> import numpy as np
        >>> conv_transpose_matrix(np.ones((1, 1, 2)), np.ones((1, 1, 3)), stride=2)
        array([[[1., 1., 2., 1., 1.]]])
    """
    a = _check_nd(input, weight, bias, stride, padding, output_padding, groups, dilation)
    pads = tuple(p for p, _ in a.padding)
    c = conv_matrix((a.out_channels, *a.output_size), a.weight, a.stride, pads, a.dilation, a.groups)
    # With output_padding >= stride (allowed when below dilation) the convolution of the larger
    # output has extra positions; the transposed convolution uses only the first ones.
    in_size = a.input.shape[2:]
    fwd = tuple((o + 2 * p - d * (k - 1) - 1) // s + 1
                for o, p, d, k, s in zip(a.output_size, pads, a.dilation, a.kernel_size, a.stride))
    c = c.reshape(a.in_channels, *fwd, -1)[(slice(None), *(slice(0, i) for i in in_size))]
    c = c.reshape(a.in_channels * math.prod(in_size), -1)
    n = a.input.shape[0]
    out = (a.input.reshape(n, -1) @ c).reshape(n, a.out_channels, *a.output_size)
    if a.bias is not None:
        out = out + a.bias.reshape((1, -1) + (1,) * len(a.kernel_size))
    return out if a.batched else out[0]
