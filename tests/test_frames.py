"""The pictures: the frame model against the geometry and the real convolution, the rendered
frames (deterministic, one per position), GIF export and the matplotlib drawing.

(The book's animations are the browser engine's players, tested in test_explorer.py and
test_browser_explorer.py; matplotlib keeps static pictures and file export.)"""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

import convtutor as ct  # noqa: E402
from convtutor import drawing, export  # noqa: E402
from convtutor import frames as fr  # noqa: E402
from convtutor.geometry import conv_geometry, transposed_geometry  # noqa: E402

GEOMETRIES = [
    conv_geometry((5, 5), 3, stride=2),
    conv_geometry((5, 5), 3, stride=2, padding=1),
    conv_geometry((7, 6), (3, 2), stride=(1, 2), dilation=(2, 1)),
    conv_geometry((4, 4), 2, padding="same"),
    conv_geometry(9, 3, stride=2, padding=1),
    transposed_geometry((2, 2), 3, stride=2),
    transposed_geometry((3, 3), 3, stride=2, padding=1, output_padding=1),
    transposed_geometry((2, 3), 2, stride=3, padding=2),
    transposed_geometry(3, 3, stride=2, dilation=2),
]


def cell2(index):
    return (0, index[0]) if len(index) == 1 else tuple(index)


def lit_cells(panel):
    return {tuple(int(v) for v in c) for c in zip(*np.nonzero(panel.lit))}


@pytest.mark.parametrize("geom", GEOMETRIES, ids=repr)
def test_shaded_cells_are_the_footprint(geom):
    for y in geom.positions():
        pic = fr.frame_model(geom, y)
        assert lit_cells(pic.left) == {cell2(t.grid_index) for t in geom.footprint(y)}
        assert lit_cells(pic.right) == {cell2(y)}
        kinds = np.asarray(geom.grid_kind).reshape(pic.left.kind.shape)
        assert (pic.left.kind == kinds).all()
        colors = pic.left.colors()
        for cell in np.ndindex(*kinds.shape):
            face, dark, _ = fr.STYLE[kinds[cell]]
            assert tuple(colors[cell]) == pytest.approx(to_rgba(dark if pic.left.lit[cell] else face)[:3])


@pytest.mark.parametrize("geom", [g for g in GEOMETRIES if g.transposed] + GEOMETRIES[:2], ids=repr)
def test_scatter_frames_light_the_kernel_copy(geom):
    for x in np.ndindex(*geom.input_size):
        pic = fr.frame_model(geom, x, view="scatter")
        assert lit_cells(pic.left) == {cell2(x)}
        assert lit_cells(pic.right) == {cell2(h.canvas_index) for h in geom.scatter(x)}
        cropped = pic.right.kind == "cropped"
        assert int((~cropped).sum()) == int(np.prod(geom.output_size))


def reference_conv(x, w, geom):
    """Direct convolution by explicit windows (independent of the package)."""
    xp = np.pad(x, geom.padding)
    out = np.zeros(geom.output_size)
    for y in np.ndindex(*geom.output_size):
        window = tuple(slice(yy * s, yy * s + d * (k - 1) + 1, d)
                       for yy, s, d, k in zip(y, geom.stride, geom.dilation, geom.kernel_size))
        out[y] = (xp[window] * w).sum()
    return out


def test_numbers_in_the_source_example():
    geom = conv_geometry((5, 5), 3, stride=2)
    x = np.arange(25).reshape(5, 5) % 4
    w = np.array([[0, 1, 2], [2, 2, 0], [0, 1, 2]])
    expected = reference_conv(x, w, geom)
    for n, y in enumerate(geom.positions()):
        pic = fr.frame_model(geom, y, values=x, kernel=w, numbers=True)
        assert [[int(v) for v in row] for row in pic.left.text] == x.tolist()
        for t in geom.footprint(y):
            assert pic.left.weight[t.grid_index] == f"×{w[t.kernel_index]}"
        assert (pic.left.weight != "").sum() == 9
        shown = [(c, pic.right.text[c]) for c in np.ndindex(2, 2) if pic.right.text[c]]
        assert [c for c, _ in shown] == list(geom.positions())[: n + 1]  # outputs so far, row-major
        assert all(int(v) == expected[c] for c, v in shown)


def test_transposed_numbers_use_the_flipped_kernel():
    geom = transposed_geometry((2, 2), 3, stride=2)
    x = np.array([[1, 2], [3, 4]])
    w = np.arange(9).reshape(3, 3)
    out = ct.conv_transpose2d(x[None, None], w[None, None], stride=2)[0, 0]
    y = (4, 4)
    pic = fr.frame_model(geom, y, values=x, kernel=w, numbers=True)
    assert pic.right.text[y] == str(out[y])
    # the window's first cell holds the last input value, under the last weight: the kernel is flipped
    assert pic.left.text[4, 4] == "4" and pic.left.weight[4, 4] == "×8"
    assert pic.left.kind[6, 6] == "padding" and pic.left.weight[6, 6] == "×0"
    # the sum the picture shows is the output value
    lit = zip(*np.nonzero(pic.left.lit))
    total = sum(int(pic.left.text[c] or 0) * int(pic.left.weight[c][1:]) for c in lit)
    assert total == out[y]
    # scatter view: after the last input cell the partial sums are the whole (uncropped) output
    pic = fr.frame_model(geom, (1, 1), view="scatter", values=x, kernel=w, numbers=True)
    shown = np.array([[int(v) for v in row] for row in pic.right.text])
    np.testing.assert_array_equal(shown, out)


def test_scatter_partial_sums_with_cropping():
    geom = transposed_geometry((3, 3), 3, stride=2, padding=1, output_padding=1)
    x = np.arange(9).reshape(3, 3)
    w = np.arange(1, 10).reshape(3, 3)
    out = ct.conv_transpose2d(x[None, None], w[None, None], stride=2, padding=1, output_padding=1)[0, 0]
    pic = fr.frame_model(geom, (2, 2), view="scatter", values=x, kernel=w, numbers=True)
    inside = pic.right.kind == "output"
    shown = np.array([int(v) for v in pic.right.text[inside]]).reshape(out.shape)
    np.testing.assert_array_equal(shown, out)


def test_exported_frames_are_deterministic_and_one_per_position():
    geom = conv_geometry((5, 5), 3, stride=2, padding=1)
    f1, f2 = export.frames_png(geom, numbers=True), export.frames_png(geom, numbers=True)
    assert len(f1) == len(list(geom.positions())) == 9
    assert f1 == f2
    assert len(set(f1)) == len(f1)  # every frame is different
    assert all(f.startswith(b"\x89PNG") for f in f1)
    assert len(export.frames_png(transposed_geometry((2, 2), 3, stride=2), view="scatter")) == 4


def test_save_gif(tmp_path):
    from PIL import Image

    path = tmp_path / "conv.gif"
    export.save_gif(conv_geometry((5, 5), 3, stride=2), path, numbers=True)
    with Image.open(path) as img:
        assert img.n_frames == 4
    with pytest.raises(ValueError, match="gif"):
        export.save_gif(conv_geometry((5, 5), 3), tmp_path / "x.png")


def test_draw_on_a_given_axes_and_alone():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert drawing.draw(conv_geometry((5, 5), 3), (1, 1), ax=ax) is fig
    fig2 = drawing.draw_scatter(transposed_geometry((2, 2), 3, stride=2), (0, 1), numbers=True)
    w, h = fig2.get_size_inches()
    assert 3 < w < 8 and 2 < h < 6


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: fr.frame_model(conv_geometry((3, 3, 3), 2)), ValueError, "2-D"),
        (lambda: fr.frame_model(conv_geometry((5, 5), 3), (3, 3)), ValueError, "out_index"),
        (lambda: fr.frame_model(conv_geometry((5, 5), 3), view="side"), ValueError, "view"),
        (lambda: fr.frame_model((5, 5)), TypeError, "geometry"),
        (lambda: fr.frame_model(conv_geometry((5, 5), 3), values=np.ones((4, 4)), numbers=True), ValueError,
         "values"),
        (lambda: fr.frame_model(conv_geometry((5, 5), 3), kernel=np.ones(3), numbers=True), ValueError,
         "kernel"),
        (lambda: export.frames_png(object()), TypeError, "geometry"),
    ],
)
def test_bad_arguments(call, exc, words):
    with pytest.raises(exc, match=words):
        call()


def test_importing_the_package_does_not_import_matplotlib():
    code = ("import sys, convtutor, convtutor.geometry, convtutor.frames, convtutor.widgets; "
            "print(any(m.split('.')[0] in ('matplotlib', 'ipywidgets') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
