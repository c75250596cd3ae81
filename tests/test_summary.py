"""convtutor.explain against torch itself, published receptive fields and an autograd brute force.

Expected values never come from convtutor: shapes from the forward pass of the real model,
parameter counts from ``numel``, FLOPs from ``torch.utils.flop_counter.FlopCounterMode``,
receptive fields from Araujo et al. (2019) (VGG-16 212 at pool5, ResNet-50 483 with the stride
on the first 1x1 of a block) and from the input cells whose gradient is nonzero.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from convtutor.explain import summary  # also convtutor.summary

torch.set_num_threads(1)


# ------------------------------------------------------------------- models built from torch.nn

def vgg16():
    """VGG-16 (configuration D of Simonyan & Zisserman), classifier included."""
    layers, c = [], 3
    for block, (convs, width) in enumerate(zip((2, 2, 3, 3, 3), (64, 128, 256, 512, 512)), start=1):
        for _ in range(convs):
            layers += [nn.Conv2d(c, width, 3, padding=1), nn.ReLU()]
            c = width
        layers.append(nn.MaxPool2d(2))
    features = nn.Sequential(*layers)
    classifier = nn.Sequential(nn.Flatten(), nn.Linear(512 * 7 * 7, 4096), nn.ReLU(),
                               nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000))
    return nn.Sequential(features, classifier)


class Bottleneck(nn.Module):
    """ResNet bottleneck as in He et al. (2016): the stride on the first 1x1."""

    def __init__(self, c_in, width, stride):
        super().__init__()
        c_out = 4 * width
        self.conv1 = nn.Conv2d(c_in, width, 1, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, c_out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c_out)
        self.down = None
        if stride != 1 or c_in != c_out:
            self.down = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.down is None else self.down(x)
        return F.relu(out + shortcut)


def resnet50():
    stem = [nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1)]
    blocks, c = [], 64
    for stage, (n, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512))):
        for b in range(n):
            blocks.append(Bottleneck(c, width, 2 if b == 0 and stage > 0 else 1))
            c = 4 * width
    head = [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000)]
    return nn.Sequential(*stem, *blocks, *head)


@pytest.fixture(scope="module")
def vgg_summary():
    torch.manual_seed(0)
    model = vgg16()
    return model, summary(model, (1, 3, 224, 224))


@pytest.fixture(scope="module")
def resnet_summary():
    torch.manual_seed(0)
    model = resnet50().eval()
    return model, summary(model, (1, 3, 224, 224))


# ------------------------------------------------------------------------- published values

def test_vgg16_receptive_field_212_at_pool5(vgg_summary):
    _, s = vgg_summary
    pool5 = s.row("0.30")                     # features[30]: the fifth max-pool
    assert pool5.kind == "MaxPool2d"
    assert pool5.receptive_field == (212, 212) and pool5.jump == (32, 32)
    assert s.row("0.28").receptive_field == (196, 196)          # conv5_3 (Araujo et al.: 196)


def test_resnet50_receptive_field_483(resnet_summary):
    _, s = resnet_summary
    pool = [r.kind for r in s.rows].index("AdaptiveAvgPool2d")
    last = s.rows[pool - 1]                   # the add + relu of the last bottleneck
    assert s.rows[pool - 2].kind == "add"
    assert last.receptive_field == (483, 483) and last.jump == (32, 32)
    assert last.output_shape == (1, 2048, 7, 7)


def test_vgg16_parameters_published(vgg_summary):
    model, s = vgg_summary
    # Simonyan & Zisserman, table 2: 138 million; the exact count from torch's own numel
    assert s.parameters == sum(p.numel() for p in model.parameters()) == 138_357_544


# ------------------------------------------------------- shapes, parameters, FLOPs against torch

def _real_shapes(model, shape):
    """Output shape of every leaf module, from forward hooks on the real model."""
    shapes, hooks = {}, []

    def record(name):
        def hook(module, inputs, output):
            shapes.setdefault(name, tuple(output.shape))       # returns None: output unchanged
        return hook

    for name, m in model.named_modules():
        if not list(m.children()):
            hooks.append(m.register_forward_hook(record(name)))
    with torch.no_grad():
        model(torch.zeros(shape))
    for h in hooks:
        h.remove()
    return shapes


def _flop_counts(model, shape):
    with FlopCounterMode(display=False) as counter:
        with torch.no_grad():
            model(torch.zeros(shape))
    root = type(model).__name__
    per_module = {}
    for key, ops in counter.get_flop_counts().items():
        if key.startswith(root + "."):
            per_module[key[len(root) + 1:]] = sum(ops.values())
    return counter.get_total_flops(), per_module


@pytest.mark.parametrize("which", ["vgg", "resnet"])
def test_shapes_parameters_flops_match_torch(which, vgg_summary, resnet_summary):
    model, s = vgg_summary if which == "vgg" else resnet_summary
    shape = (1, 3, 224, 224)
    real = _real_shapes(model, shape)
    rows = {r.name: r for r in s.rows}
    for name, out in real.items():
        assert rows[name].output_shape == out, name
    assert s.parameters == sum(p.numel() for p in model.parameters())
    total, per_module = _flop_counts(model, shape)
    assert s.flops == total == 2 * s.macs
    leaves = {n for n, m in model.named_modules() if not list(m.children())}
    for name, flops in per_module.items():
        if name in leaves:
            assert rows[name].flops == flops, name


def test_resnet50_multiply_adds_published(resnet_summary):
    # He et al. (2016), table 1: "3.8 x 10^9" FLOPs (multiply-adds) for ResNet-50; the exact
    # count with the stride on the first 1x1 is 3.86e9, which the table truncates
    _, s = resnet_summary
    assert 3.8e9 <= s.macs < 3.9e9


def test_transposed_conv_counted_at_input_positions():
    model = nn.Sequential(nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1), nn.Conv2d(2, 3, 3))
    shape = (2, 4, 5, 5)
    s = summary(model, shape)
    total, per_module = _flop_counts(model, shape)
    assert s.row("0").flops == per_module["0"] == 2 * (2 * 5 * 5) * 4 * 2 * 16
    assert s.flops == total
    assert s.row("0").output_shape == tuple(model[0](torch.zeros(shape)).shape)
    assert s.row("0").receptive_field is None and "stride > 1" in s.row("0").note


# ------------------------------------------------------------------- autograd brute force

def _brute_field(model, size, cell, dims=2):
    """First and last input index (along the last axis) with a nonzero gradient of one output."""
    x = torch.zeros((1, 1) + (size,) * dims, dtype=torch.float64, requires_grad=True)
    out = model(x)
    out[(0, 0) + (cell,) * dims].backward()
    nz = np.nonzero(x.grad[0, 0].numpy())
    return int(nz[-1].min()), int(nz[-1].max()), int(nz[0].min()), int(nz[0].max())


def _ones(module):
    for p in module.parameters():
        nn.init.constant_(p, 1.0) if p.dim() > 1 else nn.init.zeros_(p)
    return module.double()


class Residual(nn.Module):
    """conv - pool - dilated conv, plus a strided 1x1 shortcut, added; then one more conv."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 1, 3, padding=1)
        self.pool = nn.AvgPool2d(2)
        self.b = nn.Conv2d(1, 1, 3, padding=2, dilation=2)
        self.short = nn.Conv2d(1, 1, 1, stride=2)
        self.c = nn.Conv2d(1, 1, 5, padding=2)

    def forward(self, x):
        return self.c(self.b(self.pool(self.a(x))) + self.short(x))


class Concat(nn.Module):
    """Two branches of different reach, concatenated along channels, then mixed by a conv."""

    def __init__(self):
        super().__init__()
        self.near = nn.Conv2d(1, 1, 3, padding=1)
        self.far = nn.Sequential(nn.Conv2d(1, 1, 5, padding=2), nn.Conv2d(1, 1, 3, padding=3, dilation=3))
        self.pool = nn.AvgPool2d(3, stride=2, padding=1)
        self.mix = nn.Conv2d(2, 1, 3, padding=1)

    def forward(self, x):
        return self.mix(self.pool(torch.cat([self.near(x), self.far(x)], dim=1)))


@pytest.mark.parametrize("factory", [Residual, Concat])
def test_receptive_field_through_merges_matches_autograd(factory):
    torch.manual_seed(0)
    model = _ones(factory())
    size = 64
    s = summary(model, (1, 1, size, size))
    last = s.rows[-1]
    checked = 0
    for cell in (3, 5, 8):
        r, j, start = last.receptive_field[0], last.jump[0], last.start[0]
        lo = start + cell * j - (r - 1) / 2
        hi = start + cell * j + (r - 1) / 2
        if lo < 0 or hi >= size:
            continue                            # the field reaches into the padding: clipped
        first, last_cell, top, bottom = _brute_field(model, size, cell)
        assert (first, last_cell) == (lo, hi) == (top, bottom), (cell, first, last_cell, lo, hi)
        checked += 1
    assert checked >= 2


def test_union_is_max_extent_of_branches():
    class TwoReach(nn.Module):
        def __init__(self):
            super().__init__()
            self.short = nn.Conv1d(1, 1, 3, padding=1)
            self.long = nn.Sequential(nn.Conv1d(1, 1, 3, padding=1), nn.Conv1d(1, 1, 7, padding=3, dilation=1))

        def forward(self, x):
            return self.short(x) + self.long(x)

    torch.manual_seed(0)
    model = _ones(TwoReach())
    s = summary(model, (1, 1, 40))
    add = s.rows[-1]
    x = torch.zeros((1, 1, 40), dtype=torch.float64, requires_grad=True)
    model(x)[0, 0, 20].backward()
    nz = np.nonzero(x.grad[0, 0].numpy())[0]
    assert add.receptive_field == (int(nz.max() - nz.min() + 1),) == (9,)
    assert add.start[0] + 20 * add.jump[0] == (nz.min() + nz.max()) / 2


def test_dilation_pooling_chain_against_autograd():
    model = nn.Sequential(nn.Conv2d(1, 1, 3, padding=2, dilation=2), nn.AvgPool2d(3, stride=2),
                          nn.Conv2d(1, 1, 3, dilation=3), nn.MaxPool2d(2), nn.Conv2d(1, 1, 2))
    model = _ones(model)
    avg = _ones(nn.Sequential(*[nn.AvgPool2d(2) if isinstance(m, nn.MaxPool2d) else m for m in model]))
    s = summary(model, (1, 1, 80, 80))
    last = s.rows[-1]
    cell = 4
    r, j, start = last.receptive_field[0], last.jump[0], last.start[0]
    first, last_cell, _, _ = _brute_field(avg, 80, cell)
    assert (first, last_cell) == (start + cell * j - (r - 1) / 2, start + cell * j + (r - 1) / 2)


# ----------------------------------------------------------------------------- presentation

def test_text_and_html_are_deterministic_and_complete():
    model = Residual()
    a = summary(model, (1, 1, 32, 32))
    b = summary(Residual(), (1, 1, 32, 32))
    assert str(a) == str(b) and a._repr_html_() == b._repr_html_()
    text = str(a)
    for row in a.rows:
        assert row.name in text
    assert a._repr_html_().count("<tr>") == len(a.rows) + 2        # header + rows + total
    conv = a.row("b")
    assert (conv.kernel_size, conv.stride, conv.padding, conv.dilation) == ((3, 3), (1, 1), (2, 2), (2, 2))
    assert conv.link == ""


# ----------------------------------------------------------------------------------- errors

def test_unsupported_layer_is_named():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Upsample(scale_factor=2), nn.Conv2d(2, 1, 3))
    with pytest.raises(ValueError, match=r"'1' \(Upsample\) is not supported"):
        summary(model, (1, 1, 16, 16))


def test_merge_with_different_jumps_is_refused():
    class Mismatch(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(1, 1, 3, stride=2, padding=1)       # 8 -> 4, jump 2
            self.b = nn.Conv2d(1, 1, 5, stride=1, padding=0)       # 8 -> 4, jump 1

        def forward(self, x):
            return self.a(x) + self.b(x)

    with pytest.raises(ValueError, match="jumps differ"):
        summary(Mismatch(), (1, 1, 8, 8))


def test_bad_arguments():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        summary(lambda x: x, (1, 1, 8, 8))
    with pytest.raises(ValueError, match="input_shape"):
        summary(nn.Conv2d(1, 1, 3), (8, 8))
    with pytest.raises(TypeError, match="input_shape"):
        summary(nn.Conv2d(1, 1, 3), (1, 1, 8.0, 8))

    class Dynamic(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(ValueError, match="cannot trace"):
        summary(Dynamic(), (1, 1, 8, 8))


def test_unknown_field_after_strided_transposed_propagates_through_merge():
    class UpJoin(nn.Module):
        def __init__(self):
            super().__init__()
            self.down = nn.Conv2d(1, 2, 3, stride=2, padding=1)
            self.up = nn.ConvTranspose2d(2, 2, 4, stride=2, padding=1)
            self.skip = nn.Conv2d(1, 2, 3, padding=1)
            self.fuse = nn.Conv2d(4, 1, 3, padding=1)

        def forward(self, x):
            return self.fuse(torch.cat([self.up(self.down(x)), self.skip(x)], dim=1))

    model = UpJoin()
    s = summary(model, (1, 1, 16, 16))
    assert s.row("up").receptive_field is None
    assert s.row("cat").receptive_field is None and "unknown" in s.row("cat").note
    assert s.row("fuse").output_shape == tuple(model(torch.zeros(1, 1, 16, 16)).shape)
    assert s.row("skip").receptive_field == (3, 3)


def test_transposed_stride_one_field_matches_autograd():
    model = _ones(nn.Sequential(nn.Conv1d(1, 1, 3), nn.ConvTranspose1d(1, 1, 5, padding=1),
                                nn.AvgPool1d(2)))
    s = summary(model, (1, 1, 40))
    last = s.rows[-1]
    x = torch.zeros((1, 1, 40), dtype=torch.float64, requires_grad=True)
    model(x)[0, 0, 8].backward()
    nz = np.nonzero(x.grad[0, 0].numpy())[0]
    r, j, start = last.receptive_field[0], last.jump[0], last.start[0]
    assert (nz.min(), nz.max()) == (start + 8 * j - (r - 1) / 2, start + 8 * j + (r - 1) / 2)


@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
def test_same_padding_modules_and_3d():
    model = _ones(nn.Sequential(nn.Conv3d(1, 1, 2, padding="same"), nn.Conv3d(1, 1, 3, stride=2)))
    s = summary(model, (1, 1, 12, 12, 12))
    assert s.rows[-1].output_shape == tuple(model(torch.zeros(1, 1, 12, 12, 12, dtype=torch.float64)).shape)
    x = torch.zeros((1, 1, 12, 12, 12), dtype=torch.float64, requires_grad=True)
    model(x)[0, 0, 2, 2, 2].backward()
    nz = np.nonzero(x.grad[0, 0].numpy())[-1]
    r, j, start = s.rows[-1].receptive_field[0], s.rows[-1].jump[0], s.rows[-1].start[0]
    assert (nz.min(), nz.max()) == (start + 2 * j - (r - 1) / 2, start + 2 * j + (r - 1) / 2)
    assert s.rows[0].padding == (0, 0, 0)          # torch's 'same' puts the odd zero after


def test_more_refusals_name_the_layer():
    class CatSpatial(nn.Module):
        def forward(self, x):
            return torch.cat([x, x], dim=2)

    with pytest.raises(ValueError, match="joins along dim 2"):
        summary(CatSpatial(), (1, 1, 8, 8))
    with pytest.raises(ValueError, match=r"'0' \(AdaptiveAvgPool2d\) pools \(7, 7\) to \(3, 3\)"):
        summary(nn.Sequential(nn.AdaptiveAvgPool2d(3)), (1, 1, 7, 7))
    with pytest.raises(ValueError, match=r"'0' \(Linear\) is applied to a map"):
        summary(nn.Sequential(nn.Linear(8, 2)), (1, 1, 8, 8))


def test_rows_link_to_the_explorer_with_their_own_layer():
    """A row's link opens its layer in the book's explorer: the fragment the explorer's script
    writes for that layer, whose sizes give the row's own output shape."""
    import re

    import torch.nn as nn

    import convtutor as ct

    net = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, dilation=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1))
    s = summary(net, (1, 3, 33, 31), link="book.html#ct-layer")
    linked = [r for r in s.rows if r.link]
    assert [r.kind for r in linked] == ["Conv2d", "MaxPool2d", "ConvTranspose2d"]
    assert summary(net, (1, 3, 33, 31)).rows[0].link == ""       # only when asked
    for r in linked:
        fields = dict(f.split(":") for f in r.link.split("#ct-layer=")[1].split(";"))
        sizes = {k: tuple(int(v) for v in fields[k].split("x")) for k in ("i", "k", "s", "p", "d")}
        if fields["kind"] == "transposed":
            out = ct.conv_transpose_output_size(sizes["i"], sizes["k"], sizes["s"], sizes["p"],
                                                tuple(int(v) for v in fields["op"].split("x")), sizes["d"])
        else:
            out = ct.conv_output_size(sizes["i"], sizes["k"], sizes["s"], sizes["p"], sizes["d"])
        assert out == r.output_shape[2:]
    assert re.search(r'<a href="book.html#ct-layer=kind:conv;i:33x31;k:3x3;s:2x2;p:1x1;d:2x2;flip:0">0</a>',
                     s._repr_html_())


def test_tables_with_chosen_columns():
    from convtutor.explain import COLUMNS, COMPACT

    s = summary(Residual(), (1, 1, 32, 32))
    assert str(s) == s.text() and s.text().splitlines()[1].split()[:3] == ["layer", "type", "output"]
    narrow = s.text(columns=("layer", "MACs", "r"))
    assert narrow.splitlines()[1].split() == ["layer", "MACs", "r"]
    assert all(len(line) <= 40 for line in narrow.splitlines())
    html = s._repr_html_()
    assert html.count("<th>") == len(COMPACT) and "FLOPs = 2 x MACs" in html
    assert s.html(COLUMNS).count("<th>") == len(COLUMNS)
    with pytest.raises(ValueError, match="columns=\\('speed',\\) must be chosen from 'layer'"):
        s.text(columns=("speed",))
