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
        "Layer", "LayerField",
    }
    assert core <= set(_probe()["all"])
