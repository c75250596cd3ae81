"""The built HTML book in a real browser (headless Chromium, driven by playwright).

Every page of ``_build/html`` (the build must exist: ``make build``; the pages are discovered
there, so new chapters are covered without touching this file) is served by a local
``http.server`` and opened in Chromium in the light theme, and again in the dark theme if it has
pictures of its own (figures, explorers, animations). Each page must:

* make no request to another host (every request is recorded; others are aborted and fail),
* log no console error and no page error, in either theme, and have no failed request or HTTP
  error (404...),
* weigh at most ``OWN_BUDGET`` (300 KB) of its own (everything it loads except the files every
  page shares, which the browser caches: ``_static/`` and the search index) and at most
  ``FIRST_VISIT_BUDGET`` (2 MB) with everything, as on a first visit with an empty cache,
* show its math rendered by KaTeX (in the browser, from the book's own files) at a legible size,
  and every icon drawn with the theme's Font Awesome font,
* carry no ipywidgets state (the book loads no widget manager: see book/_ext/convtutor_build.py).

The weights of every page are printed as a table at the end of the run (``pytest -s``) and
written to ``_build/page-weights/``.

Every page must also fit its columns (checked in the same light-mode visit, ``_check_layout``):
at a 1280-px window no code block or output scrolls sideways; at a 390-px phone viewport no
explorer and no figure is clipped or wider than the screen; and no animation is a player of
raster frames (the book's animations are the explorer's SVG player). The counts of every page
are printed as a table too.

Every kernel-free explorer (``[data-convtutor-explorer]``) is driven through random slider
settings and must agree with ``convtutor``'s arithmetic and geometry; its play and step buttons
must move the highlighted output cell. Every animation (the engine's player) must step and play.
Screenshots of each page's first screen go to ``_build/screenshots/`` (``<page>.jpg``, and
``<page>-dark.jpg``, ``<page>-390.jpg`` for the phone); with ``CONVTUTOR_FULL_SCREENSHOTS=1`` the
light one is the whole page (2-3 s a chapter, so not by default).

Run with ``pytest -m browser tests/test_browser.py`` (``make browser``). Without playwright or
Chromium the tests are skipped, except under CI (environment variable ``CI`` set), where they fail.
"""

from __future__ import annotations

import functools
import http.server
import json
import math
import os
import random
import re
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import convtutor as ct
from convtutor.geometry import conv_geometry, transposed_geometry

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
HTML = Path(os.environ.get("CONVTUTOR_HTML", ROOT / "_build" / "html"))
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("CONVTUTOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Page weight (bytes of response bodies, uncompressed as http.server sends them). A page is judged
# by its own bytes: the files every page shares are fetched once and then come from the cache.
# Shared: everything under _static/ (theme, KaTeX, fonts) and the search index (searchindex.js:
# one URL that the theme's search scripts load on every page). Own: the page's HTML and its
# figures (_images/) and whatever else only it loads.
OWN_BUDGET = 300_000
FIRST_VISIT_BUDGET = 2_000_000  # the page with everything, cache empty
SHARED_PREFIXES = ("_static/",)
SHARED_FILES = ("searchindex.js",)
WEIGHTS = ROOT / "_build" / "page-weights"
PICTURES = ("<img ", "<div data-convtutor-explorer=", "<div data-convtutor-player=")  # markers of pages drawn on
MIN_LABEL_PX = 9  # smallest legible text at 100 % zoom (KaTeX here; the explorers have their own test)
# Layout (_check_layout). Selectors of markup other modules own: change them with it.
DESKTOP_WIDTH = 1280
PHONE = {"width": 390, "height": 844}  # a phone's CSS viewport
CODE_BLOCKS = "div.highlight pre"  # cell inputs, code blocks, docstring examples (outputs excluded below)
OUTPUT_BOXES = ".cell_output"  # one box per cell's outputs (its .output children, pre, tables...)
EXPLORER_ROOTS = "[data-convtutor-explorer]"
FIGURES = "img, svg"  # outermost ones, in the article, outside explorers, math and buttons
RASTER_PLAYERS = 'img[id^="_anim_img"]'  # matplotlib's jshtml animation players
LAYOUT = ROOT / "_build" / "page-layout"
SETTINGS_PER_EXPLORER = 20
SKIP_PAGES = {"genindex.html", "search.html"}
IN_CI = bool(os.environ.get("CI"))
FULL_SCREENSHOTS = os.environ.get("CONVTUTOR_FULL_SCREENSHOTS", "") not in ("", "0")


def _unavailable(reason: str):
    """Skip (or, under CI, fail) a test that cannot run here."""
    if IN_CI:
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)")
    pytest.skip(reason)


def _pages() -> list[str]:
    """Every page of the build: index.html and book/*.html (relative paths, sorted)."""
    if not HTML.is_dir():
        return []
    found = [p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
             if not p.relative_to(HTML).parts[0].startswith("_")]
    return sorted(p for p in found if p not in SKIP_PAGES)


def _pages_containing(marker: str) -> list[str]:
    return [p for p in _pages() if marker in (HTML / p).read_text(encoding="utf-8", errors="replace")]


def _params(pages: list[str]):
    # an empty list would silently test nothing: one placeholder that skips or fails instead
    return pages or [pytest.param(None, id="no-pages")]


def _need_build(page):
    if page is None:
        _unavailable(f"no built pages in {HTML}: build the book first (make build)")


# ------------------------------------------------------------------ fixtures


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def server():
    """The built book on http://127.0.0.1:<random free port>/, served from a thread."""
    if not HTML.is_dir():
        _unavailable(f"no {HTML}: build the book first (make build)")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, name="book-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the whole module."""
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


class Visit:
    """One page opened in a fresh browser context, with everything that happened on the way."""

    def __init__(self, browser, base: str, name: str, settle: bool = True, mode: str = "light",
                 width: int = 1280):
        self.name = name
        self.base = base
        self.mode = mode
        self.host = urlsplit(base).netloc
        # light: a first visit (nothing stored) with the system in light mode: the theme's default
        # mode, auto, follows the system. dark: the reader chose dark with the theme's switcher,
        # which the theme keeps in localStorage ("mode"), on a system in light mode.
        self.context = browser.new_context(viewport={"width": width, "height": 900}, service_workers="block",
                                           color_scheme="light")
        if mode == "dark":
            self.context.add_init_script("localStorage.setItem('mode', 'dark');")
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.external: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.sizes: dict[str, int] = {}
        page = self.page
        page.route("**/*", self._route)
        page.on("request", self._request)
        page.on("websocket", lambda ws: self._request(ws))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        page.on("requestfinished", self._finished)
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        # settle: wait until the network is idle (late font and image requests are counted too)
        page.goto(f"{base}/{name}", wait_until="networkidle" if settle else "load")
        page.evaluate("document.fonts.ready.then(() => true)")

    def _console(self, message):
        if message.type == "error":
            self.errors.append(f"console {message.type}: {message.text}")

    def _foreign(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme not in ("data", "blob", "about") and parts.netloc != self.host

    def _request(self, request):  # a request, or a web socket
        self.requests.append(request.url)
        if self._foreign(request.url) and request.url not in self.external:
            self.external.append(request.url)

    def _route(self, route):
        if self._foreign(route.request.url):
            route.abort()  # recorded by _request
        else:
            route.continue_()

    def _finished(self, request):
        response = request.response()
        if response is not None and response.status >= 400:
            self.failed.append(f"{request.url}: HTTP {response.status}")
        if urlsplit(request.url).scheme in ("http", "https"):
            self.sizes[request.url] = self.sizes.get(request.url, 0) + request.sizes()["responseBodySize"]

    @property
    def weight(self) -> int:
        """Everything the page loaded (a first visit, cache empty)."""
        return sum(self.sizes.values())

    def shared(self, url: str) -> bool:
        path = urlsplit(url).path.lstrip("/")
        return path.startswith(SHARED_PREFIXES) or path in SHARED_FILES

    @property
    def own(self) -> int:
        """What only this page loads: its HTML, its images... (the shared files are cached)."""
        return sum(n for url, n in self.sizes.items() if not self.shared(url))

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser, server):
    """Open pages for one test; every context is closed at the end."""
    opened: list[Visit] = []

    def open_page(name: str, settle: bool = True, mode: str = "light", width: int = 1280) -> Visit:
        v = Visit(browser, server, name, settle, mode, width)
        opened.append(v)
        return v

    yield open_page
    for v in opened:
        v.close()


def _screenshot_name(page: str, suffix: str = "") -> str:
    # JPEG: a full chapter is ~19,000 px tall, PNG takes twice as long
    return Path(page).stem + suffix + ".jpg"


def _kb(n: int) -> str:
    return f"{n / 1000:,.0f} KB"


def _record_weight(v: Visit, page: str) -> None:
    WEIGHTS.mkdir(parents=True, exist_ok=True)
    row = {"page": page, "own": v.own, "first_visit": v.weight,
           "heaviest_own": sorted(((urlsplit(u).path, n) for u, n in v.sizes.items() if not v.shared(u)),
                                  key=lambda kv: -kv[1])[:3]}
    (WEIGHTS / f"{page.replace('/', '__')}.json").write_text(json.dumps(row) + "\n", encoding="utf-8")


def _rows_since(folder: Path, start: float) -> list[dict]:
    """The rows (one JSON file a page) written into ``folder`` since ``start``: this worker's."""
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return [json.loads(f.read_text(encoding="utf-8")) for f in files if f.stat().st_mtime >= start]


@pytest.fixture(scope="module", autouse=True)
def weight_table():
    """At the end of the module, print the weights of every page measured (pytest -s shows it);
    with pytest-xdist, each worker prints the rows written since it started."""
    start = time.time() - 1
    yield
    rows = _rows_since(WEIGHTS, start)
    if not rows:
        return
    width = max(len(r["page"]) for r in rows)
    lines = [f"\nPage weights (own budget {_kb(OWN_BUDGET)}, first visit {_kb(FIRST_VISIT_BUDGET)}):",
             f"  {'page':<{width}}  {'own':>9}  {'first visit':>11}  heaviest own files"]
    for r in rows:
        heaviest = ", ".join(f"{Path(p).name} {_kb(n)}" for p, n in r["heaviest_own"])
        lines.append(f"  {r['page']:<{width}}  {_kb(r['own']):>9}  {_kb(r['first_visit']):>11}  {heaviest}")
    print("\n".join(lines))


# ------------------------------------------------------------------ the whole book


def test_every_toc_entry_is_built():
    """The tests below run on every page of the build; the build has every page of the toc."""
    import yaml

    if not HTML.is_dir():
        _unavailable(f"no {HTML}: build the book first (make build)")
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    stack = list(toc.get("chapters", []))
    stack += [chapter for part in toc.get("parts", []) for chapter in part.get("chapters", [])]
    while stack:
        entry = stack.pop()
        if "file" in entry:
            files.append(entry["file"])
        stack.extend(entry.get("sections", []))
    missing = [f for f in files if not (HTML / f"{Path(f).with_suffix('')}.html").is_file()]
    assert not missing, f"toc entries without a page in {HTML}: {missing}"
    assert (HTML / "index.html").is_file()


def _page_modes() -> list:
    """Every page in the light theme; in the dark theme, the pages with pictures of their own
    (figures, explorers, animations: what the book draws and colours). The others are the theme's
    text and math alone, the same in every page: the dark theme is checked on the pictures'
    pages, which have all of that too."""
    pictured = {p for m in PICTURES for p in _pages_containing(m)}
    pages = _pages()
    if not pages:  # nothing built: one placeholder that skips or fails instead of testing nothing
        return [pytest.param(None, "light", id="no-pages")]
    return [(p, "light") for p in pages] + [(p, "dark") for p in pages if p in pictured]


@pytest.mark.parametrize(("page", "mode"), _page_modes())
def test_page_is_offline_light_and_clean(visit, page, mode):
    """No request off the machine, no error, no 404, in the light and in the dark theme; within the
    weight budgets; math rendered and legible; icons drawn; in the light visit, the layout fits
    the desktop and the phone (``_check_layout``: one visit a page instead of two)."""
    _need_build(page)
    v = visit(page, mode=mode)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # the first screen (a full-page capture of a chapter takes 2-3 s: only on request)
    suffix = "" if mode == "light" else f"-{mode}"
    v.page.screenshot(path=str(SCREENSHOTS / _screenshot_name(page, suffix)),
                      full_page=FULL_SCREENSHOTS and mode == "light", type="jpeg", quality=75)

    problems = []  # every problem of the page at once (a heavy page may have others too)
    if v.external:
        problems.append(f"requests to other hosts: {v.external}")
    if v.failed:
        problems.append(f"failed requests: {v.failed}")
    if v.errors:
        problems.append(f"errors: {v.errors}")
    theme = v.page.evaluate("() => document.documentElement.dataset.theme")
    if theme != mode:
        problems.append(f"the page shows the {theme!r} theme, not {mode!r}")
    if mode == "light":  # the weights do not depend on the theme: measured once
        _record_weight(v, page)
        own = sorted(((u, n) for u, n in v.sizes.items() if not v.shared(u)), key=lambda kv: -kv[1])
        if v.own > OWN_BUDGET:
            problems.append(f"its own files weigh {v.own:,} bytes (budget {OWN_BUDGET:,}): "
                            + ", ".join(f"{urlsplit(u).path} {n:,}" for u, n in own[:6]))
        if v.weight > FIRST_VISIT_BUDGET:
            kinds = Counter()
            for url, n in v.sizes.items():
                kinds[Path(urlsplit(url).path).suffix.lstrip(".") or "html"] += n
            heaviest = sorted(v.sizes.items(), key=lambda kv: -kv[1])[:6]
            problems.append(f"a first visit loads {v.weight:,} bytes (budget {FIRST_VISIT_BUDGET:,}): "
                            + ", ".join(f"{k} {n:,}" for k, n in kinds.most_common()) + "; heaviest: "
                            + ", ".join(f"{urlsplit(u).path} {n:,}" for u, n in heaviest))
    hints = v.page.evaluate("""() => [...document.querySelectorAll(
            'link[rel~=preconnect], link[rel~=dns-prefetch]')]
        .map(l => l.href).filter(h => new URL(h, location.href).host !== location.host)""")
    if hints:
        problems.append(f"connections to other hosts prepared: {hints}")
    if page == "index.html" and not v.page.url.endswith("/book/intro.html"):  # a redirect to the first page
        problems.append(f"index.html did not lead to book/intro.html but to {v.page.url}")

    # math: every formula rendered by KaTeX, none left as TeX source, none smaller than MIN_LABEL_PX
    math = v.page.evaluate("""(minPx) => {
        const nodes = [...document.querySelectorAll('span.math, div.math')];
        const prose = (document.querySelector('article') || document.body).cloneNode(true);
        prose.querySelectorAll('pre, code, script, style, .katex, .highlight, .cell_output')
            .forEach(e => e.remove());
        const text = prose.textContent;  // closed <details> (exercise solutions) included
        const small = [...document.querySelectorAll('.katex-html *')]  // elements with text of their own
            .filter(e => [...e.childNodes].some(n => n.nodeType === 3
                                                     && n.textContent.replace(/[\\s\\u200b]/g, '')))
            .filter(e => e.getClientRects().length > 0)
            .filter(e => parseFloat(getComputedStyle(e).fontSize) < minPx);
        return {count: nodes.length,
                rendered: nodes.filter(n => n.querySelector('.katex .katex-html')).length,
                errors: document.querySelectorAll('.katex-error').length,
                tex: (text.match(/\\$[^$\\n]*\\\\[a-zA-Z]+[^$\\n]*\\$|\\\\\\(.*?\\\\\\)/g) || []).slice(0, 5),
                small: small.slice(0, 5).map(e => e.textContent.trim() + ' ' + getComputedStyle(e).fontSize),
                smallCount: small.length,
                font: document.fonts.check('16px KaTeX_Main')};
    }""", MIN_LABEL_PX)
    if math["errors"]:
        problems.append(f"{math['errors']} formulas KaTeX could not render")
    if math["rendered"] != math["count"]:
        problems.append(f"{math['count'] - math['rendered']} of {math['count']} formulas not rendered")
    if math["tex"]:
        problems.append(f"TeX source shown instead of math: {math['tex']}")
    if math["count"] and not math["font"]:
        problems.append("the KaTeX fonts did not load")
    if math["smallCount"]:
        problems.append(f"{math['smallCount']} pieces of math smaller than {MIN_LABEL_PX} px: {math['small']}")

    # icons: drawn by the theme's stylesheet with its Font Awesome webfont (book/_static/scripts/
    # fontawesome.js replaces the theme's SVG script: see _config.yml); each shown needs a glyph
    icons = v.page.evaluate("""() => {
        const shown = [...document.querySelectorAll('i[class*="fa-"], span[class*="fa-"]')]
            .filter(e => e.getClientRects().length > 0)
            .map(e => ({cls: e.className, content: getComputedStyle(e, '::before').content,
                        family: getComputedStyle(e).fontFamily}));
        const loaded = [...document.fonts].filter(f => f.status === 'loaded').map(f => f.family);
        return {shown, loaded};
    }""")
    for icon in icons["shown"]:
        glyph = icon["content"].strip('"')
        if icon["content"] in ("none", "normal", '""') or len(glyph) != 1:
            problems.append(f"icon {icon['cls']!r} has no glyph ({icon['content']})")
        elif "Font Awesome" not in icon["family"]:
            problems.append(f"icon {icon['cls']!r} is not drawn with Font Awesome ({icon['family']})")
    if icons["shown"] and not any("Font Awesome" in f for f in icons["loaded"]):
        problems.append(f"the Font Awesome font did not load (fonts loaded: {icons['loaded']})")
    if mode == "light":  # last: it resizes the window to a phone's
        before = len(v.errors)
        problems += _check_layout(v, page)
        if v.errors[before:]:
            problems.append(f"errors at the phone width: {v.errors[before:]}")
    assert not problems, f"{page} ({mode}):\n  " + "\n  ".join(problems)


def test_theme_switcher_changes_the_theme(visit):
    """The theme's own light/dark switcher works: each click moves to the next mode (auto, then
    light or dark, ...), the page follows, and nothing is logged as an error."""
    if "book/intro.html" not in _pages():
        _unavailable(f"no {HTML}/book/intro.html: build the book first (make build)")
    v = visit("book/intro.html")
    seen = []
    for _ in range(3):
        v.page.locator("button.theme-switch-button:visible").first.click()
        seen.append(v.page.evaluate("() => [document.documentElement.dataset.mode, "
                                    "document.documentElement.dataset.theme]"))
    assert {mode for mode, _ in seen} == {"auto", "light", "dark"}, seen
    assert {theme for _, theme in seen} == {"light", "dark"}, seen
    assert not v.errors, v.errors


def test_display_math_scrolls_on_a_phone(visit):
    """At 390 px a formula wider than the column scrolls sideways instead of being cut off at the
    left (book/_static/convtutor.css against the theme's flex layout of div.math). The cheat sheet
    has the widest display math of the book."""
    if "book/cheatsheet.html" not in _pages():
        _unavailable(f"no {HTML}/book/cheatsheet.html: build the book first (make build)")
    v = visit("book/cheatsheet.html", width=390)
    math = v.page.evaluate("""() => [...document.querySelectorAll('div.math')].map(d => {
        const html = d.querySelector('.katex-display .katex-html');
        if (!html) return null;
        const box = d.getBoundingClientRect(), r = html.getBoundingClientRect();
        return {cut: r.left < box.left - 1 || r.right > box.right + 1,
                scrolls: html.scrollWidth > html.clientWidth + 1};
    }).filter(m => m)""")
    assert math, "no display math on the cheat sheet"
    assert not [m for m in math if m["cut"]], f"display math cut off at 390 px: {math}"
    assert any(m["scrolls"] for m in math), "no formula is wider than a phone: this test checks nothing"


def test_copy_buttons_copy_code_without_prompts(visit):
    """sphinx_copybutton: a button on every code cell and code block, none on outputs; a docstring
    example is copied without its >>> and ... prompts, ready to paste."""
    pages = [p for p in _pages() if p.startswith("book/0")]
    if not pages or "book/api_convolution.html" not in _pages():
        _unavailable(f"no chapters in {HTML}: build the book first (make build)")
    v = visit(pages[0])
    counts = v.page.evaluate("""() => ({
        inputs: document.querySelectorAll('.cell_input div.highlight').length,
        inputButtons: document.querySelectorAll('.cell_input div.highlight button.copybtn').length,
        outputButtons: document.querySelectorAll('.cell_output button.copybtn').length})""")
    assert counts["inputs"] and counts["inputButtons"] == counts["inputs"], counts
    assert counts["outputButtons"] == 0, counts
    api = visit("book/api_convolution.html")
    api.context.grant_permissions(["clipboard-read", "clipboard-write"])
    block = api.page.locator("div.doctest div.highlight").first
    expected = block.evaluate("""b => b.querySelector('pre').innerText.split('\\n')
        .filter(line => line.startsWith('>>> ') || line.startsWith('... '))
        .map(line => line.slice(4)).join('\\n')""")
    block.hover()
    block.locator("button.copybtn").click()
    copied = api.page.evaluate("() => navigator.clipboard.readText()")
    assert copied.strip() == expected.strip() and ">>>" not in copied, (copied, expected)
    assert not v.errors and not api.errors, (v.errors, api.errors)


def test_no_page_carries_widget_state():
    """The book loads no ipywidgets manager (nb_ipywidgets_js: {}), so widget state in a page is
    dead weight: book/_ext/convtutor_build.py drops it. This fails when that stops working (a new
    myst-nb, for instance) while a notebook still holds widget state."""
    if not HTML.is_dir():
        _unavailable(f"no {HTML}: build the book first (make build)")
    marker = 'type="application/vnd.jupyter.widget-state+json"'
    carrying = [p for p in _pages() if marker in (HTML / p).read_text(encoding="utf-8", errors="replace")]
    assert not carrying, f"pages with ipywidgets state: {carrying}"


# ------------------------------------------------------------------ layout


# What scrolls sideways at the desktop width. Closed <details> (exercise solutions) are opened
# first: what a reader opens must fit too.
WIDE_AT_DESKTOP = """([code, outputs]) => {
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    const wide = e => e.getClientRects().length > 0 && e.scrollWidth > e.clientWidth + 1;
    const blocks = [...document.querySelectorAll(code)].filter(e => !e.closest(outputs));
    const wideBlocks = blocks.filter(wide);
    const boxes = [...document.querySelectorAll(outputs)];
    const wideBoxes = boxes.filter(box => [box, ...box.querySelectorAll('.output, pre, table, div')]
        .some(wide));
    const describe = e => (e.textContent || '').trim().split('\\n')[0].slice(0, 60)
        + ` (${e.scrollWidth}px in ${e.clientWidth}px)`;
    return {code: blocks.length, codeWide: wideBlocks.length, outputs: boxes.length,
            outputsWide: wideBoxes.length, examples: wideBlocks.slice(0, 3).map(describe)};
}"""

# What does not fit a phone: explorers and figures clipped (by the viewport or by an ancestor
# that hides or scrolls its overflow) or wider than the viewport; raster animation frames.
CLIPPED_ON_PHONE = """([explorers, figures, players]) => {
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    const vw = document.documentElement.clientWidth;
    const clipped = e => {
        const r = e.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) return false;  // not shown
        if (r.width > vw + 1 || r.left < -1 || r.right > vw + 1) return true;
        if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible') return true;
        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
            const style = getComputedStyle(a);
            if (style.overflowX === 'visible') continue;
            const box = a.getBoundingClientRect();
            const inner = box.left + a.clientLeft + a.clientWidth;
            if (r.left < box.left + a.clientLeft - 1 || r.right > inner + 1) return true;
        }
        return false;
    };
    const article = document.querySelector('article') || document.body;
    const roots = [...article.querySelectorAll(explorers)];
    const figs = [...article.querySelectorAll(figures)].filter(e =>
        !e.closest(explorers) && !e.closest('.katex, button, a.headerlink')
        && !(e.tagName.toLowerCase() === 'svg' && e.parentElement.closest('svg')));
    const frames = [...document.querySelectorAll('script')]
        .map(s => (s.textContent.match(/data:image\\/(png|jpeg|gif|webp)/g) || []).length)
        .reduce((a, b) => a + b, 0);
    const name = e => (e.getAttribute('alt') || e.getAttribute('data-convtutor-explorer')
        || e.tagName.toLowerCase()) + ` ${Math.round(e.getBoundingClientRect().width)}px`;
    const clippedRoots = roots.filter(clipped), clippedFigs = figs.filter(clipped);
    return {explorers: roots.length, explorersClipped: clippedRoots.length,
            figures: figs.length, figuresClipped: clippedFigs.length,
            players: document.querySelectorAll(players).length, frames,
            pageWider: document.documentElement.scrollWidth > vw + 1,
            examples: clippedRoots.concat(clippedFigs).slice(0, 4).map(name)};
}"""


def _record_layout(page: str, row: dict) -> None:
    LAYOUT.mkdir(parents=True, exist_ok=True)
    (LAYOUT / f"{page.replace('/', '__')}.json").write_text(json.dumps({"page": page, **row}) + "\n",
                                                            encoding="utf-8")


@pytest.fixture(scope="module", autouse=True)
def layout_table():
    """At the end of the module, print the layout counts of every page checked (pytest -s)."""
    start = time.time() - 1
    yield
    rows = _rows_since(LAYOUT, start)
    if not rows:
        return
    width = max(len(r["page"]) for r in rows)
    lines = [f"\nLayout (target 0 in every column but the totals; at {DESKTOP_WIDTH} px: code blocks and "
             f"output boxes that scroll sideways; at {PHONE['width']} px: explorers and figures clipped "
             "or too wide; raster animation players and frames):",
             f"  {'page':<{width}}  {'code wide':>12}  {'outputs wide':>12}  {'explorers':>10}  "
             f"{'figures':>10}  {'players':>7}  {'frames':>6}  page wider at {PHONE['width']}"]
    for r in rows:
        lines.append(f"  {r['page']:<{width}}  {r['codeWide']:>5} / {r['code']:<4}  "
                     f"{r['outputsWide']:>5} / {r['outputs']:<4}  {r['explorersClipped']:>3} / {r['explorers']:<4}  "
                     f"{r['figuresClipped']:>3} / {r['figures']:<4}  {r['players']:>7}  {r['frames']:>6}  "
                     f"{'yes' if r['pageWider'] else 'no'}")
    print("\n".join(lines))


def _check_layout(v: Visit, page: str) -> list[str]:
    """Nothing scrolls sideways at the desktop width, nothing is clipped on a phone, and no
    animation is made of raster frames. Leaves the page at the phone's width."""
    v.page.set_viewport_size({"width": DESKTOP_WIDTH, "height": 900})
    desktop = v.page.evaluate(WIDE_AT_DESKTOP, [CODE_BLOCKS, OUTPUT_BOXES])
    v.page.set_viewport_size(PHONE)
    v.page.wait_for_timeout(300)  # the layout and the explorers' resize handlers
    phone = v.page.evaluate(CLIPPED_ON_PHONE, [EXPLORER_ROOTS, FIGURES, RASTER_PLAYERS])
    # on the phone: the first screen, and the first explorer (where clipping shows)
    v.page.screenshot(path=str(SCREENSHOTS / _screenshot_name(page, f"-{PHONE['width']}")), type="jpeg",
                      quality=70)
    if phone["explorers"]:
        v.page.locator(EXPLORER_ROOTS).first.screenshot(
            path=str(SCREENSHOTS / _screenshot_name(page, f"-{PHONE['width']}-explorer")), type="jpeg", quality=70)
    row = {k: desktop[k] for k in ("code", "codeWide", "outputs", "outputsWide")}
    row.update({k: phone[k] for k in ("explorers", "explorersClipped", "figures", "figuresClipped", "players",
                                      "frames", "pageWider")})
    _record_layout(page, row)

    # (counts, what is wrong, out of, described as, at this width)
    rules = [(desktop, "codeWide", "code", "code blocks scroll sideways", DESKTOP_WIDTH),
             (desktop, "outputsWide", "outputs", "outputs scroll sideways", DESKTOP_WIDTH),
             (phone, "explorersClipped", "explorers", "explorers clipped or too wide", PHONE["width"]),
             (phone, "figuresClipped", "figures", "figures clipped or too wide", PHONE["width"])]
    problems = [f"{seen[bad]} of {seen[total]} {what} at {width} px"
                for seen, bad, total, what, width in rules if seen[bad]]
    problems += [f"for example: {seen['examples']}" for seen in (desktop, phone) if seen["examples"]]
    if phone["players"] or phone["frames"]:
        problems.append(f"{phone['players']} raster animation players, {phone['frames']} raster frames "
                        "(the book's animations are the explorer's SVG player)")
    return problems


# ------------------------------------------------------------------ explorers


# For each explorer, apply a list of slider settings and return what the page shows after each.
DRIVE = """([index, settings]) => {
    const hash = (text) => {  // FNV-1a, to compare pictures without sending them back
        let h = 0x811c9dc5;
        for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
        return h.toString(16) + ':' + text.length;
    };
    const root = document.querySelectorAll('[data-convtutor-explorer]')[index];
    const sliders = [...root.querySelectorAll('input[type=range][data-param]')];
    const observed = [];
    for (const setting of settings) {
        // output_padding last: its range depends on stride and dilation
        const ordered = sliders.filter(s => s.dataset.param !== 'output_padding')
            .concat(sliders.filter(s => s.dataset.param === 'output_padding'));
        for (const s of ordered) {
            if (!(s.dataset.param in setting) || s.value === String(setting[s.dataset.param])) continue;
            s.value = String(setting[s.dataset.param]);
            s.dispatchEvent(new Event('input', {bubbles: true}));
        }
        const svg = root.querySelector('svg');
        const kinds = {};
        svg.querySelectorAll('rect[data-kind]').forEach(r => {
            kinds[r.dataset.kind] = (kinds[r.dataset.kind] || 0) + 1;
        });
        observed.push({
            values: Object.fromEntries(sliders.map(s => [s.dataset.param, parseInt(s.value, 10)])),
            svg: hash(svg.outerHTML),
            kinds: kinds,
            outputs: svg.querySelectorAll('rect[data-current]').length,
            current: svg.querySelectorAll('rect[data-current="1"]').length,
            size: (root.querySelector('[data-output-size]') || {}).textContent,
            parameters: (root.querySelector('[data-parameters]') || {}).textContent,
            macs: (root.querySelector('[data-macs]') || {}).textContent,
            message: (root.querySelector('[data-message]') || {}).textContent,
        });
    }
    return observed;
}"""


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _expected(kind: str, v: dict) -> dict:
    """What convtutor says about one slider setting: output size, grid cell kinds, counts; or the error."""
    i, k = v["input"], v["kernel"]
    s, p, d = v.get("stride", 1), v.get("padding", 0), v.get("dilation", 1)
    cin, cout, g = v.get("in_channels", 1), v.get("out_channels", 1), v.get("groups", 1)
    try:
        if kind == "transposed":
            o = ct.conv_transpose_output_size(i, k, s, p, v.get("output_padding", 0), d)
            geo = transposed_geometry((i, i), (k, k), s, p, v.get("output_padding", 0), d)
            macs = ct.arithmetic.conv_transpose_macs(cin, cout, k, (i, i), g)
        else:
            o = ct.conv_output_size(i, k, s, p, d)
            geo = conv_geometry((i, i), (k, k), s, p, d)
            macs = ct.arithmetic.conv_macs(cin, cout, k, (o, o), g)
        parameters = ct.arithmetic.conv_parameters(cin, cout, k, g)
    except ValueError as exc:
        return {"error": str(exc)}
    assert geo.output_size == (o, o)
    return {"output": o, "kinds": dict(Counter(geo.grid_kind.ravel().tolist())),
            "parameters": parameters, "macs": macs}


def _settings(rng: random.Random, params: list[dict], count: int) -> list[dict]:
    """Random slider settings, moved as a reader moves them: the first jumps every slider, then
    mostly one slider at a time, sometimes two, now and then all of them (each slider moved is one
    redraw: a large transposed picture takes a few tenths of a second). With channel sliders,
    groups mostly divides both channel counts (most random triples are invalid)."""
    ranges = {p["name"]: (p["min"], p["max"]) for p in params}
    out = []
    for n in range(count):
        setting = {name: rng.randint(lo, hi) for name, (lo, hi) in ranges.items()}
        if {"in_channels", "out_channels", "groups"} <= set(ranges) and rng.random() < 0.7:
            common = math.gcd(setting["in_channels"], setting["out_channels"])
            lo, hi = ranges["groups"]
            divisors = [g for g in range(max(lo, 1), min(hi, common) + 1) if common % g == 0]
            if divisors:
                setting["groups"] = rng.choice(divisors)
        elif n:
            draw = rng.random()
            moved = 1 if draw < 0.7 else 2 if draw < 0.9 else len(ranges)
            setting = {name: setting[name] for name in rng.sample(list(ranges), min(moved, len(ranges)))}
        out.append(setting)
    return out


def _current_cell(page, index: int):
    return page.evaluate("""(i) => {
        const root = document.querySelectorAll('[data-convtutor-explorer]')[i];
        const r = root.querySelector('rect[data-current="1"]');
        return r ? [r.getAttribute('x'), r.getAttribute('y')] : null;
    }""", index)


def _check_explorers(v: Visit, page: str) -> int:
    """Every explorer of the page: sliders exist with ranges; random settings redraw the picture and
    match convtutor's numbers; play and step move the highlighted output cell."""
    roots = v.page.locator("[data-convtutor-explorer]")
    described = roots.evaluate_all("""roots => roots.map(r => ({
        kind: r.dataset.convtutorExplorer, ready: r.dataset.ready, config: r.dataset.config,
        sliders: [...r.querySelectorAll('input[type=range][data-param]')]
            .map(s => ({name: s.dataset.param, min: s.getAttribute('min'),
                        max: s.getAttribute('max')}))}))""")
    for index, info in enumerate(described):
        root = roots.nth(index)
        kind = info["kind"]
        where = f"{page}, explorer {index} ({kind})"
        assert info["ready"] == "true", f"{where}: the script did not start"
        config = json.loads(info["config"])
        assert [s["name"] for s in info["sliders"]] == [p["name"] for p in config["params"]] != [], (
            f"{where}: sliders {info['sliders']} for parameters {config['params']}")
        for slider in info["sliders"]:
            lo, hi = slider["min"], slider["max"]
            assert lo is not None and hi is not None and int(lo) <= int(hi), f"{where}: slider {slider}"

        rng = random.Random(f"{page}:{index}")
        settings = _settings(rng, config["params"], SETTINGS_PER_EXPLORER)
        initial = {p["name"]: p["value"] for p in config["params"]}
        observed = v.page.evaluate(DRIVE, [index, settings + [initial]])
        previous = None
        pictures = set()
        valid = 0
        for seen in observed:
            values = seen["values"]
            expect = _expected(kind, values)
            label = f"{where}, sliders {values}"
            if "error" in expect:
                assert seen["message"].strip(), (
                    f"{label}: convtutor says {expect['error']!r}, the page shows no message")
                assert seen["outputs"] == 0, f"{label}: an impossible layer still draws an output"
                continue
            valid += 1
            assert not seen["message"].strip(), f"{label}: unexpected message {seen['message']!r}"
            sizes = re.findall(r"\d+", seen["size"])
            o = expect["output"]
            assert sizes == [str(o), str(o)], f"{label}: page shows {seen['size']!r}, convtutor {o} x {o}"
            assert seen["outputs"] == o * o and seen["current"] == 1, (
                f"{label}: {seen['outputs']} output cells drawn, convtutor says {o} x {o}")
            assert seen["kinds"] == expect["kinds"], (
                f"{label}: grid cells {seen['kinds']}, convtutor {expect['kinds']}")
            assert _number(re.search(r"[\d,]+", seen["parameters"]).group()) == expect["parameters"], label
            assert _number(re.search(r"[\d,]+", seen["macs"]).group()) == expect["macs"], label
            pictures.add(seen["svg"])
            if previous is not None and (previous[0] != o or previous[1] != expect["kinds"]):
                assert seen["svg"] != previous[2], f"{label}: the layer changed but the picture did not"
            previous = (o, expect["kinds"], seen["svg"])
        assert valid >= 2 and len(pictures) >= 2, f"{where}: the sliders never changed the picture"

        # back at the starting values (the last setting): play and step move the highlighted cell
        last = observed[-1]
        assert "error" not in _expected(kind, last["values"]), f"{where}: the starting layer is impossible"
        if last["outputs"] < 2:
            continue  # a single output cell: nothing to move
        # (buttons are pressed with a DOM click event: the same handler, without playwright's
        # scrolling and waiting for the element to stand still)
        before = _current_cell(v.page, index)
        root.locator("[data-action=step]").dispatch_event("click")
        after_step = _current_cell(v.page, index)
        assert after_step != before, f"{where}: step did not move the output cell"
        root.locator("[data-action=play]").dispatch_event("click")
        assert root.get_attribute("data-playing") == "true", f"{where}: play did not start"
        deadline = time.monotonic() + 5
        while _current_cell(v.page, index) == after_step and time.monotonic() < deadline:
            v.page.wait_for_timeout(50)
        assert _current_cell(v.page, index) != after_step, f"{where}: playing did not move the output cell"
        root.locator("[data-action=play]").dispatch_event("click")
        assert root.get_attribute("data-playing") == "false", f"{where}: pause did not stop"
    return roots.count()


# ------------------------------------------------------------------ animations


def _check_animations(v: Visit, page: str) -> int:
    """Every animation of the page (a player of the explorer engine) started, has two frames or
    more, and its step and back buttons move the highlighted cell; the first also plays."""
    players = v.page.locator("[data-convtutor-player]")

    def current(root):
        return root.evaluate("""r => { const c = r.querySelector('rect[data-current="1"]');
            return c ? (c.dataset.out || c.dataset.in) : null; }""")

    for index in range(players.count()):
        root = players.nth(index)
        where = f"{page}, animation {index} ({root.get_attribute('data-convtutor-player')})"
        assert root.get_attribute("data-ready") == "true", f"{where}: the script did not start"
        frames = int(root.locator("input[data-role=scrub]").get_attribute("max")) + 1
        assert frames >= 2, f"{where}: {frames} frame"
        first = current(root)
        assert first is not None, f"{where}: no current cell drawn"
        root.locator("[data-action=step]").dispatch_event("click")
        second = current(root)
        assert second != first, f"{where}: the step button did not move the current cell"
        root.locator("[data-action=back]").dispatch_event("click")
        assert current(root) == first, f"{where}: back did not return to the first frame"
        if index:   # playing (a timer: most of this check's time) once a page; the engine's own
            continue  # test (test_browser_explorer.py) plays every kind of player
        root.locator("[data-action=play]").dispatch_event("click")
        assert root.get_attribute("data-playing") == "true", f"{where}: play did not start"
        deadline = time.monotonic() + 5
        while current(root) == first and time.monotonic() < deadline:
            v.page.wait_for_timeout(25)
        assert current(root) != first, f"{where}: playing did not move the current cell"
        root.locator("[data-action=play]").dispatch_event("click")
        assert root.get_attribute("data-playing") == "false", f"{where}: the second press did not pause"
    return players.count()


# as elements (a docstring that shows the markup, as in the API page, has it escaped: &lt;div)
INTERACTIVE = ("<div data-convtutor-explorer=", "<div data-convtutor-player=")


@pytest.mark.parametrize("page", _params(sorted({p for m in INTERACTIVE for p in _pages_containing(m)})))
def test_explorers_and_animations_work(visit, page):
    """The kernel-free explorers agree with the package and their buttons move the picture; the
    animations (players) step, go back and play; no error meanwhile."""
    _need_build(page)
    v = visit(page, settle=False)
    explorers = _check_explorers(v, page)
    animations = _check_animations(v, page)
    assert explorers + animations > 0, f"{page}: its explorers or animations were not rendered"
    assert not v.errors, f"{page} logged errors while driving its explorers and animations: {v.errors}"


def test_search_works(visit):
    """The search box (its scripts and index load on the search page only) finds the chapters."""
    if "book/intro.html" not in _pages():
        _unavailable(f"no {HTML}/book/intro.html: build the book first (make build)")
    v = visit("book/intro.html", settle=False)
    v.page.keyboard.press("Control+k")
    field = v.page.locator("#pst-search-dialog input[name=q]")
    field.fill("stride")
    field.press("Enter")
    v.page.wait_for_url("**/search.html?q=stride*")
    results = v.page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=10_000)
    assert results.count() >= 1
    assert not v.external and not v.failed and not v.errors, (v.external, v.failed, v.errors)


def test_the_book_has_explorers_and_animations():
    """The interactive tests above must have something to test."""
    if not HTML.is_dir():
        _unavailable(f"no {HTML}: build the book first (make build)")
    assert _pages_containing(INTERACTIVE[0]), "no page of the book has a kernel-free explorer"
    assert _pages_containing(INTERACTIVE[1]), "no page of the book has an animation"
