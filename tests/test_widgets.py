"""The explorers, driven from code: set a slider's value, read the message and the picture."""

import base64

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from convtutor.widgets import conv_explorer, depthwise_explorer, transposed_explorer  # noqa: E402


def conv_size(i, k, s, p, d):
    return (i + 2 * p - d * (k - 1) - 1) // s + 1


def transposed_size(i, k, s, p, op, d):
    return (i - 1) * s - 2 * p + d * (k - 1) + op + 1


def picture(ex):
    (out,) = ex.output.outputs
    png = base64.b64decode(out["data"]["image/png"])
    assert png.startswith(b"\x89PNG")
    return png


def test_conv_explorer_follows_the_sliders(capsys):
    ex = conv_explorer(5, 3, stride=2)
    assert "output size <b>2×2</b>" in ex.message.value
    cases = [(5, 3, 2, 1, 1), (7, 3, 1, 0, 2), (6, 2, 3, 2, 1), (9, 5, 2, 2, 1), (12, 7, 4, 3, 2)]
    for i, k, s, p, d in cases:
        before = ex.redraws
        for name, v in zip(("input_size", "kernel_size", "stride", "padding", "dilation"), (i, k, s, p, d)):
            ex.sliders[name].value = v
        assert ex.redraws > before
        o = conv_size(i, k, s, p, d)
        assert ex.error is None, (i, k, s, p, d, ex.error)
        assert f"output size <b>{o}×{o}</b>" in ex.message.value
        assert f"{o * o * k * k} multiply-adds" in ex.message.value
        assert ex.sliders["position"].max == o * o - 1
        picture(ex)
    assert capsys.readouterr() == ("", "")  # nothing leaks into the cell output


def test_position_slider_updates_the_same_scene():
    ex = conv_explorer(5, 3, stride=1, numbers=True)
    scene, first = ex._scene, picture(ex)
    ex.sliders["position"].value = 4
    assert ex._scene is scene  # recoloured, not rebuilt
    assert picture(ex) != first
    assert "position (1, 1)" in ex.message.value
    ex.sliders["stride"].value = 2  # a new geometry: rebuilt on the same figure
    assert ex._scene is not scene and ex._scene.ax is scene.ax
    assert ex.sliders["position"].value <= ex.sliders["position"].max == 3


def test_conv_explorer_reports_impossible_combinations():
    ex = conv_explorer(5, 3)
    ex.sliders["kernel_size"].value = 7  # larger than the 5x5 input
    assert ex.error is not None and "kernel_size" in ex.error
    assert "&#9888;" in ex.message.value and "output would be empty" in ex.message.value
    assert ex.output.outputs == ()
    ex.sliders["padding"].value = 1  # 7 <= 5 + 2: valid again
    assert ex.error is None
    assert "output size <b>1×1</b>" in ex.message.value
    picture(ex)
    ex.sliders["dilation"].value = 2  # spans 13 cells
    assert "dilation" in ex.error


def test_transposed_explorer():
    ex = transposed_explorer(2, 3, stride=2)
    assert "output size <b>5×5</b>" in ex.message.value
    for i, k, s, p, op, d in [(3, 3, 2, 1, 1, 1), (2, 4, 3, 0, 2, 1), (4, 3, 1, 2, 0, 2), (3, 2, 2, 0, 1, 1)]:
        for name, v in zip(("input_size", "kernel_size", "stride", "padding", "output_padding", "dilation"),
                           (i, k, s, p, op, d)):
            ex.sliders[name].value = v
        o = transposed_size(i, k, s, p, op, d)
        assert ex.error is None, ex.error
        assert f"output size <b>{o}×{o}</b>" in ex.message.value
        assert ex.sliders["position"].max == o * o - 1
        ex.view.value = "scatter"
        assert ex.sliders["position"].max == i * i - 1
        picture(ex)
        ex.view.value = "conv"
    ex.sliders["stride"].value = 1
    ex.sliders["dilation"].value = 1
    ex.sliders["output_padding"].value = 1  # not below stride 1 nor dilation 1
    assert "output_padding" in ex.error and ex.output.outputs == ()
    ex.sliders["output_padding"].value = 0
    ex.sliders["padding"].value = 4
    ex.sliders["kernel_size"].value = 1
    assert "padding" in ex.error  # the output would be smaller than one cell


def test_depthwise_explorer_counts():
    ex = depthwise_explorer(16, 32, groups=1, kernel_size=3, input_size=8)
    assert "= <b>4608</b>" in ex.message.value  # 16 * 32 * 3 * 3, the source's example
    assert "656 weights" in ex.message.value  # 16 * 3 * 3 + 16 * 32, depthwise separable
    ex.sliders["groups"].value = 16
    assert "depthwise convolution" in ex.message.value
    assert f"= <b>{1 * 32 * 9}</b>" in ex.message.value
    assert f"<b>{8 * 8 * 32 * 1 * 9}</b>" in ex.message.value  # multiply-adds, 'same' padding
    picture(ex)
    ex.sliders["groups"].value = 3
    assert "groups=3 must divide" in ex.error and ex.output.outputs == ()
    ex.sliders["groups"].value = 4
    assert ex.error is None and "grouped convolution" in ex.message.value


def test_explorer_displays_as_its_box():
    ex = conv_explorer()
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert ex.widget.children[1] is ex.message and ex.widget.children[2] is ex.output


def test_bad_starting_values_are_rejected_clearly():
    with pytest.raises(TypeError, match="stride"):
        conv_explorer(stride=1.5)
    with pytest.raises(ValueError, match="dilation"):
        conv_explorer(dilation=0)
