"""Export a convolution at work as files: PNG frames, an animated GIF, an MP4 video.

Every frame comes from :func:`convtutor.frames.frame_models` and is drawn by one
:class:`convtutor.drawing.Scene` updated in place; the files are written with public APIs only
(Pillow for PNG and GIF, matplotlib's ``FFMpegWriter`` for MP4, which needs an ``ffmpeg``
program). The same setting always gives the same bytes: frames use a fixed colour palette and
carry no metadata.
"""

from __future__ import annotations

import functools
import io
import os

import numpy as np

from ._validation import check_choice, check_real
from .drawing import cell_size, scene_figure
from .frames import EDGE, INK, STYLE, VIEWS, frame_models, rgb
from .geometry import Geometry

__all__ = ["frames_png", "png_bytes", "save_gif", "save_mp4"]


@functools.lru_cache(maxsize=1)
def _palette():
    """A fixed 256-colour palette: every colour the pictures use, and blends of each ink (text,
    edges) over each background at two levels for anti-aliased edges. A fixed palette keeps
    rare colours (the one highlighted output cell) that an adaptive one would drop."""
    from PIL import Image

    backs = [rgb(c) for pair in STYLE.values() for c in pair[:2]] + [(1.0, 1.0, 1.0)]
    backs.append(tuple(1 - 0.12 * (1 - np.array(rgb("#17293b")))))  # the beam over white
    inks = [rgb(c) for c in (INK, EDGE, "#ffffff", "#7b8a97", "#ffd166", "#a4161a")]
    colors = {tuple(c) for c in backs + inks}
    for ink in inks:
        for back in backs:
            for t in (1 / 3, 2 / 3):
                colors.add(tuple(t * np.array(ink) + (1 - t) * np.array(back)))
    flat = [round(255 * v) for c in sorted(colors) for v in c][: 3 * 256]
    pal = Image.new("P", (1, 1))
    pal.putpalette(flat + flat[:3] * (256 - len(flat) // 3))
    return pal


def png_bytes(fig, dpi) -> bytes:
    """The figure as a palette PNG (flat colours: about 3x smaller than RGB), without metadata."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    img = Image.open(buf).convert("RGB").quantize(palette=_palette(), dither=Image.Dither.NONE)
    img = img.remap_palette([i for _, i in sorted(img.getcolors(256))])  # keep the colours used
    out = io.BytesIO()
    img.save(out, format="png", optimize=True)
    return out.getvalue()



def _scene_frames(geometry, view, values, kernel, numbers, cell, dpi):
    pictures = frame_models(geometry, view, values, kernel, numbers)
    scene = scene_figure(pictures[0], None, cell_size(numbers, cell), dpi)
    for pic in pictures:
        scene.update(pic)
        yield scene.ax.figure


def frames_png(geometry: Geometry, view: str = "conv", values=None, kernel=None, numbers: bool = False,
               cell: float | None = None, dpi: float = 60) -> list[bytes]:
    """Every frame as PNG bytes (palette PNG, no metadata: deterministic).

    Example:
        >>> from convtutor.geometry import conv_geometry
        >>> len(frames_png(conv_geometry(5, 3, stride=2)))
        2
    """
    return [png_bytes(fig, dpi) for fig in _scene_frames(geometry, view, values, kernel, numbers, cell, dpi)]


def _path(path, suffix: str) -> str:
    path = os.fspath(path)
    if not path.lower().endswith(suffix):
        raise ValueError(f"path={path!r} must end in {suffix}")
    return path


def save_gif(geometry: Geometry, path, view: str = "conv", fps: float = 1.5, values=None, kernel=None,
             numbers: bool = False, cell: float | None = None, dpi: float = 80) -> None:
    """Write the animation to a looping GIF with Pillow.

    Parameters:
        geometry: the layer to animate; view: ``'conv'`` or ``'scatter'``.
        path: file name ending in ``.gif``.
        fps: frames per second.
        values, kernel, numbers, cell, dpi: as in :func:`convtutor.drawing.draw`.

    Example:
        >>> import os, tempfile
        >>> from convtutor.geometry import transposed_geometry
        >>> path = os.path.join(tempfile.mkdtemp(), "transposed.gif")
        >>> up = transposed_geometry((2, 2), 3, stride=2)
        >>> save_gif(up, path, view="scatter")
    """
    from PIL import Image

    path = _path(path, ".gif")
    fps = check_real("fps", fps, minimum=0.01)
    check_choice("view", view, VIEWS)
    frames = [Image.open(io.BytesIO(png)) for png in frames_png(geometry, view, values, kernel, numbers, cell, dpi)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=round(1000 / fps), loop=0,
                   optimize=False)


def save_mp4(geometry: Geometry, path, view: str = "conv", fps: float = 1.5, values=None, kernel=None,
             numbers: bool = False, cell: float | None = None, dpi: float = 100) -> None:
    """Write the animation to an MP4 video with matplotlib's ``FFMpegWriter`` (needs ``ffmpeg``).

    Parameters are those of :func:`save_gif`, with ``path`` ending in ``.mp4``.
    """
    from matplotlib.animation import FFMpegWriter, writers

    path = _path(path, ".mp4")
    fps = check_real("fps", fps, minimum=0.01)
    check_choice("view", view, VIEWS)
    if not writers.is_available("ffmpeg"):
        raise RuntimeError("save_mp4 needs the ffmpeg program (e.g. apt-get install ffmpeg) or "
                           "matplotlib's rcParams['animation.ffmpeg_path'] pointing to one; save_gif needs nothing")
    figures = _scene_frames(geometry, view, values, kernel, numbers, cell, dpi)
    fig = next(figures)
    writer = FFMpegWriter(fps=fps)
    with writer.saving(fig, path, dpi):
        writer.grab_frame()
        for _ in figures:
            writer.grab_frame()
