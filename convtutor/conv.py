"""Convolution in N dimensions, with the semantics of ``torch.nn.functional.conv{1,2,3}d``.

Deep learning "convolution" is cross-correlation: the kernel slides over the input
without being flipped, and each output value is the sum of the products of the kernel
with the input cells under it::

    out[n, o, y] = bias[o]
                   + sum_{c, t} weight[o, c, t] * x_pad[n, g*C_g + c, y*s + t*d]

for output position ``y``, kernel tap ``t`` (both multi-indices), input channel ``c`` of
the group ``g`` that output channel ``o`` belongs to.

Three ways of computing it are here, each readable on its own:

* :func:`conv_loops` - plain Python loops, one line per idea; slow, for reading.
* :func:`im2col` - the input cells of every kernel position as the columns of a matrix;
  the convolution is then one matrix product.
* :func:`conv_matrix` - the dense matrix ``C`` of Dumoulin & Visin (2016, section 4):
  ``C @ x.ravel()`` equals the convolution.
"""

from __future__ import annotations

import math

import numpy as np

from . import _compute
from ._call import conv_call, weight_for_input
from ._validation import as_numeric_array, check_input_layout, weight_dims
from .arithmetic import conv_shape

__all__ = ["conv1d", "conv2d", "conv3d", "causal_conv1d", "conv_loops", "im2col", "conv_matrix",
           "flip_kernel", "conv_input_grad", "conv_weight_grad"]

# Docstring fragments shared by conv1d, conv2d and conv3d (as torch's nn/modules/conv.py does).
_NOTES = {
    "formula": """``out[n, o, y] = bias[o] + sum_c sum_t weight[o, c, t] * x_pad[n, c_g + c, y*s + t*d]``
    (no kernel flip; ``c_g`` is the first input channel of output channel ``o``'s group).""",
    "common_args": """bias: optional array ``(C_out,)`` added to every output value of a channel.
        stride: step of the kernel, an int or one int per spatial dimension.
        padding: zeros on each side (an int), per dimension (a tuple of ints or of
            ``(before, after)`` pairs), or ``'valid'``, ``'same'`` (stride 1; the odd zero of an
            even kernel goes after, as in PyTorch), ``'full'`` or ``'causal'`` (before only).
        dilation: spacing between kernel values, an int or one int per spatial dimension.
        groups: split the channels into this many independent convolutions.""",
    "returns": """an array of the dtype of the inputs (``numpy.result_type`` of input, weight, bias).
        The inputs are never modified.""",
    "size": """``o = (i + p_before + p_after - d * (k - 1) - 1) // s + 1`` per spatial dimension
          (:func:`convtutor.conv_output_size`).""",
}


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _compute.conv_forward(conv_call("conv1d", 1, input, weight, bias, stride, padding, dilation, groups))


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _compute.conv_forward(conv_call("conv2d", 2, input, weight, bias, stride, padding, dilation, groups))


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _compute.conv_forward(conv_call("conv3d", 3, input, weight, bias, stride, padding, dilation, groups))


conv1d.__doc__ = """1-D convolution (cross-correlation), like ``torch.nn.functional.conv1d``.

    {formula}

    Parameters:
        input: array ``(N, C_in, L)``, or unbatched ``(C_in, L)``.
        weight: array ``(C_out, C_in / groups, kL)``.
        {common_args}

    Returns:
        {returns}

    Shape:
        - input: ``(N, C_in, L_in)`` or ``(C_in, L_in)``
        - weight: ``(C_out, C_in / groups, kL)``
        - output: ``(N, C_out, L_out)`` or ``(C_out, L_out)``, with
          {size}

    Example:
        >>> import numpy as np
        >>> conv1d(np.ones((1, 2, 10)), np.ones((3, 2, 3)), stride=2).shape
        (1, 3, 4)
    """.format(**_NOTES)

conv2d.__doc__ = """2-D convolution (cross-correlation), like ``torch.nn.functional.conv2d``.

    {formula}

    Parameters:
        input: array ``(N, C_in, H, W)``, or unbatched ``(C_in, H, W)``.
        weight: array ``(C_out, C_in / groups, kH, kW)``.
        {common_args}

    Returns:
        {returns}

    Shape:
        - input: ``(N, C_in, H_in, W_in)`` or ``(C_in, H_in, W_in)``
        - weight: ``(C_out, C_in / groups, kH, kW)``
        - output: ``(N, C_out, H_out, W_out)`` or ``(C_out, H_out, W_out)``, with
          {size}

    Example:
        >>> import numpy as np
        >>> conv2d(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)), stride=2).shape
        (1, 3, 2, 2)
        >>> x, w = np.ones((2, 5, 5)), np.ones((3, 2, 3, 3))   # unbatched
        >>> conv2d(x, w, padding='same').shape
        (3, 5, 5)
    """.format(**_NOTES)

conv3d.__doc__ = """3-D convolution (cross-correlation), like ``torch.nn.functional.conv3d``.

    {formula}

    Parameters:
        input: array ``(N, C_in, D, H, W)``, or unbatched ``(C_in, D, H, W)``.
        weight: array ``(C_out, C_in / groups, kD, kH, kW)``.
        {common_args}

    Returns:
        {returns}

    Shape:
        - input: ``(N, C_in, D_in, H_in, W_in)`` or ``(C_in, D_in, H_in, W_in)``
        - weight: ``(C_out, C_in / groups, kD, kH, kW)``
        - output: ``(N, C_out, D_out, H_out, W_out)`` or ``(C_out, D_out, H_out, W_out)``, with
          {size}

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 2, 4, 5, 5)), np.ones((3, 2, 3, 3, 3))
        >>> conv3d(x, w, stride=2).shape
        (1, 3, 1, 2, 2)
    """.format(**_NOTES)


def causal_conv1d(input, weight, bias=None, dilation=1, groups=1):
    """Causal 1-D convolution: output ``t`` reads only inputs at times ``<= t`` (WaveNet-style).

    :func:`conv1d` with ``padding='causal'``: the input is padded on the left only, with
    ``d(k - 1)`` zeros, and convolved at stride 1, so the output is as long as the input and

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
        - input: ``(N, C_in, L)`` or ``(C_in, L)``
        - output: ``(N, C_out, L)`` or ``(C_out, L)``: with ``p_before = d * (k - 1)`` and
          ``p_after = 0``, ``o = (i + p_before - d * (k - 1) - 1) // 1 + 1 = i``.

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 2, 10)), np.ones((3, 2, 2))
        >>> causal_conv1d(x, w, dilation=4).shape
        (1, 3, 10)
    """
    call = conv_call("causal_conv1d", 1, input, weight, bias, 1, "causal", dilation, groups)
    return _compute.conv_forward(call)


def _nd_call(fname, input, weight, bias, stride, padding, dilation, groups):
    """Check a call whose number of spatial dimensions is read from the weight."""
    nd = weight_dims(fname, weight, transposed=False)
    return conv_call(f"conv{nd}d", nd, input, weight, bias, stride, padding, dilation, groups)


def conv_loops(input, weight, bias=None, stride=1, padding=0, dilation=1,
               groups=1):
    """The convolution written as plain loops, to read line by line (slow).

    Same arguments and result as :func:`conv1d`/:func:`conv2d`/
    :func:`conv3d`; the number of spatial dimensions is read from
    ``weight``. (Its lines stay within 76 characters: the book prints it.)

    Shape:
        as :func:`conv2d`:
        ``o = (i + p_before + p_after - d * (k - 1) - 1) // s + 1``.

    Example:
        >>> import numpy as np
        >>> x = np.arange(25.0).reshape(1, 5, 5)
        >>> conv_loops(x, np.ones((1, 1, 3, 3)), stride=2)
        array([[[ 54.,  72.],
                [144., 162.]]])
    """
    call = _nd_call("conv_loops", input, weight, bias, stride, padding,
                    dilation, groups)
    sh, w, b = call.shape, call.weight, call.bias
    x = _compute.pad(call.input, sh.padding)     # 1. add the zero padding
    c_in_group = sh.in_channels // sh.groups
    c_out_group = sh.out_channels // sh.groups
    out = np.zeros((x.shape[0], sh.out_channels, *sh.output_size),
                   dtype=w.dtype)
    for n in range(x.shape[0]):                  # 2. every example,
        for o in range(sh.out_channels):         #    every output channel
            g = o // c_out_group                 #    (in group g),
            for y in np.ndindex(*sh.output_size):  # every output position:
                total = 0 if b is None else b[o]
                for c in range(c_in_group):      # 3. sum over the group's
                    for t in np.ndindex(*sh.kernel_size):  # channels, taps
                        pos = tuple(yy * s + tt * d for yy, tt, s, d
                                    in zip(y, t, sh.stride, sh.dilation))
                        x_in = x[(n, g * c_in_group + c, *pos)]
                        total += w[(o, c, *t)] * x_in
                out[(n, o, *y)] = total
    return out if call.batched else out[0]


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
        - input: ``(N, C, *i)`` or ``(C, *i)``
        - output: ``(N, C * prod(k), prod(o))`` or ``(C * prod(k), prod(o))``, ``o`` as
          :func:`convtutor.conv_output_size` gives it.

    Example:
        >>> import numpy as np
        >>> im2col(np.zeros((1, 2, 5, 5)), 3, stride=2).shape
        (1, 18, 4)
    """
    nd = len(kernel_size) if isinstance(kernel_size, (tuple, list)) else 2
    x = check_input_layout("im2col", as_numeric_array("input", input), nd)
    batched = x.ndim == nd + 2
    xb = x if batched else x[np.newaxis]
    sh = conv_shape(xb.shape[2:], kernel_size, stride, padding, dilation, in_channels=max(xb.shape[1], 1))
    xp = _compute.pad(xb, sh.padding)
    rows = xb.shape[1] * math.prod(sh.kernel_size)
    cols = np.empty((len(xp), rows, math.prod(sh.output_size)), dtype=x.dtype)
    view = _compute.windows(xp, 1, sh.kernel_size, sh.stride, sh.dilation, sh.output_size)
    np.copyto(cols.reshape(view.shape), view)                # one copy, the whole batch
    return cols if batched else cols[0]


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
        - output: ``(C_out * prod(o), C_in * prod(i))``.

    Example:
        >>> import numpy as np
        >>> conv_matrix((1, 4, 4), np.ones((1, 1, 3, 3))).shape
        (4, 16)
    """
    w, sh = weight_for_input("conv_matrix", input_shape, weight, stride, padding, dilation, groups)
    spatial = sh.input_size
    cg, og = sh.in_channels // sh.groups, sh.out_channels // sh.groups
    rows_per_channel = math.prod(sh.output_size)
    cols_per_channel = math.prod(spatial)
    matrix = np.zeros((sh.out_channels * rows_per_channel, sh.in_channels * cols_per_channel),
                      dtype=np.result_type(w.dtype, np.int8))
    out_pos = np.array(list(np.ndindex(*sh.output_size))).reshape(-1, len(spatial))
    before = np.array([b for b, _ in sh.padding])
    for t in np.ndindex(*sh.kernel_size):
        # the input coordinate tap t reads at every output position, padding removed
        coords = out_pos * np.array(sh.stride) + np.array(t) * np.array(sh.dilation) - before
        inside = np.all((coords >= 0) & (coords < np.array(spatial)), axis=1)
        flat_in = np.ravel_multi_index(tuple(coords[inside].T), spatial) if inside.any() else np.array([], int)
        rows_local = np.flatnonzero(inside)
        for o in range(sh.out_channels):
            ch0 = (o // og) * cg
            for c in range(cg):
                matrix[o * rows_per_channel + rows_local, (ch0 + c) * cols_per_channel + flat_in] += w[(o, c, *t)]
    return matrix


def flip_kernel(weight):
    """Flip the spatial axes of a weight ``(C_out, C_in, *kernel)``.

    Deep learning libraries compute cross-correlation; the convolution of signal processing
    is cross-correlation with the flipped kernel: ``convolve(x, w) == conv2d(x, flip_kernel(w))``.

    Shape:
        - output: the shape of ``weight``.

    Example:
        >>> import numpy as np
        >>> flip_kernel(np.arange(3).reshape(1, 1, 3))
        array([[[2, 1, 0]]])
    """
    w = as_numeric_array("weight", weight)
    if w.ndim < 3:
        raise ValueError(f"weight must have at least 3 dimensions (C_out, C_in, *kernel), got shape {w.shape}")
    return w[(Ellipsis, *(slice(None, None, -1),) * (w.ndim - 2))].copy()


def conv_input_grad(grad_output, weight, input_size, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of a convolution with respect to its input: a transposed convolution.

    If ``y = conv(x, w)`` and ``L`` is any loss, ``dL/dx = conv_transpose(dL/dy, w)`` with the same
    stride, padding, dilation and groups, and the ``output_padding`` that gives back the input's
    size (a strided convolution maps several input sizes to one output size). This is what
    autograd computes, and why a transposed convolution is also called the backward pass of one.

    Parameters:
        grad_output: ``dL/dy``, ``(N, C_out, *o)`` or unbatched ``(C_out, *o)``.
        weight: the convolution's weight ``(C_out, C_in / groups, *kernel)``.
        input_size: the spatial size of ``x`` (a tuple, one entry per dimension).
        stride, padding, dilation, groups: those of the convolution (padding as in :func:`conv2d`).

    Shape:
        - output: ``(N, C_in, *input_size)`` or ``(C_in, *input_size)``.

    Example:
        >>> import numpy as np
        >>> g, w = np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3))
        >>> conv_input_grad(g, w, (6, 6), stride=2).shape
        (1, 1, 6, 6)
    """
    from .arithmetic import conv_transpose_output_size
    from .transposed import conv_transpose1d, conv_transpose2d, conv_transpose3d

    nd = weight_dims("conv_input_grad", weight, transposed=False)
    w = as_numeric_array("weight", weight)
    if not isinstance(input_size, (tuple, list)):
        input_size = (input_size,) * nd
    layer = conv_shape(tuple(input_size), w.shape[2:], stride, padding, dilation,
                       in_channels=w.shape[1] * groups, out_channels=w.shape[0], groups=groups)
    g = check_input_layout("conv_input_grad", as_numeric_array("grad_output", grad_output), nd, "C_out")
    if g.shape[-nd:] != layer.output_size:
        raise ValueError(f"grad_output has spatial size {g.shape[-nd:]}, but the convolution of an input of size "
                         f"{layer.input_size} gives {layer.output_size}")
    extra = tuple(i - conv_transpose_output_size(o, k, s, (p,), 0, d) for i, o, k, s, p, d in
                  zip(layer.input_size, layer.output_size, layer.kernel_size, layer.stride, layer.padding,
                      layer.dilation))
    back = {1: conv_transpose1d, 2: conv_transpose2d, 3: conv_transpose3d}[nd]
    return back(g, w, stride=layer.stride, padding=layer.padding, output_padding=extra, groups=layer.groups,
                dilation=layer.dilation)


def conv_weight_grad(input, grad_output, kernel_size, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of a convolution with respect to its weight: input windows times output gradients.

    ``dL/dw[o, c, t] = sum_n sum_y dL/dy[n, o, y] * x_pad[n, c_g + c, y*s + t*d]``: every kernel
    tap collects the products of the output gradient with the input cells that tap read. (It is
    itself a convolution of the input with the output gradient as the kernel.)

    Parameters:
        input: ``x``, ``(N, C_in, *i)`` or unbatched ``(C_in, *i)``.
        grad_output: ``dL/dy``, ``(N, C_out, *o)`` (unbatched if ``input`` is).
        kernel_size: the kernel size (an int or a tuple per dimension).
        stride, padding, dilation, groups: those of the convolution.

    Shape:
        - output: ``(C_out, C_in / groups, *kernel_size)``, the weight's shape.

    Example:
        >>> import numpy as np
        >>> x, g = np.ones((1, 2, 5, 5)), np.ones((1, 3, 3, 3))
        >>> conv_weight_grad(x, g, 3).shape
        (3, 2, 3, 3)
    """
    nd = len(kernel_size) if isinstance(kernel_size, (tuple, list)) else None
    x = as_numeric_array("input", input)
    g = as_numeric_array("grad_output", grad_output)
    if nd is None:
        nd = x.ndim - 2 if x.ndim == g.ndim and x.ndim >= 3 else 2
    x = check_input_layout("conv_weight_grad", x, nd, "C_in")
    g = check_input_layout("conv_weight_grad", g, nd, "C_out")
    if x.ndim != g.ndim:
        raise ValueError(f"input and grad_output must both be batched or both unbatched, got shapes "
                         f"{x.shape} and {g.shape}")
    if x.ndim == nd + 1:
        x, g = x[None], g[None]
    if x.shape[0] != g.shape[0]:
        raise ValueError(f"input and grad_output must hold the same number of examples, got {x.shape[0]} "
                         f"and {g.shape[0]}")
    layer = conv_shape(x.shape[2:], kernel_size, stride, padding, dilation, in_channels=x.shape[1],
                       out_channels=g.shape[1], groups=groups)
    if g.shape[2:] != layer.output_size:
        raise ValueError(f"grad_output has spatial size {g.shape[2:]}, but the convolution gives {layer.output_size}")
    cg, og, k = layer.in_channels // layer.groups, layer.out_channels // layer.groups, layer.kernel_size
    dtype = np.result_type(x.dtype, g.dtype)
    out = np.zeros((layer.out_channels, cg * math.prod(k)), dtype)
    xp = _compute.pad(x.astype(dtype, copy=False), layer.padding)
    for n in range(x.shape[0]):
        cols = _compute.windows(xp[n], layer.groups, k, layer.stride, layer.dilation, layer.output_size)
        cols = cols.reshape(layer.groups, cg * math.prod(k), -1)
        grads = g[n].reshape(layer.groups, og, -1)
        out += np.matmul(grads, cols.transpose(0, 2, 1)).reshape(layer.out_channels, -1)
    return out.reshape(layer.out_channels, cg, *k)
