"""Separable convolutions: splitting one convolution into two cheaper ones.

Two different things share the word "separable":

* **Spatially separable**: a 2-D kernel that is the outer product of a column and a row,
  ``K = outer(column, row)`` (a matrix of rank 1), can be applied as a ``kH x 1``
  convolution followed by a ``1 x kW`` one. Sobel-x is ``[1, 2, 1]^T`` times ``[1, 0, -1]``.
  The singular value decomposition tells whether a kernel has rank 1, gives its factors,
  and gives the best approximation of any kernel by a sum of ``r`` separable ones
  (Eckart & Young, 1936). Deep networks use the factorised form directly: Inception-v3
  replaces an ``n x n`` convolution with ``1 x n`` then ``n x 1`` (Szegedy et al., 2016).
* **Depthwise separable**: a *depthwise* convolution (one ``k x k`` kernel per input
  channel, ``groups = C``, channels kept apart) followed by a *pointwise* ``1 x 1``
  convolution that mixes the channels (Chollet, 2017; Howard et al., 2017). The second step
  is the pointwise convolution, not another depthwise one.

Everything here is built on the convolution of :mod:`convtutor.conv` with its ``groups``
argument; the costs of both kinds are in :mod:`convtutor.arithmetic`
(:func:`~convtutor.arithmetic.spatially_separable_macs`,
:func:`~convtutor.arithmetic.depthwise_separable_parameters`,
:func:`~convtutor.arithmetic.depthwise_separable_macs`,
:func:`~convtutor.arithmetic.mobilenet_cost_ratio`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _compute
from ._call import conv_call
from ._validation import (as_numeric_array, check_input_layout, check_int, check_kernel2d, check_ndim,
                          check_real, check_vector, numerical_rank)
from .arithmetic import conv_shape
from .conv import conv2d

__all__ = [
    "kernel_rank",
    "is_separable",
    "separate",
    "LowRankApproximation",
    "low_rank_approximation",
    "spatially_separable_conv2d",
    "depthwise_conv2d",
    "pointwise_conv2d",
    "depthwise_separable_conv2d",
]


# ----------------------------------------------------------------------------------------------
# Spatial separability: rank, factors, low-rank approximation
# ----------------------------------------------------------------------------------------------


def _float_dtype(k: np.ndarray) -> np.dtype:
    return k.dtype if k.dtype.kind == "f" else np.dtype(np.float64)


def _tolerance(tol, k: np.ndarray) -> float:
    """Relative tolerance: ``tol`` itself, or ``max(kH, kW) * eps`` of the kernel's precision."""
    if tol is None:
        return max(k.shape) * float(np.finfo(_float_dtype(k)).eps)
    return check_real("tol", tol, minimum=0.0)


def kernel_rank(kernel, tol=None) -> int:
    """Rank of a 2-D kernel: the number of its singular values that are not negligible.

    ``rank = #{i : sigma_i > tol * sigma_1}`` with ``sigma_1 >= sigma_2 >= ...`` the singular
    values of the kernel. A kernel of rank ``r`` is a sum of ``r`` outer products
    ``column_i row_i^T`` and no fewer.

    Parameters:
        kernel: a 2-D array ``(kH, kW)``.
        tol: relative tolerance (a float >= 0); by default ``max(kH, kW) * eps`` with ``eps``
            the machine precision of the kernel's float type (float64 for integers).

    Shape:
        ``kernel`` is ``(kH, kW)``; the result is an int between 0 and ``min(kH, kW)``.

    Example:
        >>> kernel_rank([[1, 0, -1], [2, 0, -2], [1, 0, -1]])   # Sobel-x
        1
        >>> kernel_rank([[0, 1, 0], [1, -4, 1], [0, 1, 0]])     # the Laplacian
        2
    """
    k = check_kernel2d("kernel", kernel)
    tol = _tolerance(tol, k)
    return numerical_rank(np.linalg.svd(k.astype(np.float64), compute_uv=False), tol)


def is_separable(kernel, tol=None) -> bool:
    """Whether a 2-D kernel is the outer product of a column and a row (rank at most 1).

    ``K = outer(column, row)`` exactly when ``sigma_2 <= tol * sigma_1``. The zero kernel
    counts as separable (``0 = outer(0, 0)``).

    Parameters:
        kernel: a 2-D array ``(kH, kW)``.
        tol: relative tolerance on the singular values, as in :func:`kernel_rank`.

    Shape:
        ``kernel`` is ``(kH, kW)``; the result is a bool.

    Example:
        >>> is_separable([[1, 2, 1], [2, 4, 2], [1, 2, 1]])   # a binomial blur
        True
        >>> is_separable([[0, 1, 0], [1, -4, 1], [0, 1, 0]])
        False
    """
    return kernel_rank(kernel, tol) <= 1


def separate(kernel, tol=None) -> tuple[np.ndarray, np.ndarray]:
    """Factor a separable kernel into a column and a row: ``np.outer(column, row)`` equals the kernel
    up to rounding (``np.allclose``, not ``==``: the factors come from a floating-point SVD).

    From the singular value decomposition ``K = sum_i sigma_i u_i v_i^T`` of a rank-1 kernel,
    ``column = sigma_1 u_1`` and ``row = v_1``, then rescaled (``column / c``, ``row * c``)
    so that the column's first nonzero entry is 1. Entries smaller than ``tol`` times the
    largest of their vector are set to exactly 0 (they are rounding noise).

    Parameters:
        kernel: a 2-D array ``(kH, kW)``.
        tol: relative tolerance of the rank-1 test, as in :func:`kernel_rank`; a larger value
            accepts kernels that are only nearly separable and returns the best rank-1 factors.

    Returns:
        ``(column, row)``: float arrays (the kernel's float type; float64 for integers).
        For the zero kernel both are zero.

    Raises:
        ValueError: the kernel has rank 2 or more (the message gives the rank); see
            :func:`low_rank_approximation` for the best separable approximation.

    Shape:
        ``kernel`` ``(kH, kW)`` gives ``column`` ``(kH,)`` and ``row`` ``(kW,)``.

    Example:
        >>> sobel_x = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]
        >>> column, row = separate(sobel_x)
        >>> column
        array([1., 2., 1.])
        >>> row
        array([ 1.,  0., -1.])
    """
    k = check_kernel2d("kernel", kernel)
    tol = _tolerance(tol, k)
    dtype = _float_dtype(k)
    u, s, vt = np.linalg.svd(k.astype(np.float64), full_matrices=False)
    rank = numerical_rank(s, tol)
    if rank > 1:
        raise ValueError(
            f"kernel of shape {k.shape} is not separable: its rank is {rank} (singular values "
            f"{np.array2string(s, precision=4)}), and only a rank-1 kernel is an outer product of a "
            f"column and a row (tol={tol:.3g}); low_rank_approximation(kernel, 1) gives the "
            "closest separable kernel"
        )
    if rank == 0:
        return np.zeros(k.shape[0], dtype=dtype), np.zeros(k.shape[1], dtype=dtype)
    column = u[:, 0] * s[0]
    row = vt[0].copy()
    column[np.abs(column) <= tol * np.abs(column).max()] = 0.0
    scale = column[np.flatnonzero(column)[0]]
    column, row = column / scale, row * scale
    for v in (column, row):
        v[np.abs(v) <= tol * np.abs(v).max()] = 0.0      # rounding noise (and -0.0) to exact 0
    return column.astype(dtype), row.astype(dtype)


class LowRankApproximation(NamedTuple):
    """Result of :func:`low_rank_approximation`.

    ``approximation == columns @ rows``: a sum of ``rank`` separable kernels
    ``outer(columns[:, i], rows[i])``.
    """

    approximation: np.ndarray
    relative_error: float
    columns: np.ndarray
    rows: np.ndarray


def low_rank_approximation(kernel, rank) -> LowRankApproximation:
    """Best approximation of a kernel by a sum of ``rank`` separable kernels (truncated SVD).

    ``K_r = sum_{i <= r} sigma_i u_i v_i^T``. By the Eckart-Young theorem no matrix of rank
    ``r`` is closer to ``K`` in the Frobenius norm, and
    ``||K - K_r|| / ||K|| = sqrt(sigma_{r+1}^2 + ...) / sqrt(sigma_1^2 + ...)``.
    Each term is a separable kernel, so ``K_r`` costs ``r`` column-then-row convolutions
    (:func:`spatially_separable_conv2d`, one per column of ``columns`` and row of ``rows``).

    Parameters:
        kernel: a 2-D array ``(kH, kW)``.
        rank: the number ``r`` of separable terms, ``1 <= r <= min(kH, kW)``.

    Returns:
        a :class:`LowRankApproximation` ``(approximation, relative_error, columns, rows)``:
        the kernel ``K_r``, ``||K - K_r||_F / ||K||_F`` (0.0 for the zero kernel), and the
        factors ``columns = U_r diag(sigma_r)`` and ``rows = V_r^T``.

    Shape:
        ``approximation`` ``(kH, kW)``, ``columns`` ``(kH, r)``, ``rows`` ``(r, kW)``.

    Example:
        >>> laplacian = [[0, 1, 0], [1, -4, 1], [0, 1, 0]]
        >>> result = low_rank_approximation(laplacian, 1)
        >>> result.approximation.shape, result.columns.shape, result.rows.shape
        ((3, 3), (3, 1), (1, 3))
        >>> round(result.relative_error, 4)
        0.1005
    """
    k = check_kernel2d("kernel", kernel)
    r = check_int("rank", rank, minimum=1)
    if r > min(k.shape):
        raise ValueError(
            f"rank={r} must be <= min(kernel.shape)={min(k.shape)}: a {k.shape[0]}x{k.shape[1]} "
            f"kernel has at most {min(k.shape)} singular values"
        )
    kf = k.astype(np.float64)
    u, s, vt = np.linalg.svd(kf, full_matrices=False)
    columns = u[:, :r] * s[:r]
    rows = vt[:r].copy()
    approximation = columns @ rows
    norm = np.linalg.norm(kf)
    error = float(np.linalg.norm(kf - approximation) / norm) if norm > 0 else 0.0
    dtype = _float_dtype(k)
    return LowRankApproximation(
        approximation.astype(dtype), error, columns.astype(dtype), rows.astype(dtype)
    )


# ----------------------------------------------------------------------------------------------
# Convolutions
# ----------------------------------------------------------------------------------------------


def _channels(fname: str, input) -> tuple[np.ndarray, int]:
    """A 2-D input ``(C, H, W)`` or ``(N, C, H, W)`` and its number of channels (>= 1)."""
    x = check_input_layout(fname, as_numeric_array("input", input), 2)
    return x, check_int("in_channels", x.shape[-3], minimum=1)


def spatially_separable_conv2d(input, column, row, stride=1, padding=0, dilation=1):
    """Convolve every channel with ``outer(column, row)`` as a column pass then a row pass.

    ``conv2d(x, outer(column, row)) == conv_row(conv_column(x))``: a ``(kH x 1)`` convolution
    down the columns (stride, padding and dilation of the height), then a ``(1 x kW)``
    convolution along the rows (those of the width). Each channel is convolved on its own
    (``groups = C``), as with ``weight[c, 0] = outer(column, row)`` for every channel ``c``.

    Cost per channel: the direct convolution does ``kH * kW`` multiplies per output value;
    the column pass does ``oH * W * kH`` and the row pass ``oH * oW * kW`` in total, so with
    stride 1 about ``kH + kW`` per output value: ``2k`` instead of ``k^2`` for a ``k x k``
    kernel (6 instead of 9 for Sobel, 14 instead of 49 for 7x7).

    Parameters:
        input: array ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        column: the vertical factor, length ``kH``.
        row: the horizontal factor, length ``kW``.
        stride: an int or ``(sH, sW)``.
        padding: an int, ``(pH, pW)``, ``'valid'``, ``'same'`` (stride 1) or ``'full'``.
        dilation: an int or ``(dH, dW)``.

    Returns:
        an array of the dtype of the inputs, equal to :func:`convtutor.conv2d` with the kernel
        ``outer(column, row)`` repeated for every channel and ``groups = C``.

    Shape:
        output ``(N, C, oH, oW)`` (or ``(C, oH, oW)``) with, per dimension,
        ``o = (i + p_before + p_after - d * (k - 1) - 1) // s + 1``.

    Example:
        >>> import numpy as np
        >>> image = np.arange(25.0).reshape(1, 5, 5)
        >>> column, row = [1, 2, 1], [1, 0, -1]
        >>> out = spatially_separable_conv2d(image, column, row, padding=1)
        >>> out.shape
        (1, 5, 5)
        >>> sobel = np.array([[[[1, 0, -1], [2, 0, -2], [1, 0, -1]]]])
        >>> bool(np.allclose(out, conv2d(image, sobel, padding=1)))
        True
    """
    fname = "spatially_separable_conv2d"
    x, c = _channels(fname, input)
    col = check_vector("column", column)
    rw = check_vector("row", row)
    # the sizes of the one-pass convolution with the kernel outer(column, row): every size rule
    sh = conv_shape(x.shape[-2:], (col.size, rw.size), stride, padding, dilation)
    (sy, sx), (dy, dx), (py, px) = sh.stride, sh.dilation, sh.padding
    w_column = np.tile(col.reshape(1, 1, -1, 1), (c, 1, 1, 1))
    w_row = np.tile(rw.reshape(1, 1, 1, -1), (c, 1, 1, 1))
    h = conv2d(x, w_column, stride=(sy, 1), padding=(py, (0, 0)), dilation=(dy, 1), groups=c)
    return conv2d(h, w_row, stride=(1, sx), padding=((0, 0), px), dilation=(1, dx), groups=c)


def depthwise_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    """Depthwise convolution: each input channel convolved with its own kernels, never mixed.

    ``out[n, c*m + j] = bias[c*m + j] + sum_t weight[c*m + j, 0, t] * x_pad[n, c, y*s + t*d]``:
    :func:`convtutor.conv2d` with ``groups = C``. Each of the ``C`` input channels gets ``m``
    kernels (``m`` the depth multiplier, usually 1), giving ``C * m`` output channels, in
    the order of ``torch.nn.Conv2d(C, C * m, k, groups=C)``.

    Parameters:
        input: array ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        weight: array ``(C * m, 1, kH, kW)``.
        bias: optional array ``(C * m,)``.
        stride, padding, dilation: as in :func:`convtutor.conv2d`.

    Shape:
        output ``(N, C * m, oH, oW)`` with ``o = (i + p_before + p_after - d * (k - 1) - 1) // s + 1``.

    Example:
        >>> import numpy as np
        >>> x, w = np.ones((1, 16, 8, 8)), np.ones((16, 1, 3, 3))
        >>> depthwise_conv2d(x, w, padding=1).shape
        (1, 16, 8, 8)
        >>> x, w = np.ones((3, 8, 8)), np.ones((6, 1, 3, 3))   # m = 2
        >>> depthwise_conv2d(x, w).shape
        (6, 6, 6)
    """
    fname = "depthwise_conv2d"
    x, c = _channels(fname, input)
    w = check_ndim("weight", as_numeric_array("weight", weight), (4,), "a 4-D array (C * m, 1, kH, kW)")
    if w.shape[1] != 1:
        raise ValueError(
            f"weight.shape[1]={w.shape[1]} must be 1 (each kernel reads one input channel); "
            f"weight must be (C * m, 1, kH, kW), got shape {w.shape}"
        )
    if w.shape[0] < 1 or w.shape[0] % c:
        raise ValueError(
            f"weight.shape[0]={w.shape[0]} must be a positive multiple of in_channels={c} "
            "(C * m kernels, m the depth multiplier)"
        )
    return _compute.conv_forward(conv_call(fname, 2, x, w, bias, stride, padding, dilation, c))


def _pointwise_weight(name: str, weight) -> np.ndarray:
    w = check_ndim(
        name, as_numeric_array(name, weight), (2, 4), "a 2-D (C_out, C_in) or 4-D (C_out, C_in, 1, 1) array"
    )
    if w.ndim == 4 and w.shape[2:] != (1, 1):
        raise ValueError(f"{name} must have a 1x1 kernel, got shape {w.shape}")
    return w.reshape(w.shape[0], w.shape[1], 1, 1)


def pointwise_conv2d(input, weight, bias=None):
    """Pointwise (1x1) convolution: mixes the channels at every pixel, never looks at neighbours.

    ``out[n, o, y, x] = bias[o] + sum_c weight[o, c] * input[n, c, y, x]``: one matrix product
    of the ``(C_out, C_in)`` weight with the channel vector of every pixel.

    Parameters:
        input: array ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: array ``(C_out, C_in)`` or ``(C_out, C_in, 1, 1)`` (the torch layout).
        bias: optional array ``(C_out,)``.

    Shape:
        output ``(N, C_out, H, W)``: the spatial size is unchanged.

    Example:
        >>> import numpy as np
        >>> pointwise_conv2d(np.ones((1, 16, 8, 8)), np.ones((32, 16))).shape
        (1, 32, 8, 8)
    """
    fname = "pointwise_conv2d"
    x, _ = _channels(fname, input)
    w = _pointwise_weight("weight", weight)
    return _compute.conv_forward(conv_call(fname, 2, x, w, bias, 1, 0, 1, 1))


def depthwise_separable_conv2d(
    input,
    depthwise_weight,
    pointwise_weight,
    depthwise_bias=None,
    pointwise_bias=None,
    stride=1,
    padding=0,
    dilation=1,
):
    """Depthwise separable convolution: a depthwise convolution, then a pointwise (1x1) one.

    ``out = pointwise_conv2d(depthwise_conv2d(x, W_d, b_d, s, p, d), W_p, b_p)``: the first
    step filters each channel in space (``groups = C``), the second mixes channels (1x1).
    It replaces a full ``k x k`` convolution from ``C`` to ``C_out`` channels at a fraction
    ``1 / C_out + 1 / k^2`` of its cost (:func:`convtutor.mobilenet_cost_ratio`).

    Parameters:
        input: array ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        depthwise_weight: array ``(C * m, 1, kH, kW)``, ``m`` the depth multiplier.
        pointwise_weight: array ``(C_out, C * m)`` or ``(C_out, C * m, 1, 1)``.
        depthwise_bias: optional array ``(C * m,)``.
        pointwise_bias: optional array ``(C_out,)``.
        stride, padding, dilation: of the depthwise step, as in :func:`convtutor.conv2d`.

    Shape:
        output ``(N, C_out, oH, oW)`` with ``o = (i + p_before + p_after - d * (k - 1) - 1) // s + 1``.

    Example:
        >>> import numpy as np
        >>> x = np.ones((1, 16, 8, 8))
        >>> dw, pw = np.ones((16, 1, 3, 3)), np.ones((32, 16))
        >>> depthwise_separable_conv2d(x, dw, pw, padding=1).shape
        (1, 32, 8, 8)
    """
    dw = as_numeric_array("depthwise_weight", depthwise_weight)
    pw = _pointwise_weight("pointwise_weight", pointwise_weight)
    if dw.ndim == 4 and pw.shape[1] != dw.shape[0]:
        raise ValueError(
            f"pointwise_weight.shape[1]={pw.shape[1]} must equal the number of depthwise "
            f"output channels depthwise_weight.shape[0]={dw.shape[0]} (C * m)"
        )
    hidden = depthwise_conv2d(input, dw, depthwise_bias, stride=stride, padding=padding, dilation=dilation)
    return pointwise_conv2d(hidden, pw, pointwise_bias)
