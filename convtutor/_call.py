"""The checked arguments of one array call: ``conv{1,2,3}d``, ``conv_transpose{1,2,3}d`` and the
teaching views built on them.

A call is checked in two steps, each by its owner: the arrays by :mod:`convtutor._validation`
(numeric, of the right rank, batched, one dtype), then the sizes by
:func:`convtutor.arithmetic.conv_shape` / :func:`~convtutor.arithmetic.conv_transpose_shape`, from
the arrays' shapes alone. Nothing here adds a rule of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import (as_numeric_array, check_bias, check_channels, check_int, check_weight_channels,
                          conv_arrays, int_tuple, weight_dims)
from .arithmetic import ConvShape, conv_shape, conv_transpose_shape


@dataclass(frozen=True)
class ConvCall:
    """The arrays of one call (the input always batched, ``(N, C_in, *spatial)``, all of one
    dtype), whether the caller's input had a batch axis, and the layer's sizes."""

    input: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None
    batched: bool
    shape: ConvShape

    def finish(self, out: np.ndarray) -> np.ndarray:
        """Add the bias (in place) and drop the batch axis the caller did not give."""
        if self.bias is not None:
            out += self.bias.reshape((1, -1) + (1,) * self.shape.ndim)
        return out if self.batched else out[0]


def conv_call(fname: str, nd: int, input, weight, bias, stride, padding, dilation, groups) -> ConvCall:
    """Check the arguments of ``conv{nd}d`` (the rules of ``torch.nn.functional``, and more padding)."""
    x, w, b, batched = conv_arrays(fname, nd, input, weight, bias, transposed=False)
    c_in, c_out, g = check_channels(x.shape[1], w.shape[0], check_int("groups", groups, minimum=1))
    check_weight_channels(w.shape, c_in, g, batched, transposed=False)
    check_bias(b, c_out)
    shape = conv_shape(x.shape[2:], w.shape[2:], stride, padding, dilation, in_channels=c_in,
                       out_channels=c_out, groups=g)
    return ConvCall(x, w, b, batched, shape)


def conv_transpose_call(fname: str, nd: int, input, weight, bias, stride, padding, output_padding, groups,
                        dilation) -> ConvCall:
    """Check the arguments of ``conv_transpose{nd}d`` (the rules of ``torch.nn.functional``)."""
    x, w, b, batched = conv_arrays(fname, nd, input, weight, bias, transposed=True)
    g = check_int("groups", groups, minimum=1)
    check_weight_channels(w.shape, x.shape[1], g, batched, transposed=True)
    c_in, c_out, g = check_channels(x.shape[1], w.shape[1] * g, g)
    check_bias(b, c_out)
    shape = conv_transpose_shape(x.shape[2:], w.shape[2:], stride, padding, output_padding, dilation,
                                 in_channels=c_in, out_channels=c_out, groups=g)
    return ConvCall(x, w, b, batched, shape)


def weight_for_input(fname: str, input_shape, weight, stride, padding, dilation, groups):
    """Check a weight against an input known only by its shape ``(C_in, *spatial)``.

    For the functions that need no input values (the convolution matrix, the least-squares
    inverse): returns ``(weight as an array, the layer's ConvShape)`` without building any array.
    """
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"{fname}: input_shape must be a tuple (C_in, *spatial), got {input_shape!r} "
                        f"({type(input_shape).__name__})")
    nd = weight_dims(fname, weight, transposed=False)
    w = as_numeric_array("weight", weight)
    if len(input_shape) != nd + 1:
        raise ValueError(
            f"{fname}: input_shape={tuple(input_shape)!r} must have {nd + 1} entries (C_in and {nd} spatial "
            f"size{'s' if nd > 1 else ''}) to match a weight of shape {w.shape}"
        )
    c_in, *spatial = int_tuple("input_shape", tuple(input_shape), nd + 1, minimum=1)
    c_in, c_out, g = check_channels(c_in, w.shape[0], check_int("groups", groups, minimum=1))
    check_weight_channels(w.shape, c_in, g, batched=False, transposed=False)
    shape = conv_shape(tuple(spatial), w.shape[2:], stride, padding, dilation, in_channels=c_in,
                       out_channels=c_out, groups=g)
    return w, shape
