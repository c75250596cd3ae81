"""The book build's few workarounds against its libraries: each fails here, loudly, when the
library it was written for changes, so that it is updated or, better, removed.

* book/_static/scripts/fontawesome.js stands in for pydata-sphinx-theme 0.17.1's 1.5 MB Font
  Awesome script (pydata/pydata-sphinx-theme#2379); the theme's stylesheet draws the icons.
* book/_static/katex/ (KaTeX's stylesheet and fonts) must be the KaTeX version whose script
  sphinxcontrib-katex 0.9.11 bundles and serves.
* book/_ext/convtutor_build.py drops ipywidgets state from the pages through myst-nb 1.4.0's
  internals; scripts/execute_notebooks.py stores none in the notebooks.

No browser, no network: these read the installed packages and build a one-notebook book.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "book" / "_static"
REQUIREMENTS = (ROOT / "requirements.txt").read_text(encoding="utf-8")


def _pinned(package: str) -> str:
    match = re.search(rf"^{re.escape(package)}==([^\s#]+)", REQUIREMENTS, re.M | re.I)
    assert match, f"requirements.txt must pin {package} with == (a workaround depends on its internals)"
    return match.group(1)


@pytest.mark.parametrize("package", ["pydata-sphinx-theme", "sphinx-book-theme", "sphinxcontrib-katex",
                                     "myst-nb"])
def test_the_installed_version_is_the_pinned_one(package):
    assert importlib.metadata.version(package) == _pinned(package), (
        f"{package} {importlib.metadata.version(package)} is installed, requirements.txt pins "
        f"{_pinned(package)}: reinstall (make clean is not enough: rm -rf .venv)")


# ------------------------------------------------------------------ Font Awesome


def _theme_static() -> Path:
    import pydata_sphinx_theme

    return Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"


def test_the_fontawesome_stand_in_still_replaces_a_file_the_theme_loads():
    """The stand-in overrides the theme's file of the same name: if the theme stops loading
    scripts/fontawesome.js (a new version, pydata/pydata-sphinx-theme#2494), the stand-in is dead
    and must go; if it loads another icon script, check its weight again."""
    macros = (_theme_static() / "webpack-macros.html").read_text(encoding="utf-8")
    assert "_static/scripts/fontawesome.js" in macros, (
        "pydata-sphinx-theme no longer loads scripts/fontawesome.js: delete "
        "book/_static/scripts/fontawesome.js and measure the first visit again (tests/test_browser.py)")
    scripts = re.findall(r"_static/(scripts/[\w.-]+\.js)", macros)
    assert sorted(set(scripts)) == ["scripts/bootstrap.js", "scripts/fontawesome.js",
                                    "scripts/pydata-sphinx-theme.js"], (
        f"the theme loads other scripts now: {scripts}")
    stand_in = STATIC / "scripts" / "fontawesome.js"
    assert stand_in.is_file() and stand_in.stat().st_size < 2_000
    assert (_theme_static() / "scripts" / "fontawesome.js").stat().st_size > 500_000, (
        "the theme's Font Awesome script became light: delete the stand-in")


def test_the_theme_stylesheet_still_draws_the_icons_with_its_webfont():
    """Without the script, the icons come from the theme's stylesheet and its woff2 fonts."""
    css = (_theme_static() / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    faces = re.findall(r"@font-face\{[^}]*Font Awesome[^}]*\}", css)
    for font in ("fa-solid-900.woff2", "fa-regular-400.woff2"):
        assert any(font in face for face in faces), f"the theme's stylesheet no longer loads {font}"
        assert (_theme_static() / "vendor" / "fontawesome" / "webfonts" / font).is_file()
    # icons the theme itself shows (navigation, search, theme switcher, menus)
    for icon in ("bars", "magnifying-glass", "sun", "moon", "circle-half-stroke", "download", "list",
                 "angle-left", "angle-right", "expand"):
        rule = r"\.fa-" + icon + r':+before[^{}]*\{content:"\\[0-9a-f]+"\}'
        assert re.search(rule, css), (
            f"the theme's stylesheet has no glyph for fa-{icon}")


# ------------------------------------------------------------------ KaTeX


def test_the_vendored_katex_stylesheet_matches_the_bundled_script():
    """sphinxcontrib-katex serves its own copy of KaTeX's script (katex_js_path's default); the
    stylesheet and fonts in book/_static/katex/ must be the same KaTeX version."""
    from sphinxcontrib import katex

    package = Path(katex.__file__).parent
    script = (package / "katex.min.js").read_text(encoding="utf-8")
    assert f'version:"{katex.katex_version}"' in script.replace(" ", ""), (
        f"sphinxcontrib-katex's katex.min.js is not KaTeX {katex.katex_version}")
    assert (package / "auto-render.min.js").is_file()
    vendored = (STATIC / "katex" / "VERSION").read_text(encoding="utf-8").strip()
    assert vendored == katex.katex_version, (
        f"book/_static/katex/ holds KaTeX {vendored}, sphinxcontrib-katex serves the script of "
        f"{katex.katex_version}: run scripts/vendor_katex.py")
    css = (STATIC / "katex" / "katex.min.css").read_text(encoding="utf-8")
    fonts = set(re.findall(r"url\(fonts/([\w-]+\.woff2)\)", css))
    assert fonts and all((STATIC / "katex" / "fonts" / f).is_file() for f in fonts)


def test_the_book_renders_math_in_the_browser_from_its_own_files():
    """No node at build time, no CDN: the configuration this build relies on."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    assert config["katex_prerender"] is False
    assert not config.get("katex_js_path") and not config.get("katex_autorender_path"), (
        "the KaTeX script must stay sphinxcontrib-katex's own copy (its defaults)")
    assert (STATIC / config["katex_css_path"]).is_file()


# ------------------------------------------------------------------ widget state


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _notebook_with_widget_state() -> dict:
    model = "0123456789abcdef0123456789abcdef"
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "widgets": {WIDGET_STATE: {"version_major": 2, "version_minor": 0, "state": {
                model: {"model_name": "IntSliderModel", "model_module": "@jupyter-widgets/controls",
                        "model_module_version": "2.0.0", "state": {"value": 3, "description": "WIDGET-STATE"}},
            }}},
        },
        "cells": [
            {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "# A page with a widget"},
            {"cell_type": "code", "id": "b", "metadata": {}, "execution_count": 1, "source": "slider",
             "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                          "data": {"text/plain": "IntSlider(value=3)",
                                   "application/vnd.jupyter.widget-view+json": {
                                       "version_major": 2, "version_minor": 0, "model_id": model}}}]},
        ],
    }


def _build_one_notebook(tmp_path: Path, with_hook: bool) -> str:
    src = tmp_path / ("with" if with_hook else "without")
    src.mkdir()
    (src / "page.ipynb").write_text(json.dumps(_notebook_with_widget_state()), encoding="utf-8")
    extensions = ["myst_nb"] + (["convtutor_build"] if with_hook else [])
    (src / "conf.py").write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})
        extensions = {extensions!r}
        root_doc = "page"
        nb_execution_mode = "off"
        nb_ipywidgets_js = {{}}
        html_theme = "basic"
    """), encoding="utf-8")
    out = src / "_build"
    result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return (out / "page.html").read_text(encoding="utf-8")


def test_widget_state_is_dropped_from_the_pages(tmp_path):
    """myst-nb writes a notebook's widget state into its page; convtutor_build drops it. If myst-nb
    stops writing it (or gains a setting to leave it out), the hook must go; if the hook stops
    dropping it, the pages carry dead state again."""
    plain = _build_one_notebook(tmp_path, with_hook=False)
    assert WIDGET_STATE in plain and "WIDGET-STATE" in plain, (
        "myst-nb no longer writes widget state into the page: remove _drop_widget_state from "
        "book/_ext/convtutor_build.py")
    hooked = _build_one_notebook(tmp_path, with_hook=True)
    assert WIDGET_STATE not in hooked and "WIDGET-STATE" not in hooked, (
        "book/_ext/convtutor_build.py no longer drops the widget state (myst-nb's internals changed?)")
    assert "application/vnd.jupyter.widget-view+json" in hooked  # the rest of the output is untouched


def test_notebooks_are_executed_without_widget_state(tmp_path):
    """scripts/execute_notebooks.py runs a notebook that shows a widget and stores no state,
    removing the state an earlier run left (nbclient's store_widget_state=False)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import execute_notebooks
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    nb = _notebook_with_widget_state()
    nb["cells"][1]["source"] = "import ipywidgets\nipywidgets.IntSlider(value=3)"
    path = tmp_path / "widget.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    execute_notebooks.execute(path)
    executed = json.loads(path.read_text(encoding="utf-8"))
    assert "widgets" not in executed["metadata"], "the notebook still holds widget state"
    data = executed["cells"][1]["outputs"][0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in data  # the widget itself is still shown
