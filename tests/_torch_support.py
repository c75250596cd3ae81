"""Helpers shared by the PyTorch cross-check tests."""

from __future__ import annotations

import numpy as np
import torch

# how close convtutor must be to torch, per dtype
TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}


def tt(a):
    """A torch tensor holding a private copy of a numpy array (or None)."""
    return None if a is None else torch.from_numpy(np.array(a))
