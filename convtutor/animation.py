"""matplotlib players of PNG frames: the book's first animations, kept until every chapter uses the
browser's engine (:func:`convtutor.explorer.player`), then removed.

The frame model lives in :mod:`convtutor.frames`, the drawing in :mod:`convtutor.drawing` and the
file export in :mod:`convtutor.export`; this module only wraps them in matplotlib's
``FuncAnimation`` and its JavaScript player.
"""

from __future__ import annotations

import base64
import re

import numpy as np

from ._validation import check_int
from .drawing import cell_size, draw, draw_scatter, scene_figure
from .export import png_bytes, save_gif
from .frames import check_geometry, frame_models
from .geometry import Geometry

__all__ = ["draw", "draw_scatter", "animate", "animate_scatter", "to_html", "show", "save_gif"]


def _animate(geometry, view, values, kernel, numbers, cell, dpi, interval):
    from matplotlib.animation import FuncAnimation

    check_geometry(geometry, view)
    interval = check_int("interval", interval, minimum=1)
    pics = frame_models(geometry, view, values, kernel, numbers)
    scene = scene_figure(pics[0], None, cell_size(numbers, cell), dpi)

    def update(n):
        scene.update(pics[n])
        return ()

    anim = FuncAnimation(scene.ax.figure, update, frames=len(pics), init_func=lambda: (),
                         interval=interval, repeat=True, cache_frame_data=False)
    anim.pictures = pics  # the frame models, in order
    anim.interval_ms = interval
    # matplotlib warns when an animation is garbage-collected unrendered, advising plt.show(); these
    # figures are not pyplot's and are rendered by to_html / save_gif, so the warning only adds noise
    anim._draw_was_started = True
    return anim


def animate(geometry: Geometry, values=None, kernel=None, numbers: bool = False, cell: float | None = None,
            dpi: float = 60, interval: int = 700):
    """One frame per output cell (row-major): a :class:`matplotlib.animation.FuncAnimation`.

    Parameters are those of :func:`draw`, plus ``interval``, the milliseconds between frames.
    The frame models are in ``anim.pictures``. Show it with :func:`to_html` or :func:`show`,
    export it with :func:`save_gif`.

    Example:
        >>> from convtutor.geometry import conv_geometry
        >>> len(animate(conv_geometry((5, 5), 3, stride=2)).pictures)
        4
    """
    return _animate(geometry, "conv", values, kernel, numbers, cell, dpi, interval)


def animate_scatter(geometry: Geometry, values=None, kernel=None, numbers: bool = False,
                    cell: float | None = None, dpi: float = 60, interval: int = 900):
    """One frame per input cell, each adding its kernel copy into the output (:func:`draw_scatter`).

    Example:
        >>> from convtutor.geometry import transposed_geometry
        >>> up = transposed_geometry((2, 2), 3, stride=2)
        >>> len(animate_scatter(up).pictures)
        4
    """
    return _animate(geometry, "scatter", values, kernel, numbers, cell, dpi, interval)


def _writer_class():
    from matplotlib.animation import AbstractMovieWriter

    class FrameCollector(AbstractMovieWriter):
        """A movie writer that keeps every frame as palette-PNG bytes in ``.frames``."""

        def setup(self, fig, outfile, dpi=None):
            super().setup(fig, outfile, dpi)
            self.frames = []

        def grab_frame(self, **savefig_kwargs):
            self.frames.append(png_bytes(self.fig, self.dpi))

        def finish(self):
            pass

    return FrameCollector


def frames_png(anim) -> list[bytes]:
    """Every frame of an animation of this module as PNG bytes (deterministic).

    Example:
        >>> from convtutor.geometry import conv_geometry
        >>> len(frames_png(animate(conv_geometry(5, 3, stride=2))))
        2
    """
    if not hasattr(anim, "pictures"):
        raise TypeError("anim must be an animation made by convtutor.animation.animate or animate_scatter")
    writer = _writer_class()(fps=1000 / anim.interval_ms)
    # the figure's own resolution (the dpi asked of animate), whatever savefig.dpi says
    anim.save("frames.png", writer=writer, dpi=anim._fig.dpi)  # the collector writes no file
    return writer.frames


# matplotlib's player takes its button icons from Font Awesome on a CDN: the book must work offline
_LEFT, _RIGHT = "&#9664;&#xFE0E;", "&#9654;&#xFE0E;"  # triangles, as text (not emoji)
_ICONS = {"fa-minus": "&minus;", "fa-fast-backward": f"|{_LEFT}{_LEFT}", "fa-step-backward": f"|{_LEFT}",
          "fa-play fa-flip-horizontal": _LEFT, "fa-pause": "&#10074;&#10074;", "fa-play": _RIGHT,
          "fa-step-forward": f"{_RIGHT}|", "fa-fast-forward": f"{_RIGHT}{_RIGHT}|", "fa-plus": "+"}


def to_html(anim, default_mode: str = "loop", id: str | None = None) -> str:
    """A self-contained HTML player for an animation of this module: frames embedded, no CDN.

    matplotlib's JavaScript player (as in :meth:`~matplotlib.animation.Animation.to_jshtml`) with
    palette-PNG frames, the Font Awesome stylesheet link removed and its icons replaced by text,
    and a deterministic element ``id`` (a hash of the frames unless given), so that the same
    animation gives the same HTML on every run.

    Example:
        >>> from convtutor.geometry import conv_geometry
        >>> html = to_html(animate(conv_geometry((5, 5), 3, stride=2)))
        >>> 'http' in html, 'fa fa-' in html
        (False, False)
    """
    import hashlib

    from matplotlib._animation_data import DISPLAY_TEMPLATE, JS_INCLUDE, STYLE_INCLUDE

    if default_mode not in ("loop", "once", "reflect"):
        raise ValueError(f"default_mode={default_mode!r} must be 'loop', 'once' or 'reflect'")
    frames = frames_png(anim)
    if id is None:
        id = hashlib.sha1(b"".join(frames)).hexdigest()[:16]
    elif not re.fullmatch(r"[A-Za-z0-9_]+", str(id)):
        raise ValueError(f"id={id!r} must be letters, digits and underscores (it names JS objects)")
    fill = "\n" + "".join(f'  frames[{n}] = "data:image/png;base64,{base64.b64encode(f).decode()}"\n'
                           for n, f in enumerate(frames))
    mode = {f"{m}_checked": "checked" if m == default_mode else "" for m in ("once", "loop", "reflect")}
    html = JS_INCLUDE + STYLE_INCLUDE + DISPLAY_TEMPLATE.format(
        id=id, Nframes=len(frames), fill_frames=fill, interval=anim.interval_ms, **mode)
    html = re.sub(r"<link[^>]*?href=\"https?://[^\"]*\"[^>]*>", "", html)
    for cls, label in _ICONS.items():
        html = html.replace(f'<i class="fa {cls}"></i>', f"<span>{label}</span>")
    return html


def show(geometry: Geometry, view: str = "conv", **kwargs):
    """The animation as an :class:`IPython.display.HTML` object for a notebook cell.

    ``view`` is ``'conv'`` (:func:`animate`) or ``'scatter'`` (:func:`animate_scatter`); the other
    keyword arguments go to them. The HTML plays without a kernel (the frames are embedded).

    Example:
        >>> from convtutor.geometry import conv_geometry
        >>> g = conv_geometry((5, 5), 3, stride=2)
        >>> type(show(g, numbers=True)).__name__
        'HTML'
    """
    from IPython.display import HTML

    if view not in ("conv", "scatter"):
        raise ValueError(f"view={view!r} must be 'conv' or 'scatter'")
    anim = (animate if view == "conv" else animate_scatter)(geometry, **kwargs)
    return HTML(to_html(anim))
