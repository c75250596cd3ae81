"""Shared pytest configuration for the convtutor tests."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Property tests: no per-example deadline (the first call of a numpy path or of torch can be
# slow on a busy machine); the number of examples is set per test.
settings.register_profile(
    "convtutor",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("convtutor")


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A random generator seeded from the test's id: reproducible, different for every test."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(params=["whole-batch", "banded", "row-stacked"])
def path(request, monkeypatch) -> str:
    """Run the test on each route of the fast path (``convtutor._compute``): a layer whose im2col
    (or products) buffer is at most ``SMALL_BYTES`` is computed in one product for the whole batch;
    a larger one image by image, either in bands of rows with stacked taps ("banded"; a transposed
    one phase by phase) or, for 2-D and 3-D layers with long output rows, row-stacked. The layers
    of the test tables are small, so the limits are moved to send each test down each route."""
    from convtutor import _compute

    route = request.param
    monkeypatch.setattr(_compute, "SMALL_BYTES", 1 << 40 if route == "whole-batch" else 0)
    monkeypatch.setattr(_compute, "ROW_CELLS", 1 if route == "row-stacked" else 1 << 40)
    monkeypatch.setattr(_compute, "ROW_DEPTH", 1)
    return route



@pytest.fixture(params=["whole-batch", "phase-by-phase"])
def transposed_path(request, monkeypatch) -> str:
    """The two routes of a transposed convolution: one product for the whole batch (a products
    buffer at most ``SMALL_BYTES``), or one image at a time and the output phase by phase."""
    from convtutor import _compute

    monkeypatch.setattr(_compute, "SMALL_BYTES", 1 << 40 if request.param == "whole-batch" else 0)
    return request.param
