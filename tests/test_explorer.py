"""The kernel-free explorer: its JavaScript geometry agrees with convtutor.geometry, and its HTML
is self-contained. The JavaScript runs under node (one process for all configurations)."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import convtutor as ct
from convtutor.explorer import explorer_assets, static_explorer
from convtutor.geometry import conv_geometry, transposed_geometry

NODE = shutil.which("node")
ASSET = Path(ct.__file__).parent / "assets" / "explorer.js"

RUNNER = r"""
const api = require(process.argv[1]);
const configs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = configs.map(([type, v]) => {
  const g = api.geometry(type, v);
  if (g.error) return {error: g.error};
  const kinds = [], fps = [];
  for (let r = 0; r < g.grid; r++) for (let c = 0; c < g.grid; c++) {
    const k = g.kind(r, c); kinds.push([k.kind, k.input]);
  }
  for (let y = 0; y < g.output; y++) for (let x = 0; x < g.output; x++)
    fps.push(g.footprint(y, x).map(t => [t.tap, t.cell, t.kind, t.input]));
  return {output: g.output, grid: g.grid, kinds, fps, parameters: g.parameters, macs: g.macs};
});
process.stdout.write(JSON.stringify(out));
"""


def run_js(configs):
    if NODE is None:
        pytest.fail("node is needed to test the explorer's JavaScript (it ships with this machine image)")
    proc = subprocess.run([NODE, "-e", RUNNER, str(ASSET)], input=json.dumps(configs),
                          capture_output=True, text=True, check=True, timeout=60)
    return json.loads(proc.stdout)


def all_configs():
    conv, trans = [], []
    for i, k, s, p, d in itertools.product((1, 2, 3, 5), (1, 2, 3, 4), (1, 2, 3), (0, 1, 2), (1, 2)):
        conv.append({"input": i, "kernel": k, "stride": s, "padding": p, "dilation": d})
        for op in range(2):
            trans.append({"input": i, "kernel": k, "stride": s, "padding": p, "dilation": d, "output_padding": op})
    return conv, trans


def python_view(geo):
    n = geo.grid_size[0]
    kinds = []
    for r in range(n):
        for c in range(n):
            inp = geo.grid_to_input((r, c))
            kinds.append([str(geo.grid_kind[r, c]), None if inp is None else list(inp)])
    fps = [[[list(t.kernel_index), list(t.grid_index), t.kind, None if t.input_index is None else list(t.input_index)]
            for t in geo.footprint(y)] for y in geo.positions()]
    return {"output": geo.output_size[0], "grid": n, "kinds": kinds, "fps": fps}


def test_js_geometry_matches_python_for_every_slider_setting():
    conv, trans = all_configs()
    results = run_js([["conv", v] for v in conv] + [["transposed", v] for v in trans])
    checked = rejected = 0
    for (kind, v), got in zip([("conv", v) for v in conv] + [("transposed", v) for v in trans], results):
        try:
            if kind == "conv":
                geo = conv_geometry((v["input"],) * 2, v["kernel"], v["stride"], v["padding"], v["dilation"])
            else:
                geo = transposed_geometry((v["input"],) * 2, v["kernel"], v["stride"], v["padding"],
                                          v["output_padding"], v["dilation"])
        except ValueError:
            assert "error" in got, (kind, v, got)
            rejected += 1
            continue
        assert "error" not in got, (kind, v, got)
        want = python_view(geo)
        for key in ("output", "grid", "kinds", "fps"):
            assert got[key] == want[key], (kind, v, key)
        checked += 1
    assert checked > 400 and rejected > 50  # both branches really ran


def test_js_output_size_and_counts_match_arithmetic():
    configs = [("conv", {"input": 7, "kernel": 3, "stride": 2, "padding": 1, "dilation": 1,
                         "in_channels": 16, "out_channels": 32, "groups": 1}),
               ("conv", {"input": 9, "kernel": 3, "stride": 1, "padding": 1, "dilation": 2,
                         "in_channels": 8, "out_channels": 8, "groups": 8}),
               ("transposed", {"input": 4, "kernel": 4, "stride": 2, "padding": 1, "dilation": 1,
                               "output_padding": 1, "in_channels": 6, "out_channels": 4, "groups": 2})]
    for (kind, v), got in zip(configs, run_js(configs)):
        if kind == "conv":
            o = ct.conv_output_size(v["input"], v["kernel"], v["stride"], v["padding"], v["dilation"])
            macs = ct.conv_macs(v["in_channels"], v["out_channels"], v["kernel"], (o, o), v["groups"])
        else:
            o = ct.conv_transpose_output_size(v["input"], v["kernel"], v["stride"], v["padding"],
                                              v["output_padding"], v["dilation"])
            macs = ct.conv_transpose_macs(v["in_channels"], v["out_channels"], v["kernel"],
                                          (v["input"],) * 2, v["groups"])
        assert got["output"] == o
        assert got["macs"] == macs
        assert got["parameters"] == ct.conv_parameters(v["in_channels"], v["out_channels"], v["kernel"], v["groups"])


def test_js_rejects_bad_groups():
    got = run_js([["conv", {"input": 5, "kernel": 3, "stride": 1, "padding": 0, "dilation": 1,
                            "in_channels": 4, "out_channels": 6, "groups": 4}]])[0]
    assert "groups=4 must divide out_channels=6" in got["error"]


def test_js_numbers_sum_is_the_convolution():
    """With numbers on, the running sum the explorer prints for each output cell is conv2d's value."""
    script = r"""
const api = require(process.argv[1]);
const out = {};
for (const [type, v] of JSON.parse(require('fs').readFileSync(0, 'utf8'))) {
  const g = api.geometry(type, v);
  const x = [], w = [], sums = [];
  for (let r = 0; r < v.input; r++) { x.push([]); for (let c = 0; c < v.input; c++) x[r].push(api.inputValue(r, c)); }
  for (let r = 0; r < v.kernel; r++) { w.push([]); for (let c = 0; c < v.kernel; c++) w[r].push(api.kernelValue(r, c, v.kernel)); }
  for (let y = 0; y < g.output; y++) for (let z = 0; z < g.output; z++) {
    let s = 0; for (const t of g.footprint(y, z)) if (t.kind === 'input') s += x[t.input[0]][t.input[1]] * w[t.tap[0]][t.tap[1]];
    sums.push(s);
  }
  (out[type] = out[type] || []).push({x, w, sums, o: g.output});
}
process.stdout.write(JSON.stringify(out));
"""
    configs = [["conv", {"input": 5, "kernel": 3, "stride": 2, "padding": 1, "dilation": 1}],
               ["transposed", {"input": 2, "kernel": 3, "stride": 2, "padding": 0, "dilation": 1, "output_padding": 0}],
               ["transposed", {"input": 3, "kernel": 2, "stride": 2, "padding": 1, "dilation": 2, "output_padding": 1}]]
    proc = subprocess.run([NODE or "node", "-e", script, str(ASSET)], input=json.dumps(configs),
                          capture_output=True, text=True, check=True, timeout=60)
    res = json.loads(proc.stdout)
    c = res["conv"][0]
    want = ct.conv2d(np.array(c["x"], float)[None], np.array(c["w"], float)[None, None], stride=2, padding=1)
    assert np.array_equal(np.array(c["sums"]).reshape(c["o"], c["o"]), want[0])
    for (_, v), t in zip(configs[1:], res["transposed"]):
        want = ct.conv_transpose2d(np.array(t["x"], float)[None], np.array(t["w"], float)[None, None],
                                   stride=v["stride"], padding=v["padding"], output_padding=v["output_padding"],
                                   dilation=v["dilation"])
        assert np.array_equal(np.array(t["sums"]).reshape(t["o"], t["o"]), want[0])


def test_html_is_self_contained():
    text = static_explorer("transposed", input=2, kernel=3, stride=2, numbers=True).to_html()
    script, style = explorer_assets()
    assert script in text and style in text
    assert 'data-convtutor-explorer="transposed"' in text
    for needle in ("http://", "https://", "src=", "href=", "@import"):
        # the SVG namespace string is an identifier, never fetched
        assert needle not in text.replace("http://www.w3.org/2000/svg", ""), needle


def test_static_explorer_validation():
    with pytest.raises(ValueError, match="kind='pool' must be 'conv' or 'transposed'"):
        static_explorer("pool")
    with pytest.raises(ValueError, match="stride=9 must lie in its slider range"):
        static_explorer(stride=9)
    with pytest.raises(ValueError, match=r"more than the padded input size = input_size \+ padding = 2"):
        static_explorer(input=2, kernel=5)
    with pytest.raises(ValueError, match="output_padding=2 must be smaller than stride"):
        static_explorer("transposed", stride=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding is a parameter of kind='transposed' only"):
        static_explorer(output_padding=1)
    with pytest.raises(ValueError, match="groups=3 must divide in_channels=4"):
        static_explorer(in_channels=4, out_channels=6, groups=3)
    with pytest.raises(TypeError, match="kernel must be an int"):
        static_explorer(kernel=2.5)
    with pytest.raises(ValueError, match="limits has 'groups'"):
        static_explorer(limits={"groups": (1, 4)})
