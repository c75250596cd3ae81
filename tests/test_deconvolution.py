"""Tests of convtutor.deconvolution: a real inverse of a convolution versus the transposed one.

The convolution matrix is rebuilt here independently, by pushing one-hot inputs through
``torch.nn.functional.conv{1,2}d``; ranks and least-squares solutions come from torch or
numpy's own ``matrix_rank``/``lstsq`` on that matrix.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from _torch_support import TORCH_CONV, t64
from convtutor.deconvolution import (
    Deconvolution,
    InverseComparison,
    LostInformation,
    compare_inverses,
    deconvolve,
    lost_information,
)

def torch_padding(padding, kernel, dilation=1):
    """torch has no 'full' mode: it is d*(k-1) zeros on each side."""
    if padding == "full":
        return tuple(dilation * (k - 1) for k in kernel)
    return padding


def torch_conv(x, w, stride=1, padding=0, dilation=1, groups=1):
    nd = w.ndim - 2
    batched = x.ndim == nd + 2
    xt = t64(x if batched else x[None])
    out = TORCH_CONV[nd](xt, t64(w), stride=stride, padding=torch_padding(padding, w.shape[2:], dilation),
                         dilation=dilation, groups=groups).numpy()
    return out if batched else out[0]


def torch_matrix(input_shape, w, **kwargs) -> np.ndarray:
    """The convolution matrix, one column per one-hot input pushed through torch."""
    n = math.prod(input_shape)
    eye = np.eye(n).reshape(n, *input_shape)
    out = torch_conv(eye, w, **kwargs)                    # the batch is the n one-hot inputs
    return out.reshape(n, -1).T


def relative_error(a, b) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


# ---------------------------------------------------------------------------- exact inverses


@pytest.mark.parametrize(
    "input_shape, weight_shape, kwargs",
    [
        ((1, 6, 6), (1, 1, 3, 3), dict(padding="full")),
        ((1, 5, 7), (1, 1, 2, 4), dict(padding=(1, 3))),             # 'full' written as ints
        ((2, 5, 5), (3, 2, 3, 3), dict(padding="full")),             # more outputs than inputs
        ((2, 5, 5), (4, 1, 3, 3), dict(padding="full", groups=2)),
        ((1, 6, 6), (1, 1, 3, 3), dict(padding="full", dilation=2)),
        ((1, 9), (1, 1, 4), dict(padding="full")),                   # 1-D
    ],
)
def test_deconvolve_recovers_invertible_convolution(rng, input_shape, weight_shape, kwargs):
    x = rng.standard_normal(input_shape)
    w = rng.standard_normal(weight_shape)
    y = torch_conv(x, w, **kwargs)
    result = deconvolve(y, w, input_shape, **kwargs)
    assert isinstance(result, Deconvolution)
    assert result.estimate.shape == input_shape
    n = math.prod(input_shape)
    c = torch_matrix(input_shape, w, **kwargs)
    assert result.unknowns == n and result.equations == c.shape[0]
    assert np.linalg.matrix_rank(c) == n
    assert result.rank == n and result.exact and result.lost_dimensions == 0
    np.testing.assert_allclose(result.estimate, x, atol=1e-8)
    assert result.residual == pytest.approx(0, abs=1e-8)
    assert result.condition_number == pytest.approx(np.linalg.cond(c), rel=1e-6)
    assert lost_information(input_shape, w, **kwargs).dimension == 0


def test_transposed_conv_does_not_invert(rng):
    x = rng.standard_normal((1, 1, 6, 6))
    w = rng.standard_normal((1, 1, 3, 3))
    y = F.conv2d(t64(x), t64(w), padding=2)
    back = F.conv_transpose2d(y, t64(w), padding=2).numpy()
    assert back.shape == x.shape                         # the shape comes back...
    assert relative_error(back, x) > 0.1                 # ...the values do not
    result = deconvolve(y.numpy(), w, (1, 6, 6), padding="full")
    np.testing.assert_allclose(result.estimate, x, atol=1e-8)


def test_compare_inverses_against_torch(rng):
    x = rng.standard_normal((1, 7, 7))
    w = rng.standard_normal((1, 1, 3, 3))
    result = compare_inverses(x, w, padding="full")
    assert isinstance(result, InverseComparison)
    np.testing.assert_allclose(result.output, torch_conv(x, w, padding=2), atol=1e-12)
    expected = F.conv_transpose2d(t64(result.output[None]), t64(w), padding=2).numpy()[0]
    np.testing.assert_allclose(result.transposed, expected, atol=1e-12)
    assert result.transposed_error == pytest.approx(relative_error(expected, x), rel=1e-9)
    assert result.transposed_error > 0.1
    assert result.exact and result.deconvolved_error < 1e-8
    np.testing.assert_allclose(result.deconvolved, x, atol=1e-8)


@pytest.mark.parametrize(
    "shape, kwargs, output_padding",
    [((1, 5, 5), dict(stride=2), (0, 0)), ((1, 6, 5), dict(stride=2, padding=1), (1, 0)),
     ((2, 7, 8), dict(stride=(3, 2), dilation=(1, 2)), (1, 1))],
)
def test_compare_inverses_strided(rng, shape, kwargs, output_padding):
    x = rng.standard_normal(shape)
    w = rng.standard_normal((3, shape[0], 3, 3))
    result = compare_inverses(x, w, **kwargs)
    expected = F.conv_transpose2d(t64(result.output[None]), t64(w), output_padding=output_padding, **kwargs).numpy()[0]
    assert result.transposed.shape == shape
    np.testing.assert_allclose(result.transposed, expected, atol=1e-12)
    assert not result.exact
    assert result.deconvolved_error > 0.1                # information was lost
    # but the estimate explains the output perfectly (C has full row rank here)
    np.testing.assert_allclose(torch_conv(result.deconvolved, w, **kwargs), result.output, atol=1e-8)


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
def test_compare_inverses_uneven_same_padding_is_adjoint(rng):
    # 'same' with an even kernel pads (0, 1): the transposed view is C^T y
    x = rng.standard_normal((2, 1, 5, 5))
    w = rng.standard_normal((2, 1, 2, 2))
    result = compare_inverses(x, w, padding="same")
    c = torch_matrix((1, 5, 5), w, padding="same")
    expected = (result.output.reshape(2, -1) @ c).reshape(x.shape)
    np.testing.assert_allclose(result.transposed, expected, atol=1e-12)


# --------------------------------------------------------------------- what cannot be recovered


@pytest.mark.parametrize(
    "input_shape, weight_shape, kwargs",
    [
        ((1, 5, 5), (1, 1, 3, 3), dict(stride=2)),                   # the source's 5x5 -> 2x2
        ((1, 5, 5), (1, 1, 3, 3), dict()),                           # 'valid': 25 -> 9
        ((1, 6, 6), (1, 1, 3, 3), dict(stride=2, padding=1)),
        ((3, 5, 5), (1, 3, 3, 3), dict(padding="full")),             # 3 channels into 1
        ((2, 6, 6), (2, 1, 2, 2), dict(stride=2, groups=2)),
        ((1, 10), (1, 1, 3), dict(stride=3, dilation=2)),
    ],
)
def test_lost_dimensions_match_independent_rank(rng, input_shape, weight_shape, kwargs):
    w = rng.standard_normal(weight_shape)
    c = torch_matrix(input_shape, w, **kwargs)
    n = math.prod(input_shape)
    rank = np.linalg.matrix_rank(c)
    assert rank < n
    lost = lost_information(input_shape, w, **kwargs)
    assert isinstance(lost, LostInformation)
    assert (lost.unknowns, lost.rank, lost.dimension) == (n, rank, n - rank)
    assert lost.basis.shape == (n - rank, *input_shape)
    flat = lost.basis.reshape(n - rank, n)
    np.testing.assert_allclose(flat @ flat.T, np.eye(n - rank), atol=1e-10)     # orthonormal
    np.testing.assert_allclose(torch_conv(lost.basis, w, **kwargs), 0, atol=1e-10)  # invisible

    x = rng.standard_normal(input_shape)
    y = torch_conv(x, w, **kwargs)
    result = deconvolve(y, w, input_shape, **kwargs)
    assert not result.exact and result.rank == rank and result.lost_dimensions == n - rank
    assert result.condition_number == math.inf
    # the minimum-norm least-squares solution, as numpy's lstsq finds it on torch's matrix
    expected = np.linalg.lstsq(c, y.ravel(), rcond=None)[0].reshape(input_shape)
    np.testing.assert_allclose(result.estimate, expected, atol=1e-8)
    assert relative_error(result.estimate, x) > 0.05
    # it is orthogonal to the null space, and adding a null-space pattern does not change y
    np.testing.assert_allclose(flat @ result.estimate.ravel(), 0, atol=1e-8)
    np.testing.assert_allclose(torch_conv(x + 3 * lost.basis[0], w, **kwargs), y, atol=1e-8)


def test_source_example_loses_21_dimensions(rng):
    w = rng.standard_normal((1, 1, 3, 3))
    lost = lost_information((1, 5, 5), w, stride=2)
    assert (lost.unknowns, lost.rank, lost.dimension) == (25, 4, 21)
    assert lost_information((1, 5, 5), w, padding="full").dimension == 0


def test_inconsistent_output_least_squares(rng):
    # 'full' padding: more equations than unknowns; noise makes them inconsistent
    x = rng.standard_normal((1, 5, 5))
    w = rng.standard_normal((1, 1, 3, 3))
    y = torch_conv(x, w, padding="full") + 0.01 * rng.standard_normal((1, 7, 7))
    result = deconvolve(y, w, (1, 5, 5), padding="full")
    c = torch_matrix((1, 5, 5), w, padding="full")
    expected, residuals, _, _ = np.linalg.lstsq(c, y.ravel(), rcond=None)
    np.testing.assert_allclose(result.estimate.ravel(), expected, atol=1e-10)
    assert result.residual == pytest.approx(math.sqrt(residuals[0]), rel=1e-8)
    assert result.residual > 0


def test_batched_output_and_dtypes(rng):
    x = rng.standard_normal((3, 1, 5, 5))
    w = rng.standard_normal((2, 1, 3, 3))
    y = torch_conv(x, w, padding="full")
    result = deconvolve(y, w, (1, 5, 5), padding="full")
    assert result.estimate.shape == (3, 1, 5, 5) and result.estimate.dtype == np.float64
    np.testing.assert_allclose(result.estimate, x, atol=1e-8)
    result = deconvolve(y.astype(np.float32), w.astype(np.float32), (1, 5, 5), padding="full")
    assert result.estimate.dtype == np.float32
    np.testing.assert_allclose(result.estimate, x, atol=1e-3)


def test_rcond_drops_small_singular_values(rng):
    w = rng.standard_normal((1, 1, 3, 3))
    s = np.linalg.svd(torch_matrix((1, 5, 5), w, padding="full"), compute_uv=False)
    cut = (s[-1] / s[0]) * 1.0001                      # just above the smallest relative singular value
    y = torch_conv(rng.standard_normal((1, 5, 5)), w, padding="full")
    result = deconvolve(y, w, (1, 5, 5), padding="full", rcond=cut)
    assert result.rank == 24 and not result.exact
    assert lost_information((1, 5, 5), w, padding="full", rcond=cut).dimension == 1


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
def test_ill_conditioned_but_invertible(rng):
    # 'same' with kernel [0.1, 1] is a bidiagonal matrix: invertible, condition number ~ 1e8
    w = np.array([[[0.1, 1.0]]])
    x = rng.standard_normal((1, 8))
    y = torch_conv(x, w, padding="same")
    cond = np.linalg.cond(torch_matrix((1, 8), w, padding="same"))
    assert cond > 1e7
    result = deconvolve(y, w, (1, 8), padding="same")
    assert result.exact and result.rank == 8
    assert result.condition_number == pytest.approx(cond, rel=1e-6)
    np.testing.assert_allclose(result.estimate, x, atol=1e-6)
    assert lost_information((1, 8), w, padding="same").dimension == 0
    # a coarser cutoff treats the smallest singular value as zero
    assert not deconvolve(y, w, (1, 8), padding="same", rcond=1e-3).exact


def test_zero_kernel_loses_everything():
    lost = lost_information((1, 4, 4), np.zeros((1, 1, 3, 3)), padding=1)
    assert lost.rank == 0 and lost.dimension == 16
    result = deconvolve(np.zeros((1, 4, 4)), np.zeros((1, 1, 3, 3)), (1, 4, 4), padding=1)
    assert result.rank == 0 and not result.exact and not result.estimate.any()


# ------------------------------------------------------------------------------ validation


def test_deconvolve_validation():
    w = np.ones((1, 1, 3, 3))
    y = np.ones((1, 2, 2))
    with pytest.raises(ValueError, match=r"deconvolve: output has shape \(1, 3, 3\), but .* gives \(1, 2, 2\)"):
        deconvolve(np.ones((1, 3, 3)), w, (1, 5, 5), stride=2)
    with pytest.raises(ValueError, match=r"deconvolve: output has shape \(2, 2\)"):
        deconvolve(np.ones((2, 2)), w, (1, 5, 5), stride=2)
    with pytest.raises(TypeError, match=r"deconvolve: input_shape must be a tuple \(C_in, \*spatial\), got 25"):
        deconvolve(y, w, 25, stride=2)
    with pytest.raises(ValueError, match=r"input_shape=\(5, 5\) must have 3 entries"):
        deconvolve(y, w, (5, 5), stride=2)
    with pytest.raises(ValueError, match=r"input_shape=\(1, 0, 5\) must be >= 1"):
        deconvolve(y, w, (1, 0, 5), stride=2)
    with pytest.raises(TypeError, match=r"input_shape must contain only ints"):
        deconvolve(y, w, (1, 5.0, 5), stride=2)
    with pytest.raises(ValueError, match=r"rcond=-1.0 must be >= 0"):
        deconvolve(y, w, (1, 5, 5), stride=2, rcond=-1.0)
    with pytest.raises(TypeError, match=r"rcond must be a real number or None, got 'big'"):
        deconvolve(y, w, (1, 5, 5), stride=2, rcond="big")
    with pytest.raises(ValueError, match=r"deconvolve: weight must be \(C_out, C_in/groups, \*kernel\)"):
        deconvolve(y, np.ones((3, 3)), (1, 5, 5))
    with pytest.raises(TypeError, match=r"output must be a real numeric array"):
        deconvolve(np.full((1, 2, 2), "a"), w, (1, 5, 5), stride=2)
    with pytest.raises(ValueError, match=r"output must contain only finite values"):
        deconvolve(np.full((1, 2, 2), np.nan), w, (1, 5, 5), stride=2)
    with pytest.raises(ValueError, match=r"weight must contain only finite values"):
        deconvolve(y, np.full((1, 1, 3, 3), np.inf), (1, 5, 5), stride=2)
    with pytest.raises(ValueError, match=r"weight.shape\[1\]=1 times groups=1 must equal in_channels=2"):
        deconvolve(y, w, (2, 5, 5), stride=2)
    with pytest.raises(ValueError, match=r"stride=0 must be >= 1"):
        deconvolve(y, w, (1, 5, 5), stride=0)
    with pytest.raises(ValueError, match=r"kernel_size=3 with dilation=1 spans .* more than the padded input size .* = 2"):
        deconvolve(y, w, (1, 2, 2))


def test_lost_information_and_compare_validation():
    w = np.ones((1, 1, 3, 3))
    with pytest.raises(ValueError, match=r"groups=2 must divide in_channels=1"):
        lost_information((1, 5, 5), w, groups=2)
    with pytest.raises(ValueError, match=r"padding='same' needs stride=1"):
        lost_information((1, 5, 5), w, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"input must be 3-D"):
        compare_inverses(np.ones((5, 5)), w)
    with pytest.raises(ValueError, match=r"compare_inverses: weight must be \(C_out, C_in/groups, \*kernel\) with 1 to 3"):
        compare_inverses(np.ones((1, 5, 5)), np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"input must contain only finite values"):
        compare_inverses(np.full((1, 5, 5), np.nan), w)
    with pytest.raises(TypeError, match=r"rcond must be a real number or None"):
        compare_inverses(np.ones((1, 5, 5)), w, rcond=[1e-3])


def test_inputs_not_modified(rng):
    x = rng.standard_normal((1, 5, 5))
    w = rng.standard_normal((1, 1, 3, 3))
    y = torch_conv(x, w, stride=2)
    copies = [a.copy() for a in (x, w, y)]
    deconvolve(y, w, (1, 5, 5), stride=2)
    compare_inverses(x, w, stride=2)
    lost_information((1, 5, 5), w, stride=2)
    for a, b in zip((x, w, y), copies):
        np.testing.assert_array_equal(a, b)
