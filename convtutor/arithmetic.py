"""Shape and cost arithmetic of convolution layers.

Every size rule of the package lives here, once, in :class:`ConvShape`: a (transposed)
convolution layer described by its sizes alone. The output-size functions, the geometry of the
pictures (:mod:`convtutor.geometry`) and the array functions (:func:`convtutor.conv2d`, ...) are
all built on it, so a layer that cannot exist is refused with the same message everywhere.

The notation is that of Dumoulin & Visin, "A guide to convolution arithmetic for deep learning"
(2016): input size ``i``, kernel size ``k``, stride ``s``, zero padding ``p`` (``p_before`` and
``p_after`` when the two sides differ), dilation ``d`` and output size ``o``. The receptive-field
recurrence follows Araujo, Norris & Sim, "Computing receptive fields of convolutional neural
networks" (Distill, 2019).

Functions that take a ``size`` accept an int (one dimension, returns an int) or a tuple
(one value per dimension, returns a tuple); the other arguments then broadcast from an
int or match the tuple's length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, NamedTuple, Sequence

from ._validation import check_bool, check_channels, check_int, int_tuple, is_int, size_tuple

__all__ = [
    "ConvShape",
    "conv_shape",
    "conv_transpose_shape",
    "PADDING_MODES",
    "resolve_padding",
    "effective_kernel_size",
    "conv_output_size",
    "conv_transpose_output_size",
    "pool_output_size",
    "conv_parameters",
    "conv_macs",
    "conv_transpose_macs",
    "spatially_separable_macs",
    "depthwise_separable_parameters",
    "depthwise_separable_macs",
    "mobilenet_cost_ratio",
    "StepCost",
    "inverted_residual_cost",
    "Layer",
    "LayerField",
    "receptive_field",
    "as_layer",
]

# padding given by name: what each pads, as (before, after) per dimension, with t = d(k - 1)
PADDING_MODES = {
    "valid": "no padding: (0, 0)",
    "same": "the output as large as the input at stride 1: (t // 2, t - t // 2), the odd zero after",
    "full": "every partial overlap: (t, t)",
    "causal": "only before, so output t never reads an input after t: (t, 0)",
}


def _ndim(*values) -> int:
    """Number of spatial dimensions: the length of the first tuple among ``values`` (1 if none)."""
    for v in values:
        if isinstance(v, (tuple, list)):
            return len(v)
    return 1


def _padding_pair(value, n: int) -> tuple[int, int] | None:
    """An explicit (before, after) pair, or None when ``value`` is a single int."""
    if is_int(value):
        return None
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(map(is_int, value)):
        return int(value[0]), int(value[1])
    raise TypeError(
        f"padding must be an int, a tuple of {n} ints or of {n} (before, after) pairs, got an item {value!r}"
    )


def resolve_padding(padding, kernel_size, dilation, stride, *, transposed: bool = False):
    """Padding as ``(before, after)`` zeros per spatial dimension.

    ``'valid'`` pads nothing; ``'same'`` pads ``t = d(k - 1)`` in total, the odd zero after as in
    PyTorch, and needs stride 1; ``'full'`` pads ``t`` on both sides, so every partial overlap is
    computed; ``'causal'`` pads ``t`` before and nothing after (output ``y`` reads no input after
    ``y``). An int pads every side by that much; a tuple gives, per dimension, an int (both sides)
    or a ``(before, after)`` pair. A transposed convolution takes no names: its padding is what it
    crops from the output.

    Parameters:
        padding: as above.
        kernel_size, dilation, stride: tuples with one entry per spatial dimension.
        transposed: whether this is the padding of a transposed convolution.

    Shape:
        a tuple of ``len(kernel_size)`` pairs ``(p_before, p_after)``.

    Example:
        >>> resolve_padding('same', (4,), (1,), (1,))   # the odd zero after
        ((1, 2),)
        >>> resolve_padding(((2, 0), 1), (3, 3), (1, 1), (1, 1))
        ((2, 0), (1, 1))
    """
    n = len(kernel_size)
    if isinstance(padding, str):
        if transposed:
            raise TypeError(
                f"padding must be an int, a tuple of {n} ints or of {n} (before, after) pairs for a "
                f"transposed convolution, got the string {padding!r}"
            )
        if padding not in PADDING_MODES:
            raise ValueError(f"padding={padding!r} is not one of {', '.join(map(repr, PADDING_MODES))}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError(f"padding='same' needs stride=1 in every dimension, got stride={tuple(stride)}")
        totals = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
        pick = {"valid": lambda t: (0, 0), "same": lambda t: (t // 2, t - t // 2),
                "full": lambda t: (t, t), "causal": lambda t: (t, 0)}[padding]
        return tuple(pick(t) for t in totals)
    if isinstance(padding, (tuple, list)) and len(padding) == n:
        pairs = [_padding_pair(item, n) for item in padding]
        if any(pair is not None for pair in pairs):
            flat = [p for pair, item in zip(pairs, padding) for p in (pair or (item, item))]
            if min(flat) < 0:
                raise ValueError(f"padding={tuple(padding)!r} must be >= 0 in every dimension")
            return tuple(pair or (int(item), int(item)) for pair, item in zip(pairs, padding))
    return tuple((p, p) for p in int_tuple("padding", padding, n, minimum=0))


@dataclass(frozen=True)
class ConvShape:
    """A (transposed) convolution layer described by its sizes alone; the one owner of the size rules.

    Build it with :func:`conv_shape` or :func:`conv_transpose_shape`, which check every rule and
    compute ``output_size``. All sizes are tuples with one entry per spatial dimension and
    ``padding`` holds ``(before, after)`` pairs.

    * a convolution: ``o = (i + p_before + p_after - d(k - 1) - 1) // s + 1``, refused when the
      dilated kernel is larger than the padded input (the output would be empty);
    * a transposed convolution: ``o = (i - 1)s - p_before - p_after + d(k - 1) + output_padding + 1``,
      refused when ``output_padding`` is not below the stride or the dilation, or ``o < 1``.
    """

    transposed: bool
    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    dilation: tuple[int, ...]
    output_padding: tuple[int, ...]
    output_size: tuple[int, ...]
    in_channels: int = 1
    out_channels: int = 1
    groups: int = 1

    @property
    def ndim(self) -> int:
        """Number of spatial dimensions."""
        return len(self.input_size)

    @property
    def effective_kernel_size(self) -> tuple[int, ...]:
        """Cells spanned by the dilated kernel: ``d(k - 1) + 1``."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))

    @property
    def padded_size(self) -> tuple[int, ...]:
        """A convolution's input with its padding: ``i + p_before + p_after``."""
        return tuple(i + b + a for i, (b, a) in zip(self.input_size, self.padding))

    @property
    def full_size(self) -> tuple[int, ...]:
        """A transposed convolution's output before any cropping: ``(i - 1)s + d(k - 1) + 1``."""
        return tuple((i - 1) * s + e for i, s, e in zip(self.input_size, self.stride, self.effective_kernel_size))

    @property
    def parameters(self) -> int:
        """Weights and biases of the layer (:func:`conv_parameters`)."""
        return conv_parameters(self.in_channels, self.out_channels, self.kernel_size, self.groups)

    @property
    def macs(self) -> int:
        """Multiply-adds for one example (:func:`conv_macs`, :func:`conv_transpose_macs`)."""
        if self.transposed:
            return conv_transpose_macs(self.in_channels, self.out_channels, self.kernel_size, self.input_size,
                                       self.groups)
        return conv_macs(self.in_channels, self.out_channels, self.kernel_size, self.output_size, self.groups)


def _shape(transposed, input_size, kernel_size, stride, padding, dilation, output_padding,
           in_channels, out_channels, groups, ndim=None) -> ConvShape:
    n = ndim or _ndim(input_size, kernel_size, stride, padding, dilation, output_padding)
    size = int_tuple("input_size", input_size, n, minimum=1)
    k = int_tuple("kernel_size", kernel_size, n, minimum=1)
    s = int_tuple("stride", stride, n, minimum=1)
    d = int_tuple("dilation", dilation, n, minimum=1)
    ops = int_tuple("output_padding", output_padding, n, minimum=0)
    pads = resolve_padding(padding, k, d, s, transposed=transposed)
    cin, cout, g = check_channels(in_channels, out_channels, groups)
    out = []
    for dim, (i, kk, ss, (pb, pa), dd, op) in enumerate(zip(size, k, s, pads, d, ops)):
        if transposed:
            if op >= ss and op >= dd:
                raise ValueError(
                    f"in dimension {dim}, output_padding={op} must be smaller than stride={ss} or dilation={dd}"
                )
            o = (i - 1) * ss - pb - pa + dd * (kk - 1) + op + 1
            if o < 1:
                raise ValueError(
                    f"in dimension {dim}, the output size (i-1)*s - p_before - p_after + d*(k-1) + "
                    f"output_padding + 1 = ({i}-1)*{ss} - {pb} - {pa} + {dd}*({kk}-1) + {op} + 1 = {o} "
                    f"is below 1: padding={pb}+{pa} crops everything"
                )
        else:
            keff, total = dd * (kk - 1) + 1, i + pb + pa
            if keff > total:
                raise ValueError(
                    f"in dimension {dim}, kernel_size={kk} with dilation={dd} spans d*(k-1)+1 = {keff} cells, "
                    f"more than the padded input size = input_size + padding = {i}+{pb}+{pa} = {total}: "
                    "the output would be empty"
                )
            o = (total - keff) // ss + 1
        out.append(o)
    return ConvShape(transposed, size, k, s, pads, d, ops, tuple(out), cin, cout, g)


def conv_shape(input_size, kernel_size, stride=1, padding=0, dilation=1, *, in_channels=1, out_channels=1,
               groups=1) -> ConvShape:
    """Check a convolution layer given by its sizes and compute its output size.

    The number of spatial dimensions is the length of the first tuple among the size arguments
    (all ints means 1-D); ints broadcast to every dimension.

    Parameters:
        input_size: input size ``i`` (int or tuple).
        kernel_size: kernel size ``k``.
        stride: step ``s`` of the kernel.
        padding: zeros per side (int), per dimension (tuple of ints or ``(before, after)``
            pairs), or a name: ``'valid'``, ``'same'``, ``'full'``, ``'causal'``
            (:data:`PADDING_MODES`).
        dilation: spacing ``d`` of the kernel values.
        in_channels, out_channels, groups: channel counts (groups must divide both).

    Shape:
        ``output_size = (i + p_before + p_after - d * (k - 1) - 1) // s + 1`` per dimension.

    Example:
        >>> conv_shape((5, 5), 3, stride=2).output_size
        (2, 2)
        >>> conv_shape(8, 3, dilation=2, padding='causal').padding
        ((4, 0),)
    """
    return _shape(False, input_size, kernel_size, stride, padding, dilation, 0, in_channels, out_channels,
                  groups)


def conv_transpose_shape(input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1, *,
                         in_channels=1, out_channels=1, groups=1) -> ConvShape:
    """Check a transposed convolution layer given by its sizes and compute its output size.

    Parameters:
        input_size: input size ``i`` of the transposed convolution (int or tuple).
        kernel_size: kernel size ``k``.
        stride: stride ``s`` of the convolution it transposes.
        padding: padding ``p`` of that convolution (int, tuple of ints or of ``(before, after)``
            pairs): what is cropped from the output.
        output_padding: cells added at the end of each dimension, below the stride or the dilation.
        dilation: spacing ``d`` of the kernel values.
        in_channels, out_channels, groups: channel counts (groups must divide both).

    Shape:
        ``output_size = (i - 1) * s - p_before - p_after + d * (k - 1) + output_padding + 1``.

    Example:
        >>> conv_transpose_shape((2, 2), 3, stride=2).output_size   # 2x2 to 5x5
        (5, 5)
    """
    return _shape(True, input_size, kernel_size, stride, padding, dilation, output_padding, in_channels,
                  out_channels, groups)


def _scalar_or_tuple(values: tuple[int, ...], scalar: bool):
    return values[0] if scalar else values


def effective_kernel_size(kernel_size, dilation=1):
    """Size of the window a dilated kernel spans: ``k + (k - 1)(d - 1) = d(k - 1) + 1``.

    Parameters:
        kernel_size: kernel size ``k`` (int, or a tuple per dimension).
        dilation: dilation rate ``d`` (1 means no holes).

    Shape:
        ``d * (k - 1) + 1`` per dimension.

    Example:
        >>> effective_kernel_size(3, dilation=2)   # 3x3 at rate 2 sees 5x5
        5
    """
    ks, scalar = size_tuple("kernel_size", kernel_size)
    ds = int_tuple("dilation", dilation, len(ks), minimum=1)
    return _scalar_or_tuple(tuple(d * (k - 1) + 1 for k, d in zip(ks, ds)), scalar)


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Output size of a convolution (Dumoulin & Visin, relationship 15).

    ``o = floor((i + p_before + p_after - d(k - 1) - 1) / s) + 1`` (:class:`ConvShape`).

    Parameters:
        size: input size ``i`` (int, or a tuple per spatial dimension).
        kernel_size: kernel size ``k``.
        stride: step ``s`` of the kernel.
        padding: zeros added per side (int), per dimension (tuple of ints or of ``(before,
            after)`` pairs), or ``'valid'`` (none), ``'same'`` (output size equals input size;
            stride must be 1; an odd total puts the extra zero after), ``'full'`` (``d(k-1)`` each
            side: every partial overlap) or ``'causal'`` (``d(k-1)`` before only).
        dilation: spacing ``d`` between kernel values.

    Shape:
        ``(i + p_before + p_after - d * (k - 1) - 1) // s + 1`` per dimension.

    Example:
        >>> conv_output_size(5, 3, stride=2)       # the 5x5 -> 2x2 example
        2
        >>> conv_output_size((7, 7), 3, padding='same')
        (7, 7)
    """
    sizes, scalar = size_tuple("size", size)
    shape = _shape(False, sizes, kernel_size, stride, padding, dilation, 0, 1, 1, 1, ndim=len(sizes))
    return _scalar_or_tuple(shape.output_size, scalar)


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Output size of a transposed convolution (Dumoulin & Visin, relationship 14 with dilation).

    ``o = (i - 1)s - 2p + d(k - 1) + output_padding + 1`` (:class:`ConvShape`).

    A strided convolution maps several input sizes to the same output size; ``output_padding``
    (below the stride, or below the dilation) picks which of them the transposed convolution
    returns. It adds no zeros to the input: it only lengthens the output.

    Parameters:
        size: input size ``i`` of the transposed convolution.
        kernel_size: kernel size ``k``.
        stride: stride ``s`` of the convolution being transposed.
        padding: padding ``p`` of the convolution being transposed (int, tuple, or pairs).
        output_padding: extra cells ``a`` added at the end of each dimension.
        dilation: dilation ``d``.

    Shape:
        ``(i - 1) * s - p_before - p_after + d * (k - 1) + output_padding + 1`` per dimension.

    Example:
        >>> conv_transpose_output_size(2, 3, stride=2)   # 2x2 back to 5x5
        5
    """
    sizes, scalar = size_tuple("size", size)
    shape = _shape(True, sizes, kernel_size, stride, padding, dilation, output_padding, 1, 1, 1,
                   ndim=len(sizes))
    return _scalar_or_tuple(shape.output_size, scalar)


def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Output size of max or average pooling, as in ``torch.nn.MaxPool2d``.

    ``o = floor_or_ceil((i + 2p - d(k - 1) - 1) / s) + 1``; with ``ceil_mode`` a window that
    would start inside the right padding only is dropped. The stride defaults to the kernel size.
    Rounded down, this is the convolution's size (:class:`ConvShape`, the same rules).

    Parameters:
        size: input size ``i``.
        kernel_size: pooling window ``k``.
        stride: step ``s`` (default ``k``).
        padding: implicit padding ``p`` per side; at most half the kernel size.
        dilation: spacing ``d`` of the window.
        ceil_mode: round up instead of down.

    Shape:
        ``(i + 2 * p - d * (k - 1) - 1) // s + 1`` per dimension (rounded up with ``ceil_mode``).

    Example:
        >>> pool_output_size(7, 2)
        3
        >>> pool_output_size(7, 2, ceil_mode=True)
        4
    """
    sizes, scalar = size_tuple("size", size)
    n = len(sizes)
    ks = int_tuple("kernel_size", kernel_size, n, minimum=1)
    ss = ks if stride is None else int_tuple("stride", stride, n, minimum=1)
    ps = int_tuple("padding", padding, n, minimum=0)
    ds = int_tuple("dilation", dilation, n, minimum=1)
    ceil_mode = check_bool("ceil_mode", ceil_mode)
    for p, k in zip(ps, ks):
        if 2 * p > k:
            raise ValueError(f"padding={p} must be at most half of kernel_size={k}")
    if not ceil_mode:
        return _scalar_or_tuple(_shape(False, sizes, ks, ss, ps, ds, 0, 1, 1, 1, ndim=n).output_size, scalar)
    out = []
    for dim, (i, k, s, p, d) in enumerate(zip(sizes, ks, ss, ps, ds)):
        span = i + 2 * p - d * (k - 1) - 1
        # as torch: a last window may hang past the padded input as long as it starts inside the
        # input or the left padding, even when no whole window fits (span < 0)
        o = -(-span // s) + 1
        if (o - 1) * s >= i + p:
            o -= 1
        if o < 1:
            raise ValueError(f"in dimension {dim}, no pooling window of kernel_size={k} (dilation {d}) "
                             f"starts inside the input of size {i} with padding {p}")
        out.append(o)
    return _scalar_or_tuple(tuple(out), scalar)


def _kernel_count(kernel_size, dims: int, match: bool) -> int:
    """Number of kernel values: ``k ** dims`` for an int; for a tuple, the product of its entries
    (which must number ``dims`` when ``match``)."""
    if is_int(kernel_size):
        return check_int("kernel_size", kernel_size, minimum=1) ** dims
    n = dims if match else _ndim(kernel_size)
    return math.prod(int_tuple("kernel_size", kernel_size, n, minimum=1))


def conv_parameters(in_channels, out_channels, kernel_size, groups=1, bias=True, dims=2):
    """Number of learnable values of a (transposed) convolution layer.

    ``(C_in / groups) * C_out * K + (C_out if bias)`` with ``K`` the number of kernel values.
    A transposed layer with the same arguments has the same count.

    Parameters:
        in_channels: input channels ``C_in``.
        out_channels: output channels ``C_out``.
        kernel_size: an int (a square/cubic kernel of ``dims`` dimensions) or a tuple.
        groups: channel groups; ``groups = C_in`` is a depthwise convolution.
        bias: whether the layer adds one learnable bias per output channel.
        dims: number of spatial dimensions when ``kernel_size`` is an int.

    Shape:
        a Python int.

    Example:
        >>> conv_parameters(16, 32, 3, bias=False)   # the source's example
        4608
        >>> depthwise = conv_parameters(16, 16, 3, groups=16, bias=False)
        >>> depthwise + conv_parameters(16, 32, 1, bias=False)
        656
    """
    cin, cout, g = check_channels(in_channels, out_channels, groups)
    bias = check_bool("bias", bias)
    dims = check_int("dims", dims, minimum=1)
    return cin // g * cout * _kernel_count(kernel_size, dims, match=False) + (cout if bias else 0)


def conv_macs(in_channels, out_channels, kernel_size, output_size, groups=1):
    """Multiply-adds of one convolution layer for one example (the bias additions not counted).

    Every output value is a dot product of ``(C_in / groups) * K`` pairs, so the count is
    ``prod(output_size) * C_out * (C_in / groups) * K``. One multiply-add is two FLOPs.

    Parameters:
        in_channels: input channels ``C_in``.
        out_channels: output channels ``C_out``.
        kernel_size: an int (same in every dimension of ``output_size``) or a tuple.
        output_size: spatial size of the output (int for 1-D, or a tuple).
        groups: channel groups.

    Shape:
        a Python int.

    Example:
        >>> conv_macs(3, 64, 3, (224, 224))
        86704128
    """
    cin, cout, g = check_channels(in_channels, out_channels, groups)
    outs, _ = size_tuple("output_size", output_size)
    return math.prod(outs) * cout * (cin // g) * _kernel_count(kernel_size, len(outs), match=True)


def conv_transpose_macs(in_channels, out_channels, kernel_size, input_size, groups=1):
    """Multiply-adds of a transposed convolution for one example.

    Every input value is multiplied by a whole ``(C_out / groups) x K`` slice of the kernel and
    added into the output: ``prod(input_size) * C_in * (C_out / groups) * K`` (the same count as
    the convolution it transposes).

    Parameters:
        in_channels: input channels ``C_in`` of the transposed layer.
        out_channels: output channels ``C_out``.
        kernel_size: an int or a tuple.
        input_size: spatial size of the transposed layer's input.
        groups: channel groups.

    Shape:
        a Python int.

    Example:
        >>> conv_transpose_macs(1, 1, 3, (2, 2))
        36
    """
    cin, cout, g = check_channels(in_channels, out_channels, groups)
    ins, _ = size_tuple("input_size", input_size)
    return math.prod(ins) * cin * (cout // g) * _kernel_count(kernel_size, len(ins), match=True)


def spatially_separable_macs(channels, kernel_size, input_size, stride=1, padding=0, dilation=1):
    """Multiply-adds of a spatially separable convolution: a ``kH x 1`` pass, then a ``1 x kW`` one.

    Per channel, the column pass computes ``oH x W`` values of ``kH`` products each (the rows are
    not reduced yet, and their padding is added by the second pass) and the row pass ``oH x oW``
    values of ``kW`` products: ``C * (oH * W * kH + oH * oW * kW)``, against
    ``C * oH * oW * kH * kW`` for the direct 2-D kernel (:func:`conv_macs` with ``groups = C``).

    Parameters:
        channels: channels ``C`` (each convolved on its own, as :func:`convtutor.spatially_separable_conv2d`).
        kernel_size: an int (square) or ``(kH, kW)``.
        input_size: ``(H, W)``.
        stride, padding, dilation: of the 2-D convolution, as in :func:`conv_shape`.

    Shape:
        a Python int.

    Example:
        >>> spatially_separable_macs(1, 3, (5, 5), padding=1)   # direct: 225
        150
    """
    c = check_int("channels", channels, minimum=1)
    sizes, _ = size_tuple("input_size", input_size)
    if len(sizes) != 2:
        raise ValueError(f"input_size={input_size!r} must be (H, W)")
    shape = conv_shape(sizes, kernel_size, stride, padding, dilation)
    (oh, ow), (kh, kw) = shape.output_size, shape.kernel_size
    return c * (oh * sizes[1] * kh + oh * ow * kw)


def depthwise_separable_parameters(in_channels, out_channels, kernel_size, depth_multiplier=1, bias=False):
    """Learnable values of a depthwise separable layer (depthwise plus pointwise).

    ``C_in * m * K + C_in * m * C_out`` (plus ``C_in * m + C_out`` with biases), ``K`` the number
    of kernel values, against ``C_in * C_out * K`` (+ ``C_out``) for the full convolution.

    Parameters:
        in_channels: input channels ``C_in``.
        out_channels: output channels ``C_out`` of the pointwise step.
        kernel_size: an int (square kernel) or ``(kH, kW)``.
        depth_multiplier: kernels per input channel ``m`` (MobileNet uses 1).
        bias: whether both steps have a bias (``torch.nn.Conv2d``'s default is True).

    Shape:
        a Python int.

    Example:
        >>> depthwise_separable_parameters(16, 32, 3)   # full conv: 4608
        656
    """
    c = check_int("in_channels", in_channels, minimum=1)
    m = check_int("depth_multiplier", depth_multiplier, minimum=1)
    depthwise = conv_parameters(c, c * m, kernel_size, groups=c, bias=bias)
    pointwise = conv_parameters(c * m, out_channels, 1, bias=bias)
    return depthwise + pointwise


def depthwise_separable_macs(in_channels, out_channels, kernel_size, output_size, depth_multiplier=1):
    """Multiply-adds of a depthwise separable layer for one example (bias additions not counted).

    ``prod(o) * C_in * m * K`` for the depthwise step plus ``prod(o) * C_in * m * C_out`` for the
    pointwise one, against ``prod(o) * C_in * C_out * K`` for the full convolution.

    Parameters:
        in_channels: input channels ``C_in``.
        out_channels: output channels ``C_out``.
        kernel_size: an int (square kernel) or ``(kH, kW)``.
        output_size: spatial output size ``(oH, oW)`` (the same for both steps).
        depth_multiplier: kernels per input channel ``m``.

    Shape:
        a Python int.

    Example:
        >>> depthwise_separable_macs(16, 32, 3, (8, 8))   # full conv: 294912
        41984
    """
    c = check_int("in_channels", in_channels, minimum=1)
    m = check_int("depth_multiplier", depth_multiplier, minimum=1)
    depthwise = conv_macs(c, c * m, kernel_size, output_size, groups=c)
    pointwise = conv_macs(c * m, out_channels, 1, output_size)
    return depthwise + pointwise


def mobilenet_cost_ratio(out_channels, kernel_size) -> float:
    """Cost of a depthwise separable layer relative to a full convolution (Howard et al., 2017).

    ``(K * C_in * F + C_in * C_out * F) / (K * C_in * C_out * F) = 1 / C_out + 1 / K`` with ``K``
    the number of kernel values (``k^2``) and ``F`` the number of output positions: the ratio of
    the multiply-adds, and of the parameters without bias, for depth multiplier 1. With 3x3
    kernels it is a little above 1/9: eight to nine times cheaper.

    Parameters:
        out_channels: output channels ``C_out``.
        kernel_size: an int (square kernel) or ``(kH, kW)``.

    Shape:
        a Python float.

    Example:
        >>> round(mobilenet_cost_ratio(32, 3), 6)           # = 656 / 4608
        0.142361
    """
    o = check_int("out_channels", out_channels, minimum=1)
    k = conv_parameters(1, 1, kernel_size, bias=False)      # the number of kernel values
    return 1.0 / o + 1.0 / k


class StepCost(NamedTuple):
    """One convolution of a block: its name, output size, parameters (weights only) and multiply-adds."""

    name: str
    output_size: tuple[int, ...]
    parameters: int
    macs: int


def inverted_residual_cost(in_channels, out_channels, expansion, kernel_size, input_size, stride=1):
    """The three steps of MobileNetV2's inverted residual block, counted (Sandler et al., 2018).

    ``expand``: a 1x1 convolution from ``C_in`` to ``t * C_in`` channels (absent when ``t = 1``);
    ``depthwise``: a ``k x k`` depthwise convolution with the block's stride and padding
    ``k // 2``; ``project``: a 1x1 convolution to ``C_out`` channels, with no nonlinearity after it
    (the "linear bottleneck"). The cheap depthwise step works on the wide, expanded tensor; the
    thin tensors between blocks are what the residual connection adds (when ``stride = 1`` and
    ``C_in = C_out``). Batch normalisation adds 2 learnable values per channel of each step (not
    counted here).

    Parameters:
        in_channels, out_channels: ``C_in`` and ``C_out``.
        expansion: the expansion factor ``t`` (MobileNetV2 uses 6, and 1 in its first block).
        kernel_size: the depthwise kernel size (an int; 3 in MobileNetV2).
        input_size: ``(H, W)``.
        stride: the depthwise step's stride.

    Shape:
        a list of :class:`StepCost`; the last output size is the block's.

    Example:
        >>> block = inverted_residual_cost(24, 24, 6, 3, (56, 56))
        >>> [c.name for c in block]
        ['expand 1x1', 'depthwise 3x3', 'project 1x1']
        >>> [(c.parameters, c.macs) for c in block]
        [(3456, 10838016), (1296, 4064256), (3456, 10838016)]
    """
    cin, cout, _ = check_channels(in_channels, out_channels, 1)
    t = check_int("expansion", expansion, minimum=1)
    k = check_int("kernel_size", kernel_size, minimum=1)
    size, _ = size_tuple("input_size", input_size)
    wide = cin * t
    steps = []
    if t > 1:
        steps.append(("expand 1x1", conv_shape(size, 1, in_channels=cin, out_channels=wide)))
    steps.append((f"depthwise {k}x{k}", conv_shape(steps[-1][1].output_size if steps else size, k, stride, k // 2,
                                                    in_channels=wide, out_channels=wide, groups=wide)))
    steps.append(("project 1x1", conv_shape(steps[-1][1].output_size, 1, in_channels=wide, out_channels=cout)))
    return [StepCost(name, shape.output_size, conv_parameters(shape.in_channels, shape.out_channels,
                                                               shape.kernel_size, shape.groups, bias=False),
                     shape.macs) for name, shape in steps]


@dataclass(frozen=True)
class Layer:
    """One layer of a stack along one spatial dimension (convolution or pooling)."""

    kernel_size: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    name: str = ""


@dataclass(frozen=True)
class LayerField:
    """What one output cell of a layer sees of the stack's input.

    ``size`` is the receptive field ``r``, ``jump`` the distance ``j`` in input cells
    between neighbouring outputs, ``start`` the input coordinate of the centre of the
    first output's field (input cells are at 0, 1, 2, ...; negative means in the padding);
    :attr:`effective_padding` is how many cells of padding the field of the first output covers.
    """

    name: str
    size: int
    jump: int
    start: float

    @property
    def effective_padding(self) -> float:
        """How far the first output's field reaches left of the input: ``(size - 1) / 2 - start``
        (Araujo et al.'s effective padding, ``sum_l p_l * j_{l-1}`` without dilation)."""
        return (self.size - 1) / 2 - self.start


def receptive_field(layers: Iterable) -> list[LayerField]:
    """Receptive field, jump and start after each layer of a stack (Araujo et al. 2019).

    ``r_l = r_{l-1} + (k_l' - 1) j_{l-1}``, ``j_l = j_{l-1} s_l``,
    ``start_l = start_{l-1} + ((k_l' - 1) / 2 - p_l) j_{l-1}``, with ``k' = d(k - 1) + 1``
    the effective kernel size and ``r_0 = j_0 = 1``, ``start_0 = 0``.

    Parameters:
        layers: a sequence of :class:`Layer`, of mappings with the same keys, of tuples
            ``(kernel_size, stride, padding, dilation)`` (trailing items optional) or of
            plain ints (a kernel size with stride 1).

    Shape:
        a list with one :class:`LayerField` per layer.

    Example:
        >>> stack = [Layer(3, dilation=d) for d in (1, 2, 4, 8)]
        >>> [f.size for f in receptive_field(stack)]
        [3, 7, 15, 31]
    """
    r, j, start = 1, 1, 0.0
    out = []
    for index, spec in enumerate(layers):
        layer = as_layer(spec, index)
        keff = layer.dilation * (layer.kernel_size - 1) + 1
        start = start + ((keff - 1) / 2 - layer.padding) * j
        r = r + (keff - 1) * j
        j = j * layer.stride
        out.append(LayerField(layer.name or f"layer {index + 1}", r, j, start))
    return out


def as_layer(spec, index: int = 0) -> Layer:
    """A checked :class:`Layer` from any form :func:`receptive_field` accepts (``index`` names it in errors)."""
    where = f"layers[{index}]"
    if isinstance(spec, Layer):
        layer = spec
    elif is_int(spec):
        layer = Layer(int(spec))
    elif isinstance(spec, Mapping):
        unknown = set(spec) - {"kernel_size", "stride", "padding", "dilation", "name"}
        if unknown:
            raise ValueError(f"{where} has unknown keys {sorted(unknown)}")
        layer = Layer(**spec)
    elif isinstance(spec, Sequence) and not isinstance(spec, str) and 1 <= len(spec) <= 4:
        layer = Layer(*spec)
    else:
        raise TypeError(f"{where} must be a Layer, a mapping, a tuple (k, s, p, d) or an int, got {spec!r}")
    check_int(f"{where}.kernel_size", layer.kernel_size, minimum=1)
    check_int(f"{where}.stride", layer.stride, minimum=1)
    check_int(f"{where}.padding", layer.padding, minimum=0)
    check_int(f"{where}.dilation", layer.dilation, minimum=1)
    return layer
