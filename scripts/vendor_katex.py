"""Write book/_static/katex/: KaTeX's stylesheet and fonts, so the book's math needs no CDN.

Usage:  .venv/bin/python scripts/vendor_katex.py      (needs npm; run it only to upgrade KaTeX)

The book renders math in the browser (``katex_prerender: false`` in _config.yml).
sphinxcontrib-katex ships KaTeX's script and its auto-render extension and copies them into
``_static`` itself, but takes the stylesheet (and with it the fonts) from a CDN unless
``katex_css_path`` names a local copy: this writes that copy, for the KaTeX version the
installed sphinxcontrib-katex bundles (its ``katex_version``), fetched with ``npm pack``:

* ``katex.min.css`` with only the woff2 source of each font (every browser that runs the book
  reads woff2, so the woff/ttf files are not shipped),
* ``fonts/*.woff2``, KaTeX's MIT ``LICENSE``, and ``VERSION`` (the KaTeX version, which
  tests/test_build_workarounds.py compares with the bundled script's).

The output is committed; the book build does not run this.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "_static" / "katex"


def vendor_katex() -> None:
    from sphinxcontrib import katex as sk

    version = sk.katex_version
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", f"katex@{version}"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        with tarfile.open(Path(tmp) / f"katex-{version}.tgz") as tar:
            tar.extractall(tmp, filter="data")
        pkg = Path(tmp) / "package"
        if OUT.exists():
            shutil.rmtree(OUT)
        (OUT / "fonts").mkdir(parents=True)
        css = (pkg / "dist" / "katex.min.css").read_text(encoding="utf-8")
        # keep only the woff2 source of each @font-face
        css, n = re.subn(r'(url\(fonts/[^)]+\.woff2\) format\("woff2"\)),url\([^)]+\) format\("woff"\),'
                         r'url\([^)]+\) format\("truetype"\)', r"\1", css)
        if n == 0 or ".woff)" in css or ".ttf)" in css:
            raise SystemExit("katex.min.css: unexpected @font-face layout, update vendor_katex()")
        (OUT / "katex.min.css").write_text(css, encoding="utf-8")
        for font in sorted((pkg / "dist" / "fonts").glob("*.woff2")):
            shutil.copy2(font, OUT / "fonts" / font.name)
        shutil.copy2(pkg / "LICENSE", OUT / "LICENSE")
        (OUT / "VERSION").write_text(version + "\n", encoding="utf-8")
    size = sum(f.stat().st_size for f in OUT.rglob("*"))
    print(f"KaTeX {version}: {OUT.relative_to(ROOT)} ({size // 1024} KB)")


if __name__ == "__main__":
    if sys.argv[1:]:
        raise SystemExit(__doc__)
    vendor_katex()
