"""The live explorers, driven from code: set a control, read the message and the pictures."""

import base64

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from convtutor.widgets import KERNELS, checkerboard_explorer, field_explorer, image_explorer  # noqa: E402


def pictures(ex):
    pngs = [bytes(im.value) for im in ex.images]
    assert all(p.startswith(b"\x89PNG") for p in pngs)
    return pngs


@pytest.mark.parametrize("settings", [dict(stride=2), dict(dilation=3, padding=0), dict(kernel="box blur", kernel_size=7),
                                      dict(padding_mode="reflect", padding=4, stride=3),
                                      dict(padding_mode="circular", kernel="laplacian")])
def test_image_explorer_sizes_match_torch(settings, capsys):
    ex = image_explorer()
    before = pictures(ex)
    for name, value in settings.items():
        ex.controls[name].value = value
    v = ex.values()
    kernel = KERNELS[v["kernel"]](v["kernel_size"])
    layer = torch.nn.Conv2d(1, 1, kernel.shape, stride=v["stride"], padding=v["padding"], dilation=v["dilation"],
                            padding_mode=v["padding_mode"], bias=False)
    out = layer(torch.zeros(1, 1, 150, 128))
    assert f"output <b>{out.shape[2]}&times;{out.shape[3]}</b>" in ex.message.value
    assert pictures(ex)[1] != before[1] and ex.error is None
    assert capsys.readouterr() == ("", "")          # nothing leaks into the cell's output


def test_image_explorer_reports_impossible_settings():
    ex = image_explorer()
    ex.controls["padding_mode"].value = "reflect"
    ex.controls["padding"].value = 12
    assert ex.error is None
    ex.controls["kernel"].value = "box blur"
    ex.controls["kernel_size"].value = 9
    ex.controls["dilation"].value = 4
    ex.controls["padding"].value = 0
    assert ex.error is None                          # 33 cells still fit in 128
    ex.controls["stride"].value = 4
    assert "output <b>" in ex.message.value


def test_the_size_slider_is_live_only_for_kernels_that_have_a_size():
    ex = image_explorer()                            # starts on a fixed 3x3 Sobel kernel
    size = ex.controls["kernel_size"]
    assert size.disabled
    for name in KERNELS:
        ex.controls["kernel"].value = name
        shapes = {KERNELS[name](k).shape for k in (3, 5)}
        assert size.disabled == (len(shapes) == 1), name
        if not size.disabled:                        # and then the slider changes the picture
            before = pictures(ex)[1]
            size.value = 5 if size.value != 5 else 3
            assert pictures(ex)[1] != before, name


def test_checkerboard_needs_uneven_overlap():
    # Odena et al.: uneven overlap (k not a multiple of s) makes a constant input come out uneven
    spreads = {}
    for k, s in [(3, 2), (4, 2), (2, 2), (3, 3), (5, 2)]:
        ex = checkerboard_explorer(layers=2, kernel_size=k, stride=s)
        spreads[k, s] = float(ex.message.value.split("<b>")[1].split("</b>")[0])
        x = torch.ones(1, 1, 6, 6)
        w = torch.ones(1, 1, k, k) / (k * k / (s * s))
        for _ in range(2):
            x = F.conv_transpose2d(x, w, stride=s, padding=max(0, (k - s) // 2))
        inner = x[0, 0, 2 * k:-2 * k, 2 * k:-2 * k]
        assert (float(inner.max() - inner.min()) > 1e-9) == (k % s != 0)
        assert (spreads[k, s] > 0) == (k % s != 0)
    ex = checkerboard_explorer(kernel_size=3, stride=2, method="resize, then convolve")
    assert "<b>0.00</b>" in ex.message.value


def test_field_explorer_measures_the_theoretical_field():
    ex = field_explorer(depth=3, kernel_size=3, stride=2)
    assert "theoretical field <b>15</b>" in ex.message.value and "100% of the square" in ex.message.value
    ex.controls["dilation"].value = 2
    ex.controls["stride"].value = 1
    assert "theoretical field <b>13</b>" in ex.message.value


def test_still_picture_for_pages_without_a_kernel():
    bundle = image_explorer()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert html.count("data:image/png;base64,") == 2 and "run the notebook in Jupyter" in html
    assert bundle["text/plain"].startswith("_ImageExplorer(kernel='sobel x")
    base64.b64decode(html.split("base64,")[1].split('"')[0])


@pytest.mark.parametrize("padding, kernel, k, d", [("same", "moving average", 9, 1), ("causal", "gaussian", 7, 3),
                                                   ("valid", "difference [1, 0, -1]", 5, 2),
                                                   ("causal", "moving average", 4, 2)])
def test_signal_explorer_lengths_and_values_match_torch(padding, kernel, k, d, capsys):
    from convtutor.widgets import SIGNAL_KERNELS, _signal, signal_explorer

    ex = signal_explorer(kernel=kernel, kernel_size=k, dilation=d, padding=padding)
    w = torch.from_numpy(SIGNAL_KERNELS[kernel](k))[None, None]
    span = d * (w.shape[-1] - 1)
    _, _, noisy = _signal(0.3)
    x = torch.from_numpy(noisy)[None, None]
    if padding == "causal":                        # d(k-1) zeros before, none after
        out = F.conv1d(F.pad(x, (span, 0)), w, dilation=d)
    else:
        out = F.conv1d(x, w, padding=padding, dilation=d)
    assert f"<b>{out.shape[-1]}</b> out" in ex.message.value
    assert (f"<b>{span / 2:g}</b> samples after its middle" in ex.message.value) == (padding == "causal")
    assert len(pictures(ex)) == 1 and ex.error is None
    ex.controls["noise"].value = 0.8
    assert ex.error is None and capsys.readouterr() == ("", "")

def test_separable_explorer_is_depthwise_then_pointwise_in_torch(capsys):
    from convtutor.images import sample_image
    from convtutor.widgets import MIXES, separable_explorer

    ex = separable_explorer()
    before = pictures(ex)
    ex.controls["red"].value = "laplacian"
    ex.controls["kernel_size"].value = 7
    ex.controls["mix"].value = "red minus green"
    assert ex.error is None and pictures(ex)[1] != before[1] and pictures(ex)[2] != before[2]
    depthwise, mix = ex.weights()
    assert depthwise.shape == (3, 1, 7, 7) and mix.shape == (1, 3)
    # the fixed 3x3 laplacian sits in the centre of the 7x7 kernel
    np.testing.assert_array_equal(depthwise[0, 0, 2:5, 2:5], KERNELS["laplacian"](3))
    assert np.count_nonzero(depthwise[0, 0]) == 5
    x = torch.from_numpy(sample_image()[None])
    h = F.conv2d(x, torch.from_numpy(depthwise), padding="same", groups=3)
    y = F.conv2d(h, torch.from_numpy(MIXES["red minus green"][:, :, None, None]))
    np.testing.assert_allclose(ex.arrays[0], h[0].numpy(), atol=1e-12)
    np.testing.assert_allclose(ex.arrays[1], y[0].numpy(), atol=1e-12)
    # weights written out: 3 * 49 depthwise, 3 pointwise; standard 3 -> 1 channel 7x7: 147
    msg = ex.message.value
    assert "<b>147</b> weights, each colour" in msg and "<b>3</b> weights" in msg
    assert f"{150 * 128 * 3 * 49:,} multiply-adds against {150 * 128 * (3 * 49 + 3):,}" in msg
    assert capsys.readouterr() == ("", "")


def test_separable_explorer_refuses_unknown_choices():
    from convtutor.widgets import separable_explorer

    with pytest.raises(ValueError, match="mix"):
        separable_explorer(mix="sepia")
    with pytest.raises(ValueError, match="kernel_size"):
        separable_explorer(kernel_size=1)


def test_still_is_one_light_jpeg_of_the_pictures():
    from PIL import Image

    from convtutor.widgets import separable_explorer

    ex = separable_explorer()
    still = ex.still(width=480)
    assert still.data[:3] == b"\xff\xd8\xff"                    # a JPEG
    picture = Image.open(__import__("io").BytesIO(still.data))
    # three 256 x 300 pictures and two gaps of 8 pixels, scaled to 480 wide
    assert picture.size == (480, round(300 * 480 / (3 * 256 + 2 * 8)))
    assert len(still.data) < 60_000
    assert ex.still(width=480).data == still.data                  # the same bytes every time
    with pytest.raises(ValueError, match="quality=99"):
        ex.still(quality=99)
