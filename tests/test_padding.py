"""convtutor.padding against torch.nn.functional.pad (and torch's padding_mode of nn.Conv2d)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import convtutor as ct
from convtutor.padding import PADDING_KINDS, pad, padding_source

from _torch_support import tt

TORCH_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def torch_pad(x, pairs, mode):
    flat = [p for pair in reversed(pairs) for p in pair]     # torch lists the last dimension first
    return F.pad(tt(x), flat, mode=TORCH_MODE[mode]).numpy()


@pytest.mark.parametrize("mode", PADDING_KINDS)
@pytest.mark.parametrize("shape, pairs", [
    ((1, 2, 7), ((3, 1),)),
    ((2, 1, 5, 6), ((2, 0), (1, 3))),
    ((1, 2, 4, 5, 3), ((1, 2), (0, 3), (2, 2))),
])
def test_pad_matches_torch(mode, shape, pairs, rng):
    x = rng.standard_normal(shape)
    np.testing.assert_array_equal(pad(x, pairs, mode), torch_pad(x, pairs, mode))


@pytest.mark.parametrize("mode", PADDING_KINDS)
def test_padding_source_names_the_copied_cell(mode):
    for size, before, after in itertools.product(range(1, 6), range(0, 5), range(0, 5)):
        if mode == "reflect" and max(before, after) >= size or mode == "circular" and max(before, after) > size:
            continue
        x = np.arange(1, size + 1, dtype=float)[None, None]          # cell j holds j + 1
        padded = torch_pad(x, ((before, after),), mode)[0, 0]
        sources = [padding_source(p, size, before, mode) for p in range(size + before + after)]
        assert [0.0 if s is None else s + 1.0 for s in sources] == padded.tolist()


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_with_padding_mode_equals_torch_conv2d_padding_mode(mode, rng):
    x, w = rng.standard_normal((1, 3, 6, 7)), rng.standard_normal((4, 3, 3, 3))
    layer = torch.nn.Conv2d(3, 4, 3, padding=(1, 2), padding_mode=mode, bias=False).double()
    with torch.no_grad():
        layer.weight.copy_(tt(w))
        expected = layer(tt(x)).numpy()
    np.testing.assert_allclose(ct.conv2d(pad(x, (1, 2), mode), w), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: pad(np.ones((1, 1, 4)), (4,), "reflect"), ValueError,
     r"in dimension 0, padding=4 must be smaller than the size 4 for padding_mode='reflect'"),
    (lambda: pad(np.ones((1, 1, 4)), (5,), "circular"), ValueError,
     r"padding=5 must be at most the size 4 for padding_mode='circular'"),
    (lambda: pad(np.ones((1, 1, 4)), (1,), "mirror"), ValueError, r"mode='mirror' must be one of 'zeros'"),
    (lambda: pad(np.ones((1, 1, 4)), (-1,)), ValueError, r"padding=-1 must be >= 0"),
    (lambda: pad(np.ones((1, 1, 4)), ((1, -1),)), ValueError, r"must be >= 0 in every dimension"),
    (lambda: pad(np.ones((1, 1, 4)), (1, 1, 1, 1)), ValueError, r"dims=4 is more than the 3 axes"),
    (lambda: pad(np.ones((1, 1, 4, 4)), (1, 2, 3), dims=2), ValueError, r"must be an int or have 2 entries"),
    (lambda: pad(np.ones((1, 1, 4)), (1.5,)), TypeError, r"padding must be an int, or a tuple"),
    (lambda: pad(np.ones((1, 1, 4)).astype(bool), 1), TypeError, r"input must be a real numeric array"),
])
def test_pad_rejects(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_torch_rejects_the_same_paddings():
    x = torch.ones(1, 1, 4)
    with pytest.raises(RuntimeError):
        F.pad(x, (4, 4), mode="reflect")
    with pytest.raises(RuntimeError):
        F.pad(x, (5, 5), mode="circular")
