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
"""

from __future__ import annotations

import math

import numpy as np

from . import _compute
from ._call import conv_transpose_call
from ._validation import as_numeric_array, int_tuple, is_int, weight_dims
from .arithmetic import conv_output_size
from ._validation import check_int
from .conv import conv1d, conv2d, conv3d, conv_matrix

__all__ = [
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "conv_transpose_scatter",
    "conv_transpose_as_conv",
    "conv_transpose_matrix",
    "insert_zeros",
    "pixel_shuffle",
    "pixel_unshuffle",
    "subpixel_weight",
    "conv_transpose_subpixel",
    "upsample2d",
    "checkerboard_spread",
]

# Docstring fragments shared by conv_transpose1d, 2d and 3d.
_NOTES = {
    "idea": """The adjoint of the convolution with the same weight, stride, padding, dilation and groups:
    each input value scales a copy of its kernel slice, the copies land ``stride`` cells apart
    and overlap-add; then ``padding`` cells are cut from both ends of every dimension and
    ``output_padding`` cells are added at the end.""",
    "common_args": """bias: optional array ``(C_out,)``.
        stride: stride of the convolution being transposed (spacing of the kernel copies).
        padding: padding of the convolution being transposed, cropped from the output: an int,
            one int per dimension, or ``(before, after)`` pairs.
        output_padding: cells added at the end of each dimension, below the stride or the
            dilation; picks one of the input sizes the strided convolution maps to the same size.
        groups: independent channel groups.
        dilation: spacing between kernel values.""",
    "returns": """an array of the dtype of the inputs. The inputs are never modified.""",
    "size": """``o = (i - 1) * s - p_before - p_after + d * (k - 1) + output_padding + 1`` per
          spatial dimension (:func:`convtutor.conv_transpose_output_size`).""",
}


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    call = conv_transpose_call("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding,
                               groups, dilation)
    return _compute.conv_transpose_forward(call)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    call = conv_transpose_call("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding,
                               groups, dilation)
    return _compute.conv_transpose_forward(call)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    call = conv_transpose_call("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding,
                               groups, dilation)
    return _compute.conv_transpose_forward(call)


conv_transpose1d.__doc__ = """1-D transposed convolution, like ``torch.nn.functional.conv_transpose1d``.

    {idea}

    Parameters:
        input: array ``(N, C_in, L)``, or unbatched ``(C_in, L)``.
        weight: array ``(C_in, C_out / groups, kL)`` (note: in-channels first).
        {common_args}

    Returns:
        {returns}

    Shape:
        - input: ``(N, C_in, L_in)`` or ``(C_in, L_in)``
        - weight: ``(C_in, C_out / groups, kL)``
        - output: ``(N, C_out, L_out)`` or ``(C_out, L_out)``, with
          {size}

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 2, 2)), np.ones((2, 3, 3))
        >>> conv_transpose1d(x, w, stride=2).shape
        (1, 3, 5)
    """.format(**_NOTES)

conv_transpose2d.__doc__ = """2-D transposed convolution, like ``torch.nn.functional.conv_transpose2d``.

    {idea}

    Parameters:
        input: array ``(N, C_in, H, W)``, or unbatched ``(C_in, H, W)``.
        weight: array ``(C_in, C_out / groups, kH, kW)`` (note: in-channels first).
        {common_args}

    Returns:
        {returns}

    Shape:
        - input: ``(N, C_in, H_in, W_in)`` or ``(C_in, H_in, W_in)``
        - weight: ``(C_in, C_out / groups, kH, kW)``
        - output: ``(N, C_out, H_out, W_out)`` or ``(C_out, H_out, W_out)``, with
          {size}

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 2, 2, 2)), np.ones((2, 3, 3, 3))
        >>> conv_transpose2d(x, w, stride=2).shape   # 2x2 -> 5x5
        (1, 3, 5, 5)
    """.format(**_NOTES)

conv_transpose3d.__doc__ = """3-D transposed convolution, like ``torch.nn.functional.conv_transpose3d``.

    {idea}

    Parameters:
        input: array ``(N, C_in, D, H, W)``, or unbatched ``(C_in, D, H, W)``.
        weight: array ``(C_in, C_out / groups, kD, kH, kW)`` (note: in-channels first).
        {common_args}

    Returns:
        {returns}

    Shape:
        - input: ``(N, C_in, D_in, H_in, W_in)`` or ``(C_in, D_in, H_in, W_in)``
        - weight: ``(C_in, C_out / groups, kD, kH, kW)``
        - output: ``(N, C_out, D_out, H_out, W_out)`` or ``(C_out, D_out, H_out, W_out)``, with
          {size}

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 2, 2, 2, 2)), np.ones((2, 3, 3, 3, 3))
        >>> conv_transpose3d(x, w, stride=2).shape
        (1, 3, 5, 5, 5)
    """.format(**_NOTES)


def _nd_call(fname, input, weight, bias, stride, padding, output_padding, groups, dilation):
    """Check a call whose number of spatial dimensions is read from the weight."""
    nd = weight_dims(fname, weight, transposed=True)
    return conv_transpose_call(f"conv_transpose{nd}d", nd, input, weight, bias, stride, padding,
                               output_padding, groups, dilation)


def conv_transpose_scatter(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution as a scatter of kernel copies, written as plain loops (slow).

    For every input cell, multiply the kernel by its value and add the product into the
    output at ``stride * position``; finally crop ``padding``. Same arguments and result as
    :func:`conv_transpose2d` (dimensions read from ``weight``).

    Shape:
        as :func:`conv_transpose2d`: ``o = (i - 1) * s - p_before - p_after + d * (k - 1) + output_padding + 1``.

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 1, 2)), np.ones((1, 1, 3))
        >>> conv_transpose_scatter(x, w, stride=2)
        array([[[1., 1., 2., 1., 1.]]])
    """
    call = _nd_call("conv_transpose_scatter", input, weight, bias, stride, padding, output_padding, groups,
                    dilation)
    sh, x, w = call.shape, call.input, call.weight
    full = _compute.canvas(call)
    cig, cog = sh.in_channels // sh.groups, sh.out_channels // sh.groups
    for n in range(x.shape[0]):
        for c in range(sh.in_channels):                     # every input channel,
            g = c // cig                                    # (its group)
            for pos in np.ndindex(*sh.input_size):          # every input cell:
                value = x[(n, c, *pos)]
                for o in range(cog):                        # add value * kernel to each output channel
                    for t in np.ndindex(*sh.kernel_size):
                        target = tuple(p * s + tt * d for p, s, tt, d in zip(pos, sh.stride, t, sh.dilation))
                        full[(n, g * cog + o, *target)] += value * w[(c, o, *t)]
    return _compute.crop(call, full)


def insert_zeros(input, stride):
    """Put ``stride - 1`` zeros between neighbouring values (the "fractional stride").

    Parameters:
        input: an array.
        stride: an int (applied to every axis) or a tuple for the trailing ``len(stride)`` axes.

    Shape:
        - output: each affected axis of size ``i`` becomes ``(i - 1) * s + 1``.

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


_CONV = {1: conv1d, 2: conv2d, 3: conv3d}


def conv_transpose_as_conv(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution as an ordinary convolution over a zero-stuffed input.

    1. insert ``s - 1`` zeros between the input values (:func:`insert_zeros`);
    2. pad ``d(k - 1) - p_before`` zeros before and ``d(k - 1) - p_after + output_padding`` after;
       where that is negative, crop instead;
    3. convolve with stride 1 and the same dilation, using the kernel flipped in every spatial
       axis with its in/out channels swapped.

    Same arguments and result as :func:`conv_transpose2d` (dimensions read from ``weight``).

    Shape:
        as :func:`conv_transpose2d`: ``o = (i - 1) * s - p_before - p_after + d * (k - 1) + output_padding + 1``.

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 1, 2)), np.ones((1, 1, 3))
        >>> conv_transpose_as_conv(x, w, stride=2)
        array([[[1., 1., 2., 1., 1.]]])
    """
    call = _nd_call("conv_transpose_as_conv", input, weight, bias, stride, padding, output_padding, groups,
                    dilation)
    sh = call.shape
    g, nd = sh.groups, sh.ndim
    cig, cog = sh.in_channels // g, sh.out_channels // g
    x = insert_zeros(call.input, sh.stride)                                    # 1.
    crop, pads = [slice(None), slice(None)], []
    for k, d, (pb, pa), op in zip(sh.kernel_size, sh.dilation, sh.padding, sh.output_padding):
        before, after = d * (k - 1) - pb, d * (k - 1) - pa + op                 # 2.
        pads.append((max(before, 0), max(after, 0)))
        crop.append(slice(max(-before, 0), None if after >= 0 else after))
    # 3. (C_in, C_out/g, *k) -> (C_out, C_in/g, *k), flipped in space
    w = call.weight.reshape(g, cig, cog, *sh.kernel_size).swapaxes(1, 2).reshape(sh.out_channels, cig,
                                                                                  *sh.kernel_size)
    w = w[(Ellipsis, *(slice(None, None, -1),) * nd)]
    x = _compute.pad(x[tuple(crop)], pads)
    out = _CONV[nd](x, w, call.bias, dilation=sh.dilation, groups=g)
    return out if call.batched else out[0]


def conv_transpose_matrix(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed convolution as a multiplication by ``C.T``, the transposed convolution matrix.

    ``C`` is :func:`convtutor.conv_matrix` of the convolution with the same weight, stride,
    padding, dilation and groups whose *input* has the transposed convolution's output shape.
    Same arguments and result as :func:`conv_transpose2d` (dimensions read from ``weight``).

    Shape:
        as :func:`conv_transpose2d`: ``o = (i - 1) * s - p_before - p_after + d * (k - 1) + output_padding + 1``.

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 1, 2)), np.ones((1, 1, 3))
        >>> conv_transpose_matrix(x, w, stride=2)
        array([[[1., 1., 2., 1., 1.]]])
    """
    call = _nd_call("conv_transpose_matrix", input, weight, bias, stride, padding, output_padding, groups,
                    dilation)
    sh = call.shape
    c = conv_matrix((sh.out_channels, *sh.output_size), call.weight, sh.stride, sh.padding, sh.dilation, sh.groups)
    # With output_padding >= stride (allowed when below dilation) the convolution of the larger
    # output has extra positions; the transposed convolution uses only the first ones.
    forward = conv_output_size(sh.output_size, sh.kernel_size, sh.stride, sh.padding, sh.dilation)
    c = c.reshape(sh.in_channels, *forward, -1)[(slice(None), *(slice(0, i) for i in sh.input_size))]
    c = c.reshape(sh.in_channels * math.prod(sh.input_size), -1)
    n = call.input.shape[0]
    out = (call.input.reshape(n, -1) @ c).reshape(n, sh.out_channels, *sh.output_size)
    return call.finish(out)


def pixel_shuffle(input, upscale_factor):
    """Rearrange ``(*, C * r * r, H, W)`` into ``(*, C, H * r, W * r)``, like ``torch.nn.PixelShuffle``.

    Channel ``c * r * r + i * r + j`` of cell ``(h, w)`` goes to cell ``(h * r + i, w * r + j)`` of
    channel ``c``: the ``r * r`` channels of a cell become an ``r x r`` block of pixels.

    Example:
        >>> import numpy as np
        >>> pixel_shuffle(np.arange(4).reshape(4, 1, 1), 2)
        array([[[0, 1],
                [2, 3]]])
    """
    x = as_numeric_array("input", input)
    r = check_int("upscale_factor", upscale_factor, minimum=1)
    if x.ndim < 3 or x.shape[-3] % (r * r):
        raise ValueError(f"input must be (*, C * r * r, H, W) with r = {r}: its channel count must be a multiple "
                         f"of {r * r}, got shape {x.shape}")
    *lead, c, h, w = x.shape
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = np.moveaxis(y, (-4, -3), (-2, -1))                 # (*, C, h, w, i, j) -> (*, C, h, i, w, j)
    y = np.swapaxes(y, -3, -2)
    return np.ascontiguousarray(y).reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """The inverse of :func:`pixel_shuffle`: ``(*, C, H * r, W * r)`` into ``(*, C * r * r, H, W)``.

    Example:
        >>> import numpy as np
        >>> x = np.arange(32).reshape(2, 4, 4)
        >>> bool((pixel_shuffle(pixel_unshuffle(x, 2), 2) == x).all())
        True
    """
    x = as_numeric_array("input", input)
    r = check_int("downscale_factor", downscale_factor, minimum=1)
    if x.ndim < 3 or x.shape[-1] % r or x.shape[-2] % r:
        raise ValueError(f"input must be (*, C, H * r, W * r) with r = {r}: its height and width must be "
                         f"multiples of {r}, got shape {x.shape}")
    *lead, c, h, w = x.shape
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = np.moveaxis(y, (-3, -1), (-4, -3))                 # (*, C, i, j, h, w)
    return np.ascontiguousarray(y).reshape(*lead, c * r * r, h // r, w // r)


def subpixel_weight(weight, stride, padding=0):
    """The convolution that, followed by :func:`pixel_shuffle`, equals a transposed convolution.

    A stride-``s`` transposed convolution computes each of its ``s x s`` output phases (the cells
    ``(q*s + r_y, q*s + r_x)``) as an ordinary stride-1 correlation of the input with the kernel taps
    that land on that phase (Shi et al., 2016, "Is the deconvolution layer the same as a
    convolutional layer?"). Stacking the ``s * s`` phase kernels as output channels gives one
    convolution with ``C_out * s * s`` channels; :func:`pixel_shuffle` then interleaves them.

    Parameters:
        weight: a 2-D transposed convolution's weight ``(C_in, C_out, kH, kW)`` (groups 1, dilation 1).
        stride: its stride ``s`` (an int or a pair).
        padding: its padding (an int, a pair, or ``(before, after)`` pairs).

    Returns:
        ``(conv_weight, conv_padding, trim)``: the ``(C_out * sH * sW, C_in, kH', kW')`` weight
        (channel ``c * sH * sW + r_y * sW + r_x`` computes phase ``(r_y, r_x)`` of output channel
        ``c``), the ``(before, after)`` padding pairs of the convolution, and how many cells to
        trim from the end of each dimension after the shuffle.

    Shape:
        ``pixel_shuffle(conv2d(x, conv_weight, padding=conv_padding), s)`` trimmed by ``trim`` has
        the transposed convolution's shape ``(N, C_out, o_H, o_W)``.

    Example:
        >>> import numpy as np
        >>> w, pads, trim = subpixel_weight(np.ones((3, 2, 4, 4)), 2, 1)
        >>> w.shape, pads, trim
        ((8, 3, 3, 3), ((1, 1), (1, 1)), (0, 0))
    """
    w = as_numeric_array("weight", weight)
    if w.ndim != 4:
        raise ValueError(f"weight must be a 2-D transposed weight (C_in, C_out, kH, kW), got shape {w.shape}")
    s = int_tuple("stride", stride, 2, minimum=1)
    pads = _subpixel_pairs(padding)
    c_in, c_out, kh, kw = w.shape
    plans = []                                    # per dimension: phases -> [(tap, shift)]
    for k, ss, (b, a) in zip((kh, kw), s, pads):
        phases = []
        for r in range(ss):
            rc = (r + b) % ss
            base = (r + b - rc) // ss
            phases.append([(t, base - (t - rc) // ss) for t in range(k) if t % ss == rc])
        plans.append(phases)
    lo = [min([0] + [sh for ph in plan for _, sh in ph]) for plan in plans]
    hi = [max([0] + [sh for ph in plan for _, sh in ph]) for plan in plans]
    size = [h - low + 1 for h, low in zip(hi, lo)]
    out = np.zeros((c_out, s[0], s[1], c_in, *size), dtype=w.dtype)
    for ry, taps_y in enumerate(plans[0]):
        for rx, taps_x in enumerate(plans[1]):
            for ty, sy in taps_y:
                for tx, sx in taps_x:
                    # conv output q reads input q + u - P_before; the phase needs input q + shift
                    out[:, ry, rx, :, sy - lo[0], sx - lo[1]] += w[:, :, ty, tx].T
    # the conv gives i cells per phase; the transposed output has o = i*s + (k - p_before - p_after - s)
    # cells: read a few more when that is positive, and trim the shuffled result to o
    delta = [k - b - a - ss for k, ss, (b, a) in zip((kh, kw), s, pads)]
    extra = [max(0, -(-dd // ss)) for dd, ss in zip(delta, s)]
    conv_pads = tuple((-low, high + e) for low, high, e in zip(lo, hi, extra))
    trim = tuple(e * ss - dd for e, ss, dd in zip(extra, s, delta))
    return out.reshape(c_out * s[0] * s[1], c_in, *size), conv_pads, trim


def conv_transpose_subpixel(input, weight, stride, padding=0):
    """Transposed convolution as a convolution followed by :func:`pixel_shuffle` (sub-pixel convolution).

    ``pixel_shuffle(conv2d(x, w_sub, padding=p_sub), s)``, trimmed at the end, with the weight and
    padding of :func:`subpixel_weight`: the fourth equal view of a 2-D transposed convolution
    (groups 1, dilation 1, no output_padding). Every product multiplies a real input value: no
    inserted zeros, no cropped work.

    Shape:
        as :func:`conv_transpose2d`: ``o = (i - 1) * s - p_before - p_after + k``.

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 3, 4, 4)), np.ones((3, 2, 4, 4))
        >>> sub = conv_transpose_subpixel(x, w, 2, 1)
        >>> direct = conv_transpose2d(x, w, stride=2, padding=1)
        >>> bool(np.allclose(sub, direct))
        True
    """
    w_sub, pads, trim = subpixel_weight(weight, stride, padding)
    s = int_tuple("stride", stride, 2, minimum=1)
    call = conv_transpose_call("conv_transpose_subpixel", 2, input, weight, None, s, padding, 0, 1, 1)
    y = conv2d(call.input, w_sub.astype(call.weight.dtype), padding=pads)
    n = y.shape[0]
    sh = call.shape
    # pixel_shuffle with possibly different factors per dimension: (C, sH, sW) -> rows, columns
    y = y.reshape(n, sh.out_channels, s[0], s[1], *y.shape[2:]).transpose(0, 1, 4, 2, 5, 3)
    y = y.reshape(n, sh.out_channels, y.shape[2] * s[0], y.shape[4] * s[1])
    out = np.ascontiguousarray(y[..., : y.shape[2] - trim[0], : y.shape[3] - trim[1]])
    return out if call.batched else out[0]


def _subpixel_pairs(padding):
    if is_int(padding):
        return ((int(padding),) * 2,) * 2
    if isinstance(padding, (tuple, list)) and len(padding) == 2:
        return tuple((int(p), int(p)) if is_int(p) else tuple(int(v) for v in p) for p in padding)
    raise TypeError(f"padding must be an int, a pair, or (before, after) pairs, got {padding!r}")


UPSAMPLING_METHODS = ("transposed", "resize")


def upsample2d(input, weight, scale=2, method="transposed"):
    """Upsample a 2-D map by an integer factor with a learnable kernel, in one of two ways.

    * ``method='transposed'``: a transposed convolution with stride ``s = scale`` that crops
      ``k - s`` cells, ``ceil((k - s) / 2)`` before and the rest after (or, for ``k < s``, adds
      ``output_padding a = s - k``), so the output is exactly ``s`` times the input whatever
      the kernel size ``k``;
    * ``method='resize'``: nearest-neighbour resizing (every value copied into an ``s x s``
      block), then a stride-1 convolution with ``'same'`` padding: the remedy of Odena,
      Dumoulin & Olah (2016, "Deconvolution and checkerboard artifacts"), which reads every
      output cell through the same number of kernel taps.

    Both give an ``(s * H, s * W)`` map from an ``(H, W)`` one, so stacks of either can be
    compared cell for cell (:func:`checkerboard_spread`).

    Parameters:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: the kernel in the layout of the method's layer: ``(C_in, C_out, kH, kW)`` for
            ``'transposed'`` (as :func:`conv_transpose2d`), ``(C_out, C_in, kH, kW)`` for
            ``'resize'`` (as :func:`convtutor.conv2d`).
        scale: the integer factor ``s`` (at least 1), an int or ``(sH, sW)``.
        method: ``'transposed'`` or ``'resize'``.

    Returns:
        an array of the dtype of the inputs.

    Shape:
        ``(N, C_out, sH * H, sW * W)`` (unbatched without ``N``). For ``'transposed'`` this is
        ``o = (i - 1) * s - p_before - p_after + k + a`` with the crop and ``a`` above.

    Example:
        >>> import numpy as np
        >>> x = np.ones((1, 1, 4, 4))
        >>> upsample2d(x, np.ones((1, 1, 3, 3)), 2).shape
        (1, 1, 8, 8)
        >>> upsample2d(x, np.ones((1, 1, 3, 3)), 2, method="resize").shape
        (1, 1, 8, 8)
    """
    if method not in UPSAMPLING_METHODS:
        raise ValueError(f"method={method!r} must be one of {', '.join(map(repr, UPSAMPLING_METHODS))}")
    w = as_numeric_array("weight", weight)
    if w.ndim != 4:
        raise ValueError(f"weight must be a 2-D kernel array (4 axes: channels, channels, kH, kW), "
                         f"got shape {w.shape}")
    s = int_tuple("scale", scale, 2, minimum=1)
    if method == "transposed":
        crop = [k - ss for k, ss in zip(w.shape[2:], s)]
        pads = tuple((-(-c // 2), c // 2) if c > 0 else (0, 0) for c in crop)
        extra = tuple(max(0, -c) for c in crop)
        return conv_transpose2d(input, w, stride=s, padding=pads, output_padding=extra)
    x = as_numeric_array("input", input)
    if x.ndim not in (3, 4):
        raise ValueError(f"input must be (N, C_in, H, W) or (C_in, H, W), got shape {x.shape}")
    resized = x.repeat(s[0], axis=-2).repeat(s[1], axis=-1)
    return conv2d(resized, w, padding="same")


def checkerboard_spread(output, margin=None) -> float:
    """How far a map that should be flat is from flat: ``(max - min) / mean(|x|)`` inside a margin.

    Upsample a constant input: a layer that treats every output cell alike returns a constant
    map (away from the border, where the padding shows), so the spread is 0; uneven overlap of
    the kernel copies (a transposed convolution whose kernel size is not a multiple of its
    stride, or whose kernel's phases sum differently) leaves a periodic pattern, and the spread
    says how strong it is relative to the map's size.

    Parameters:
        output: a 2-D map ``(H, W)``, or an array whose last two axes are the map (all of it
            is measured).
        margin: cells left out at each border of the last two axes; default a quarter of each
            size (rounded down), which leaves the middle half.

    Returns:
        a float, 0 for a flat interior (and for an all-zero one).

    Shape:
        ``output``: ``(*, H, W)`` with ``H, W > 2 * margin``.

    Example:
        >>> import numpy as np
        >>> checkerboard_spread(np.ones((8, 8)))
        0.0
        >>> checkerboard_spread(np.array([[1.0, 3.0], [1.0, 3.0]]), margin=0)
        1.0
    """
    a = as_numeric_array("output", output)
    if a.ndim < 2:
        raise ValueError(f"output must have at least 2 axes (H, W), got shape {a.shape}")
    h, w = a.shape[-2:]
    if margin is None:
        mh, mw = h // 4, w // 4
    else:
        mh = mw = check_int("margin", margin, minimum=0)
        if 2 * mh >= min(h, w):
            raise ValueError(f"margin={margin} leaves nothing of a {h} x {w} map: it must be below "
                             f"{(min(h, w) + 1) // 2}")
    inner = a[..., mh:h - mh, mw:w - mw].astype(np.float64)
    scale = float(np.abs(inner).mean())
    if scale == 0.0:
        return 0.0
    return float(inner.max() - inner.min()) / scale
