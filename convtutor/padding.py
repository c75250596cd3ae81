"""What the border cells hold: zeros, a mirror, the edge, or the other side.

A convolution reads cells outside the input at its border. Deep learning libraries fill them in
one of four ways (``padding_mode`` of ``torch.nn.Conv2d``, ``mode`` of ``torch.nn.functional.pad``):

* ``'zeros'``: zeros (the default everywhere);
* ``'reflect'``: the input mirrored about its edge cell, which is not repeated
  (``... 2 1 | 0 1 2 3 4 | 3 2 ...``); the padding must be smaller than the size;
* ``'replicate'``: the edge cell repeated (``0 0 | 0 1 2 3 4 | 4 4``);
* ``'circular'``: the input continued periodically (``3 4 | 0 1 2 3 4 | 0 1``); the padding
  may be at most the size.

:func:`pad` pads an array, and :func:`padding_source` says which input cell a padded cell copies:
the geometry behind the pictures. How *much* padding a layer gets (``'same'``, ``'causal'``...) is
the arithmetic of :func:`convtutor.resolve_padding`.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_numeric_array, check_choice, check_int, is_int

__all__ = ["PADDING_KINDS", "pad", "padding_source"]

PADDING_KINDS = ("zeros", "reflect", "replicate", "circular")
_NUMPY_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pairs(padding, n: int) -> tuple[tuple[int, int], ...]:
    """``padding`` as (before, after) pairs for ``n`` dimensions: an int, ints, or pairs."""
    def pair(item):
        if is_int(item):
            p = check_int("padding", item, minimum=0)
            return p, p
        if isinstance(item, (tuple, list)) and len(item) == 2 and all(map(is_int, item)):
            b, a = int(item[0]), int(item[1])
            if min(b, a) < 0:
                raise ValueError(f"padding={padding!r} must be >= 0 in every dimension")
            return b, a
        raise TypeError(f"padding must be an int, or a tuple of {n} ints or (before, after) pairs, got {padding!r}")

    if is_int(padding):
        return (pair(padding),) * n
    if not isinstance(padding, (tuple, list)) or len(padding) != n:
        raise ValueError(f"padding={padding!r} must be an int or have {n} entries (one per padded dimension)")
    return tuple(pair(item) for item in padding)


def _check_fits(mode: str, pads, sizes) -> None:
    for dim, ((b, a), size) in enumerate(zip(pads, sizes)):
        if mode == "reflect" and max(b, a) >= size:
            raise ValueError(f"in dimension {dim}, padding={max(b, a)} must be smaller than the size {size} "
                             f"for padding_mode='reflect' (a mirror about the edge cell has size - 1 cells)")
        if mode == "circular" and max(b, a) > size:
            raise ValueError(f"in dimension {dim}, padding={max(b, a)} must be at most the size {size} "
                             "for padding_mode='circular' (the input wraps around once at most)")


def pad(input, padding, mode: str = "zeros", *, dims: int | None = None) -> np.ndarray:
    """Pad the last ``dims`` axes of ``input``, like ``torch.nn.functional.pad``.

    Parameters:
        input: an array ``(N, C, *spatial)``, ``(C, *spatial)``, or any array.
        padding: cells added on each side: an int (every side), or one entry per padded
            dimension, each an int or a ``(before, after)`` pair, first spatial dimension first
            (unlike ``torch.nn.functional.pad``, which lists the last dimension first).
        mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        dims: how many trailing axes to pad; default ``len(padding)`` for a tuple, and
            ``input.ndim - 2`` (the spatial axes of a batched input) for an int.

    Shape:
        each padded axis of size ``i`` becomes ``i + p_before + p_after``.

    Example:
        >>> pad(np.arange(5), (2,), "reflect")
        array([2, 1, 0, 1, 2, 3, 4, 3, 2])
        >>> pad(np.arange(5), ((2, 1),), "circular")
        array([3, 4, 0, 1, 2, 3, 4, 0])
    """
    x = as_numeric_array("input", input)
    mode = check_choice("mode", mode, PADDING_KINDS)
    if dims is None:
        dims = len(padding) if isinstance(padding, (tuple, list)) else x.ndim - 2
    dims = check_int("dims", dims, minimum=1)
    if dims > x.ndim:
        raise ValueError(f"dims={dims} is more than the {x.ndim} axes of input (shape {x.shape})")
    pads = _pairs(padding, dims)
    _check_fits(mode, pads, x.shape[x.ndim - dims:])
    return np.pad(x, [(0, 0)] * (x.ndim - dims) + list(pads), mode=_NUMPY_MODE[mode])


def padding_source(position: int, size: int, before: int, mode: str = "zeros") -> int | None:
    """The input cell that cell ``position`` of the padded axis holds, or ``None`` for a zero.

    ``position`` counts from the start of the padded axis (``before`` cells of padding, then the
    ``size`` input cells); the answer counts input cells from 0.

    Example:
        >>> [padding_source(p, 5, 2, "reflect") for p in range(9)]
        [2, 1, 0, 1, 2, 3, 4, 3, 2]
        >>> [padding_source(p, 3, 2, "zeros") for p in range(5)]
        [None, None, 0, 1, 2]
    """
    size = check_int("size", size, minimum=1)
    before = check_int("before", before, minimum=0)
    mode = check_choice("mode", mode, PADDING_KINDS)
    j = check_int("position", position, minimum=0) - before
    if 0 <= j < size:
        return j
    if mode == "zeros":
        return None
    if mode == "replicate":
        return min(max(j, 0), size - 1)
    if mode == "circular":
        return j % size
    period = 2 * (size - 1)                  # reflect: ... 2 1 | 0 1 2 ... n-1 | n-2 ...
    if period == 0:
        return 0
    j %= period
    return j if j < size else period - j
