"""Deconvolution proper: undoing a convolution, where that is possible at all.

A convolution is linear: ``y = C x`` with ``C`` its matrix (:func:`convtutor.conv_matrix`,
one row per output value, one column per input value). Two different matrices go back from
``y`` to something of the input's shape:

* the **transposed convolution** multiplies by ``C^T``
  (:func:`convtutor.conv_transpose2d`). It restores the *shape* of the input, not its
  values: ``C^T C x`` is generally not ``x``. Calling it "deconvolution" is a misnomer;
* a **deconvolution** (a real inverse) multiplies by the pseudo-inverse ``C^+``, which gives
  the least-squares, minimum-norm solution of ``C x = y``. It returns ``x`` itself exactly
  when ``C`` has full column rank (no nonzero input gives a zero output).

When ``C`` has fewer independent rows than columns (a stride larger than 1, 'valid' padding,
fewer output than input channels), the inputs that differ by an element of the null space of
``C`` give the same output, and no method can tell them apart: :func:`lost_information`
counts those dimensions and shows them. With stride 1 and 'full' padding, one input and one
output channel, every nonzero kernel gives an invertible convolution (a product of nonzero
polynomials is not zero), though a badly conditioned one amplifies noise.

The matrices here are dense: this module is for small examples (a few thousand input values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._call import weight_for_input
from ._validation import as_numeric_array, check_finite, check_real, numerical_rank, weight_dims
from .arithmetic import conv_transpose_output_size
from .conv import conv1d, conv2d, conv3d, conv_matrix
from .transposed import conv_transpose1d, conv_transpose2d, conv_transpose3d

__all__ = [
    "Deconvolution",
    "LostInformation",
    "InverseComparison",
    "deconvolve",
    "lost_information",
    "compare_inverses",
]

_CONV = {1: conv1d, 2: conv2d, 3: conv3d}
_CONV_TRANSPOSE = {1: conv_transpose1d, 2: conv_transpose2d, 3: conv_transpose3d}


@dataclass(frozen=True, eq=False)
class Deconvolution:
    """Result of :func:`deconvolve`.

    ``estimate`` is the minimum-norm least-squares input; ``rank`` the rank of the convolution
    matrix ``C``; ``unknowns`` the number of input values (columns of ``C``); ``equations``
    the number of output values (rows); ``exact`` whether ``C`` has full column rank, i.e. the
    input is uniquely determined by the output; ``residual`` the norm ``||C x - y||`` (0 when
    the output is consistent); ``condition_number`` ``sigma_max / sigma_min`` of ``C`` when
    ``exact`` (how much noise in ``y`` can be amplified), else infinity.
    """

    estimate: np.ndarray
    rank: int
    unknowns: int
    equations: int
    exact: bool
    residual: float
    condition_number: float

    @property
    def lost_dimensions(self) -> int:
        """Dimension of the null space of ``C``: ``unknowns - rank``."""
        return self.unknowns - self.rank


@dataclass(frozen=True, eq=False)
class LostInformation:
    """Result of :func:`lost_information`.

    ``dimension = unknowns - rank`` is the dimension of the null space of ``C``; ``basis``
    holds an orthonormal basis of it, one array of the input's shape per dimension: adding
    any combination of them to an input does not change the convolution's output.
    """

    unknowns: int
    rank: int
    dimension: int
    basis: np.ndarray


@dataclass(frozen=True, eq=False)
class InverseComparison:
    """Result of :func:`compare_inverses`: the input, the output, and the two ways back.

    ``transposed`` is the transposed convolution of the output (same shape as the input);
    ``deconvolved`` the least-squares inverse; the errors are ``||z - x|| / ||x||``;
    ``exact`` tells whether the input was uniquely recoverable.
    """

    input: np.ndarray
    output: np.ndarray
    transposed: np.ndarray
    deconvolved: np.ndarray
    transposed_error: float
    deconvolved_error: float
    exact: bool


def _setup(fname, weight, input_shape, stride, padding, dilation, groups):
    """Check a convolution of an input known by its shape; return the weight, the layer and ``C``."""
    w, layer = weight_for_input(fname, input_shape, weight, stride, padding, dilation, groups)
    check_finite("weight", w)
    matrix = conv_matrix((layer.in_channels, *layer.input_size), w.astype(np.float64), layer.stride,
                         layer.padding, layer.dilation, layer.groups)
    return w, layer, matrix


def _rank(s: np.ndarray, rcond: float | None, shape) -> int:
    """The rank rule of the package, with ``rcond`` defaulting to ``max(shape) * eps``."""
    return numerical_rank(s, max(shape) * float(np.finfo(np.float64).eps) if rcond is None else rcond)


def deconvolve(
    output, weight, input_shape, stride=1, padding=0, dilation=1, groups=1, rcond=None
) -> Deconvolution:
    """Invert a convolution by least squares: the input ``x`` that best explains ``output``.

    ``x = C^+ y = V_r diag(1 / sigma_r) U_r^T y`` from the singular value decomposition of
    the convolution matrix ``C`` (:func:`convtutor.conv_matrix`), keeping the ``r`` singular
    values above ``rcond * sigma_max``. This minimises ``||C x - y||`` and, among all
    minimisers, ``||x||``. It is the input itself when ``C`` has full column rank
    (``exact``), and otherwise the input's component outside the null space of ``C``.
    A convolution with a bias is inverted by subtracting the bias from ``output`` first.

    Parameters:
        output: the convolution's output, ``(C_out, *o)`` or batched ``(N, C_out, *o)``.
        weight: ``(C_out, C_in / groups, *kernel)`` with 1, 2 or 3 spatial dimensions.
        input_shape: the unbatched input shape ``(C_in, *i)`` to recover.
        stride, padding, dilation, groups: those of the convolution, as in :func:`convtutor.conv2d`.
        rcond: relative cutoff for small singular values; default ``max(rows, columns) * eps``.

    Returns:
        a :class:`Deconvolution` (``estimate``, ``rank``, ``unknowns``, ``equations``,
        ``exact``, ``residual``, ``condition_number``). The estimate is float (float32 when
        output and weight are float32).

    Shape:
        ``estimate`` has shape ``input_shape`` (with ``N`` first for a batched output);
        ``C`` is ``(C_out * prod(o), C_in * prod(i))`` with
        ``o = (i + p_before + p_after - d * (k - 1) - 1) // s + 1``.

    Example:
        >>> import numpy as np
        >>> from convtutor import conv2d
        >>> x = np.arange(16.0).reshape(1, 4, 4)
        >>> w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> y = conv2d(x, w, padding='full')   # invertible
        >>> result = deconvolve(y, w, x.shape, padding='full')
        >>> result.exact, result.rank, result.unknowns
        (True, 16, 16)
        >>> bool(np.allclose(result.estimate, x))
        True
    """
    fname = "deconvolve"
    rcond = check_real("rcond", rcond, minimum=0.0, allow_none=True)
    w, layer, c = _setup(fname, weight, input_shape, stride, padding, dilation, groups)
    nd, shape = layer.ndim, (layer.in_channels, *layer.input_size)
    y = as_numeric_array("output", output)
    expected = (layer.out_channels, *layer.output_size)
    if y.ndim not in (nd + 1, nd + 2) or y.shape[-(nd + 1):] != expected:
        raise ValueError(
            f"{fname}: output has shape {y.shape}, but the convolution of an input of shape {shape} "
            f"with a weight of shape {w.shape} gives {expected} (or (N, *{expected}))"
        )
    check_finite("output", y)
    batched = y.ndim == nd + 2
    ys = y.reshape(-1, c.shape[0]).T.astype(np.float64)          # one column per example
    u, s, vt = np.linalg.svd(c, full_matrices=False)
    r = _rank(s, rcond, c.shape)
    x = vt[:r].T @ ((u[:, :r].T @ ys) / s[:r, None])
    residual = float(np.linalg.norm(c @ x - ys))
    n = c.shape[1]
    exact = r == n
    condition = float(s[0] / s[n - 1]) if exact else math.inf
    dtype = np.result_type(y.dtype, w.dtype, np.float32)
    estimate = x.T.reshape((y.shape[0], *shape) if batched else shape).astype(dtype)
    return Deconvolution(estimate, r, n, c.shape[0], exact, residual, condition)


def lost_information(
    input_shape, weight, stride=1, padding=0, dilation=1, groups=1, rcond=None
) -> LostInformation:
    """What a convolution destroys: the null space of its matrix ``C``.

    ``dimension = unknowns - rank(C)``: the number of independent input patterns that the
    convolution maps to zero. Adding any of them to an input leaves the output unchanged,
    so no inverse, learned or not, can recover them. The basis is the right singular
    vectors of ``C`` whose singular values are at most ``rcond * sigma_max``.

    Parameters:
        input_shape: the unbatched input shape ``(C_in, *i)``.
        weight: ``(C_out, C_in / groups, *kernel)`` with 1, 2 or 3 spatial dimensions.
        stride, padding, dilation, groups: as in :func:`convtutor.conv2d`.
        rcond: relative cutoff for small singular values, as in :func:`deconvolve`.

    Returns:
        a :class:`LostInformation` (``unknowns``, ``rank``, ``dimension``, ``basis``).

    Shape:
        ``basis`` is ``(dimension, *input_shape)``, orthonormal when flattened.

    Example:
        >>> import numpy as np
        >>> w = np.ones((1, 1, 3, 3))
        >>> lost = lost_information((1, 5, 5), w, stride=2)   # 25 in, 4 out
        >>> lost.unknowns, lost.rank, lost.dimension, lost.basis.shape
        (25, 4, 21, (21, 1, 5, 5))
        >>> lost_information((1, 5, 5), w, padding='full').dimension
        0
    """
    rcond = check_real("rcond", rcond, minimum=0.0, allow_none=True)
    _, layer, c = _setup("lost_information", weight, input_shape, stride, padding, dilation, groups)
    shape = (layer.in_channels, *layer.input_size)
    _, s, vt = np.linalg.svd(c, full_matrices=True)
    r = _rank(s, rcond, c.shape)
    n = c.shape[1]
    basis = vt[r:].reshape(n - r, *shape)
    return LostInformation(n, r, n - r, basis)


def _relative_error(estimate: np.ndarray, x: np.ndarray) -> float:
    scale = np.linalg.norm(x)
    diff = np.linalg.norm(estimate.astype(np.float64) - x)
    return float(diff / scale) if scale > 0 else float(diff)


def compare_inverses(
    input, weight, stride=1, padding=0, dilation=1, groups=1, rcond=None
) -> InverseComparison:
    """Convolve, then go back two ways: transposed convolution versus least-squares inverse.

    ``y = conv(x, w)``; ``transposed = conv_transpose(y, w)`` with the same stride, padding,
    dilation and groups and the ``output_padding`` that restores the input's shape
    (that is ``C^T y``); ``deconvolved = C^+ y`` (:func:`deconvolve`). The transposed
    convolution gets the shape right but not the values; the inverse gets the values back
    whenever the convolution is invertible (``exact``).

    Parameters:
        input: ``(C_in, *i)`` or batched ``(N, C_in, *i)``, 1 to 3 spatial dimensions.
        weight: ``(C_out, C_in / groups, *kernel)``.
        stride, padding, dilation, groups: as in :func:`convtutor.conv2d`.
        rcond: relative cutoff for small singular values, as in :func:`deconvolve`.

    Returns:
        an :class:`InverseComparison`.

    Shape:
        ``transposed`` and ``deconvolved`` have the input's shape; ``output`` is
        ``(C_out, *o)`` with ``o = (i + p_before + p_after - d * (k - 1) - 1) // s + 1``.

    Example:
        >>> import numpy as np
        >>> x = np.arange(16.0).reshape(1, 4, 4)
        >>> w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> result = compare_inverses(x, w, padding='full')
        >>> result.transposed.shape == x.shape, result.transposed_error > 1
        (True, True)
        >>> result.exact, result.deconvolved_error < 1e-9
        (True, True)
    """
    rcond = check_real("rcond", rcond, minimum=0.0, allow_none=True)
    nd = weight_dims("compare_inverses", weight, transposed=False)
    x, w = check_finite("input", as_numeric_array("input", input)), as_numeric_array("weight", weight)
    y = _CONV[nd](x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
    w, layer, _ = _setup("compare_inverses", w, x.shape[-(nd + 1):], stride, padding, dilation, groups)
    shape = (layer.in_channels, *layer.input_size)
    # a strided convolution maps several input sizes to one output size: output_padding (below
    # the stride) picks the input's; the transposed convolution crops the same padding pairs
    back = conv_transpose_output_size(layer.output_size, layer.kernel_size, layer.stride, layer.padding, 0,
                                      layer.dilation)
    output_padding = tuple(i - b for i, b in zip(layer.input_size, back))
    transposed = _CONV_TRANSPOSE[nd](y, w, stride=layer.stride, padding=layer.padding,
                                     output_padding=output_padding, groups=layer.groups, dilation=layer.dilation)
    result = deconvolve(y, w, shape, stride, padding, dilation, groups, rcond)
    return InverseComparison(
        x, y, transposed, result.estimate,
        _relative_error(transposed, x), _relative_error(result.estimate, x), result.exact,
    )
