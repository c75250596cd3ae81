"""The kernel-free explorer: its JavaScript agrees with convtutor, and its HTML is self-contained.

The script (convtutor/assets/explorer.js) runs under node, one process per test, on batches of
calls; its geometry is compared cell by cell with convtutor.geometry, its sums with
convtutor.conv1d/conv2d/conv_transpose1d/conv_transpose2d, its messages with the size-rule
templates. The drawing itself is driven in Chromium by tests/test_browser_explorer.py.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import convtutor as ct
from convtutor.explorer import (MIME, element_html, explorer_assets, player, solver_explorer, state_fragment,
                                static_explorer)
from convtutor.geometry import conv_geometry, transposed_geometry

NODE = shutil.which("node")
ROOT = Path(__file__).resolve().parents[1]
ASSET = Path(ct.__file__).parent / "assets" / "explorer.js"

# Each call is [name, argument]; the answers come back in order.
RUNNER = r"""
const api = require(process.argv[1]);
const t = (nested) => api.tensor(nested);
const calls = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const handlers = {
  geometry(state) {
    const g = api.geometry(state);
    if (g.error) return {error: g.error};
    const all = (shape) => { const n = shape.reduce((a, b) => a * b, 1), out = [];
      for (let m = 0; m < n; m++) { const idx = []; let r = m;
        for (let a = shape.length - 1; a >= 0; a--) { idx.unshift(r % shape[a]); r = Math.floor(r / shape[a]); }
        out.push(idx); } return out; };
    return {
      output: g.output, grid: g.grid, gridPadding: g.gridPadding, canvas: g.canvas, canvasOffset: g.canvasOffset,
      kinds: all(g.grid).map(c => [g.kindOf(c), g.inputOf(c)]),
      fps: all(g.output).map(y => g.footprint(y).map(tp => [tp.kernel, tp.cell, tp.kind, tp.input])),
      hits: all(g.input).map(x => g.scatter(x).map(h => [h.kernel, h.canvas, h.output])),
      parameters: g.parameters, weights: g.weights, macs: g.macs,
    };
  },
  sums({state, x, w, flip}) {
    const g = api.geometry(state);
    if (g.error) return {error: g.error};
    return {output: g.output, outs: api.outputs(g, t(x), t(w), flip),
            canvas: g.canvas, offset: g.canvasOffset, scattered: api.scatterCanvas(g, t(x), t(w), flip)};
  },
  defaults(state) {
    const g = api.geometry(state);
    const x = api.defaultValues(g.input), w = api.defaultWeights(g.kernel);
    return {x: x.data, w: w.data, outs: api.outputs(g, x, w, false)};
  },
  sumText({state, x, w, flip, y}) {
    const g = api.geometry(state);
    return api.sumText(api.terms(g, y, t(x), t(w), flip));
  },
  message({name, fields}) { return api.message(name, fields); },
  encode(state) { return api.encodeState(state); },
  decode(text) { return api.decodeState(text); },
  normalize(state) { try { return api.normalize(state); } catch (e) { return {thrown: e.name + ': ' + e.message}; } },
  roundtrip(state) { return [api.normalize(state), api.normalize(api.decodeState(api.encodeState(state)))]; },
  hash(text) { const p = api.parseHash(text); return {parsed: p, text: api.formatHash(p)}; },
  config(payload) {  // the geometry and sums a player's configuration makes the script draw
    const c = payload.config, state = Object.assign({kind: payload.kind, flip: c.flip, view: c.view}, c.layer);
    const g = api.geometry(state);
    const x = c.values ? t(c.values) : api.defaultValues(g.input), w = c.weights ? t(c.weights) : api.defaultWeights(g.kernel);
    return {output: g.output, outs: api.outputs(g, x, w, !!c.flip)};
  },
  version() { return api.version; },
  layersFor({i, o, transposed, k, s, d}) { return api.layersFor(i, o, transposed, k, s, d); },
};
process.stdout.write(JSON.stringify(calls.map(([name, arg]) => handlers[name](arg))));
"""


def run_js(calls, script: Path | str = ASSET):
    if NODE is None:
        pytest.fail("node is needed to test the explorer's JavaScript (it ships with this machine image)")
    proc = subprocess.run([NODE, "-e", RUNNER, str(script)], input=json.dumps(calls),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# ------------------------------------------------------------------ the size-rule messages
# The script's message table, with fields: each formatted text must be the package's own message
# (the random-layer tests below compare the script's texts with the package's exceptions).
TEMPLATES = {
    "empty": ("in dimension {dim}, kernel_size={k} with dilation={d} spans d*(k-1)+1 = {keff} cells, more than "
              "the padded input size = input_size + padding = {i}+{pb}+{pa} = {total}: the output would be empty"),
    "outputPadding": "in dimension {dim}, output_padding={op} must be smaller than stride={s} or dilation={d}",
    "cropped": ("in dimension {dim}, the output size (i-1)*s - p_before - p_after + d*(k-1) + output_padding + 1 "
                "= ({i}-1)*{s} - {pb} - {pa} + {d}*({k}-1) + {op} + 1 = {o} is below 1: padding={pb}+{pa} "
                "crops everything"),
    "groupsIn": "groups={g} must divide in_channels={cin}",
    "groupsOut": "groups={g} must divide out_channels={cout}",
}


def python_geometry(state):
    args = [tuple(state[n]) for n in ("input", "kernel", "stride", "padding")]
    if state["kind"] == "transposed":
        return transposed_geometry(*args, tuple(state["output_padding"]), tuple(state["dilation"]))
    return conv_geometry(*args, tuple(state["dilation"]))


def random_states(count: int, seed: int):
    """Random 1-D and 2-D layers (mostly non-square), conv and transposed, some impossible."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        ndim = 1 if n % 4 == 0 else 2
        kind = "transposed" if n % 2 else "conv"
        state = {"kind": kind}
        for name, (lo, hi) in (("input", (1, 6)), ("kernel", (1, 4)), ("stride", (1, 3)), ("padding", (0, 3)),
                               ("dilation", (1, 3)), ("output_padding", (0, 2))):
            state[name] = [rng.randint(lo, hi) for _ in range(ndim)]
        if kind == "conv":
            state["output_padding"] = [0] * ndim
        out.append(state)
    return out


def python_view(geo):
    kinds = [[str(geo.grid_kind[c]), None if geo.grid_to_input(c) is None else list(geo.grid_to_input(c))]
             for c in np.ndindex(*geo.grid_size)]
    fps = [[[list(t.kernel_index), list(t.grid_index), t.kind, None if t.input_index is None else list(t.input_index)]
            for t in geo.footprint(y)] for y in geo.positions()]
    hits = [[[list(h.kernel_index), list(h.canvas_index), None if h.output_index is None else list(h.output_index)]
             for h in geo.scatter(x)] for x in np.ndindex(*geo.input_size)]
    return {"output": list(geo.output_size), "grid": list(geo.grid_size),
            "gridPadding": [list(p) for p in geo.grid_padding], "canvas": list(geo.canvas_size),
            "canvasOffset": list(geo.canvas_offset), "kinds": kinds, "fps": fps, "hits": hits}


# ------------------------------------------------------------------ geometry


def test_js_geometry_matches_python_cell_by_cell():
    """1,200 random layers (1-D and non-square 2-D, both kinds): output and grid sizes, grid
    padding, the kind and input index of every grid cell, every footprint, every scatter hit, the
    canvas and its offset; an impossible layer gets exactly the package's message."""
    states = random_states(1200, seed=1)
    results = run_js([["geometry", s] for s in states])
    checked = {"conv": 0, "transposed": 0}
    rejected = {"empty": 0, "outputPadding": 0, "cropped": 0}
    shapes = set()
    for state, got in zip(states, results):
        try:
            geo = python_geometry(state)
        except ValueError as exc:
            want = str(exc)                      # the package's message, word for word
            assert got == {"error": want}, (state, got, want)
            rejected["empty" if "empty" in want else "outputPadding" if "must be smaller" in want else "cropped"] += 1
            continue
        assert "error" not in got, (state, got)
        want = python_view(geo)
        for key, value in want.items():
            assert got[key] == value, (state, key)
        checked[state["kind"]] += 1
        shapes.add((len(state["input"]), state["input"][0] == state["input"][-1]))
    assert min(checked.values()) > 250, checked
    assert min(rejected.values()) > 20, rejected
    assert {(1, True), (2, True), (2, False)} <= shapes  # 1-D, square and non-square layers ran


def test_js_geometry_every_small_square_layer():
    """Every square 2-D slider setting in a small range (the old explorer's whole space)."""
    states = []
    for i, k, s, p, d in itertools.product((1, 2, 3, 5), (1, 3, 4), (1, 2, 3), (0, 2), (1, 2)):
        states.append({"kind": "conv", "input": [i, i], "kernel": [k, k], "stride": [s, s], "padding": [p, p],
                       "dilation": [d, d], "output_padding": [0, 0]})
        for op in range(2):
            states.append({"kind": "transposed", "input": [i, i], "kernel": [k, k], "stride": [s, s],
                           "padding": [p, p], "dilation": [d, d], "output_padding": [op, op]})
    results = run_js([["geometry", s] for s in states])
    valid = 0
    for state, got in zip(states, results):
        try:
            geo = python_geometry(state)
        except ValueError as exc:
            assert got == {"error": str(exc)}
            continue
        valid += 1
        assert {k: got[k] for k in ("output", "grid", "kinds", "fps", "hits")} == \
            {k: v for k, v in python_view(geo).items() if k in ("output", "grid", "kinds", "fps", "hits")}, state
    assert valid > 250


def test_js_counts_match_arithmetic():
    cases = [
        {"kind": "conv", "input": [7, 9], "kernel": [3, 1], "stride": [2, 1], "padding": [1, 0], "dilation": [1, 1],
         "in_channels": 16, "out_channels": 32, "groups": 1},
        {"kind": "conv", "input": [9], "kernel": [3], "stride": [1], "padding": [1], "dilation": [2],
         "in_channels": 8, "out_channels": 8, "groups": 8},
        {"kind": "transposed", "input": [4, 3], "kernel": [4, 2], "stride": [2, 3], "padding": [1, 0],
         "dilation": [1, 1], "output_padding": [1, 2], "in_channels": 6, "out_channels": 4, "groups": 2},
    ]
    for state, got in zip(cases, run_js([["geometry", s] for s in cases])):
        k = tuple(state["kernel"])
        cin, cout, g = state["in_channels"], state["out_channels"], state["groups"]
        if state["kind"] == "conv":
            o = tuple(ct.conv_output_size(i, kk, s, p, d) for i, kk, s, p, d in
                      zip(state["input"], k, state["stride"], state["padding"], state["dilation"]))
            macs = ct.conv_macs(cin, cout, k, o, g)
        else:
            o = tuple(ct.conv_transpose_output_size(i, kk, s, p, a, d) for i, kk, s, p, a, d in
                      zip(state["input"], k, state["stride"], state["padding"], state["output_padding"],
                          state["dilation"]))
            macs = ct.conv_transpose_macs(cin, cout, k, tuple(state["input"]), g)
        assert tuple(got["output"]) == o
        assert got["macs"] == macs
        assert got["parameters"] == ct.conv_parameters(cin, cout, k, g)


def test_js_channel_messages_are_the_templates():
    base = {"kind": "conv", "input": [5, 5], "kernel": [3, 3]}
    got = run_js([["geometry", {**base, "in_channels": 4, "out_channels": 6, "groups": 4}],
                  ["geometry", {**base, "in_channels": 6, "out_channels": 4, "groups": 4}],
                  ["geometry", {**base, "in_channels": 3, "out_channels": 9, "groups": 3}]])
    assert got[0] == {"error": TEMPLATES["groupsOut"].format(g=4, cout=6)}
    assert got[1] == {"error": TEMPLATES["groupsIn"].format(g=4, cin=6)}
    assert "error" not in got[2]
    # the package's explorer rejects the same starting layer with the same words
    with pytest.raises(ValueError, match=re.escape(TEMPLATES["groupsIn"].format(g=4, cin=6))):
        static_explorer(in_channels=6, out_channels=8, groups=4)


def test_js_message_templates_are_written_once():
    """The script formats its messages from one table whose texts are the templates."""
    text = ASSET.read_text(encoding="utf-8")
    for name, template in TEMPLATES.items():
        fields = {key: f"<{key}>" for key in re.findall(r"\{(\w+)\}", template)}
        assert run_js([["message", {"name": name, "fields": fields}]])[0] == template.format(**fields)
    # the words live in MESSAGES only: no second copy elsewhere in the file
    for phrase in ("the output would be empty", "must be smaller than stride", "crops everything",
                   "must divide in_channels", "must divide out_channels"):
        assert text.count(phrase) == 1, phrase


# ------------------------------------------------------------------ sums


def _reference(state, x, w):
    """convtutor's output for one channel of a 1-D or 2-D (transposed) convolution."""
    n = len(state["input"])
    kwargs = {"stride": tuple(state["stride"]), "padding": tuple(state["padding"]),
              "dilation": tuple(state["dilation"])}
    if state["kind"] == "transposed":
        fn = ct.conv_transpose1d if n == 1 else ct.conv_transpose2d
        kwargs["output_padding"] = tuple(state["output_padding"])
    else:
        fn = ct.conv1d if n == 1 else ct.conv2d
    return fn(np.asarray(x, float)[None], np.asarray(w, float)[None, None], **kwargs)[0]


def test_js_sums_are_convtutor_outputs(rng):
    """With given values and weights the script's outputs (the numbers it draws, one per frame)
    and its scatter canvas (cropped) are convtutor's; with flip they are those of the flipped
    kernel (true convolution)."""
    states = [s for s in random_states(400, seed=2)]
    calls, kept = [], []
    for state in states:
        try:
            python_geometry(state)
        except ValueError:
            continue
        x = rng.integers(-4, 6, size=state["input"]).tolist()
        w = rng.integers(-3, 4, size=state["kernel"]).tolist()
        for flip in (False, True):
            calls.append(["sums", {"state": state, "x": x, "w": w, "flip": flip}])
            kept.append((state, x, w, flip))
    assert len(kept) > 300
    for (state, x, w, flip), got in zip(kept, run_js(calls)):
        weight = np.asarray(w, float)
        if flip:
            weight = ct.flip_kernel(weight[None, None])[0, 0]
        want = _reference(state, x, weight)
        assert np.array_equal(np.reshape(got["outs"], got["output"]), want), (state, flip)
        canvas = np.reshape(got["scattered"], got["canvas"])
        crop = tuple(slice(off, off + o) for off, o in zip(got["offset"], got["output"]))
        assert np.array_equal(canvas[crop], want), (state, flip)


def test_js_float_sums_and_flip_changes_them(rng):
    state = {"kind": "conv", "input": [5, 6], "kernel": [3, 2], "stride": [2, 1], "padding": [1, 0],
             "dilation": [1, 2]}
    x, w = rng.normal(size=(5, 6)), rng.normal(size=(3, 2))
    plain, flipped = run_js([["sums", {"state": state, "x": x.tolist(), "w": w.tolist(), "flip": f}]
                             for f in (False, True)])
    assert np.allclose(np.reshape(plain["outs"], plain["output"]), _reference(state, x, w))
    assert np.allclose(np.reshape(flipped["outs"], flipped["output"]),
                       _reference(state, x, ct.flip_kernel(w[None, None])[0, 0]))
    assert not np.allclose(plain["outs"], flipped["outs"])


def test_js_default_numbers_are_a_convolution():
    """The small integers an explorer shows by default give conv2d's / conv_transpose2d's values."""
    states = [{"kind": "conv", "input": [5, 5], "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]},
              {"kind": "transposed", "input": [2, 3], "kernel": [3, 2], "stride": [2, 1]},
              {"kind": "conv", "input": [8], "kernel": [3], "dilation": [2]}]
    for state, got in zip(states, run_js([["defaults", s] for s in states])):
        full = {"stride": [1] * len(state["input"]), "padding": [0] * len(state["input"]),
                "dilation": [1] * len(state["input"]), "output_padding": [0] * len(state["input"]), **state}
        x = np.reshape(got["x"], state["input"])
        w = np.reshape(got["w"], state["kernel"])
        assert x.min() >= 1 and len(np.unique(x)) > 1 and len(np.unique(w)) > 1
        want = _reference(full, x, w)
        assert np.array_equal(np.reshape(got["outs"], want.shape), want)


def test_sum_text_is_written_out():
    """The sum of products shown for an output cell, checked on a case done by hand."""
    state = {"kind": "conv", "input": [3, 3], "kernel": [2, 2]}
    x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    w = [[1, 0], [-1, 2]]
    got = run_js([["sumText", {"state": state, "x": x, "w": w, "flip": False, "y": [0, 0]}],
                  ["sumText", {"state": state, "x": x, "w": w, "flip": True, "y": [1, 1]}],
                  ["sumText", {"state": {"kind": "conv", "input": [1], "kernel": [3], "padding": [2]},
                               "x": [5], "w": [1, 2, 3], "flip": False, "y": [0]}]])
    # 1*1 + 2*0 + 4*(-1) + 5*2 = 7; flipped kernel [[2, -1], [0, 1]] at (1, 1): 5*2 + 6*(-1) + 8*0 + 9*1 = 13
    assert got[0] == "1\u00b71 + 2\u00b70 + 4\u00b7(\u22121) + 5\u00b72 = 7"
    assert got[1] == "5\u00b72 + 6\u00b7(\u22121) + 8\u00b70 + 9\u00b71 = 13"
    assert got[2] == "5\u00b73 = 15"


# ------------------------------------------------------------------ URL state


def test_url_state_format():
    """The documented format, read and written (literal examples, not the code's own output)."""
    text = "kind:transposed;i:2x3;k:3x3;s:2x1;p:1x0;d:1x1;op:1x0;view:scatter;ch:4,8,2;flip:1;at:5"
    state = {"kind": "transposed", "input": [2, 3], "kernel": [3, 3], "stride": [2, 1], "padding": [1, 0],
             "dilation": [1, 1], "output_padding": [1, 0], "view": "scatter", "in_channels": 4,
             "out_channels": 8, "groups": 2, "flip": True, "position": 5}
    decoded, encoded, short, conv, bad1, bad2, bad3 = run_js([
        ["decode", text], ["encode", state], ["decode", "kind:conv;i:8;k:3"],
        ["encode", {"kind": "conv", "input": [5, 5], "kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]}],
        ["decode", "kind:pool;i:5x5"], ["decode", "i:5x5;k:3"], ["decode", "i:5x-1"]])
    assert decoded == state
    assert encoded == text
    assert short == {"kind": "conv", "input": [8], "kernel": [3]}
    assert conv == "kind:conv;i:5x5;k:3x3;s:2x2;p:1x1;d:1x1;flip:0"
    assert bad1 is None and bad2 is None and bad3 is None


def test_url_state_round_trips(rng):
    states = []
    for n in range(300):
        ndim = 1 + n % 2
        state = {"kind": "transposed" if n % 3 else "conv", "flip": bool(n % 5 == 0),
                 "position": int(rng.integers(0, 30))}
        for name, lo, hi in (("input", 1, 12), ("kernel", 1, 7), ("stride", 1, 4), ("padding", 0, 4),
                             ("dilation", 1, 4), ("output_padding", 0, 3)):
            state[name] = rng.integers(lo, hi + 1, size=ndim).tolist()
        if state["kind"] == "transposed":
            state["view"] = "scatter" if n % 4 == 0 else "conv"
        if n % 7 == 0:
            state.update(in_channels=int(rng.integers(1, 64)), out_channels=int(rng.integers(1, 64)), groups=1)
        states.append(state)
    for before, after in run_js([["roundtrip", s] for s in states]):
        if before["kind"] == "conv":  # a direct convolution has no output_padding in the URL
            before["output_padding"] = after["output_padding"]
        assert after == before


def test_url_hash_keeps_other_parts():
    got = run_js([["hash", "#intro&ct-abc=kind:conv;i:5&ct-0a1=kind:conv;i:2x2"]])[0]
    assert got["parsed"] == {"states": {"ct-abc": "kind:conv;i:5", "ct-0a1": "kind:conv;i:2x2"}, "others": ["intro"]}
    assert got["text"] == "intro&ct-0a1=kind:conv;i:2x2&ct-abc=kind:conv;i:5"


def test_js_state_checks():
    got = run_js([["normalize", {"kind": "conv", "input": [5, 0]}], ["normalize", {"kind": "pool"}],
                  ["normalize", {"colour": 3}], ["normalize", {"input": [5, 6], "kernel": [3]}],
                  ["normalize", {"kind": "conv", "input": 4, "view": "scatter"}]])
    assert got[0]["thrown"].startswith("RangeError: input=[5,0] must hold integers >= 1")
    assert got[1]["thrown"].startswith("TypeError: kind must be 'conv' or 'transposed'")
    assert got[2]["thrown"].startswith('TypeError: unknown state entry "colour"')
    assert got[3]["thrown"].startswith("RangeError: kernel=[3] must have 2 value(s)")
    assert got[4]["view"] == "conv" and got[4]["input"] == [4, 4]  # a direct convolution has one view


# ------------------------------------------------------------------ Python API and HTML


def test_player_sums_from_its_configuration(rng):
    """A player's values and weights go to the script, which draws conv2d's / conv1d's /
    conv_transpose2d's outputs from them."""
    x2, w2 = rng.integers(-3, 5, size=(5, 4)), rng.integers(-2, 3, size=(3, 2))
    x1, w1 = rng.normal(size=7), rng.normal(size=3)
    players = [player("conv", values=x2, weights=w2, stride=(2, 1), padding=(1, 0), numbers=True),
               player("conv", values=x2, weights=w2, flip=True),
               player("conv", values=x1, weights=w1, dilation=2),
               player("transposed", values=x2, weights=w2, stride=2, padding=(1, 0), output_padding=(1, 0),
                      view="scatter"),
               player("transposed", values=x1, weights=w1, stride=3, padding=1)]
    got = run_js([["config", p.payload()] for p in players])
    wants = [ct.conv2d(x2[None].astype(float), w2[None, None].astype(float), stride=(2, 1), padding=(1, 0))[0],
             ct.conv2d(x2[None].astype(float), ct.flip_kernel(w2[None, None].astype(float)))[0],
             ct.conv1d(x1[None], w1[None, None], dilation=2)[0],
             ct.conv_transpose2d(x2[None].astype(float), w2[None, None].astype(float), stride=2, padding=(1, 0),
                                 output_padding=(1, 0))[0],
             ct.conv_transpose1d(x1[None], w1[None, None], stride=3, padding=1)[0]]
    for p, g, want in zip(players, got, wants):
        assert tuple(g["output"]) == want.shape, p
        assert np.allclose(np.reshape(g["outs"], g["output"]), want), p


def test_html_is_self_contained_and_deterministic():
    ex = static_explorer("transposed", input=2, kernel=3, stride=2, numbers=True)
    text = ex.to_html()
    script, style = explorer_assets()
    assert script in text and style in text
    assert '<div data-convtutor-explorer="transposed" id="ct-' in text
    assert 'data-convtutor-asset="explorer.js"' in text and 'data-convtutor-asset="explorer.css"' in text
    for needle in ("http://", "https://", "src=", "href=", "@import"):
        # the SVG namespace string is an identifier, never fetched
        assert needle not in text.replace("http://www.w3.org/2000/svg", ""), needle
    again = static_explorer("transposed", input=2, kernel=3, stride=2, numbers=True)
    assert again.to_html() == text and re.fullmatch(r"ct-[0-9a-f]{10}", ex.element_id)
    other = static_explorer("transposed", input=2, kernel=3, stride=2, numbers=False)
    assert other.element_id != ex.element_id
    assert static_explorer(key="shape-demo").element_id == "ct-shape-demo"
    # the element alone is small: the page's weight is the configuration
    assert len(ex.to_html(assets=False)) < 900
    assert len(player(values=np.arange(25).reshape(5, 5)).to_html(assets=False)) < 900


def test_display_bundle():
    ex = static_explorer(input=(5, 7), kernel=(3, 1), padding=(1, 0), numbers=True, title="A <b> & 'c'")
    bundle = ex._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", MIME}
    assert bundle["text/plain"] == repr(ex) == \
        "<convtutor static explorer: conv, input=5x7, kernel=3x1, stride=1, padding=1x0, dilation=1>"
    payload = bundle[MIME]
    assert json.loads(json.dumps(payload)) == payload  # plain JSON, as a notebook stores it
    assert payload["kind"] == "conv" and payload["mode"] == "explore" and payload["id"] == ex.element_id
    assert element_html(payload) in bundle["text/html"]
    config = json.loads(re.search(r"data-config='([^']*)'", element_html(payload)).group(1)
                        .replace("&#x27;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    assert config["title"] == "A <b> & 'c'"
    assert [(p["name"], p.get("axis")) for p in config["params"]][:4] == \
        [("input", 0), ("input", 1), ("kernel", 0), ("kernel", 1)]
    assert config["layer"]["input"] == [5, 7] and config["layer"]["padding"] == [1, 0]
    assert ex._repr_mimebundle_(include={"text/plain"}) == {"text/plain": repr(ex)}
    assert ex._repr_html_() == bundle["text/html"]


def test_old_reprs_are_unchanged():
    """Existing notebooks compare these texts (nbval): square explorers keep them."""
    assert repr(static_explorer("conv", input=8, kernel=3, padding=1, in_channels=16, out_channels=32, groups=1)) == \
        ("<convtutor static explorer: conv, input=8, kernel=3, stride=1, padding=1, dilation=1, in_channels=16, "
         "out_channels=32, groups=1>")
    assert repr(static_explorer("transposed", input=2, kernel=3, stride=2, output_padding=1)) == \
        ("<convtutor static explorer: transposed, input=2, kernel=3, stride=2, padding=0, dilation=1, "
         "output_padding=1>")
    assert repr(static_explorer(input=8, ndim=1, flip=True)) == \
        "<convtutor static explorer: conv 1-D, input=8, kernel=3, stride=1, padding=0, dilation=1, flip=True>"


def test_inline_script_runs_like_the_file(tmp_path):
    """The compacted inline copy (comments dropped) is the same program."""
    compact = tmp_path / "inline.js"
    compact.write_text(explorer_assets()[0], encoding="utf-8")
    assert len(compact.read_text()) < 0.8 * len(ASSET.read_text())
    calls = [["geometry", s] for s in random_states(40, seed=3)] + [["version", None]]
    assert run_js(calls, compact) == run_js(calls, ASSET)


def test_static_explorer_validation():
    with pytest.raises(ValueError, match="kind='pool' must be 'conv' or 'transposed'"):
        static_explorer("pool")
    with pytest.raises(ValueError, match=r"stride=9 must lie in its slider range \[1, 4\]"):
        static_explorer(stride=9)
    with pytest.raises(ValueError, match=r"input=13 must lie in its slider range"):
        static_explorer(input=(5, 13))
    with pytest.raises(ValueError, match=r"more than the padded input size = input_size \+ padding = 2"):
        static_explorer(input=2, kernel=5)
    with pytest.raises(ValueError, match=r"output_padding=(2|\(2, 2\)) must be smaller than stride"):
        static_explorer("transposed", stride=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding is a parameter of kind='transposed' only"):
        static_explorer(output_padding=1)
    with pytest.raises(ValueError, match="groups=3 must divide in_channels=4"):
        static_explorer(in_channels=4, out_channels=6, groups=3)
    with pytest.raises(TypeError, match="kernel must be an int or a tuple of 2 ints"):
        static_explorer(kernel=2.5)
    with pytest.raises(ValueError, match="limits has 'groups'"):
        static_explorer(limits={"groups": (1, 4)})
    with pytest.raises(ValueError, match=r"limits\['input'\]=\(5, 3\) must have min <= max"):
        static_explorer(limits={"input": (5, 3)})
    with pytest.raises(ValueError, match="disagree on the number of spatial dimensions"):
        static_explorer(input=(5, 5), kernel=(3,))
    with pytest.raises(ValueError, match="ndim=3 must be 1 or 2"):
        static_explorer(ndim=3)
    with pytest.raises(ValueError, match="view='scatter' draws a transposed convolution"):
        static_explorer(view="scatter")
    with pytest.raises(TypeError, match="flip must be True or False"):
        static_explorer(flip=1)
    with pytest.raises(ValueError, match="key='A b' must be"):
        static_explorer(key="A b")
    with pytest.raises(ValueError, match=r"padding=\(-1, 0\) must be >= 0"):
        static_explorer(padding=(-1, 0))


def test_player_validation():
    with pytest.raises(ValueError, match=r"values has shape \(4, 4\) but input=\(5, 5\)"):
        player(input=5, values=np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"weights has shape \(3, 3\) but kernel=\(2, 2\)"):
        player(kernel=2, weights=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="values must be a 1-D or 2-D array of spatial values"):
        player(values=np.zeros((1, 1, 5, 5)))
    with pytest.raises(ValueError, match="values must hold finite numbers"):
        player(values=np.full((5, 5), np.nan))
    with pytest.raises(TypeError, match="values must be a real numeric array"):
        player(values=np.array([["a"]]))
    with pytest.raises(ValueError, match="disagree on the number of spatial dimensions"):
        player(values=np.zeros(5), weights=np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"interval_ms=10 must lie in \[50, 10000\]"):
        player(interval_ms=10)
    with pytest.raises(ValueError, match="a player draws at most 64"):
        player("transposed", input=30, kernel=3, stride=3)
    with pytest.raises(ValueError, match="the output would be empty"):
        player(input=2, kernel=3)
    with pytest.raises(ValueError, match="output_padding is a parameter of kind='transposed' only"):
        player(output_padding=1)
    p = player("transposed", values=np.ones((2, 3)), weights=np.ones(3)[None], stride=2)
    assert p.layer["input"] == (2, 3) and p.layer["kernel"] == (1, 3) and p.frames == 3 * 7
    assert player("transposed", input=2, stride=2, view="scatter").frames == 4
    assert player(values=np.arange(6.0).reshape(2, 3), kernel=1).config()["values"] == [[0, 1, 2], [3, 4, 5]]


# ------------------------------------------------------------------ the book's renderer


def test_mystnb_renderer(monkeypatch):
    """The myst-nb plugin writes the element alone when the book serves the assets, with them
    inline otherwise, and leaves other MIME types alone."""
    from convtutor._mystnb import NODE_FLAG, ExplorerMimeRenderer

    payload = static_explorer(numbers=True).payload()

    def render(env, mime=MIME, content=payload):
        renderer = types.SimpleNamespace(renderer=types.SimpleNamespace(sphinx_env=env))
        data = types.SimpleNamespace(mime_type=mime, content=content)
        return ExplorerMimeRenderer.handle_mime(renderer, data, False)

    served = types.SimpleNamespace(config=types.SimpleNamespace(convtutor_explorer_assets="static"))
    [node] = render(served)
    assert node.astext() == element_html(payload) and node[NODE_FLAG] and node["format"] == "html"
    [inline] = render(None, content=json.dumps(payload))
    assert inline.astext().startswith(element_html(payload)) and explorer_assets()[0] in inline.astext()
    assert render(served, mime="text/html") is None
    with pytest.raises(ValueError, match="payload format 1 is not 2"):
        render(served, content={**payload, "format": 1})


def test_book_extension_links_assets_on_explorer_pages_only(tmp_path, monkeypatch):
    from docutils import nodes

    from convtutor._mystnb import NODE_FLAG

    monkeypatch.syspath_prepend(str(ROOT / "book" / "_ext"))
    sys.modules.pop("convtutor_explorers", None)
    import convtutor_explorers as ext

    added = []
    app = types.SimpleNamespace(
        add_js_file=lambda name, **kw: added.append((name, kw)), add_css_file=lambda name, **kw: added.append((name, kw)),
        builder=types.SimpleNamespace(format="html"), outdir=str(tmp_path))
    plain = nodes.document(None, None)
    plain += nodes.raw("", "<div>not an explorer</div>", format="html")
    ext._link_assets(app, "a", "page.html", {}, plain)
    ext._link_assets(app, "b", "page.html", {}, None)
    assert added == []
    page = nodes.document(None, None)
    flagged = nodes.raw("", "<div></div>", format="html")
    flagged[NODE_FLAG] = True
    page += flagged
    ext._link_assets(app, "c", "page.html", {}, page)
    assert added == [("convtutor/explorer.css", {}), ("convtutor/explorer.js", {"loading_method": "defer"})]
    ext._copy_assets(app)
    for name, text in zip(("explorer.js", "explorer.css"), explorer_assets()):
        assert (tmp_path / "_static" / "convtutor" / name).read_text(encoding="utf-8") == text


# ------------------------------------------------------------------ the inverse shape solver


def test_js_solver_lists_exactly_what_layers_for_lists():
    rng = random.Random(7)
    cases = [(32, 16, False, 7, 4, 3), (16, 32, True, 7, 4, 3), (7, 7, False, 5, 2, 2), (5, 2, False, 3, 2, 1),
             (2, 5, True, 3, 2, 1), (28, 56, True, 4, 2, 1), (1, 1, True, 3, 3, 3), (9, 100, False, 7, 4, 3)]
    cases += [(rng.randint(1, 40), rng.randint(1, 40), rng.random() < 0.5, rng.randint(1, 7), rng.randint(1, 4),
               rng.randint(1, 3)) for _ in range(40)]
    got = run_js([["layersFor", {"i": i, "o": o, "transposed": t, "k": k, "s": s, "d": d}]
                  for i, o, t, k, s, d in cases])
    nonempty = 0
    for (i, o, t, k, s, d), js in zip(cases, got):
        want = [dataclasses.asdict(c) for c in
                ct.layers_for(i, o, transposed=t, max_kernel=k, max_stride=s, max_dilation=d)]
        assert js == want, (i, o, t, k, s, d)
        nonempty += bool(want)
    assert nonempty >= 15


def test_state_fragment_is_what_the_script_writes():
    rng = random.Random(3)
    states = []
    for _ in range(200):
        kind = rng.choice(["conv", "transposed"])
        two = rng.random() < 0.7
        size = (lambda lo, hi: (rng.randint(lo, hi), rng.randint(lo, hi)) if two else (rng.randint(lo, hi),))
        state = dict(input=size(1, 20), kernel=size(1, 7), stride=size(1, 4), padding=size(0, 3),
                     dilation=size(1, 3))
        if kind == "transposed":
            state["output_padding"] = size(0, 2)
        states.append((kind, state))
    js = run_js([["encode", {"kind": kind, **{k: list(v) for k, v in st.items()}}] for kind, st in states])
    for (kind, st), text in zip(states, js):
        assert state_fragment(kind, **st) == text


def test_solver_element_and_validation():
    target = static_explorer(input=16, kernel=3, key="layer", limits={"input": (1, 64)})
    html = solver_explorer(16, 8, transposed=True, target=target).to_html(assets=False)
    assert html.startswith('<div data-convtutor-solver="transposed" id="ct-')
    config = json.loads(re.search(r"data-config='([^']*)'", html).group(1))
    assert config["target"] == "ct-layer" and config["max_kernel"] == 7 and config["transposed"] is True
    for call, match in [(lambda: solver_explorer(0, 4), "input=0 must be >= 1"),
                        (lambda: solver_explorer(5000, 4), "input=5000 must be at most 4096"),
                        (lambda: solver_explorer(4, 4, max_stride=0), "max_stride=0 must be >= 1"),
                        (lambda: solver_explorer(4, 4, target="layer"), "target='layer' must be an explorer")]:
        with pytest.raises(ValueError, match=match):
            call()
