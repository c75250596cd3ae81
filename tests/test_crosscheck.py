"""convtutor.crosscheck: the chapters' random comparison with PyTorch, and that it can fail."""

from __future__ import annotations

import numpy as np
import pytest

import convtutor as ct
from convtutor import crosscheck


def test_every_kind_and_dimension_agrees():
    results = crosscheck.compare_with_torch(15, seed=3)
    assert [(c.kind, c.dims) for c in results] == [(k, n) for k in ("conv", "transposed") for n in (1, 2, 3)]
    assert all(c.all_equal and c.layers == 15 for c in results)
    assert "conv_transpose3d" in crosscheck.table(results)


def test_a_wrong_function_is_reported():
    def off_by_one_bias(x, w, b=None, **kw):          # adds 1 to every output
        return ct.conv2d(x, w, b, **kw) + 1.0

    (result,) = crosscheck.compare_with_torch(5, dims=(2,), kinds=("conv",), functions={("conv", 2): off_by_one_bias})
    assert result.equal == 0 and not result.all_equal
    assert result.max_error == pytest.approx(1.0)
    assert len(result.failures) == 3 and "NOT all" in crosscheck.table([result])


def test_random_layers_are_valid_and_reproducible():
    a = crosscheck.random_layer(np.random.default_rng(1), 3, "transposed")
    b = crosscheck.random_layer(np.random.default_rng(1), 3, "transposed")
    assert a["kwargs"] == b["kwargs"] and np.array_equal(a["input"], b["input"])
    for seed in range(200):
        layer = crosscheck.random_layer(np.random.default_rng(seed), 1 + seed % 3, ("conv", "transposed")[seed % 2])
        fn = (ct.conv1d, ct.conv2d, ct.conv3d) if "output_padding" not in layer["kwargs"] else \
             (ct.conv_transpose1d, ct.conv_transpose2d, ct.conv_transpose3d)
        fn[layer["weight"].ndim - 3](layer["input"], layer["weight"], layer["bias"], **layer["kwargs"])


@pytest.mark.parametrize("call, match", [
    (lambda: crosscheck.compare_with_torch(0), "layers=0 must be >= 1"),
    (lambda: crosscheck.compare_with_torch(1, kinds=("pool",)), "kinds='pool' must be one of"),
    (lambda: crosscheck.random_layer(np.random.default_rng(0), 2, "dense"), "kind='dense' must be one of"),
])
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
