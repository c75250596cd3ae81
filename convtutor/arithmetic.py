"""Shape and cost arithmetic of convolution layers.

Every size formula of the book lives here, with the notation of Dumoulin & Visin,
"A guide to convolution arithmetic for deep learning" (2016): input size ``i``, kernel
size ``k``, stride ``s``, zero padding ``p`` on each side, dilation ``d`` and output size
``o``. The receptive-field recurrence follows Araujo, Norris & Sim, "Computing receptive
fields of convolutional neural networks" (Distill, 2019).

Functions that take a ``size`` accept an int (one dimension, returns an int) or a tuple
(one value per dimension, returns a tuple); the other arguments then broadcast from an
int or match the tuple's length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from ._validation import check_int, int_tuple, is_int, resolve_padding

__all__ = [
    "effective_kernel_size",
    "resolve_padding",
    "conv_output_size",
    "conv_transpose_output_size",
    "pool_output_size",
    "conv_parameters",
    "conv_macs",
    "conv_transpose_macs",
    "Layer",
    "LayerField",
    "receptive_field",
]


def _dims(size, name: str = "size") -> tuple[int, tuple[int, ...], bool]:
    """Number of dimensions, sizes as a tuple, and whether the caller gave a scalar."""
    if is_int(size):
        return 1, (check_int(name, size, minimum=1),), True
    if isinstance(size, (tuple, list)) and size:
        sizes = int_tuple(name, tuple(size), len(size), minimum=1)
        return len(sizes), sizes, False
    raise TypeError(f"{name} must be an int or a non-empty tuple of ints, got {size!r}")


def _ndims(value) -> int:
    """How many dimensions an int-or-tuple argument describes (an int, or anything else, is 1)."""
    return len(value) if isinstance(value, (tuple, list)) else 1


def _ret(values: list[int], scalar: bool):
    return values[0] if scalar else tuple(values)


def effective_kernel_size(kernel_size, dilation=1):
    """Size of the window a dilated kernel spans: ``k + (k - 1)(d - 1) = d(k - 1) + 1``.

    Parameters:
        kernel_size: kernel size ``k`` (int, or a tuple per dimension).
        dilation: dilation rate ``d`` (1 means no holes).

    Shape:
        ``d * (k - 1) + 1`` per dimension.

    Example:
        >>> effective_kernel_size(3, dilation=2)   # a 3x3 kernel at rate 2 sees 5x5
        5
    """
    scalar = is_int(kernel_size)
    n = _ndims(kernel_size)
    ks = int_tuple("kernel_size", kernel_size, n, minimum=1)
    ds = int_tuple("dilation", dilation, n, minimum=1)
    return _ret([d * (k - 1) + 1 for k, d in zip(ks, ds)], scalar)


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Output size of a convolution (Dumoulin & Visin, relationship 15).

    ``o = floor((i + p_before + p_after - d(k - 1) - 1) / s) + 1``

    Parameters:
        size: input size ``i`` (int, or a tuple per spatial dimension).
        kernel_size: kernel size ``k``.
        stride: step ``s`` of the kernel.
        padding: zeros added per side (int or tuple), or ``'valid'`` (none), ``'same'`` (output
            size equals input size; stride must be 1; an odd total puts the extra zero after),
            or ``'full'`` (``d(k-1)`` each side: every partial overlap).
        dilation: spacing ``d`` between kernel values.

    Shape:
        ``(i + p_before + p_after - d * (k - 1) - 1) // s + 1`` per dimension.

    Example:
        >>> conv_output_size(5, 3, stride=2)       # the 5x5 -> 2x2 example
        2
        >>> conv_output_size((7, 7), 3, padding='same')
        (7, 7)
    """
    n, sizes, scalar = _dims(size)
    ks = int_tuple("kernel_size", kernel_size, n, minimum=1)
    ss = int_tuple("stride", stride, n, minimum=1)
    ds = int_tuple("dilation", dilation, n, minimum=1)
    pads = resolve_padding(padding, ks, ds, ss)
    out = []
    for i, k, s, (pb, pa), d in zip(sizes, ks, ss, pads, ds):
        span = i + pb + pa - (d * (k - 1) + 1)
        if span < 0:
            raise ValueError(
                f"kernel_size={k} with dilation={d} spans {d * (k - 1) + 1} cells, more than the "
                f"padded input size {i + pb + pa} (size {i} + padding {pb}+{pa}): the output would be empty"
            )
        out.append(span // s + 1)
    return _ret(out, scalar)


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Output size of a transposed convolution (Dumoulin & Visin, relationship 14 with dilation).

    ``o = (i - 1)s - 2p + d(k - 1) + output_padding + 1``

    A strided convolution maps several input sizes to the same output size; ``output_padding``
    (``0 <= a < s``, or below ``d``) picks which of them the transposed convolution returns.

    Parameters:
        size: input size ``i`` of the transposed convolution.
        kernel_size: kernel size ``k``.
        stride: stride ``s`` of the convolution being transposed.
        padding: padding ``p`` of the convolution being transposed (int or tuple).
        output_padding: extra cells ``a`` added at the end of each dimension.
        dilation: dilation ``d``.

    Shape:
        ``(i - 1) * s - 2 * p + d * (k - 1) + output_padding + 1`` per dimension.

    Example:
        >>> conv_transpose_output_size(2, 3, stride=2)   # 2x2 back to 5x5
        5
    """
    n, sizes, scalar = _dims(size)
    ks = int_tuple("kernel_size", kernel_size, n, minimum=1)
    ss = int_tuple("stride", stride, n, minimum=1)
    ps = int_tuple("padding", padding, n, minimum=0)
    ops = int_tuple("output_padding", output_padding, n, minimum=0)
    ds = int_tuple("dilation", dilation, n, minimum=1)
    out = []
    for i, k, s, p, a, d in zip(sizes, ks, ss, ps, ops, ds):
        if a >= s and a >= d:
            raise ValueError(f"output_padding={a} must be smaller than stride={s} or dilation={d}")
        o = (i - 1) * s - 2 * p + d * (k - 1) + a + 1
        if o < 1:
            raise ValueError(f"padding={p} is too large: the output size would be {o}")
        out.append(o)
    return _ret(out, scalar)


def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Output size of max or average pooling, as in ``torch.nn.MaxPool2d``.

    ``o = floor_or_ceil((i + 2p - d(k - 1) - 1) / s) + 1``; with ``ceil_mode`` a window that
    would start inside the right padding only is dropped. The stride defaults to the kernel size.

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
    n, sizes, scalar = _dims(size)
    ks = int_tuple("kernel_size", kernel_size, n, minimum=1)
    ss = ks if stride is None else int_tuple("stride", stride, n, minimum=1)
    ps = int_tuple("padding", padding, n, minimum=0)
    ds = int_tuple("dilation", dilation, n, minimum=1)
    out = []
    for i, k, s, p, d in zip(sizes, ks, ss, ps, ds):
        if 2 * p > k:
            raise ValueError(f"padding={p} must be at most half of kernel_size={k}")
        span = i + 2 * p - d * (k - 1) - 1
        # as torch: with ceil_mode a last window may hang past the padded input as long as
        # it starts inside it, even when no whole window fits (span < 0)
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= i + p:
            o -= 1
        if o < 1:
            raise ValueError(f"kernel_size={k} (dilation {d}) does not fit the padded input size {i + 2 * p}")
        out.append(o)
    return _ret(out, scalar)


def _kernel_count(kernel_size, dims: int, match_dims: bool = False) -> int:
    """Number of kernel values; a tuple must have ``dims`` entries when ``match_dims``."""
    if is_int(kernel_size):
        return check_int("kernel_size", kernel_size, minimum=1) ** check_int("dims", dims, minimum=1)
    n = dims if match_dims else _ndims(kernel_size)
    return math.prod(int_tuple("kernel_size", kernel_size, n, minimum=1))


def _check_channels(in_channels, out_channels, groups):
    cin = check_int("in_channels", in_channels, minimum=1)
    cout = check_int("out_channels", out_channels, minimum=1)
    g = check_int("groups", groups, minimum=1)
    if cin % g:
        raise ValueError(f"groups={g} must divide in_channels={cin}")
    if cout % g:
        raise ValueError(f"groups={g} must divide out_channels={cout}")
    return cin, cout, g


def conv_parameters(in_channels, out_channels, kernel_size, groups=1, bias=True, dims=2):
    """Number of learnable values of a (transposed) convolution layer.

    ``(I / groups) * O * K + (O if bias)`` with ``K`` the number of kernel values.
    A transposed layer with the same arguments has the same count.

    Parameters:
        in_channels: input channels ``I``.
        out_channels: output channels ``O``.
        kernel_size: an int (a square/cubic kernel of ``dims`` dimensions) or a tuple.
        groups: channel groups; ``groups = I`` is a depthwise convolution.
        bias: whether the layer adds one learnable bias per output channel.
        dims: number of spatial dimensions when ``kernel_size`` is an int.

    Shape:
        a Python int.

    Example:
        >>> conv_parameters(16, 32, 3, bias=False)   # the source's example
        4608
        >>> conv_parameters(16, 16, 3, groups=16, bias=False) + conv_parameters(16, 32, 1, bias=False)
        656
    """
    cin, cout, g = _check_channels(in_channels, out_channels, groups)
    if not isinstance(bias, (bool,)):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    return cin // g * cout * _kernel_count(kernel_size, dims) + (cout if bias else 0)


def conv_macs(in_channels, out_channels, kernel_size, output_size, groups=1):
    """Multiply-adds of one convolution layer for one example (the bias additions not counted).

    Every output value is a dot product of ``(I / groups) * K`` pairs, so the count is
    ``prod(output_size) * O * (I / groups) * K``.

    Parameters:
        in_channels: input channels ``I``.
        out_channels: output channels ``O``.
        kernel_size: an int (same in every dimension of ``output_size``) or a tuple.
        output_size: spatial size of the output (int for 1-D, or a tuple).
        groups: channel groups.

    Shape:
        a Python int.

    Example:
        >>> conv_macs(3, 64, 3, (224, 224))
        86704128
    """
    cin, cout, g = _check_channels(in_channels, out_channels, groups)
    n, outs, _ = _dims(output_size, "output_size")
    return math.prod(outs) * cout * (cin // g) * _kernel_count(kernel_size, n, match_dims=True)


def conv_transpose_macs(in_channels, out_channels, kernel_size, input_size, groups=1):
    """Multiply-adds of a transposed convolution for one example.

    Every input value is multiplied by a whole ``(O / groups) x K`` slice of the kernel and
    added into the output: ``prod(input_size) * I * (O / groups) * K`` (the same count as the
    convolution it transposes).

    Parameters:
        in_channels: input channels ``I`` of the transposed layer.
        out_channels: output channels ``O``.
        kernel_size: an int or a tuple.
        input_size: spatial size of the transposed layer's input.
        groups: channel groups.

    Shape:
        a Python int.

    Example:
        >>> conv_transpose_macs(1, 1, 3, (2, 2))
        36
    """
    cin, cout, g = _check_channels(in_channels, out_channels, groups)
    n, ins, _ = _dims(input_size, "input_size")
    return math.prod(ins) * cin * (cout // g) * _kernel_count(kernel_size, n, match_dims=True)


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
    first output's field (input cells are at 0, 1, 2, ...; negative means in the padding).
    """

    name: str
    size: int
    jump: int
    start: float


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
        >>> [f.size for f in receptive_field([Layer(3, dilation=d) for d in (1, 2, 4, 8)])]
        [3, 7, 15, 31]
    """
    r, j, start = 1, 1, 0.0
    out = []
    for index, spec in enumerate(layers):
        layer = _as_layer(spec, index)
        keff = layer.dilation * (layer.kernel_size - 1) + 1
        start = start + ((keff - 1) / 2 - layer.padding) * j
        r = r + (keff - 1) * j
        j = j * layer.stride
        out.append(LayerField(layer.name or f"layer {index + 1}", r, j, start))
    return out


def _as_layer(spec, index: int) -> Layer:
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
