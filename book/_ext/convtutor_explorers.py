"""The explorers' script and stylesheet, loaded once from ``_static`` (a local Sphinx extension).

In a notebook an explorer or player of :mod:`convtutor.explorer` displays as its element with
the script and the stylesheet inline, so it works offline in a trusted notebook. In the HTML
book every page would carry its own copy; instead:

1. the display also holds the configuration as ``application/vnd.convtutor.explorer+json``,
   which ``_config.yml`` ranks above ``text/html`` (``nb_mime_priority_overrides``); myst-nb
   hands it to ``convtutor._mystnb.ExplorerMimeRenderer`` (entry point
   ``myst_nb.mime_renderers`` in ``pyproject.toml``), which writes the element alone and flags
   its node. Setting ``convtutor_explorer_assets = "static"`` (this extension's default) tells
   the renderer that the assets are served;
2. the script and the stylesheet of ``convtutor/assets`` are written to ``_static/convtutor/``
   when the builder starts (the script as the compact copy notebooks carry, without comments:
   ``convtutor.explorer.explorer_assets``), before pages are written, so Sphinx adds its
   ``?v=<checksum>`` to their URLs and a new version is never served from a stale cache;
3. a page whose doctree holds a flagged node links them (``html-page-context``: per page; the
   script deferred), so pages without an explorer load nothing more.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes

from convtutor._mystnb import NODE_FLAG
from convtutor.explorer import explorer_assets

STATIC_DIR = "convtutor"  # under _static
ASSETS = ("explorer.js", "explorer.css")


def _copy_assets(app) -> None:
    if app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / STATIC_DIR
    target.mkdir(parents=True, exist_ok=True)
    script, style = explorer_assets()
    for name, text in zip(ASSETS, (script, style)):
        (target / name).write_text(text, encoding="utf-8")


def _link_assets(app, pagename, templatename, context, doctree) -> None:
    if doctree is None:
        return
    if any(node.get(NODE_FLAG) for node in doctree.findall(nodes.raw)):
        app.add_css_file(f"{STATIC_DIR}/explorer.css")
        app.add_js_file(f"{STATIC_DIR}/explorer.js", loading_method="defer")


def _check_entry_point() -> None:
    from importlib.metadata import entry_points

    names = [ep.value for ep in entry_points(group="myst_nb.mime_renderers")]
    if "convtutor._mystnb:ExplorerMimeRenderer" not in names:
        raise RuntimeError("myst-nb does not know convtutor's explorer renderer: the installed package "
                           "metadata predates its entry point; reinstall it (pip install -e .)")


def setup(app):
    _check_entry_point()
    app.add_config_value("convtutor_explorer_assets", "static", "env")
    app.connect("builder-inited", _copy_assets)
    app.connect("html-page-context", _link_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
