"""upsample2d (transposed convolution or resize-then-convolve) and checkerboard_spread.

Expected values come from PyTorch (F.conv_transpose2d cropped by slicing, F.interpolate in
nearest mode followed by F.conv2d with padding='same') or are written out by hand.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convtutor.transposed import checkerboard_spread, upsample2d

from _torch_support import TOL, tt

torch.set_num_threads(1)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_transposed_upsampling_is_torch_cropped_to_s_times_the_input(k, s, rng):
    x = rng.standard_normal((2, 3, 5, 4))
    w = rng.standard_normal((3, 2, k, k))
    out = upsample2d(x, w, s)
    assert out.shape == (2, 2, 5 * s, 4 * s)
    full = F.conv_transpose2d(tt(x), tt(w), stride=s).numpy()   # nothing cropped
    crop = k - s
    if crop >= 0:        # ceil(crop / 2) cells before, the rest after
        before = -(-crop // 2)
        expected = full[..., before:before + 5 * s, before:before + 4 * s]
    else:                # k < s: the uncropped output, s - k cells of output_padding at the end
        expected = np.zeros((2, 2, 5 * s, 4 * s))
        expected[..., :full.shape[2], :full.shape[3]] = full
    np.testing.assert_allclose(out, expected, **TOL[np.float64])


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("s", [1, 2, 3])
def test_resize_upsampling_is_torch_nearest_then_same_conv(k, s, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    w = rng.standard_normal((2, 3, k, k))
    out = upsample2d(x, w, s, method="resize")
    resized = F.interpolate(tt(x), scale_factor=s, mode="nearest")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Using padding='same'", UserWarning)
        expected = F.conv2d(resized, tt(w), padding="same").numpy()
    assert out.shape == (2, 2, 4 * s, 5 * s)
    np.testing.assert_allclose(out, expected, **TOL[np.float64])


def test_upsampling_unbatched_rectangular_scale_and_float32(rng):
    x = rng.standard_normal((1, 3, 4)).astype(np.float32)
    w = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)
    for method in ("transposed", "resize"):
        out = upsample2d(x, w, (2, 3), method=method)
        assert out.shape == (1, 6, 12) and out.dtype == np.float32


def test_resize_then_convolve_keeps_a_constant_flat_and_transposed_does_not():
    constant = np.ones((1, 1, 8, 8))
    kernel = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    assert checkerboard_spread(upsample2d(constant, kernel, 2, "resize")) == 0.0
    # k = 3, s = 2: the interior cells receive 1, 2 or 4 kernel taps; with an all-ones kernel
    # the values are 1, 2 and 4, so the spread is (4 - 1) / mean
    ones = upsample2d(constant, np.ones((1, 1, 3, 3)), 2)
    inner = ones[0, 0, 4:12, 4:12]
    assert set(np.unique(inner)) == {1.0, 2.0, 4.0}
    assert checkerboard_spread(ones) == pytest.approx(3 / inner.mean())


def test_checkerboard_spread_by_hand():
    assert checkerboard_spread(np.zeros((4, 4))) == 0.0
    assert checkerboard_spread(np.array([[1.0, 3.0], [1.0, 3.0]]), margin=0) == 1.0
    a = np.full((6, 6), 100.0)
    a[2:4, 2:4] = [[1.0, 2.0], [3.0, 2.0]]          # only the middle 2x2 counts with margin 2
    assert checkerboard_spread(a, margin=2) == pytest.approx(2 / 2)
    # default margin: a quarter of each size, here 2 of 8 rows and 1 of 4 columns
    b = np.full((8, 4), 5.0)
    b[0, 0] = b[7, 3] = -50.0
    assert checkerboard_spread(b) == 0.0
    assert checkerboard_spread(np.stack([a, a]), margin=2) == pytest.approx(1.0)


def test_upsample_and_spread_errors():
    x, w = np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))
    with pytest.raises(ValueError, match="method='bilinear' must be one of"):
        upsample2d(x, w, 2, method="bilinear")
    with pytest.raises(ValueError, match="scale"):
        upsample2d(x, w, 0)
    with pytest.raises(ValueError, match="weight must be a 2-D kernel"):
        upsample2d(x, np.ones((1, 1, 3)), 2)
    with pytest.raises(ValueError, match="input must be"):
        upsample2d(np.ones((4, 4)), w, 2, method="resize")
    with pytest.raises(ValueError, match="margin=2 leaves nothing of a 4 x 6 map"):
        checkerboard_spread(np.ones((4, 6)), margin=2)
    with pytest.raises(ValueError, match="at least 2 axes"):
        checkerboard_spread(np.ones(5))
