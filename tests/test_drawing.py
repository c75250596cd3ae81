"""convtutor.drawing, convtutor.export and convtutor.images: the static pictures and the files."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import convtutor as ct  # noqa: E402
from convtutor import drawing, export  # noqa: E402
from convtutor.arithmetic import Layer  # noqa: E402
from convtutor.geometry import conv_geometry, transposed_geometry  # noqa: E402
from convtutor.images import sample_image  # noqa: E402
from convtutor.receptive import field_map  # noqa: E402


def test_frames_are_deterministic_and_one_per_position():
    g = transposed_geometry((2, 2), 3, stride=2)
    first = export.frames_png(g, "scatter", numbers=True)
    assert len(first) == 4 and first == export.frames_png(g, "scatter", numbers=True)
    assert len(set(first)) == 4                      # every frame differs


def test_gif_has_every_frame(tmp_path):
    from PIL import Image

    export.save_gif(conv_geometry((5, 5), 3, stride=2), tmp_path / "a.gif", numbers=True)
    with Image.open(tmp_path / "a.gif") as img:
        assert img.n_frames == 4
    with pytest.raises(ValueError, match=r"must end in \.gif"):
        export.save_gif(conv_geometry((5, 5), 3), tmp_path / "a.png")


def test_mp4_says_what_it_needs(tmp_path):
    from matplotlib.animation import writers

    if writers.is_available("ffmpeg"):
        export.save_mp4(conv_geometry((5, 5), 3, stride=2), tmp_path / "a.mp4")
        assert (tmp_path / "a.mp4").stat().st_size > 1000
    else:
        with pytest.raises(RuntimeError, match="needs the ffmpeg program"):
            export.save_mp4(conv_geometry((5, 5), 3, stride=2), tmp_path / "a.mp4")


def test_strip_holds_the_chosen_frames():
    fig = drawing.strip(conv_geometry((5, 5), 3, stride=1), frames=[0, 4, 8], columns=2)
    assert len(fig.axes) == 3
    with pytest.raises(ValueError, match="frame 9 does not exist: this picture has 9 frames"):
        drawing.strip(conv_geometry((5, 5), 3), frames=[9])


@pytest.mark.parametrize("channels, groups, kernels", [([4, 8], 1, [32]), ([4, 8], 2, [16]), ([4, 8], 4, [8]),
                                                      ([16, 16, 32], [16, 1], [16, 512])])
def test_channel_groups_draws_one_line_per_kernel(channels, groups, kernels):
    fig = drawing.channel_groups(channels, groups)
    assert fig.kernels == kernels
    segments = fig.axes[0].collections[0].get_segments()
    assert len(segments) == sum(kernels)


def test_channel_groups_rejects_groups_that_do_not_divide():
    with pytest.raises(ValueError, match="groups=3 must divide in_channels=4"):
        drawing.channel_groups([4, 6], 3)


def test_padding_modes_and_value_grid_and_overlay():
    assert len(drawing.padding_modes([1, 2, 3, 4], 2).axes) == 4
    assert drawing.value_grid(np.eye(3)).axes[0].texts[0].get_text() == "1"
    image = sample_image(gray=True)
    fm = field_map([Layer(3, 2, 1)] * 3, image.shape)
    fig = drawing.field_overlay(image, fm)
    assert len(fig.axes[0].patches) == 1
    # one picture: the grey image dimmed to 55 %, orange blended in where the field reaches
    (shown,) = fig.axes[0].images
    pixels = shown.get_array()
    np.testing.assert_allclose(pixels[0, 0], [0.55 * image[0, 0]] * 3)     # outside the field
    top = np.unravel_index(np.argmax(fm.values), fm.values.shape)
    np.testing.assert_allclose(pixels[top], 0.15 * 0.55 * image[top] + 0.85 * np.array([1.0, 0.62, 0.0]))

def test_sample_image():
    rgb, gray = sample_image(), sample_image(gray=True)
    assert rgb.shape == (3, 150, 128) and gray.shape == (150, 128)
    assert 0 <= rgb.min() and rgb.max() <= 1 and 0.2 < gray.mean() < 0.8
    np.testing.assert_allclose(gray, 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])
    rgb[0, 0, 0] = 5.0                               # a new array each time
    assert sample_image()[0, 0, 0] <= 1


@pytest.mark.parametrize("cin, cout, size, k, stride, padding, expected", [
    (3, 2, 5, 3, 1, 0, (3, 3)),        # torch: F.conv2d(ones(1, 3, 5, 5), ones(2, 3, 3, 3)).shape[-2:]
    (3, 4, 6, 3, 2, 1, (3, 3)),        # ... stride=2, padding=1
    (1, 1, (4, 7), (3, 2), 1, 0, (2, 6)),
    (8, 6, 12, 1, 1, 0, (12, 12)),
])
def test_conv_tensors_draws_every_sheet(cin, cout, size, k, stride, padding, expected):
    fig = drawing.conv_tensors(cin, cout, size, k, stride, padding)
    assert fig.sheets == {"input": cin, "kernels": cin * cout, "output": cout}
    assert fig.output_size == expected
    # one face collection per sheet, plus the lit window and output cell, plus the beam
    polys = [c for c in fig.axes[0].collections if type(c).__name__ == "PolyCollection"]
    assert len(polys) == cin + cin * cout + cout + cin + 1
    assert [t.get_text() for t in fig.axes[0].texts][:cout] == [f"W[{o}]" for o in range(cout)]


def test_conv_tensors_text_is_legible_and_arguments_are_checked():
    fig = drawing.conv_tensors(3, 2)
    assert min(t.get_fontsize() for t in fig.axes[0].texts) >= 9
    with pytest.raises(ValueError, match="in_channels=9 must be at most 8"):
        drawing.conv_tensors(9, 2)
    with pytest.raises(ValueError, match="out_channels=7 must be at most 6"):
        drawing.conv_tensors(3, 7)
    with pytest.raises(ValueError, match="input_size=13 must be at most 12 cells"):
        drawing.conv_tensors(3, 2, input_size=13)
    with pytest.raises(TypeError, match="padding='same' must be an int"):
        drawing.conv_tensors(3, 2, padding="same")
    with pytest.raises(ValueError, match="the output would be empty"):
        drawing.conv_tensors(3, 2, input_size=2, kernel_size=3)


@pytest.mark.filterwarnings("ignore:InlineBackend._figure_formats_changed:DeprecationWarning")  # its observer
def test_picture_figures_follow_the_inline_figure_formats(monkeypatch):
    """In a kernel whose notebook chose SVG figures, a drawing shows as an SVG and no extra PNG."""
    IPython = pytest.importorskip("IPython")
    config = pytest.importorskip("matplotlib_inline.config")
    from IPython.core.interactiveshell import InteractiveShell

    fig = drawing.padding_modes([1, 2, 3], 1)
    assert fig._repr_png_()[:4] == b"\x89PNG" and fig._repr_svg_() is None   # no kernel
    saved = config.InlineBackend._instance if config.InlineBackend.initialized() else None
    shell = InteractiveShell.instance()
    try:
        shell.kernel = "a kernel"                     # what tells a Jupyter kernel apart
        monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
        for formats, png, svg in (({"svg"}, False, True), ({"png"}, True, False)):
            config.InlineBackend.clear_instance()
            shell.config.InlineBackend.figure_formats = formats     # what %config sets
            shell.config.InlineBackend.print_figure_kwargs = {"bbox_inches": "tight",
                                                              "metadata": {"Date": None}}
            assert (fig._repr_png_() is not None) == png
            if svg:
                text = fig._repr_svg_()
                assert "<svg" in text and "<dc:date>" not in text
            else:
                assert fig._repr_svg_() is None
    finally:
        config.InlineBackend.clear_instance()
        if saved is not None:
            config.InlineBackend._instance = saved
        InteractiveShell.clear_instance()


def test_stack_paths_wavenet_reaches_its_receptive_field():
    # kernel 2, causal, rates 1, 2, 4, 8 on 20 steps: the last output reads 16 samples, 4..19
    rates = (1, 2, 4, 8)
    fig = drawing.stack_paths([Layer(2, dilation=d) for d in rates], 20, padding="causal")
    assert fig.reached == [tuple(range(4, 20)), tuple(range(5, 20, 2)), (7, 11, 15, 19), (11, 19), (19,)]
    assert len(fig.reached[0]) == 16 == ct.receptive_field([Layer(2, dilation=d) for d in rates])[-1].size
    assert fig.dark_taps == 2 * (8 + 4 + 2 + 1)       # two taps per reached cell above the input
    light, dark = fig.axes[0].lines                   # each colour one polyline broken by NaNs
    assert np.isnan(dark.get_xdata()).sum() == fig.dark_taps
    # the dots of a causal stack stand at their own time step: output t over input t
    offsets = [c.get_offsets()[:, 0].tolist() for c in fig.axes[0].collections[:2]]  # the input row
    assert sorted(offsets[0] + offsets[1]) == list(range(20))
    assert [tick.get_text() for tick in fig.axes[0].get_yticklabels()] == ["input", "d = 1", "d = 2", "d = 4",
                                                                         "d = 8"]


def test_stack_paths_same_valid_and_strided():
    fig = drawing.stack_paths([Layer(3, padding=1)] * 2, 9, output_index=4)
    assert fig.reached == [(2, 3, 4, 5, 6), (3, 4, 5), (4,)]
    # 'valid' shrinks each row; the dot stands over the middle of what it reads
    fig = drawing.stack_paths([Layer(3)] * 2, 9, padding="valid", output_index=0)
    assert fig.reached == [(0, 1, 2, 3, 4), (0, 1, 2), (0,)]
    xs = fig.axes[0].collections[-1].get_offsets()[:, 0].tolist()
    assert xs == [2.0]
    # stride 2, padding 1: output 1 of a 5-cell input reads cells 1, 2, 3
    fig = drawing.stack_paths([Layer(3, 2, 1)], 5, output_index=1)
    assert fig.reached == [(1, 2, 3), (1,)]


def test_stack_paths_rejects():
    with pytest.raises(ValueError, match="layers must hold at least one layer"):
        drawing.stack_paths([], 5)
    with pytest.raises(ValueError, match="output_index=5 must be below the last layer's output size 5"):
        drawing.stack_paths([Layer(3, padding=1)], 5, output_index=5)
    with pytest.raises(ValueError, match="labels must name 2 rows"):
        drawing.stack_paths([Layer(3)], 5, labels=["a"])
    with pytest.raises(ValueError, match="anchor='left' must be 'end' or 'center'"):
        drawing.stack_paths([Layer(3)], 5, anchor="left")
    with pytest.raises(TypeError, match="padding must be None or a name"):
        drawing.stack_paths([Layer(3)], 5, padding=1)
    with pytest.raises(ValueError, match="the output would be empty"):
        drawing.stack_paths([Layer(3)], 2, padding="valid")
