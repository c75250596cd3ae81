"""convtutor.layers_for: complete against a brute force written here, exact against torch."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from convtutor.solver import LayerChoice, layers_for

torch.set_num_threads(1)


def brute_force(i, o, transposed, kmax, smax, dmax):
    """Every (k, s, p, d, a) within the bounds whose torch layer maps i to o.

    Written independently of convtutor: the length of a real torch output is the oracle,
    and the bounds are those layers_for documents (0 <= p <= d(k-1); 0 <= a < max(s, d)).
    """
    x = torch.zeros(1, 1, i)
    found = []
    for k, s, d in itertools.product(range(1, kmax + 1), range(1, smax + 1), range(1, dmax + 1)):
        w = torch.zeros(1, 1, k)
        for p in range(d * (k - 1) + 1):
            for a in range(max(s, d) if transposed else 1):
                try:
                    if transposed:
                        n = F.conv_transpose1d(x, w, None, s, p, a, 1, d).shape[-1]
                    else:
                        n = F.conv1d(x, w, None, s, p, d).shape[-1]
                except RuntimeError:
                    continue
                if n == o:
                    found.append((k, s, p, d, a))
    return sorted(found)


def as_tuples(choices):
    return [(c.kernel_size, c.stride, c.padding, c.dilation, c.output_padding) for c in choices]


CASES = [(32, 16, False), (31, 16, False), (7, 7, False), (5, 1, False), (16, 32, True), (7, 14, True),
         (4, 9, True), (1, 3, True), (10, 10, True), (12, 3, False)]


@pytest.mark.parametrize("i, o, transposed", CASES)
def test_complete_and_exact_against_brute_force(i, o, transposed):
    choices = layers_for(i, o, transposed=transposed, max_kernel=5, max_stride=3, max_dilation=2)
    expected = brute_force(i, o, transposed, 5, 3, 2)
    assert sorted(as_tuples(choices)) == expected
    # documented order: kernel, stride, dilation, padding, output_padding
    keys = [(c.kernel_size, c.stride, c.dilation, c.padding, c.output_padding) for c in choices]
    assert keys == sorted(keys)


@settings(max_examples=25)
@given(st.integers(1, 20), st.integers(1, 40), st.booleans())
def test_complete_property(i, o, transposed):
    choices = layers_for(i, o, transposed=transposed, max_kernel=4, max_stride=3, max_dilation=2)
    assert sorted(as_tuples(choices)) == brute_force(i, o, transposed, 4, 3, 2)


def test_checkerboard_flag():
    for c in layers_for(16, 32, transposed=True):
        assert c.transposed and c.checkerboard_risk == (c.kernel_size % c.stride != 0)
    assert not any(c.checkerboard_risk for c in layers_for(32, 16))
    # the GAN upsampler k=4, s=2, p=1 is there and safe; k=3, s=2, p=1, a=1 is there and at risk
    found = {(c.kernel_size, c.stride, c.padding, c.output_padding): c.checkerboard_risk
             for c in layers_for(16, 32, transposed=True)}
    assert found[(4, 2, 1, 0)] is False and found[(3, 2, 1, 1)] is True


def test_real_torch_modules_give_the_size():
    torch.manual_seed(0)
    for i, o, transposed in [(28, 14, False), (14, 28, True), (9, 17, True), (33, 11, False)]:
        choices = layers_for(i, o, transposed=transposed)
        assert choices
        for c in choices[:: max(1, len(choices) // 6)]:          # a spread of the answers
            module = c.torch_module(2, 3)
            out = module(torch.zeros(1, 2, i, i))
            assert tuple(out.shape) == (1, 3, o, o), c


def test_arguments_text():
    c = LayerChoice(4, 2, 1, 1, 0, True, False)
    assert c.arguments() == "kernel_size=4, stride=2, padding=1"
    assert LayerChoice(3, 1, 2, 2).arguments() == "kernel_size=3, padding=2, dilation=2"


def test_nothing_fits_gives_an_empty_list():
    assert layers_for(100, 3, max_kernel=3, max_stride=2, max_dilation=1) == []


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(input_size=0, output_size=3), ValueError, "input_size=0 must be >= 1"),
    (dict(input_size=4, output_size=-1), ValueError, "output_size=-1 must be >= 1"),
    (dict(input_size=4.0, output_size=3), TypeError, "input_size must be an int"),
    (dict(input_size=4, output_size=3, max_kernel=0), ValueError, "max_kernel=0 must be >= 1"),
    (dict(input_size=4, output_size=3, max_stride=0), ValueError, "max_stride=0 must be >= 1"),
    (dict(input_size=4, output_size=3, max_dilation=True), TypeError, "max_dilation must be an int"),
    (dict(input_size=4, output_size=3, transposed="yes"), TypeError, "transposed must be True or False"),
])
def test_bad_arguments(kwargs, error, words):
    i, o = kwargs.pop("input_size"), kwargs.pop("output_size")
    with pytest.raises(error, match=words):
        layers_for(i, o, **kwargs)


def test_torch_module_dims():
    c = LayerChoice(3, 1, 1, 1)
    assert type(c.torch_module(1, 1, dims=1)).__name__ == "Conv1d"
    assert type(LayerChoice(3, 2, 1, 1, 1, True, True).torch_module(1, 1, dims=3)).__name__ == "ConvTranspose3d"
    with pytest.raises(ValueError, match="dims=4"):
        c.torch_module(1, 1, dims=4)
