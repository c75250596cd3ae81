"""The same layer in PyTorch, TensorFlow/Keras, JAX and ONNX: padding, layouts, transposed layers.

Frameworks agree on what a convolution is and disagree on three conventions, and mixing
them shifts the output by a pixel without any error (the shapes still match):

* **'SAME' padding.** TensorFlow, Keras and JAX pad so that the output has ``ceil(i / s)``
  cells at any stride; the total is ``max((ceil(i/s) - 1) s + d(k - 1) + 1 - i, 0)`` and the
  odd zero goes *after* (bottom/right). ONNX's ``auto_pad`` has both: ``SAME_UPPER`` (the odd
  zero at the end, like TensorFlow) and ``SAME_LOWER`` (at the beginning). PyTorch's
  ``padding='same'`` exists for stride 1 only (:func:`same_padding`).
* **Padding of a transposed layer.** PyTorch's ``padding=p`` *crops* ``p`` cells from both
  ends of the full output and ``output_padding`` adds cells at the end; Keras derives the
  output from ``'same'``/``'valid'`` (and an optional ``output_padding``); TensorFlow's
  ``conv_transpose`` takes the ``output_shape`` and computes the gradient of the ``'SAME'``
  convolution of that size; JAX's ``lax.conv_transpose`` takes pads *of the dilated input*
  (zeros inserted between input values); ONNX has ``pads`` (cropped, possibly asymmetric),
  ``output_padding`` and ``output_shape``. All of them are one window of the same full
  output, so each is a PyTorch call plus, where PyTorch's symmetric padding cannot express
  it, a slice or an ``F.pad`` (:func:`torch_equivalent`).
* **Layouts.** PyTorch and ONNX store activations ``NCHW`` and weights ``OIHW`` (a transposed
  layer: ``IOHW``, in-channels first); TensorFlow/Keras store ``NHWC`` activations and ``HWIO``
  weights (a transposed layer: ``HWOI``); JAX takes whatever its ``dimension_numbers`` say
  (:func:`convert_weight`, :func:`convert_activation`). Here ``I`` and ``O`` always mean the
  layer's own input and output channels, so a transposed weight is described correctly.

The numbers in this module are checked against JAX (``jax.lax.conv_general_dilated``,
``jax.lax.conv_transpose``, ``jax.lax.padtype_to_pads``), ONNX's reference evaluator
(``onnx.reference.ReferenceEvaluator``) and PyTorch in ``tests/test_conventions.py``.
PyTorch is imported only by :func:`run_torch_recipe`; the rest needs only numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import as_numeric_array, check_int, int_tuple, is_int
from .arithmetic import conv_output_size, conv_transpose_output_size

__all__ = [
    "SAME_CONVENTIONS",
    "FRAMEWORKS",
    "same_padding",
    "convert_weight",
    "convert_activation",
    "TorchRecipe",
    "torch_equivalent",
    "run_torch_recipe",
]

SAME_CONVENTIONS = ("tf", "onnx_upper", "onnx_lower", "torch")
FRAMEWORKS = ("torch", "tf", "jax", "onnx")

# spatial letters of a layout, by number of spatial dimensions
_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


# ------------------------------------------------------------------------------- 'SAME' padding

def same_padding(size, kernel_size, stride=1, dilation=1, convention="tf"):
    """Zeros ``(before, after)`` that 'SAME' padding adds along one dimension.

    The output of a 'SAME' convolution has ``ceil(i / s)`` cells; the padding that gives it is

    ``total = max((ceil(i / s) - 1) * s + d * (k - 1) + 1 - i, 0)``

    split in two halves. When ``total`` is odd the conventions differ on where the odd zero
    goes:

    * ``"tf"``: after (bottom/right): TensorFlow, Keras, JAX ``'SAME'``, ONNX ``SAME_UPPER``;
    * ``"onnx_upper"``: the same as ``"tf"`` (ONNX ``auto_pad='SAME_UPPER'``);
    * ``"onnx_lower"``: before (top/left): ONNX ``SAME_LOWER``, JAX ``'SAME_LOWER'``;
    * ``"torch"``: PyTorch's ``padding='same'``, defined for stride 1 only (where
      ``total = d(k - 1)`` and the odd zero goes after, as in ``"tf"``).

    At stride 1 the total does not depend on ``i``; at stride ``s > 1`` it does (an input
    that is a multiple of ``s`` needs ``s - 1`` zeros fewer than one cell more).

    Parameters:
        size: input size ``i`` along this dimension (>= 1).
        kernel_size: kernel size ``k`` (>= 1).
        stride: stride ``s`` (>= 1).
        dilation: dilation ``d`` (>= 1).
        convention: one of ``"tf"``, ``"onnx_upper"``, ``"onnx_lower"``, ``"torch"``.

    Returns:
        a tuple ``(before, after)`` of ints.

    Shape:
        the output size is then ``(i + before + after - d * (k - 1) - 1) // s + 1 = ceil(i / s)``
        (:func:`convtutor.conv_output_size`).

    Example:
        >>> same_padding(8, 3, stride=2)   # 8 -> 4: one zero, after
        (0, 1)
        >>> same_padding(8, 3, stride=2, convention="onnx_lower")
        (1, 0)
        >>> same_padding(7, 3, stride=2)            # 7 -> 4 needs two
        (1, 1)
    """
    i = check_int("size", size, minimum=1)
    k = check_int("kernel_size", kernel_size, minimum=1)
    s = check_int("stride", stride, minimum=1)
    d = check_int("dilation", dilation, minimum=1)
    if not isinstance(convention, str) or convention not in SAME_CONVENTIONS:
        raise ValueError(
            f"convention={convention!r} is not one of {', '.join(map(repr, SAME_CONVENTIONS))}"
        )
    if convention == "torch" and s != 1:
        raise ValueError(
            f"convention='torch': PyTorch's padding='same' needs stride=1, got stride={s} "
            "(use convention='tf' for TensorFlow's input-dependent 'SAME' at any stride)"
        )
    keff = d * (k - 1) + 1
    out = -(-i // s)
    total = max((out - 1) * s + keff - i, 0)
    small = total // 2
    if convention == "onnx_lower":
        return (total - small, small)
    return (small, total - small)


# ------------------------------------------------------------------------------------- layouts

def _check_layout(name: str, layout, channel_letters: str, optional: str, ndim: int) -> str:
    """Validate a layout string for an array of ``ndim`` axes; return it upper-cased."""
    if not isinstance(layout, str):
        raise TypeError(f"{name} must be a string of axis letters such as 'OIHW', got {layout!r}")
    text = layout.upper()
    spatial = [c for c in text if c not in channel_letters]
    required = set(channel_letters) - set(optional)
    missing = required - set(text)
    if missing or len(set(text)) != len(text):
        raise ValueError(
            f"{name}={layout!r} must name each of the axes {'/'.join(sorted(channel_letters))} "
            f"once{' (' + optional + ' optional)' if optional else ''}, plus the spatial axes"
        )
    n_spatial = len(spatial)
    if n_spatial not in _SPATIAL or set(spatial) != set(_SPATIAL[n_spatial]):
        raise ValueError(
            f"{name}={layout!r} has unknown spatial axes {''.join(spatial)!r}: use "
            "'W' (1-D), 'HW' (2-D) or 'DHW' (3-D) beside the channel axes"
        )
    if len(text) != ndim:
        raise ValueError(
            f"{name}={layout!r} describes a {len(text)}-D array but the array is {ndim}-D"
        )
    return text


def _permute(array: np.ndarray, source: str, target: str) -> np.ndarray:
    return np.ascontiguousarray(np.transpose(array, [source.index(c) for c in target]))


def convert_weight(weight, from_layout, to_layout):
    """Reorder the axes of a convolution weight from one layout to another.

    A layout names the axes in order: ``O`` output channels, ``I`` input channels (of the
    layer itself, also for a transposed layer), and the spatial axes ``W`` (1-D), ``HW``
    (2-D) or ``DHW`` (3-D). Common layouts:

    ==========================================  ===========  ==========
    framework                                   convolution  transposed
    ==========================================  ===========  ==========
    PyTorch, ONNX                               ``OIHW``     ``IOHW``
    TensorFlow / Keras                          ``HWIO``     ``HWOI``
    JAX, default ``dimension_numbers``          ``OIHW``     ``HWIO``
    ==========================================  ===========  ==========

    (JAX's ``conv_transpose`` defaults to ``NHWC``/``HWIO``; with ``transpose_kernel=True`` it
    reads the kernel as ``HWOI``.)

    Only axes move; values are never flipped. (JAX's ``conv_transpose`` without
    ``transpose_kernel`` correlates the zero-inserted input with the kernel as given, so its
    kernel is PyTorch's flipped in space as well: :func:`torch_equivalent` records that.)

    Parameters:
        weight: the weight array.
        from_layout: its layout, e.g. ``"OIHW"`` (case-insensitive).
        to_layout: the wanted layout, with the same letters.

    Returns:
        a new C-contiguous array (the input is not modified).

    Shape:
        the axes of ``weight`` in the order of ``to_layout``.

    Example:
        >>> import numpy as np
        >>> convert_weight(np.zeros((64, 3, 7, 5)), "OIHW", "HWIO").shape
        (7, 5, 3, 64)
        >>> w = np.zeros((16, 8, 4, 4))   # torch's layout, to Keras's
        >>> convert_weight(w, "IOHW", "HWOI").shape
        (4, 4, 8, 16)
    """
    w = as_numeric_array("weight", weight)
    source = _check_layout("from_layout", from_layout, "OI", "", w.ndim)
    target = _check_layout("to_layout", to_layout, "OI", "", w.ndim)
    if sorted(source) != sorted(target):
        raise ValueError(f"from_layout={from_layout!r} and to_layout={to_layout!r} must have the same letters")
    return _permute(w, source, target)


def convert_activation(array, from_layout, to_layout):
    """Reorder the axes of an activation (channels first <-> channels last).

    Letters: ``N`` batch (optional: both layouts have it or neither), ``C`` channels, and the
    spatial axes ``W``, ``HW`` or ``DHW``. PyTorch and ONNX use ``NCHW``; TensorFlow, Keras
    and JAX's ``conv_transpose`` default to ``NHWC`` ("channels last").

    Parameters:
        array: the activation.
        from_layout: its layout, e.g. ``"NHWC"``.
        to_layout: the wanted layout, e.g. ``"NCHW"``.

    Returns:
        a new C-contiguous array.

    Shape:
        the axes of ``array`` in the order of ``to_layout``.

    Example:
        >>> import numpy as np
        >>> convert_activation(np.zeros((2, 32, 32, 3)), "NHWC", "NCHW").shape
        (2, 3, 32, 32)
    """
    x = as_numeric_array("array", array)
    source = _check_layout("from_layout", from_layout, "NC", "N", x.ndim)
    target = _check_layout("to_layout", to_layout, "NC", "N", x.ndim)
    if sorted(source) != sorted(target):
        raise ValueError(f"from_layout={from_layout!r} and to_layout={to_layout!r} must have the same letters")
    return _permute(x, source, target)


def _default_layouts(framework: str, n: int, transposed: bool, transpose_kernel: bool):
    sp = _SPATIAL[n]
    if framework in ("torch", "onnx"):
        return "NC" + sp, ("IO" if transposed else "OI") + sp
    if framework == "tf":
        return "N" + sp + "C", sp + ("OI" if transposed else "IO")
    # jax: conv_general_dilated without dimension_numbers is NCHW / OIHW; conv_transpose's
    # defaults are NHWC / HWIO, and transpose_kernel=True swaps the kernel's I and O
    if not transposed:
        return "NC" + sp, "OI" + sp
    return "N" + sp + "C", sp + ("OI" if transpose_kernel else "IO")


# ----------------------------------------------------------------------- a layer -> a torch call

@dataclass(frozen=True)
class TorchRecipe:
    """A layer of another framework as PyTorch calls that compute the same numbers.

    ``pads`` are ``(before, after)`` per spatial dimension in PyTorch's meaning of padding
    for this kind of layer: zeros added to the input of a convolution, cells cut from the
    full output ``(i - 1) s + d(k - 1) + 1`` of a transposed convolution (negative: zeros
    added). PyTorch's ``padding`` argument is symmetric, so the recipe passes ``padding``
    (and ``output_padding``) to the call and does the rest, ``extra``, with ``F.pad`` on the
    input (convolution) or a slice / ``F.pad`` on the output (transposed; positive cuts,
    negative adds zeros). ``code`` prints the whole recipe.
    """

    framework: str
    transposed: bool
    input_size: tuple[int, ...]
    output_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pads: tuple[tuple[int, int], ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    extra: tuple[tuple[int, int], ...]
    data_layout: str
    weight_layout: str
    flip_kernel: bool = False

    @property
    def needs_extra(self) -> bool:
        """True when PyTorch's symmetric padding alone cannot express the layer."""
        return any(b or a for b, a in self.extra)

    @property
    def code(self) -> str:
        """The recipe as Python lines (``x``, ``w`` numpy arrays in the framework's layouts)."""
        n = len(self.kernel_size)
        torch_data = "NC" + _SPATIAL[n]
        torch_weight = ("IO" if self.transposed else "OI") + _SPATIAL[n]
        lines = ["import torch", "import torch.nn.functional as F",
                 "from convtutor.conventions import convert_activation, convert_weight", ""]
        if self.data_layout != torch_data:
            lines.append(f'x = convert_activation(x, "{self.data_layout}", "{torch_data}")')
        if self.weight_layout != torch_weight:
            lines.append(f'w = convert_weight(w, "{self.weight_layout}", "{torch_weight}")')
        lines += ["x, w = torch.from_numpy(x), torch.from_numpy(w)"]
        if self.flip_kernel:
            lines.append(f"w = w.flip(dims={tuple(range(-n, 0))})  # flipped in space")
        args = [f"stride={self.stride}", f"padding={self.padding}"]
        if not self.transposed:
            if self.needs_extra:
                lines.append(f"x = F.pad(x, {_fpad(self.extra)})  # last dimension first")
            lines.append(_call(f"y = F.conv{n}d(", ["x", "w", *args, f"dilation={self.dilation}"]))
        else:
            lines.append(_call(f"y = F.conv_transpose{n}d(", ["x", "w", *args,
                               f"output_padding={self.output_padding}", f"dilation={self.dilation}"]))
            crop = [(max(b, 0), max(a, 0)) for b, a in self.extra]
            if any(b or a for b, a in crop):
                full = self._call_size()
                index = ", ".join(f"{b}:{f - a}" for (b, a), f in zip(crop, full))
                lines.append(f"y = y[:, :, {index}]")
            grow = [(max(-b, 0), max(-a, 0)) for b, a in self.extra]
            if any(b or a for b, a in grow):
                lines.append(f"y = F.pad(y, {_fpad(grow)})  # zeros; last dimension first")
        y = "y.numpy()"
        if self.data_layout != torch_data:
            y = f'convert_activation({y}, "{torch_data}", "{self.data_layout}")'
        lines.append(f"out = {y}")
        return "\n".join(lines)

    def _call_size(self) -> tuple[int, ...]:
        """Spatial size the torch call itself returns (before the extra crop/pad)."""
        return tuple(
            conv_transpose_output_size(i, k, s, p, a, d)
            for i, k, s, p, a, d in zip(self.input_size, self.kernel_size, self.stride,
                                         self.padding, self.output_padding, self.dilation)
        )

    def __str__(self) -> str:
        return self.code


def _call(head: str, args: list[str], width: int = 75) -> str:
    """``head`` + the arguments, wrapped under the opening parenthesis to fit ``width``."""
    lines, line = [], head
    for n, arg in enumerate(args):
        text = arg + (", " if n < len(args) - 1 else ")")
        if len(line) + len(text.rstrip()) > width and line.strip() != head.strip():
            lines.append(line.rstrip())
            line = " " * len(head)
        line += text
    return "\n".join(lines + [line])


def _fpad(pairs) -> tuple[int, ...]:
    """F.pad's argument: (before, after) pairs listed from the last dimension to the first."""
    return tuple(v for b, a in reversed(pairs) for v in (b, a))


def _tuple(name: str, value, n: int, minimum: int | None) -> tuple[int, ...]:
    return int_tuple(name, value, n, minimum=minimum)


def _explicit_pairs(padding, n: int, framework: str) -> tuple[tuple[int, int], ...] | None:
    """Explicit padding as (before, after) pairs, or None if ``padding`` is not explicit."""
    if is_int(padding):
        p = check_int("padding", padding, minimum=0)
        return ((p, p),) * n
    if not isinstance(padding, (tuple, list)):
        return None
    items = list(padding)
    if all(isinstance(v, (tuple, list)) for v in items):
        if len(items) != n or any(len(v) != 2 for v in items):
            raise ValueError(
                f"padding={padding!r} must hold {n} (before, after) pairs, one per spatial dimension"
            )
        return tuple((check_int("padding", b), check_int("padding", a)) for b, a in items)
    if framework == "onnx" and len(items) == 2 * n and all(is_int(v) for v in items):
        # ONNX order: [x1_begin, x2_begin, ..., x1_end, x2_end, ...]
        return tuple((int(items[j]), int(items[j + n])) for j in range(n))
    if framework == "torch" and len(items) == n and all(is_int(v) for v in items):
        return tuple((int(p), int(p)) for p in items)
    raise ValueError(
        f"padding={padding!r} is not a padding {framework} accepts: give a mode string, "
        f"{n} (before, after) pairs" + (f", or ONNX's flat list of {2 * n} pads" if framework == "onnx" else "")
    )


_MODES = {
    "torch": ("same", "valid"),
    "tf": ("same", "valid"),
    "jax": ("same", "same_lower", "valid"),
    "onnx": ("notset", "same_upper", "same_lower", "valid"),
}


def _mode(padding, framework: str, transposed: bool) -> str | None:
    if not isinstance(padding, str):
        return None
    modes = _MODES[framework]
    if framework == "jax" and transposed:
        modes = ("same", "valid")
    if framework == "torch" and transposed:
        modes = ()
    mode = padding.lower()
    if mode not in modes:
        kind = "transposed" if transposed else "convolution"
        allowed = ", ".join(repr(m.upper() if framework in ("jax", "onnx") else m) for m in modes)
        raise ValueError(
            f"padding={padding!r} is not a padding mode of a {framework} {kind}"
            + (f": use one of {allowed} or explicit pads" if allowed else ": use ints")
        )
    return mode


def _forward_pads(framework, padding, sizes, ks, ss, ds):
    n = len(sizes)
    mode = _mode(padding, framework, transposed=False)
    if mode is None:
        pairs = _explicit_pairs(padding, n, framework)
        if any(b < 0 or a < 0 for b, a in pairs):
            raise ValueError(f"padding={padding!r} must be >= 0 on every side")
        return pairs
    if mode in ("valid", "notset"):
        return ((0, 0),) * n
    convention = {("torch", "same"): "torch", ("onnx", "same_lower"): "onnx_lower",
                  ("jax", "same_lower"): "onnx_lower"}.get((framework, mode), "tf")
    return tuple(same_padding(i, k, s, d, convention) for i, k, s, d in zip(sizes, ks, ss, ds))


def _transposed_crops(framework, padding, sizes, ks, ss, ds, output_padding, output_shape):
    """Cells (before, after) cut from the full transposed output, per dimension."""
    n = len(sizes)
    full = [conv_transpose_output_size(i, k, s, 0, 0, d) for i, k, s, d in zip(sizes, ks, ss, ds)]
    keff = [d * (k - 1) + 1 for k, d in zip(ks, ds)]
    mode = _mode(padding, framework, transposed=True)
    ops = None if output_padding is None else _tuple("output_padding", output_padding, n, 0)
    shape = None if output_shape is None else _tuple("output_shape", output_shape, n, 1)

    if framework == "torch":
        if shape is not None:
            raise ValueError("output_shape is not a torch argument here: give output_padding")
        ps = _tuple("padding", padding, n, 0)
        ops = ops or (0,) * n
        outs = [conv_transpose_output_size(i, k, s, p, a, d)
                for i, k, s, p, a, d in zip(sizes, ks, ss, ps, ops, ds)]
        return [(p, f - p - o) for p, f, o in zip(ps, full, outs)]

    if framework in ("tf", "jax"):
        if mode is None:
            if framework == "tf":
                raise ValueError(f"padding={padding!r}: a TensorFlow/Keras transposed layer takes 'same' or 'valid'")
            if ops is not None or shape is not None:
                raise ValueError("jax.lax.conv_transpose has no output_padding or output_shape: give explicit pads")
            pairs = _explicit_pairs(padding, n, framework)
            # pads of the zero-inserted input: the full output has d(k-1) on each side
            return [(e - 1 - b, e - 1 - a) for (b, a), e in zip(pairs, keff)]
        if ops is not None and shape is not None:
            raise ValueError("give output_padding (Keras) or output_shape (tf.nn.conv_transpose), not both")
        if framework == "jax" and (ops is not None or shape is not None):
            raise ValueError("jax.lax.conv_transpose has no output_padding or output_shape")
        crops = []
        for j in range(n):
            i, k, s, d, f, e = sizes[j], ks[j], ss[j], ds[j], full[j], keff[j]
            if ops is not None:
                # Keras 3: output (i - 1) s + k' - 2 * pad + output_padding, pad = k' // 2
                # ('same') or 0 ('valid'); the window is placed as Keras's JAX backend does
                a = ops[j]
                if a >= s:
                    raise ValueError(f"output_padding={ops} must be smaller than stride={ss} (Keras's rule)")
                if mode == "valid":
                    crops.append((0, -a))
                    continue
                pad_len = e + e % 2 - 2 + a
                left = min(pad_len // 2 + pad_len % 2, e - 1)
                o = (i - 1) * s + e % 2 + a
                crops.append((e - 1 - left, f - (e - 1 - left) - o))
                continue
            # the gradient of the forward 'SAME'/'VALID' convolution of an input of size o
            o = shape[j] if shape is not None else (i * s if mode == "same" else (i - 1) * s + max(e, s))
            fwd = (-(-o // s)) if mode == "same" else (o - e) // s + 1 if o >= e else 0
            if fwd != i:
                raise ValueError(
                    f"output_shape={shape} is not reached: a {mode.upper()} convolution with "
                    f"kernel {k}, stride {s}, dilation {d} maps {o} to {max(fwd, 0)}, not to the input size {i}"
                )
            before = same_padding(o, k, s, d, "tf")[0] if mode == "same" else 0
            crops.append((before, f - before - o))
        return crops

    # onnx ConvTranspose
    ops = ops or (0,) * n
    if (shape is None or mode in ("same_upper", "same_lower")) and any(a >= s for a, s in zip(ops, ss)):
        # onnx.reference refuses it (its col2im size check; PyTorch also allows a < d); with
        # explicit pads and output_shape, output_padding plays no part
        raise ValueError(f"output_padding={ops} must be smaller than stride={ss} (ONNX ConvTranspose)")
    if mode in ("same_upper", "same_lower"):
        if shape is None:
            shape = tuple(i * s for i, s in zip(sizes, ss))
        crops = []
        for j in range(n):
            total = ss[j] * (sizes[j] - 1) + ops[j] + keff[j] - shape[j]
            small = total // 2          # floor division, as onnx.reference (negative: zeros)
            before = small if mode == "same_upper" else total - small
            crops.append((before, full[j] - before - shape[j]))
        return crops
    pairs = ((0, 0),) * n if mode in ("valid", "notset") else _explicit_pairs(padding, n, framework)
    if any(b < 0 or a < 0 for b, a in pairs):
        raise ValueError(f"padding={padding!r} must be >= 0 on every side")
    crops = []
    for j in range(n):
        (b, a), f = pairs[j], full[j]
        o = shape[j] if shape is not None else f + ops[j] - b - a
        if shape is not None and (o + b + a - keff[j]) // ss[j] + 1 != sizes[j]:
            raise ValueError(
                f"output_shape={shape} does not fit pads {pairs[j]}: ONNX needs "
                f"(output_shape + pads - d(k-1) - 1) // s + 1 == input size {sizes[j]}"
            )
        crops.append((b, f - b - o))
    return crops


def torch_equivalent(framework, input_size, kernel_size, stride=1, padding=None, dilation=1, *,
                     transposed=False, output_padding=None, output_shape=None,
                     transpose_kernel=False, data_layout=None, weight_layout=None):
    """The PyTorch calls that compute what a layer of another framework computes.

    A layer is described in the terms of ``framework``:

    * ``"torch"``: ``padding`` an int, a tuple, ``'same'`` (stride 1) or ``'valid'``; a
      transposed layer takes ``padding`` (cropped from both ends) and ``output_padding``.
    * ``"tf"`` (TensorFlow / Keras): ``'same'``, ``'valid'`` or explicit ``(before, after)``
      pairs for a convolution. A transposed layer takes ``'same'`` or ``'valid'`` and either
      Keras's ``output_padding`` or ``tf.nn.conv_transpose``'s ``output_shape``; with neither,
      the output is ``i * s`` ('same') or ``(i - 1) s + max(k', s)`` ('valid'), the gradient
      of the forward 'SAME'/'VALID' convolution of that size.
    * ``"jax"``: ``lax.conv_general_dilated``'s ``'SAME'``, ``'SAME_LOWER'``, ``'VALID'`` or
      pairs; ``lax.conv_transpose``'s ``'SAME'``, ``'VALID'`` (as Keras) or pairs, which pad
      the *dilated* input (``s - 1`` zeros between values). ``transpose_kernel`` selects its
      kernel convention (False: the kernel is PyTorch's flipped in space).
    * ``"onnx"``: ``auto_pad`` as ``padding`` (``'NOTSET'``, ``'SAME_UPPER'``,
      ``'SAME_LOWER'``, ``'VALID'``) or explicit ``pads`` (ONNX's flat
      ``[x1_begin, x2_begin, ..., x1_end, x2_end]`` or pairs); ConvTranspose also takes
      ``output_padding`` and ``output_shape``. With ``SAME_*`` the ConvTranspose output is
      ``output_shape`` (default ``i * s``) and ``total = s(i - 1) + output_padding + k' -
      output_shape`` is split as ``onnx.reference`` does (floor division: ``SAME_UPPER``
      puts ``total // 2`` first).

    Every description is a window of one full output, so the recipe is one PyTorch call
    with symmetric ``padding`` (and ``output_padding``) plus, only when needed, an
    ``F.pad`` before a convolution or a slice / ``F.pad`` after a transposed one.
    ``groups`` are not covered (1 only).

    Parameters:
        framework: ``"torch"``, ``"tf"``, ``"jax"`` or ``"onnx"``.
        input_size: spatial size of the input (int for 1-D, or a tuple of 1-3 ints).
        kernel_size: kernel size per dimension (int or tuple).
        stride: stride per dimension.
        padding: the framework's padding (see above); ``None`` (default) pads nothing.
        dilation: dilation per dimension.
        transposed: describe a transposed convolution.
        output_padding: transposed only (torch, Keras, ONNX).
        output_shape: transposed only (``tf.nn.conv_transpose``, ONNX): spatial output size.
        transpose_kernel: JAX ``conv_transpose``'s flag of that name.
        data_layout: activation layout of the framework's arrays (default: its usual one,
            e.g. ``"NHWC"`` for TensorFlow).
        weight_layout: weight layout of the framework's arrays (default e.g. ``"HWIO"``).

    Returns:
        a :class:`TorchRecipe`; ``print(recipe)`` shows the code, :func:`run_torch_recipe`
        runs it.

    Shape:
        ``recipe.output_size``: a convolution gives
        ``(i + before + after - d * (k - 1) - 1) // s + 1``; a transposed one
        ``(i - 1) * s + d * (k - 1) + 1 - before - after`` with the cells cut ``pads``.

    Example:
        >>> r = torch_equivalent("tf", (8, 8), 3, stride=2, padding="same")
        >>> r.pads, r.padding, r.extra, r.output_size
        (((0, 1), (0, 1)), (0, 0), ((0, 1), (0, 1)), (4, 4))
        >>> print(r.code.splitlines()[-3])
        x = F.pad(x, (0, 1, 0, 1))  # last dimension first
    """
    if not isinstance(framework, str) or framework not in FRAMEWORKS:
        raise ValueError(f"framework={framework!r} is not one of {', '.join(map(repr, FRAMEWORKS))}")
    if not isinstance(transposed, bool):
        raise TypeError(f"transposed must be True or False, got {transposed!r}")
    if is_int(input_size):
        sizes = (check_int("input_size", input_size, minimum=1),)
    elif isinstance(input_size, (tuple, list)) and 1 <= len(input_size) <= 3:
        sizes = int_tuple("input_size", tuple(input_size), len(input_size), minimum=1)
    else:
        raise TypeError(f"input_size must be an int or a tuple of 1 to 3 ints, got {input_size!r}")
    n = len(sizes)
    ks = _tuple("kernel_size", kernel_size, n, 1)
    ss = _tuple("stride", stride, n, 1)
    ds = _tuple("dilation", dilation, n, 1)
    if not transposed and (output_padding is not None or output_shape is not None):
        raise ValueError("output_padding and output_shape belong to transposed layers (transposed=True)")
    if transpose_kernel and not (framework == "jax" and transposed):
        raise ValueError("transpose_kernel is an argument of jax.lax.conv_transpose only")
    if padding is None:
        padding = 0 if framework == "torch" else "valid"
    default_data, default_weight = _default_layouts(framework, n, transposed, transpose_kernel)
    data_layout = default_data if data_layout is None else data_layout
    weight_layout = default_weight if weight_layout is None else weight_layout
    data_layout = _check_layout("data_layout", data_layout, "NC", "", n + 2)
    weight_layout = _check_layout("weight_layout", weight_layout, "OI", "", n + 2)

    if not transposed:
        pads = _forward_pads(framework, padding, sizes, ks, ss, ds)
        outs = tuple(conv_output_size(i + b + a, k, s, 0, d)
                     for i, (b, a), k, s, d in zip(sizes, pads, ks, ss, ds))
        sym = tuple(min(b, a) for b, a in pads)
        extra = tuple((b - p, a - p) for (b, a), p in zip(pads, sym))
        ops = (0,) * n
    else:
        crops = _transposed_crops(framework, padding, sizes, ks, ss, ds, output_padding, output_shape)
        full = [conv_transpose_output_size(i, k, s, 0, 0, d) for i, k, s, d in zip(sizes, ks, ss, ds)]
        outs = tuple(f - b - a for f, (b, a) in zip(full, crops))
        if any(o < 1 for o in outs):
            raise ValueError(f"the padding {padding!r} leaves an empty output {outs}")
        pads = tuple((int(b), int(a)) for b, a in crops)
        sym, ops, extra = [], [], []
        for (b, a), s, d in zip(pads, ss, ds):
            if b >= 0 and 0 <= b - a < max(s, d):
                sym.append(b), ops.append(b - a), extra.append((0, 0))     # torch alone
            else:
                p = max(0, min(b, a))
                sym.append(p), ops.append(0), extra.append((b - p, a - p))
        sym, ops, extra = tuple(sym), tuple(ops), tuple(extra)
    flip = framework == "jax" and transposed and not transpose_kernel
    return TorchRecipe(framework, transposed, sizes, outs, ks, ss, ds, pads, sym, ops, extra,
                       data_layout, weight_layout, flip)


def run_torch_recipe(recipe, input, weight, bias=None):
    """Run a :class:`TorchRecipe` on numpy arrays with PyTorch (imported here, lazily).

    Parameters:
        recipe: from :func:`torch_equivalent`.
        input: batched activation in ``recipe.data_layout`` (e.g. ``NHWC`` for TensorFlow).
        weight: weight in ``recipe.weight_layout``.
        bias: optional ``(C_out,)`` array added to every output value of a channel.

    Returns:
        the output as a numpy array, in ``recipe.data_layout``.

    Shape:
        batch and channels as the layer says, spatial ``recipe.output_size``.

    Example:
        >>> import numpy as np
        >>> r = torch_equivalent("tf", (8, 8), 3, stride=2, padding="same")
        >>> x, w = np.ones((1, 8, 8, 2)), np.ones((3, 3, 2, 4))
        >>> run_torch_recipe(r, x, w).shape
        (1, 4, 4, 4)
    """
    import torch
    import torch.nn.functional as F

    if not isinstance(recipe, TorchRecipe):
        raise TypeError(f"recipe must be a TorchRecipe (from torch_equivalent), got {type(recipe).__name__}")
    n = len(recipe.kernel_size)
    torch_data = "NC" + _SPATIAL[n]
    torch_weight = ("IO" if recipe.transposed else "OI") + _SPATIAL[n]
    x = as_numeric_array("input", input)
    w = as_numeric_array("weight", weight)
    if x.ndim != n + 2:
        raise ValueError(f"input must be {n + 2}-D in layout {recipe.data_layout}, got shape {x.shape}")
    x = convert_activation(x, recipe.data_layout, torch_data)
    w = convert_weight(w, recipe.weight_layout, torch_weight)
    spatial = tuple(x.shape[2:])
    if spatial != recipe.input_size:
        raise ValueError(f"input has spatial size {spatial}, the recipe was made for {recipe.input_size}")
    if tuple(w.shape[2:]) != recipe.kernel_size:
        raise ValueError(f"weight has kernel size {tuple(w.shape[2:])}, the recipe says {recipe.kernel_size}")
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)
    if recipe.flip_kernel:
        wt = wt.flip(dims=tuple(range(-n, 0)))
    bt = None if bias is None else torch.from_numpy(np.ascontiguousarray(as_numeric_array("bias", bias)))
    conv = (F.conv1d, F.conv2d, F.conv3d)[n - 1]
    convt = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[n - 1]
    if not recipe.transposed:
        if recipe.needs_extra:
            xt = F.pad(xt, _fpad(recipe.extra))
        y = conv(xt, wt, None, recipe.stride, recipe.padding, recipe.dilation)
    else:
        y = convt(xt, wt, None, recipe.stride, recipe.padding, recipe.output_padding, 1, recipe.dilation)
        crop = [(max(b, 0), max(a, 0)) for b, a in recipe.extra]
        y = y[(slice(None), slice(None), *(slice(b, y.shape[2 + j] - a) for j, (b, a) in enumerate(crop)))]
        grow = [(max(-b, 0), max(-a, 0)) for b, a in recipe.extra]
        if any(b or a for b, a in grow):
            y = F.pad(y, _fpad(grow))
    if bt is not None:
        y = y + bt.reshape((1, -1) + (1,) * n)
    out = y.numpy()
    if tuple(out.shape[2:]) != recipe.output_size:          # a broken recipe must not pass silently
        raise AssertionError(f"recipe produced {out.shape[2:]}, expected {recipe.output_size}")
    return convert_activation(out, torch_data, recipe.data_layout)
