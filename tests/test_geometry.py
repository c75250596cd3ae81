"""The geometry module against the real convolutions.

The expectation is never taken from geometry.py itself: a one-hot input at each input cell,
pushed through the package's (transposed) convolution with a kernel of distinct values, shows
which output cells read that cell and with which weight. The footprints must say exactly that.
"""

import math

import numpy as np
import pytest

import convtutor as ct
from convtutor.geometry import KINDS, Geometry, Tap, conv_geometry, describe, transposed_geometry

CONV = {1: ct.conv1d, 2: ct.conv2d, 3: ct.conv3d}
CONV_T = {1: ct.conv_transpose1d, 2: ct.conv_transpose2d, 3: ct.conv_transpose3d}

# (input_size, kernel_size, stride, padding, dilation)
DIRECT = [
    ((5, 5), 3, 1, 0, 1),
    ((5, 5), 3, 2, 0, 1),            # the source's example: 5x5 -> 2x2
    ((5, 5), 3, 2, 1, 1),
    ((6, 5), (3, 2), (2, 1), (1, 0), (1, 2)),
    ((7, 7), 3, 1, 0, 2),            # dilated: 3x3 at rate 2 sees 5x5
    ((7, 6), 3, 3, 2, 2),
    ((5, 5), 4, 1, "same", 1),       # even kernel: the extra zero goes after
    ((4, 4), 3, 1, "full", 1),
    ((3, 3), 1, 2, 1, 1),
    (9, 3, 2, 1, 1),                 # 1-D
    (8, 2, 3, 2, 3),
    ((4, 3, 5), (2, 2, 3), (1, 2, 2), (1, 0, 1), (2, 1, 1)),   # 3-D
]

# (input_size, kernel_size, stride, padding, output_padding, dilation)
TRANSPOSED = [
    ((2, 2), 3, 2, 0, 0, 1),         # 2x2 back to 5x5
    ((3, 3), 3, 1, 0, 0, 1),
    ((3, 3), 3, 2, 1, 1, 1),
    ((2, 3), (3, 4), (2, 3), (0, 1), (1, 2), (1, 1)),
    ((3, 3), 3, 1, 0, 0, 2),
    ((3, 2), 3, 2, 3, 0, 2),         # padding > d(k-1): the grid is cropped
    ((4, 4), 2, 3, 2, 1, 1),         # padding > d(k-1) = 1
    ((2, 2), 3, 1, 1, 1, 2),         # output_padding >= stride, allowed below dilation
    (4, 3, 2, 1, 1, 1),              # 1-D
    (3, 4, 3, 2, 0, 2),
    ((2, 2, 3), (2, 3, 2), (2, 1, 2), (0, 1, 1), (1, 0, 0), (1, 1, 2)),   # 3-D
]


def distinct_kernel(kernel_size):
    k = math.prod(kernel_size)
    return np.arange(1.0, k + 1).reshape(kernel_size)


def one_hot_outputs(fn, geom, **kwargs):
    """{input index: output array} from a one-hot input at every input cell."""
    w = distinct_kernel(geom.kernel_size)
    result = {}
    for x in np.ndindex(*geom.input_size):
        inp = np.zeros((1, 1, *geom.input_size))
        inp[(0, 0, *x)] = 1.0
        result[x] = fn(inp, w[None, None], **kwargs)[0, 0]
    return w, result


def expected_from_footprints(geom, w, x):
    """The output of a one-hot input at x, as the footprints describe it."""
    out = np.zeros(geom.output_size)
    for y in geom.positions():
        for tap in geom.footprint(y):
            if tap.input_index == x:
                out[y] += w[tap.kernel_index]
    return out


def norm(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


@pytest.mark.parametrize("case", DIRECT, ids=str)
def test_direct_footprints_match_conv(case):
    size, k, s, p, d = case
    geom = conv_geometry(size, k, s, p, d)
    n = geom.ndim
    assert geom.output_size == norm(ct.conv_output_size(size, k, s, p, d), n)
    w, outs = one_hot_outputs(CONV[n], geom, stride=s, padding=p, dilation=d)
    for x, out in outs.items():
        assert out.shape == geom.output_size
        np.testing.assert_array_equal(expected_from_footprints(geom, w, x), out, err_msg=f"input cell {x}")


@pytest.mark.parametrize("case", TRANSPOSED, ids=str)
def test_transposed_footprints_match_conv_transpose(case):
    size, k, s, p, op, d = case
    geom = transposed_geometry(size, k, s, p, op, d)
    n = geom.ndim
    assert geom.output_size == norm(ct.conv_transpose_output_size(size, k, s, p, op, d), n)
    w, outs = one_hot_outputs(CONV_T[n], geom, stride=s, padding=p, output_padding=op, dilation=d)
    for x, out in outs.items():
        assert out.shape == geom.output_size
        np.testing.assert_array_equal(expected_from_footprints(geom, w, x), out, err_msg=f"input cell {x}")


@pytest.mark.parametrize("case", DIRECT + TRANSPOSED, ids=str)
def test_scatter_is_the_one_hot_output(case):
    """scatter(x) lists exactly the non-zero cells of the one-hot output, with their weights."""
    if len(case) == 5:
        size, k, s, p, d = case
        geom = conv_geometry(size, k, s, p, d)
        w, outs = one_hot_outputs(CONV[geom.ndim], geom, stride=s, padding=p, dilation=d)
    else:
        size, k, s, p, op, d = case
        geom = transposed_geometry(size, k, s, p, op, d)
        w, outs = one_hot_outputs(CONV_T[geom.ndim], geom, stride=s, padding=p, output_padding=op, dilation=d)
    for x, out in outs.items():
        got = np.zeros(geom.output_size)
        for hit in geom.scatter(x):
            if hit.output_index is not None:
                got[hit.output_index] += w[hit.kernel_index]
                assert tuple(c - o for c, o in zip(hit.canvas_index, geom.canvas_offset)) == hit.output_index
        np.testing.assert_array_equal(got, out, err_msg=f"input cell {x}")


def expected_kind(cell, before, step, size):
    """Kind of a grid cell from the construction: pad, then the input with step-1 zeros between."""
    rel = [c - b for c, b in zip(cell, before)]
    if any(r < 0 or r > (i - 1) * st for r, i, st in zip(rel, size, step)):
        return "padding"
    return "inserted" if any(r % st for r, st in zip(rel, step)) else "input"


@pytest.mark.parametrize("case", TRANSPOSED, ids=str)
def test_transposed_grid_is_stuffed_and_padded(case):
    size, k, s, p, op, d = case
    geom = transposed_geometry(size, k, s, p, op, d)
    n = geom.ndim
    size, k, s, p, op, d = (norm(v, n) for v in (size, k, s, p, op, d))
    before = [dd * (kk - 1) - pp for kk, dd, pp in zip(k, d, p)]
    assert geom.grid_size == tuple((i - 1) * ss + 1 + 2 * b + a for i, ss, b, a in zip(size, s, before, op))
    assert geom.grid_padding == tuple((b, b + a) for b, a in zip(before, op))
    assert geom.grid_kind.shape == geom.grid_size
    for cell in np.ndindex(*geom.grid_size):
        kind = expected_kind(cell, before, s, size)
        assert geom.grid_kind[cell] == kind
        held = geom.grid_to_input(cell)
        if kind == "input":
            assert held == tuple((c - b) // ss for c, b, ss in zip(cell, before, s))
            assert geom.input_to_grid(held) == cell
        else:
            assert held is None
    # the kernel slides one cell at a time, flipped
    y = (0,) * n
    taps = geom.footprint(y)
    assert [t.grid_index for t in taps] == [tuple(tt * dd for tt, dd in zip(t, d)) for t in np.ndindex(*k)]
    flipped = [tuple(kk - 1 - tt for kk, tt in zip(k, t)) for t in np.ndindex(*k)]
    assert [t.kernel_index for t in taps] == flipped


@pytest.mark.parametrize("case", DIRECT, ids=str)
def test_direct_grid_kinds(case):
    size, k, s, p, d = case
    geom = conv_geometry(size, k, s, p, d)
    pads = ct.resolve_padding(p, geom.kernel_size, geom.dilation, geom.stride)
    assert geom.grid_size == tuple(i + a + b for i, (a, b) in zip(geom.input_size, pads))
    before = [a for a, _ in pads]
    for cell in np.ndindex(*geom.grid_size):
        assert geom.grid_kind[cell] == expected_kind(cell, before, (1,) * geom.ndim, geom.input_size)
    assert "inserted" not in geom.grid_kind
    for y in geom.positions():
        taps = geom.footprint(y)
        assert len(taps) == math.prod(geom.kernel_size)
        assert [t.kernel_index for t in taps] == list(np.ndindex(*geom.kernel_size))
        for t in taps:
            assert t.kind in KINDS
            assert (t.input_index is None) == (t.kind != "input")
            assert t.kind == geom.grid_kind[t.grid_index]


def test_positions_row_major_and_count():
    geom = conv_geometry((5, 6), 3, stride=2, padding=1)
    pos = list(geom.positions())
    assert pos == sorted(pos)
    assert len(pos) == math.prod(geom.output_size) == 3 * 3


def test_against_torch_once():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    # a transposed and a direct case, every input cell one-hot in one batch
    for transposed in (False, True):
        if transposed:
            geom = transposed_geometry((3, 2), (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                                       dilation=(1, 1))
        else:
            geom = conv_geometry((6, 5), (3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1))
        w = distinct_kernel(geom.kernel_size)
        cells = list(np.ndindex(*geom.input_size))
        x = np.zeros((len(cells), 1, *geom.input_size))
        for b, c in enumerate(cells):
            x[(b, 0, *c)] = 1
        kw = dict(stride=geom.stride, dilation=geom.dilation, padding=tuple(p for p, _ in geom.padding))
        if transposed:
            out = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w[None, None]),
                                     output_padding=geom.output_padding, **kw).numpy()
        else:
            out = F.conv2d(torch.from_numpy(x), torch.from_numpy(w[None, None]), **kw).numpy()
        assert out.shape[2:] == geom.output_size
        for b, c in enumerate(cells):
            np.testing.assert_array_equal(out[b, 0], expected_from_footprints(geom, w, c))


def test_a_wrong_footprint_is_caught():
    """The check can fail: shifting one tap's weight breaks the comparison."""
    geom = conv_geometry((5, 5), 3, stride=2)
    w, outs = one_hot_outputs(ct.conv2d, geom, stride=2)
    x = (2, 2)
    good = expected_from_footprints(geom, w, x)
    np.testing.assert_array_equal(good, outs[x])
    bad = conv_geometry((5, 5), 3, stride=1)  # a different geometry of the same input
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(expected_from_footprints(bad, w, x)[:2, :2], outs[x])


def test_dilated_effective_size_and_describe():
    geom = conv_geometry((7, 7), 3, dilation=2)
    assert geom.effective_kernel_size == (5, 5) == ct.effective_kernel_size((3, 3), 2)
    assert geom.output_size == (3, 3)
    assert describe(geom) == ("convolution: input 7×7, kernel 3×3, stride 1, padding 0, dilation 2 "
                              "→ output 3×3")
    t = transposed_geometry((2, 2), 3, stride=2)
    assert describe(t) == ("transposed convolution: input 2×2, kernel 3×3, stride 2, padding 0 "
                           "→ output 5×5")
    assert isinstance(t, Geometry) and isinstance(t.footprint((0, 0))[0], Tap)


def test_geometry_is_frozen():
    geom = conv_geometry(5, 3)
    with pytest.raises(AttributeError):
        geom.stride = (2,)
    with pytest.raises(ValueError):
        geom.grid_kind[0] = "input"


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: conv_geometry((5, 5), 7), ValueError, "kernel_size"),
        (lambda: conv_geometry((5, 5), 3, dilation=3), ValueError, "dilation"),
        (lambda: conv_geometry((5, 5), 3, stride=0), ValueError, "stride"),
        (lambda: conv_geometry((5, 5), 3, padding=-1), ValueError, "padding"),
        (lambda: conv_geometry((5, 5), 3, stride=2, padding="same"), ValueError, "same"),
        (lambda: conv_geometry((5, 5), 3, padding="half"), ValueError, "padding"),
        (lambda: conv_geometry((5, 5), (3, 3, 3)), ValueError, "kernel_size"),
        (lambda: conv_geometry((5, 5), 2.5), TypeError, "kernel_size"),
        (lambda: conv_geometry("5", 3), TypeError, "input_size"),
        (lambda: conv_geometry(0, 1), ValueError, "input_size"),
        (lambda: transposed_geometry(3, 3, stride=2, output_padding=2), ValueError, "output_padding"),
        (lambda: transposed_geometry(2, 3, stride=1, padding=3), ValueError, "padding"),
        (lambda: transposed_geometry(2, 3, padding="same"), TypeError, "padding"),
        (lambda: conv_geometry((5, 5), 3).footprint((3, 0)), ValueError, "out_index"),
        (lambda: conv_geometry((5, 5), 3).footprint((0,)), ValueError, "out_index"),
        (lambda: conv_geometry((5, 5), 3).footprint((-1, 0)), ValueError, "out_index"),
        (lambda: conv_geometry((5, 5), 3).scatter((5, 0)), ValueError, "input_index"),
        (lambda: conv_geometry((5, 5), 3).grid_to_input((0, 9)), ValueError, "cell"),
        (lambda: conv_geometry((5, 5), 3).footprint("a"), TypeError, "out_index"),
    ],
)
def test_invalid_arguments_name_the_parameter(call, exc, words):
    with pytest.raises(exc, match=words):
        call()
