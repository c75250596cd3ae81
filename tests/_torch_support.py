"""What the PyTorch cross-checks share: tolerances, torch calls, and the tables of layers.

One home for them, so that the conv tests, the transposed tests, the property tests and the
chapters' checks compare with the same tolerances and the same torch calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

# how close convtutor must be to torch, per dtype
TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}

TORCH_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
TORCH_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def tt(a, dtype=None):
    """A torch tensor holding a private copy of a numpy array (or None), optionally converted."""
    if a is None:
        return None
    return torch.from_numpy(np.array(a, dtype=dtype))


def t64(a):
    """A float64 torch tensor of a private copy of ``a`` (for checks done in double precision)."""
    return tt(a, np.float64)


def torch_conv(nd, x, w, b=None, **kw):
    """``torch.nn.functional.conv{nd}d`` on numpy arrays, as a numpy array."""
    with torch.no_grad():
        return TORCH_CONV[nd](tt(x), tt(w), tt(b), **kw).numpy()


def torch_conv_t(nd, x, w, b=None, **kw):
    """``torch.nn.functional.conv_transpose{nd}d`` on numpy arrays, as a numpy array."""
    with torch.no_grad():
        return TORCH_CONV_T[nd](tt(x), tt(w), tt(b), **kw).numpy()


@dataclass(frozen=True)
class Case:
    """One layer of the cross-check tables: sizes, arguments, and how to make random arrays."""

    id: str
    nd: int
    n: int | None  # batch size; None means an unbatched input (C_in, *spatial)
    c_in: int
    c_out: int
    size: tuple
    kernel: tuple
    stride: object = 1
    padding: object = 0
    dilation: object = 1
    groups: int = 1
    bias: bool = False
    output_padding: object = 0
    transposed: bool = False

    def kwargs(self):
        kw = dict(stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups)
        if self.transposed:
            kw["output_padding"] = self.output_padding
        return kw

    def weight_shape(self):
        if self.transposed:
            return (self.c_in, self.c_out // self.groups, *self.kernel)
        return (self.c_out, self.c_in // self.groups, *self.kernel)

    def arrays(self, rng, dtype=np.float64):
        xshape = ((self.n,) if self.n is not None else ()) + (self.c_in, *self.size)
        x = rng.standard_normal(xshape).astype(dtype)
        w = rng.standard_normal(self.weight_shape()).astype(dtype)
        b = rng.standard_normal(self.c_out).astype(dtype) if self.bias else None
        return x, w, b

    def torch(self, x, w, b=None):
        """What torch computes for this layer."""
        return (torch_conv_t if self.transposed else torch_conv)(self.nd, x, w, b, **self.kwargs())


TCase = partial(Case, transposed=True)

CONV_CASES = [
    # ---- 1-D
    Case("1d-basic", 1, 2, 3, 4, (10,), (3,)),
    Case("1d-stride2-pad1-dil2-bias", 1, 2, 3, 2, (11,), (3,), stride=2, padding=1, dilation=2, bias=True),
    Case("1d-groups2", 1, 2, 4, 6, (9,), (2,), groups=2, bias=True),
    Case("1d-depthwise", 1, 2, 3, 3, (8,), (3,), stride=2, padding=1, groups=3),
    Case("1d-depthwise-multiplier2", 1, 1, 3, 6, (8,), (3,), groups=3, bias=True),
    Case("1d-same-even-k4", 1, 2, 2, 3, (7,), (4,), padding="same"),
    Case("1d-same-k2-dil3", 1, 1, 2, 2, (6,), (2,), padding="same", dilation=3),
    Case("1d-valid", 1, 2, 2, 2, (6,), (4,), padding="valid", bias=True),
    Case("1d-unbatched", 1, None, 3, 2, (7,), (3,), padding=2, bias=True),
    Case("1d-stride-bigger-than-kernel", 1, 1, 1, 1, (10,), (2,), stride=3),
    Case("1d-kernel-equals-input", 1, 3, 2, 2, (5,), (5,)),
    # ---- 2-D
    Case("2d-basic", 2, 2, 3, 4, (6, 7), (3, 3)),
    Case("2d-article-5x5-s2", 2, 1, 1, 1, (5, 5), (3, 3), stride=2),
    Case("2d-asym-stride-pad-dil", 2, 2, 2, 3, (9, 8), (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    Case("2d-asym-2", 2, 1, 3, 2, (7, 10), (2, 3), stride=(1, 3), padding=(0, 2), dilation=(2, 1), bias=True),
    Case("2d-groups2-bias", 2, 2, 4, 6, (6, 6), (3, 3), padding=1, groups=2, bias=True),
    Case("2d-groups3", 2, 1, 6, 3, (5, 6), (2, 2), stride=2, groups=3),
    Case("2d-depthwise", 2, 2, 4, 4, (7, 7), (3, 3), stride=2, padding=1, groups=4, bias=True),
    Case("2d-depthwise-dilated", 2, 1, 3, 3, (8, 7), (3, 2), dilation=(2, 1), padding=(2, 0), groups=3),
    Case("2d-depthwise-multiplier2", 2, 2, 2, 4, (5, 5), (3, 3), groups=2),
    Case("2d-same-even-4x2-dil", 2, 2, 2, 3, (7, 6), (4, 2), padding="same", dilation=(1, 3)),
    Case("2d-same-odd", 2, 1, 3, 2, (5, 5), (3, 3), padding="same", bias=True),
    Case("2d-same-depthwise-even", 2, 1, 3, 3, (5, 6), (2, 2), padding="same", groups=3),
    Case("2d-valid", 2, 2, 2, 2, (5, 6), (3, 4), padding="valid"),
    Case("2d-unbatched", 2, None, 3, 4, (6, 5), (3, 3), stride=2, padding=1, bias=True),
    Case("2d-unbatched-depthwise", 2, None, 3, 3, (6, 5), (3, 3), groups=3),
    Case("2d-pointwise-1x1", 2, 3, 5, 2, (4, 4), (1, 1), bias=True),
    Case("2d-pointwise-s2-groups2", 2, 2, 4, 6, (5, 6), (1, 1), stride=2, groups=2, bias=True),
    Case("2d-kernel-equals-input", 2, 2, 2, 3, (4, 3), (4, 3)),
    Case("2d-big-padding", 2, 1, 1, 2, (2, 3), (3, 3), padding=(3, 2)),
    Case("2d-list-args", 2, 1, 2, 2, (6, 6), (3, 3), stride=[2, 1], padding=[1, 0], dilation=[1, 2]),
    # ---- 3-D
    Case("3d-basic", 3, 2, 2, 3, (4, 5, 4), (3, 3, 3)),
    Case("3d-asym", 3, 1, 2, 2, (6, 5, 7), (2, 3, 2), stride=(1, 2, 3), padding=(0, 1, 2), dilation=(2, 1, 1)),
    Case("3d-groups2-bias", 3, 1, 4, 2, (4, 4, 4), (2, 2, 2), padding=1, groups=2, bias=True),
    Case("3d-depthwise", 3, 2, 3, 3, (5, 4, 4), (3, 3, 3), stride=2, padding=1, groups=3),
    Case("3d-same-even", 3, 1, 2, 2, (4, 5, 6), (2, 3, 4), padding="same"),
    Case("3d-valid-unbatched", 3, None, 2, 3, (4, 4, 5), (2, 2, 3), padding="valid", bias=True),
]

TRANSPOSED_CASES = [
    # ---- 1-D
    TCase("1d-basic", 1, 2, 3, 2, (4,), (3,)),
    TCase("1d-s2-op1", 1, 2, 2, 3, (4,), (3,), stride=2, output_padding=1, bias=True),
    TCase("1d-s3-p1-op2", 1, 1, 2, 2, (3,), (4,), stride=3, padding=1, output_padding=2),
    TCase("1d-s1-d2-op1", 1, 2, 2, 2, (4,), (3,), stride=1, dilation=2, output_padding=1, bias=True),
    TCase("1d-k1-s2-op1-bias", 1, 1, 1, 2, (3,), (1,), stride=2, output_padding=1, bias=True),
    TCase("1d-groups2", 1, 2, 4, 6, (5,), (2,), stride=2, groups=2, bias=True),
    TCase("1d-depthwise", 1, 1, 3, 3, (5,), (3,), stride=2, padding=1, groups=3),
    TCase("1d-padding-to-one-cell", 1, 1, 2, 2, (3,), (3,), padding=2),
    TCase("1d-unbatched", 1, None, 2, 3, (4,), (3,), stride=2, padding=1, output_padding=1, bias=True),
    # ---- 2-D
    TCase("2d-article-2x2-to-5x5", 2, 1, 1, 1, (2, 2), (3, 3), stride=2),
    TCase("2d-basic", 2, 2, 3, 2, (3, 4), (3, 3), bias=True),
    TCase("2d-asym", 2, 2, 2, 3, (3, 4), (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
          dilation=(1, 2)),
    TCase("2d-asym-2", 2, 1, 2, 2, (4, 3), (2, 3), stride=(1, 2), padding=(0, 2), output_padding=(0, 1),
          dilation=(3, 1), bias=True),
    TCase("2d-groups3-bias", 2, 2, 3, 6, (3, 3), (3, 3), stride=2, padding=1, output_padding=1, groups=3,
          bias=True),
    TCase("2d-groups2", 2, 1, 4, 2, (4, 3), (2, 2), stride=2, groups=2),
    TCase("2d-depthwise", 2, 2, 3, 3, (4, 4), (3, 3), stride=2, padding=1, groups=3),
    TCase("2d-s1-d2-op1", 2, 1, 2, 2, (3, 3), (3, 3), stride=1, dilation=2, output_padding=1),
    TCase("2d-s2-d3-op2", 2, 1, 2, 1, (3, 2), (2, 2), stride=2, dilation=3, output_padding=2, bias=True),
    TCase("2d-k4x2-s2-p1", 2, 2, 2, 2, (3, 4), (4, 2), stride=2, padding=1),
    TCase("2d-k1-s3", 2, 1, 2, 1, (3, 2), (1, 1), stride=3, output_padding=(2, 1)),
    # stride and dilation 2: the taps reach only every other output cell, the rest is zero
    TCase("2d-s2-d2-half-empty", 2, 2, 2, 3, (3, 4), (3, 2), stride=2, dilation=2, padding=1, output_padding=1),
    TCase("2d-unbatched", 2, None, 2, 4, (3, 3), (3, 3), stride=2, padding=1, output_padding=1, bias=True),
    TCase("2d-batch3", 2, 3, 1, 2, (4, 3), (2, 3), stride=(2, 1)),
    TCase("2d-list-args", 2, 1, 2, 2, (3, 3), (3, 3), stride=[2, 1], padding=[1, 0], output_padding=[1, 0],
          dilation=[1, 2]),
    # ---- 3-D
    TCase("3d-basic", 3, 1, 2, 2, (2, 3, 2), (2, 2, 2)),
    TCase("3d-asym", 3, 2, 2, 1, (2, 3, 2), (3, 2, 2), stride=(1, 2, 2), padding=(1, 0, 1),
          output_padding=(0, 1, 0), dilation=(1, 1, 2), bias=True),
    TCase("3d-groups2", 3, 1, 2, 4, (2, 2, 3), (2, 2, 2), stride=2, groups=2, bias=True),
    TCase("3d-unbatched", 3, None, 2, 2, (2, 2, 2), (3, 3, 3), stride=2, padding=1, output_padding=1),
]
