"""Shape and cost arithmetic, checked against Dumoulin & Visin (2016) and against PyTorch.

V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
arXiv:1603.07285. Notation: input size i, kernel size k, stride s, zero padding p (each
side), dilation d, output size o; primes (i', k', s', p', o') describe the transposed
convolution, a is the output padding. Every relationship is tested three ways: the figure's
example from the paper, the formula written in the test, and the shape torch produces on a
real tensor.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import convtutor as ct
from convtutor import Layer

torch.set_num_threads(1)

# torch's own note that 'same' padding with an even kernel copies the input
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")


def torch_out(i, k, s=1, p=0, d=1):
    """Length of F.conv1d's output on a real tensor of length i."""
    return F.conv1d(torch.zeros(1, 1, i), torch.zeros(1, 1, k), stride=s, padding=p, dilation=d).shape[-1]


def torch_out_t(i, k, s=1, p=0, a=0, d=1):
    """Length of F.conv_transpose1d's output on a real tensor of length i."""
    return F.conv_transpose1d(torch.zeros(1, 1, i), torch.zeros(1, 1, k), stride=s, padding=p,
                              output_padding=a, dilation=d).shape[-1]


# ======================================================= Dumoulin & Visin's relationships 1-15
#
# One row per relationship of the paper (numbered as there: 1-6 convolution, 7 pooling, 8-14
# transposed, 15 dilation): the figure's example, the formula written out here, and a grid of
# layers where it applies. Each size must equal the formula and what torch computes on a real
# tensor; for a transposed layer, also the input size it came from and the size of the paper's
# equivalent direct convolution (over the input stretched with s - 1 zeros, plus a zeros).


@dataclass(frozen=True)
class Relationship:
    number: int
    kind: str              # "conv", "pool" or "transposed"
    figure: dict           # the paper's figure: i, k (and s, p, d, a) -> o
    formula: object        # (i, k, s, p, d, a) -> o; i is the transposed layer's input for kind "transposed"
    cases: object          # () -> iterable of dicts (i, k, s, p, d, a) where it applies
    equivalent: object = None   # transposed: (i_t, k, s, p, a) -> (size, kernel, padding) of the direct conv
    alias: str | None = None    # a padding name that must give the same size


def _grid(**ranges):
    names = list(ranges)
    for values in itertools.product(*ranges.values()):
        case = dict(s=1, p=0, d=1, a=0)
        case.update(zip(names, values))
        yield case


def _fits(c):
    return c["d"] * (c["k"] - 1) + 1 <= c["i"] + 2 * c["p"]


RELATIONSHIPS = [
    Relationship(1, "conv", dict(i=4, k=3, o=2), lambda i, k, s, p, d, a: (i - k) + 1,
                 lambda: (c for c in _grid(i=range(1, 9), k=range(1, 9)) if _fits(c))),
    Relationship(2, "conv", dict(i=5, k=4, p=2, o=6), lambda i, k, s, p, d, a: (i - k) + 2 * p + 1,
                 lambda: (c for c in _grid(i=range(1, 8), k=range(1, 7), p=range(4)) if _fits(c))),
    Relationship(3, "conv", dict(i=5, k=3, p=1, o=5), lambda i, k, s, p, d, a: i,
                 lambda: (dict(c, k=2 * c["p"] + 1) for c in _grid(i=range(1, 8), p=range(4))), alias="same"),
    Relationship(4, "conv", dict(i=5, k=3, p=2, o=7), lambda i, k, s, p, d, a: i + (k - 1),
                 lambda: (dict(c, p=c["k"] - 1) for c in _grid(i=range(1, 8), k=range(1, 6))), alias="full"),
    Relationship(5, "conv", dict(i=5, k=3, s=2, o=2), lambda i, k, s, p, d, a: math.floor((i - k) / s) + 1,
                 lambda: (c for c in _grid(i=range(1, 10), k=range(1, 6), s=range(1, 5)) if _fits(c))),
    Relationship(6, "conv", dict(i=6, k=3, s=2, p=1, o=3), lambda i, k, s, p, d, a: math.floor((i + 2 * p - k) / s) + 1,
                 lambda: (c for c in _grid(i=range(1, 9), k=range(1, 6), s=range(1, 4), p=range(3)) if _fits(c))),
    Relationship(7, "pool", dict(i=5, k=3, s=1, o=3), lambda i, k, s, p, d, a: (i - k) // s + 1,
                 lambda: (c for c in _grid(i=range(1, 10), k=range(1, 5), s=range(1, 4)) if _fits(c))),
    Relationship(8, "transposed", dict(i=2, k=3, o=4), lambda i, k, s, p, d, a: i + (k - 1),
                 lambda: (c for c in _grid(i=range(1, 8), k=range(1, 6)) if _fits(c)),
                 equivalent=lambda i, k, s, p, a: (i, k, k - 1)),
    Relationship(9, "transposed", dict(i=6, k=4, p=2, o=5), lambda i, k, s, p, d, a: i + (k - 1) - 2 * p,
                 lambda: (c for c in _grid(i=range(1, 8), k=range(1, 6), p=range(4)) if _fits(c) and c["p"] < c["k"]),
                 equivalent=lambda i, k, s, p, a: (i, k, k - p - 1)),
    Relationship(10, "transposed", dict(i=5, k=3, p=1, o=5), lambda i, k, s, p, d, a: i,
                 lambda: (dict(c, k=2 * c["p"] + 1) for c in _grid(i=range(1, 8), p=range(4))),
                 equivalent=lambda i, k, s, p, a: (i, k, p)),
    Relationship(11, "transposed", dict(i=7, k=3, p=2, o=5), lambda i, k, s, p, d, a: i - (k - 1),
                 lambda: (dict(c, p=c["k"] - 1) for c in _grid(i=range(1, 8), k=range(1, 6))),
                 equivalent=lambda i, k, s, p, a: (i, k, 0)),
    Relationship(12, "transposed", dict(i=2, k=3, s=2, o=5), lambda i, k, s, p, d, a: s * (i - 1) + k,
                 lambda: (c for c in _grid(i=range(1, 10), k=range(1, 5), s=range(2, 4))
                          if _fits(c) and (c["i"] - c["k"]) % c["s"] == 0),
                 equivalent=lambda i, k, s, p, a: (i + (i - 1) * (s - 1), k, k - 1)),
    Relationship(13, "transposed", dict(i=3, k=3, s=2, p=1, o=5), lambda i, k, s, p, d, a: s * (i - 1) + k - 2 * p,
                 lambda: (c for c in _grid(i=range(1, 9), k=range(1, 5), s=range(2, 4), p=range(3))
                          if _fits(c) and (c["i"] + 2 * c["p"] - c["k"]) % c["s"] == 0 and c["p"] < c["k"]),
                 equivalent=lambda i, k, s, p, a: (i + (i - 1) * (s - 1), k, k - p - 1)),
    Relationship(14, "transposed", dict(i=3, k=3, s=2, p=1, a=1, o=6),
                 lambda i, k, s, p, d, a: s * (i - 1) + a + k - 2 * p,
                 lambda: (dict(c, a=(c["i"] + 2 * c["p"] - c["k"]) % c["s"])
                          for c in _grid(i=range(1, 9), k=range(1, 5), s=range(1, 4), p=range(3))
                          if _fits(c) and c["p"] < c["k"]),
                 equivalent=lambda i, k, s, p, a: (i + (i - 1) * (s - 1) + a, k, k - p - 1)),
    Relationship(15, "conv", dict(i=7, k=3, d=2, o=3),
                 lambda i, k, s, p, d, a: math.floor((i + 2 * p - k - (k - 1) * (d - 1)) / s) + 1,
                 lambda: (c for c in _grid(i=range(1, 9), k=range(1, 4), s=range(1, 4), p=range(3), d=range(1, 4))
                          if _fits(c))),
]


def _sizes(rel: Relationship, c: dict) -> dict:
    """Every size the relationship speaks of, for one layer c (i, k, s, p, d, a)."""
    i, k, s, p, d, a = (c[n] for n in ("i", "k", "s", "p", "d", "a"))
    if rel.kind == "conv":
        return dict(formula=rel.formula(i, k, s, p, d, a), package=ct.conv_output_size(i, k, s, p, d),
                    torch=torch_out(i, k, s, p, d))
    if rel.kind == "pool":
        return dict(formula=rel.formula(i, k, s, p, d, a), package=ct.pool_output_size(i, k, stride=s),
                    torch=torch.nn.MaxPool1d(k, s)(torch.zeros(1, 1, i)).shape[-1])
    i_t = ct.conv_output_size(i, k, s, p)  # the transposed layer reads the direct conv's output
    size, kernel, padding = rel.equivalent(i_t, k, s, p, a)
    # the paper's equivalent direct convolution run by torch on a real tensor: the input with
    # s - 1 zeros inserted between its values (convtutor.insert_zeros) and a zeros after them
    stretched = ct.insert_zeros(np.ones((1, 1, i_t), dtype=np.float32), (s,))
    stretched = F.pad(torch.from_numpy(stretched), (0, a))
    assert stretched.shape[-1] == size
    return dict(formula=rel.formula(i_t, k, s, p, d, a), the_input=i,
                package=ct.conv_transpose_output_size(i_t, k, s, p, a), torch=torch_out_t(i_t, k, s, p, a),
                equivalent_direct_conv=ct.conv_output_size(size, kernel, padding=padding),
                equivalent_in_torch=F.conv1d(stretched, torch.ones(1, 1, kernel), padding=padding).shape[-1])


@pytest.mark.parametrize("rel", RELATIONSHIPS, ids=lambda r: f"relationship-{r.number:02d}")
def test_dumoulin_visin_relationship(rel):
    fig = dict(dict(s=1, p=0, d=1, a=0), **rel.figure)
    o = fig.pop("o")
    if rel.kind == "transposed":   # the figure gives the transposed layer's own input i'
        assert rel.formula(**{n: fig[n] for n in ("i", "k", "s", "p", "d", "a")}) == o
        assert ct.conv_transpose_output_size(fig["i"], fig["k"], fig["s"], fig["p"], fig["a"]) == o
        assert torch_out_t(fig["i"], fig["k"], fig["s"], fig["p"], fig["a"]) == o
    else:
        assert _sizes(rel, fig) == dict(formula=o, package=o, torch=o)
    cases = list(rel.cases())
    assert len(cases) >= 10
    for c in cases:
        sizes = _sizes(rel, c)
        assert len(set(sizes.values())) == 1, (c, sizes)
        if rel.alias:
            assert ct.conv_output_size(c["i"], c["k"], padding=rel.alias) == sizes["package"]
            if rel.alias == "same":
                assert torch_out(c["i"], c["k"], p="same") == sizes["package"]


def _impossible(i, k, s=1, p=0, d=1):
    """Whether torch refuses a 1-D convolution (kernel wider than the padded input)."""
    try:
        torch_out(i, k, s, p, d)
    except RuntimeError:
        return True
    return False


@pytest.mark.parametrize("rel", [r for r in RELATIONSHIPS if r.kind == "conv"], ids=lambda r: f"relationship-{r.number:02d}")
def test_impossible_layers_are_refused_by_formula_package_and_torch(rel):
    # Where the kernel is wider than the padded input the formula gives no output (a size below
    # 1), the package raises ValueError and torch raises RuntimeError: all three, on the same layers.
    def applies(k, s, p, d):        # the layers the relationship speaks of
        return {1: s == 1 and p == 0 and d == 1, 2: s == 1 and d == 1, 3: s == 1 and d == 1 and k == 2 * p + 1,
                4: s == 1 and d == 1 and p == k - 1, 5: p == 0 and d == 1, 6: d == 1, 15: True}[rel.number]

    refused = 0
    for i, k, s, p, d in itertools.product(range(1, 8), range(1, 7), range(1, 4), range(3), range(1, 4)):
        if not applies(k, s, p, d):
            continue
        o = rel.formula(i, k, s, p, d, 0)
        if not _impossible(i, k, s, p, d):
            assert o >= 1 and ct.conv_output_size(i, k, s, p, d) == o
            continue
        refused += 1
        assert o < 1, (i, k, s, p, d)
        with pytest.raises(ValueError, match="the output would be empty"):
            ct.conv_output_size(i, k, s, p, d)
    assert refused >= (0 if rel.number in (3, 4) else 5)


def test_pooling_windows_wider_than_the_input_are_refused():
    for i, k, s in itertools.product(range(1, 6), range(1, 7), range(1, 4)):
        if k <= i:
            continue
        with pytest.raises(RuntimeError):
            torch.nn.MaxPool1d(k, s)(torch.zeros(1, 1, i))
        with pytest.raises(ValueError):
            ct.pool_output_size(i, k, stride=s)


def test_random_2d_layers_with_different_axes_match_torch():
    # each axis its own k, s, p, d and output_padding: the tuple forms of the two size functions
    # give the shapes of F.conv2d and F.conv_transpose2d, and refuse where torch refuses
    rng = np.random.default_rng(2016)
    refused = 0
    for _ in range(300):
        i, k, s, p, d = (tuple(int(v) for v in rng.integers(lo, hi, size=2))
                         for lo, hi in ((1, 16), (1, 6), (1, 4), (0, 4), (1, 4)))
        a = tuple(int(rng.integers(max(ss, dd))) for ss, dd in zip(s, d))   # below stride or dilation
        try:
            want = tuple(F.conv2d(torch.zeros(1, 1, *i), torch.zeros(1, 1, *k), None, s, p, d).shape[2:])
        except RuntimeError:
            refused += 1
            with pytest.raises(ValueError):
                ct.conv_output_size(i, k, s, p, d)
            continue
        o = ct.conv_output_size(i, k, s, p, d)
        assert o == want
        try:
            up = tuple(F.conv_transpose2d(torch.zeros(1, 1, *o), torch.zeros(1, 1, *k), None, s, p, a, 1,
                                          d).shape[2:])
        except RuntimeError:
            with pytest.raises(ValueError):
                ct.conv_transpose_output_size(o, k, s, p, a, d)
            continue
        assert ct.conv_transpose_output_size(o, k, s, p, a, d) == up
    assert 30 < refused < 270


def test_output_padding_picks_one_of_s_input_sizes():
    # A stride-s layer sends s consecutive input sizes to one output size o (the floor of
    # relationship 6); output_padding a = 0 .. s-1 makes the transposed layer return each of them,
    # and torch agrees in both directions.
    cases = 0
    for k, s, p, d, o in itertools.product(range(1, 6), range(1, 5), range(3), range(1, 4), range(2, 8)):
        try:
            group = [ct.conv_transpose_output_size(o, k, s, p, a, d) for a in range(s)]
        except ValueError:
            continue                      # padding crops everything, or a >= stride and dilation
        if group[0] < 2:
            continue
        assert group == list(range(group[0], group[0] + s))
        around = (group[0] - 1, *group, group[-1] + 1)
        assert [ct.conv_output_size(i, k, s, p, d) for i in around] == [o - 1] + [o] * s + [o + 1]
        for a, i in enumerate(group):
            assert torch_out(i, k, s, p, d) == o
            assert torch_out_t(o, k, s, p, a, d) == i
        cases += 1
    assert cases > 1000


def test_transposed_output_size_with_dilation_and_output_padding_matches_torch():
    # o' = (i' - 1) s - 2p + d (k - 1) + a + 1, with a < s or a < d (torch's rule)
    for i, k, s, p, d in itertools.product(range(1, 5), range(1, 4), range(1, 4), range(0, 3), range(1, 4)):
        for a in range(max(s, d)):
            expected = (i - 1) * s - 2 * p + d * (k - 1) + a + 1
            if expected < 1:
                continue
            got = ct.conv_transpose_output_size(i, k, stride=s, padding=p, output_padding=a, dilation=d)
            assert got == expected == torch_out_t(i, k, s, p, a, d)


@pytest.mark.parametrize(
    "size, kernel, kw",
    [
        ((7, 9), (3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 3))),
        ((5, 6), 3, dict(stride=2, padding=1)),
        ((4, 6), (4, 2), dict(padding="same", dilation=(1, 2))),
        ((8, 3), (2, 3), dict(padding="valid", stride=(3, 1))),
    ],
)
def test_conv_output_size_tuples_match_torch(size, kernel, kw):
    k2 = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    shape = tuple(F.conv2d(torch.zeros(1, 1, *size), torch.zeros(1, 1, *k2), **kw).shape[2:])
    assert ct.conv_output_size(size, kernel, **kw) == shape
    assert ct.conv_output_size(list(size), kernel, **kw) == shape


def test_conv_transpose_output_size_tuples_match_torch():
    kw = dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=(1, 2))
    shape = tuple(F.conv_transpose2d(torch.zeros(1, 1, 3, 4), torch.zeros(1, 1, 3, 2), **kw).shape[2:])
    assert ct.conv_transpose_output_size((3, 4), (3, 2), **kw) == shape
    # stride 1, dilation 2 allows output_padding 1
    assert ct.conv_transpose_output_size(3, 3, dilation=2, output_padding=1) == torch_out_t(3, 3, 1, 0, 1, 2)


# ======================================================= padding modes, effective kernel size

@pytest.mark.parametrize("k, d", [(k, d) for k in range(1, 7) for d in range(1, 4)])
def test_resolve_padding_same_splits_like_torch(k, d, rng):
    (before, after), = ct.resolve_padding("same", (k,), (d,), (1,))
    total = d * (k - 1)
    assert before + after == total
    assert after - before in (0, 1)  # the odd zero goes after
    # torch's 'same' equals an explicit pad of (before, after) followed by a 'valid' convolution
    x = torch.from_numpy(rng.standard_normal((1, 2, 9)))
    w = torch.from_numpy(rng.standard_normal((3, 2, k)))
    same = F.conv1d(x, w, padding="same", dilation=d)
    explicit = F.conv1d(F.pad(x, (before, after)), w, dilation=d)
    np.testing.assert_allclose(same.numpy(), explicit.numpy(), rtol=1e-12, atol=1e-12)


def test_resolve_padding_other_modes():
    assert ct.resolve_padding("valid", (3, 4), (1, 2), (2, 3)) == ((0, 0), (0, 0))
    assert ct.resolve_padding("same", (4, 2), (1, 3), (1, 1)) == ((1, 2), (1, 2))
    assert ct.resolve_padding("same", (3, 5), (1, 1), (1, 1)) == ((1, 1), (2, 2))
    assert ct.resolve_padding("full", (3,), (2,), (2,)) == ((4, 4),)
    assert ct.resolve_padding(2, (3, 3), (1, 1), (1, 1)) == ((2, 2), (2, 2))
    assert ct.resolve_padding((1, 0, 3), (3, 3, 3), (1, 1, 1), (1, 1, 1)) == ((1, 1), (0, 0), (3, 3))
    with pytest.raises(ValueError, match="padding='same' needs stride=1"):
        ct.resolve_padding("same", (3,), (1,), (2,))
    with pytest.raises(TypeError, match=r"padding must be an int, a tuple of 1 ints or of 1 \(before, after\) "
                                        r"pairs for a transposed convolution, got the string 'valid'"):
        ct.resolve_padding("valid", (3,), (1,), (1,), transposed=True)


def test_resolve_padding_causal_and_pairs():
    # causal: the whole d(k - 1) before, nothing after (WaveNet's left padding)
    assert ct.resolve_padding("causal", (3, 2), (2, 4), (1, 1)) == ((4, 0), (4, 0))
    # explicit (before, after) pairs, mixed with plain ints
    assert ct.resolve_padding(((2, 0), 1), (3, 3), (1, 1), (1, 1)) == ((2, 0), (1, 1))
    assert ct.conv_output_size(5, 3, padding=((2, 0),)) == 5 == 5 + 2 - 3 + 1
    with pytest.raises(ValueError, match=r"padding=\(\(2, -1\), 1\) must be >= 0"):
        ct.resolve_padding(((2, -1), 1), (3, 3), (1, 1), (1, 1))
    with pytest.raises(TypeError, match=r"got an item \(1, 2, 3\)"):
        ct.resolve_padding(((1, 2, 3), 1), (3, 3), (1, 1), (1, 1))


def test_effective_kernel_size():
    # k^ = k + (k - 1)(d - 1): a 3x3 kernel at rate 2 spans 5x5
    assert ct.effective_kernel_size(3, 2) == 5
    assert ct.effective_kernel_size((3, 5), (2, 1)) == (5, 5)
    assert ct.effective_kernel_size((2, 3, 4), 3) == (4, 7, 10)
    for k, d in itertools.product(range(1, 6), range(1, 5)):
        keff = ct.effective_kernel_size(k, dilation=d)
        assert keff == k + (k - 1) * (d - 1)
        # the smallest input torch accepts is exactly the effective kernel size
        assert torch_out(keff, k, d=d) == 1
        if keff > 1:
            with pytest.raises(RuntimeError):
                torch_out(keff - 1, k, d=d)


# ======================================================= pooling sizes against torch

def _pool_grid():
    for i, k, s, p, d, ceil in itertools.product(
        range(1, 9), range(1, 5), [None, 1, 2, 3], range(0, 3), (1, 2), (False, True)
    ):
        yield i, k, s, p, d, ceil


def test_pool_output_size_matches_maxpool2d_grid():
    checked = rejected = 0
    for i, k, s, p, d, ceil in _pool_grid():
        pool = torch.nn.MaxPool2d(k, s, padding=p, dilation=d, ceil_mode=ceil)
        try:
            shape = tuple(pool(torch.zeros(1, 1, i, i + 1)).shape[2:])
        except RuntimeError:
            with pytest.raises(ValueError):
                ct.pool_output_size((i, i + 1), k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
            rejected += 1
            continue
        got = ct.pool_output_size((i, i + 1), k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
        assert got == shape, (i, k, s, p, d, ceil)
        assert ct.pool_output_size(i, k, stride=s, padding=p, dilation=d, ceil_mode=ceil) == shape[0]
        checked += 1
    assert checked > 500 and rejected > 50  # the grid exercises both branches


def test_pool_output_size_ceil_mode_examples():
    # floor((7 - 2) / 2) + 1 = 3 windows fit; ceil mode keeps the partial fourth one
    assert ct.pool_output_size(7, 2) == 3 == (7 - 2) // 2 + 1
    assert ct.pool_output_size(7, 2, ceil_mode=True) == 4 == math.ceil((7 - 2) / 2) + 1
    assert torch.nn.MaxPool1d(2, ceil_mode=True)(torch.zeros(1, 1, 7)).shape[-1] == 4
    # ceil mode never starts a window in the right padding: i = 5, k = 2, s = 2, p = 1
    # gives ceil((5 + 2 - 2) / 2) + 1 = 4, but the 4th window would start at 6 >= i + p, so 3
    assert ct.pool_output_size(5, 2, stride=2, padding=1, ceil_mode=True) == 3
    assert torch.nn.MaxPool1d(2, 2, padding=1, ceil_mode=True)(torch.zeros(1, 1, 5)).shape[-1] == 3


def test_pool_output_size_matches_avgpool():
    for i, k, s, p, ceil in itertools.product(range(1, 8), range(1, 4), (1, 2, 3), range(0, 2), (False, True)):
        if 2 * p > k:
            continue
        try:
            n = torch.nn.AvgPool1d(k, s, padding=p, ceil_mode=ceil)(torch.zeros(1, 1, i)).shape[-1]
        except RuntimeError:
            with pytest.raises(ValueError):
                ct.pool_output_size(i, k, stride=s, padding=p, ceil_mode=ceil)
            continue
        assert ct.pool_output_size(i, k, stride=s, padding=p, ceil_mode=ceil) == n


# ======================================================= parameter counts

def _torch_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("groups", [1, 2, 4])
def test_conv_parameters_match_torch_modules(groups, bias):
    for cin, cout, k in itertools.product((4, 8), (4, 12), (1, 3, (3, 5))):
        m = torch.nn.Conv2d(cin, cout, k, groups=groups, bias=bias)
        assert ct.conv_parameters(cin, cout, k, groups=groups, bias=bias) == _torch_params(m)
        mt = torch.nn.ConvTranspose2d(cin, cout, k, groups=groups, bias=bias)
        assert ct.conv_parameters(cin, cout, k, groups=groups, bias=bias) == _torch_params(mt)
    for dims, cls in ((1, torch.nn.Conv1d), (3, torch.nn.Conv3d)):
        m = cls(4, 8, 3, groups=groups, bias=bias)
        assert ct.conv_parameters(4, 8, 3, groups=groups, bias=bias, dims=dims) == _torch_params(m)
    m = torch.nn.Conv3d(4, 8, (1, 2, 3), groups=groups, bias=bias)
    assert ct.conv_parameters(4, 8, (1, 2, 3), groups=groups, bias=bias) == _torch_params(m)


def test_conv_parameters_source_examples():
    # a 3x3 convolution from 16 to 32 channels without bias: 16 * 32 * 3 * 3 = 4608 weights
    standard = ct.conv_parameters(16, 32, 3, bias=False)
    assert standard == 16 * 32 * 3 * 3 == 4608
    assert standard == _torch_params(torch.nn.Conv2d(16, 32, 3, bias=False))
    # depthwise separable: 16 depthwise 3x3 kernels (144) + a 1x1 from 16 to 32 (512) = 656
    depthwise = ct.conv_parameters(16, 16, 3, groups=16, bias=False)
    pointwise = ct.conv_parameters(16, 32, 1, bias=False)
    assert depthwise + pointwise == 16 * 9 + 16 * 32 == 656
    seq = torch.nn.Sequential(torch.nn.Conv2d(16, 16, 3, groups=16, bias=False),
                              torch.nn.Conv2d(16, 32, 1, bias=False))
    assert depthwise + pointwise == _torch_params(seq)


# ======================================================= multiply-add counts

@pytest.mark.parametrize(
    "cin, cout, k, size, stride, dilation, groups",
    [
        (3, 4, (3, 3), (7, 8), 1, 1, 1),
        (4, 6, (2, 3), (9, 7), (2, 1), 1, 2),
        (4, 4, (3, 3), (8, 8), 2, 2, 4),
        (2, 2, (1, 1), (5, 5), 1, 1, 1),
        (6, 3, (3, 2), (6, 6), (1, 2), (2, 1), 3),
    ],
)
def test_conv_macs_by_counting(cin, cout, k, size, stride, dilation, groups):
    # With every input and weight equal to 1 and no padding, each output value is the number
    # of products summed into it, so the sum of the output is the number of multiply-adds.
    out = F.conv2d(torch.ones(1, cin, *size, dtype=torch.float64),
                   torch.ones(cout, cin // groups, *k, dtype=torch.float64),
                   stride=stride, dilation=dilation, groups=groups)
    counted = int(out.sum().item())
    o = tuple(out.shape[2:])
    assert counted == out.numel() * (cin // groups) * k[0] * k[1]
    assert ct.conv_macs(cin, cout, k, o, groups=groups) == counted


def test_conv_macs_examples_and_dims():
    # a 3x3 conv from 3 to 64 channels on a 224x224 output: 224 * 224 * 64 * 3 * 9
    assert ct.conv_macs(3, 64, 3, (224, 224)) == 224 * 224 * 64 * 3 * 9
    # an int kernel size is a cube in 3-D, a segment in 1-D
    assert ct.conv_macs(2, 4, 3, (5, 6, 7)) == 5 * 6 * 7 * 4 * 2 * 27
    assert ct.conv_macs(2, 4, 3, 10) == 10 * 4 * 2 * 3
    # depthwise separable costs less than the standard conv by the factor 1/O + 1/K
    std = ct.conv_macs(16, 32, 3, (56, 56))
    sep = ct.conv_macs(16, 16, 3, (56, 56), groups=16) + ct.conv_macs(16, 32, 1, (56, 56))
    assert sep / std == pytest.approx(1 / 32 + 1 / 9)


@pytest.mark.parametrize(
    "cin, cout, k, size, stride, dilation, groups",
    [
        (2, 3, (3, 3), (2, 2), 2, 1, 1),
        (4, 2, (2, 3), (3, 4), (2, 3), 1, 2),
        (3, 6, (3, 3), (3, 3), 1, 2, 3),
    ],
)
def test_conv_transpose_macs_by_counting(cin, cout, k, size, stride, dilation, groups):
    # all ones and no padding: nothing is cropped, every product lands in the output
    out = F.conv_transpose2d(torch.ones(1, cin, *size, dtype=torch.float64),
                             torch.ones(cin, cout // groups, *k, dtype=torch.float64),
                             stride=stride, dilation=dilation, groups=groups)
    counted = int(out.sum().item())
    assert ct.conv_transpose_macs(cin, cout, k, size, groups=groups) == counted
    # the same count as the convolution it transposes (cout -> cin channels, output = size)
    assert ct.conv_macs(cout, cin, k, size, groups=groups) == counted


# ======================================================= receptive fields

def test_receptive_field_dilated_stack():
    # 3x3 kernels at dilation 1, 2, 4, 8 (Yu & Koltun 2016): r_l = 2^(l + 2) - 1
    fields = ct.receptive_field([Layer(3, dilation=d) for d in (1, 2, 4, 8)])
    assert [f.size for f in fields] == [3, 7, 15, 31] == [2 ** (l + 2) - 1 for l in range(4)]
    assert [f.jump for f in fields] == [1, 1, 1, 1]


def test_receptive_field_strided_stack():
    # r_l = r_{l-1} + (k - 1) j_{l-1},  j_l = j_{l-1} s_l
    fields = ct.receptive_field([Layer(3, stride=2)] * 3)
    assert [f.jump for f in fields] == [2, 4, 8]
    assert [f.size for f in fields] == [3, 3 + 2 * 2, 3 + 2 * 2 + 2 * 4]


def _brute_force_field(layers, length=240):
    """Receptive field size, jump and start from torch gradients through a 1-D stack of
    all-ones convolutions: backprop from one output cell and find the span of nonzero
    input gradients; the next output cell's span starts one jump later."""
    x = torch.zeros(1, 1, length, dtype=torch.float64, requires_grad=True)
    y = x
    for ly in layers:
        y = F.conv1d(y, torch.ones(1, 1, ly.kernel_size, dtype=torch.float64), stride=ly.stride,
                     padding=ly.padding, dilation=ly.dilation)
    m = y.shape[-1] // 2
    spans = []
    for c in (m, m + 1):
        (g,) = torch.autograd.grad(y[0, 0, c], x, retain_graph=True)
        nz = torch.nonzero(g[0, 0]).ravel()
        first, last = int(nz[0]), int(nz[-1])
        assert 0 < first and last < length - 1  # the whole field is inside the input
        spans.append((first, last))
    size = spans[0][1] - spans[0][0] + 1
    jump = spans[1][0] - spans[0][0]
    start = (spans[0][0] + spans[0][1]) / 2 - m * jump
    return size, jump, start


STACKS = {
    "dilated": [Layer(3, dilation=d) for d in (1, 2, 4, 8)],
    "strided": [Layer(3, stride=2)] * 3,
    "resnet-stem": [Layer(7, 2, 3), Layer(3, 2, 1), Layer(3, 1, 1), Layer(3, 1, 1), Layer(3, 2, 1)],
    "mixed": [Layer(2, 2), Layer(5, 1, 2, 2), Layer(4, 3, 1), Layer(1, 1), Layer(3, 1, 0, 3)],
    "vgg-like": [Layer(3, 1, 1), Layer(3, 1, 1), Layer(2, 2), Layer(3, 1, 1), Layer(3, 1, 1), Layer(2, 2)],
}


@pytest.mark.parametrize("name", list(STACKS))
def test_receptive_field_matches_torch_gradients(name):
    layers = STACKS[name]
    fields = ct.receptive_field(layers)
    assert len(fields) == len(layers)
    for depth in range(1, len(layers) + 1):
        size, jump, start = _brute_force_field(layers[:depth])
        f = fields[depth - 1]
        assert (f.size, f.jump) == (size, jump), depth
        assert f.start == pytest.approx(start), depth


def test_receptive_field_accepts_layers_mappings_tuples_ints():
    as_layers = ct.receptive_field([Layer(3, 2, 1), Layer(5, 1, 2, 2), Layer(3)])
    as_dicts = ct.receptive_field([dict(kernel_size=3, stride=2, padding=1),
                                   dict(kernel_size=5, padding=2, dilation=2), dict(kernel_size=3)])
    as_tuples = ct.receptive_field([(3, 2, 1), (5, 1, 2, 2), (3,)])
    as_mixed = ct.receptive_field([(3, 2, 1), Layer(5, dilation=2, padding=2), 3])
    key = [(f.size, f.jump, f.start) for f in as_layers]
    for other in (as_dicts, as_tuples, as_mixed):
        assert [(f.size, f.jump, f.start) for f in other] == key
    assert [f.name for f in as_layers] == ["layer 1", "layer 2", "layer 3"]
    named = ct.receptive_field([Layer(3, name="conv1"), dict(kernel_size=2, stride=2, name="pool")])
    assert [f.name for f in named] == ["conv1", "pool"]
    assert ct.receptive_field([]) == []


@pytest.mark.parametrize("cin, cout, t, k, size, stride", [(24, 24, 6, 3, (56, 56), 1), (16, 24, 6, 3, (112, 112), 2),
                                                          (32, 16, 1, 3, (112, 112), 1), (64, 96, 4, 5, (14, 15), 2)])
def test_inverted_residual_counted_on_real_modules(cin, cout, t, k, size, stride):
    from torch import nn
    from torch.utils.flop_counter import FlopCounterMode

    wide = cin * t
    steps = ([nn.Conv2d(cin, wide, 1, bias=False)] if t > 1 else []) + [
        nn.Conv2d(wide, wide, k, stride, k // 2, groups=wide, bias=False), nn.Conv2d(wide, cout, 1, bias=False)]
    costs = ct.arithmetic.inverted_residual_cost(cin, cout, t, k, size, stride)
    x = torch.zeros(1, cin, *size)
    assert len(costs) == len(steps)
    for cost, module in zip(costs, steps):
        with FlopCounterMode(display=False) as counter:
            x = module(x)
        assert cost.parameters == sum(p.numel() for p in module.parameters())
        assert cost.macs * 2 == counter.get_total_flops()
        assert cost.output_size == tuple(x.shape[2:])
