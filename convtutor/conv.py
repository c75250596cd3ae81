"""Convolution in N dimensions, with the semantics of ``torch.nn.functional.conv{1,2,3}d``.

Deep learning "convolution" is cross-correlation: the kernel slides over the input
without being flipped, and each output value is the sum of the products of the kernel
with the input cells under it::

    out[n, o, y] = bias[o] + sum_{c, t} weight[o, c, t] * x_pad[n, g*C_g + c, y*s + t*d]

for output position ``y``, kernel tap ``t`` (both multi-indices), input channel ``c`` of
the group ``g`` that output channel ``o`` belongs to.

Three ways of computing it are here, each readable on its own:

* :func:`conv_loops` - plain Python loops, one line per idea; slow, for reading.
* :func:`im2col` - the input cells of every kernel position as the columns of a matrix;
  the convolution is then one matrix product (how the fast :func:`conv2d` works).
* :func:`conv_matrix` - the dense matrix ``C`` of Dumoulin & Visin (2016, section 4):
  ``C @ x.ravel()`` equals the convolution.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._validation import ConvArgs, as_numeric_array, check_conv, int_tuple

__all__ = ["conv1d", "conv2d", "conv3d", "causal_conv1d", "conv_loops", "im2col", "conv_matrix",
           "flip_kernel"]


def _pad(x: np.ndarray, pads) -> np.ndarray:
    """Zero-pad the spatial dimensions of a batched array (no copy when there is no padding)."""
    if not any(p for pair in pads for p in pair):
        return x
    return np.pad(x, [(0, 0), (0, 0), *pads])


def _windows(xp: np.ndarray, groups: int, kernel, stride, dilation, out_size) -> np.ndarray:
    """Read-only view ``(groups, C_g, *kernel, *out_size)`` of one padded image ``(C, *spatial)``."""
    c = xp.shape[0]
    sc = xp.strides[0]
    spatial = xp.strides[1:]
    shape = (groups, c // groups, *kernel, *out_size)
    strides = (
        sc * (c // groups),
        sc,
        *(st * d for st, d in zip(spatial, dilation)),
        *(st * s for st, s in zip(spatial, stride)),
    )
    return as_strided(xp, shape=shape, strides=strides, writeable=False)


def _forward(a: ConvArgs) -> np.ndarray:
    """The fast path: per image, one im2col copy and one batched matrix product per group."""
    x = _pad(a.input, a.padding)
    n = x.shape[0]
    g, k = a.groups, a.kernel_size
    cg, og = a.in_channels // g, a.out_channels // g
    length = math.prod(a.output_size)
    taps = math.prod(k)
    w = a.weight
    out = np.empty((n, a.out_channels, *a.output_size), dtype=w.dtype)
    if cg == 1 and og == 1 and g > 1:
        _depthwise(x, w, a, out)
    else:
        wm = w.reshape(g, og, cg * taps)
        for i in range(n):
            cols = _windows(x[i], g, k, a.stride, a.dilation, a.output_size).reshape(g, cg * taps, length)
            np.matmul(wm, cols, out=out[i].reshape(g, og, length))
    if a.bias is not None:
        out += a.bias.reshape((1, -1) + (1,) * len(k))
    return out if a.batched else out[0]


def _depthwise(x: np.ndarray, w: np.ndarray, a: ConvArgs, out: np.ndarray) -> None:
    """One kernel per channel: accumulate the kernel taps as whole-image multiply-adds.

    A matrix product with one row per channel wastes most of its time on bookkeeping;
    adding ``w[c, t] * shifted_image`` for each tap ``t`` streams through memory instead.
    """
    c = a.in_channels
    out[...] = 0
    scale_shape = (c,) + (1,) * len(a.kernel_size)
    tmp = np.empty(out.shape[1:], dtype=out.dtype)
    for tap in itertools.product(*(range(k) for k in a.kernel_size)):
        sl = tuple(
            slice(t * d, t * d + (o - 1) * s + 1, s)
            for t, d, s, o in zip(tap, a.dilation, a.stride, a.output_size)
        )
        scale = w[(slice(None), 0, *tap)].reshape(scale_shape)
        for i in range(x.shape[0]):
            np.multiply(x[(i, slice(None), *sl)], scale, out=tmp)
            out[i] += tmp


def _make(nd: int):
    name = f"conv{nd}d"
    dims = {1: "L", 2: "H, W", 3: "D, H, W"}[nd]
    kdims = {1: "kL", 2: "kH, kW", 3: "kD, kH, kW"}[nd]
    example_in = {1: "(1, 2, 10)", 2: "(1, 2, 5, 5)", 3: "(1, 2, 4, 5, 5)"}[nd]
    example_w = {1: "(3, 2, 3)", 2: "(3, 2, 3, 3)", 3: "(3, 2, 3, 3, 3)"}[nd]
    example_out = {1: "(1, 3, 4)", 2: "(1, 3, 2, 2)", 3: "(1, 3, 1, 2, 2)"}[nd]

    def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        a = check_conv(name, nd, input, weight, bias, stride, padding, dilation, groups)
        return _forward(a)

    conv.__name__ = conv.__qualname__ = name
    conv.__doc__ = f"""{nd}-D convolution (cross-correlation), like ``torch.nn.functional.{name}``.

    ``out[n, o] = bias[o] + sum_c sum_t weight[o, c, t] * x_pad[n, c_g + c, y*s + t*d]``
    (no kernel flip; ``c_g`` is the first input channel of output channel ``o``'s group).

    Parameters:
        input: array ``(N, C_in, {dims})``, or unbatched ``(C_in, {dims})``.
        weight: array ``(C_out, C_in / groups, {kdims})``.
        bias: optional array ``(C_out,)`` added to every output value of a channel.
        stride: step of the kernel, an int or a tuple of {nd}.
        padding: zeros on each side (int or tuple of {nd}), ``'valid'``, ``'same'`` (stride 1;
            the odd zero of an even kernel goes after, as in PyTorch) or ``'full'``.
        dilation: spacing between kernel values, an int or a tuple of {nd}.
        groups: split the channels into this many independent convolutions.

    Returns:
        an array of the dtype of the inputs (``numpy.result_type`` of input, weight, bias).

    Shape:
        output ``(N, C_out, *o)`` with, per dimension,
        ``o = (i + p_before + p_after - d * (k - 1) - 1) // s + 1``
        (:func:`convtutor.conv_output_size`).

    Example:
        >>> import numpy as np
        >>> from convtutor import {name}
        >>> {name}(np.ones({example_in}), np.ones({example_w}), stride=2).shape
        {example_out}
    """
    return conv


conv1d = _make(1)
conv2d = _make(2)
conv3d = _make(3)


def causal_conv1d(input, weight, bias=None, dilation=1, groups=1):
    """Causal 1-D convolution: output ``t`` reads only inputs at times ``<= t`` (WaveNet-style).

    The input is padded on the left only, with ``d(k - 1)`` zeros, then convolved with
    :func:`conv1d` at stride 1, so the output is as long as the input and

    ``out[n, o, t] = bias[o] + sum_c sum_j weight[o, c, j] * x[n, c_g + c, t - d(k - 1 - j)]``

    (``x`` is zero at negative times): the last kernel tap sits on time ``t`` itself, the others
    reach back ``d``, ``2d``, ... ``d(k - 1)`` steps.

    Parameters:
        input: array ``(N, C_in, L)``, or unbatched ``(C_in, L)``.
        weight: array ``(C_out, C_in / groups, kL)``.
        bias: optional array ``(C_out,)``.
        dilation: spacing ``d`` between kernel values (an int or a tuple of 1).
        groups: split the channels into this many independent convolutions.

    Returns:
        an array of the dtype of the inputs, as :func:`conv1d`.

    Shape:
        output ``(N, C_out, L)``: with ``p_before = d * (k - 1)`` and ``p_after = 0``,
        ``o = (i + p_before + p_after - d * (k - 1) - 1) // 1 + 1 = i``
        (:func:`convtutor.conv_output_size`).

    Example:
        >>> import numpy as np
        >>> causal_conv1d(np.ones((1, 2, 10)), np.ones((3, 2, 2)), dilation=4).shape
        (1, 3, 10)
    """
    # padding='full' pads d(k-1) on both sides, so every kernel fits: the checks are those of
    # conv1d without the "kernel larger than the input" case, which left padding rules out
    a = check_conv("causal_conv1d", 1, input, weight, bias, 1, "full", dilation, groups)
    left = a.dilation[0] * (a.kernel_size[0] - 1)
    length = a.input.shape[2]
    return _forward(dataclasses.replace(a, padding=((left, 0),), output_size=(length,)))


def _check_nd(input, weight, bias, stride, padding, dilation, groups) -> ConvArgs:
    w = as_numeric_array("weight", weight)
    if w.ndim < 3:
        raise ValueError(f"weight must be (C_out, C_in/groups, *kernel) with at least 1 spatial dimension, got shape {w.shape}")
    nd = w.ndim - 2
    return check_conv(f"conv{nd}d", nd, input, weight, bias, stride, padding, dilation, groups)


def conv_loops(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """The convolution written as plain loops, to read line by line (slow).

    Same arguments and result as :func:`conv1d`/:func:`conv2d`/:func:`conv3d`; the number of
    spatial dimensions is read from ``weight``.

    Shape:
        as :func:`conv2d`: ``o = (i + p_before + p_after - d * (k - 1) - 1) // s + 1``.

    Example:
        >>> import numpy as np
        >>> conv_loops(np.arange(25.0).reshape(1, 5, 5), np.ones((1, 1, 3, 3)), stride=2)
        array([[[ 54.,  72.],
                [144., 162.]]])
    """
    a = _check_nd(input, weight, bias, stride, padding, dilation, groups)
    x = _pad(a.input, a.padding)                      # 1. add the zero padding
    c_in_group = a.in_channels // a.groups
    c_out_group = a.out_channels // a.groups
    out = np.zeros((x.shape[0], a.out_channels, *a.output_size), dtype=a.weight.dtype)
    for n in range(x.shape[0]):                       # 2. every example,
        for o in range(a.out_channels):               #    every output channel,
            g = o // c_out_group                      #    (the group it belongs to)
            for y in np.ndindex(*a.output_size):      #    every output position:
                total = 0 if a.bias is None else a.bias[o]
                for c in range(c_in_group):           # 3. sum over the input channels of the group
                    for t in np.ndindex(*a.kernel_size):  # and over the kernel taps
                        pos = tuple(yy * s + tt * d for yy, tt, s, d in zip(y, t, a.stride, a.dilation))
                        total += a.weight[(o, c, *t)] * x[(n, g * c_in_group + c, *pos)]
                out[(n, o, *y)] = total
    return out if a.batched else out[0]


def im2col(input, kernel_size, stride=1, padding=0, dilation=1):
    """Unfold every kernel window of the input into one column, like ``torch.nn.functional.unfold``.

    Column ``l`` holds the ``C * prod(kernel_size)`` input values (padding included) under the
    kernel at output position ``l`` (row-major), ordered channel first, then kernel tap. A
    convolution is then ``weight.reshape(C_out, -1) @ im2col(x, ...)``.

    Parameters:
        input: array ``(N, C, *spatial)`` or unbatched ``(C, *spatial)``; the number of spatial
            dimensions is ``len(kernel_size)`` (an int kernel size means 2-D).
        kernel_size, stride, padding, dilation: as in :func:`conv2d`.

    Shape:
        ``(N, C * prod(k), prod(o))`` (or without ``N``), ``o`` from :func:`convtutor.conv_output_size`.

    Example:
        >>> import numpy as np
        >>> im2col(np.zeros((1, 2, 5, 5)), 3, stride=2).shape
        (1, 18, 4)
    """
    nd = len(kernel_size) if isinstance(kernel_size, (tuple, list)) else 2
    ks = int_tuple("kernel_size", kernel_size, nd, minimum=1)
    x = as_numeric_array("input", input)
    c = x.shape[-nd - 1] if x.ndim >= nd + 1 else 1
    a = check_conv("im2col", nd, input, np.zeros((1, c, *ks), dtype=np.result_type(x.dtype, np.int8)),
                   None, stride, padding, dilation, 1)
    xp = _pad(a.input, a.padding)
    cols = np.stack([
        _windows(xp[i], 1, ks, a.stride, a.dilation, a.output_size).reshape(c * math.prod(ks), -1)
        for i in range(xp.shape[0])
    ])
    return cols if a.batched else cols[0]


def conv_matrix(input_shape, weight, stride=1, padding=0, dilation=1, groups=1):
    """The dense matrix ``C`` of a convolution: ``C @ x.ravel() == conv(x, weight).ravel()``.

    Row ``(o, y)`` holds the kernel of output channel ``o`` placed where it reads output position
    ``y``; the padding is folded in (zero padding cells simply have no column). Its transpose
    gives the transposed convolution (:func:`convtutor.conv_transpose_matrix`).

    Parameters:
        input_shape: unbatched input shape ``(C_in, *spatial)``.
        weight: ``(C_out, C_in / groups, *kernel)``.
        stride, padding, dilation, groups: as in :func:`conv2d`.

    Shape:
        ``(C_out * prod(o), C_in * prod(i))``.

    Example:
        >>> import numpy as np
        >>> conv_matrix((1, 4, 4), np.ones((1, 1, 3, 3))).shape   # Dumoulin & Visin's 4x4 example
        (4, 16)
    """
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"input_shape must be a tuple (C_in, *spatial), got {input_shape!r}")
    shape = int_tuple("input_shape", tuple(input_shape), len(input_shape), minimum=1)
    w = as_numeric_array("weight", weight)
    if w.ndim >= 3 and len(shape) != w.ndim - 1:
        raise ValueError(
            f"input_shape={shape} must be (C_in, *spatial) with {w.ndim - 2} spatial "
            f"dimension{'s' if w.ndim != 3 else ''} to match weight of shape {w.shape}"
        )
    a = _check_nd(np.zeros((1, *shape), dtype=np.int8), weight, None, stride, padding, dilation, groups)
    w = a.weight
    spatial = shape[1:]
    cg, og = a.in_channels // a.groups, a.out_channels // a.groups
    rows_per_channel = math.prod(a.output_size)
    matrix = np.zeros((a.out_channels * rows_per_channel, math.prod(shape)), dtype=w.dtype)
    out_pos = np.array(list(np.ndindex(*a.output_size))).reshape(-1, len(spatial))
    for t in np.ndindex(*a.kernel_size):
        # input coordinate read by tap t at every output position, padding removed
        coords = out_pos * np.array(a.stride) + np.array(t) * np.array(a.dilation) - np.array([p for p, _ in a.padding])
        inside = np.all((coords >= 0) & (coords < np.array(spatial)), axis=1)
        flat_in = np.ravel_multi_index(tuple(coords[inside].T), spatial) if inside.any() else np.array([], int)
        rows_local = np.flatnonzero(inside)
        for o in range(a.out_channels):
            g = o // og
            for c in range(cg):
                ch = g * cg + c
                matrix[o * rows_per_channel + rows_local, ch * math.prod(spatial) + flat_in] += w[(o, c, *t)]
    return matrix


def flip_kernel(weight):
    """Flip the spatial axes of a weight ``(C_out, C_in, *kernel)``.

    Deep learning libraries compute cross-correlation; the convolution of signal processing
    is cross-correlation with the flipped kernel: ``convolve(x, w) == conv2d(x, flip_kernel(w))``.

    Shape:
        same as ``weight``.

    Example:
        >>> import numpy as np
        >>> flip_kernel(np.arange(3).reshape(1, 1, 3))
        array([[[2, 1, 0]]])
    """
    w = as_numeric_array("weight", weight)
    if w.ndim < 3:
        raise ValueError(f"weight must have at least 3 dimensions (C_out, C_in, *kernel), got shape {w.shape}")
    return w[(Ellipsis, *(slice(None, None, -1),) * (w.ndim - 2))].copy()

