"""The chapters as a newcomer meets them: in JupyterLab, run from the top, sliders moved.

One JupyterLab server (127.0.0.1, a random port, a random token, no browser) serves a temporary
copy of book/ (the repository's notebooks are never touched), with its settings, workspaces and
runtime files in the same temporary folder. Headless Chromium (Debian's, through playwright) opens
JupyterLab once; then, for chapters 1-5 one after the other, the test opens the notebook, runs every
cell (JupyterLab's Run All Cells command), waits for the kernel to be idle, and checks:

* no cell failed (no error output in the notebook model, no traceback in the page) and no
  request left the machine, no console error;
* an ipywidgets slider, moved by the keyboard as a reader would, redraws its explorer's picture
  (the picture comes from the kernel);
* a kernel-free explorer's slider updates its numbers (the explorer's own script, no kernel).

Each chapter's kernel is shut down before the next opens; every chapter is run even when an
earlier one failed, and the failure lists them all. The widget and explorer markup belongs to
other modules (convtutor.widgets, convtutor.explorer) and may change: they are found through the
selector constants below. A chapter without one of them is fine, but chapters 1-5 together must
have both.

Run with ``pytest -m browser tests/test_jupyterlab.py`` (``make browser`` runs it with the page
tests). Without playwright, Chromium or JupyterLab the tests are skipped, except under CI
(environment variable ``CI`` set), where they fail.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# One test for the five chapters: they share one server and one browser, and with pytest-xdist
# a single test stays on one worker (--dist loadgroup would say so, but pytest 9.2 broke it:
# pytest-dev/pytest-xdist#1386).
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CHAPTERS = ["01_convolution", "02_dilated", "03_transposed", "04_spatially_separable",
            "05_depthwise_separable"]
CHROMIUM = os.environ.get("CONVTUTOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IN_CI = bool(os.environ.get("CI"))
SERVER_START_S = 90
RUN_ALL_S = 300  # a chapter's cells, all of them (about 10-30 s each on 2 busy cores)

# ---- where things are (other modules own this markup: change these when it changes) ----------
# ipywidgets (JupyterLab's widget manager, ipywidgets 8): a slider's handle, and the explorer's
# picture (an Output widget holding a PNG) next to it, both inside the explorer's box
IPYWIDGET_BOX = ".jp-OutputArea-output .widget-vbox"
IPYWIDGET_SLIDER_HANDLE = ".widget-slider .noUi-handle"
IPYWIDGET_PICTURE = "img.widget-image, .widget-output img"   # Image widgets (convtutor.widgets)
IPYWIDGET_MESSAGE = ".widget-html"   # the explorer's message (an HTML widget: sizes, or the error)
# the kernel-free explorer (convtutor.explorer): its root, its sliders, its output-size readout
EXPLORER_ROOT = "[data-convtutor-explorer]"
EXPLORER_SLIDER = "input[type=range][data-param]"
EXPLORER_OUTPUT_SIZE = "[data-output-size]"
EXPLORER_MESSAGE = "[data-message]"
# failures shown in the notebook: stderr outputs, and any text output with a traceback (a chapter
# may print an error's message on purpose, "ValueError: ...", on stdout: that is not a failure)
STDERR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
TEXT_OUTPUT = ".jp-OutputArea-output .jp-RenderedText"

# JupyterLab settings for the run: every cell kept in the page (no windowing: off-screen cells
# would not be in the DOM), no news or update check (no request off the machine)
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                       "checkForUpdates": False},
}

def _unavailable(reason: str):
    """Skip (or, under CI, fail) a test that cannot run here."""
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a temporary copy of book/; yields (base URL, token)."""
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        _unavailable("JupyterLab is not installed (pip install -r requirements.txt)")
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "root"
    shutil.copytree(BOOK, root / "book", ignore=shutil.ignore_patterns(
        "_build", ".ipynb_checkpoints", "__pycache__", "_ext", "_static", "_templates"))
    settings = tmp / "settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    env = dict(os.environ,
               JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_CONFIG_DIR=str(tmp / "config"),
               # kernels must find this venv's python (which imports convtutor)
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    port, token = _free_port(), secrets.token_hex(16)
    log = open(tmp / "jupyterlab.log", "w", encoding="utf-8")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
         # nothing off the machine: no news, no update check, no PyPI search of extensions
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly"]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),  # CI runs as root
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {process.returncode}:\n"
                            + (tmp / "jupyterlab.log").read_text(encoding="utf-8")[-3000:])
            try:
                if _get(f"{base}/api/status?token={token}") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s")
            time.sleep(0.25)
        yield base, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -r requirements.txt)")
    if not Path(CHROMIUM).is_file():
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    manager = sync_playwright().start()
    try:
        chromium = manager.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception as exc:
        manager.stop()
        _unavailable(f"Chromium at {CHROMIUM} does not start: {exc}")
    try:
        yield chromium
    finally:
        chromium.close()
        manager.stop()


class Lab:
    """JupyterLab open in one page, with everything the page logged."""

    def __init__(self, browser, base: str, token: str):
        self.host = urlsplit(base).netloc
        self.external: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
        page = self.page = self.context.new_page()
        page.route("**/*", self._route)
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("dialog", lambda d: d.accept())
        page.goto(f"{base}/lab?reset&token={token}", wait_until="domcontentloaded")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell "
                               "&& document.querySelector('#jp-main-dock-panel')", timeout=60_000)
        page.evaluate("() => window.jupyterapp.restored")

    def _route(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.netloc == self.host:
            route.continue_()
        else:
            if url not in self.external:
                self.external.append(url)
            route.abort()

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def jlab(lab, browser):
    base, token = lab
    opened = Lab(browser, base, token)
    yield opened
    opened.close()


# ------------------------------------------------------------------ one chapter

OPEN_AND_RUN = """async ([path, timeoutMs]) => {
    const app = window.jupyterapp;
    const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
    window.__convtutorPanel = panel;
    await panel.context.ready;
    await panel.sessionContext.ready;
    const deadline = Date.now() + timeoutMs;
    const kernel = () => panel.sessionContext.session && panel.sessionContext.session.kernel;
    while (!kernel() || kernel().status !== 'idle') {
        if (Date.now() > deadline) throw new Error('the kernel did not start: ' + (kernel() || {}).status);
        await new Promise(r => setTimeout(r, 100));
    }
    app.shell.activateById(panel.id);
    const started = performance.now();
    const ok = await app.commands.execute('notebook:run-all-cells');
    while (kernel().status !== 'idle') {
        if (Date.now() > deadline) throw new Error('the kernel did not become idle');
        await new Promise(r => setTimeout(r, 100));
    }
    const cells = [];
    const model = panel.content.model;
    for (let i = 0; i < model.cells.length; i++) {
        const cell = model.cells.get(i);
        if (cell.type !== 'code') continue;
        const outputs = [];
        for (let j = 0; j < cell.outputs.length; j++) outputs.push(cell.outputs.get(j).toJSON());
        cells.push({index: i, count: cell.executionCount, outputs});
    }
    return {id: panel.id, ok, seconds: (performance.now() - started) / 1000, cells};
}"""

CLOSE = """async () => {
    const panel = window.__convtutorPanel;
    if (!panel) return;
    await panel.sessionContext.shutdown();
    panel.context.model.dirty = false;
    panel.dispose();
    window.__convtutorPanel = null;
}"""


def _failures_in_model(cells: list[dict]) -> list[str]:
    problems = []
    for cell in cells:
        if cell["count"] is None:
            problems.append(f"cell {cell['index']} did not run")
        for out in cell["outputs"]:
            if out.get("output_type") == "error":
                problems.append(f"cell {cell['index']}: {out.get('ename')}: {out.get('evalue')}")
            elif out.get("output_type") == "stream":
                text = out.get("text", "")
                text = "".join(text) if isinstance(text, list) else text
                if "Traceback (most recent call last)" in text:
                    problems.append(f"cell {cell['index']} printed a traceback: {text[-300:]!r}")
    return problems


def _failures_in_page(panel) -> list[str]:
    stderr = panel.locator(STDERR_OUTPUT).all_inner_texts()
    texts = panel.locator(TEXT_OUTPUT).all_inner_texts()
    shown = [t for t in stderr if "Traceback" in t or "Error" in t]
    shown += [t for t in texts if "Traceback" in t and t not in shown]
    return [f"error output: {t[:300]!r}" for t in shown]


def _move_ipywidget(page, panel) -> bool | None:
    """Move the ipywidgets explorer's sliders one step with the keyboard, one slider after the
    other, until the picture changes (a step may make an impossible layer, which shows a message
    instead); True if it did, None if the chapter has no ipywidgets explorer."""
    boxes = panel.locator(IPYWIDGET_BOX).filter(has=page.locator(IPYWIDGET_SLIDER_HANDLE)) \
        .filter(has=page.locator(IPYWIDGET_PICTURE))
    if boxes.count() == 0:
        return None
    # a fixed handle on the box: the filters above stop matching while the picture is redrawn
    boxes.first.evaluate("box => box.setAttribute('data-convtutor-test', 'ipywidget')")
    box = panel.locator("[data-convtutor-test=ipywidget]")
    box.scroll_into_view_if_needed()

    def shown() -> tuple:  # the picture and the explorer's message, read at once (they are redrawn;
        # the sliders' own readouts are left out: they change before the kernel has answered)
        return tuple(box.evaluate("""(box, [picture, message]) => {
            // every picture of the box: the first is often the unchanged input photograph
            const srcs = [...box.querySelectorAll(picture)].map(img => img.src).join(" ");
            const texts = [...box.querySelectorAll(message)].map(m => m.innerText).join("\\n");
            return [srcs || null, texts];
        }""", [IPYWIDGET_PICTURE, IPYWIDGET_MESSAGE]))

    def changed(before: tuple) -> tuple | None:
        """Wait for the kernel's answer to a move: the picture or the text changes."""
        deadline = time.monotonic() + 8   # the kernel answers a move in well under a second
        while time.monotonic() < deadline:
            now = shown()
            if now != before:
                page.wait_for_timeout(300)  # the rest of the redraw
                return shown()
            page.wait_for_timeout(100)
        return None

    start = shown()
    handles = box.locator(IPYWIDGET_SLIDER_HANDLE)
    for i in range(handles.count()):
        handle = handles.nth(i)
        now, low, high = (float(handle.get_attribute(f"aria-value{a}")) for a in ("now", "min", "max"))
        if low == high or handle.evaluate("h => !!h.closest('[disabled]')"):
            continue   # a disabled slider (a fixed-size kernel's size) does nothing by design
        step, back = ("ArrowRight", "ArrowLeft") if now < high else ("ArrowLeft", "ArrowRight")
        before = shown()
        handle.focus()
        handle.press(step)
        after = changed(before)
        if after and after[0] and start[0] and after[0] != start[0]:
            return True
        handle.focus()
        handle.press(back)  # an impossible layer (a message, no picture): back, and try the next one
        changed(after or before)
    return False


def _drive_explorer(page, panel) -> bool | None:
    """Set the first kernel-free explorer's sliders to other values until its output size
    changes; True if it did, None if the chapter has no such explorer."""
    roots = panel.locator(EXPLORER_ROOT)
    if roots.count() == 0:
        return None
    root = roots.first
    root.scroll_into_view_if_needed()
    size = root.locator(EXPLORER_OUTPUT_SIZE).first
    before = size.inner_text()
    sliders = root.locator(EXPLORER_SLIDER)
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        low, high = int(slider.get_attribute("min")), int(slider.get_attribute("max"))
        current = int(slider.input_value())
        for value in sorted(range(low, high + 1), key=lambda v: -abs(v - current)):
            if value == current:
                continue
            slider.fill(str(value))  # sets the value and fires input and change, as a drag does
            now = size.inner_text()
            message = root.locator(EXPLORER_MESSAGE).first.inner_text() \
                if root.locator(EXPLORER_MESSAGE).count() else ""
            if now.strip() and now != before and not message.strip():
                return True
        slider.fill(str(current))
    return False


def _run_chapter(jlab, chapter: str) -> tuple[list[str], dict]:
    """Open, run all, check, drive, close one chapter: (problems, what was driven)."""
    page = jlab.page
    errors_before, external_before = len(jlab.errors), len(jlab.external)
    result = page.evaluate(OPEN_AND_RUN, [f"book/{chapter}.ipynb", RUN_ALL_S * 1000])
    panel = page.locator(f"#{result['id']}")
    try:
        problems = _failures_in_model(result["cells"]) + _failures_in_page(panel)
        if not result["ok"]:
            problems.append("Run All Cells reported a failure")
        moved = _move_ipywidget(page, panel)
        if moved is False:
            problems.append("moving an ipywidgets slider did not redraw its picture")
        driven = _drive_explorer(page, panel)
        if driven is False:
            problems.append("the kernel-free explorer's sliders did not change its output size")
    finally:
        page.evaluate(CLOSE)
    if jlab.errors[errors_before:]:
        problems.append(f"errors in the page: {jlab.errors[errors_before:]}")
    if jlab.external[external_before:]:
        problems.append(f"requests to other hosts: {jlab.external[external_before:]}")
    done = {"seconds": round(result["seconds"], 1), "ipywidget": moved, "explorer": driven}
    print(f"\n{chapter}: ran in {result['seconds']:.1f} s, ipywidgets slider "
          f"{'redrew' if moved else 'none' if moved is None else 'FAILED'}, explorer "
          f"{'updated' if driven else 'none' if driven is None else 'FAILED'}")
    return problems, done


def test_chapters_run_in_jupyterlab(jlab):
    """Chapters 1-5, Run All in JupyterLab: no failed cell; the sliders (kernel and kernel-free)
    respond; together they have at least one of each to move."""
    problems, driven = [], {}
    for chapter in CHAPTERS:
        try:
            found, driven[chapter] = _run_chapter(jlab, chapter)
        except Exception as exc:  # a chapter that cannot even be run: report it with the others
            found = [f"could not be run and checked: {type(exc).__name__}: {str(exc)[:500]}"]
            try:
                jlab.page.evaluate(CLOSE)  # its kernel must not run on beside the next chapter's
            except Exception:  # noqa: BLE001 - the page may be gone; the report above says why
                pass
        problems += [f"{chapter}: {p}" for p in found]
    if len(driven) == len(CHAPTERS):
        if not any(d["ipywidget"] for d in driven.values()):
            problems.append(f"no chapter has an ipywidgets explorer to move ({IPYWIDGET_BOX})")
        if not any(d["explorer"] for d in driven.values()):
            problems.append(f"no chapter has a kernel-free explorer to drive ({EXPLORER_ROOT})")
    assert not problems, "chapters 1-5 in JupyterLab:\n  " + "\n  ".join(problems)
