"""causal_conv1d checked against PyTorch and against the definition of causality.

Expected values come from torch.nn.functional (conv1d on an input padded on the left with
F.pad) or from the rule itself (no output before time t moves when input t changes), never
from convtutor.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convtutor.conv import causal_conv1d

from _torch_support import TOL, tt

torch.set_num_threads(1)

def torch_causal(x, w, b=None, dilation=1, groups=1):
    """conv1d of torch on the input padded with d(k-1) zeros on the left only."""
    left = dilation * (w.shape[-1] - 1)
    xt = tt(x)
    if xt.ndim == 2:
        xt = xt[None]
    with torch.no_grad():
        out = F.conv1d(F.pad(xt, (left, 0)), tt(w), tt(b), dilation=dilation, groups=groups)
    out = out.numpy()
    return out if np.ndim(x) == 3 else out[0]


CASES = [
    # (N, C_in, C_out, L, k, dilation, groups, bias)
    (1, 1, 1, 10, 2, 1, 1, False),
    (2, 3, 4, 17, 3, 1, 1, True),
    (2, 4, 6, 16, 2, 4, 2, True),
    (1, 5, 5, 9, 3, 2, 5, False),     # depthwise
    (3, 2, 3, 5, 4, 3, 1, True),      # the dilated kernel (10 cells) is longer than the input
    (1, 2, 2, 1, 3, 2, 1, True),      # a single time step
    (None, 3, 2, 12, 3, 2, 1, True),  # unbatched (C_in, L)
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "N{}-C{}-{}-L{}-k{}-d{}-g{}-b{}".format(*c))
def test_matches_torch_on_left_padded_input(rng, case, dtype):
    n, cin, cout, length, k, d, g, bias = case
    shape = (cin, length) if n is None else (n, cin, length)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((cout, cin // g, k)).astype(dtype)
    b = rng.standard_normal(cout).astype(dtype) if bias else None
    ours = causal_conv1d(x, w, b, dilation=d, groups=g)
    theirs = torch_causal(x, w, b, dilation=d, groups=g)
    assert ours.shape == theirs.shape
    assert ours.dtype == dtype
    np.testing.assert_allclose(ours, theirs, **TOL[dtype])


@pytest.mark.parametrize("length,k,d", [(1, 2, 1), (7, 3, 1), (20, 2, 8), (5, 5, 3), (64, 2, 32)])
def test_output_length_equals_input_length(rng, length, k, d):
    x = rng.standard_normal((2, 3, length))
    w = rng.standard_normal((4, 3, k))
    assert causal_conv1d(x, w, dilation=d).shape == (2, 4, length)
    assert causal_conv1d(x[0], w, dilation=d).shape == (4, length)


@pytest.mark.parametrize("k,d", [(2, 1), (3, 2), (2, 8), (4, 3)])
def test_causality_random_perturbation(rng, k, d):
    length = 40
    x = rng.standard_normal((1, 2, length))
    w = rng.standard_normal((3, 2, k))
    b = rng.standard_normal(3)
    base = causal_conv1d(x, w, b, dilation=d)
    for t in (0, 1, length // 2, length - 1):
        y = x.copy()
        y[..., t] += rng.standard_normal(2) * 10 + 1
        moved = causal_conv1d(y, w, b, dilation=d)
        # nothing before t changes ...
        np.testing.assert_array_equal(moved[..., :t], base[..., :t])
        # ... and output t itself does (its last kernel tap sits on input t)
        assert not np.allclose(moved[..., t], base[..., t])


def test_input_not_modified(rng):
    x = rng.standard_normal((1, 2, 8))
    w = rng.standard_normal((1, 2, 3))
    x0, w0 = x.copy(), w.copy()
    causal_conv1d(x, w, dilation=2)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)


@pytest.mark.parametrize("k,d", [(2, 1), (2, 4), (3, 2), (5, 3)])
def test_single_layer_receptive_field(k, d):
    """Output t reads exactly inputs t - d(k-1), t - d(k-2), ..., t: one-hot probe."""
    length = 30
    t = length - 1
    w = np.ones((1, 1, k))
    read = []
    for s in range(length):
        x = np.zeros((1, 1, length))
        x[0, 0, s] = 1.0
        if causal_conv1d(x, w, dilation=d)[0, 0, t] != 0:
            read.append(s)
    assert read == [t - d * j for j in range(k - 1, -1, -1)]


def test_dilated_stack_receptive_field_wavenet():
    """Kernel 2 at rates 1, 2, ..., 512: the last output depends on exactly the last 1024 inputs,
    measured with torch autograd through causal_conv1d's torch twin and by one-hot probes here."""
    rates = [2 ** n for n in range(10)]
    length = 1500
    # convtutor: push a one-hot impulse through the stack; all-ones kernels keep every path
    # positive, so an output is nonzero exactly when it depends on the impulse
    w = np.ones((1, 1, 2))

    def stack(x):
        for d in rates:
            x = causal_conv1d(x, w, dilation=d)
        return x

    for s, expected in [(length - 1, True), (length - 1024, True), (length - 1025, False), (0, False)]:
        x = np.zeros((1, 1, length))
        x[0, 0, s] = 1.0
        assert (stack(x)[0, 0, -1] != 0) == expected, s
    # the impulse response is causal: output before the impulse stays zero
    x = np.zeros((1, 1, length))
    x[0, 0, 700] = 1.0
    y = stack(x)[0, 0]
    assert not y[:700].any() and np.count_nonzero(y[700:]) == min(1024, length - 700)

    # torch: the same stack of Conv1d layers on left-padded inputs, gradient of the last output
    torch.manual_seed(0)
    layers = [torch.nn.Conv1d(1, 1, 2, dilation=d) for d in rates]
    xt = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 1, length)))
    xt.requires_grad_()
    h = xt
    for layer, d in zip(layers, rates):
        h = layer.double()(F.pad(h, (d, 0)))
    assert h.shape[-1] == length
    h[0, 0, -1].backward()
    reached = np.flatnonzero(xt.grad[0, 0].numpy())
    assert reached.min() == length - 1024 and reached.max() == length - 1 and reached.size == 1024


@pytest.mark.parametrize(
    "kwargs,exc,words",
    [
        (dict(dilation=0), ValueError, "dilation"),
        (dict(dilation=1.5), TypeError, "dilation"),
        (dict(groups=2), ValueError, "groups"),
        (dict(groups=0), ValueError, "groups"),
    ],
)
def test_invalid_arguments(kwargs, exc, words):
    with pytest.raises(exc, match=words):
        causal_conv1d(np.ones((1, 3, 5)), np.ones((2, 3, 2)), **kwargs)


def test_invalid_shapes():
    with pytest.raises(ValueError, match="input"):
        causal_conv1d(np.ones((1, 2, 3, 5)), np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="weight"):
        causal_conv1d(np.ones((1, 2, 5)), np.ones((2, 2, 2, 2)))
    with pytest.raises(ValueError, match="in_channels"):
        causal_conv1d(np.ones((1, 3, 5)), np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="bias"):
        causal_conv1d(np.ones((1, 2, 5)), np.ones((2, 2, 2)), bias=np.ones(3))
    with pytest.raises(TypeError, match="input"):
        causal_conv1d(np.array([["a"]]), np.ones((1, 1, 1)))
