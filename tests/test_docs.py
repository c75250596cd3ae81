"""The API pages read well: every code line of a docstring (examples and literal blocks) fits the
book's column, so that nothing scrolls sideways (the browser test measures the built pages)."""

from __future__ import annotations

import ast
from pathlib import Path

import convtutor

PACKAGE = Path(convtutor.__file__).parent
WIDTH = 72  # characters of code the API pages' column shows at 1280 px


def code_lines(doc: str):
    """Doctest lines (prompts, continuations, expected output) and literal-block lines."""
    lines = doc.splitlines()
    in_example = False
    for n, line in enumerate(lines):
        text = line.strip()
        if text.startswith((">>>", "...")):
            in_example = True
        elif not text:
            in_example = False
        if in_example:
            yield text
    for n, line in enumerate(lines):
        if line.rstrip().endswith("::"):
            base = len(line) - len(line.lstrip())
            for nxt in lines[n + 1:]:
                if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= base:
                    break
                yield nxt.strip()


def docstrings(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield getattr(node, "name", path.stem), doc


def test_docstring_code_fits_the_column():
    wide = [(path.name, name, len(text), text) for path in sorted(PACKAGE.glob("*.py"))
            for name, doc in docstrings(path) for text in code_lines(doc) if len(text) > WIDTH]
    assert wide == []


def test_the_check_finds_a_wide_line():
    doc = "Example:\n    >>> " + "x" * 80 + "\n"
    assert [len(t) for t in code_lines(doc)] == [84]
