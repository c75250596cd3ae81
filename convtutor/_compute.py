"""The fast numerical paths behind ``conv{1,2,3}d`` and ``conv_transpose{1,2,3}d``.

Each function takes a checked :class:`convtutor._call.ConvCall` and returns the result (the bias
and the unbatching are the call's :meth:`~convtutor._call.ConvCall.finish`). The readable versions
of the same computations are the teaching functions of :mod:`convtutor.conv` and
:mod:`convtutor.transposed`; the tests hold both to PyTorch.

A convolution takes one of five routes:

* **small** (the whole batch's im2col at most ``SMALL_BYTES``): that im2col and one matrix
  product. For layers this small the number of numpy calls, not the arithmetic, sets the time.
* **pointwise** (a 1x1 kernel, no padding): the input is its own im2col; one product.
* **depthwise** (each kernel reads one input channel): a multiply-accumulate per tap over the flat
  padded channels, a block of channels at a time (``ACC_BYTES``).
* **row-stacked** (2-D and 3-D layers with output rows of at least ``ROW_CELLS`` cells and
  products at least ``ROW_DEPTH`` deep, :func:`_stacked_rows`): the taps along the last axes are
  copied, row after row of the input, and the im2col block of every output row is then a slice
  of that copy, because the taps along the first axis read consecutive rows of it. One batched
  product over these overlapping slices writes every output row. For a 3x3 kernel: 3 copies
  of the input, no adds.
* **banded products** (the rest): no im2col of the image. The kernel's axes are split in two
  (:func:`_split`). The taps of the last axes are *copied*: for a band of rows, their input cells
  go side by side into a buffer, read straight from the input with zeros where the padding is.
  The taps of the first axes are *stacked*: their weights are row blocks of one matrix, so one
  product gives each of them its share, and a share is added onto the output at the tap's
  offset. For a 3x3 kernel that is 3 copies of the input and 2 adds of the output, instead of
  the 9 copies of im2col. The unshifted tap's product is written straight into the output. The
  band buffers (at most ``BAND_BYTES``, and 2 unpadded images' worth) are carved from a
  per-thread workspace kept between calls (:func:`_workspace`).

A transposed convolution with a products buffer at most ``SMALL_BYTES`` makes one product for the
whole batch (every input cell times every weight) and adds each tap's share onto a canvas (the
scatter view). A larger one makes that product one image at a time, on the input with a border
of zeros, and each of the ``s`` output phases per dimension then adds up the shares of the taps
that reach it (each one whole window of the products), with no canvas.

Extra memory (beyond the output): for the row-stacked and banded products, the workspace and
the rearranged weights; for the depthwise path, the padded batch and two accumulators; for a
transposed convolution, one bordered image, its products and one phase buffer (in the workspace).
"""

from __future__ import annotations

import functools
import itertools
import math
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._call import ConvCall

SMALL_BYTES = 1 << 18  # an im2col (or products) buffer this small: the whole batch in one product
BAND_BYTES = 4 << 20   # the most the band buffers of a product may take (see _gemm_taps)
ACC_BYTES = 1 << 19    # the two accumulators of the depthwise path: half a MiB, to stay in cache
ROW_CELLS = 32         # the row-stacked route (_stacked_rows) wants output rows at least this long
ROW_DEPTH = 64         # ... and products at least this deep (k0 * C_in/g * copies)


def pad(x: np.ndarray, pads) -> np.ndarray:
    """Zero-pad the spatial axes of a batched array by ``(before, after)`` pairs (no copy when none)."""
    if not any(p for pair in pads for p in pair):
        return x
    spatial = x.shape[2:]
    out = np.zeros((*x.shape[:2], *(n + b + a for n, (b, a) in zip(spatial, pads))), x.dtype)
    out[(slice(None), slice(None), *(slice(b, b + n) for n, (b, _) in zip(spatial, pads)))] = x
    return out


def windows(xp: np.ndarray, groups: int, kernel, stride, dilation, out_size) -> np.ndarray:
    """Read-only view ``(*batch, groups, C_g, *kernel, *out_size)`` of padded images
    ``(*batch, C, *spatial)`` (no batch axis, or any number of them)."""
    nd = len(kernel)
    c = xp.shape[-nd - 1]
    sc = xp.strides[-nd - 1]
    spatial = xp.strides[-nd:]
    shape = (*xp.shape[:-nd - 1], groups, c // groups, *kernel, *out_size)
    strides = (
        *xp.strides[:-nd - 1],
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
        return self.region(phase, i, (0,) * len(self.shape), out)

    def region(self, phase, i: int, starts, out: np.ndarray) -> np.ndarray:
        """The cells ``starts + (0..out.shape[1:])`` of phase ``phase`` of image ``i``, written
        into ``out`` ``(C, *counts)``: the input where it reaches, zeros elsewhere (cells past the
        grid included)."""
        return self.fill(self.region_plan(phase, starts, out.shape[1:]), i, out)

    def region_plan(self, phase, starts, counts):
        """How :meth:`region` fills a block, worked out once for every image: the index of the
        cells the input reaches, the input's index, and the slabs of zeros (``None``: all zeros)."""
        ranges = self._ranges(phase, starts, counts)
        if ranges is None:
            return None
        zeros = []
        for axis, part in enumerate(ranges[0]):          # zeros only where the input does not reach
            lead = (slice(None),) * (axis + 1)
            if part.start > 0:
                zeros.append(lead + (slice(0, part.start),))
            if part.stop < counts[axis]:
                zeros.append(lead + (slice(part.stop, None),))
        return (slice(None), *ranges[0]), (slice(None), *ranges[1]), zeros

    def fill(self, plan, i: int, out: np.ndarray, channels=slice(None)) -> np.ndarray:
        """Carry out a :meth:`region_plan` for image ``i`` (its ``channels``) into ``out``."""
        if plan is None:
            out[...] = 0
            return out
        inside, source, zeros = plan
        np.copyto(out[inside], self.x[i, channels][source])
        for slab in zeros:
            out[slab] = 0
        return out


def _sum_taps(grid: _Grid, per_dim, w: np.ndarray, groups: int, c_out: int, out_size, dest: np.ndarray) -> None:
    """``dest = sum over the taps`` of weight times shifted input, for every output grid cell.

    ``per_dim[i]`` lists the taps along dimension ``i`` as ``(t, phase, shift)``: kernel index,
    the phase of the input they read and the shift on its grid, the first with no shift. The
    taps are every combination (one per dimension). ``w`` is the weight ``(C_out, C_in/g, *k)``.
    ``dest`` is ``(N, C_out, *out_size)``, C-ordered.
    """
    n, c_in = grid.n, grid.c
    strides, item = grid.strides, np.dtype(grid.dtype).itemsize
    rest = _dot([o - 1 for o in out_size[1:]], strides[1:]) + 1    # one row of output cells, flat
    per_channel = groups == c_in

    def crop_block(acc, i, o0, o1):        # output channels o0..o1 of image i, all rows
        np.copyto(dest[i, o0:o1], _view(acc, 0, (o1 - o0, *out_size), (acc.shape[2], *strides)))

    if per_channel:            # multiply-accumulate, one image and one block of channels at a time
        m = c_out // c_in
        length = (out_size[0] - 1) * strides[0] + rest
        block = max(1, min(c_in, ACC_BYTES // max(1, 2 * m * length * item)))
        acc, tmp = (b.reshape(1, block * m, length) for b in _workspace([block * m * length] * 2, grid.dtype))
        taps = [(grid.source(tuple(p for _, p, _ in combo)), _dot([sh for _, _, sh in combo], strides),
                 w[(slice(None), 0, *(t for t, _, _ in combo))].reshape(c_in, m, 1))
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

    _gemm_taps(grid, per_dim, w, groups, c_out, out_size, dest)


def _view(base: np.ndarray, offset: int, shape, strides) -> np.ndarray:
    """A view of the C-contiguous ``base`` from element ``offset``, with element ``strides``
    (the quick form of ``as_strided``, which costs several microseconds a call)."""
    item = base.itemsize
    return np.ndarray(shape, base.dtype, buffer=base, offset=offset * item, strides=[st * item for st in strides])


_LOCAL = threading.local()


def release_workspace() -> int:
    """Drop this thread's workspace (the next call allocates it again); returns the bytes it held.
    :func:`convtutor.timing.scratch_bytes` calls it, so that the memory a call needs is counted."""
    buf = getattr(_LOCAL, "buf", None)
    _LOCAL.buf = None
    return 0 if buf is None else buf.nbytes


def _workspace(sizes, dtype) -> list[np.ndarray]:
    """Flat buffers of ``sizes`` elements of ``dtype``, carved from this thread's workspace.

    The workspace is kept between calls and only grows. A buffer allocated afresh on every call
    costs a page fault per 4 KiB page the first time it is written: on the project's machine,
    about a thousand faults and several milliseconds of system time a call for the standard
    layer's band buffers (the fast-core issue's note). The buffers are only valid until the next
    call in the same thread, so nothing the fast path returns may be one of them.
    """
    need = sum(sizes) * np.dtype(dtype).itemsize
    buf = getattr(_LOCAL, "buf", None)
    if buf is None or buf.nbytes < need:
        buf = _LOCAL.buf = np.empty(need, np.uint8)
    out, at = [], 0
    for n in sizes:
        nbytes = n * np.dtype(dtype).itemsize
        out.append(buf[at:at + nbytes].view(dtype))
        at += nbytes
    return out


def _band_budget(image_bytes: int, band_bytes: int) -> int:
    """The bytes a band's buffers may take: two unpadded images, but at least a quarter of
    ``band_bytes`` and at most all of it (the banded and the row-stacked routes)."""
    return max(band_bytes // 4, min(band_bytes, 2 * image_bytes))


def _split(per_dim, c_in: int, c_out: int) -> int:
    """How many leading axes have their taps *stacked* (one product gives them all, as row blocks
    of the result that are then added at their offsets); the taps of the other axes are *copied*
    side by side into the band buffer. Each copied tap costs a copy of the input, each stacked
    one a block of the result (and the add of it): the split with the fewest values written
    per output cell wins, the fewer stacked axes on a tie (none stacked: the product writes the
    output itself)."""
    counts = [len(t) for t in per_dim]
    cost = [c_in * math.prod(counts[a:]) + c_out * math.prod(counts[:a]) for a in range(len(counts) + 1)]
    return cost.index(min(cost))


def _gemm_taps(grid, per_dim, weight, groups, c_out, out_size, dest) -> None:
    """A band of rows at a time, one matrix product per group and leading phase.

    The taps of the last ``nd - a`` axes are *copied*: their input cells, read straight from the
    input (zeros where the padding is), go side by side into a band buffer (im2col for those
    axes only). The taps of the first ``a`` axes are *stacked*: their weights are the row blocks
    of one matrix, so one product gives every such tap's share, on the band's rows of the input
    grid; a tap that is ``sh`` rows down the grid adds its block onto the output ``sh`` rows up,
    at its offset within the row. Bands run over the rows of the grid, so no row is computed
    twice: an output row is complete once the band ``max(sh)`` rows below it is done. The buffer
    and the products are laid out on the input grid's size along the stacked axes (so that a
    tap's offset is a shift of the flat index) and on the output's along the copied ones. With at
    most the first axis stacked, that is the output's own layout, and the unshifted tap's product
    is written straight into the output rows, before the other taps add theirs; otherwise the
    unshifted tap's block is copied there first.
    """
    n, c_in = grid.n, grid.c
    nd = len(out_size)
    a = _split(per_dim, c_in, c_out)
    og, cg = c_out // groups, c_in // groups
    item = np.dtype(grid.dtype).itemsize
    tail = tuple(grid.shape[m] if m < a else out_size[m] for m in range(1, nd))   # a row of the band
    lay = _row_strides((1, *tail))                     # flat strides of (row, *tail)
    rowlen = lay[0]
    direct = tail == tuple(out_size[1:])
    copies = list(itertools.product(*per_dim[a:]))     # per copied axis: (t, phase, shift)
    stacks: dict[tuple, list] = {}                     # leading phase -> its stacked taps
    for combo in itertools.product(*per_dim[:a]):      # the first combo: phase 0, no shift
        stacks.setdefault(tuple(p for _, p, _ in combo), []).append(combo)
    flat_w = weight.reshape(c_out, cg, -1)
    kernel = weight.shape[2:]
    plans = []
    for lead_phase, leads in stacks.items():
        index = np.array([[np.ravel_multi_index(tuple(t for t, _, _ in lead + cp), kernel) for cp in copies]
                          for lead in leads])
        w = flat_w[:, :, index].reshape(groups, og, cg, len(leads), len(copies)).transpose(0, 3, 1, 2, 4)
        w = np.ascontiguousarray(w).reshape(groups, len(leads) * og, cg * len(copies))
        blocks = [(lead[0][2] if a else 0, _dot([sh for _, _, sh in lead[1:]], lay[1:a])) for lead in leads]
        sources = [lead_phase + tuple(p for _, p, _ in cp) for cp in copies]
        starts = [[0] * a + [sh for _, _, sh in cp] for cp in copies]
        if direct and not plans:
            plans.append((sources, starts, w[:, :og], w[:, og:], blocks[1:]))
        else:
            plans.append((sources, starts, None, w, blocks))
    grid_rows = out_size[0] + max(down for plan in plans for down, _ in plan[4] or [(0, 0)])
    per_row = rowlen * item * sum(c_in * len(copies) + len(p[4]) * c_out for p in plans)
    budget = _band_budget(grid.x[0].nbytes, BAND_BYTES)
    bands = -(-grid_rows * per_row // budget)
    rows = -(-grid_rows // bands)                      # bands of equal height
    sizes = [c_in * len(copies) * rows * rowlen for _ in plans] + [groups * len(p[4]) * og * rows * rowlen for p in plans]
    parts = iter(_workspace(sizes, grid.dtype))
    ubuf = [next(parts).reshape(c_in, len(copies), rows * rowlen) for _ in plans]
    ybuf = [next(parts).reshape(groups, len(p[4]) * og, rows * rowlen) for p in plans]
    k = cg * len(copies)
    plane = math.prod(out_size)                         # one channel of the output
    # Where each copied tap's cells come from, per band: worked out once, for every image.
    fills = []
    for q0 in range(0, grid_rows, rows):
        q1 = min(grid_rows, q0 + rows)
        fills.append([[grid.region_plan(src, [q0 + st[0]] + st[1:], (q1 - q0, *tail))
                       for src, st in zip(sources, starts)] for sources, starts, *_ in plans])
    for i in range(n):
        for q0, band_fills in zip(range(0, grid_rows, rows), fills):
            q1 = min(grid_rows, q0 + rows)
            cols = (q1 - q0) * rowlen
            first = not direct                             # does a shifted share have to write first?
            for (_, _, w_direct, w, blocks), u, y, plan_fills in zip(plans, ubuf, ybuf, band_fills):
                cells = u[:, :, :cols].reshape(c_in, len(copies), q1 - q0, *tail)
                for j, fill in enumerate(plan_fills):
                    grid.fill(fill, i, cells[:, j])
                band = u[:, :, :cols].reshape(c_in * len(copies), cols)
                r1 = min(q1, out_size[0])
                if w_direct is not None and r1 > q0:      # rows q0..r1 of the output, written
                    flat = _view(dest, (i * c_out * plane) + q0 * rowlen, (c_out, (r1 - q0) * rowlen), (plane, 1))
                    for g in range(groups):
                        np.matmul(w_direct[g], band[g * k:(g + 1) * k, :(r1 - q0) * rowlen],
                                  out=flat[g * og:(g + 1) * og])
                if not blocks:
                    continue
                for g in range(groups):
                    np.matmul(w[g], band[g * k:(g + 1) * k], out=y[g, :, :cols])
                for s, (down, off) in enumerate(blocks):   # grid row q -> output row q - down
                    lo, hi = max(q0 - down, 0), min(q1 - down, out_size[0])
                    if hi <= lo:
                        first = False
                        continue
                    start = s * og * y.shape[2] + (lo + down - q0) * rowlen + off
                    if direct:       # rows of the output's own layout: (channels, cells) matrices
                        share = _view(y, start, (groups, og, (hi - lo) * rowlen), (y.shape[1] * y.shape[2], y.shape[2], 1))
                        target = _view(dest, i * c_out * plane + lo * rowlen, (groups, og, (hi - lo) * rowlen),
                                       (og * plane, plane, 1))
                    else:
                        share = _view(y, start, (groups, og, hi - lo, *out_size[1:]),
                                      (y.shape[1] * y.shape[2], y.shape[2], *lay))
                        target = dest[i, :, lo:hi].reshape(groups, og, hi - lo, *out_size[1:])
                    if first:                              # the unshifted tap: rows not yet written
                        np.copyto(target, share)
                        first = False
                    else:
                        target += share


def _rows_suit(sh, x_shape, itemsize: int) -> bool:
    """Does a convolution take the row-stacked route? Its output rows must be long enough, and its
    products deep enough, for one product per output row to run near the speed of a large one;
    and its bands must be tall enough that the rows of ``Z`` a band shares with the next (copied
    for both) add at most half to the copying."""
    c_in, k, o = x_shape[1], sh.kernel_size, sh.output_size
    if len(o) < 2 or math.prod(o[1:]) < ROW_CELLS or sh.groups >= c_in:
        return False
    if k[0] * c_in // sh.groups * math.prod(k[1:]) < ROW_DEPTH:
        return False
    return _row_plan(x_shape, sh, itemsize, BAND_BYTES)[-1] <= 1.5


@functools.lru_cache(maxsize=64)
def _row_plan(x_shape, sh, itemsize: int, band_bytes: int):
    """The work of :func:`_stacked_rows` that depends on the sizes alone: the bands of output rows,
    and per band and class where its part of ``Z`` lies and how each copy is filled."""
    c_in = x_shape[1]
    g, k, s, d, o = sh.groups, sh.kernel_size, sh.stride, sh.dilation, sh.output_size
    k0, s0, d0 = k[0], s[0], d[0]
    cells, copies = math.prod(o[1:]), math.prod(k[1:])
    zrow = c_in // g * copies * cells                 # one row of Z, one group
    step = d0 // math.gcd(s0, d0)                     # output rows step apart read the same phase of Z,
    adv = s0 // math.gcd(s0, d0)                      # adv rows further on in it
    shape = (-(-sh.padded_size[0] // d0), *(-(-p // st) for p, st in zip(sh.padded_size[1:], s[1:])))
    grid = _Grid(np.broadcast_to(np.zeros((), np.uint8), x_shape), shape, [b for b, _ in sh.padding], (d0, *s[1:]), 0)
    taps = list(itertools.product(*([(t * dd % ss, t * dd // ss) for t in range(kk)]
                                    for kk, dd, ss in zip(k[1:], d[1:], s[1:]))))   # (phase, shift) per axis

    def classes(r0, r1):     # per class: its first output row, rows, phase of Z, first row in it, rows of Z
        return [(f, len(range(f, r1, step)), f * s0 % d0, f * s0 // d0, (len(range(f, r1, step)) - 1) * adv + k0)
                for f in range(r0, min(r1, r0 + step))]

    budget = _band_budget(math.prod(x_shape[1:]) * itemsize, band_bytes)
    bands = max(1, (o[0] * s0 + (k0 - 1) * d0) * g * zrow * itemsize // budget)
    while True:                                       # bands of equal height whose Z fits the budget
        rows = -(-o[0] // bands)
        edges = [(r0, min(o[0], r0 + rows)) for r0 in range(0, o[0], rows)]
        need = max(sum(c[4] for c in classes(*e)) for e in edges) * g * zrow
        if need * itemsize <= budget or rows == 1:
            break
        bands += 1
    work, copied = [], 0
    for r0, r1 in edges:
        at = 0
        for first, m, phase, q, nq in classes(r0, r1):
            fills = [grid.region_plan((phase, *(p for p, _ in tap)), (q, *(sh_ for _, sh_ in tap)), (nq, *o[1:]))
                     for tap in taps]
            work.append((at, nq, fills, first, m))
            at += g * nq * zrow
            copied += nq
    refill = copied / sum(c[4] for c in classes(0, o[0]))   # rows of Z copied, over the rows it has
    return shape, need, step, adv, zrow, work, refill


def _stacked_rows(call: ConvCall, dest: np.ndarray) -> None:
    """The row-stacked route: every tap in one product per output row, with ``1/k0`` of im2col's
    copies and no adds (``k0``: the kernel's size along the first axis).

    Call an output *row* the cells that share an index along the first spatial axis. The taps
    along the other axes are copied, as in :func:`_gemm_taps`: for each such tap, the input
    cells it reads for a whole output row, side by side, with zeros where the padding is. The
    copies are laid out row after row of the input, ``Z[row, copy, channel, cells]``: each copy
    of a row is one contiguous block, which the copying writes faster than channels interleaved
    with copies. The im2col block of output row ``r`` lists, for each tap ``t`` along the first
    axis, the whole of ``Z[r*s + t*d]``. With ``d = 1`` those rows follow each other, so the
    block is a plain slice of ``Z`` (``k0 * copies * C`` rows of ``cells`` values), and the
    block of row ``r + 1`` starts ``s`` rows of ``Z`` later. A stack of these overlapping slices
    is one strided view, and one batched product over it gives every output row, written
    straight into the output: the taps along the first axis cost no copy at all. For ``d > 1``,
    ``Z`` holds the input rows in ``d`` phases (row ``q*d + phi`` at row ``q`` of phase
    ``phi``), and the output rows that read the same phase (a *class*) make one batched product
    each. Each group has its own ``Z``.

    ``Z`` is built for a band of output rows at a time (``BAND_BYTES``, at most two unpadded
    images), in the per-thread workspace (:func:`_workspace`).
    """
    sh, x, w = call.shape, call.input, call.weight
    n, c_in = x.shape[:2]
    g, k, o = sh.groups, sh.kernel_size, sh.output_size
    c_out = sh.out_channels
    cg, og = c_in // g, c_out // g
    k0, cells, copies = k[0], math.prod(o[1:]), math.prod(k[1:])
    shape, need, step, adv, zrow, work, _ = _row_plan(x.shape, sh, dest.itemsize, BAND_BYTES)
    grid = _Grid(x, shape, [b for b, _ in sh.padding], (sh.dilation[0], *sh.stride[1:]), 0)
    # (g, C_out/g, k0 * copies * C_in/g), column (t0, j, c) multiplies Z[row + t0, j, c]
    wmat = np.ascontiguousarray(w.reshape(g, og, cg, k0, copies).transpose(0, 1, 3, 4, 2)).reshape(g, og, -1)
    z_all = _workspace([need], dest.dtype)[0]
    plane = math.prod(o)
    for i in range(n):
        for at, nq, fills, first, m in work:
            z = z_all[at:at + g * nq * zrow].reshape(g, nq, copies, cg, *o[1:])
            for gi in range(g):
                channels = slice(gi * cg, (gi + 1) * cg)
                for j, fill in enumerate(fills):
                    grid.fill(fill, i, z[gi, :, j].swapaxes(0, 1), channels)
                stack = _view(z_all, at + gi * nq * zrow, (m, k0 * copies * cg, cells), (adv * zrow, cells, 1))
                rows_out = _view(dest, (i * c_out + gi * og) * plane + first * cells, (m, og, cells),
                                 (step * cells, plane, 1))
                np.matmul(wmat[gi], stack, out=rows_out)


def _conv_small(call: ConvCall) -> np.ndarray:
    """The whole batch's im2col and one product: few steps, for layers so small that the steps
    cost more than the arithmetic."""
    sh, x, w = call.shape, call.input, call.weight
    n, c_in = x.shape[:2]
    g, k, o = sh.groups, sh.kernel_size, sh.output_size
    cg, og = c_in // g, sh.out_channels // g
    view = windows(pad(x, sh.padding), g, k, sh.stride, sh.dilation, o)
    cols = view.reshape(n, g, cg * math.prod(k), math.prod(o))
    out = np.matmul(w.reshape(g, og, -1), cols)
    return call.finish(out.reshape(n, sh.out_channels, *o))


def _pointwise(call: ConvCall) -> np.ndarray:
    """A 1x1 kernel without padding: the input (every ``s``-th cell) is already the im2col
    matrix, so one product per group for the whole batch, with no copy of the input."""
    sh, x, w = call.shape, call.input, call.weight
    n, c_in = x.shape[:2]
    g = sh.groups
    cells = x[(Ellipsis, *(slice(0, (o - 1) * s + 1, s) for o, s in zip(sh.output_size, sh.stride)))]
    out = np.empty((n, g, sh.out_channels // g, math.prod(sh.output_size)), w.dtype)
    np.matmul(w.reshape(g, sh.out_channels // g, c_in // g), cells.reshape(n, g, c_in // g, math.prod(sh.output_size)), out=out)
    return call.finish(out.reshape(n, sh.out_channels, *sh.output_size))


def conv_forward(call: ConvCall) -> np.ndarray:
    """Sum over the kernel taps of products with views of the padded phases (see the module)."""
    sh, x, w = call.shape, call.input, call.weight
    if x.shape[0] * x.shape[1] * math.prod(sh.kernel_size) * math.prod(sh.output_size) * x.itemsize <= SMALL_BYTES:
        return _conv_small(call)
    if all(kk == 1 for kk in sh.kernel_size) and not any(p for pair in sh.padding for p in pair):
        return _pointwise(call)
    s, d, k, o = sh.stride, sh.dilation, sh.kernel_size, sh.output_size
    out = np.empty((x.shape[0], sh.out_channels, *o), w.dtype)
    if _rows_suit(sh, x.shape, w.itemsize):
        _stacked_rows(call, out)
        return call.finish(out)
    shape = tuple(-(-p // st) for p, st in zip(sh.padded_size, s))       # one phase's size per dimension
    per_dim = [[(t, t * dd % ss, t * dd // ss) for t in range(kk)] for kk, dd, ss in zip(k, d, s)]
    strides = _row_strides(shape)
    length = _dot([oo - 1 for oo in o], strides) + 1
    reach = _dot([max(sh_ for _, _, sh_ in taps) for taps in per_dim], strides)
    grid = _Grid(x, shape, [b for b, _ in sh.padding], s, reach + length - math.prod(shape))
    _sum_taps(grid, per_dim, w, sh.groups, sh.out_channels, o, out)
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


def _transpose_small(call: ConvCall) -> np.ndarray:
    """One product for the whole batch, every input cell times every weight, each tap's share
    added onto the canvas at its offset, then cropped (the scatter view): few steps, for layers
    so small that the steps cost more than the arithmetic."""
    sh, x, w = call.shape, call.input, call.weight
    n, c_in = x.shape[:2]
    g, k, s, d, i_size = sh.groups, sh.kernel_size, sh.stride, sh.dilation, sh.input_size
    cig, cog = c_in // g, sh.out_channels // g
    wmat = np.ascontiguousarray(np.swapaxes(w.reshape(g, cig, cog * math.prod(k)), 1, 2))
    spread = np.matmul(wmat, x.reshape(n, g, cig, math.prod(i_size))).reshape(n, sh.out_channels, *k, *i_size)
    full = canvas(call)
    for t in itertools.product(*(range(kk) for kk in k)):
        where = tuple(slice(tt * dd, tt * dd + (ii - 1) * ss + 1, ss) for tt, dd, ii, ss in zip(t, d, i_size, s))
        full[(slice(None), slice(None), *where)] += spread[(slice(None), slice(None), *t)]
    return crop(call, full)


@functools.lru_cache(maxsize=64)
def _transpose_plan(sh):
    """The work of :func:`conv_transpose_forward` that depends on the sizes alone: the padding of
    the input (before and after, per dimension), and per output phase its size, its place in the
    output and the windows of the products that make it."""
    k, s, d, i_size, o_size = sh.kernel_size, sh.stride, sh.dilation, sh.input_size, sh.output_size
    # Per dimension and phase r: the taps that reach it, as (t, e): phase cell a reads input cell a + e.
    reach, lows, highs = [], [], []
    for (b, _), kk, dd, ss, oo, size in zip(sh.padding, k, d, s, o_size, i_size):
        per_phase, low, high = [], 0, 0
        for r in range(ss):
            count = -(-(oo - r) // ss)                     # cells of the phase
            found = []
            for t in range(kk):
                e, rem = divmod(r + b - t * dd, ss)
                if not rem and max(0, -e) < min(count, size - e):      # it reaches the input
                    found.append((t, e))
                    low, high = max(low, -e), max(high, e + count - size)
            per_phase.append((r, count, found))
        reach.append(per_phase)
        lows.append(low)
        highs.append(high)
    # The input, zero-padded so that every tap's window over it is whole: a share is then one view.
    padded = tuple(size + lo + hi for size, lo, hi in zip(i_size, lows, highs))
    strides_k = _row_strides(k)
    phases = []
    for combo in itertools.product(*reach):
        counts = tuple(count for _, count, _ in combo)
        if min(counts) <= 0:
            continue
        place = (slice(None), slice(None), *(slice(r, None, ss) for (r, _, _), ss in zip(combo, s)))
        shares = [(slice(None), _dot([t for t, _ in fs], strides_k), slice(None),    # (g, tap, o, *cells)
                   *(slice(e + lo, e + lo + count) for (_, e), lo, count in zip(fs, lows, counts)))
                  for fs in itertools.product(*(found for _, _, found in combo))]
        phases.append((counts, place, shares))
    return padded, lows, phases


def conv_transpose_forward(call: ConvCall) -> np.ndarray:
    """One matrix product per image gives every input cell times every weight; each output phase
    then gathers the shares of the taps that reach it.

    Input cell ``i`` reaches output cell ``y`` through tap ``t`` when ``i*s + t*d = y + p_before``.
    Write ``y = a*s + r`` (phase ``r``): tap ``t`` reaches phase ``r`` only when
    ``e = (r + p_before - t*d) / s`` is a whole number, and then it brings input cell ``a + e``
    to phase cell ``a``. So every phase is a sum of the taps' product blocks, each shifted by its
    ``e``. The product is made on the input zero-padded by the largest shifts, so that each block
    is one whole window of it (where a window runs off the input, it reads the zeros). The first
    blocks are added in a buffer of one phase, and the last add writes the phase in place, every
    ``s``-th output cell. A phase that no tap reaches (possible when ``d`` and ``s`` share a
    factor) is zero.
    """
    sh, x, w = call.shape, call.input, call.weight
    n, c_in = x.shape[:2]
    g, k, s, d, i_size, o_size = sh.groups, sh.kernel_size, sh.stride, sh.dilation, sh.input_size, sh.output_size
    c_out = sh.out_channels
    cig, cog = c_in // g, c_out // g
    taps = math.prod(k)
    if n * c_out * taps * math.prod(i_size) * x.itemsize <= SMALL_BYTES:
        return _transpose_small(call)
    # (g, K * C_out/g, C_in/g): row (t, o) of group g holds the weights from its input channels
    wmat = np.ascontiguousarray(w.reshape(g, cig, cog, taps).transpose(0, 3, 2, 1)).reshape(g, taps * cog, cig)
    padded, lows, phases = _transpose_plan(sh)
    xbuf, products, phase_buf = _workspace([c_in * math.prod(padded), g * taps * cog * math.prod(padded),
                                            c_out * max(math.prod(p[0]) for p in phases)], w.dtype)
    xp = xbuf.reshape(c_in, *padded)
    xp[...] = 0
    inside = (slice(None), *(slice(lo, lo + size) for lo, size in zip(lows, i_size)))
    cols = products.reshape(g, taps * cog, math.prod(padded))
    spread = products.reshape(g, taps, cog, *padded)     # (group, tap, o, *padded input cell)
    out = np.empty((n, c_out, *o_size), w.dtype)
    for b in range(n):
        np.copyto(xp[inside], x[b])
        np.matmul(wmat, xp.reshape(g, cig, -1), out=cols)
        whole = out[b].reshape(g, cog, *o_size)
        for counts, place, shares in phases:
            target = whole[place]
            views = [spread[share] for share in shares]
            if len(views) < 2:
                target[...] = views[0] if views else 0
                continue
            acc = target if len(views) == 2 else phase_buf[:c_out * math.prod(counts)].reshape(g, cog, *counts)
            np.add(views[0], views[1], out=acc)
            for view in views[2:-1]:
                acc += view
            if len(views) > 2:
                np.add(acc, views[-1], out=target)
    return call.finish(out)
