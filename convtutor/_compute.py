"""The fast numerical paths behind ``conv{1,2,3}d`` and ``conv_transpose{1,2,3}d``.

Each function takes a checked :class:`convtutor._call.ConvCall` and returns the result (the bias
and the unbatching are the call's :meth:`~convtutor._call.ConvCall.finish`). The readable versions
of the same computations are the teaching functions of :mod:`convtutor.conv` and
:mod:`convtutor.transposed`; the tests hold both to PyTorch.

No im2col buffer. The input is zero-padded once and flattened per channel; then, for a kernel
tap ``t``, the input cells that tap reads for consecutive output positions are consecutive in
the flat array (shifted by the tap's offset), so the whole tap is one matrix product of the
``(C_out, C_in)`` weight slice with a *view* of the flat input that BLAS reads in place. The sum
over the taps is accumulated into the output, which is computed on the padded grid (a few
positions per row too many) and cropped at the end::

    out_flat[:, y*W + x] = sum_t weight[:, :, t] @ x_flat[:, (y*W + x) + offset(t)]

A stride ``s`` is handled by splitting the padded input into its ``s`` phases per dimension (the
cells ``p, p + s, p + 2s, ...``): a strided tap reads one phase at unit stride. A transposed
convolution is computed per *output* phase, each a sum of shifted matrix products over the
padded input. A kernel that reads one input channel (depthwise) is a multiply-accumulate per
tap over the flat channels instead of a matrix product.

Extra memory: the padded input (with its phases) and one output-sized buffer per call.
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


def _row_strides(shape) -> tuple[int, ...]:
    """Element strides of a C-ordered array of ``shape``."""
    out, step = [], 1
    for n in reversed(shape):
        out.append(step)
        step *= n
    return tuple(reversed(out))


class _Flat:
    """Zero-padded copies of a batched input on one grid, flattened per channel.

    ``sources[i]`` is ``(N, C, prod(grid) + tail)``; grid position ``q`` (a multi-index) is flat
    index ``dot(q, strides)``. The tail of zeros lets every shifted view have the same length.
    """

    def __init__(self, n, c, grid, length, dtype):
        self.grid, self.strides = tuple(grid), _row_strides(grid)
        self.size = math.prod(grid)
        self.length = length
        self.n, self.c, self.dtype = n, c, dtype
        self.sources = []

    def add(self, tail: int) -> np.ndarray:
        """A new zero source with ``tail`` extra cells; returns its grid-shaped view to fill."""
        flat = np.zeros((self.n, self.c, self.size + tail), self.dtype)
        self.sources.append(flat)
        return flat[..., : self.size].reshape(self.n, self.c, *self.grid)

    def offset(self, shift) -> int:
        return sum(a * b for a, b in zip(shift, self.strides))


def _accumulate(acc: np.ndarray, tmp: np.ndarray, taps, weight_of, groups: int) -> None:
    """``acc[n, o, j] = sum over taps of W_t[o, c] * source_t[n, c, offset_t + j]`` for each group.

    ``taps`` lists ``(source, offset, t)``; ``weight_of(t)`` gives the ``(C_out, C_in/groups)``
    weight slice of tap ``t`` (or ``(C_in, m)`` for a per-channel kernel, when ``groups`` equals
    the input channels). ``acc`` and ``tmp`` are ``(N, C_out, L)``.
    """
    n, c_out, length = acc.shape
    first = True
    for source, offset, t in taps:
        view = source[..., offset: offset + length]
        w = weight_of(t)
        c_in = source.shape[1]
        if groups == c_in:                       # one input channel per kernel: multiply-accumulate
            m = c_out // c_in
            dest = acc if first else tmp
            np.multiply(view[:, :, None, :], w.reshape(1, c_in, m, 1), out=dest.reshape(n, c_in, m, length))
        else:
            og, cg = c_out // groups, c_in // groups
            for g in range(groups):
                dest = (acc if first else tmp)[:, g * og:(g + 1) * og]
                np.matmul(w[g * og:(g + 1) * og], view[:, g * cg:(g + 1) * cg], out=dest)
        if not first:
            acc += tmp
        first = False
    if first:
        acc[...] = 0


def _crop_into(out: np.ndarray, acc: np.ndarray, flat: _Flat, size) -> None:
    """Copy the grid positions ``[0, size)`` of ``acc`` (flat on ``flat``'s grid) into ``out``."""
    item = acc.itemsize
    view = as_strided(acc, (*acc.shape[:2], *size), (*acc.strides[:2], *(s * item for s in flat.strides)),
                      writeable=False)
    np.copyto(out, view)


def conv_forward(call: ConvCall) -> np.ndarray:
    """Sum over the kernel taps of one matrix product each, on views of the padded phases."""
    sh, x, w = call.shape, call.input, call.weight
    n, c_in = x.shape[:2]
    s, d, k, o = sh.stride, sh.dilation, sh.kernel_size, sh.output_size
    grid = tuple(-(-p // st) for p, st in zip(sh.padded_size, s))       # one phase's size per dimension
    length = sum((oo - 1) * st for oo, st in zip(o, _row_strides(grid))) + 1
    flat = _Flat(n, c_in, grid, length, w.dtype)
    shifts = {t: tuple(tt * dd // ss for tt, dd, ss in zip(t, d, s)) for t in np.ndindex(*k)}
    tail = max(flat.offset(sh) for sh in shifts.values()) + length - flat.size
    phase_index = {}
    for t in np.ndindex(*k):                     # the phases the taps read, each built once
        phase = tuple(tt * dd % ss for tt, dd, ss in zip(t, d, s))
        if phase not in phase_index:
            phase_index[phase] = len(flat.sources)
            view = flat.add(max(tail, 0))
            # input cell j sits at padded position j + before, i.e. in phase (j + before) % s
            src, dst = [Ellipsis], [Ellipsis]
            for p, (b, _), ss, size in zip(phase, sh.padding, s, sh.input_size):
                j0 = (p - b) % ss
                src.append(slice(j0, size, ss))
                dst.append(slice((j0 + b) // ss, None))
            part = x[tuple(src)]
            view[(Ellipsis, *(slice(sl.start, sl.start + m) for sl, m in zip(dst[1:], part.shape[2:])))] = part
    taps = [(flat.sources[phase_index[tuple(tt * dd % ss for tt, dd, ss in zip(t, d, s))]],
             flat.offset(shifts[t]), t) for t in np.ndindex(*k)]
    acc = np.empty((n, sh.out_channels, length), w.dtype)
    tmp = np.empty_like(acc) if len(taps) > 1 else acc
    per_channel = sh.groups == c_in
    _accumulate(acc, tmp, taps, (lambda t: w[(slice(None), 0, *t)]) if per_channel
                else (lambda t: w[(Ellipsis, *t)]), sh.groups)
    out = np.empty((n, sh.out_channels, *o), w.dtype)
    _crop_into(out, acc, flat, o)
    return call.finish(out)


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
    """Per output phase, a sum over the taps that land on it of shifted matrix products.

    Output cell ``o`` is canvas cell ``c = o + p_before``; input cell ``i`` reaches it through tap
    ``t`` when ``c = i*s + t*d``. For the output cells ``o = q*s + r`` of one phase ``r``, that is
    ``i = q + base_r - m_t`` with ``m_t = (t*d - (c mod s)) / s``: a correlation of the input with
    the taps ``t*d = c (mod s)``, read at fixed shifts.
    """
    sh, x, w = call.shape, call.input, call.weight
    n, c_in = x.shape[:2]
    s, d, k, o, i_size = sh.stride, sh.dilation, sh.kernel_size, sh.output_size, sh.input_size
    # per dimension and output phase r: the taps, their shift into the input, and the phase's length
    per_dim = []
    for ss, dd, kk, oo, (b, _) in zip(s, d, k, o, sh.padding):
        phases = []
        for r in range(min(ss, oo)):
            rc = (r + b) % ss
            base = (r + b - rc) // ss
            taps = [(t, base - (t * dd - rc) // ss) for t in range(kk) if t * dd % ss == rc]
            phases.append((r, -(-(oo - r) // ss), taps))
        per_dim.append(phases)
    front = [max([0] + [-shift for _, _, taps in ph for _, shift in taps]) for ph in per_dim]
    back = [max([0] + [(q - 1) + shift - (ii - 1) for _, q, taps in ph for _, shift in taps])
            for ph, ii in zip(per_dim, i_size)]
    grid = tuple(f + ii + bk for f, ii, bk in zip(front, i_size, back))
    q_max = tuple(max(q for _, q, _ in ph) for ph in per_dim)
    length = sum((q - 1) * st for q, st in zip(q_max, _row_strides(grid))) + 1
    flat = _Flat(n, c_in, grid, length, w.dtype)
    offsets_max = flat.offset(tuple(f + max([0] + [sh_ for _, _, taps in ph for _, sh_ in taps])
                                    for f, ph in zip(front, per_dim)))
    view = flat.add(max(offsets_max + length - flat.size, 0))
    view[(Ellipsis, *(slice(f, f + ii) for f, ii in zip(front, i_size)))] = x
    source = flat.sources[0]
    per_channel = sh.groups == c_in
    cig, cog = c_in // sh.groups, sh.out_channels // sh.groups
    wg = w.reshape(sh.groups, cig, cog, *k)

    def weight_of(t):                      # (C_out, C_in/g) slice of tap t, or (C_in, m) per channel
        if per_channel:
            return w[(slice(None), slice(None), *t)]
        return np.ascontiguousarray(np.swapaxes(wg[(slice(None), slice(None), slice(None), *t)], 1, 2)
                                    ).reshape(sh.out_channels, cig)

    out = np.empty((n, sh.out_channels, *o), w.dtype)
    acc = np.empty((n, sh.out_channels, length), w.dtype)
    tmp = np.empty_like(acc)
    for combo in itertools.product(*per_dim):
        taps = []
        for choice in itertools.product(*(taps for _, _, taps in combo)):
            t = tuple(tt for tt, _ in choice)
            taps.append((source, flat.offset(tuple(f + shift for f, (_, shift) in zip(front, choice))), t))
        _accumulate(acc, tmp, taps, weight_of, sh.groups)
        dest = out[(Ellipsis, *(slice(r, None, ss) for (r, _, _), ss in zip(combo, s)))]
        _crop_into(dest, acc, flat, tuple(q for _, q, _ in combo))
    return call.finish(out)
