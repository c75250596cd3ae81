"""What the book build needs beyond configuration (a local Sphinx extension, listed in _config.yml).

1. Reliable build-time math. With ``katex_prerender = True`` sphinxcontrib-katex (0.9.11)
   renders every formula to HTML with a node server on a unix socket, so pages need no math
   script. It connects as soon as the socket file exists, but node creates the file (bind) just
   before it listens: on a busy 2-core machine about 1 start in 6 gets ``ConnectionRefusedError``,
   which fails the build and leaves the node process running. Here the connection is retried
   until the startup timeout, and the server is stopped when the build finishes.

2. No dead ipywidgets state. A notebook that displays ipywidgets stores the widgets' state
   (50-60 KB a chapter, pictures included) and myst-nb writes it into the page for a widget
   manager. The book loads no widget manager (``nb_ipywidgets_js: {}``: it would come from a
   CDN, and without a kernel the widgets cannot recompute anyway; the book's explorers are
   ``convtutor.explorer``), so the state is dropped instead of weighing on every such page.

3. One notebook run fewer in ``make test``. The environment variable ``CONVTUTOR_EXECUTE``,
   when set, replaces ``execute_notebooks`` of _config.yml (``force``): ``off``, ``force``...
   or ``stored``, which runs only the notebooks stored without any executed cell and renders
   the stored outputs of the others. ``make test`` builds with ``stored`` right after nbval, in
   strict mode, has run every notebook and found each stored output reproduced: running them
   all again would only repeat that (about 80 s on 2 cores). (myst-nb's own ``auto`` runs a
   notebook as soon as one code cell has no output, which is most of them.) ``make book`` and
   ``make build`` run them all.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import time
from pathlib import Path
from subprocess import PIPE, Popen

from sphinxcontrib import katex


def _start_server_process(cls, rundir, timeout):
    socket_path = rundir / "katex.sock"
    process = Popen(cls.build_command(socket=socket_path), stdin=PIPE, stdout=PIPE, cwd=rundir)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise katex.KaTeXError(f"the KaTeX server (node) exited with code {process.returncode}")
        if socket_path.is_socket():
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(socket_path))
                return process, sock
            except (ConnectionRefusedError, FileNotFoundError):
                sock.close()
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise cls.timeout_error(timeout)
        time.sleep(0.005)


def _stop_katex_server(app, exception) -> None:
    server = katex.KaTeXServer.katex_server
    if server is not None:
        katex.KaTeXServer.katex_server = None
        atexit.unregister(katex.KaTeXServer.terminate)
        server.terminate()


def _drop_widget_state(app, env) -> None:
    for data in getattr(env, "nb_metadata", {}).values():
        data.get("js_files", {}).pop("ipywidgets_state", None)


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
    app.setup_extension("sphinxcontrib.katex")
    app.setup_extension("myst_nb")
    if katex.__version__ != "0.9.11":  # the replaced method is this version's
        raise RuntimeError(f"convtutor_build.py was written for sphinxcontrib-katex 0.9.11, "
                           f"not {katex.__version__}")
    katex.KaTeXServer.start_server_process = classmethod(_start_server_process)
    app.connect("build-finished", _stop_katex_server)
    app.connect("env-updated", _drop_widget_state)
    app.connect("config-inited", _execution_mode_from_environment)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
