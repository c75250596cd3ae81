"""What the book build needs beyond configuration (a local Sphinx extension, listed in _config.yml).

Everything else is configuration in _config.yml. Each piece here names the library version it
was written for (``setup`` refuses another), the test that fails when that library changes
(tests/test_build_workarounds.py), and why configuration cannot do it.

1. No dead ipywidgets state in the pages (myst-nb 1.4.0). A notebook executed with widgets
   holds their state (50-60 KB a chapter, pictures included), and myst-nb writes it into the
   page for a widget manager. The book loads no widget manager (``nb_ipywidgets_js: {}``: it
   would come from a CDN, and without a kernel the widgets cannot recompute anyway; the book's
   live explorers need no kernel), so the state is dead weight on every such page.

   Configuration covers the committed notebooks: scripts/execute_notebooks.py runs them with
   nbclient's ``store_widget_state=False`` and keeps no ``metadata.widgets``, so a build that
   renders stored outputs (``CONVTUTOR_EXECUTE=stored``, ``make test``) has no state to drop.
   It does not cover a build that executes the notebooks (``execute_notebooks: force``,
   ``make book``): myst-nb runs them through jupyter-cache's ``single_nb_execution`` with
   nbclient's defaults (``myst_nb/core/execute/direct.py`` passes no client options, and no
   ``nb_execution_*`` setting reaches ``store_widget_state``), so the state comes back. Hence
   this hook, which removes it after reading. (No upstream issue asks for the option yet: the
   myst-nb tracker was searched; the closest, executablebooks/jupyter-cache#31, is about
   keeping widget state, not dropping it.)

2. One notebook run fewer in ``make test``. The environment variable ``CONVTUTOR_EXECUTE``,
   when set, replaces ``execute_notebooks`` of _config.yml (``force``): ``off``, ``force``...
   or ``stored``, which runs only the notebooks stored without any executed cell and renders
   the stored outputs of the others. ``make test`` builds with ``stored`` right after nbval, in
   strict mode, has run every notebook and found each stored output reproduced: running them
   all again would only repeat that (about 80 s on 2 cores). myst-nb's own ``auto`` runs a
   notebook as soon as one code cell has no output (an import cell, say), which is most of
   them, and ``off`` would silently render a notebook stored unexecuted without outputs.
   ``make book`` and ``make build`` run them all.

Math needs no code any more: KaTeX renders it in the browser from files the book serves
itself (``katex_prerender: false``; see _config.yml), so the node server that sphinxcontrib-katex
starts for build-time rendering, and the patch that made its start reliable, are gone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import myst_nb

# the version whose internals _drop_widget_state relies on (env.nb_metadata[docname]["js_files"])
MYST_NB_VERSION = "1.4.0"
WIDGET_STATE_KEY = "ipywidgets_state"  # myst_nb.core.render.NbElementRenderer.render_nb_finalise


def _drop_widget_state(app, env) -> None:
    for data in getattr(env, "nb_metadata", {}).values():
        data.get("js_files", {}).pop(WIDGET_STATE_KEY, None)


EXECUTION_MODES = ("stored", "off", "auto", "force", "cache", "inline")


def _executed(path: Path) -> bool:
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    return any(c.get("cell_type") == "code" and c.get("execution_count") is not None for c in cells)


def _execution_mode_from_environment(app, config) -> None:
    mode = os.environ.get("CONVTUTOR_EXECUTE", "").strip()
    if not mode:
        return
    if mode not in EXECUTION_MODES:
        raise ValueError(f"CONVTUTOR_EXECUTE={mode!r} must be one of {', '.join(EXECUTION_MODES)}")
    if mode != "stored":
        config.nb_execution_mode = mode
        return
    config.nb_execution_mode = "force"
    stored = []
    for folder, dirs, files in os.walk(app.srcdir):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_build"))]
        notebooks = [Path(folder, f) for f in files if f.endswith(".ipynb")]
        stored += [path.as_posix() for path in notebooks if _executed(path)]
    config.nb_execution_excludepatterns = list(config.nb_execution_excludepatterns) + stored


def setup(app):
    app.setup_extension("myst_nb")
    if myst_nb.__version__ != MYST_NB_VERSION:
        raise RuntimeError(
            f"book/_ext/convtutor_build.py drops widget state through myst-nb {MYST_NB_VERSION}'s "
            f"internals, and myst-nb {myst_nb.__version__} is installed: run "
            "tests/test_build_workarounds.py, then update MYST_NB_VERSION (and requirements.txt) "
            "or remove the hook if the new version can leave the state out by configuration")
    app.connect("env-updated", _drop_widget_state)
    app.connect("config-inited", _execution_mode_from_environment)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
