"""The fast numerical paths behind ``conv{1,2,3}d`` and ``conv_transpose{1,2,3}d``.

Each function takes a checked :class:`convtutor._call.ConvCall` and returns the result (the bias
and the unbatching are the call's :meth:`~convtutor._call.ConvCall.finish`). The readable versions
of the same computations are the teaching functions of :mod:`convtutor.conv` and
:mod:`convtutor.transposed`; the tests hold both to PyTorch.

No full im2col buffer. The input is zero-padded once (split into its ``s`` phases per dimension
when the stride is ``s``, so that every tap reads one phase at unit stride). The output is then
computed a band of output rows at a time: the input cells every kernel tap reads for that band
are copied side by side into a small buffer (im2col for one band only, at most ``BAND_BYTES``; less,
down to half that, when 3/4 of a padded image is less, so it stays in the cache), and one matrix product per group, with ``C_in/g * k_h * k_w`` terms,
writes the band straight into the output::

    out[:, rows] = W.reshape(C_out, C_in * K) @ cols          (per group)
    cols[c, t, rows] = x_padded[c, rows + offset of tap t]

A transposed convolution is one matrix product per image, every input cell times every weight
(``(C_out/g * K) x (C_in/g)`` times ``(C_in/g) x positions``), whose rows for each kernel tap are
then added onto the output canvas at the tap's offset, one strided slice per tap (col2im); the
canvas is cropped by the padding. This was faster on the project's machine than computing each
output phase as a convolution with its taps (about 1.5x at batch 1 and 8, numbers in the fast-core
issue's note), at the price of a buffer of ``K`` times the output of one image. A kernel that reads one input channel (depthwise) is a multiply-accumulate per tap over the
flat channels instead of a product, a block of channels at a time.

Extra memory (beyond the output): for a convolution, one padded image (its phases) and one band
buffer; for a depthwise one, the padded batch and two accumulators of a block of channels; for
a transposed one, the canvas and the products of one image. An earlier
version unfolded only the last axis's taps and summed shifted products; it was no faster on the
project's machine, within its noise, and needed a second pass over the output.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._call import ConvCall

BAND_BYTES = 1 << 20   # the band buffer: at most a MiB (and 3/4 of a padded image), to stay in cache


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


def _dot(a, b) -> int:
    return sum(x * y for x, y in zip(a, b))


class _Grid:
    """An input seen on a grid of phases: cell ``a`` of phase ``p`` holds ``x[a*s + p - before]``
    (a zero outside the input), per spatial dimension.

    :meth:`source` builds a whole phase as a flat zero-padded copy ``(N, C, size + tail)``, grid
    cell ``q`` being flat index ``dot(q, strides)`` (the tail lets the per-channel path read a
    flat window past the last cell).
    """

    def __init__(self, x: np.ndarray, shape, before, stride, tail: int):
        self.x, self.shape, self.strides = x, tuple(shape), _row_strides(shape)
        self.before, self.stride = tuple(before), tuple(stride)
        self.size, self.tail = math.prod(shape), max(tail, 0)
        self.n, self.c, self.dtype = x.shape[0], x.shape[1], x.dtype
        self._sources: dict[tuple, np.ndarray] = {}

    def _ranges(self, phase, starts, counts):
        """Per dimension, the destination slice and the input slice of the cells inside the input."""
        dst, src = [], []
        for p, b, s, size, a0, count in zip(phase, self.before, self.stride, self.x.shape[2:], starts, counts):
            lo = max(0, -(-(b - p) // s) - a0)                     # first cell whose x index is >= 0
            hi = min(count, (size - 1 - p + b) // s - a0 + 1)      # past the last cell inside x
            if hi <= lo:
                return None
            j = (a0 + lo) * s + p - b
            dst.append(slice(lo, hi))
            src.append(slice(j, j + (hi - lo - 1) * s + 1, s))
        return tuple(dst), tuple(src)

    def source(self, phase) -> np.ndarray:
        """The whole phase as a flat zero-padded copy (built once)."""
        if phase not in self._sources:
            flat = np.zeros((self.n, self.c, self.size + self.tail), self.dtype)
            for i in range(self.n):
                self.image(phase, i, flat[i, :, : self.size].reshape(self.c, *self.shape))
            self._sources[phase] = flat
        return self._sources[phase]

    def image(self, phase, i: int, out: np.ndarray) -> np.ndarray:
        """Phase ``phase`` of image ``i`` alone, written into ``out`` ``(C, *shape)`` (reused)."""
        ranges = self._ranges(phase, (0,) * len(self.shape), self.shape)
        if ranges is None:
            out[...] = 0
            return out
        inside = (slice(None), *ranges[0])
        np.copyto(out[inside], self.x[(i, slice(None), *ranges[1])])
        for axis, part in enumerate(ranges[0]):          # zeros only where the input does not reach
            lead = (slice(None),) * (axis + 1)
            if part.start > 0:
                out[lead + (slice(0, part.start),)] = 0
            if part.stop < out.shape[axis + 1]:
                out[lead + (slice(part.stop, None),)] = 0
        return out


def _sum_taps(grid: _Grid, per_dim, gemm_weight, channel_weight, groups: int, c_out: int,
              out_size, dest: np.ndarray) -> None:
    """``dest = sum over the taps`` of weight times shifted input, for every output grid cell.

    ``per_dim[i]`` lists the taps along dimension ``i`` as ``(t, phase, shift)``: kernel index,
    the phase of the input they read and the shift on its grid. The taps are every combination
    (one per dimension). ``gemm_weight(t)`` is the ``(C_out, C_in/g)`` slice of tap ``t``;
    ``channel_weight(t)`` its ``(C_in, m)`` slice when each kernel reads one channel
    (``groups == C_in``). ``dest`` is ``(N, C_out, *out_size)``, C-ordered.
    """
    n, c_in = grid.n, grid.c
    strides, item = grid.strides, np.dtype(grid.dtype).itemsize
    rest = _dot([o - 1 for o in out_size[1:]], strides[1:]) + 1    # one row of output cells, flat
    per_channel = groups == c_in

    def crop_block(acc, i, o0, o1):        # output channels o0..o1 of image i, all rows
        view = as_strided(acc, (o1 - o0, *out_size), (acc.strides[1], *(st * item for st in strides)),
                          writeable=False)
        np.copyto(dest[i, o0:o1], view)

    if per_channel:            # multiply-accumulate, one image and one block of channels at a time
        m = c_out // c_in
        length = (out_size[0] - 1) * strides[0] + rest
        block = max(1, min(c_in, BAND_BYTES // 2 // max(1, 2 * m * length * item)))   # half a MiB
        acc = np.empty((1, block * m, length), grid.dtype)
        tmp = np.empty_like(acc)
        taps = [(grid.source(tuple(p for _, p, _ in combo)), _dot([sh for _, _, sh in combo], strides),
                 channel_weight(tuple(t for t, _, _ in combo)).reshape(c_in, m, 1))
                for combo in itertools.product(*per_dim)]
        for i in range(n):
            for c0 in range(0, c_in, block):
                c1 = min(c_in, c0 + block)
                a, t = acc[:, :(c1 - c0) * m], tmp[:, :(c1 - c0) * m]
                for k, (src, off, w) in enumerate(taps):
                    target = (a if k == 0 else t).reshape(c1 - c0, m, length)
                    np.multiply(src[i, c0:c1, None, off:off + length], w[c0:c1], out=target)
                    if k:
                        a += t
                crop_block(a, i, c0 * m, c1 * m)
        return

    _gemm_taps(grid, per_dim, gemm_weight, groups, c_out, out_size, dest)


def _blas_rows(a: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """A slice ``(C, rows_of_output...)`` of a C-ordered output, seen as a ``(C, cols)`` matrix
    that BLAS writes in place (each channel's part is contiguous; channels are further apart)."""
    return as_strided(a, (rows, cols), (a.strides[0], a.itemsize))


def _gemm_taps(grid, per_dim, gemm_weight, groups, c_out, out_size, dest) -> None:
    """A band of output rows at a time: every tap's input cells copied side by side into a small
    buffer (im2col for that band only, read from the padded phases), then one matrix product per
    group, written straight into the output."""
    n, c_in = grid.n, grid.c
    combos = list(itertools.product(*per_dim))
    taps = len(combos)
    og, cg = c_out // groups, c_in // groups
    w = np.stack([gemm_weight(tuple(t for t, _, _ in combo)) for combo in combos], axis=-1)  # (C_out, C_in/g, T)
    w = np.ascontiguousarray(w.reshape(groups, og, cg * taps))
    phases = sorted({tuple(p for _, p, _ in combo) for combo in combos})
    padded = np.empty((len(phases), c_in, *grid.shape), grid.dtype)      # one image at a time
    which = [phases.index(tuple(p for _, p, _ in combo)) for combo in combos]
    shifts = [tuple(sh for _, _, sh in combo) for combo in combos]
    rest = math.prod(out_size[1:])
    item = np.dtype(grid.dtype).itemsize
    budget = min(BAND_BYTES, max(BAND_BYTES // 2, 3 * padded[0].nbytes // 4))
    rows = max(1, min(out_size[0], budget // max(1, c_in * taps * rest * item)))
    cols = np.empty((c_in * taps, rows * rest), grid.dtype)
    for i in range(n):
        for k, phase in enumerate(phases):
            grid.image(phase, i, padded[k])
        for r0 in range(0, out_size[0], rows):
            r1 = min(out_size[0], r0 + rows)
            width = (r1 - r0) * rest
            band = cols[:, :width]
            unfolded = band.reshape(c_in, taps, r1 - r0, *out_size[1:])
            for j, (k, shift) in enumerate(zip(which, shifts)):
                window = tuple(slice(s + lo, s + hi) for s, lo, hi in
                               zip(shift, (r0, *[0] * (len(out_size) - 1)), (r1, *out_size[1:])))
                np.copyto(unfolded[:, j], padded[(k, slice(None), *window)])
            flat = _blas_rows(dest[i, :, r0:r1], c_out, width)     # rows r0..r1 of every channel
            for g in range(groups):
                np.matmul(w[g], band[g * cg * taps:(g + 1) * cg * taps], out=flat[g * og:(g + 1) * og])


def conv_forward(call: ConvCall) -> np.ndarray:
    """Sum over the kernel taps of products with views of the padded phases (see the module)."""
    sh, x, w = call.shape, call.input, call.weight
    s, d, k, o = sh.stride, sh.dilation, sh.kernel_size, sh.output_size
    shape = tuple(-(-p // st) for p, st in zip(sh.padded_size, s))       # one phase's size per dimension
    per_dim = [[(t, t * dd % ss, t * dd // ss) for t in range(kk)] for kk, dd, ss in zip(k, d, s)]
    strides = _row_strides(shape)
    length = _dot([oo - 1 for oo in o], strides) + 1
    reach = _dot([max(sh_ for _, _, sh_ in taps) for taps in per_dim], strides)
    grid = _Grid(x, shape, [b for b, _ in sh.padding], s, reach + length - math.prod(shape))
    out = np.empty((x.shape[0], sh.out_channels, *o), w.dtype)
    _sum_taps(grid, per_dim, lambda t: w[(Ellipsis, *t)], lambda t: w[(slice(None), 0, *t)],
              sh.groups, sh.out_channels, o, out)
    return call.finish(out)


def _canvas_size(sh) -> tuple[int, ...]:
    """A transposed convolution's uncropped output size (reaching far enough for output_padding)."""
    return tuple(max(f, b + o) for f, (b, _), o in zip(sh.full_size, sh.padding, sh.output_size))


def canvas(call: ConvCall) -> np.ndarray:
    """Zeros for a transposed convolution's uncropped output, every image."""
    sh = call.shape
    return np.zeros((call.input.shape[0], sh.out_channels, *_canvas_size(sh)), dtype=call.weight.dtype)


def crop(call: ConvCall, full: np.ndarray) -> np.ndarray:
    """Cut ``p_before`` cells off the start of every dimension, keep ``output_size`` cells, add the bias."""
    sh = call.shape
    index = (slice(None), slice(None)) + tuple(slice(b, b + o) for (b, _), o in zip(sh.padding, sh.output_size))
    return call.finish(np.ascontiguousarray(full[index]))


def conv_transpose_forward(call: ConvCall) -> np.ndarray:
    """One matrix product per image gives every input cell times every weight; each kernel tap's
    share is then added onto the canvas at its offset, one strided slice per tap (col2im).

    Input cell ``i`` reaches canvas cell ``i*s + t*d`` through tap ``t``, so the products of tap
    ``t`` land on the slice that starts at ``t*d`` with step ``s``. Each image's canvas is
    cropped by the padding into the output.
    """
    sh, x, w = call.shape, call.input, call.weight
    n, c_in = x.shape[:2]
    g, k, s, d, i_size = sh.groups, sh.kernel_size, sh.stride, sh.dilation, sh.input_size
    cig, cog = c_in // g, sh.out_channels // g
    taps = math.prod(k)
    # (g, C_out/g * K, C_in/g): row (o, t) of group g holds the weights from its input channels
    wmat = np.ascontiguousarray(np.swapaxes(w.reshape(g, cig, cog * taps), 1, 2))
    sheet = np.empty((sh.out_channels, *_canvas_size(sh)), w.dtype)     # one image's canvas, reused
    keep = tuple(slice(bb, bb + o) for (bb, _), o in zip(sh.padding, sh.output_size))
    out = np.empty((n, sh.out_channels, *sh.output_size), w.dtype)
    cols = np.empty((g, cog * taps, math.prod(i_size)), w.dtype)
    for b in range(n):
        np.matmul(wmat, x[b].reshape(g, cig, -1), out=cols)
        spread = cols.reshape(sh.out_channels, *k, *i_size)
        sheet[...] = 0
        for t in itertools.product(*(range(kk) for kk in k)):
            where = tuple(slice(tt * dd, tt * dd + (ii - 1) * ss + 1, ss)
                          for tt, dd, ii, ss in zip(t, d, i_size, s))
            sheet[(slice(None), *where)] += spread[(slice(None), *t)]
        np.copyto(out[b], sheet[(slice(None), *keep)])       # cropped by the padding
    return call.finish(out)
