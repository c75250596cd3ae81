"""Render convtutor explorers in a Sphinx book built with myst-nb.

A displayed explorer or player (:mod:`convtutor.explorer`) carries its configuration as
``application/vnd.convtutor.explorer+json`` beside its ``text/html`` (element + inline script
and stylesheet). :class:`ExplorerMimeRenderer` is registered in the ``myst_nb.mime_renderers``
entry-point group (``pyproject.toml``); it turns that data into the element alone. It declares
no priority: a book opts in by ranking the MIME type above ``text/html`` (``_config.yml``::

    nb_mime_priority_overrides:
      [[html, application/vnd.convtutor.explorer+json, 5]]

) and by loading the script and the stylesheet once, from ``_static``: the book's extension
``book/_ext/convtutor_explorers.py`` does that, on the pages that hold an explorer, and sets the
Sphinx configuration value ``convtutor_explorer_assets = "static"``. Without that extension
the renderer keeps the inline copies, so the element still works.
"""

from __future__ import annotations

import json

from .explorer import MIME, element_html, explorer_assets

__all__ = ["ExplorerMimeRenderer"]

NODE_FLAG = "convtutor_explorer"  # set on the docutils raw node of every explorer


class ExplorerMimeRenderer:
    """myst-nb MIME render plugin for ``application/vnd.convtutor.explorer+json``."""

    mime_priority_overrides = ()  # opt in per book, see the module docstring

    @staticmethod
    def handle_mime(renderer, data, inline):
        if data.mime_type != MIME:
            return None
        from docutils import nodes

        payload = data.content
        if isinstance(payload, (str, bytes)):
            payload = json.loads(payload)
        html = element_html(payload)
        env = renderer.renderer.sphinx_env
        served = env is not None and getattr(env.config, "convtutor_explorer_assets", None) == "static"
        if not served:
            script, style = explorer_assets()
            html += (f"\n<style data-convtutor-asset=\"explorer.css\">{style}</style>"
                     f"\n<script data-convtutor-asset=\"explorer.js\">{script}</script>")
        node = nodes.raw("", html, format="html", classes=["output", "text_html"])
        node[NODE_FLAG] = True
        return [node]


