"""convtutor.conventions against the frameworks themselves: JAX, ONNX's reference evaluator, torch.

Expected numbers come from ``jax.lax`` (``padtype_to_pads``, ``conv_general_dilated``,
``conv_transpose``, and ``jax.vjp`` for TensorFlow's definition of a transposed convolution as
the gradient of a 'SAME' one), from ``onnx.reference.ReferenceEvaluator`` running Conv and
ConvTranspose nodes, and from torch's own ``padding='same'``. JAX compiles once per shape, so
its tables are small; the ONNX reference evaluator is plain numpy and gets larger grids.
"""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from convtutor.conventions import (
    FRAMEWORKS,
    SAME_CONVENTIONS,
    TorchRecipe,
    convert_activation,
    convert_weight,
    run_torch_recipe,
    same_padding,
    torch_equivalent,
)

torch.set_num_threads(1)
TOL = dict(rtol=1e-4, atol=1e-4)


def close(a, b):
    return np.shape(a) == np.shape(b) and np.allclose(a, b, **TOL)


def onnx_run(op, x, w, **attrs):
    """Run one ONNX node with the reference evaluator."""
    node = helper.make_node(op, ["X", "W"], ["Y"], **attrs)
    info = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, None)  # noqa: E731
    graph = helper.make_graph([node], "g", [info("X"), info("W")], [info("Y")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    return ReferenceEvaluator(model).run(None, {"X": x, "W": w})[0]


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


# ============================================================================ same_padding

SAME_GRID = list(itertools.product(range(1, 17), range(1, 7), range(1, 5), range(1, 4)))


def test_same_padding_equals_jax_padtype_to_pads():
    # JAX's window is the dilated kernel; 'SAME' is TensorFlow's, 'SAME_LOWER' ONNX's lower
    for i, k, s, d in SAME_GRID:
        window = d * (k - 1) + 1
        (upper,) = jax.lax.padtype_to_pads((i,), (window,), (s,), "SAME")
        (lower,) = jax.lax.padtype_to_pads((i,), (window,), (s,), "SAME_LOWER")
        assert same_padding(i, k, s, d) == tuple(upper), (i, k, s, d)
        assert same_padding(i, k, s, d, "onnx_upper") == tuple(upper)
        assert same_padding(i, k, s, d, "onnx_lower") == tuple(lower)


ONNX_SAME_GRID = list(itertools.product((5, 6, 7, 8), range(1, 5), range(1, 4), (1, 2),
                                        ("SAME_UPPER", "SAME_LOWER")))


def test_same_padding_reproduces_onnx_auto_pad(rng):
    for i, k, s, d, mode in ONNX_SAME_GRID:
        x, w = randn(rng, 1, 2, i), randn(rng, 3, 2, k)
        expected = onnx_run("Conv", x, w, auto_pad=mode, strides=[s], dilations=[d])
        pads = same_padding(i, k, s, d, "onnx_upper" if mode == "SAME_UPPER" else "onnx_lower")
        ours = F.conv1d(F.pad(torch.from_numpy(x), pads), torch.from_numpy(w), None, s, 0, d).numpy()
        assert close(ours, expected), (i, k, s, d, mode)


TORCH_SAME_GRID = list(itertools.product(range(1, 11), range(1, 7), range(1, 4)))


@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
def test_torch_convention_is_torch_same(rng):
    for i, k, d in TORCH_SAME_GRID:
        x, w = torch.from_numpy(randn(rng, 1, 1, i)), torch.from_numpy(randn(rng, 1, 1, k))
        expected = F.conv1d(x, w, padding="same", dilation=d)
        ours = F.conv1d(F.pad(x, same_padding(i, k, 1, d, "torch")), w, dilation=d)
        assert torch.allclose(ours, expected, **TOL), (i, k, d)
        # at stride 1 torch's 'same' and TensorFlow's 'SAME' pad alike
        assert same_padding(i, k, 1, d, "torch") == same_padding(i, k, 1, d, "tf")


@settings(max_examples=200)
@given(st.integers(1, 60), st.integers(1, 9), st.integers(1, 5), st.integers(1, 4), st.sampled_from(SAME_CONVENTIONS[:3]))
def test_same_padding_gives_ceil_and_is_the_least(i, k, s, d, convention):
    before, after = same_padding(i, k, s, d, convention)
    keff = d * (k - 1) + 1
    out = lambda total: (i + total - keff) // s + 1 if i + total >= keff else 0  # noqa: E731
    assert out(before + after) == math.ceil(i / s)
    assert before + after == 0 or out(before + after - 1) < math.ceil(i / s)
    assert abs(before - after) <= 1


def test_same_padding_errors():
    with pytest.raises(ValueError, match="PyTorch's padding='same' needs stride=1, got stride=2"):
        same_padding(8, 3, 2, convention="torch")
    with pytest.raises(ValueError, match="'tf', 'onnx_upper', 'onnx_lower', 'torch'"):
        same_padding(8, 3, convention="keras")
    with pytest.raises(ValueError, match="size=0 must be >= 1"):
        same_padding(0, 3)
    with pytest.raises(TypeError, match="kernel_size must be an int"):
        same_padding(8, (3, 3))
    with pytest.raises(ValueError, match="dilation=0 must be >= 1"):
        same_padding(8, 3, dilation=0)


# ================================================================================ layouts

def test_convert_weight_matches_jax_layouts(rng):
    x = randn(rng, 2, 3, 9, 8)                                     # NCHW
    w = randn(rng, 4, 3, 3, 2)                                     # OIHW (torch)
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), stride=(2, 1)).numpy()
    y = jax.lax.conv_general_dilated(convert_activation(x, "NCHW", "NHWC"), convert_weight(w, "OIHW", "HWIO"),
                                     (2, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    assert close(convert_activation(np.asarray(y), "NHWC", "NCHW"), expected)
    # 1-D and 3-D
    x1, w1 = randn(rng, 1, 2, 11), randn(rng, 3, 2, 4)
    y1 = jax.lax.conv_general_dilated(convert_activation(x1, "NCW", "NWC"), convert_weight(w1, "OIW", "WIO"),
                                      (1,), "VALID", dimension_numbers=("NHC", "HIO", "NHC"))
    expected1 = F.conv1d(torch.from_numpy(x1), torch.from_numpy(w1)).numpy()
    assert close(convert_activation(np.asarray(y1), "NWC", "NCW"), expected1)
    x3, w3 = randn(rng, 1, 2, 4, 5, 6), randn(rng, 2, 2, 2, 3, 2)
    y3 = jax.lax.conv_general_dilated(convert_activation(x3, "NCDHW", "NDHWC"), convert_weight(w3, "OIDHW", "DHWIO"),
                                      (1, 1, 1), "VALID", dimension_numbers=("NDHWC", "DHWIO", "NDHWC"))
    expected3 = F.conv3d(torch.from_numpy(x3), torch.from_numpy(w3)).numpy()
    assert close(convert_activation(np.asarray(y3), "NDHWC", "NCDHW"), expected3)


def test_transposed_weight_layouts_against_jax(rng):
    # torch's transposed weight is IOHW (in-channels first); JAX conv_transpose with
    # transpose_kernel=True takes it as HWOI, without it as HWIO *and flipped in space*
    x, w = randn(rng, 1, 3, 5, 5), randn(rng, 3, 2, 3, 3)         # C_in = 3, C_out = 2
    expected = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), stride=2).numpy()
    xj = convert_activation(x, "NCHW", "NHWC")
    y_t = jax.lax.conv_transpose(xj, convert_weight(w, "IOHW", "HWOI"), (2, 2), "VALID", transpose_kernel=True)
    flipped = convert_weight(w[:, :, ::-1, ::-1], "IOHW", "HWIO")
    y_f = jax.lax.conv_transpose(xj, flipped, (2, 2), "VALID")
    y_noflip = jax.lax.conv_transpose(xj, convert_weight(w, "IOHW", "HWIO"), (2, 2), "VALID")
    # VALID at k=3 > s=2 is the full output, so the numbers compare directly
    assert close(convert_activation(np.asarray(y_t), "NHWC", "NCHW"), expected)
    assert close(convert_activation(np.asarray(y_f), "NHWC", "NCHW"), expected)
    assert not close(convert_activation(np.asarray(y_noflip), "NHWC", "NCHW"), expected)


def test_layout_round_trips_and_copies():
    w = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    for target in ("HWIO", "HWOI", "IOHW", "OIHW", "IHWO"):
        back = convert_weight(convert_weight(w, "OIHW", target), target, "oihw")
        assert np.array_equal(back, w)
    out = convert_weight(w, "OIHW", "OIHW")
    assert out is not w and np.array_equal(out, w)
    assert convert_activation(np.zeros((3, 4, 5)), "CHW", "HWC").shape == (4, 5, 3)


@pytest.mark.parametrize("call, error, words", [
    (lambda: convert_weight(np.zeros((2, 3, 4, 5)), "OIHW", "HWIX"), ValueError, "must name each of the axes I/O"),
    (lambda: convert_weight(np.zeros((2, 3, 4, 5)), "OIXY", "OIHW"), ValueError, "unknown spatial axes 'XY'"),
    (lambda: convert_weight(np.zeros((2, 3, 4)), "OIHW", "HWIO"), ValueError, "describes a 4-D array but the array is 3-D"),
    (lambda: convert_weight(np.zeros((2, 3, 4, 5)), "OIHW", "DHWIO"), ValueError, "describes a 5-D array"),
    (lambda: convert_weight(np.zeros((2, 3, 4, 5)), "OOHW", "HWIO"), ValueError, "once"),
    (lambda: convert_weight(np.zeros((2, 3, 4, 5)), 3, "HWIO"), TypeError, "from_layout must be a string"),
    (lambda: convert_activation(np.zeros((1, 2, 3, 4)), "NCHW", "HWC"), ValueError, "describes a 3-D array"),
    (lambda: convert_activation(np.zeros((2, 3, 4)), "CHW", "NHW"), ValueError, "must name each of the axes C/N"),
    (lambda: convert_weight(np.array(["a"]), "OIW", "WIO"), TypeError, "real numeric array"),
])
def test_layout_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()


# ============================================================== recipes against JAX (forward)

JAX_FORWARD = [  # input (H, W), kernel, stride, padding, dilation
    ((8, 8), 3, 2, "SAME", 1), ((7, 9), 3, 2, "SAME", 1), ((8, 8), 4, 2, "SAME", 1),
    ((8, 8), 3, 2, "SAME_LOWER", 1), ((10, 7), (5, 2), (3, 2), "SAME", (1, 2)),
    ((9, 9), 4, 1, "SAME", 1), ((9, 9), 3, 1, "SAME_LOWER", 2), ((6, 11), 2, (2, 3), "SAME_LOWER", 1),
    ((9, 9), 3, 2, "VALID", 1), ((9, 9), 3, 1, ((1, 2), (0, 3)), 1), ((8, 8), 2, 2, ((2, 0), (1, 1)), 2),
    ((5, 5), 5, 3, "SAME", 1),
]


@pytest.mark.parametrize("size, k, s, padding, d", JAX_FORWARD)
def test_forward_recipe_equals_jax(size, k, s, padding, d, rng):
    recipe = torch_equivalent("jax", size, k, s, padding, d)
    kk = (k, k) if isinstance(k, int) else k
    x, w = randn(rng, 2, 3, *size), randn(rng, 4, 3, *kk)              # lax default: NCHW / OIHW
    ss = (s, s) if isinstance(s, int) else s
    dd = (d, d) if isinstance(d, int) else d
    expected = np.asarray(jax.lax.conv_general_dilated(x, w, ss, padding, rhs_dilation=dd))
    assert close(run_torch_recipe(recipe, x, w), expected)
    assert recipe.output_size == expected.shape[2:]


# ============================================================ recipes against JAX (transposed)

JAX_TRANSPOSED = [  # input, kernel, stride, padding, dilation, transpose_kernel
    (4, 3, 2, "SAME", 1, True), (4, 3, 2, "SAME", 1, False), (4, 4, 2, "SAME", 1, True),
    (5, 2, 3, "SAME", 1, True), (4, 3, 2, "VALID", 1, True), (3, 2, 3, "VALID", 1, False),
    (4, 3, 2, "SAME", 2, True), (4, 5, 1, "SAME", 1, False), (4, 3, 2, ((1, 2), (0, 3)), 1, False),
    (4, 4, 2, ((3, 0), (2, 2)), 1, True), (3, 3, 3, ((4, 4), (0, 0)), 1, False), (5, 1, 2, "SAME", 1, True),
]


@pytest.mark.parametrize("i, k, s, padding, d, tk", JAX_TRANSPOSED)
def test_transposed_recipe_equals_jax(i, k, s, padding, d, tk, rng):
    recipe = torch_equivalent("jax", (i, i + 1), k, s, padding, d, transposed=True, transpose_kernel=tk)
    x = randn(rng, 2, i, i + 1, 3)                                      # NHWC
    w = randn(rng, k, k, 2, 3) if tk else randn(rng, k, k, 3, 2)        # HWOI / HWIO
    expected = np.asarray(jax.lax.conv_transpose(x, w, (s, s), padding, rhs_dilation=(d, d), transpose_kernel=tk))
    assert close(run_torch_recipe(recipe, x, w), expected)


@settings(max_examples=12)
@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 3), st.integers(1, 2),
       st.sampled_from(["SAME", "VALID", "pairs"]), st.booleans(), st.integers(0, 3), st.integers(0, 3))
def test_transposed_recipe_property_against_jax(i, k, s, d, mode, tk, lo, hi):
    rng = np.random.default_rng(i * 1000 + k * 100 + s * 10 + d)
    padding = ((lo, hi),) if mode == "pairs" else mode
    expected = np.asarray(jax.lax.conv_transpose(
        randn(rng, 1, i, 2), np.ones((k, 2, 2), np.float32), (s,), padding, rhs_dilation=(d,), transpose_kernel=tk))
    if expected.shape[1] < 1:
        with pytest.raises(ValueError, match="empty output"):
            torch_equivalent("jax", i, k, s, padding, d, transposed=True, transpose_kernel=tk)
        return
    rng = np.random.default_rng(i * 1000 + k * 100 + s * 10 + d)
    x, w = randn(rng, 1, i, 2), np.ones((k, 2, 2), np.float32)
    recipe = torch_equivalent("jax", i, k, s, padding, d, transposed=True, transpose_kernel=tk)
    assert close(run_torch_recipe(recipe, x, w), expected)


# =============================================== TensorFlow / Keras: the gradient of 'SAME'

def tf_conv_transpose(x, w, o, s, mode):
    """tf.nn.conv_transpose by its definition: the gradient of the forward conv of size o."""
    n, _, _, c_in = x.shape
    c_out = w.shape[2]                                   # TF's transposed filter: H, W, out, in
    forward = lambda z: jax.lax.conv_general_dilated(    # noqa: E731
        z, w, (s, s), mode, dimension_numbers=("NHWC", "HWIO", "NHWC"))
    _, vjp = jax.vjp(forward, jnp.zeros((n, o[0], o[1], c_out), jnp.float32))
    return np.asarray(vjp(jnp.asarray(x))[0])


TF_TRANSPOSED = [  # input, kernel, stride, mode, output_shape (None: TF/Keras's default)
    (4, 3, 2, "SAME", None), (4, 3, 2, "SAME", (7, 7)), (4, 4, 2, "SAME", None), (4, 5, 2, "SAME", (7, 8)),
    (3, 3, 3, "SAME", (8, 9)), (4, 2, 3, "SAME", None), (4, 3, 2, "VALID", None), (4, 3, 2, "VALID", (10, 10)),
    (3, 1, 2, "VALID", (6, 5)),
]


@pytest.mark.parametrize("i, k, s, mode, shape", TF_TRANSPOSED)
def test_tf_transposed_recipe_equals_gradient_of_forward_conv(i, k, s, mode, shape, rng):
    recipe = torch_equivalent("tf", (i, i), k, s, mode.lower(), transposed=True, output_shape=shape)
    x, w = randn(rng, 2, i, i, 3), randn(rng, k, k, 2, 3)
    expected = tf_conv_transpose(x, w, recipe.output_size, s, mode)
    if shape is not None:
        assert recipe.output_size == shape
    assert close(run_torch_recipe(recipe, x, w), expected)


def keras_jax_pads(k, s, d, mode, a):
    """Keras 3's documented transposed padding, restated here: pads of the dilated input."""
    e = d * (k - 1) + 1
    if mode == "valid":
        return (e - 1, e - 1 + a)
    total = e + e % 2 - 2 + a
    left = min(total // 2 + total % 2, e - 1)
    return (left, total - left)


KERAS = [(4, 3, 2, "same", 0), (4, 3, 2, "same", 1), (4, 4, 2, "same", 1), (4, 4, 2, "same", 0),
         (4, 5, 3, "same", 2), (4, 3, 2, "valid", 1), (3, 2, 2, "same", 1), (3, 3, 2, "same", 1, 2)]


@pytest.mark.parametrize("case", KERAS)
def test_keras_output_padding(case, rng):
    i, k, s, mode, a = case[:5]
    d = case[5] if len(case) > 5 else 1
    recipe = torch_equivalent("tf", i, k, s, mode, d, transposed=True, output_padding=a)
    x, w = randn(rng, 1, i, 2), randn(rng, k, 3, 2)
    expected = np.asarray(jax.lax.conv_transpose(x, w, (s,), [keras_jax_pads(k, s, d, mode, a)],
                                                 rhs_dilation=(d,), transpose_kernel=True))
    # Keras's size formula: (i - 1) s + k' - 2 * pad + output_padding, pad = k' // 2 or 0
    e = d * (k - 1) + 1
    assert recipe.output_size == ((i - 1) * s + e - 2 * (e // 2 if mode == "same" else 0) + a,)
    assert close(run_torch_recipe(recipe, x, w), expected)


def test_keras_one_pixel_shift_reproduced_and_fixed(rng):
    # keras-team/keras PR #22876: Conv2DTranspose(k=3, s=2, 'same') on the torch backend used
    # padding=1, output_padding=1, which has the right shape but is shifted by one pixel
    x, w = randn(rng, 1, 4, 4, 2), randn(rng, 3, 3, 5, 2)                  # NHWC, HWOI
    expected = np.asarray(jax.lax.conv_transpose(x, w, (2, 2), "SAME", transpose_kernel=True))
    xt = torch.from_numpy(convert_activation(x, "NHWC", "NCHW"))
    wt = torch.from_numpy(convert_weight(w, "HWOI", "IOHW"))
    naive = F.conv_transpose2d(xt, wt, stride=2, padding=1, output_padding=1).numpy()
    naive = convert_activation(naive, "NCHW", "NHWC")
    assert naive.shape == expected.shape and not close(naive, expected)
    assert close(naive[:, :-1, :-1], expected[:, 1:, 1:])                 # one pixel off
    recipe = torch_equivalent("tf", (4, 4), 3, 2, "same", transposed=True)
    assert recipe.needs_extra and recipe.pads == ((0, 1), (0, 1))
    assert close(run_torch_recipe(recipe, x, w), expected)


# ======================================================================== recipes against ONNX

ONNX_CONV = list(itertools.product((5, 6), (1, 2, 3), (1, 2, 3), (1, 2),
                                   ("SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET", (0, 1, 2, 0), (2, 2, 1, 1))))


def test_onnx_conv_recipes(rng):
    checked = 0
    for i, k, s, d, pad in ONNX_CONV:
        x, w = randn(rng, 1, 2, i, i + 1), randn(rng, 3, 2, k, k)
        attrs = dict(strides=[s, s], dilations=[d, d])
        attrs.update(auto_pad=pad) if isinstance(pad, str) else attrs.update(pads=list(pad))
        expected = onnx_run("Conv", x, w, **attrs)
        recipe = torch_equivalent("onnx", (i, i + 1), k, s, pad if isinstance(pad, str) else list(pad), d)
        assert close(run_torch_recipe(recipe, x, w), expected), (i, k, s, d, pad)
        checked += 1
    assert checked == len(ONNX_CONV) == 216


ONNX_TRANSPOSED = list(itertools.product(
    (4,), (1, 2, 3, 4), (1, 2, 3), (1, 2),
    ("SAME_UPPER", "SAME_LOWER", "NOTSET", (0, 1, 2, 0), (2, 2, 1, 1)),
    (0, 1), (None, 1, -1)))


def _onnx_transposed_case(i, k, s, d, pad, a, delta):
    attrs = dict(strides=[s, s], dilations=[d, d])
    attrs.update(auto_pad=pad) if isinstance(pad, str) else attrs.update(pads=list(pad))
    if a:
        attrs["output_padding"] = [a, a]
    shape = None
    if delta is not None:
        if isinstance(pad, str) and pad.startswith("SAME"):
            shape = (i * s + delta,) * 2
        else:                                    # sizes the explicit pads can give
            full = (i - 1) * s + d * (k - 1) + 1
            p = (0, 0) if pad == "NOTSET" else (pad[0] + pad[2], pad[1] + pad[3])
            shape = tuple(full - t + max(delta, 0) for t in p)
            if min(shape) < 1 or max(delta, 0) >= s:
                return None
        attrs["output_shape"] = list(shape)
    return attrs, shape


def test_onnx_conv_transpose_recipes(rng):
    checked = refused = 0
    for i, k, s, d, pad, a, delta in ONNX_TRANSPOSED:
        case = _onnx_transposed_case(i, k, s, d, pad, a, delta)
        if case is None:
            continue
        attrs, shape = case
        x, w = randn(rng, 1, 2, i, i), randn(rng, 2, 3, k, k)
        kw = dict(transposed=True, output_padding=a or None, output_shape=shape)
        padding = pad if isinstance(pad, str) else list(pad)
        try:
            expected = onnx_run("ConvTranspose", x, w, **attrs)
            if 0 in expected.shape:
                raise ValueError("empty")
        except ValueError:
            # the reference refuses (output_padding not below the stride, sizes that do not
            # fit): so must we
            with pytest.raises(ValueError):
                torch_equivalent("onnx", (i, i), k, s, padding, d, **kw)
            refused += 1
            continue
        recipe = torch_equivalent("onnx", (i, i), k, s, padding, d, **kw)
        assert close(run_torch_recipe(recipe, x, w), expected), (i, k, s, d, pad, a, shape)
        checked += 1
    print(f"ONNX ConvTranspose: {checked} values compared, {refused} refusals agreed")
    assert checked > 450 and refused > 50


def test_onnx_same_upper_transposed_negative_total():
    # kernel 1, stride 2: SAME_UPPER needs one zero *added*; onnx.reference puts it first
    x, w = np.arange(1, 4, dtype=np.float32).reshape(1, 1, 3), np.ones((1, 1, 1), np.float32)
    for mode in ("SAME_UPPER", "SAME_LOWER"):
        expected = onnx_run("ConvTranspose", x, w, strides=[2], auto_pad=mode)
        recipe = torch_equivalent("onnx", 3, 1, 2, mode, transposed=True)
        assert close(run_torch_recipe(recipe, x, w), expected)
    assert torch_equivalent("onnx", 3, 1, 2, "SAME_UPPER", transposed=True).pads == ((-1, 0),)


# ================================================================== torch itself, code strings

@pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
def test_torch_recipes_are_torch(rng):
    x, w = randn(rng, 1, 2, 9, 8), randn(rng, 3, 2, 4, 3)
    for padding in (0, 2, (1, 2), "same", "valid"):
        recipe = torch_equivalent("torch", (9, 8), (4, 3), 1, padding, (1, 2))
        expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), None, 1, padding, (1, 2)).numpy()
        assert close(run_torch_recipe(recipe, x, w), expected)
    wt = randn(rng, 2, 3, 4, 4)
    for p, a in ((0, 0), (1, 1), (2, 0)):
        recipe = torch_equivalent("torch", (9, 8), 4, 2, p, transposed=True, output_padding=a)
        expected = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(wt), None, 2, p, a).numpy()
        assert not recipe.needs_extra and recipe.padding == (p, p) and recipe.output_padding == (a, a)
        assert close(run_torch_recipe(recipe, x, wt), expected)


def test_printed_code_runs_and_matches(rng):
    cases = [(("tf", (8, 8), 3, 2, "same"), {}, (1, 8, 8, 2), (3, 3, 2, 4)),
             (("tf", (4, 4), 3, 2, "same"), dict(transposed=True), (1, 4, 4, 2), (3, 3, 5, 2)),
             (("jax", (4, 4), 3, 2, ((1, 2), (0, 3))), dict(transposed=True), (1, 4, 4, 2), (3, 3, 2, 5)),
             (("onnx", 3, 1, 2, "SAME_UPPER"), dict(transposed=True), (1, 1, 3), (1, 2, 1))]
    for args, kw, xs, ws in cases:
        recipe = torch_equivalent(*args, **kw)
        x, w = randn(rng, *xs), randn(rng, *ws)
        scope = {"x": x, "w": w}
        exec(recipe.code, scope)
        assert close(scope["out"], run_torch_recipe(recipe, x, w))
        assert str(recipe) == recipe.code


def test_bias_and_layout_overrides(rng):
    recipe = torch_equivalent("tf", (6, 6), 3, 1, "same", data_layout="NCHW", weight_layout="OIHW")
    x, w, b = randn(rng, 1, 2, 6, 6), randn(rng, 4, 2, 3, 3), randn(rng, 4)
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding=1).numpy()
    assert close(run_torch_recipe(recipe, x, w, b), expected)


# ==================================================================================== errors

@pytest.mark.parametrize("kwargs, error, words", [
    (dict(framework="caffe"), ValueError, "'torch', 'tf', 'jax', 'onnx'"),
    (dict(framework="tf", padding="full"), ValueError, "not a padding mode of a tf convolution"),
    (dict(framework="torch", padding="same", stride=2), ValueError, "needs stride=1"),
    (dict(framework="onnx", padding="SAME"), ValueError, "'SAME_UPPER'"),
    (dict(framework="jax", padding=((1, 1),)), ValueError, "2 \\(before, after\\) pairs"),
    (dict(framework="tf", padding=((1, -1), (0, 0))), ValueError, ">= 0 on every side"),
    (dict(framework="tf", output_padding=1), ValueError, "belong to transposed layers"),
    (dict(framework="tf", transpose_kernel=True), ValueError, "jax.lax.conv_transpose only"),
    (dict(framework="torch", padding="same", transposed=True), ValueError, "use ints"),
    (dict(framework="tf", padding="same", transposed=True, output_padding=2), ValueError, "smaller than stride"),
    (dict(framework="tf", padding="same", transposed=True, output_padding=1, output_shape=16), ValueError, "not both"),
    (dict(framework="tf", padding="same", transposed=True, output_shape=12), ValueError, "maps 12 to 6"),
    (dict(framework="onnx", padding="SAME_UPPER", transposed=True, output_padding=2), ValueError, "smaller than stride"),
    (dict(framework="jax", padding="SAME", transposed=True, output_padding=1), ValueError, "no output_padding"),
    (dict(framework="tf", data_layout="NHWX"), ValueError, "data_layout"),
    (dict(framework="tf", input_size=(8, 8, 8, 8)), TypeError, "1 to 3 ints"),
    (dict(framework="tf", kernel_size=9, padding="valid"), ValueError, "the output would be empty"),
])
def test_recipe_errors(kwargs, error, words):
    args = dict(framework="tf", input_size=(8, 8), kernel_size=3, stride=2)
    args.update(kwargs)
    with pytest.raises(error, match=words):
        torch_equivalent(**args)


def test_run_errors(rng):
    recipe = torch_equivalent("tf", (8, 8), 3, 2, "same")
    with pytest.raises(ValueError, match="spatial size \\(7, 8\\)"):
        run_torch_recipe(recipe, randn(rng, 1, 7, 8, 2), randn(rng, 3, 3, 2, 4))
    with pytest.raises(ValueError, match="kernel size"):
        run_torch_recipe(recipe, randn(rng, 1, 8, 8, 2), randn(rng, 5, 5, 2, 4))
    with pytest.raises(TypeError, match="TorchRecipe"):
        run_torch_recipe("F.conv2d", randn(rng, 1, 8, 8, 2), randn(rng, 3, 3, 2, 4))


def test_constants():
    assert FRAMEWORKS == ("torch", "tf", "jax", "onnx")
    assert SAME_CONVENTIONS == ("tf", "onnx_upper", "onnx_lower", "torch")
    assert isinstance(torch_equivalent("torch", 5, 3), TorchRecipe)


def test_three_dimensional_same_recipe_equals_jax(rng):
    recipe = torch_equivalent("tf", (6, 7, 8), 3, 2, "same")
    x, w = randn(rng, 1, 6, 7, 8, 2), randn(rng, 3, 3, 3, 2, 4)           # NDHWC, DHWIO
    expected = np.asarray(jax.lax.conv_general_dilated(
        x, w, (2, 2, 2), "SAME", dimension_numbers=("NDHWC", "DHWIO", "NDHWC")))
    assert recipe.pads == ((0, 1), (1, 1), (0, 1))
    assert close(run_torch_recipe(recipe, x, w), expected)
