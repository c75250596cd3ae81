"""Receptive fields measured, not only computed: which input cells reach one output cell, and how much.

:func:`convtutor.receptive_field` gives a stack's theoretical field from its layers' sizes (size,
jump, start; Araujo et al. 2019). :func:`field_map` measures it: it sends a one at one output cell
back through the stack, layer by layer, with the gradient of a convolution, which is the
transposed convolution with the same weight (:func:`convtutor.conv_transpose2d`). The result,
one number per input cell, is how strongly that cell reaches the output cell:

* with all-ones weights (``weights="ones"``) it counts the paths from the cell to the output:
  its nonzero cells are exactly the theoretical field (cut by the input's border), and the counts
  show which cells the stack actually uses (a dilated stack may leave holes: gridding);
* with random weights (``weights="random"``, the mean absolute gradient over several draws) it is
  the *effective* receptive field of Luo et al. (2016): at initialisation it is already roughly a
  Gaussian, far narrower than the theoretical field, and its width grows like the square root of
  the depth, not linearly.

A pooling layer has the geometry of a convolution; with all-ones weights it is an (unnormalised)
average pooling, so the same map describes pooled stacks. ``weights`` may also name one choice per
layer: random convolutions with their pooling layers kept at ones is the effective field of a
network like VGG-16 at initialisation (a pooling layer has no weights to draw).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import check_bool, check_choice, check_int, int_tuple
from .arithmetic import Layer, LayerField, as_layer, conv_shape, conv_transpose_output_size, receptive_field

__all__ = ["FieldMap", "field_map"]


@dataclass(frozen=True, eq=False)
class FieldMap:
    """Result of :func:`field_map`.

    ``values`` has the input's spatial shape; ``output_index`` is the output cell measured;
    ``field`` the theoretical :class:`~convtutor.arithmetic.LayerField` of the stack;
    ``predicted`` the ``(first, last)`` input cell of the theoretical field per dimension (it may
    reach outside the input, into the padding) and ``measured`` the ``(first, last)`` nonzero cell
    per dimension.
    """

    values: np.ndarray
    output_index: tuple[int, ...]
    field: LayerField
    predicted: tuple[tuple[int, int], ...]
    measured: tuple[tuple[int, int], ...]

    @property
    def clipped(self) -> tuple[tuple[int, int], ...]:
        """The predicted field cut to the input: what the measured extent must equal."""
        return tuple((max(lo, 0), min(hi, n - 1)) for (lo, hi), n in zip(self.predicted, self.values.shape))

    @property
    def std(self) -> tuple[float, ...]:
        """Standard deviation of the map along each dimension, in cells (the map as a distribution)."""
        weights = np.abs(self.values)
        total = weights.sum()
        out = []
        for axis, n in enumerate(weights.shape):
            marginal = weights.sum(axis=tuple(a for a in range(weights.ndim) if a != axis)) / total
            pos = np.arange(n)
            mean = (marginal * pos).sum()
            out.append(float(math.sqrt((marginal * (pos - mean) ** 2).sum())))
        return tuple(out)


def field_map(layers, input_size, output_index=None, *, weights: str = "ones", draws: int = 8,
              seed: int = 0, normalize: bool = False) -> FieldMap:
    """How strongly each input cell reaches one output cell of a stack of layers.

    Parameters:
        layers: the stack, as :func:`convtutor.receptive_field` takes it (``Layer`` objects,
            tuples ``(kernel_size, stride, padding, dilation)``, ...); every spatial dimension
            gets the same layers.
        input_size: the input's spatial size (an int for 1-D, or a tuple).
        output_index: the output cell (default: the one whose field is centred nearest the middle
            of the input).
        weights: ``'ones'`` (count the paths: the theoretical field) or ``'random'`` (mean absolute
            gradient over ``draws`` draws of standard normal weights: the effective field); or a
            sequence with one of the two per layer (``'ones'`` for pooling layers, say).
        draws: number of random weight draws (used when some layer is ``'random'``).
        seed: seed of the random weights.
        normalize: divide each draw's map by its sum before averaging, so that every draw counts
            the same (through a deep stack of random weights the gradient's scale varies by
            orders of magnitude from draw to draw, and a few draws dominate the plain mean);
            the values then sum to 1.

    Shape:
        ``values`` has shape ``input_size``; sizes go through the stack as
        :func:`convtutor.conv_output_size` computes them.

    Example:
        >>> fm = field_map([Layer(3, dilation=d) for d in (1, 2, 4)], 21)
        >>> fm.field.size, fm.measured, fm.clipped
        (15, ((3, 17),), ((3, 17),))
        >>> pooled = [Layer(3, 1, 1), Layer(2, 2), Layer(3, 1, 1)]
        >>> kinds = ["random", "ones", "random"]
        >>> field_map(pooled, 16, weights=kinds).field.size
        8
    """
    stack = [as_layer(spec, i) for i, spec in enumerate(layers)]
    if not stack:
        raise ValueError("layers must hold at least one layer")
    scalar = not isinstance(input_size, (tuple, list))
    n = 1 if scalar else len(input_size)
    size = int_tuple("input_size", input_size, n, minimum=1)
    if n > 3:
        raise ValueError(f"input_size={input_size!r} must have 1 to 3 dimensions")
    if isinstance(weights, str):
        kinds = [check_choice("weights", weights, ("ones", "random"))] * len(stack)
    elif isinstance(weights, (list, tuple)):
        if len(weights) != len(stack):
            raise ValueError(f"weights has {len(weights)} entries for {len(stack)} layers: give one per layer")
        kinds = [check_choice(f"weights[{i}]", w, ("ones", "random")) for i, w in enumerate(weights)]
    else:
        raise TypeError(f"weights must be 'ones', 'random' or a sequence of them, got {weights!r}")
    random = "random" in kinds
    normalize = check_bool("normalize", normalize)
    draws = check_int("draws", draws, minimum=1) if random else 1
    shapes = []
    current = size
    for layer in stack:
        shape = conv_shape(current, layer.kernel_size, layer.stride, layer.padding, layer.dilation)
        shapes.append(shape)
        current = shape.output_size
    field = receptive_field(stack)[-1]
    if output_index is None:
        output_index = tuple(min(max(round(((i - 1) / 2 - field.start) / field.jump), 0), o - 1)
                             for i, o in zip(size, current))
    elif isinstance(output_index, int) and not isinstance(output_index, bool):
        output_index = (output_index,)
    output_index = int_tuple("output_index", output_index, n, minimum=0)
    for y, o in zip(output_index, current):
        if y >= o:
            raise ValueError(f"output_index={output_index} must be below the output size {current}")
    from .transposed import conv_transpose1d, conv_transpose2d, conv_transpose3d

    back = {1: conv_transpose1d, 2: conv_transpose2d, 3: conv_transpose3d}[n]
    rng = np.random.default_rng(seed)
    total = np.zeros(size)
    for _ in range(draws):
        g = np.zeros((1, 1, *current))
        g[(0, 0, *output_index)] = 1.0
        for layer, shape, kind in zip(reversed(stack), reversed(shapes), reversed(kinds)):
            k = (layer.kernel_size,) * n
            w = np.ones((1, 1, *k)) if kind == "ones" else rng.standard_normal((1, 1, *k))
            extra = tuple(i - conv_transpose_output_size(o, layer.kernel_size, layer.stride, layer.padding, 0,
                                                         layer.dilation)
                          for i, o in zip(shape.input_size, shape.output_size))
            g = back(g, w, stride=layer.stride, padding=layer.padding, output_padding=extra,
                     dilation=layer.dilation)
        one = np.abs(g[0, 0]) if random else g[0, 0]
        total += one / one.sum() if normalize else one
    values = total / draws
    half = (field.size - 1) / 2
    predicted = tuple((round(field.start + y * field.jump - half), round(field.start + y * field.jump + half))
                      for y in output_index)
    nonzero = np.nonzero(values)
    measured = tuple((int(idx.min()), int(idx.max())) if idx.size else (0, -1) for idx in nonzero)
    return FieldMap(values, output_index, field, predicted, measured)
