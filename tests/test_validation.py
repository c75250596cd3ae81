"""Every validation rule: the exception type, a message naming the parameter and the rule, and
(where torch has the same function) proof that torch rejects the same call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import convtutor as ct

torch.set_num_threads(1)

TORCH_ERRORS = (RuntimeError, ValueError, TypeError)  # NotImplementedError is a RuntimeError
CONV = {1: ct.conv1d, 2: ct.conv2d, 3: ct.conv3d}
CONV_T = {1: ct.conv_transpose1d, 2: ct.conv_transpose2d, 3: ct.conv_transpose3d}
TORCH_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
TORCH_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def ones(*shape, dtype=np.float64):
    return np.ones(shape, dtype=dtype)


@dataclass
class Bad:
    """One invalid call: arrays, keyword arguments, the error convtutor must raise, and whether
    torch can be given the same arrays (False for arrays torch cannot even hold, like strings)."""

    id: str
    input: object
    weight: object
    kwargs: dict = field(default_factory=dict)
    bias: object = None
    exc: type = ValueError
    match: str = ""
    torch_too: bool = True
    nd: int = 2


X, W = ones(1, 4, 5, 5), ones(6, 2, 3, 3)  # valid with groups=2
G2 = dict(groups=2)

CONV_CASES = [
    # channels and groups
    Bad("channel-mismatch", X, ones(6, 3, 3, 3), match=r"weight\.shape\[1\]=3 times groups=1 must equal in_channels=4"),
    Bad("channel-mismatch-unbatched", ones(4, 5, 5), ones(6, 3, 3, 3), match=r"in_channels=4 \(input\.shape\[0\]\)"),
    Bad("groups-not-dividing-in", ones(1, 3, 5, 5), ones(6, 1, 3, 3), G2, match=r"groups=2 must divide in_channels=3"),
    Bad("groups-not-dividing-out", X, ones(5, 2, 3, 3), G2, match=r"groups=2 must divide out_channels=5"),
    Bad("groups-0", X, W, dict(groups=0), match=r"groups=0 must be >= 1"),
    Bad("groups-negative", X, W, dict(groups=-2), match=r"groups=-2 must be >= 1"),
    Bad("groups-float", X, ones(6, 4, 3, 3), dict(groups=1.0), exc=TypeError, match=r"groups must be an int"),
    Bad("groups-bool", X, ones(6, 4, 3, 3), dict(groups=True), exc=TypeError, match=r"groups must be an int"),
    # stride and dilation
    Bad("stride-0", X, W, dict(stride=0, **G2), match=r"stride=0 must be >= 1"),
    Bad("stride-tuple-0", X, W, dict(stride=(1, 0), **G2), match=r"stride=\(1, 0\) must be >= 1"),
    Bad("stride-negative", X, W, dict(stride=-1, **G2), match=r"stride=-1 must be >= 1"),
    Bad("stride-1.5", X, W, dict(stride=1.5, **G2), exc=TypeError, match=r"stride must be an int or a tuple of 2 ints"),
    Bad("stride-bool", X, W, dict(stride=True, **G2), exc=TypeError, match=r"stride must be an int"),
    Bad("stride-str", X, W, dict(stride="2", **G2), exc=TypeError, match=r"stride must be an int"),
    Bad("dilation-0", X, W, dict(dilation=0, **G2), match=r"dilation=0 must be >= 1"),
    Bad("dilation-negative", X, W, dict(dilation=(1, -1), **G2), match=r"dilation=\(1, -1\) must be >= 1"),
    Bad("dilation-float-in-tuple", X, W, dict(dilation=(1, 2.0), **G2), exc=TypeError,
        match=r"dilation must contain only ints"),
    # padding
    Bad("padding-negative", X, W, dict(padding=-1, **G2), match=r"padding=-1 must be >= 0"),
    Bad("padding-tuple-negative", X, W, dict(padding=(1, -1), **G2), match=r"padding=\(1, -1\) must be >= 0"),
    Bad("padding-float", X, W, dict(padding=1.0, **G2), exc=TypeError, match=r"padding must be an int"),
    Bad("padding-unknown-string", X, W, dict(padding="foo", **G2), match=r"padding='foo' is not one of 'valid', 'same'"),
    Bad("padding-uppercase-string", X, W, dict(padding="SAME", **G2), match=r"padding='SAME' is not one of"),
    Bad("same-with-stride-2", X, W, dict(padding="same", stride=2, **G2), match=r"padding='same' needs stride=1"),
    Bad("same-with-stride-1-2", X, W, dict(padding="same", stride=(1, 2), **G2),
        match=r"padding='same' needs stride=1 in every dimension, got stride=\(1, 2\)"),
    # tuples of the wrong length
    Bad("stride-3-values", X, W, dict(stride=(1, 1, 1), **G2), match=r"stride=\(1, 1, 1\) must have 2 values"),
    Bad("padding-3-values", X, W, dict(padding=(1, 1, 1), **G2), match=r"padding=\(1, 1, 1\) must have 2 values"),
    Bad("dilation-3-values", X, W, dict(dilation=[1, 1, 1], **G2), match=r"dilation=\(1, 1, 1\) must have 2 values"),
    Bad("conv3d-stride-2-values", ones(1, 1, 3, 3, 3), ones(1, 1, 2, 2, 2), dict(stride=(1, 1)), nd=3,
        match=r"stride=\(1, 1\) must have 3 values"),
    # kernel against input
    Bad("kernel-larger-than-input", X, ones(6, 2, 6, 6), G2,
        match=r"^in dimension 0, kernel_size=6 with dilation=1 spans d\*\(k-1\)\+1 = 6 cells, more than the "
              r"padded input size = input_size \+ padding = 5\+0\+0 = 5: the output would be empty$"),
    Bad("dilated-kernel-larger", X, W, dict(dilation=3, **G2),
        match=r"kernel_size=3 with dilation=3 spans d\*\(k-1\)\+1 = 7 cells, more than the padded input size "
              r"= input_size \+ padding = 5\+0\+0 = 5"),
    Bad("kernel-larger-one-dim", ones(1, 1, 4, 9), ones(1, 1, 3, 5), dict(dilation=(2, 1)),
        match=r"in dimension 0, kernel_size=3 with dilation=2 spans d\*\(k-1\)\+1 = 5 cells"),
    Bad("kernel-1d-larger", ones(1, 1, 3), ones(1, 1, 4), nd=1, match=r"padded input size = input_size \+ padding = 3\+0\+0 = 3"),
    Bad("zero-size-spatial-input", ones(1, 4, 0, 5), W, G2, match=r"input_size=\(0, 5\) must be >= 1 in every dimension"),
    Bad("zero-size-kernel", X, ones(6, 2, 0, 3), G2, match=r"kernel_size=\(0, 3\) must be >= 1 in every dimension"),
    # dimensions
    Bad("input-2d", ones(5, 5), W, G2, match=r"input must be 3-D \(C_in, H, W\) or 4-D \(N, C_in, H, W\)"),
    Bad("input-5d", ones(1, 1, 4, 5, 5), W, G2, match=r"input must be 3-D .* got 5-D"),
    Bad("conv1d-input-4d", X, ones(6, 4, 3), nd=1, match=r"conv1d: input must be 2-D"),
    Bad("weight-3d", X, ones(6, 4, 3), match=r"weight must be 4-D"),
    Bad("weight-5d", X, ones(6, 2, 3, 3, 3), G2, match=r"weight must be 4-D .* got 5-D"),
    # bias
    Bad("bias-wrong-length", X, W, G2, bias=ones(5), match=r"bias must have shape \(6,\)"),
    Bad("bias-2d", X, W, G2, bias=ones(6, 1), match=r"bias must have shape \(6,\)"),
    Bad("bias-scalar", X, W, G2, bias=np.float64(1.0), match=r"bias must have shape \(6,\)"),
    # non-numeric arrays
    Bad("input-bool", X.astype(bool), W, G2, exc=TypeError,
        match=r"input must be a real numeric array .* got dtype bool"),
    Bad("weight-bool", X, W.astype(bool), G2, exc=TypeError, match=r"weight must be a real numeric array"),
    Bad("input-strings", np.full((1, 4, 5, 5), "a"), W, G2, exc=TypeError, torch_too=False,
        match=r"input must be a real numeric array"),
    Bad("input-object", X.astype(object), W, G2, exc=TypeError, torch_too=False,
        match=r"input must be a real numeric array .* got dtype object"),
    Bad("weight-strings", X, np.full((6, 2, 3, 3), "w"), G2, exc=TypeError, torch_too=False,
        match=r"weight must be a real numeric array"),
    Bad("bias-strings", X, W, G2, bias=np.array(list("abcdef")), exc=TypeError, torch_too=False,
        match=r"bias must be a real numeric array"),
    Bad("input-ragged-list", [[[1.0, 2.0], [3.0]]], ones(1, 1, 1), nd=1, exc=TypeError, torch_too=False,
        match=r"input must be a numeric array"),
    # torch computes complex convolutions; convtutor is real-only by design
    Bad("input-complex", X.astype(complex), W, G2, exc=TypeError, torch_too=False,
        match=r"input must be a real numeric array .* complex128"),
]


def _torch_args(case: Bad):
    return [None if a is None else torch.as_tensor(np.asarray(a)) for a in (case.input, case.weight, case.bias)]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: c.id)
def test_conv_rejects(case):
    with pytest.raises(case.exc, match=case.match):
        CONV[case.nd](case.input, case.weight, case.bias, **case.kwargs)


# conv_loops reads the number of spatial dimensions from the weight, so a weight of the wrong
# rank is a different mistake there (covered by the input-rank rule); every other rule is shared
@pytest.mark.parametrize("case", [c for c in CONV_CASES if c.id not in {"weight-3d", "weight-5d"}],
                         ids=lambda c: c.id)
def test_conv_loops_rejects(case):
    with pytest.raises(case.exc, match=case.match):
        ct.conv_loops(case.input, case.weight, case.bias, **case.kwargs)


def test_conv_loops_weight_rank_sets_the_dimensions():
    with pytest.raises(ValueError, match=r"conv1d: input must be 2-D \(C_in, L\) or 3-D"):
        ct.conv_loops(X, ones(6, 4, 3))
    with pytest.raises(ValueError, match=r"^groups=2 must divide in_channels=1$"):
        ct.conv_loops(X, ones(6, 2, 3, 3, 3), groups=2)


@pytest.mark.parametrize("case", [c for c in CONV_CASES if c.torch_too], ids=lambda c: c.id)
def test_torch_rejects_the_same_conv(case):
    x, w, b = _torch_args(case)
    with pytest.raises(TORCH_ERRORS):
        TORCH_CONV[case.nd](x, w, b, **case.kwargs)


XT, WT = ones(1, 4, 3, 3), ones(4, 3, 3, 3)

TRANSPOSED_CASES = [
    Bad("output-padding-equal-stride", XT, WT, dict(stride=2, output_padding=2),
        match=r"^in dimension 0, output_padding=2 must be smaller than stride=2 or dilation=1$"),
    Bad("output-padding-stride-1", XT, WT, dict(output_padding=1), match=r"output_padding=1 must be smaller"),
    Bad("output-padding-one-dim", XT, WT, dict(stride=(1, 2), output_padding=(0, 2)),
        match=r"in dimension 1, output_padding=2 must be smaller than stride=2"),
    Bad("output-padding-stride-1-dim-0", XT, WT, dict(output_padding=(1, 0)),
        match=r"in dimension 0, output_padding=1 must be smaller"),
    Bad("output-padding-not-below-dilation", XT, WT, dict(stride=2, dilation=3, output_padding=3),
        match=r"in dimension 0, output_padding=3 must be smaller than stride=2 or dilation=3"),
    Bad("output-padding-negative", XT, WT, dict(output_padding=-1), match=r"output_padding=-1 must be >= 0"),
    Bad("output-padding-3-values", XT, WT, dict(stride=2, output_padding=(1, 1, 1)),
        match=r"output_padding=\(1, 1, 1\) must have 2 values"),
    Bad("empty-output", XT, WT, dict(padding=3),
        match=r"the output size \(i-1\)\*s - p_before - p_after \+ d\*\(k-1\) \+ output_padding \+ 1 = "
              r"\(3-1\)\*1 - 3 - 3 \+ 1\*\(3-1\) \+ 0 \+ 1 = -1 is below 1: padding=3\+3 crops everything"),
    Bad("empty-output-1x1", ones(1, 4, 1, 1), ones(4, 3, 1, 1), dict(padding=1), match=r"is below 1"),
    Bad("padding-negative", XT, WT, dict(padding=-1), match=r"padding=-1 must be >= 0"),
    Bad("padding-same", XT, WT, dict(padding="same"), exc=TypeError,
        match=r"padding must be an int, a tuple of 2 ints or of 2 \(before, after\) pairs for a transposed "
              r"convolution, got the string 'same'"),
    Bad("padding-3-values", XT, WT, dict(padding=(0, 0, 0)), match=r"padding=\(0, 0, 0\) must have 2 values"),
    Bad("channel-mismatch", XT, ones(3, 3, 3, 3), match=r"weight\.shape\[0\]=3 must equal in_channels=4"),
    Bad("groups-not-dividing-in", ones(1, 3, 3, 3), ones(3, 3, 3, 3), dict(groups=2),
        match=r"groups=2 must divide in_channels=3"),
    Bad("groups-0", XT, WT, dict(groups=0), match=r"groups=0 must be >= 1"),
    Bad("stride-0", XT, WT, dict(stride=0), match=r"stride=0 must be >= 1"),
    Bad("dilation-0", XT, WT, dict(dilation=0), match=r"dilation=0 must be >= 1"),
    Bad("stride-1.5", XT, WT, dict(stride=1.5), exc=TypeError, match=r"stride must be an int"),
    Bad("bias-wrong-length", XT, WT, bias=ones(4), match=r"bias must have shape \(3,\)"),
    Bad("bias-2d", XT, WT, bias=ones(3, 1), match=r"bias must have shape \(3,\)"),
    Bad("zero-size-spatial-input", ones(1, 4, 0, 3), WT, match=r"input_size=\(0, 3\) must be >= 1 in every dimension"),
    Bad("zero-size-kernel", XT, ones(4, 3, 0, 3), match=r"kernel_size=\(0, 3\) must be >= 1 in every dimension"),
    Bad("input-2d", ones(3, 3), WT, match=r"input must be 3-D"),
    Bad("input-5d", ones(1, 1, 4, 3, 3), WT, match=r"input must be 3-D .* got 5-D"),
    Bad("weight-5d", XT, ones(4, 3, 3, 3, 3), match=r"weight must be 4-D \(C_in, C_out/groups, kH, kW\)"),
    Bad("input-bool", XT.astype(bool), WT, exc=TypeError, match=r"input must be a real numeric array"),
    Bad("input-strings", np.full((1, 4, 3, 3), "x"), WT, exc=TypeError, torch_too=False,
        match=r"input must be a real numeric array"),
]


@pytest.mark.parametrize("case", TRANSPOSED_CASES, ids=lambda c: c.id)
def test_conv_transpose_rejects(case):
    with pytest.raises(case.exc, match=case.match):
        CONV_T[case.nd](case.input, case.weight, case.bias, **case.kwargs)


@pytest.mark.parametrize("view", [ct.conv_transpose_scatter, ct.conv_transpose_as_conv, ct.conv_transpose_matrix],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("case", [c for c in TRANSPOSED_CASES if c.weight is WT or c.weight.ndim == 4],
                         ids=lambda c: c.id)
def test_conv_transpose_views_reject(case, view):
    with pytest.raises(case.exc, match=case.match):
        view(case.input, case.weight, case.bias, **case.kwargs)


@pytest.mark.parametrize("case", [c for c in TRANSPOSED_CASES if c.torch_too], ids=lambda c: c.id)
def test_torch_rejects_the_same_conv_transpose(case):
    x, w, b = _torch_args(case)
    with pytest.raises(TORCH_ERRORS):
        TORCH_CONV_T[case.nd](x, w, b, **case.kwargs)


def test_boundaries_that_are_valid():
    """The rules are not stricter than torch at their edges."""
    # kernel exactly as large as the padded input: one output cell
    assert ct.conv2d(X, ones(6, 2, 7, 7), padding=1, groups=2).shape == (1, 6, 1, 1)
    assert tuple(F.conv2d(torch.ones(1, 4, 5, 5), torch.ones(6, 2, 7, 7), padding=1, groups=2).shape) == (1, 6, 1, 1)
    # output_padding below dilation though not below stride
    assert ct.conv_transpose2d(XT, WT, dilation=2, output_padding=1).shape == \
        tuple(F.conv_transpose2d(torch.ones(1, 4, 3, 3), torch.ones(4, 3, 3, 3), dilation=2, output_padding=1).shape)
    # padding that leaves exactly one cell
    assert ct.conv_transpose2d(XT, WT, padding=2).shape == (1, 3, 1, 1)
    # numpy integers are ints; bias of the right length; zero batch
    assert ct.conv2d(X, W, stride=np.int64(2), groups=np.int32(2)).shape == (1, 6, 2, 2)
    assert ct.conv2d(np.zeros((0, 4, 5, 5)), W, ones(6), groups=2).shape == (0, 6, 3, 3)


# ------------------------------------------------------------------ the other conv.py functions

def test_conv_loops_weight_needs_spatial_dims():
    with pytest.raises(ValueError, match=r"weight must be \(C_out, C_in/groups, \*kernel\)"):
        ct.conv_loops(ones(1, 2, 5), ones(2, 2))
    with pytest.raises(TypeError, match=r"weight must be a numeric array"):
        ct.conv_loops(ones(1, 1, 5), [[[1.0, 2.0], [3.0]]])


@pytest.mark.parametrize(
    "args, kwargs, exc, match, torch_call",
    [
        ((ones(1, 2, 4, 4), 5), {}, ValueError, r"padded input size = input_size \+ padding = 4\+0\+0 = 4",
         lambda: F.unfold(torch.ones(1, 2, 4, 4), 5)),
        ((ones(1, 2, 4, 4), 0), {}, ValueError, r"kernel_size=0 must be >= 1",
         lambda: F.unfold(torch.ones(1, 2, 4, 4), 0)),
        ((ones(1, 2, 4, 4), 2), dict(stride=0), ValueError, r"stride=0 must be >= 1",
         lambda: F.unfold(torch.ones(1, 2, 4, 4), 2, stride=0)),
        ((ones(1, 2, 4, 4), 2), dict(padding=-1), ValueError, r"padding=-1 must be >= 0",
         lambda: F.unfold(torch.ones(1, 2, 4, 4), 2, padding=-1)),
        ((ones(1, 2, 4, 4), 3.0), {}, TypeError, r"kernel_size must be an int", None),
        ((ones(1, 1, 2, 4, 4), (2, 2)), {}, ValueError, r"im2col: input must be 3-D .* or 4-D", None),
        ((np.full((1, 2, 4, 4), "s"), 2), {}, TypeError, r"input must be a real numeric array", None),
        (([[[1.0, 2.0], [3.0]]], 1), {}, TypeError, r"input must be a numeric array", None),
        ((ones(4, 4), 2), {}, ValueError, r"input must be 3-D .* or 4-D", None),
    ],
)
def test_im2col_rejects(args, kwargs, exc, match, torch_call):
    with pytest.raises(exc, match=match):
        ct.im2col(*args, **kwargs)
    if torch_call is not None:
        with pytest.raises(TORCH_ERRORS):
            torch_call()


def test_im2col_accepts_numpy_int_kernel_size():
    x = np.arange(50.0).reshape(1, 2, 5, 5)
    np.testing.assert_array_equal(ct.im2col(x, np.int64(3)), F.unfold(torch.from_numpy(x), 3).numpy())


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        ((5, ones(1, 1, 3)), {}, TypeError, r"input_shape must be a tuple"),
        (((1, 0), ones(1, 1, 3)), {}, ValueError, r"input_shape=\(1, 0\) must be >= 1"),
        (((1, 5.0), ones(1, 1, 3)), {}, TypeError, r"input_shape must contain only ints"),
        (((1, 5, 5), ones(1, 1, 3)), {}, ValueError,
         r"input_shape=\(1, 5, 5\) must have 2 entries \(C_in and 1 spatial size\) to match a weight"),
        (((2, 5, 5), ones(1, 1, 3, 3)), {}, ValueError, r"weight\.shape\[1\]=1 times groups=1 must equal in_channels=2"),
        (((2, 5, 5), ones(3, 1, 3, 3)), dict(groups=2), ValueError, r"groups=2 must divide out_channels=3"),
        (((1, 5, 5), ones(1, 1, 6, 3)), {}, ValueError, r"padded input size = input_size \+ padding = 5\+0\+0 = 5"),
        (((1, 5, 5), ones(1, 1, 3, 3)), dict(stride=2, padding="same"), ValueError, r"padding='same' needs stride=1"),
        (((1, 5), ones(1, 1)), {}, ValueError, r"weight must be \(C_out, C_in/groups, \*kernel\)"),
        (((1, 5), [[[1.0], [2.0, 3.0]]]), {}, TypeError, r"weight must be a numeric array"),
    ],
)
def test_conv_matrix_rejects(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ct.conv_matrix(*args, **kwargs)


def test_flip_kernel_rejects():
    with pytest.raises(ValueError, match=r"weight must have at least 3 dimensions"):
        ct.flip_kernel(ones(3, 3))
    with pytest.raises(TypeError, match=r"weight must be a real numeric array"):
        ct.flip_kernel(np.full((1, 1, 3), "k"))


@pytest.mark.parametrize(
    "args, exc, match",
    [
        ((ones(3), 0), ValueError, r"stride=0 must be >= 1"),
        ((ones(3, 3), (2, -1)), ValueError, r"stride=\(2, -1\) must be >= 1"),
        ((ones(3), 1.5), TypeError, r"stride must be an int or a tuple of ints, got 1\.5"),
        ((ones(3), True), TypeError, r"stride must be an int"),
        ((ones(3), (2, 2)), ValueError, r"stride=\(2, 2\) has more values than input has axes \(1\)"),
        ((ones(3), (2.0,)), TypeError, r"stride must contain only ints"),
        ((np.array(["a", "b"]), 2), TypeError, r"input must be a real numeric array"),
    ],
)
def test_insert_zeros_rejects(args, exc, match):
    with pytest.raises(exc, match=match):
        ct.insert_zeros(*args)


def test_teaching_view_weight_needs_spatial_dims():
    for view in (ct.conv_transpose_scatter, ct.conv_transpose_as_conv, ct.conv_transpose_matrix):
        with pytest.raises(ValueError, match=r"weight must be \(C_in, C_out/groups, \*kernel\)"):
            view(ones(1, 2, 3), ones(2, 2))
        with pytest.raises(TypeError, match=r"weight must be a numeric array"):
            view(ones(1, 1, 3), [[[1.0, 2.0], [3.0]]])


# ------------------------------------------------------------------ arithmetic

ARITHMETIC_CASES = [
    # conv_output_size
    (ct.conv_output_size, (0, 3), {}, ValueError, r"size=0 must be >= 1"),
    (ct.conv_output_size, ((5, 0), 3), {}, ValueError, r"size=\(5, 0\) must be >= 1"),
    (ct.conv_output_size, (5.0, 3), {}, TypeError, r"size must be an int or a non-empty tuple"),
    (ct.conv_output_size, (True, 3), {}, TypeError, r"size must be an int"),
    (ct.conv_output_size, ((), 3), {}, TypeError, r"size must be an int or a non-empty tuple"),
    (ct.conv_output_size, (5, 0), {}, ValueError, r"kernel_size=0 must be >= 1"),
    (ct.conv_output_size, (5, 1.5), {}, TypeError, r"kernel_size must be an int"),
    (ct.conv_output_size, ((5, 5), (3, 3, 3)), {}, ValueError, r"kernel_size=\(3, 3, 3\) must have 2 values"),
    (ct.conv_output_size, (4, 5), {}, ValueError,
     r"^in dimension 0, kernel_size=5 with dilation=1 spans d\*\(k-1\)\+1 = 5 cells, more than the padded input "
     r"size = input_size \+ padding = 4\+0\+0 = 4: the output would be empty$"),
    (ct.conv_output_size, (5, 3), dict(dilation=3), ValueError, r"kernel_size=3 with dilation=3 spans d\*\(k-1\)\+1 = 7"),
    (ct.conv_output_size, (5, 3), dict(stride=0), ValueError, r"stride=0 must be >= 1"),
    (ct.conv_output_size, (5, 3), dict(dilation=0), ValueError, r"dilation=0 must be >= 1"),
    (ct.conv_output_size, (5, 3), dict(padding=-1), ValueError, r"padding=-1 must be >= 0"),
    (ct.conv_output_size, (5, 3), dict(padding="foo"), ValueError, r"padding='foo' is not one of"),
    (ct.conv_output_size, (5, 3), dict(padding="same", stride=2), ValueError, r"padding='same' needs stride=1"),
    (ct.conv_output_size, ((5, 5), 3), dict(padding=(1,)), ValueError, r"padding=\(1,\) must have 2 values"),
    # conv_transpose_output_size
    (ct.conv_transpose_output_size, (3, 3), dict(stride=2, output_padding=2), ValueError,
     r"output_padding=2 must be smaller than stride=2 or dilation=1"),
    (ct.conv_transpose_output_size, (3, 3), dict(output_padding=1), ValueError,
     r"output_padding=1 must be smaller than stride=1 or dilation=1"),
    (ct.conv_transpose_output_size, (3, 3), dict(output_padding=-1), ValueError, r"output_padding=-1 must be >= 0"),
    (ct.conv_transpose_output_size, (1, 1), dict(padding=1), ValueError,
     r"= \(1-1\)\*1 - 1 - 1 \+ 1\*\(1-1\) \+ 0 \+ 1 = -1 is below 1: padding=1\+1 crops everything"),
    (ct.conv_transpose_output_size, (3, 3), dict(padding="same"), TypeError, r"padding must be an int"),
    (ct.conv_transpose_output_size, (0, 3), {}, ValueError, r"size=0 must be >= 1"),
    # pool_output_size
    (ct.pool_output_size, (5, 2), dict(padding=2), ValueError, r"padding=2 must be at most half of kernel_size=2"),
    (ct.pool_output_size, (2, 3), {}, ValueError, r"kernel_size=3 with dilation=1 spans d\*\(k-1\)\+1 = 3 cells"),
    (ct.pool_output_size, (1, 5), dict(stride=1, ceil_mode=True), ValueError,
     r"in dimension 0, no pooling window of kernel_size=5 \(dilation 1\) starts inside the input"),
    (ct.pool_output_size, (5, 2), dict(stride=0), ValueError, r"stride=0 must be >= 1"),
    (ct.pool_output_size, (5, 0), {}, ValueError, r"kernel_size=0 must be >= 1"),
    # effective_kernel_size
    (ct.effective_kernel_size, (0,), {}, ValueError, r"kernel_size=0 must be >= 1"),
    (ct.effective_kernel_size, (3, 0), {}, ValueError, r"dilation=0 must be >= 1"),
    (ct.effective_kernel_size, (3.0,), {}, TypeError, r"kernel_size must be an int"),
    (ct.effective_kernel_size, ((3, 3), (1, 1, 1)), {}, ValueError, r"dilation=\(1, 1, 1\) must have 2 values"),
    # conv_parameters, conv_macs, conv_transpose_macs
    (ct.conv_parameters, (16, 32, 3), dict(groups=3), ValueError, r"groups=3 must divide in_channels=16"),
    (ct.conv_parameters, (16, 30, 3), dict(groups=4), ValueError, r"groups=4 must divide out_channels=30"),
    (ct.conv_parameters, (0, 32, 3), {}, ValueError, r"in_channels=0 must be >= 1"),
    (ct.conv_parameters, (16, 0, 3), {}, ValueError, r"out_channels=0 must be >= 1"),
    (ct.conv_parameters, (16, 32, 3), dict(groups=0), ValueError, r"groups=0 must be >= 1"),
    (ct.conv_parameters, (16, 32, 3), dict(bias=1), TypeError, r"bias must be True or False"),
    (ct.conv_parameters, (16, 32, 3), dict(dims=0), ValueError, r"dims=0 must be >= 1"),
    (ct.conv_parameters, (16, 32, (3, 0)), {}, ValueError, r"kernel_size=\(3, 0\) must be >= 1"),
    (ct.conv_parameters, (16, 32, 3.0), {}, TypeError, r"kernel_size must be an int"),
    (ct.conv_parameters, (16.0, 32, 3), {}, TypeError, r"in_channels must be an int"),
    (ct.conv_macs, (2, 2, 3, 0), {}, ValueError, r"output_size=0 must be >= 1"),
    (ct.conv_macs, (2, 2, 3, ()), {}, TypeError, r"output_size must be an int or a non-empty tuple"),
    (ct.conv_macs, (2, 2, (3, 3), (4, 4, 4)), {}, ValueError, r"kernel_size=\(3, 3\) must have 3 values"),
    (ct.conv_macs, (2, 3, 3, 4), dict(groups=2), ValueError, r"groups=2 must divide out_channels=3"),
    (ct.conv_transpose_macs, (2, 2, 3, (3, 0)), {}, ValueError, r"input_size=\(3, 0\) must be >= 1"),
    (ct.conv_transpose_macs, (3, 2, 3, 4), dict(groups=2), ValueError, r"groups=2 must divide in_channels=3"),
    # receptive_field
    (ct.receptive_field, ([(3, 0)],), {}, ValueError, r"layers\[0\]\.stride=0 must be >= 1"),
    (ct.receptive_field, ([3, (3, 1, -1)],), {}, ValueError, r"layers\[1\]\.padding=-1 must be >= 0"),
    (ct.receptive_field, ([(3, 1, 0, 0)],), {}, ValueError, r"layers\[0\]\.dilation=0 must be >= 1"),
    (ct.receptive_field, ([0],), {}, ValueError, r"layers\[0\]\.kernel_size=0 must be >= 1"),
    (ct.receptive_field, ([ct.Layer(3.5)],), {}, TypeError, r"layers\[0\]\.kernel_size must be an int"),
    (ct.receptive_field, ([dict(kernel=3)],), {}, ValueError, r"layers\[0\] has unknown keys \['kernel'\]"),
    (ct.receptive_field, ([dict(stride=2)],), {}, TypeError, r"kernel_size"),
    (ct.receptive_field, (["abc"],), {}, TypeError, r"layers\[0\] must be a Layer, a mapping, a tuple"),
    (ct.receptive_field, ([(1, 2, 3, 4, 5)],), {}, TypeError, r"layers\[0\] must be a Layer"),
    (ct.receptive_field, ([3.0],), {}, TypeError, r"layers\[0\] must be a Layer"),
    # resolve_padding
    (ct.resolve_padding, ("same", (3,), (1,), (2,)), {}, ValueError, r"padding='same' needs stride=1"),
    (ct.resolve_padding, ("half", (3,), (1,), (1,)), {}, ValueError, r"padding='half' is not one of"),
    (ct.resolve_padding, ((1,), (3, 3), (1, 1), (1, 1)), {}, ValueError, r"padding=\(1,\) must have 2 values"),
    (ct.resolve_padding, (None, (3,), (1,), (1,)), {}, TypeError, r"padding must be an int"),
]


@pytest.mark.parametrize(
    "fn, args, kwargs, exc, match", ARITHMETIC_CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(ARITHMETIC_CASES)],
)
def test_arithmetic_rejects(fn, args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fn(*args, **kwargs)


@pytest.mark.parametrize(
    "ct_call, torch_call",
    [
        (lambda: ct.conv_output_size(4, 5),
         lambda: F.conv1d(torch.ones(1, 1, 4), torch.ones(1, 1, 5))),
        (lambda: ct.conv_output_size(5, 3, dilation=3),
         lambda: F.conv1d(torch.ones(1, 1, 5), torch.ones(1, 1, 3), dilation=3)),
        (lambda: ct.conv_output_size(5, 3, padding="same", stride=2),
         lambda: F.conv1d(torch.ones(1, 1, 5), torch.ones(1, 1, 3), padding="same", stride=2)),
        (lambda: ct.conv_transpose_output_size(3, 3, stride=2, output_padding=2),
         lambda: F.conv_transpose1d(torch.ones(1, 1, 3), torch.ones(1, 1, 3), stride=2, output_padding=2)),
        (lambda: ct.conv_transpose_output_size(1, 1, padding=1),
         lambda: F.conv_transpose1d(torch.ones(1, 1, 1), torch.ones(1, 1, 1), padding=1)),
        (lambda: ct.pool_output_size(5, 2, padding=2),
         lambda: torch.nn.MaxPool1d(2, padding=2)(torch.ones(1, 1, 5))),
        (lambda: ct.pool_output_size(2, 3),
         lambda: torch.nn.MaxPool1d(3)(torch.ones(1, 1, 2))),
        (lambda: ct.conv_parameters(16, 32, 3, groups=3), lambda: torch.nn.Conv2d(16, 32, 3, groups=3)),
        (lambda: ct.conv_parameters(16, 30, 3, groups=4), lambda: torch.nn.Conv2d(16, 30, 3, groups=4)),
    ],
)
def test_arithmetic_rejects_what_torch_rejects(ct_call, torch_call):
    with pytest.raises(ValueError):
        ct_call()
    with pytest.raises(TORCH_ERRORS):
        torch_call()


# ------------------------------------------------------------------ one message per size rule

def _message(fn):
    with pytest.raises(ValueError) as info:
        fn()
    return str(info.value)


@pytest.mark.parametrize("size, kernel, kw", [
    ((5, 5), (7, 3), {}),                              # kernel too large in dimension 0
    ((5, 6), (3, 3), dict(dilation=(1, 3))),           # the dilated kernel too large in dimension 1
    ((4, 4), (6, 6), dict(padding=((1, 0), (0, 0)))),  # uneven padding, still too small
])
def test_empty_output_has_one_message(size, kernel, kw):
    from convtutor.geometry import conv_geometry

    messages = {
        "conv_output_size": _message(lambda: ct.conv_output_size(size, kernel, **kw)),
        "conv_shape": _message(lambda: ct.conv_shape(size, kernel, **kw)),
        "conv_geometry": _message(lambda: conv_geometry(size, kernel, **kw)),
        "conv2d": _message(lambda: ct.conv2d(ones(1, 1, *size), ones(1, 1, *kernel), **kw)),
        "conv_loops": _message(lambda: ct.conv_loops(ones(1, 1, *size), ones(1, 1, *kernel), **kw)),
        "conv_matrix": _message(lambda: ct.conv_matrix((1, *size), ones(1, 1, *kernel), **kw)),
        "im2col": _message(lambda: ct.im2col(ones(1, 1, *size), kernel, **kw)),
    }
    assert len(set(messages.values())) == 1, messages
    assert "the output would be empty" in messages["conv2d"]


@pytest.mark.parametrize("size, kernel, kw", [
    ((3, 3), (3, 3), dict(stride=2, output_padding=(0, 2))),   # output_padding not below stride
    ((1, 2), (1, 3), dict(padding=(1, 0))),                     # the padding crops everything
])
def test_transposed_rules_have_one_message(size, kernel, kw):
    from convtutor.geometry import transposed_geometry

    x, w = ones(1, 1, *size), ones(1, 1, *kernel)
    messages = {
        "conv_transpose_output_size": _message(lambda: ct.conv_transpose_output_size(size, kernel, **kw)),
        "conv_transpose_shape": _message(lambda: ct.conv_transpose_shape(size, kernel, **kw)),
        "transposed_geometry": _message(lambda: transposed_geometry(size, kernel, **kw)),
        "conv_transpose2d": _message(lambda: ct.conv_transpose2d(x, w, **kw)),
        "conv_transpose_scatter": _message(lambda: ct.conv_transpose_scatter(x, w, **kw)),
        "conv_transpose_matrix": _message(lambda: ct.conv_transpose_matrix(x, w, **kw)),
    }
    assert len(set(messages.values())) == 1, messages


def test_channel_rule_has_one_message():
    messages = {
        _message(lambda: ct.conv_parameters(3, 4, 3, groups=2)),
        _message(lambda: ct.conv_macs(3, 4, 3, (5, 5), groups=2)),
        _message(lambda: ct.conv_shape((5, 5), 3, in_channels=3, out_channels=4, groups=2)),
        _message(lambda: ct.conv2d(ones(1, 3, 5, 5), ones(4, 1, 3, 3), groups=2)),
    }
    assert messages == {"groups=2 must divide in_channels=3"}
