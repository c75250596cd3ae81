"""conv1d/2d/3d, conv_loops, im2col, conv_matrix and flip_kernel checked against PyTorch.

Every expected value comes from torch.nn.functional (or from numpy's own np.convolve, or a
formula written out in the test), never from convtutor itself.
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import convtutor as ct
from convtutor import _compute

from _torch_support import CONV_CASES, TOL, tt, torch_conv

torch.set_num_threads(1)

# torch's own note that 'same' padding with an even kernel copies the input
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

CONV = {1: ct.conv1d, 2: ct.conv2d, 3: ct.conv3d}


CASES = CONV_CASES
IDS = [c.id for c in CASES]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv_matches_torch(case, dtype, rng, path):
    x, w, b = case.arrays(rng, dtype)
    expected = torch_conv(case.nd, x, w, b, **case.kwargs())
    out = CONV[case.nd](x, w, b, **case.kwargs())
    assert isinstance(out, np.ndarray)
    assert out.dtype == dtype
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **TOL[dtype])


def test_a_result_does_not_change_when_the_workspace_is_reused(rng, path):
    # the banded and row-stacked paths keep their buffers between calls (convtutor._compute._workspace)
    x, w = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, 3, 3))
    first = ct.conv2d(x, w, padding=1)
    kept = first.copy()
    ct.conv2d(rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, 3, 3)), padding=1)
    ct.conv_transpose2d(rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((3, 2, 4, 4)), stride=2)
    np.testing.assert_array_equal(first, kept)


def test_threads_computing_at_once_get_their_own_results(rng, monkeypatch, path):
    monkeypatch.setattr(_compute, "BAND_BYTES", 60_000)          # many bands: many chances to collide
    inputs = [(rng.standard_normal((2, 16, 30, 30)), rng.standard_normal((16, 16, 3, 3))) for _ in range(3)]
    expected = [torch_conv(2, x, w, padding=1) for x, w in inputs]
    results = [[] for _ in inputs]

    def work(k):
        for _ in range(10):
            results[k].append(ct.conv2d(*inputs[k], padding=1))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(inputs))]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)                  # switch threads often, also in the middle of a call
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    for got, want in zip(results, expected):
        assert len(got) == 10
        for out in got:
            np.testing.assert_allclose(out, want, **TOL[np.float64])


# The banded path splits the kernel's axes into copied ones and stacked ones (convtutor._compute),
# choosing the split by a cost estimate, and works through a band of rows at a time, as many as
# fit in BAND_BYTES: at these sizes every case would take one split and one band. Every split,
# and bands of one row and of a few rows, must give torch's answer too.
SPLITS = [(c, a) for c in CASES if c.groups < c.c_in for a in range(c.nd + 1)]


@pytest.mark.parametrize("band_bytes", [1, 3000], ids=["rows1", "rows-few"])
@pytest.mark.parametrize(("case", "split"), SPLITS, ids=[f"{c.id}-split{a}" for c, a in SPLITS])
def test_every_split_and_band_matches_torch(case, split, band_bytes, rng, monkeypatch):
    monkeypatch.setattr(_compute, "SMALL_BYTES", 0)
    monkeypatch.setattr(_compute, "ROW_CELLS", 1 << 40)
    monkeypatch.setattr(_compute, "BAND_BYTES", band_bytes)
    monkeypatch.setattr(_compute, "_split", lambda per_dim, c_in, c_out: split)
    x, w, b = case.arrays(rng, np.float64)
    out = CONV[case.nd](x, w, b, **case.kwargs())
    np.testing.assert_allclose(out, torch_conv(case.nd, x, w, b, **case.kwargs()), **TOL[np.float64])


# The row-stacked path builds its copy of the input a band of output rows at a time; a stride or
# a dilation along the first axis gives bands whose rows read the copy in several classes.
ROW_CASES = [c for c in CASES if c.nd > 1 and c.groups < c.c_in]


@pytest.mark.parametrize("band_bytes", [1, 3000], ids=["rows1", "rows-few"])
@pytest.mark.parametrize("case", ROW_CASES, ids=[c.id for c in ROW_CASES])
def test_row_stacked_bands_match_torch(case, band_bytes, rng, monkeypatch):
    monkeypatch.setattr(_compute, "SMALL_BYTES", 0)
    monkeypatch.setattr(_compute, "ROW_CELLS", 1)
    monkeypatch.setattr(_compute, "ROW_DEPTH", 1)
    monkeypatch.setattr(_compute, "BAND_BYTES", band_bytes)
    x, w, b = case.arrays(rng, np.float64)
    out = CONV[case.nd](x, w, b, **case.kwargs())
    np.testing.assert_allclose(out, torch_conv(case.nd, x, w, b, **case.kwargs()), **TOL[np.float64])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv_loops_matches_torch(case, rng):
    x, w, b = case.arrays(rng, np.float64)
    expected = torch_conv(case.nd, x, w, b, **case.kwargs())
    out = ct.conv_loops(x, w, b, **case.kwargs())
    assert out.dtype == np.float64
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **TOL[np.float64])


@pytest.mark.parametrize("case", CASES[::3], ids=IDS[::3])
def test_conv_loops_float32_stays_float32(case, rng):
    x, w, b = case.arrays(rng, np.float32)
    out = ct.conv_loops(x, w, b, **case.kwargs())
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, torch_conv(case.nd, x, w, b, **case.kwargs()), **TOL[np.float32])


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.id in {"1d-groups2", "2d-asym-2", "2d-depthwise", "3d-groups2-bias"}],
    ids=lambda c: c.id,
)
@pytest.mark.parametrize("fn", ["fast", "loops"])
def test_integer_inputs_give_exact_integer_results(case, fn, rng, path):
    x, w, b = case.arrays(rng)
    x = rng.integers(-5, 6, x.shape)
    w = rng.integers(-3, 4, w.shape)
    b = None if b is None else rng.integers(-9, 10, b.shape)
    expected = torch_conv(case.nd, x.astype(np.float64), w.astype(np.float64),
                          None if b is None else b.astype(np.float64), **case.kwargs())
    f = CONV[case.nd] if fn == "fast" else ct.conv_loops
    out = f(x, w, b, **case.kwargs())
    assert out.dtype.kind == "i"
    np.testing.assert_array_equal(out, expected.astype(np.int64))


@pytest.mark.parametrize(
    "xdtype, wdtype",
    [(np.float32, np.float64), (np.float64, np.float32), (np.int32, np.float32), (np.int64, np.float64),
     (np.int16, np.int16), (np.float32, np.float32)],
)
def test_output_dtype_follows_inputs(xdtype, wdtype, rng, path):
    x = rng.integers(-3, 4, (2, 2, 6, 6)).astype(xdtype)
    w = rng.integers(-2, 3, (3, 2, 3, 3)).astype(wdtype)
    expected_dtype = np.result_type(xdtype, wdtype)
    for f in (ct.conv2d, ct.conv_loops):
        out = f(x, w, padding=1)
        assert out.dtype == expected_dtype
        np.testing.assert_allclose(
            out.astype(np.float64), torch_conv(2, x.astype(np.float64), w.astype(np.float64), padding=1),
            rtol=1e-6,
        )
    # a float32 bias does not promote a float32 convolution
    b32 = np.ones(3, np.float32)
    assert ct.conv2d(x.astype(np.float32), w.astype(np.float32), b32).dtype == np.float32


def test_nested_lists_are_accepted():
    x = [[1.0, 2.0, 3.0, 4.0]]  # unbatched, one channel
    w = [[[1.0, -1.0]]]
    out = ct.conv1d(x, w)
    np.testing.assert_array_equal(out, [[1.0 - 2.0, 2.0 - 3.0, 3.0 - 4.0]])


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_zero_batch(nd, rng, path):
    x = np.zeros((0, 2) + (5,) * nd)
    w = rng.standard_normal((4, 1) + (3,) * nd)
    out = CONV[nd](x, w, groups=2, stride=2)
    assert out.shape == torch_conv(nd, x, w, groups=2, stride=2).shape


@pytest.mark.parametrize("case", [c for c in CASES if c.n is not None and c.nd >= 2][::2], ids=lambda c: c.id)
def test_non_contiguous_and_negative_stride_inputs(case, rng, path):
    x, w, b = case.arrays(rng)
    # views with negative and non-unit strides, and a Fortran-ordered copy
    big = rng.standard_normal((case.n, case.c_in, *(2 * s for s in case.size)))
    xv = big[(slice(None), slice(None), *(slice(None, None, -2) for _ in case.size))]
    assert not xv.flags.c_contiguous
    wv = np.asfortranarray(w)[..., ::-1]
    expected = torch_conv(case.nd, xv, wv, b, **case.kwargs())
    np.testing.assert_allclose(CONV[case.nd](xv, wv, b, **case.kwargs()), expected, **TOL[np.float64])
    np.testing.assert_allclose(ct.conv_loops(xv, wv, b, **case.kwargs()), expected, **TOL[np.float64])
    xf = np.asfortranarray(x)
    np.testing.assert_allclose(
        CONV[case.nd](xf, w, b, **case.kwargs()), torch_conv(case.nd, x, w, b, **case.kwargs()), **TOL[np.float64]
    )


def _read_only(*arrays):
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
            continue
        a = np.array(a)
        a.flags.writeable = False
        out.append(a)
    return out


@pytest.mark.parametrize("case", [c for c in CASES if c.id in {
    "1d-stride2-pad1-dil2-bias", "2d-groups2-bias", "2d-depthwise", "2d-same-even-4x2-dil",
    "2d-unbatched", "3d-groups2-bias"}], ids=lambda c: c.id)
def test_read_only_inputs_work_and_are_not_modified(case, rng, path):
    x, w, b = case.arrays(rng)
    x_ro, w_ro, b_ro = _read_only(x, w, b)
    expected = torch_conv(case.nd, x, w, b, **case.kwargs())
    for f in (CONV[case.nd], ct.conv_loops):
        out = f(x_ro, w_ro, b_ro, **case.kwargs())
        np.testing.assert_allclose(out, expected, **TOL[np.float64])
        assert out.flags.writeable  # a fresh array, not a view of the inputs
        assert not np.shares_memory(out, x_ro)
    np.testing.assert_array_equal(x_ro, x)
    np.testing.assert_array_equal(w_ro, w)
    if b is not None:
        np.testing.assert_array_equal(b_ro, b)


@pytest.mark.parametrize("case", [c for c in CASES if c.id in {
    "1d-stride2-pad1-dil2-bias", "2d-groups2-bias", "2d-depthwise", "2d-same-odd", "3d-groups2-bias"}],
    ids=lambda c: c.id)
def test_writable_inputs_are_not_modified(case, rng, path):
    x, w, b = case.arrays(rng)
    copies = [None if a is None else a.copy() for a in (x, w, b)]
    if case.groups == 1:
        ct.im2col(x, case.kernel, case.stride, case.padding, case.dilation)
    ct.conv_matrix(x.shape[-case.nd - 1:], w, case.stride, case.padding, case.dilation, case.groups)
    ct.flip_kernel(w)
    CONV[case.nd](x, w, b, **case.kwargs())
    ct.conv_loops(x, w, b, **case.kwargs())
    for a, c in zip((x, w, b), copies):
        if a is not None:
            np.testing.assert_array_equal(a, c)


def test_read_only_inputs_for_im2col_conv_matrix_flip_kernel(rng):
    x, w = _read_only(rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)))
    cols = ct.im2col(x, 3, padding=1)
    np.testing.assert_allclose(cols, F.unfold(tt(x), 3, padding=1).numpy(), **TOL[np.float64])
    c = ct.conv_matrix((2, 5, 5), w)
    np.testing.assert_allclose(c @ x[0].ravel(), torch_conv(2, x, w).ravel(), **TOL[np.float64])
    flipped = ct.flip_kernel(w)
    flipped[...] = 0  # the result is a writable copy: writing to it leaves the weight alone
    assert np.any(w != 0)


# ---------------------------------------------------------------- im2col against F.unfold

UNFOLD_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=(2, 3)),
    dict(kernel_size=3, stride=2),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)),
    dict(kernel_size=2, padding=1, dilation=2),
    dict(kernel_size=(2, 2), stride=(1, 3), padding=(2, 1), dilation=(2, 1)),
    dict(kernel_size=1),
    dict(kernel_size=(6, 5)),
]


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("kw", UNFOLD_CASES, ids=[str(i) for i in range(len(UNFOLD_CASES))])
def test_im2col_matches_torch_unfold(kw, dtype, batched, rng):
    x = rng.standard_normal((2, 3, 6, 5)).astype(dtype)
    expected = F.unfold(tt(x), **kw).numpy()
    if batched:
        out = ct.im2col(x, **kw)
    else:
        out = ct.im2col(x[1], **kw)
        expected = expected[1]
    assert out.dtype == dtype
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)  # pure copies of input values: exact


@pytest.mark.parametrize("case", [c for c in CASES if c.groups == 1 and c.nd in (1, 3)], ids=lambda c: c.id)
def test_im2col_times_weight_is_the_convolution_1d_3d(case, rng):
    x, w, b = case.arrays(rng)
    expected = torch_conv(case.nd, x, w, **case.kwargs())
    cols = ct.im2col(x, case.kernel, case.stride, case.padding, case.dilation)
    k = math.prod(case.kernel)
    assert cols.shape[-2] == case.c_in * k
    out = w.reshape(case.c_out, -1) @ cols
    np.testing.assert_allclose(out, expected.reshape(out.shape), **TOL[np.float64])


# ---------------------------------------------------------------- the convolution matrix C

MATRIX_CASES = [c for c in CASES if c.id in {
    "1d-basic", "1d-stride2-pad1-dil2-bias", "1d-groups2", "1d-same-even-k4", "2d-basic",
    "2d-article-5x5-s2", "2d-asym-stride-pad-dil", "2d-groups3", "2d-depthwise", "2d-same-even-4x2-dil",
    "2d-big-padding", "2d-unbatched", "3d-asym", "3d-groups2-bias"}]


@pytest.mark.parametrize("case", MATRIX_CASES, ids=lambda c: c.id)
def test_conv_matrix_times_input_is_the_convolution(case, rng):
    x, w, _ = case.arrays(rng)
    images = x if case.n is not None else x[np.newaxis]
    expected = torch_conv(case.nd, images, w, **case.kwargs())
    c = ct.conv_matrix((case.c_in, *case.size), w, case.stride, case.padding, case.dilation, case.groups)
    o = expected.shape[2:]
    assert c.shape == (case.c_out * math.prod(o), case.c_in * math.prod(case.size))
    assert c.dtype == w.dtype
    for image, exp in zip(images, expected):
        np.testing.assert_allclose(c @ image.ravel(), exp.ravel(), **TOL[np.float64])


def test_conv_matrix_float32_and_int_weights(rng):
    w32 = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    assert ct.conv_matrix((1, 4, 4), w32).dtype == np.float32
    wi = rng.integers(-3, 4, (2, 1, 3, 3))
    c = ct.conv_matrix((1, 4, 4), wi)
    x = rng.integers(-3, 4, (1, 4, 4))
    np.testing.assert_array_equal(c @ x.ravel(), torch_conv(2, x[None] * 1.0, wi * 1.0).ravel())


def test_conv_matrix_dumoulin_visin_4x4_example():
    # Dumoulin & Visin (2016), section 4.1: a 3x3 kernel over a 4x4 input (no padding,
    # unit stride) is the 4x16 matrix whose first row reads
    # (w00 w01 w02 0 w10 w11 w12 0 w20 w21 w22 0 0 0 0 0), each next row shifted.
    w = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    c = ct.conv_matrix((1, 4, 4), w)
    first = np.array([1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 0, 0, 0, 0], dtype=float)
    np.testing.assert_array_equal(c[0], first)
    np.testing.assert_array_equal(c[1], np.roll(first, 1))   # next output column: one cell right
    np.testing.assert_array_equal(c[2], np.roll(first, 4))   # next output row: one input row down
    np.testing.assert_array_equal(c[3], np.roll(first, 5))


# ---------------------------------------------------------------- flip_kernel: true convolution

@pytest.mark.parametrize("n, k", [(7, 3), (8, 4), (5, 1), (6, 6)])
def test_flip_kernel_gives_true_convolution_1d(n, k, rng):
    x = rng.standard_normal(n)
    kern = rng.standard_normal(k)
    w = kern.reshape(1, 1, k)
    valid = ct.conv1d(x.reshape(1, 1, n), ct.flip_kernel(w))
    np.testing.assert_allclose(valid.ravel(), np.convolve(x, kern, mode="valid"), rtol=1e-12, atol=1e-12)
    full = ct.conv1d(x.reshape(1, 1, n), ct.flip_kernel(w), padding=k - 1)
    np.testing.assert_allclose(full.ravel(), np.convolve(x, kern, mode="full"), rtol=1e-12, atol=1e-12)
    # and 'full' padding mode pads exactly k - 1 on both sides
    np.testing.assert_allclose(ct.conv1d(x.reshape(1, 1, n), ct.flip_kernel(w), padding="full").ravel(),
                               np.convolve(x, kern, mode="full"), rtol=1e-12, atol=1e-12)
    # without the flip it is cross-correlation, which np.correlate computes
    np.testing.assert_allclose(ct.conv1d(x.reshape(1, 1, n), w).ravel(),
                               np.correlate(x, kern, mode="valid"), rtol=1e-12, atol=1e-12)


def test_flip_kernel_gives_true_convolution_2d(rng):
    x = rng.standard_normal((5, 6))
    kern = rng.standard_normal((2, 3))
    # the textbook definition, written out: (x * k)[i, j] = sum_{m, n} x[i - m, j - n] k[m, n],
    # over the positions where the flipped kernel lies fully inside x ('valid')
    expected = np.zeros((5 - 2 + 1, 6 - 3 + 1))
    for i in range(expected.shape[0]):
        for j in range(expected.shape[1]):
            ii, jj = i + 1, j + 2  # index of the kernel's last tap in x
            expected[i, j] = sum(x[ii - m, jj - n] * kern[m, n] for m in range(2) for n in range(3))
    out = ct.conv2d(x[None, None], ct.flip_kernel(kern[None, None]))[0, 0]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_flip_kernel_flips_only_spatial_axes(rng):
    w = rng.standard_normal((2, 3, 4, 5, 2))
    f = ct.flip_kernel(w)
    assert f.shape == w.shape and f.dtype == w.dtype
    for o in range(2):
        for c in range(3):
            np.testing.assert_array_equal(f[o, c], w[o, c, ::-1, ::-1, ::-1])
    np.testing.assert_array_equal(ct.flip_kernel(f), w)
    assert not np.shares_memory(f, w)
    w32 = w.astype(np.float32)
    assert ct.flip_kernel(w32).dtype == np.float32


# ---------------------------------------------------------------- gradients against autograd

@pytest.mark.parametrize("case", [c for c in CASES if c.n is not None][::2], ids=lambda c: c.id)
def test_gradients_match_autograd(case, rng):
    x, w, b = case.arrays(rng)
    xt, wt = tt(x).requires_grad_(True), tt(w).requires_grad_(True)
    out = torch_conv_module(case.nd)(xt, wt, **case.kwargs())
    g = rng.standard_normal(tuple(out.shape))
    out.backward(tt(g))
    kw = case.kwargs()
    np.testing.assert_allclose(ct.conv_input_grad(g, w, case.size, **kw), xt.grad.numpy(), **TOL[np.float64])
    np.testing.assert_allclose(ct.conv_weight_grad(x, g, case.kernel, **kw), wt.grad.numpy(), **TOL[np.float64])


def torch_conv_module(nd):
    return {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]


def test_gradient_errors():
    with pytest.raises(ValueError, match=r"grad_output has spatial size \(3, 3\), but the convolution of an input "
                                         r"of size \(5, 5\) gives \(2, 2\)"):
        ct.conv_input_grad(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), (5, 5), stride=2)
    with pytest.raises(ValueError, match=r"must both be batched or both unbatched"):
        ct.conv_weight_grad(np.ones((1, 2, 5, 5)), np.ones((3, 3, 3)), 3)
    with pytest.raises(ValueError, match=r"the same number of examples, got 1 and 2"):
        ct.conv_weight_grad(np.ones((1, 2, 5, 5)), np.ones((2, 3, 3, 3)), 3)
