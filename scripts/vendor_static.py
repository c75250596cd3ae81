"""Write the vendored files of book/_static/ that keep the HTML book offline and light.

Usage:  .venv/bin/python scripts/vendor_static.py katex
        .venv/bin/python scripts/vendor_static.py theme [BUILT_HTML_DIR]   (default _build/html)

Run it only to change or upgrade these files; the book build does not run it (its outputs are
committed). The browser test (tests/test_browser.py) checks the result on every page.

* ``katex``: the math is rendered to HTML at build time by sphinxcontrib-katex (node, no
  browser script); pages then need KaTeX's stylesheet and fonts, which would otherwise come
  from a CDN. Writes ``book/_static/katex/``: ``katex.min.css`` with only the woff2 sources
  (every browser that runs the book reads woff2, so the woff/ttf files are not shipped),
  ``fonts/*.woff2`` and KaTeX's MIT ``LICENSE``. The version is the one
  sphinxcontrib-katex renders with (its ``katex_version``), fetched with ``npm pack``.

* ``theme``: pydata-sphinx-theme (under sphinx-book-theme) makes every page load about 1.9 MB
  before any content: ``scripts/fontawesome.js`` (1.5 MB, every Font Awesome icon as SVG) and
  ``styles/pydata-sphinx-theme.css`` (397 KB: Bootstrap, all 1,900 Font Awesome icon rules, the
  theme). Files in ``html_static_path`` override the theme's files of the same name, so this
  writes into ``book/_static/``:

  - ``scripts/fontawesome.js``: a stub. The theme's stylesheet draws the same icons with the
    Font Awesome webfont;
  - ``vendor/fontawesome/webfonts/fa-solid-900.woff2``, ``fa-regular-400.woff2``: subsets of the
    theme's fonts (156 KB + 25 KB) with only the icons in ``ICONS``; ``subset.json`` lists them;
  - ``styles/pydata-sphinx-theme.css``: the theme's stylesheet without the rules that cannot
    match this book: icon rules not in ``ICONS``, and rules whose selectors all name a class
    that appears nowhere in the theme's templates, Python and scripts, in the extensions'
    scripts, or in the built pages of BUILT_HTML_DIR (build the whole book first), except
    classes that scripts compose at run time (``SAFE``).

  The theme version is pinned in requirements.txt: rerun this after upgrading it. Needs
  ``fonttools`` and ``brotli`` (``pip install fonttools brotli``; not a book requirement).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "book" / "_static"

# Every icon the two themes can show with this book's configuration (header buttons, navbar,
# sidebars, search, theme switcher, back-to-top, prev/next, download menu, fullscreen) plus a
# few spares. A name not in the theme's stylesheet is an error.
ICONS = [
    "angle-left", "angle-right", "arrow-up", "bars", "chevron-down", "chevron-left", "chevron-right",
    "circle-half-stroke", "code", "compress", "download", "expand", "file", "file-code", "file-lines",
    "file-pdf", "home", "house", "lightbulb", "list", "magnifying-glass", "moon", "outdent", "pencil",
    "pencil-alt", "play", "rocket", "sun", "xmark", "link", "copy", "check", "circle-info",
    "triangle-exclamation", "square-arrow-up-right", "arrow-up-right-from-square",
]

# Classes that scripts build at run time from pieces (Bootstrap's tooltips, popovers, dropdowns,
# transitions, validation...), or that the theme's own stylesheet relies on: rules naming them
# are always kept.
SAFE = re.compile(r"tooltip|popover|dropdown|collaps|fade|show|active|disabled|modal|offcanvas|focus|"
                  r"visually-hidden|was-validated|valid|bd-|pst-|sbt-|navbar|nav-|btn|"
                  r"^fa$|^fa-(solid|regular|brands)|^fa-(lg|fw|xs|sm|xl|[0-9]?x)")


def _theme_dir() -> Path:
    import pydata_sphinx_theme

    return Path(pydata_sphinx_theme.__file__).parent


def _theme_static() -> Path:
    return _theme_dir() / "theme" / "pydata_sphinx_theme" / "static"


# ---------------------------------------------------------------------------------------- KaTeX


def vendor_katex() -> None:
    from sphinxcontrib import katex as sk

    version = sk.katex_version
    out = STATIC / "katex"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", f"katex@{version}"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        with tarfile.open(Path(tmp) / f"katex-{version}.tgz") as tar:
            tar.extractall(tmp, filter="data")
        pkg = Path(tmp) / "package"
        if out.exists():
            shutil.rmtree(out)
        (out / "fonts").mkdir(parents=True)
        css = (pkg / "dist" / "katex.min.css").read_text(encoding="utf-8")
        # keep only the woff2 source of each @font-face
        css, n = re.subn(r'(url\(fonts/[^)]+\.woff2\) format\("woff2"\)),url\([^)]+\) format\("woff"\),'
                         r'url\([^)]+\) format\("truetype"\)', r"\1", css)
        if n == 0 or ".woff)" in css or ".ttf)" in css:
            raise SystemExit("katex.min.css: unexpected @font-face layout, update vendor_katex()")
        (out / "katex.min.css").write_text(css, encoding="utf-8")
        for font in sorted((pkg / "dist" / "fonts").glob("*.woff2")):
            shutil.copy2(font, out / "fonts" / font.name)
        shutil.copy2(pkg / "LICENSE", out / "LICENSE")
    size = sum(f.stat().st_size for f in out.rglob("*"))
    print(f"KaTeX {version}: {out.relative_to(ROOT)} ({size // 1024} KB)")


# ---------------------------------------------------------------------------------------- CSS


def _block_end(css: str, start: int) -> int:
    """Index just after the ``}`` closing the block whose ``{`` is at ``start``."""
    depth, i, quote = 0, start, None
    while i < len(css):
        c = css[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif css.startswith("/*", i):
            i = css.index("*/", i + 2) + 1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced braces in the stylesheet")


def _split_selectors(prelude: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for c in prelude:
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        if c == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += c
    return out + [cur]


def _required_classes(selector: str) -> list[str]:
    """Classes an element chain must carry for ``selector`` to match (arguments of functional
    pseudo-classes such as ``:not(.x)`` are left out: they may match without the class)."""
    s = re.sub(r"\[[^\]]*\]", "", selector)
    while True:
        t = re.sub(r":[\w-]+\([^()]*\)", "", s)
        if t == s:
            break
        s = t
    return re.findall(r"\.(-?[_a-zA-Z][\w-]*)", s)


def _prune(css: str, used: set[str], dead_icon) -> str:
    """The stylesheet without the selectors that cannot match (recursing into @media/@supports)."""
    out, i = [], 0
    while i < len(css):
        if css[i].isspace():
            out.append(css[i])
            i += 1
            continue
        if css.startswith("/*", i):
            j = css.index("*/", i + 2) + 2
            out.append(css[i:j])
            i = j
            continue
        brace, semi = css.find("{", i), css.find(";", i)
        if css[i] == "@" and (brace < 0 or 0 <= semi < brace):  # @charset, @import...
            out.append(css[i:semi + 1])
            i = semi + 1
            continue
        end = _block_end(css, brace)
        prelude, body = css[i:brace], css[brace:end]
        if prelude.startswith(("@media", "@supports", "@container", "@layer")):
            inner = _prune(body[1:-1], used, dead_icon)
            if inner.strip():
                out.append(prelude + "{" + inner + "}")
        elif prelude.startswith("@"):  # @font-face, @keyframes, @page...
            out.append(prelude + body)
        else:
            alive = [sel for sel in _split_selectors(prelude)
                     if not dead_icon(sel)
                     and all(c in used or SAFE.search(c) for c in _required_classes(sel))]
            if alive:
                out.append(",".join(alive) + body)
        i = end
    return "".join(out)


def _used_words(built: Path) -> set[str]:
    """Every word that could be a class name: in the built pages and their scripts, and in the
    templates, Python and scripts of the themes, Sphinx, docutils and the extensions (so a class
    that later content makes them write, an admonition type for instance, is kept too)."""
    import importlib

    sources = [built.rglob("*.html"), built.rglob("*.js")]
    for name in ("pydata_sphinx_theme", "sphinx_book_theme", "sphinx", "docutils", "myst_parser", "myst_nb",
                 "sphinxcontrib.bibtex", "sphinxcontrib.katex", "sphinx_togglebutton", "sphinx_copybutton",
                 "jupyter_book", "sphinx_external_toc", "sphinx_design", "pygments"):
        folder = Path(importlib.import_module(name).__file__).parent
        sources += [folder.rglob("*.py"), folder.rglob("*.html"), folder.rglob("*.js")]
    words: set[str] = set()
    for files in sources:
        for f in files:
            if f.name.endswith(".map") or f.name == "fontawesome.js":
                continue
            words.update(re.findall(r"[A-Za-z_][\w-]*", f.read_text(encoding="utf-8", errors="replace")))
    return words


def _codepoints(css: str) -> dict[str, int]:
    """Icon name -> code point, from the theme stylesheet's ``.fa-NAME:before{content:"\\fXXX"}`` rules."""
    points = {}
    for selectors, code in re.findall(r'([^{}]+)\{content:"\\([0-9a-f]+)"\}', css):
        for name in re.findall(r"\.fa-([a-z0-9-]+):before", selectors):
            points.setdefault(name, int(code, 16))
    return points


def vendor_theme(built: Path) -> None:
    import pydata_sphinx_theme
    from fontTools import subset

    if not (built / "book").is_dir():
        raise SystemExit(f"{built}: build the whole book first (its pages tell which classes are used)")
    theme = _theme_static()
    css = (theme / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    points = _codepoints(css)
    missing = [name for name in ICONS if name not in points]
    if missing:
        raise SystemExit(f"icons not in the theme's stylesheet: {missing}")
    keep = sorted({points[name] for name in ICONS})

    fonts = STATIC / "vendor" / "fontawesome" / "webfonts"
    fonts.mkdir(parents=True, exist_ok=True)
    for name in ("fa-solid-900", "fa-regular-400"):
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = ["*"]
        font = subset.load_font(str(theme / "vendor" / "fontawesome" / "webfonts" / f"{name}.woff2"), options)
        sub = subset.Subsetter(options)
        sub.populate(unicodes=keep)
        sub.subset(font)
        subset.save_font(font, str(fonts / f"{name}.woff2"), options)
        size = (fonts / f"{name}.woff2").stat().st_size
        print(f"{name}.woff2: {size} bytes, {len(font.getGlyphOrder())} glyphs")
    (fonts / "subset.json").write_text(json.dumps(
        {"icons": {name: f"{points[name]:x}" for name in ICONS}, "codepoints": [f"{c:x}" for c in keep]},
        indent=1) + "\n", encoding="utf-8")
    licence = theme / "scripts" / "fontawesome.js.LICENSE.txt"
    shutil.copy2(licence, fonts / "LICENSE.txt")

    icon_names = set(points)

    def dead_icon(selector: str) -> bool:
        names = re.findall(r"\.fa-([a-z0-9-]+):+before", selector)
        return any(n in icon_names and n not in ICONS for n in names)

    used = _used_words(built)
    body = re.sub(r"/\*# sourceMappingURL=[^*]*\*/\s*$", "", css)
    charset = '@charset "UTF-8";'
    if body.startswith(charset):
        body = body[len(charset):]
    trimmed = _prune(body, used, dead_icon)
    header = (f"{charset}\n/* pydata-sphinx-theme {pydata_sphinx_theme.__version__} stylesheet, without the "
              "rules that cannot match in this book: written by scripts/vendor_static.py (licences: "
              "Bootstrap MIT, Font Awesome Free CC BY 4.0 / OFL 1.1, pydata-sphinx-theme BSD-3-Clause) */\n")
    out_css = STATIC / "styles" / "pydata-sphinx-theme.css"
    out_css.parent.mkdir(parents=True, exist_ok=True)
    out_css.write_text(header + trimmed, encoding="utf-8")
    print(f"pydata-sphinx-theme.css: {len(css)} -> {len(header + trimmed)} bytes")

    stub = STATIC / "scripts" / "fontawesome.js"
    stub.parent.mkdir(parents=True, exist_ok=True)
    stub.write_text(
        "/* convtutor: replaces pydata-sphinx-theme's 1.5 MB Font Awesome SVG bundle. The icons are\n"
        "   drawn by the theme's stylesheet with the Font Awesome Free webfont (subset in\n"
        "   ../vendor/fontawesome/webfonts/, fonts under the SIL OFL 1.1, icons CC BY 4.0,\n"
        "   https://fontawesome.com/license/free). Written by scripts/vendor_static.py. */\n",
        encoding="utf-8")


def main(argv: list[str]) -> None:
    what = argv[0] if argv else ""
    if what == "katex":
        vendor_katex()
    elif what == "theme":
        vendor_theme(Path(argv[1]) if len(argv) > 1 else ROOT / "_build" / "html")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
