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


@pytest.fixture(params=["whole-batch", "image-by-image"])
def path(request, monkeypatch) -> str:
    """Run the test on both routes of the fast path: a layer whose im2col (or products) buffer
    is at most ``convtutor._compute.SMALL_BYTES`` is computed in one product for the whole batch,
    a larger one image by image (in bands of rows; a transposed one phase by phase). The layers
    of the test tables are small, so each test is run both ways."""
    from convtutor import _compute

    monkeypatch.setattr(_compute, "SMALL_BYTES", {"whole-batch": 1 << 40, "image-by-image": 0}[request.param])
    return request.param
