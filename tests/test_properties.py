"""Hypothesis property tests: random valid configurations give torch's results, random invalid
ones are rejected exactly when torch rejects them."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import event, given, settings
from hypothesis import strategies as st

import convtutor as ct

from _torch_support import TOL, TORCH_CONV, TORCH_CONV_T, tt

torch.set_num_threads(1)

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")

CONV = {1: ct.conv1d, 2: ct.conv2d, 3: ct.conv3d}
CONV_T = {1: ct.conv_transpose1d, 2: ct.conv_transpose2d, 3: ct.conv_transpose3d}
KMAX = {1: 4, 2: 3, 3: 2}   # keep the 3-D cases small
EXTRA = {1: 5, 2: 3, 3: 2}  # input cells beyond the smallest valid size


def _maybe_int(draw, values):
    """A per-dimension tuple, or the plain int when every entry is equal (half of the time)."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return tuple(values)


def _arrays(draw, xshape, wshape, c_out, dtype):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal(xshape).astype(dtype)
    w = rng.standard_normal(wshape).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype) if draw(st.booleans()) else None
    return x, w, b


@st.composite
def conv_configs(draw):
    nd = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, KMAX[nd])) for _ in range(nd))
    dilation = [draw(st.integers(1, 3)) for _ in range(nd)]
    mode = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
    stride = [1] * nd if mode == "same" else [draw(st.integers(1, 3)) for _ in range(nd)]
    if mode == "int":
        p = draw(st.integers(0, 2))
        pads, padding = [p] * nd, p
    elif mode == "tuple":
        pads = [draw(st.integers(0, 2)) for _ in range(nd)]
        padding = tuple(pads)
    else:
        pads, padding = [0] * nd, mode  # 'same' always fits; 'valid' pads nothing
    size = tuple(
        max(1, d * (k - 1) + 1 - 2 * p) + draw(st.integers(0, EXTRA[nd]))
        for k, d, p in zip(kernel, dilation, pads)
    )
    batch = (draw(st.integers(1, 2)),) if draw(st.booleans()) else ()
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x, w, b = _arrays(draw, batch + (c_in, *size), (c_out, c_in // groups, *kernel), c_out, dtype)
    kw = dict(stride=_maybe_int(draw, stride), padding=padding, dilation=_maybe_int(draw, dilation), groups=groups)
    return nd, x, w, b, kw


@settings(max_examples=100)
@given(conv_configs())
def test_conv_matches_torch(cfg):
    nd, x, w, b, kw = cfg
    with torch.no_grad():
        expected = TORCH_CONV[nd](tt(x), tt(w), tt(b), **kw).numpy()
    out = CONV[nd](x, w, b, **kw)
    assert out.dtype == x.dtype
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **TOL[x.dtype.type])
    size = x.shape[-nd:]
    assert ct.conv_output_size(size, w.shape[2:], kw["stride"], kw["padding"], kw["dilation"]) == out.shape[-nd:]


@st.composite
def conv_transpose_configs(draw, max_nd=3):
    nd = draw(st.integers(1, max_nd))
    groups = draw(st.integers(1, 3))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, KMAX[nd])) for _ in range(nd))
    stride = [draw(st.integers(1, 3)) for _ in range(nd)]
    dilation = [draw(st.integers(1, 3)) for _ in range(nd)]
    output_padding = [draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation)]
    size = tuple(draw(st.integers(1, 1 + EXTRA[nd])) for _ in range(nd))
    # the largest padding that still leaves one output cell: (i-1)s - 2p + d(k-1) + a + 1 >= 1
    padding = [
        draw(st.integers(0, min(2, ((i - 1) * s + d * (k - 1) + a) // 2)))
        for i, s, d, k, a in zip(size, stride, dilation, kernel, output_padding)
    ]
    batch = (draw(st.integers(1, 2)),) if draw(st.booleans()) else ()
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x, w, b = _arrays(draw, batch + (c_in, *size), (c_in, c_out // groups, *kernel), c_out, dtype)
    kw = dict(stride=_maybe_int(draw, stride), padding=_maybe_int(draw, padding),
              output_padding=_maybe_int(draw, output_padding), groups=groups,
              dilation=_maybe_int(draw, dilation))
    return nd, x, w, b, kw


@settings(max_examples=100)
@given(conv_transpose_configs())
def test_conv_transpose_matches_torch(cfg):
    nd, x, w, b, kw = cfg
    with torch.no_grad():
        expected = TORCH_CONV_T[nd](tt(x), tt(w), tt(b), **kw).numpy()
    out = CONV_T[nd](x, w, b, **kw)
    assert out.dtype == x.dtype
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **TOL[x.dtype.type])
    size = x.shape[-nd:]
    assert ct.conv_transpose_output_size(size, w.shape[2:], kw["stride"], kw["padding"], kw["output_padding"],
                                         kw["dilation"]) == out.shape[-nd:]


@settings(max_examples=40)
@given(conv_transpose_configs(max_nd=2))
def test_teaching_views_match_torch(cfg):
    nd, x, w, b, kw = cfg
    with torch.no_grad():
        expected = TORCH_CONV_T[nd](tt(x), tt(w), tt(b), **kw).numpy()
    for view in (ct.conv_transpose_scatter, ct.conv_transpose_as_conv, ct.conv_transpose_matrix):
        out = view(x, w, b, **kw)
        assert out.dtype == x.dtype, view.__name__
        np.testing.assert_allclose(out, expected, **TOL[x.dtype.type], err_msg=view.__name__)


@settings(max_examples=40)
@given(conv_configs())
def test_conv_loops_and_matrix_match_torch(cfg):
    nd, x, w, b, kw = cfg
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    b64 = None if b is None else b.astype(np.float64)
    with torch.no_grad():
        expected = TORCH_CONV[nd](tt(x64), tt(w64), tt(b64), **kw).numpy()
    np.testing.assert_allclose(ct.conv_loops(x64, w64, b64, **kw), expected, **TOL[np.float64])
    c = ct.conv_matrix(x.shape[-nd - 1:], w64, **kw)
    images = x64.reshape(-1, *x.shape[-nd - 1:])
    flat = images.reshape(len(images), -1) @ c.T
    if b64 is not None:
        flat = flat + np.repeat(b64, math.prod(expected.shape[-nd:]))
    np.testing.assert_allclose(flat, expected.reshape(len(images), -1), **TOL[np.float64])


@settings(max_examples=60)
@given(conv_configs())
def test_adjoint_identity(cfg):
    """<conv(x), y> = <x, conv_transpose(y)> with the output_padding that restores x's shape."""
    nd, x, w, _, kw = cfg
    x = x.astype(np.float64)
    w = w.astype(np.float64)
    y_ = CONV[nd](x, w, **kw)
    y = np.random.default_rng(0).standard_normal(y_.shape)
    pads = ct.resolve_padding(kw["padding"], w.shape[2:], _tuple(kw["dilation"], nd), _tuple(kw["stride"], nd))
    if any(before != after for before, after in pads):
        # 'same' with an even total padding is not a symmetric convolution: no torch transpose
        return
    p = tuple(before for before, _ in pads)
    stride, dilation = _tuple(kw["stride"], nd), _tuple(kw["dilation"], nd)
    op = tuple((i + 2 * pp - d * (k - 1) - 1) % s
               for i, pp, d, k, s in zip(x.shape[-nd:], p, dilation, w.shape[2:], stride))
    back = CONV_T[nd](y, w, stride=stride, padding=p, output_padding=op, groups=kw["groups"], dilation=dilation)
    assert back.shape == x.shape
    assert float(np.sum(x * back)) == pytest.approx(float(np.sum(y_ * y)), rel=1e-9, abs=1e-9)


def _tuple(v, nd):
    return tuple(v) if isinstance(v, tuple) else (v,) * nd


# ------------------------------------------------------------------ invalid arguments

def _raises(call):
    """True if call raises; convtutor may only raise ValueError or TypeError."""
    try:
        call()
    except (ValueError, TypeError, RuntimeError):
        return True
    return False


def _ct_raises(call):
    try:
        call()
    except (ValueError, TypeError):
        return True
    # anything else (IndexError, ZeroDivisionError, ...) propagates and fails the test
    return False


@st.composite
def channels(draw, transposed=False):
    """(groups, C_in, weight shape[:2]): consistent half of the time, otherwise independent
    numbers (mostly inconsistent)."""
    groups = draw(st.integers(1, 4))
    if draw(st.booleans()):
        a, b = draw(st.integers(1, 2)), draw(st.integers(1, 2))
        # conv weight (C_out, C_in / groups); transposed weight (C_in, C_out / groups)
        return groups, groups * a, ((groups * a, b) if transposed else (groups * b, a))
    return groups, draw(st.integers(1, 4)), (draw(st.integers(1, 4)), draw(st.integers(1, 4)))


@settings(max_examples=150)
@given(
    nd=st.integers(1, 2), chans=channels(),
    k=st.integers(1, 5), i=st.integers(1, 5), stride=st.integers(1, 3), dilation=st.integers(1, 3),
    padding=st.one_of(st.integers(0, 2), st.sampled_from(["same", "valid"])),
)
def test_conv_rejects_exactly_what_torch_rejects(nd, chans, k, i, stride, dilation, padding):
    groups, c_in, wshape = chans
    x = np.ones((1, c_in) + (i,) * nd)
    w = np.ones(wshape + (k,) * nd)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    torch_rejects = _raises(lambda: TORCH_CONV[nd](tt(x), tt(w), **kw))
    event(f"torch rejects: {torch_rejects}")
    assert _ct_raises(lambda: CONV[nd](x, w, **kw)) == torch_rejects
    assert _ct_raises(lambda: ct.conv_loops(x, w, **kw)) == torch_rejects


@settings(max_examples=150)
@given(
    nd=st.integers(1, 2), chans=channels(transposed=True),
    k=st.integers(1, 3), i=st.integers(1, 3), stride=st.integers(1, 3), dilation=st.integers(1, 3),
    padding=st.integers(0, 2), output_padding=st.integers(0, 2),
)
def test_conv_transpose_rejects_exactly_what_torch_rejects(
    nd, chans, k, i, stride, dilation, padding, output_padding
):
    groups, c_in, wshape = chans
    x = np.ones((1, c_in) + (i,) * nd)
    w = np.ones(wshape + (k,) * nd)
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
    torch_rejects = _raises(lambda: TORCH_CONV_T[nd](tt(x), tt(w), **kw))
    event(f"torch rejects: {torch_rejects}")
    assert _ct_raises(lambda: CONV_T[nd](x, w, **kw)) == torch_rejects
    for view in (ct.conv_transpose_scatter, ct.conv_transpose_as_conv, ct.conv_transpose_matrix):
        assert _ct_raises(lambda: view(x, w, **kw)) == torch_rejects, view.__name__


@settings(max_examples=100)
@given(
    i=st.integers(1, 8), k=st.integers(1, 5), s=st.one_of(st.none(), st.integers(1, 3)),
    p=st.integers(0, 3), d=st.integers(1, 3), ceil=st.booleans(),
)
def test_pool_output_size_matches_torch_or_both_reject(i, k, s, p, d, ceil):
    pool = torch.nn.MaxPool1d(k, s, padding=p, dilation=d, ceil_mode=ceil)
    try:
        expected = pool(torch.zeros(1, 1, i)).shape[-1]
    except RuntimeError:
        with pytest.raises(ValueError):
            ct.pool_output_size(i, k, s, p, d, ceil)
        return
    assert ct.pool_output_size(i, k, s, p, d, ceil) == expected
