"""convtutor.receptive.field_map against PyTorch autograd, and against the published receptive fields."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

import convtutor as ct
from convtutor import Layer
from convtutor.receptive import field_map

CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}


def torch_gradient(layers, size, output_index, weights=None):
    """d out[output_index] / d input of a one-channel torch stack (all-ones unless weights given)."""
    nd = len(size)
    modules = []
    for i, l in enumerate(layers):
        m = CONV[nd](1, 1, l.kernel_size, l.stride, l.padding, l.dilation, bias=False).double()
        with torch.no_grad():
            m.weight.copy_(torch.ones_like(m.weight) if weights is None else torch.from_numpy(weights[i]))
        modules.append(m)
    x = torch.zeros((1, 1, *size), dtype=torch.float64, requires_grad=True)
    nn.Sequential(*modules)(x)[(0, 0, *output_index)].backward()
    return x.grad[0, 0].numpy()


STACKS = [
    ([Layer(3, dilation=d) for d in (1, 2, 4, 8)], (41,)),
    ([Layer(3, dilation=d) for d in (2, 2, 2)], (21, 21)),                 # gridding: holes
    ([Layer(7, 2, 3), Layer(3, 2, 1, name="pool"), Layer(3, 1, 1), Layer(3, 2, 1)], (45, 38)),
    ([Layer(4, 2, 1), Layer(4, 2, 1), Layer(1, 1, 0)], (32,)),            # even kernels
    ([Layer(3, 1, 0), Layer(2, 2, 0, 2), Layer(3, 1, 1)], (9, 10, 11)),   # 3-D
]


@pytest.mark.parametrize("layers, size", STACKS)
def test_field_map_is_the_autograd_gradient(layers, size):
    fm = field_map(layers, size)
    np.testing.assert_allclose(fm.values, torch_gradient(layers, size, fm.output_index), rtol=1e-12)
    assert fm.measured == fm.clipped                  # the nonzero cells are the theoretical field
    assert fm.field.size == ct.receptive_field(layers)[-1].size


@pytest.mark.parametrize("layers, size", STACKS[:3])
def test_every_output_cell(layers, size):
    shape = size
    for l in layers:
        shape = ct.conv_output_size(shape, l.kernel_size, l.stride, l.padding, l.dilation)
    for y in np.ndindex(*shape):
        fm = field_map(layers, size, y)
        assert fm.measured == fm.clipped, y


def test_random_weights_average_the_absolute_gradient():
    layers, size = [Layer(3), Layer(3, 2, 1), Layer(3, dilation=2)], (15, 15)
    fm = field_map(layers, size, weights="random", draws=3, seed=5)
    rng = np.random.default_rng(5)
    total = np.zeros(size)
    for _ in range(3):
        ws = [None] * len(layers)
        for i in reversed(range(len(layers))):      # the map draws the last layer's weights first
            ws[i] = rng.standard_normal((1, 1, 3, 3))
        total += np.abs(torch_gradient(layers, size, fm.output_index, ws))
    np.testing.assert_allclose(fm.values, total / 3, rtol=1e-12)


def test_effective_field_is_narrower_and_grows_like_a_square_root():
    # Luo et al. (2016): the effective field of n 3x3 layers has a width ~ sqrt(n), the theory ~ n
    widths, theory = [], []
    for n in (4, 16):
        fm = field_map([Layer(3, 1, 1)] * n, 71, weights="random", draws=32, seed=1)
        widths.append(fm.std[0])
        theory.append(fm.field.size)
    assert theory == [9, 33]
    assert widths[0] < theory[0] / 2 and widths[1] < theory[1] / 4
    assert 1.6 < widths[1] / widths[0] < 2.6          # sqrt(4) = 2, not 4


def test_published_fields_measured_on_the_network():
    # VGG-16 up to pool5: 212 (Araujo et al. 2019, table 1)
    vgg = []
    for convs in (2, 2, 3, 3, 3):
        vgg += [Layer(3, 1, 1)] * convs + [Layer(2, 2, 0, name="pool")]
    fm = field_map(vgg, 256)
    assert fm.field.size == 212 and fm.measured[0][1] - fm.measured[0][0] + 1 == 212


def test_effective_padding():
    # Araujo et al.: P = sum_l p_l * j_{l-1}
    layers = [Layer(7, 2, 3), Layer(3, 2, 1), Layer(3, 1, 1), Layer(3, 2, 1)]
    jumps = [1, 2, 4, 4]
    expected = sum(l.padding * j for l, j in zip(layers, jumps))
    assert ct.receptive_field(layers)[-1].effective_padding == expected == 3 + 2 + 4 + 4


@pytest.mark.parametrize("call, exc, match", [
    (lambda: field_map([], 9), ValueError, "layers must hold at least one layer"),
    (lambda: field_map([Layer(3)], 9, weights="zeros"), ValueError, "weights='zeros' must be one of 'ones', 'random'"),
    (lambda: field_map([Layer(3)] * 2, 9, weights=["ones"]), ValueError, "weights has 1 entries for 2 layers"),
    (lambda: field_map([Layer(3)] * 2, 9, weights=["ones", "x"]), ValueError, r"weights\[1\]='x' must be one of"),
    (lambda: field_map([Layer(3)], 9, weights=3), TypeError, "weights must be 'ones', 'random' or a sequence"),
    (lambda: field_map([Layer(3)], 9, 7), ValueError, r"output_index=\(7,\) must be below the output size \(7,\)"),
    (lambda: field_map([Layer(5)], 3), ValueError, "the output would be empty"),
    (lambda: field_map([Layer(3)], (5, 5, 5, 5)), ValueError, "must have 1 to 3 dimensions"),
])
def test_field_map_rejects(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_weights_per_layer_keep_pooling_at_ones():
    # random convolutions, pooling windows left at ones: each draw is torch's gradient with the
    # pooling layers' weights all ones
    layers, size = [Layer(3, 1, 1), Layer(2, 2), Layer(3, 1, 1), Layer(2, 2)], (14, 13)
    kinds = ["random", "ones", "random", "ones"]
    fm = field_map(layers, size, weights=kinds, draws=3, seed=2)
    rng = np.random.default_rng(2)
    total = np.zeros(size)
    for _ in range(3):
        ws = [None] * len(layers)
        for i in reversed(range(len(layers))):        # the last layer first, as the map draws them
            k = layers[i].kernel_size
            ws[i] = rng.standard_normal((1, 1, k, k)) if kinds[i] == "random" else np.ones((1, 1, k, k))
        total += np.abs(torch_gradient(layers, size, fm.output_index, ws))
    np.testing.assert_allclose(fm.values, total / 3, rtol=1e-12)
    # every layer 'ones' is the same as weights='ones'
    np.testing.assert_array_equal(field_map(layers, size, weights=["ones"] * 4).values, field_map(layers, size).values)


def test_a_shortcut_does_not_widen_the_field():
    # ResNet-style blocks: body (1x1, 3x3, 1x1) plus a shortcut (identity, or a strided 1x1 in the
    # first block of a stage). The shortcut is a shorter path: the field is the longest path's.
    body = [[Layer(7, 2, 3), Layer(3, 2, 1)],
            [Layer(1, 1, 0), Layer(3, 1, 1), Layer(1, 1, 0)],
            [Layer(1, 2, 0), Layer(3, 1, 1), Layer(1, 1, 0)],
            [Layer(1, 1, 0), Layer(3, 1, 1), Layer(1, 1, 0)]]

    def chain(layers):
        return nn.Sequential(*[CONV[2](1, 1, l.kernel_size, l.stride, l.padding, l.dilation, bias=False).double()
                               for l in layers])

    class Block(nn.Module):
        def __init__(self, layers):
            super().__init__()
            self.body = chain(layers)
            stride = int(np.prod([l.stride for l in layers]))
            self.shortcut = chain([Layer(1, stride)]) if stride > 1 else nn.Identity()

        def forward(self, x):
            return self.body(x) + self.shortcut(x)

    net = nn.Sequential(chain(body[0]), *[Block(b) for b in body[1:]])
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.ones_(m.weight)
    longest = [layer for block in body for layer in block]
    fm = field_map(longest, (96, 96))
    x = torch.zeros((1, 1, 96, 96), dtype=torch.float64, requires_grad=True)
    net(x)[(0, 0, *fm.output_index)].backward()
    rows, cols = np.nonzero(x.grad[0, 0].numpy())
    assert ((rows.min(), rows.max()), (cols.min(), cols.max())) == fm.measured == fm.clipped
    # 7, then 11 after the pool (jump 4); +2*4 for the first 3x3 (19), +2*8 for each 3x3 after the
    # strided 1x1 (35, 51)
    assert fm.field.size == 51


def test_normalize_averages_each_draw_scaled_to_sum_one():
    layers, size = [Layer(3, 1, 1)] * 6, (21,)
    fm = field_map(layers, size, weights="random", draws=4, seed=3, normalize=True)
    rng = np.random.default_rng(3)
    total = np.zeros(size)
    for _ in range(4):
        ws = [None] * len(layers)
        for i in reversed(range(len(layers))):
            ws[i] = rng.standard_normal((1, 1, 3))
        g = np.abs(torch_gradient(layers, size, fm.output_index, ws))
        total += g / g.sum()
    np.testing.assert_allclose(fm.values, total / 4, rtol=1e-12)
    assert fm.values.sum() == pytest.approx(1.0)
    # with all-ones weights it is the path count over the number of paths
    ones = field_map(layers, size, normalize=True)
    np.testing.assert_allclose(ones.values, field_map(layers, size).values / 3 ** 6)
    with pytest.raises(TypeError, match="normalize must be True or False"):
        field_map(layers, size, normalize=1)


def test_max_pools_reach_a_data_dependent_part_of_the_field():
    # the chapter's remark: a max-pool sends each gradient to the winner of its window only, so
    # the cells that receive a gradient are a subset of the field, and depend on the input
    layers = [Layer(3, 1, 1), Layer(3, 1, 1), Layer(2, 2), Layer(3, 1, 1), Layer(2, 2), Layer(3, 1, 1)]
    fm = field_map(layers, (40, 40))
    reached = []
    for seed in (0, 1):
        modules = [nn.MaxPool2d(2) if l.stride == 2 else nn.Conv2d(1, 1, 3, padding=1, bias=False)
                   for l in layers]
        net = nn.Sequential(*modules).double()
        for m in net:
            if isinstance(m, nn.Conv2d):
                nn.init.ones_(m.weight)
        x = torch.from_numpy(np.random.default_rng(seed).standard_normal((1, 1, 40, 40))).requires_grad_()
        net(x)[(0, 0, *fm.output_index)].backward()
        reached.append(x.grad[0, 0].numpy() != 0)
    inside = fm.values != 0
    for r in reached:
        assert not (r & ~inside).any() and r.sum() < inside.sum()
    assert (reached[0] != reached[1]).any()
