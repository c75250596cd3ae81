"""The fast numerical paths behind ``conv{1,2,3}d`` and ``conv_transpose{1,2,3}d``.

Each function takes a checked :class:`convtutor._call.ConvCall` and returns the result with the
input's batch axis (the bias and the unbatching are the call's :meth:`~ConvCall.finish`). The
readable versions of the same computations are the teaching functions of :mod:`convtutor.conv`
and :mod:`convtutor.transposed`; the tests hold both to PyTorch.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._call import ConvCall


def pad(x: np.ndarray, pads) -> np.ndarray:
    """Zero-pad the spatial axes of a batched array by ``(before, after)`` pairs (no copy when none)."""
    if not any(p for pair in pads for p in pair):
        return x
    return np.pad(x, [(0, 0), (0, 0), *pads])


def windows(xp: np.ndarray, groups: int, kernel, stride, dilation, out_size) -> np.ndarray:
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


def conv_forward(call: ConvCall) -> np.ndarray:
    """Per image, one im2col copy and one batched matrix product per group."""
    sh = call.shape
    x = pad(call.input, sh.padding)
    n = x.shape[0]
    g, k = sh.groups, sh.kernel_size
    cg, og = sh.in_channels // g, sh.out_channels // g
    length = math.prod(sh.output_size)
    taps = math.prod(k)
    w = call.weight
    out = np.empty((n, sh.out_channels, *sh.output_size), dtype=w.dtype)
    if cg == 1 and og == 1 and g > 1:
        _depthwise(x, w, sh, out)
    else:
        wm = w.reshape(g, og, cg * taps)
        for i in range(n):
            cols = windows(x[i], g, k, sh.stride, sh.dilation, sh.output_size).reshape(g, cg * taps, length)
            np.matmul(wm, cols, out=out[i].reshape(g, og, length))
    return call.finish(out)


def _depthwise(x: np.ndarray, w: np.ndarray, sh, out: np.ndarray) -> None:
    """One kernel per channel: accumulate the kernel taps as whole-image multiply-adds."""
    out[...] = 0
    scale_shape = (sh.in_channels,) + (1,) * sh.ndim
    tmp = np.empty(out.shape[1:], dtype=out.dtype)
    for tap in itertools.product(*(range(k) for k in sh.kernel_size)):
        sl = tuple(
            slice(t * d, t * d + (o - 1) * s + 1, s)
            for t, d, s, o in zip(tap, sh.dilation, sh.stride, sh.output_size)
        )
        scale = w[(slice(None), 0, *tap)].reshape(scale_shape)
        for i in range(x.shape[0]):
            np.multiply(x[(i, slice(None), *sl)], scale, out=tmp)
            out[i] += tmp


def canvas(call: ConvCall) -> np.ndarray:
    """Zeros for a transposed convolution's uncropped output (reaching far enough for output_padding)."""
    sh = call.shape
    size = tuple(max(f, b + o) for f, (b, _), o in zip(sh.full_size, sh.padding, sh.output_size))
    return np.zeros((call.input.shape[0], sh.out_channels, *size), dtype=call.weight.dtype)


def crop(call: ConvCall, full: np.ndarray) -> np.ndarray:
    """Cut ``p_before`` cells off the start of every dimension, keep ``output_size`` cells, add the bias."""
    sh = call.shape
    index = (slice(None), slice(None)) + tuple(slice(b, b + o) for (b, _), o in zip(sh.padding, sh.output_size))
    return call.finish(np.ascontiguousarray(full[index]))


def conv_transpose_forward(call: ConvCall) -> np.ndarray:
    """Per image, one matrix product (every input value times every weight), then one strided
    addition per kernel tap."""
    sh = call.shape
    x = call.input
    g = sh.groups
    cig, cog = sh.in_channels // g, sh.out_channels // g
    k = sh.kernel_size
    taps = math.prod(k)
    in_size = sh.input_size
    length = math.prod(in_size)
    # (g, C_out/g * taps, C_in/g): one matrix per group, rows are (output channel, tap)
    wt = np.ascontiguousarray(call.weight.reshape(g, cig, cog * taps).transpose(0, 2, 1))
    full = canvas(call)
    for n in range(x.shape[0]):
        cols = np.matmul(wt, x[n].reshape(g, cig, length)).reshape(sh.out_channels, *k, *in_size)
        for tap in itertools.product(*(range(kk) for kk in k)):
            sl = tuple(
                slice(t * d, t * d + (i - 1) * s + 1, s)
                for t, d, s, i in zip(tap, sh.dilation, sh.stride, in_size)
            )
            full[(n, slice(None), *sl)] += cols[(slice(None), *tap)]
    return crop(call, full)
