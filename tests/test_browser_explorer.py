"""The drawing engine in a real browser: explorers and players written by convtutor.explorer.

One HTML page (script and stylesheet inline, as in a notebook; every element carries its own
copy, so a second copy of the script must stand aside) holds several explorers and players.
It is served from a temporary directory by a local ``http.server`` and opened in headless
Chromium (Debian's, driven by playwright). The tests check what a reader does: play, step and
scrub; point at a cell; flip the kernel; share a link; download the frame as SVG; read it on a
390-px phone; switch to a dark theme. Expected values come from convtutor (geometry and the
convolution functions), never from the script.

Run with ``pytest -m browser tests/test_browser_explorer.py``. Without playwright or Chromium
the tests are skipped, except under CI (environment variable ``CI`` set), where they fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import convtutor as ct
from convtutor.explorer import solver_explorer, explorer_assets, player, static_explorer
from convtutor.geometry import conv_geometry, transposed_geometry

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CONVTUTOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IN_CI = bool(os.environ.get("CI"))
MIN_TEXT_PX = 9.0

X_P1 = np.array([[3, 1, 0, 2, 4, 1], [1, 5, 2, 0, 1, 3], [2, 2, 4, 1, 0, 1], [0, 3, 1, 2, 2, 5],
                 [4, 0, 2, 3, 1, 2]])
W_P1 = np.array([[1, -1], [0, 2], [-2, 1]])
X_P2 = np.arange(1, 10).reshape(3, 3)
W_P2 = np.array([[1, 0, -1], [2, 1, 0], [0, -1, 1]])
X_P3 = np.round(np.linspace(-1, 2, 10), 2)
W_P3 = np.array([0.5, -1.0, 0.25])


def _items():
    """The page: (key, object); keys name the elements (id "ct-<key>")."""
    return [
        ("conv", static_explorer("conv", input=5, kernel=3, stride=2, padding=1, numbers=True, key="conv",
                                 title="Convolution")),
        ("tconv", static_explorer("transposed", input=(2, 3), kernel=3, stride=(2, 1), padding=(1, 0), numbers=True,
                                  key="tconv", title="Transposed, non-square")),
        ("scatter", static_explorer("transposed", input=3, kernel=3, stride=2, view="scatter", numbers=True,
                                    key="scatter")),
        ("line", static_explorer("conv", input=9, kernel=3, dilation=2, ndim=1, numbers=True, key="line")),
        ("p1", player("conv", values=X_P1, weights=W_P1, stride=(2, 1), padding=(1, 0), numbers=True, key="p1",
                      interval_ms=100, title="Player")),
        ("p2", player("transposed", values=X_P2, weights=W_P2, stride=2, padding=1, output_padding=1,
                      view="scatter", numbers=True, key="p2", interval_ms=100)),
        ("p3", player("conv", values=X_P3, weights=W_P3, numbers=True, key="p3")),
        ("big", static_explorer("transposed", input=12, kernel=7, stride=4, dilation=2, key="big",
                                limits={"dilation": (1, 4)})),
        ("channels", static_explorer("conv", input=8, kernel=3, padding=1, in_channels=16, out_channels=32,
                                     groups=4, key="channels")),
        ("layer", static_explorer("conv", input=16, kernel=3, stride=2, padding=1, key="layer",
                                  limits={"input": (1, 40), "kernel": (1, 7), "padding": (0, 12)})),
        ("solver", solver_explorer(16, 8, target="ct-layer", key="solver")),
    ]


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)")
    pytest.skip(reason)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The test page, served on http://127.0.0.1:<free port>/index.html."""
    folder = tmp_path_factory.mktemp("explorers")
    body = "\n".join(f"<section>{obj.to_html()}</section>" for _, obj in _items())
    (folder / "index.html").write_text(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>explorers</title><link rel=\"icon\" href=\"data:,\">"
        "<style>body { max-width: 760px; margin: 0 auto; padding: 8px; font-family: sans-serif; }"
        " html[data-theme=dark] body { background: #121212; color: #ddd; }</style></head>"
        f"<body><h1>Explorers</h1>\n{body}\n</body></html>", encoding="utf-8")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, name="explorer-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/index.html"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
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


class Page:
    """The test page in a fresh context; every console error and page error is kept."""

    def __init__(self, browser, url: str, width: int = 1280, touch: bool = False, hash_: str = ""):
        self.context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True,
                                           has_touch=touch, service_workers="block")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.goto(url + hash_, wait_until="load")
        self.page.wait_for_function("document.querySelectorAll('.ct-explorer[data-ready=true]').length > 0")

    def js(self, script: str, arg=None):
        return self.page.evaluate(script, arg)

    def state(self, key: str) -> dict:
        return self.js("k => window.convtutorExplorer.getState('ct-' + k)", key)

    def current(self, key: str):
        return self.js("""k => { const r = document.querySelector('#ct-' + k + ' rect[data-current="1"]');
                                 return r && (r.dataset.out || r.dataset.in); }""", key)

    def close(self):
        self.context.close()


@pytest.fixture
def open_page(browser, site):
    pages: list[Page] = []

    def opener(**kwargs) -> Page:
        p = Page(browser, site, **kwargs)
        pages.append(p)
        return p

    yield opener
    for p in pages:
        p.close()


def _geometry(state: dict):
    args = [tuple(state[n]) for n in ("input", "kernel", "stride", "padding")]
    if state["kind"] == "transposed":
        return transposed_geometry(*args, tuple(state["output_padding"]), tuple(state["dilation"]))
    return conv_geometry(*args, tuple(state["dilation"]))


def _reference(state: dict, x, w):
    n = len(state["input"])
    w = np.asarray(w, float)
    if state["flip"]:
        w = ct.flip_kernel(w[None, None])[0, 0]
    kwargs = {"stride": tuple(state["stride"]), "padding": tuple(state["padding"]),
              "dilation": tuple(state["dilation"])}
    if state["kind"] == "transposed":
        fn = ct.conv_transpose1d if n == 1 else ct.conv_transpose2d
        kwargs["output_padding"] = tuple(state["output_padding"])
    else:
        fn = ct.conv1d if n == 1 else ct.conv2d
    return fn(np.asarray(x, float)[None], w[None, None], **kwargs)[0]


def _numbers(p: Page, key: str):
    """The values and weights an element draws: a player's own, else the script's defaults
    (read back from the script: they are inputs of the check, not its expected result)."""
    own = {"p1": (X_P1, W_P1), "p2": (X_P2, W_P2), "p3": (X_P3, W_P3)}
    if key in own:
        return own[key]
    state = p.state(key)
    x = p.js("s => window.convtutorExplorer.defaultValues(s).data", state["input"])
    w = p.js("s => window.convtutorExplorer.defaultWeights(s).data", state["kernel"])
    return np.reshape(x, state["input"]), np.reshape(w, state["kernel"])


def _index(text: str) -> tuple[int, ...]:
    return tuple(int(v) for v in text.split(","))


# ------------------------------------------------------------------ playing


def test_every_element_starts_and_is_labelled(open_page):
    p = open_page()
    info = p.js("""() => [...document.querySelectorAll('.ct-explorer:not(.ct-solver)')].map(r => ({
        id: r.id, ready: r.dataset.ready, valid: r.dataset.valid,
        labels: [...r.querySelectorAll('svg text.ct-label')].map(t => t.textContent),
        sliders: r.querySelectorAll('input[type=range][data-param]').length}))""")
    drawings = [(key, obj) for key, obj in _items() if obj.mode != "solve"]
    assert [i["id"] for i in info] == [f"ct-{key}" for key, _ in drawings]
    for item, (key, obj) in zip(info, drawings):
        assert item["ready"] == "true" and item["valid"] == "true", item
        state = p.state(key)
        geo = _geometry(state)
        size = "\u00d7".join(map(str, geo.input_size))
        assert item["labels"] == [f"input {size}", "output " + "\u00d7".join(map(str, geo.output_size))], item
        assert (item["sliders"] > 0) == (obj.mode == "explore"), item
    assert not p.errors, p.errors


def test_play_step_and_scrub_change_the_frame(open_page):
    p = open_page()
    for key in ("p1", "p2", "conv"):
        root = p.page.locator(f"#ct-{key}")
        first = p.current(key)
        picture = root.locator("svg").inner_html()
        root.locator("[data-action=step]").click()
        second = p.current(key)
        assert second != first and root.locator("svg").inner_html() != picture, key
        assert root.locator("[data-position]").inner_text().split(" of ")[0].endswith("frame 2")
        root.locator("[data-action=back]").click()
        assert p.current(key) == first
        root.locator("[data-action=back]").click()  # wraps to the last frame
        frames = int(root.locator("input[data-role=scrub]").get_attribute("max")) + 1
        assert root.locator("input[data-role=scrub]").input_value() == str(frames - 1)
        p.js("""([k, v]) => { const s = document.querySelector('#ct-' + k + ' input[data-role=scrub]');
                              s.value = String(v); s.dispatchEvent(new Event('input', {bubbles: true})); }""", [key, 2])
        assert root.locator("[data-position]").inner_text().endswith(f"frame 3 of {frames}")
        at_scrub = p.current(key)
        root.locator("[data-action=play]").click()
        assert root.get_attribute("data-playing") == "true"
        p.page.wait_for_function("([k, c]) => { const r = document.querySelector('#ct-' + k + ' rect[data-current=\"1\"]');"
                                 " return r && (r.dataset.out || r.dataset.in) !== c; }", arg=[key, at_scrub],
                                 timeout=5000)
        root.locator("[data-action=play]").click()
        assert root.get_attribute("data-playing") == "false"
    # the frames of the scatter player are its input cells, those of the others output cells
    assert p.js("() => document.querySelector('#ct-p2 input[data-role=scrub]').max") == str(X_P2.size - 1)
    assert not p.errors, p.errors


def test_drawn_outputs_are_the_convolution(open_page):
    """Step through every frame of the players: the numbers written in the output cells are
    convtutor's outputs (the scatter player's canvas, cropped, at its last frame)."""
    p = open_page()
    for key, x, w in (("p1", X_P1, W_P1), ("p3", X_P3, W_P3)):
        want = _reference(p.state(key), x, w)
        frames = want.size
        p.js("([k, n]) => { const s = document.querySelector('#ct-' + k + ' input[data-role=scrub]');"
             " s.value = String(n); s.dispatchEvent(new Event('input', {bubbles: true})); }", [key, frames - 1])
        texts = p.js("""k => [...document.querySelectorAll('#ct-' + k + ' rect[data-out]')].map(r =>
            [r.dataset.out, r.nextSibling && r.nextSibling.tagName === 'text' ? r.nextSibling.textContent : null])""", key)
        drawn = {_index(i): float(t.replace("\u2212", "-")) for i, t in texts}
        for idx, value in np.ndenumerate(want):
            assert drawn[idx] == pytest.approx(value, abs=0.006), (key, idx)
    state = p.state("p2")
    want = _reference(state, X_P2, W_P2)
    p.js("() => { const s = document.querySelector('#ct-p2 input[data-role=scrub]');"
         " s.value = s.max; s.dispatchEvent(new Event('input', {bubbles: true})); }")
    texts = p.js("""() => [...document.querySelectorAll('#ct-p2 rect[data-out]')].map(r =>
        [r.dataset.out, r.nextSibling.textContent])""")
    assert len(texts) == want.size
    for idx, text in texts:
        assert float(text.replace("\u2212", "-")) == want[_index(idx)], idx
    assert not p.errors, p.errors


# ------------------------------------------------------------------ pointing


def test_hover_shows_the_footprint_and_its_sum(open_page):
    """Pointing at an output cell highlights exactly the grid cells of its footprint (and the
    cell itself) and prints convtutor's value for it."""
    p = open_page()
    for key in ("conv", "tconv", "line", "p1", "p3"):
        state = p.state(key)
        geo = _geometry(state)
        x, w = _numbers(p, key)
        want = _reference(state, x, w)
        outputs = list(np.ndindex(*geo.output_size))
        for y in [outputs[0], outputs[len(outputs) // 2], outputs[-1]]:
            text = ",".join(map(str, y))
            p.page.locator(f'#ct-{key} rect[data-out="{text}"]').hover()
            seen = p.js("""k => ({
                grid: [...document.querySelectorAll('#ct-' + k + ' rect[data-cell][data-hover="1"]')].map(r => r.dataset.cell),
                out: [...document.querySelectorAll('#ct-' + k + ' rect[data-out][data-hover="1"]')].map(r => r.dataset.out),
                value: document.querySelector('#ct-' + k + ' [data-sum]').dataset.value,
                text: document.querySelector('#ct-' + k + ' [data-sum]').textContent})""", key)
            footprint = {t.grid_index for t in geo.footprint(y)}
            assert {_index(c) for c in seen["grid"]} == footprint, (key, y)
            assert seen["out"] == [text], (key, y)
            assert float(seen["value"]) == pytest.approx(want[y]), (key, y)
            index = text if len(y) == 1 else f"({text.replace(',', ', ')})"
            assert seen["text"].startswith(f"output {index} = "), seen["text"]
        p.page.mouse.move(1, 1)  # leaving the picture drops the highlight
        assert p.js("k => document.querySelectorAll('#ct-' + k + ' [data-hover=\"1\"]').length", key) == 0
    assert not p.errors, p.errors


def test_hover_in_the_scatter_view(open_page):
    """Scatter view: an input cell highlights the canvas cells it adds to (cropped ones too);
    an output cell highlights the input cells whose copies reach it, and prints its value."""
    p = open_page()
    for key in ("scatter", "p2"):
        state = p.state(key)
        geo = _geometry(state)
        x, w = _numbers(p, key)
        want = _reference(state, x, w)
        for xi in [(0, 0), (1, 2), tuple(s - 1 for s in geo.input_size)]:
            p.page.locator(f'#ct-{key} rect[data-in="{xi[0]},{xi[1]}"]').hover()
            hit = p.js("k => [...document.querySelectorAll('#ct-' + k + ' rect[data-canvas][data-hover=\"1\"]')]"
                       ".map(r => r.dataset.canvas)", key)
            assert {_index(c) for c in hit} == {h.canvas_index for h in geo.scatter(xi)}, (key, xi)
        y = tuple(o // 2 for o in geo.output_size)
        p.page.locator(f'#ct-{key} rect[data-out="{y[0]},{y[1]}"]').hover()
        seen = p.js("""k => ({inputs: [...document.querySelectorAll('#ct-' + k + ' rect[data-in][data-hover="1"]')]
                                .map(r => r.dataset.in),
                              value: document.querySelector('#ct-' + k + ' [data-sum]').dataset.value})""", key)
        assert {_index(c) for c in seen["inputs"]} == {t.input_index for t in geo.footprint(y) if t.input_index}
        assert float(seen["value"]) == pytest.approx(want[y])
    assert not p.errors, p.errors


def test_tap_pins_the_highlight_on_a_phone(open_page):
    p = open_page(width=390, touch=True)
    cell = p.page.locator('#ct-conv rect[data-out="1,1"]')
    cell.scroll_into_view_if_needed()
    cell.tap()
    assert p.page.locator("#ct-conv").get_attribute("data-pointed") == "out:1,1"
    assert p.js("() => document.querySelectorAll('#ct-conv rect[data-cell][data-hover=\"1\"]').length") == 9
    cell.tap()  # a second tap lets go
    assert p.page.locator("#ct-conv").get_attribute("data-pointed") == ""
    assert not p.errors, p.errors


# ------------------------------------------------------------------ flip


def test_flip_uses_the_flipped_kernel(open_page):
    p = open_page()
    for key in ("conv", "tconv", "line"):
        root = p.page.locator(f"#ct-{key}")
        x, w = _numbers(p, key)
        root.locator("[data-action=step]").click()  # a frame away from the corner
        before = float(root.locator("[data-sum]").get_attribute("data-value"))
        weights_before = p.js("k => [...document.querySelectorAll('#ct-' + k + ' text.ct-weight')].map(t => t.textContent)",
                              key)
        root.locator("input[data-control=flip]").check()
        state = p.state(key)
        assert state["flip"] is True
        frame = np.unravel_index(state["position"], _geometry(state).output_size)
        after = float(root.locator("[data-sum]").get_attribute("data-value"))
        assert after == pytest.approx(_reference(state, x, w)[frame])
        assert before == pytest.approx(_reference({**state, "flip": False}, x, w)[frame])
        assert after != before, key  # these layers were chosen so that it shows
        weights_after = p.js("k => [...document.querySelectorAll('#ct-' + k + ' text.ct-weight')].map(t => t.textContent)",
                             key)
        assert weights_after != weights_before and sorted(weights_after) == sorted(weights_before), key
    assert not p.errors, p.errors


# ------------------------------------------------------------------ URL and API


def _slide(p: Page, key: str, name: str, value: int, axis: int | None = None):
    p.js("""([k, n, v, a]) => {
        const sel = '#ct-' + k + ' input[data-param="' + n + '"]' + (a === null ? '' : '[data-axis="' + a + '"]');
        const s = document.querySelector(sel); s.value = String(v);
        s.dispatchEvent(new Event('input', {bubbles: true})); }""", [key, name, value, axis])


def test_url_hash_keeps_and_restores_the_state(open_page, site):
    p = open_page()
    _slide(p, "conv", "input", 7)
    _slide(p, "conv", "kernel", 2)
    _slide(p, "tconv", "stride", 3, axis=1)
    p.page.locator("#ct-tconv input[data-control=view][value=scatter]").check()
    p.page.locator("#ct-conv [data-action=step]").click()
    for text in ("ct-conv=kind:conv;i:7x7;k:2x2;s:2x2;p:1x1;d:1x1;flip:0;at:1",
                 "ct-tconv=kind:transposed;i:2x3;k:3x3;s:2x3;p:1x0;d:1x1;op:0x0;view:scatter;flip:0"):
        p.page.wait_for_function("t => location.hash.includes(t)", arg=text, timeout=3000)  # written within 200 ms
    assert "ct-p1=" not in p.page.url  # players do not write the URL
    saved = {key: p.state(key) for key in ("conv", "tconv")}
    p.page.reload()
    p.page.wait_for_function("document.querySelectorAll('.ct-explorer[data-ready=true]').length > 0")
    for key, state in saved.items():
        assert p.state(key) == state, key
    assert p.page.locator('#ct-conv input[data-param="input"]').input_value() == "7"
    # a shared link opens the layer in a fresh page, drawn as convtutor says
    fresh = open_page(hash_="#ct-line=kind:conv;i:11;k:4;s:2;p:1;d:1;flip:1;at:2")
    state = fresh.state("line")
    # and scrolls it into view
    assert fresh.js("() => { const b = document.querySelector('#ct-line').getBoundingClientRect();"
                    " return b.top >= -1 && b.top < innerHeight; }")
    assert state["input"] == [11] and state["kernel"] == [4] and state["flip"] and state["position"] == 2
    geo = _geometry(state)
    assert fresh.js("() => document.querySelectorAll('#ct-line rect[data-out]').length") == geo.output_size[0]
    assert fresh.current("line") == "2"
    # a malformed link leaves the explorer as configured
    bad = open_page(hash_="#ct-conv=kind:conv;i:0x5")
    assert bad.state("conv")["input"] == [5, 5]
    assert not p.errors and not fresh.errors and not bad.errors, (p.errors, fresh.errors, bad.errors)


def test_javascript_api_opens_a_layer(open_page):
    """Another widget can open a layer: setState, getState and link."""
    p = open_page()
    got = p.js("""() => window.convtutorExplorer.setState('ct-conv',
                     {input: [6, 4], kernel: [3, 1], stride: 1, padding: [1, 0]})""")
    assert got["input"] == [6, 4] and got["kernel"] == [3, 1] and got["stride"] == [1, 1] and got["padding"] == [1, 0]
    geo = _geometry(got)
    kinds = p.js("""() => { const c = {}; document.querySelectorAll('#ct-conv rect[data-kind]').forEach(r =>
        { c[r.dataset.kind] = (c[r.dataset.kind] || 0) + 1; }); return c; }""")
    want = dict(zip(*np.unique(geo.grid_kind, return_counts=True)))
    assert kinds == {str(k): int(v) for k, v in want.items()}
    assert p.js("() => document.querySelectorAll('#ct-conv rect[data-out]').length") == int(np.prod(geo.output_size))
    # unequal axes need one slider per axis
    axes = p.js("() => [...document.querySelectorAll('#ct-conv input[data-param=input]')].map(s => [s.dataset.axis, s.value])")
    assert axes == [["0", "6"], ["1", "4"]]
    p.page.wait_for_function("t => location.hash.includes(t)", arg="ct-conv=kind:conv;i:6x4;k:3x1;s:1x1;p:1x0;d:1x1;flip:0",
                             timeout=3000)
    link = p.js("() => window.convtutorExplorer.link('ct-scatter', {kind: 'transposed', input: 2, stride: 3, view: 'conv'})")
    assert link == "#ct-scatter=kind:transposed;i:2x2;k:3x3;s:3x3;p:0x0;d:1x1;op:0x0;view:conv;flip:0"
    # a link on the page (as a list of solved shapes would write) opens it there
    p.js("l => { const a = document.createElement('a'); a.href = l; a.textContent = 'open'; a.id = 'go';"
         " document.body.appendChild(a); }", link)
    p.page.locator("#go").click()
    p.page.wait_for_function("() => window.convtutorExplorer.getState('ct-scatter').stride[0] === 3")
    assert p.state("scatter")["view"] == "conv"
    error = p.js("() => { try { window.convtutorExplorer.setState('ct-conv', {colour: 1}); } catch (e) { return e.message; } }")
    assert error.startswith('unknown state entry "colour"')
    assert not p.errors, p.errors


def test_impossible_layer_shows_the_rule(open_page):
    p = open_page()
    _slide(p, "conv", "input", 1)
    _slide(p, "conv", "padding", 0)
    _slide(p, "conv", "kernel", 4)
    message = p.page.locator("#ct-conv [data-message]").inner_text()
    with pytest.raises(ValueError) as rule:            # the package's own words
        ct.conv_shape((1, 1), 4, stride=2)
    assert message == f"Impossible layer: {rule.value}."
    assert p.js("() => document.querySelectorAll('#ct-conv svg rect').length") == 0
    assert p.page.locator("#ct-conv").get_attribute("data-valid") == "false"
    _slide(p, "conv", "input", 5)  # and back
    assert p.page.locator("#ct-conv").get_attribute("data-valid") == "true"
    assert not p.errors, p.errors


# ------------------------------------------------------------------ export


def test_svg_export_is_a_standalone_svg(open_page, tmp_path):
    p = open_page()
    # the cell of the current frame: an output cell being computed (orange), or in the scatter
    # view the input cell being added (sky blue), as the stylesheet colours them
    for key, colour in (("conv", "rgb(230, 159, 0)"), ("p2", "rgb(116, 191, 233)")):
        with p.page.expect_download() as info:
            p.page.locator(f"#ct-{key} [data-action=export]").click()
        path = tmp_path / f"{key}.svg"
        info.value.save_as(path)
        assert info.value.suggested_filename.startswith(f"ct-{key}-frame1")
        tree = ET.parse(path)
        svg = tree.getroot()
        ns = "{http://www.w3.org/2000/svg}"
        assert svg.tag == f"{ns}svg" and float(svg.get("width")) > 100 and svg.get("viewBox")
        rects = svg.findall(f".//{ns}rect")
        texts = [t.text for t in svg.findall(f".//{ns}text")]
        assert len(rects) > 10 and "input " + "\u00d7".join(map(str, p.state(key)["input"])) in texts
        text = path.read_text(encoding="utf-8")
        assert "var(" not in text and "class=" not in text  # styles resolved and inlined
        styles = [r.get("style") or "" for r in rects]
        assert all("fill:" in s for s in styles)
        current = [r for r in rects if r.get("data-current") == "1"]
        assert len(current) == 1 and f"fill:{colour}" in current[0].get("style")
    assert not p.errors, p.errors


# ------------------------------------------------------------------ reading comfort


def _text_sizes(p: Page):
    return p.js("""() => [...document.querySelectorAll('.ct-explorer svg text')]
        .filter(t => t.getClientRects().length > 0)
        .map(t => { const svg = t.ownerSVGElement, vb = svg.viewBox.baseVal;
                    return [svg.closest('.ct-explorer').id, t.textContent,
                            parseFloat(getComputedStyle(t).fontSize) * svg.getBoundingClientRect().width / vb.width]; })""")


@pytest.mark.parametrize("width", [390, 1280])
def test_fits_the_screen_and_text_stays_readable(open_page, width):
    p = open_page(width=width, touch=width < 500)
    for key in ("conv", "scatter"):  # other views and sizes too
        p.page.locator(f"#ct-{key} [data-action=step]").click()
    _slide(p, "big", "dilation", 4)
    overflow = p.js("""() => {
        const out = [];
        const doc = document.documentElement;
        if (doc.scrollWidth > doc.clientWidth) out.push(['document', doc.scrollWidth, doc.clientWidth]);
        document.querySelectorAll('.ct-explorer').forEach(r => {
            if (r.scrollWidth > r.clientWidth) out.push([r.id, r.scrollWidth, r.clientWidth]);
            if (r.getBoundingClientRect().right > doc.clientWidth + 0.5) out.push([r.id, 'right edge']);
            r.querySelectorAll('*').forEach(e => {
                const box = e.getBoundingClientRect();
                if (box.width && box.right > r.getBoundingClientRect().right + 0.5) out.push([r.id, e.tagName, e.className.baseVal || e.className]);
            });
        });
        return out; }""")
    assert overflow == [], overflow
    sizes = _text_sizes(p)
    assert len(sizes) > 50
    small = [s for s in sizes if s[2] < MIN_TEXT_PX]
    assert small == [], small
    layouts = p.js("() => Object.fromEntries([...document.querySelectorAll('.ct-explorer')].map(r => [r.id, r.dataset.layout]))")
    # side by side when there is room, the output under the input on a phone
    assert layouts["ct-conv"] == ("column" if width < 500 else "row")
    assert layouts["ct-line"] == "column"
    assert not p.errors, p.errors


def test_resizing_redraws_for_the_new_width(open_page):
    p = open_page(width=1280)
    assert p.page.locator("#ct-conv").get_attribute("data-layout") == "row"
    p.page.set_viewport_size({"width": 390, "height": 900})
    p.page.wait_for_function("document.querySelector('#ct-conv').dataset.layout === 'column'", timeout=5000)
    assert [s for s in _text_sizes(p) if s[2] < MIN_TEXT_PX] == []
    assert p.js("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert not p.errors, p.errors


def test_dark_themes_change_the_colours(open_page):
    p = open_page()
    read = """() => { const r = document.querySelector('#ct-conv rect[data-kind=input]');
                      const root = document.querySelector('#ct-conv');
                      return [getComputedStyle(r).fill, getComputedStyle(r).stroke, getComputedStyle(root).backgroundColor,
                              getComputedStyle(root).color,
                              getComputedStyle(document.querySelector('#ct-conv rect[data-out]')).stroke]; }"""
    light = p.js(read)
    p.js("() => { document.documentElement.dataset.theme = 'dark'; }")
    dark = p.js(read)
    assert all(a != b for a, b in zip(light, dark)), (light, dark)
    p.js("() => { delete document.documentElement.dataset.theme; }")
    assert p.js(read) == light
    p.js("() => { document.body.dataset.jpThemeLight = 'false'; }")  # JupyterLab's dark themes
    assert p.js(read) == dark
    # input and output are told apart by more than a shade: hue, edge width and corner radius
    edges = p.js("""() => ['rect[data-kind=input]', 'rect[data-out]'].map(sel => {
        const r = document.querySelector('#ct-conv ' + sel), cs = getComputedStyle(r);
        return [cs.stroke, cs.strokeWidth, r.getAttribute('rx')]; })""")
    assert edges[0][0] != edges[1][0] and edges[0][1] != edges[1][1] and edges[0][2] is None and float(edges[1][2]) > 0
    for key in ("conv", "p2"):
        p.page.locator(f"#ct-{key} [data-action=step]").click()
    assert not p.errors, p.errors


def test_two_copies_of_the_script_and_duplicate_elements(browser, tmp_path):
    """A notebook repeats the script with every output, and may show the same explorer twice:
    one copy runs, and the second element gets its own id (its own key in the URL)."""
    obj = static_explorer(input=4, key="twice")
    page_file = tmp_path / "twice.html"
    page_file.write_text(f"<!doctype html><html><body>{obj.to_html()}{obj.to_html()}</body></html>", encoding="utf-8")
    context = browser.new_context()
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(page_file.as_uri())
        ids = page.evaluate("() => [...document.querySelectorAll('.ct-explorer')].map(r => [r.id, r.dataset.ready])")
        assert ids == [["ct-twice", "true"], ["ct-twice-2", "true"]]
        assert page.evaluate("() => document.querySelectorAll('svg.ct-svg').length") == 2
        assert not errors, errors
    finally:
        context.close()


def test_in_a_notebook_output_the_url_is_left_alone(browser, tmp_path):
    """In JupyterLab (an output area, a dark theme on body) the page URL is the application's:
    an explorer there never writes it, and the dark theme applies."""
    obj = static_explorer(input=4, key="nb")
    page_file = tmp_path / "lab.html"
    page_file.write_text("<!doctype html><html><body data-jp-theme-light=\"false\"><div class=\"jp-OutputArea\">"
                         f"{obj.to_html()}</div></body></html>", encoding="utf-8")
    context = browser.new_context()
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(page_file.as_uri() + "#lab")
        page.evaluate("""() => { const s = document.querySelector('#ct-nb input[data-param=input]'); s.value = '6';
                                 s.dispatchEvent(new Event('input', {bubbles: true})); }""")
        page.locator("#ct-nb [data-action=step]").click()
        page.wait_for_timeout(400)
        assert page.evaluate("() => location.hash") == "#lab"
        assert page.evaluate("() => window.convtutorExplorer.getState('ct-nb').input") == [6, 6]
        assert page.evaluate("() => getComputedStyle(document.querySelector('#ct-nb')).backgroundColor") == \
            "rgb(29, 35, 42)"  # --ct-bg of the dark themes in explorer.css
        assert not errors, errors
    finally:
        context.close()


def test_assets_inline_are_the_shipped_files():
    """The page above ran the compacted inline copy; the book serves the files themselves."""
    script, style = explorer_assets()
    shipped = (Path(ct.__file__).parent / "assets" / "explorer.css").read_text(encoding="utf-8")
    assert style == shipped and "convtutorExplorer" in script


def test_solver_lists_layers_and_opens_one_in_the_explorer(open_page):
    """The shape solver: its list is layers_for's, a click opens the layer in the target explorer."""
    import dataclasses

    p = open_page()
    root = p.page.locator("#ct-solver")
    assert int(root.get_attribute("data-count")) == len(ct.layers_for(16, 8))
    p.page.fill("#ct-solver input[data-param=input]", "28")
    p.page.fill("#ct-solver input[data-param=output]", "56")
    p.page.check("#ct-solver input[data-param=transposed]")
    want = [dataclasses.asdict(c) for c in ct.layers_for(28, 56, transposed=True)]
    assert int(root.get_attribute("data-count")) == len(want) > 0
    rows = p.js("() => [...document.querySelectorAll('#ct-solver tbody tr')].map(r => [...r.cells].map(c => c.textContent))")
    assert [[int(v) for v in r[:5]] for r in rows] == [[c["kernel_size"], c["stride"], c["padding"], c["dilation"],
                                                        c["output_padding"]] for c in want]
    assert [r[5] == "checkerboard" for r in rows] == [c["checkerboard_risk"] for c in want]
    pick = next(n for n, c in enumerate(want) if c["kernel_size"] == 4 and c["stride"] == 2)
    p.page.locator(f"#ct-solver tbody tr[data-index='{pick}']").click()
    state = p.state("layer")
    c = want[pick]
    assert state["kind"] == "transposed" and state["input"] == [28, 28] and state["kernel"] == [4, 4]
    assert state["stride"] == [2, 2] and state["padding"] == [c["padding"]] * 2
    size = p.js("() => document.querySelector('#ct-layer [data-output-size]').textContent")
    assert "56" in size
    p.page.fill("#ct-solver input[data-param=output]", "0")
    assert root.get_attribute("data-count") == "0"
    assert not p.errors, p.errors
