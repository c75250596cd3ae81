"""A real photograph for the chapters and the live explorers, stored in the package.

:func:`sample_image` returns a 150 x 128 portrait of Grace M. Hopper (a U.S. Navy photograph,
in the public domain; see ``convtutor/assets/README.md``), read with numpy alone: nothing is
downloaded.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

from ._validation import check_bool

__all__ = ["sample_image"]


@lru_cache(maxsize=1)
def _pixels() -> np.ndarray:
    with resources.files("convtutor").joinpath("assets/grace_hopper.npz").open("rb") as f:
        image = np.load(f)["image"]
    image.flags.writeable = False
    return image


def sample_image(gray: bool = False) -> np.ndarray:
    """The sample photograph as floats in ``[0, 1]``: ``(3, 150, 128)``, or ``(150, 128)`` when ``gray``.

    Grey is the ITU-R BT.601 luma, ``0.299 R + 0.587 G + 0.114 B``. A new array every call.

    Example:
        >>> sample_image().shape, sample_image(gray=True).shape
        ((3, 150, 128), (150, 128))
    """
    rgb = _pixels().astype(np.float64) / 255.0
    if check_bool("gray", gray):
        return np.tensordot(np.array([0.299, 0.587, 0.114]), rgb, axes=1)
    return rgb
