"""conv_transpose1d/2d/3d and the three teaching views checked against PyTorch.

Expected values come from torch.nn.functional.conv_transpose*, from torch autograd (the
transposed convolution is the gradient of the convolution), from the adjoint identity
<conv(x), y> = <x, conv_transpose(y)>, or from the source article's worked example.
"""

from __future__ import annotations


import numpy as np
import pytest
import torch
import torch.nn.functional as F

import convtutor as ct

from _torch_support import TOL, TORCH_CONV, TORCH_CONV_T, TRANSPOSED_CASES, tt, torch_conv_t

torch.set_num_threads(1)

CONV = {1: ct.conv1d, 2: ct.conv2d, 3: ct.conv3d}
CONV_T = {1: ct.conv_transpose1d, 2: ct.conv_transpose2d, 3: ct.conv_transpose3d}
VIEWS = {
    "scatter": ct.conv_transpose_scatter,
    "as_conv": ct.conv_transpose_as_conv,
    "matrix": ct.conv_transpose_matrix,
}


CASES = TRANSPOSED_CASES
IDS = [c.id for c in CASES]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv_transpose_matches_torch(case, dtype, rng, transposed_path):
    x, w, b = case.arrays(rng, dtype)
    expected = torch_conv_t(case.nd, x, w, b, **case.kwargs())
    out = CONV_T[case.nd](x, w, b, **case.kwargs())
    assert out.dtype == dtype
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **TOL[dtype])


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_teaching_views_match_torch(case, view, rng):
    x, w, b = case.arrays(rng)
    expected = torch_conv_t(case.nd, x, w, b, **case.kwargs())
    out = VIEWS[view](x, w, b, **case.kwargs())
    assert out.dtype == np.float64
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **TOL[np.float64])


@pytest.mark.parametrize("case", CASES[::4], ids=IDS[::4])
def test_teaching_views_agree_with_each_other_and_keep_float32(case, rng):
    x, w, b = case.arrays(rng, np.float32)
    outs = {name: f(x, w, b, **case.kwargs()) for name, f in VIEWS.items()}
    outs["fast"] = CONV_T[case.nd](x, w, b, **case.kwargs())
    for name, out in outs.items():
        assert out.dtype == np.float32, name
        np.testing.assert_allclose(out, outs["scatter"], **TOL[np.float32], err_msg=name)


@pytest.mark.parametrize("case", [c for c in CASES if c.id in {"1d-s2-op1", "2d-asym", "2d-groups3-bias",
                                                                 "3d-groups2"}], ids=lambda c: c.id)
def test_integer_inputs_give_exact_integer_results(case, rng, transposed_path):
    x, w, b = case.arrays(rng)
    x = rng.integers(-5, 6, x.shape)
    w = rng.integers(-3, 4, w.shape)
    b = None if b is None else rng.integers(-9, 10, b.shape)
    expected = torch_conv_t(case.nd, x * 1.0, w * 1.0, None if b is None else b * 1.0, **case.kwargs())
    for f in (CONV_T[case.nd], *VIEWS.values()):
        out = f(x, w, b, **case.kwargs())
        assert out.dtype.kind == "i", f.__name__
        np.testing.assert_array_equal(out, expected.astype(np.int64), err_msg=f.__name__)


def test_mixed_dtypes_promote_like_numpy(rng, transposed_path):
    x = rng.standard_normal((1, 2, 3, 3)).astype(np.float32)
    w = rng.standard_normal((2, 2, 3, 3))
    out = ct.conv_transpose2d(x, w, stride=2)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, torch_conv_t(2, x.astype(np.float64), w, stride=2), **TOL[np.float64])


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_zero_batch(nd, rng, transposed_path):
    x = np.zeros((0, 2) + (3,) * nd)
    w = rng.standard_normal((2, 3) + (2,) * nd)
    assert CONV_T[nd](x, w, stride=2).shape == torch_conv_t(nd, x, w, stride=2).shape


@pytest.mark.parametrize("case", [c for c in CASES if c.id in {"1d-s2-op1", "2d-asym", "2d-unbatched",
                                                                 "3d-groups2"}], ids=lambda c: c.id)
def test_read_only_inputs_work_and_are_not_modified(case, rng, transposed_path):
    x, w, b = case.arrays(rng)
    copies = [None if a is None else a.copy() for a in (x, w, b)]
    for a in (x, w, b):
        if a is not None:
            a.flags.writeable = False
    expected = torch_conv_t(case.nd, x, w, b, **case.kwargs())
    for f in (CONV_T[case.nd], *VIEWS.values()):
        out = f(x, w, b, **case.kwargs())
        np.testing.assert_allclose(out, expected, **TOL[np.float64], err_msg=f.__name__)
        assert not np.shares_memory(out, x)
    for a, c in zip((x, w, b), copies):
        if a is not None:
            np.testing.assert_array_equal(a, c)
    z = np.arange(6.0).reshape(2, 3)
    z.flags.writeable = False
    np.testing.assert_array_equal(ct.insert_zeros(z, 2), [[0, 0, 1, 0, 2], [0, 0, 0, 0, 0], [3, 0, 4, 0, 5]])


def test_writable_inputs_are_not_modified(rng, transposed_path):
    case = CASES[IDS.index("2d-groups3-bias")]
    x, w, b = case.arrays(rng)
    copies = [a.copy() for a in (x, w, b)]
    for f in (CONV_T[2], *VIEWS.values()):
        f(x, w, b, **case.kwargs())
    ct.insert_zeros(x, 2)
    for a, c in zip((x, w, b), copies):
        np.testing.assert_array_equal(a, c)


# ------------------------------------------------ the adjoint identity and the gradient

ADJOINT = [
    # (nd, c_in, c_out, size, kernel, stride, padding, dilation, groups) of the *convolution*
    (1, 2, 3, (9,), (3,), 2, 1, 1, 1),
    (1, 4, 2, (10,), (2,), 3, 0, 2, 2),
    (2, 1, 1, (5, 5), (3, 3), 2, 0, 1, 1),
    (2, 1, 1, (6, 6), (3, 3), 2, 1, 1, 1),
    (2, 3, 3, (7, 6), (3, 2), (2, 1), (1, 0), (1, 2), 3),
    (2, 2, 4, (8, 9), (2, 3), (3, 2), (0, 1), (2, 1), 2),
    (2, 2, 2, (5, 5), (3, 3), 1, 2, 2, 1),
    (3, 2, 2, (5, 4, 6), (2, 3, 2), (2, 1, 2), (1, 1, 0), (1, 1, 2), 2),
]


def _adjoint_setup(cfg, rng):
    nd, c_in, c_out, size, kernel, stride, padding, dilation, groups = cfg
    w = rng.standard_normal((c_out, c_in // groups, *kernel))
    x = rng.standard_normal((2, c_in, *size))
    y_shape = TORCH_CONV[nd](tt(x), tt(w), stride=stride, padding=padding, dilation=dilation,
                             groups=groups).shape
    y = rng.standard_normal(tuple(y_shape))
    # the output_padding that makes the transposed convolution return exactly x's shape:
    # the cells the strided convolution skips at the end, (i + 2p - d(k-1) - 1) mod s
    def per_dim(v):
        return v if isinstance(v, tuple) else (v,) * nd
    op = tuple((i + 2 * p - d * (k - 1) - 1) % s for i, p, d, k, s in
               zip(size, per_dim(padding), per_dim(dilation), kernel, per_dim(stride)))
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x, w, y, op, kw


@pytest.mark.parametrize("cfg", ADJOINT, ids=[str(i) for i in range(len(ADJOINT))])
def test_adjoint_identity(cfg, rng):
    nd = cfg[0]
    x, w, y, op, kw = _adjoint_setup(cfg, rng)
    cx = CONV[nd](x, w, **kw)
    lhs = float(np.sum(cx * y))
    for f in (CONV_T[nd], *VIEWS.values()):
        ty = f(y, w, output_padding=op, **kw)
        assert ty.shape == x.shape, f.__name__
        rhs = float(np.sum(x * ty))
        assert rhs == pytest.approx(lhs, rel=1e-10, abs=1e-10), f.__name__


@pytest.mark.parametrize("cfg", ADJOINT, ids=[str(i) for i in range(len(ADJOINT))])
def test_transposed_conv_is_the_gradient_of_conv(cfg, rng):
    nd = cfg[0]
    x, w, y, op, kw = _adjoint_setup(cfg, rng)
    xt = tt(x).requires_grad_(True)
    out = TORCH_CONV[nd](xt, tt(w), **kw)
    out.backward(tt(y))
    grad = xt.grad.numpy()
    np.testing.assert_allclose(CONV_T[nd](y, w, output_padding=op, **kw), grad, **TOL[np.float64])
    # the gradient with respect to x of <conv(x), y> does not depend on x: same for float32
    np.testing.assert_allclose(
        CONV_T[nd](y.astype(np.float32), w.astype(np.float32), output_padding=op, **kw), grad,
        rtol=1e-4, atol=1e-4,
    )


def test_conv_transpose_matrix_is_the_transpose_of_conv_matrix(rng):
    w = rng.standard_normal((3, 2, 3, 2))
    c = ct.conv_matrix((2, 6, 5), w, stride=2, padding=1)  # (3*3*3, 2*6*5)
    y = rng.standard_normal((3, 3, 3))
    out = ct.conv_transpose_matrix(y, w, stride=2, padding=1, output_padding=(1, 1))
    np.testing.assert_allclose(out.ravel(), c.T @ y.ravel(), **TOL[np.float64])
    np.testing.assert_allclose(out, torch_conv_t(2, y, w, stride=2, padding=1, output_padding=(1, 1)),
                               **TOL[np.float64])


# ------------------------------------------------ the source article's example

def test_article_example_5x5_to_2x2_and_back():
    # 5x5 input, 3x3 kernel, stride 2, no padding: the kernel fits at columns 0 and 2 of each
    # row of positions, so the output is 2x2; the transposed convolution maps 2x2 back to 5x5.
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    w = np.ones((1, 1, 3, 3))
    y = ct.conv2d(x, w, stride=2)
    assert y.shape == (1, 1, 2, 2)
    window_sums = [[x[0, 0, r:r + 3, c:c + 3].sum() for c in (0, 2)] for r in (0, 2)]
    np.testing.assert_array_equal(y[0, 0], window_sums)
    np.testing.assert_array_equal(y, F.conv2d(tt(x), tt(w), stride=2).numpy())

    back = ct.conv_transpose2d(np.ones((1, 1, 2, 2)), w, stride=2)
    assert back.shape == (1, 1, 5, 5)
    # four 3x3 copies of the kernel, two cells apart: the middle row/column is covered twice
    cover = np.array([1, 1, 2, 1, 1.0])
    np.testing.assert_array_equal(back[0, 0], np.outer(cover, cover))
    for f in VIEWS.values():
        np.testing.assert_array_equal(f(np.ones((1, 1, 2, 2)), w, stride=2), back)
    np.testing.assert_array_equal(back, torch_conv_t(2, np.ones((1, 1, 2, 2)), w, stride=2))


# ------------------------------------------------ insert_zeros

def test_insert_zeros_1d():
    np.testing.assert_array_equal(ct.insert_zeros(np.array([1, 2, 3]), 2), [1, 0, 2, 0, 3])
    np.testing.assert_array_equal(ct.insert_zeros(np.array([1, 2, 3]), 3), [1, 0, 0, 2, 0, 0, 3])
    np.testing.assert_array_equal(ct.insert_zeros(np.array([1, 2, 3]), 1), [1, 2, 3])
    np.testing.assert_array_equal(ct.insert_zeros(np.array([7]), 4), [7])
    assert ct.insert_zeros(np.array([1, 2], np.int16), 2).dtype == np.int16
    assert ct.insert_zeros(np.array([1.0, 2.0], np.float32), 2).dtype == np.float32


def test_insert_zeros_trailing_axes_only(rng):
    x = rng.standard_normal((2, 3, 3, 4))
    out = ct.insert_zeros(x, (2, 3))
    assert out.shape == (2, 3, (3 - 1) * 2 + 1, (4 - 1) * 3 + 1)
    expected = np.zeros(out.shape)
    for i in range(3):
        for j in range(4):
            expected[:, :, 2 * i, 3 * j] = x[:, :, i, j]
    np.testing.assert_array_equal(out, expected)
    # an int stride applies to every axis
    assert ct.insert_zeros(np.ones((2, 3)), 2).shape == (3, 5)


def test_insert_zeros_then_conv_is_the_transposed_conv(rng):
    # Dumoulin & Visin, relationship 12: stride s, no padding -> stretch the input with s-1 zeros,
    # pad k-1 on both sides, convolve with unit stride and the flipped kernel
    x = rng.standard_normal((1, 1, 3))
    w = rng.standard_normal((1, 1, 3))
    stretched = np.pad(ct.insert_zeros(x, (2,)), [(0, 0), (0, 0), (2, 2)])
    out = ct.conv1d(stretched, ct.flip_kernel(w))
    np.testing.assert_allclose(out, torch_conv_t(1, x, w, stride=2), **TOL[np.float64])


# ---------------------------------------------------------------- sub-pixel convolution

def test_pixel_shuffle_matches_torch(rng):
    x = rng.standard_normal((2, 18, 3, 4))
    np.testing.assert_array_equal(ct.transposed.pixel_shuffle(x, 3), F.pixel_shuffle(tt(x), 3).numpy())
    y = rng.standard_normal((2, 3, 6, 8))
    np.testing.assert_array_equal(ct.transposed.pixel_unshuffle(y, 2), F.pixel_unshuffle(tt(y), 2).numpy())


@pytest.mark.parametrize("k, s, p", [(4, 2, 1), (3, 2, 1), (2, 2, 0), (5, 3, 2), ((4, 3), (2, 3), (1, 0)),
                                     (1, 2, 0), (6, 2, 2), (3, 1, 1)])
def test_subpixel_convolution_is_the_transposed_convolution(k, s, p, rng):
    k2 = k if isinstance(k, tuple) else (k, k)
    x, w = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((3, 2, *k2))
    expected = F.conv_transpose2d(tt(x), tt(w), stride=s, padding=p).numpy()
    np.testing.assert_allclose(ct.transposed.conv_transpose_subpixel(x, w, s, p), expected, **TOL[np.float64])
    # and written out: a convolution with C_out * s * s channels, then torch's own PixelShuffle (equal s)
    if not isinstance(s, tuple):
        w_sub, pads, trim = ct.transposed.subpixel_weight(w, s, p)
        padded = F.pad(tt(x), (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
        shuffled = F.pixel_shuffle(F.conv2d(padded, tt(w_sub)), s).numpy()
        np.testing.assert_allclose(shuffled[..., : shuffled.shape[2] - trim[0], : shuffled.shape[3] - trim[1]],
                                   expected, **TOL[np.float64])


def test_subpixel_errors():
    with pytest.raises(ValueError, match=r"its channel count must be a multiple of 4"):
        ct.transposed.pixel_shuffle(np.ones((1, 6, 2, 2)), 2)
    with pytest.raises(ValueError, match=r"height and width must be multiples of 2"):
        ct.transposed.pixel_unshuffle(np.ones((1, 1, 3, 4)), 2)
    with pytest.raises(ValueError, match=r"weight must be a 2-D transposed weight"):
        ct.transposed.subpixel_weight(np.ones((1, 1, 3)), 2)
