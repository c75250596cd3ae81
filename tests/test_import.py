"""Importing convtutor needs only numpy: torch, matplotlib and ipywidgets stay unloaded."""

from __future__ import annotations

import functools
import json
import subprocess
import sys

HEAVY = ("torch", "matplotlib", "ipywidgets")

PROBE = f"""
import json, sys
{{prelude}}
import convtutor
import convtutor.arithmetic, convtutor.conv, convtutor.transposed
loaded = sorted({{{{m.split('.')[0] for m in sys.modules}}}} & set({HEAVY!r}))
print(json.dumps({{{{"loaded": loaded, "all": sorted(convtutor.__all__)}}}}))
"""


@functools.lru_cache(maxsize=None)
def _probe(prelude: str = "") -> dict:
    """Import convtutor in a fresh interpreter; report which heavy packages got loaded."""
    code = PROBE.format(prelude=prelude)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_loads_no_heavy_dependency():
    info = _probe()
    assert info["loaded"] == [], f"import convtutor loaded {info['loaded']}"


def test_the_probe_detects_a_loaded_package():
    # the check above is not vacuous: with torch imported first, the probe reports it
    assert _probe("import torch")["loaded"] == ["torch"]


def test_core_public_names_are_exported():
    core = {
        "conv1d", "conv2d", "conv3d", "conv_loops", "im2col", "conv_matrix", "flip_kernel",
        "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_transpose_scatter",
        "conv_transpose_as_conv", "conv_transpose_matrix", "insert_zeros",
        "conv_output_size", "conv_transpose_output_size", "pool_output_size", "effective_kernel_size",
        "resolve_padding", "conv_parameters", "conv_macs", "conv_transpose_macs", "receptive_field",
        "Layer", "ConvShape", "conv_shape", "conv_transpose_shape", "spatially_separable_macs",
        "depthwise_separable_parameters", "depthwise_separable_macs", "mobilenet_cost_ratio",
    }
    assert core <= set(_probe()["all"])


def _imports(path):
    """Every ``from <module> import name`` inside the package file ``path``: (module, name) pairs."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("convtutor")):
            for alias in node.names:
                if node.level and not node.module:
                    continue  # "from . import _module": a module of the package, not a name in one
                yield node.module or "", alias.name
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            # module._name reached through an imported module object (e.g. _anim._figure)
            if node.attr.startswith("_") and not node.attr.startswith("__") and node.value.id.startswith("_"):
                yield node.value.id, node.attr


def test_no_private_name_crosses_a_module_boundary():
    from pathlib import Path

    import convtutor

    package = Path(convtutor.__file__).parent
    crossings = [(path.name, module, name) for path in sorted(package.glob("*.py"))
                 for module, name in _imports(path)
                 if name.startswith("_") and name != "__future__" and not name.startswith("__")]
    assert crossings == [], f"private names imported across modules: {crossings}"


def test_the_hygiene_scan_finds_a_private_import(tmp_path):
    # the scan above is not vacuous: a file importing a private helper is reported
    bad = tmp_path / "bad.py"
    bad.write_text("from .conv import _nd_call\nfrom . import _compute\nfrom . import geometry as _geo\n"
                   "x = _geo._check\n")
    assert ("conv", "_nd_call") in list(_imports(bad))
    assert ("_geo", "_check") in list(_imports(bad))
    assert ("", "_compute") not in list(_imports(bad))  # importing a private module is allowed
