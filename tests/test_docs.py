"""The API pages read well: every code line of a docstring (examples and literal blocks) fits the
book's column, so that nothing scrolls sideways (the browser test measures the built pages)."""

from __future__ import annotations

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
    """Every docstring of a module as Python sees it once imported (so that the ones built with
    ``.format``, as the conv functions' are, count too): the module's, then its functions',
    classes' and their methods'."""
    import importlib
    import inspect

    module = importlib.import_module(f"convtutor.{path.stem}")
    if module.__doc__:
        yield path.stem, inspect.cleandoc(module.__doc__)
    for name, obj in vars(module).items():
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            if obj.__doc__:
                yield name, inspect.cleandoc(obj.__doc__)
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                doc = getattr(member, "__doc__", None)
                if (inspect.isfunction(member) or isinstance(member, property)) and doc:
                    yield f"{name}.{attr}", inspect.cleandoc(doc)


def test_docstring_code_fits_the_column():
    wide = [(path.name, name, len(text), text) for path in sorted(PACKAGE.glob("*.py"))
            for name, doc in docstrings(path) for text in code_lines(doc) if len(text) > WIDTH]
    assert wide == []


def test_the_check_finds_a_wide_line():
    doc = "Example:\n    >>> " + "x" * 80 + "\n"
    assert [len(t) for t in code_lines(doc)] == [84]
