"""Tests of convtutor.separable: SVD factors, separable convolutions against PyTorch, costs.

Expected values come from PyTorch (outputs, parameter counts of real modules, singular
values) or from the formulas written out here, never from convtutor itself.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from _torch_support import t64
from convtutor.arithmetic import (
    depthwise_separable_macs,
    depthwise_separable_parameters,
    mobilenet_cost_ratio,
    spatially_separable_macs,
)
from convtutor.separable import (
    LowRankApproximation,
    depthwise_conv2d,
    depthwise_separable_conv2d,
    is_separable,
    kernel_rank,
    low_rank_approximation,
    pointwise_conv2d,
    separate,
    spatially_separable_conv2d,
)

SOBEL_X = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
SOBEL_Y = SOBEL_X.T
LAPLACIAN = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]])


def random_rank(rng, shape, rank) -> np.ndarray:
    """A kernel that is a sum of ``rank`` random outer products (rank ``rank`` by construction)."""
    return sum(np.outer(rng.standard_normal(shape[0]), rng.standard_normal(shape[1])) for _ in range(rank))


# ---------------------------------------------------------------------------------- factors


def test_sobel_factors():
    column, row = separate(SOBEL_X)
    np.testing.assert_allclose(column, [1, 2, 1], atol=1e-12)
    np.testing.assert_allclose(row, [1, 0, -1], atol=1e-12)
    assert row[1] == 0 and not np.signbit(row[1])          # an exact, positive zero
    column, row = separate(SOBEL_Y)
    np.testing.assert_allclose(column, [1, 0, -1], atol=1e-12)
    np.testing.assert_allclose(row, [1, 2, 1], atol=1e-12)
    assert column.dtype == np.float64 and column.shape == (3,) and row.shape == (3,)


def test_separate_keeps_float32():
    column, row = separate(SOBEL_X.astype(np.float32))
    assert column.dtype == np.float32 and row.dtype == np.float32
    np.testing.assert_allclose(np.outer(column, row), SOBEL_X, atol=1e-5)


@pytest.mark.parametrize("shape", [(3, 3), (5, 5), (1, 4), (4, 1), (2, 7), (7, 3)])
def test_random_rank_one_kernels_recovered(rng, shape):
    for _ in range(5):
        a, b = rng.standard_normal(shape[0]), rng.standard_normal(shape[1])
        kernel = np.outer(a, b)
        assert kernel_rank(kernel) == 1
        assert is_separable(kernel)
        column, row = separate(kernel)
        np.testing.assert_allclose(np.outer(column, row), kernel, rtol=1e-10, atol=1e-12)
        # the column is a multiple of a whose first entry is 1
        np.testing.assert_allclose(column, a / a[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(row, b * a[0], rtol=1e-10, atol=1e-12)


def test_normalisation_skips_leading_zeros():
    kernel = np.outer([0.0, -2.0, 3.0], [1.0, 0.5])
    column, row = separate(kernel)
    np.testing.assert_allclose(column, [0.0, 1.0, -1.5], atol=1e-12)
    np.testing.assert_allclose(row, [-2.0, -1.0], atol=1e-12)
    assert column[0] == 0


@given(
    st.lists(st.integers(-5, 5), min_size=1, max_size=6),
    st.lists(st.integers(-5, 5), min_size=1, max_size=6),
)
def test_integer_outer_products_are_separable(a, b):
    kernel = np.outer(a, b)
    separable = is_separable(kernel)
    assert separable                                           # rank 0 or 1
    column, row = separate(kernel)
    np.testing.assert_allclose(np.outer(column, row), kernel, atol=1e-9)
    nonzero = np.flatnonzero(column)
    if nonzero.size:
        assert column[nonzero[0]] == pytest.approx(1.0)
    else:
        assert not np.any(kernel)


def test_zero_kernel():
    assert kernel_rank(np.zeros((3, 3))) == 0
    assert is_separable(np.zeros((2, 3)))
    column, row = separate(np.zeros((2, 3)))
    assert column.shape == (2,) and row.shape == (3,) and not column.any() and not row.any()


@pytest.mark.parametrize("rank", [2, 3])
def test_full_rank_kernels_are_not_separable(rng, rank):
    kernel = random_rank(rng, (5, 4), rank)
    assert kernel_rank(kernel) == rank
    assert int(torch.linalg.matrix_rank(t64(kernel))) == rank   # independent check of the construction
    assert not is_separable(kernel)
    with pytest.raises(ValueError, match=rf"rank is {rank}\b"):
        separate(kernel)


def test_laplacian_is_not_separable():
    assert kernel_rank(LAPLACIAN) == 2
    with pytest.raises(ValueError, match=r"not separable: its rank is 2"):
        separate(LAPLACIAN)


def test_tolerance_accepts_nearly_separable(rng):
    kernel = np.outer(rng.standard_normal(4), rng.standard_normal(4)) + 1e-7 * rng.standard_normal((4, 4))
    assert not is_separable(kernel)
    assert is_separable(kernel, tol=1e-4)
    column, row = separate(kernel, tol=1e-4)
    # the factors are the best rank-1 approximation (Eckart-Young): torch's SVD gives it too
    u, s, vh = torch.linalg.svd(t64(kernel))
    best = (s[0] * torch.outer(u[:, 0], vh[0])).numpy()
    np.testing.assert_allclose(np.outer(column, row), best, atol=1e-12)
    assert kernel_rank(kernel, tol=0.0) == 4


# ----------------------------------------------------------------------- low-rank approximation


@pytest.mark.parametrize("shape", [(3, 3), (5, 5), (4, 7)])
def test_low_rank_error_matches_eckart_young(rng, shape):
    kernel = rng.standard_normal(shape)
    sv = torch.linalg.svdvals(t64(kernel)).numpy()
    for r in range(1, min(shape) + 1):
        result = low_rank_approximation(kernel, r)
        assert isinstance(result, LowRankApproximation)
        expected = math.sqrt(float(np.sum(sv[r:] ** 2))) / float(torch.linalg.norm(t64(kernel)))
        assert result.relative_error == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert result.approximation.shape == shape
        assert result.columns.shape == (shape[0], r) and result.rows.shape == (r, shape[1])
        np.testing.assert_allclose(result.columns @ result.rows, result.approximation, atol=1e-12)
        assert int(torch.linalg.matrix_rank(t64(result.approximation))) == r
        # direct definition of the error
        direct = np.linalg.norm(kernel - result.approximation) / np.linalg.norm(kernel)
        assert result.relative_error == pytest.approx(direct, rel=1e-9, abs=1e-12)


def test_low_rank_beats_other_rank_one_kernels(rng):
    kernel = rng.standard_normal((5, 5))
    best = low_rank_approximation(kernel, 1).relative_error
    for _ in range(50):
        other = np.outer(rng.standard_normal(5), rng.standard_normal(5))
        # even the optimally scaled other rank-1 kernel is no closer
        scale = np.sum(other * kernel) / np.sum(other * other)
        assert np.linalg.norm(kernel - scale * other) / np.linalg.norm(kernel) >= best - 1e-12


def test_laplacian_rank_one_error():
    # eigenvalues of the Laplacian stencil: 0 and -2 +- sqrt(6)
    big, small = 2 + math.sqrt(6), math.sqrt(6) - 2
    result = low_rank_approximation(LAPLACIAN, 1)
    assert result.relative_error == pytest.approx(small / math.hypot(big, small), rel=1e-12)
    assert low_rank_approximation(LAPLACIAN, 2).relative_error == pytest.approx(0, abs=1e-12)


def test_low_rank_of_zero_kernel():
    result = low_rank_approximation(np.zeros((3, 3)), 1)
    assert result.relative_error == 0.0 and not result.approximation.any()


def test_sum_of_separable_convs_equals_low_rank_conv(rng):
    kernel = rng.standard_normal((5, 5))
    x = rng.standard_normal((2, 3, 9, 9))
    result = low_rank_approximation(kernel, 2)
    total = sum(
        spatially_separable_conv2d(x, result.columns[:, i], result.rows[i], padding=2) for i in range(2)
    )
    weight = np.broadcast_to(result.approximation, (3, 1, 5, 5))
    expected = F.conv2d(t64(x), t64(weight), padding=2, groups=3).numpy()
    np.testing.assert_allclose(total, expected, atol=1e-10)


# ------------------------------------------------------------------ spatially separable conv


SPATIAL_CASES = [
    dict(),
    dict(stride=2),
    dict(stride=(1, 2), padding=(1, 2)),
    dict(padding=1),
    dict(padding=(2, 0), dilation=(2, 1)),
    dict(padding="same"),
    dict(padding="valid"),
    dict(dilation=2, padding=3, stride=(3, 2)),
]


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
@pytest.mark.parametrize("kwargs", SPATIAL_CASES)
@pytest.mark.parametrize("kernel_shape", [(3, 3), (2, 5), (4, 1)])
def test_spatially_separable_matches_torch(rng, kwargs, kernel_shape):
    c = 3
    x = rng.standard_normal((2, c, 11, 12))
    column, row = rng.standard_normal(kernel_shape[0]), rng.standard_normal(kernel_shape[1])
    out = spatially_separable_conv2d(x, column, row, **kwargs)
    # one torch conv with the outer-product kernel, the same for every channel
    weight = np.tile(np.outer(column, row), (c, 1, 1, 1))
    expected = F.conv2d(t64(x), t64(weight), groups=c, **kwargs).numpy()
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, atol=1e-10)
    # two torch convs: (kH x 1) then (1 x kW)
    s = kwargs.get("stride", 1)
    d = kwargs.get("dilation", 1)
    p = kwargs.get("padding", 0)
    s = (s, s) if isinstance(s, int) else s
    d = (d, d) if isinstance(d, int) else d
    if isinstance(p, str):
        p1 = p2 = p
    else:
        p = (p, p) if isinstance(p, int) else p
        p1, p2 = (p[0], 0), (0, p[1])
    wc = t64(np.tile(column.reshape(1, 1, -1, 1), (c, 1, 1, 1)))
    wr = t64(np.tile(row.reshape(1, 1, 1, -1), (c, 1, 1, 1)))
    h = F.conv2d(t64(x), wc, stride=(s[0], 1), padding=p1, dilation=(d[0], 1), groups=c)
    two = F.conv2d(h, wr, stride=(1, s[1]), padding=p2, dilation=(1, d[1]), groups=c).numpy()
    np.testing.assert_allclose(out, two, atol=1e-10)


def test_spatially_separable_full_padding_and_unbatched(rng):
    x = rng.standard_normal((2, 6, 7))
    column, row = np.array([1.0, 2.0, 1.0]), np.array([1.0, 0.0, -1.0])
    out = spatially_separable_conv2d(x, column, row, padding="full")
    expected = F.conv2d(t64(x[None]), t64(np.tile(SOBEL_X, (2, 1, 1, 1))), padding=2, groups=2).numpy()[0]
    assert out.shape == (2, 8, 9)
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_spatially_separable_dtypes():
    x = np.arange(2 * 5 * 5, dtype=np.float32).reshape(2, 5, 5)
    out = spatially_separable_conv2d(x, np.ones(3, np.float32), np.ones(3, np.float32))
    assert out.dtype == np.float32
    out = spatially_separable_conv2d(np.ones((1, 4, 4), dtype=np.int64), [1, 2, 1], [1, 0, -1])
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, np.zeros((1, 2, 2)))


# ------------------------------------------------------------------ depthwise separable conv


def torch_separable(c, m, o, k, bias, stride=1, padding=0, dilation=1):
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(c, c * m, k, stride=stride, padding=padding, dilation=dilation, groups=c, bias=bias),
        torch.nn.Conv2d(c * m, o, 1, bias=bias),
    ).double()


@pytest.mark.parametrize(
    "c, m, o, k, bias, kwargs",
    [
        (3, 1, 5, 3, True, dict()),
        (4, 2, 6, 3, False, dict(padding=1)),
        (2, 3, 1, (3, 2), True, dict(stride=2, padding=(1, 0))),
        (5, 1, 4, 3, True, dict(dilation=2, padding="same")),
        (1, 1, 2, 1, True, dict()),
    ],
)
def test_depthwise_separable_matches_torch_modules(rng, c, m, o, k, bias, kwargs):
    module = torch_separable(c, m, o, k, bias, **kwargs)
    with torch.no_grad():                       # fresh random weights, copied into the modules
        for p in module.parameters():
            p.copy_(t64(rng.standard_normal(tuple(p.shape))))
    depth, point = module[0], module[1]
    dw = depth.weight.detach().numpy()
    pw = point.weight.detach().numpy()
    db = depth.bias.detach().numpy() if bias else None
    pb = point.bias.detach().numpy() if bias else None
    x = rng.standard_normal((2, c, 9, 10))
    with torch.no_grad():
        hidden = depth(t64(x)).numpy()
        expected = module(t64(x)).numpy()
    np.testing.assert_allclose(depthwise_conv2d(x, dw, db, **kwargs), hidden, atol=1e-10)
    np.testing.assert_allclose(pointwise_conv2d(hidden, pw, pb), expected, atol=1e-10)
    np.testing.assert_allclose(pointwise_conv2d(hidden, pw[:, :, 0, 0], pb), expected, atol=1e-10)
    out = depthwise_separable_conv2d(x, dw, pw, db, pb, **kwargs)
    np.testing.assert_allclose(out, expected, atol=1e-10)
    out = depthwise_separable_conv2d(x[0], dw, pw[:, :, 0, 0], db, pb, **kwargs)    # unbatched
    np.testing.assert_allclose(out, expected[0], atol=1e-10)


def test_depthwise_keeps_channels_apart(rng):
    x = rng.standard_normal((1, 3, 6, 6))
    w = rng.standard_normal((3, 1, 3, 3))
    base = depthwise_conv2d(x, w)
    x2 = x.copy()
    x2[0, 1] += 1.0
    changed = np.any(depthwise_conv2d(x2, w) != base, axis=(0, 2, 3))
    assert changed.tolist() == [False, True, False]


def test_depthwise_float32():
    out = depthwise_conv2d(np.ones((1, 2, 4, 4), np.float32), np.ones((2, 1, 3, 3), np.float32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.full((1, 2, 2, 2), 9.0))


# ----------------------------------------------------------------------------------- costs


def numel(module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_source_example_16_to_32():
    standard = torch.nn.Conv2d(16, 32, 3, bias=False)
    separable = torch_separable(16, 1, 32, 3, bias=False)
    assert numel(standard) == 4608
    assert numel(separable) == 656
    assert depthwise_separable_parameters(16, 32, 3) == numel(separable)
    assert mobilenet_cost_ratio(32, 3) == pytest.approx(numel(separable) / numel(standard), rel=1e-12)


@pytest.mark.parametrize(
    "c, o, k, m, bias",
    [(16, 32, 3, 1, True), (3, 8, 5, 2, False), (3, 8, 5, 2, True), (8, 8, (3, 1), 1, True), (1, 1, 1, 4, False)],
)
def test_parameter_counts_match_torch_modules(c, o, k, m, bias):
    assert depthwise_separable_parameters(c, o, k, depth_multiplier=m, bias=bias) == numel(
        torch_separable(c, m, o, k, bias)
    )


@pytest.mark.parametrize("c, o, k, m, size", [(16, 32, 3, 1, (8, 8)), (3, 7, (3, 5), 2, (4, 6)), (1, 1, 1, 1, (1, 1))])
def test_macs_formula(c, o, k, m, size):
    kk = k * k if isinstance(k, int) else k[0] * k[1]
    positions = size[0] * size[1]
    expected = positions * c * m * kk + positions * c * m * o
    assert depthwise_separable_macs(c, o, k, size, depth_multiplier=m) == expected


def test_macs_count_real_multiplications():
    # count every multiply-add of the two torch convolutions by hooking their output sizes
    module = torch_separable(4, 1, 6, 3, bias=False, padding=1)
    x = torch.zeros(1, 4, 7, 5, dtype=torch.float64)
    total = 0
    for layer in module:
        y = layer(x)
        per_output = layer.in_channels // layer.groups * math.prod(layer.kernel_size)
        total += y.numel() * per_output
        x = y
    assert depthwise_separable_macs(4, 6, 3, (7, 5)) == total


@pytest.mark.parametrize("o, k", [(32, 3), (64, 3), (1, 1), (10, (3, 5)), (256, 7)])
def test_mobilenet_ratio_is_macs_ratio(o, k):
    c, size = 12, (5, 5)
    kk = k * k if isinstance(k, int) else k[0] * k[1]
    standard = 25 * c * o * kk
    assert mobilenet_cost_ratio(o, k) == pytest.approx(depthwise_separable_macs(c, o, k, size) / standard)
    assert mobilenet_cost_ratio(o, k) == pytest.approx(1 / o + 1 / kk)


# ------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    "func", [kernel_rank, is_separable, separate, lambda k: low_rank_approximation(k, 1)]
)
def test_kernel_validation(func):
    with pytest.raises(ValueError, match=r"kernel must be a 2-D array \(kH, kW\), got a 1-D array"):
        func([1.0, 2.0])
    with pytest.raises(ValueError, match=r"kernel must be a 2-D array .* got a 3-D array of shape \(1, 3, 3\)"):
        func(np.ones((1, 3, 3)))
    with pytest.raises(TypeError, match=r"kernel must be a real numeric array"):
        func([["a", "b"]])
    with pytest.raises(TypeError, match=r"kernel must be a real numeric array"):
        func(np.ones((2, 2), dtype=complex))
    with pytest.raises(ValueError, match=r"kernel must not be empty"):
        func(np.ones((0, 3)))
    with pytest.raises(ValueError, match=r"kernel must contain only finite values"):
        func([[1.0, np.nan], [0.0, 1.0]])


@pytest.mark.parametrize("func", [kernel_rank, is_separable, separate])
def test_tol_validation(func):
    with pytest.raises(ValueError, match=r"tol=-0\.1 must be >= 0"):
        func(SOBEL_X, tol=-0.1)
    with pytest.raises(TypeError, match=r"tol must be a real number, got '1e-3' \(str\)"):
        func(SOBEL_X, tol="1e-3")
    with pytest.raises(TypeError, match=r"tol must be a real number, got True"):
        func(SOBEL_X, tol=True)
    with pytest.raises(ValueError, match=r"tol=nan must be finite"):
        func(SOBEL_X, tol=float("nan"))


def test_rank_validation():
    with pytest.raises(ValueError, match=r"rank=0 must be >= 1"):
        low_rank_approximation(SOBEL_X, 0)
    with pytest.raises(ValueError, match=r"rank=4 must be <= min\(kernel.shape\)=3"):
        low_rank_approximation(SOBEL_X, 4)
    with pytest.raises(ValueError, match=r"rank=3 must be <= min\(kernel.shape\)=2"):
        low_rank_approximation(np.ones((2, 5)), 3)
    with pytest.raises(TypeError, match=r"rank must be an int, got 1.0 \(float\)"):
        low_rank_approximation(SOBEL_X, 1.0)


def test_spatially_separable_validation():
    x = np.ones((2, 6, 6))
    with pytest.raises(ValueError, match=r"input must be 3-D \(C, H, W\) or 4-D \(N, C, H, W\), got 2-D"):
        spatially_separable_conv2d(np.ones((6, 6)), [1, 2, 1], [1, 0, -1])
    with pytest.raises(ValueError, match=r"column must be a 1-D array, got a 2-D array"):
        spatially_separable_conv2d(x, [[1, 2, 1]], [1, 0, -1])
    with pytest.raises(ValueError, match=r"row must not be empty"):
        spatially_separable_conv2d(x, [1, 2, 1], [])
    with pytest.raises(TypeError, match=r"row must be a real numeric array"):
        spatially_separable_conv2d(x, [1, 2, 1], ["a"])
    with pytest.raises(ValueError, match=r"stride=0 must be >= 1"):
        spatially_separable_conv2d(x, [1, 2, 1], [1, 0, -1], stride=0)
    with pytest.raises(ValueError, match=r"padding=-1 must be >= 0"):
        spatially_separable_conv2d(x, [1, 2, 1], [1, 0, -1], padding=-1)
    with pytest.raises(ValueError, match=r"padding='same' needs stride=1"):
        spatially_separable_conv2d(x, [1, 2, 1], [1, 0, -1], padding="same", stride=2)
    with pytest.raises(ValueError, match=r"kernel_size=3 with dilation=4 spans d\*\(k-1\)\+1 = 9 cells, more than the padded input"):
        spatially_separable_conv2d(x, [1, 2, 1], [1, 0, -1], dilation=4)
    with pytest.raises(TypeError, match=r"dilation must be an int or a tuple of 2 ints"):
        spatially_separable_conv2d(x, [1, 2, 1], [1, 0, -1], dilation=1.5)


def test_depthwise_validation():
    x = np.ones((1, 3, 6, 6))
    with pytest.raises(ValueError, match=r"weight.shape\[1\]=3 must be 1"):
        depthwise_conv2d(x, np.ones((3, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"weight.shape\[0\]=4 must be a positive multiple of in_channels=3"):
        depthwise_conv2d(x, np.ones((4, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"weight must be a 4-D array \(C \* m, 1, kH, kW\), got a 3-D"):
        depthwise_conv2d(x, np.ones((3, 3, 3)))
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\)"):
        depthwise_conv2d(x, np.ones((3, 1, 3, 3)), bias=np.ones(4))
    with pytest.raises(ValueError, match=r"input must be 3-D .* got 5-D"):
        depthwise_conv2d(np.ones((1, 1, 3, 6, 6)), np.ones((3, 1, 3, 3)))
    with pytest.raises(TypeError, match=r"input must be a real numeric array"):
        depthwise_conv2d(np.ones((3, 6, 6), dtype=bool), np.ones((3, 1, 3, 3)))


def test_pointwise_validation():
    x = np.ones((1, 3, 4, 4))
    with pytest.raises(ValueError, match=r"weight must have a 1x1 kernel, got shape \(5, 3, 3, 3\)"):
        pointwise_conv2d(x, np.ones((5, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"weight must be a 2-D \(C_out, C_in\) or 4-D .* got a 3-D"):
        pointwise_conv2d(x, np.ones((5, 3, 1)))
    with pytest.raises(ValueError, match=r"weight.shape\[1\]=2 times groups=1 must equal in_channels=3"):
        pointwise_conv2d(x, np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"^bias must have shape \(5,\)"):
        pointwise_conv2d(x, np.ones((5, 3)), bias=np.ones(3))


def test_depthwise_separable_validation():
    x = np.ones((1, 3, 6, 6))
    with pytest.raises(ValueError, match=r"pointwise_weight.shape\[1\]=3 must equal .* depthwise_weight.shape\[0\]=6"):
        depthwise_separable_conv2d(x, np.ones((6, 1, 3, 3)), np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"pointwise_weight must have a 1x1 kernel"):
        depthwise_separable_conv2d(x, np.ones((3, 1, 3, 3)), np.ones((4, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"weight.shape\[1\]=3 must be 1"):
        depthwise_separable_conv2d(x, np.ones((3, 3, 3, 3)), np.ones((4, 3)))


def test_cost_validation():
    with pytest.raises(ValueError, match=r"depth_multiplier=0 must be >= 1"):
        depthwise_separable_parameters(16, 32, 3, depth_multiplier=0)
    with pytest.raises(TypeError, match=r"in_channels must be an int, got '16' \(str\)"):
        depthwise_separable_parameters("16", 32, 3)
    with pytest.raises(ValueError, match=r"out_channels=0 must be >= 1"):
        depthwise_separable_parameters(16, 0, 3)
    with pytest.raises(TypeError, match=r"bias must be True or False"):
        depthwise_separable_parameters(16, 32, 3, bias=1)
    with pytest.raises(ValueError, match=r"kernel_size=0 must be >= 1"):
        depthwise_separable_parameters(16, 32, 0)
    with pytest.raises(TypeError, match=r"depth_multiplier must be an int, got 1.5"):
        depthwise_separable_macs(16, 32, 3, (8, 8), depth_multiplier=1.5)
    with pytest.raises(ValueError, match=r"size=\(8, 0\) must be >= 1"):
        depthwise_separable_macs(16, 32, 3, (8, 0))
    with pytest.raises(ValueError, match=r"out_channels=0 must be >= 1"):
        mobilenet_cost_ratio(0, 3)
    with pytest.raises(TypeError, match=r"out_channels must be an int, got 32.0"):
        mobilenet_cost_ratio(32.0, 3)
    with pytest.raises(ValueError, match=r"kernel_size=\(3, 0\) must be >= 1"):
        mobilenet_cost_ratio(32, (3, 0))


def test_inputs_not_modified(rng):
    x = rng.standard_normal((2, 3, 6, 6))
    kernel = rng.standard_normal((3, 3))
    dw = rng.standard_normal((3, 1, 3, 3))
    pw = rng.standard_normal((4, 3))
    copies = [a.copy() for a in (x, kernel, dw, pw)]
    separate(np.outer(kernel[0], kernel[1]))
    low_rank_approximation(kernel, 2)
    spatially_separable_conv2d(x, kernel[0], kernel[1], padding=1)
    depthwise_separable_conv2d(x, dw, pw)
    for a, b in zip((x, kernel, dw, pw), copies):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("c, k, size, kw", [
    (1, 3, (5, 5), dict(padding=1)),
    (3, (3, 5), (9, 8), dict(stride=(2, 1), padding=(1, 2))),
    (2, 7, (16, 12), dict(stride=2, dilation=(1, 2), padding=3)),
    (4, (1, 3), (6, 6), {}),
])
def test_spatially_separable_macs_counted_by_torch(c, k, size, kw):
    """The two passes run as real torch convolutions; torch's own FLOP counter gives 2 x the MACs."""
    from torch.utils.flop_counter import FlopCounterMode

    kh, kw_ = (k, k) if isinstance(k, int) else k
    stride = kw.get("stride", 1)
    dilation = kw.get("dilation", 1)
    padding = kw.get("padding", 0)
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    (sy, sx), (dy, dx), (py, px) = pair(stride), pair(dilation), pair(padding)
    x = torch.zeros(1, c, *size)
    with FlopCounterMode(display=False) as counter:
        h = F.conv2d(x, torch.zeros(c, 1, kh, 1), stride=(sy, 1), padding=(py, 0), dilation=(dy, 1), groups=c)
        F.conv2d(h, torch.zeros(c, 1, 1, kw_), stride=(1, sx), padding=(0, px), dilation=(1, dx), groups=c)
    assert spatially_separable_macs(c, k, size, **kw) == counter.get_total_flops() // 2
