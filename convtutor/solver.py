"""Which layer gives the output size I want? The size formulas, solved backwards.

:func:`layers_for` lists every convolution (or transposed convolution) within bounds on
kernel size, stride and dilation that maps an input size to a wanted output size, each one
checked with :func:`convtutor.conv_output_size` or
:func:`convtutor.conv_transpose_output_size`, the same functions the rest of the book uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._validation import check_int
from .arithmetic import conv_output_size, conv_transpose_output_size

__all__ = ["LayerChoice", "layers_for"]


@dataclass(frozen=True)
class LayerChoice:
    """One layer that maps the input size to the output size (one spatial dimension).

    ``output_padding`` is 0 for a convolution. ``checkerboard_risk`` is True for a
    transposed layer whose kernel size is not divisible by its stride: neighbouring output
    cells then receive unequal numbers of kernel copies, the origin of checkerboard
    artifacts (Odena, Dumoulin & Olah, 2016); always False for a convolution.
    """

    kernel_size: int
    stride: int
    padding: int
    dilation: int
    output_padding: int = 0
    transposed: bool = False
    checkerboard_risk: bool = False

    def arguments(self) -> str:
        """The layer's keyword arguments as PyTorch spells them (defaults left out)."""
        parts = [f"kernel_size={self.kernel_size}"]
        if self.stride != 1:
            parts.append(f"stride={self.stride}")
        if self.padding:
            parts.append(f"padding={self.padding}")
        if self.output_padding:
            parts.append(f"output_padding={self.output_padding}")
        if self.dilation != 1:
            parts.append(f"dilation={self.dilation}")
        return ", ".join(parts)

    def torch_module(self, in_channels: int, out_channels: int, dims: int = 2, bias: bool = True):
        """The layer as a ``torch.nn`` module (``Conv{dims}d`` or ``ConvTranspose{dims}d``)."""
        import torch.nn as nn

        dims = check_int("dims", dims, minimum=1)
        if dims > 3:
            raise ValueError(f"dims={dims} must be 1, 2 or 3")
        kw = dict(stride=self.stride, padding=self.padding, dilation=self.dilation, bias=bias)
        if self.transposed:
            cls = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)[dims - 1]
            return cls(in_channels, out_channels, self.kernel_size, output_padding=self.output_padding, **kw)
        cls = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[dims - 1]
        return cls(in_channels, out_channels, self.kernel_size, **kw)


def layers_for(input_size, output_size, *, transposed=False, max_kernel=7, max_stride=4, max_dilation=3):
    """Every layer within the bounds that maps ``input_size`` to ``output_size``.

    The search covers, along one spatial dimension:

    * kernel size ``1 <= k <= max_kernel``, stride ``1 <= s <= max_stride``, dilation
      ``1 <= d <= max_dilation``;
    * padding ``0 <= p <= d(k - 1)``. For a convolution this is exactly the padding with
      which every output window still overlaps the input (more padding only adds outputs
      that read zeros; ``d(k - 1)`` is 'full' padding). For a transposed convolution it
      crops at most the kernel's overhang ``d(k - 1)`` from each end;
    * for a transposed convolution, ``0 <= output_padding < max(s, d)`` (PyTorch's rule).

    Nothing within these bounds is left out, and every layer returned was checked with
    :func:`convtutor.conv_output_size` / :func:`convtutor.conv_transpose_output_size`.

    The order is deterministic: smallest kernel first, then stride, dilation, padding and
    output padding, each ascending.

    Parameters:
        input_size: input size ``i`` along one dimension (>= 1).
        output_size: wanted output size ``o`` (>= 1).
        transposed: search transposed convolutions instead of convolutions.
        max_kernel: largest kernel size tried (>= 1).
        max_stride: largest stride tried (>= 1).
        max_dilation: largest dilation tried (>= 1).

    Returns:
        a list of :class:`LayerChoice` (empty if no layer within the bounds fits).

    Shape:
        each choice satisfies ``(i + 2p - d * (k - 1) - 1) // s + 1 == o`` (convolution) or
        ``(i - 1) * s - 2p + d * (k - 1) + output_padding + 1 == o`` (transposed).

    Example:
        >>> for c in layers_for(64, 32, max_kernel=3, max_dilation=1):
        ...     print(c.arguments())
        kernel_size=1, stride=2
        kernel_size=2, stride=2
        kernel_size=3, stride=2, padding=1
        >>> up = layers_for(16, 32, transposed=True, max_kernel=4,
        ...                 max_dilation=1)
        >>> [(c.arguments(), c.checkerboard_risk) for c in up][-1]
        ('kernel_size=4, stride=2, padding=1', False)
    """
    i = check_int("input_size", input_size, minimum=1)
    o = check_int("output_size", output_size, minimum=1)
    kmax = check_int("max_kernel", max_kernel, minimum=1)
    smax = check_int("max_stride", max_stride, minimum=1)
    dmax = check_int("max_dilation", max_dilation, minimum=1)
    if not isinstance(transposed, bool):
        raise TypeError(f"transposed must be True or False, got {transposed!r}")
    found = []
    for k in range(1, kmax + 1):
        for s in range(1, smax + 1):
            for d in range(1, dmax + 1):
                for p in range(d * (k - 1) + 1):
                    for a in range(max(s, d) if transposed else 1):
                        if _gives(i, o, k, s, p, d, a, transposed):
                            risk = transposed and k % s != 0
                            found.append(LayerChoice(k, s, p, d, a, transposed, risk))
    return found


def _gives(i, o, k, s, p, d, a, transposed) -> bool:
    try:
        if transposed:
            return conv_transpose_output_size(i, k, s, p, a, d) == o
        return conv_output_size(i, k, s, p, d) == o
    except ValueError:            # an empty output: not a layer
        return False
