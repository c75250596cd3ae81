"""Execute notebooks in place, so that their stored outputs are what the code gives today.

Usage:  .venv/bin/python scripts/execute_notebooks.py book/01_convolution.ipynb [...]

Run it after changing a notebook or the package; nbval (strict) then checks that a fresh
run reproduces these outputs. Kernels start in book/, like in the book build.

No ipywidgets state is stored (nbclient's ``store_widget_state=False``, and any state an
earlier run or a Jupyter session saved in ``metadata.widgets`` is removed): the HTML book loads
no widget manager, so the state would be dead weight in its pages, and it changes with every
run. The widgets' outputs (their view references) stay; in Jupyter the widgets come alive
when their cell runs, as in a notebook JupyterLab saved (it stores no widget state by default).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbclient
import nbformat


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
    )
    client.execute()
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return time.perf_counter() - start


def main(paths: list[str]) -> None:
    if not paths:
        raise SystemExit(__doc__)
    for name in paths:
        seconds = execute(Path(name))
        print(f"{name}: executed in {seconds:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
