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
