/* convtutor explorer: the browser's one drawing engine for (transposed) convolutions.
 * Kernel-free, offline, no dependency: plain ES5 that runs in Chromium, JupyterLab and node.
 *
 * MARKUP (written by convtutor/explorer.py)
 *   <div class="ct-explorer" id="ct-XXXXXXXXXX" data-convtutor-explorer="conv|transposed"
 *        data-config='{json}'></div>          an explorer: sliders change the layer
 *   <div class="ct-explorer" id="..." data-convtutor-player="conv|transposed"
 *        data-config='{json}'></div>          a player: fixed layer, play/pause/step/scrub
 *   <div class="ct-explorer" id="..." data-convtutor-solver="conv|transposed"
 *        data-config='{json}'></div>          the inverse shape solver: two sizes in, every layer
 *                                              out; a click opens one in the explorer "target"
 * The config (keys sorted, see convtutor.explorer) holds "layer" (one list per parameter, one
 * entry per spatial dimension: input, kernel, stride, padding, dilation, output_padding),
 * "params" (the sliders: name, value, min, max, and "axis" for a per-axis slider), "flip",
 * "view" ("conv" or "scatter"), "numbers", "title", and for players "values", "weights"
 * (nested lists), "interval" (ms) and "autoplay".
 *
 * WHAT IS DRAWN (SVG, one frame at a time)
 *   view "conv": the grid the kernel slides on (input cells, padding dashed, inserted zeros of a
 *     transposed convolution dotted), the kernel footprint with its weights, the output cell
 *     being computed and the outputs computed so far. One frame per output cell.
 *   view "scatter" (transposed only): each input cell adds a scaled copy of the kernel onto the
 *     uncropped output (the canvas); the border the padding crops is dashed. One frame per
 *     input cell.
 *   Pointing at (or tapping) an output cell highlights the cells it reads and prints its sum of
 *   products; pointing at an input cell highlights the output cells it adds to.
 *   The geometry mirrors convtutor/geometry.py (conv_geometry, transposed_geometry,
 *   Geometry.footprint, Geometry.scatter, grid_kind, canvas_size, canvas_offset);
 *   tests/test_explorer.py compares the two cell by cell under node.
 *
 * STATE IN THE PAGE URL
 *   Each explorer keeps its layer in location.hash under its element id; several explorers
 *   share the hash, joined by "&" (other parts of the hash are kept):
 *     #ct-3fa9c01b2e=kind:conv;i:5x5;k:3x3;s:2x2;p:1x1;d:1x1;flip:0;at:4
 *   Fields are name:value, separated by ";". Sizes give one integer per spatial dimension
 *   joined by "x" (height x width; a 1-D layer has one integer): i input, k kernel, s stride,
 *   p padding (the same before and after), d dilation, op output_padding (transposed only).
 *   kind is conv or transposed; view (transposed only) is conv or scatter; flip is 0 or 1
 *   (1: true convolution, the kernel flipped); ch is in_channels,out_channels,groups (only
 *   for explorers with channel sliders); at is the frame shown (0 when omitted). Unknown
 *   fields are ignored. The hash is rewritten (history.replaceState, at most every 200 ms)
 *   when the reader changes the layer; players, and explorers inside a notebook's output area,
 *   never write it. A link restores any element on load (and scrolls to the first one it set)
 *   or on a hash change.
 *
 * JAVASCRIPT API (window.convtutorExplorer)
 *   setState(element, state)  apply a partial state {kind, input, kernel, stride, padding,
 *                             dilation, output_padding, flip, view, position, in_channels,
 *                             out_channels, groups} (an int or one int per dimension), return
 *                             the full state; element is the element or its id.
 *   getState(element)         the full state (sizes as arrays).
 *   link(element, state)      "#<id>=<fields>": a hash that opens state in that explorer.
 *   exportSVG(element)        the current frame as a standalone SVG string (styles inlined).
 *   layersFor(i, o, transposed, maxKernel, maxStride, maxDilation)
 *                             every layer that maps size i to o (convtutor.solver.layers_for's twin).
 *   encodeState, decodeState, geometry, outputs, scatterCanvas, terms, message, MESSAGES:
 *                             the pure functions below (the tests call them under node).
 */
(function (root) {
  "use strict";

  var VERSION = "2";

  // ------------------------------------------------------------------ size-rule messages
  // The one place of the JS texts: the same words as the Python package's exceptions.
  var MESSAGES = {
    empty: "in dimension {dim}, kernel_size={k} with dilation={d} spans d*(k-1)+1 = {keff} cells, " +
      "more than the padded input size = input_size + padding = {i}+{pb}+{pa} = {total}: the output would be empty",
    outputPadding: "in dimension {dim}, output_padding={op} must be smaller than stride={s} or dilation={d}",
    cropped: "in dimension {dim}, the output size (i-1)*s - p_before - p_after + d*(k-1) + output_padding + 1 " +
      "= ({i}-1)*{s} - {pb} - {pa} + {d}*({k}-1) + {op} + 1 = {o} is below 1: padding={pb}+{pa} crops everything",
    groupsIn: "groups={g} must divide in_channels={cin}",
    groupsOut: "groups={g} must divide out_channels={cout}"
  };

  function message(name, fields) {
    return MESSAGES[name].replace(/\{(\w+)\}/g, function (whole, key) { return String(fields[key]); });
  }

  // ------------------------------------------------------------------ small helpers
  function product(list) {
    var n = 1;
    for (var a = 0; a < list.length; a++) { n *= list[a]; }
    return n;
  }

  // Row-major multi-index of flat position n in shape, and back.
  function unravel(n, shape) {
    var idx = new Array(shape.length);
    for (var a = shape.length - 1; a >= 0; a--) { idx[a] = n % shape[a]; n = Math.floor(n / shape[a]); }
    return idx;
  }

  function ravel(idx, shape) {
    var n = 0;
    for (var a = 0; a < shape.length; a++) { n = n * shape[a] + idx[a]; }
    return n;
  }

  function inside(idx, shape) {
    for (var a = 0; a < shape.length; a++) { if (idx[a] < 0 || idx[a] >= shape[a]) { return false; } }
    return true;
  }

  function isInt(v) { return typeof v === "number" && isFinite(v) && Math.floor(v) === v; }

  // ------------------------------------------------------------------ state
  var SIZES = ["input", "kernel", "stride", "padding", "dilation", "output_padding"];
  var MINIMUM = { input: 1, kernel: 1, stride: 1, padding: 0, dilation: 1, output_padding: 0,
                  in_channels: 1, out_channels: 1, groups: 1 };
  var DEFAULTS = { input: 5, kernel: 3, stride: 1, padding: 0, dilation: 1, output_padding: 0 };
  var CHANNELS = ["in_channels", "out_channels", "groups"];
  var SHORT = { input: "i", kernel: "k", stride: "s", padding: "p", dilation: "d", output_padding: "op" };
  var STATE_KEYS = SIZES.concat(CHANNELS, ["kind", "ndim", "flip", "view", "position"]);

  function sizeList(name, value, ndim) {
    var list = Array.isArray(value) ? value.slice() : null;
    if (list === null) {
      if (!isInt(value)) { throw new TypeError(name + " must be an integer or a list of integers, got " + value); }
      list = [];
      for (var a = 0; a < ndim; a++) { list.push(value); }
    }
    if (list.length !== ndim) {
      throw new RangeError(name + "=" + JSON.stringify(value) + " must have " + ndim + " value(s), one per dimension");
    }
    list.forEach(function (v) {
      if (!isInt(v) || v < MINIMUM[name]) {
        throw new RangeError(name + "=" + JSON.stringify(value) + " must hold integers >= " + MINIMUM[name]);
      }
    });
    return list;
  }

  // A complete, checked state from a partial one (missing entries come from base, then defaults).
  function normalize(partial, base) {
    partial = partial || {};
    base = base || {};
    for (var key in partial) {
      if (Object.prototype.hasOwnProperty.call(partial, key) && STATE_KEYS.indexOf(key) < 0) {
        throw new TypeError("unknown state entry " + JSON.stringify(key) + " (known: " + STATE_KEYS.join(", ") + ")");
      }
    }
    function pick(name) { return partial[name] !== undefined ? partial[name] : base[name]; }
    var kind = pick("kind") || "conv";
    if (kind !== "conv" && kind !== "transposed") { throw new TypeError("kind must be 'conv' or 'transposed', got " + kind); }
    var ndim = partial.ndim;
    if (ndim === undefined) {
      for (var n = 0; n < SIZES.length && ndim === undefined; n++) {
        if (Array.isArray(partial[SIZES[n]])) { ndim = partial[SIZES[n]].length; }
      }
    }
    if (ndim === undefined) { ndim = base.ndim || 2; }
    if (ndim !== 1 && ndim !== 2) { throw new RangeError("ndim must be 1 or 2, got " + ndim); }
    var s = { kind: kind, ndim: ndim };
    SIZES.forEach(function (name) {
      var v = partial[name];
      if (v === undefined) {
        v = base[name];
        // a base of another dimension count gives its first value to every axis
        if (Array.isArray(v) && v.length !== ndim) { v = v[0]; }
      }
      s[name] = sizeList(name, v === undefined ? DEFAULTS[name] : v, ndim);
    });
    CHANNELS.forEach(function (name) {
      var v = pick(name);
      if (v !== undefined && v !== null) {
        if (!isInt(v) || v < 1) { throw new RangeError(name + " must be an integer >= 1, got " + v); }
        s[name] = v;
      }
    });
    s.flip = !!pick("flip");
    var view = pick("view") || "conv";
    if (view !== "conv" && view !== "scatter") { throw new TypeError("view must be 'conv' or 'scatter', got " + view); }
    s.view = kind === "transposed" ? view : "conv";
    var position = pick("position") || 0;
    if (!isInt(position) || position < 0) { throw new RangeError("position must be an integer >= 0, got " + position); }
    s.position = position;
    return s;
  }

  // ------------------------------------------------------------------ geometry (pure)
  // The geometry of one layer, as convtutor.geometry builds it; {error: text} for an impossible one.
  function geometry(state) {
    var s = normalize(state);
    var n = s.ndim, transposed = s.kind === "transposed";
    var g = {
      kind: s.kind, transposed: transposed, ndim: n,
      input: s.input, kernel: s.kernel, stride: s.stride, dilation: s.dilation,
      padding: [], outputPadding: transposed ? s.output_padding : zeros(n),
      output: [], grid: [], gridPadding: [], gridStride: [], inputStep: [], canvas: [], canvasOffset: []
    };
    for (var a = 0; a < n; a++) {
      var i = s.input[a], k = s.kernel[a], st = s.stride[a], p = s.padding[a], d = s.dilation[a];
      var keff = d * (k - 1) + 1;
      g.padding.push([p, p]);
      if (!transposed) {
        var total = i + 2 * p;
        if (keff > total) {
          return { error: message("empty", { dim: a, d: d, k: k, keff: keff, i: i, pb: p, pa: p, total: total }) };
        }
        g.output.push(Math.floor((total - keff) / st) + 1);
        g.grid.push(total);
        g.gridPadding.push([p, p]);
        g.gridStride.push(st);
        g.inputStep.push(1);
      } else {
        var op = s.output_padding[a];
        if (op >= st && op >= d) {
          return { error: message("outputPadding", { dim: a, op: op, s: st, d: d }) };
        }
        var o = (i - 1) * st - 2 * p + d * (k - 1) + op + 1;
        if (o < 1) {
          return { error: message("cropped", { dim: a, i: i, s: st, pb: p, pa: p, d: d, k: k, op: op, o: o }) };
        }
        var before = d * (k - 1) - p;
        g.output.push(o);
        g.grid.push((i - 1) * st + 1 + 2 * before + op);
        g.gridPadding.push([before, before + op]);
        g.gridStride.push(1);
        g.inputStep.push(st);
      }
    }
    for (var b = 0; b < n; b++) {
      var e = g.dilation[b] * (g.kernel[b] - 1) + 1;
      g.canvas.push(transposed ? Math.max((g.input[b] - 1) * g.stride[b] + e, g.padding[b][0] + g.output[b]) : g.output[b]);
      g.canvasOffset.push(transposed ? g.padding[b][0] : 0);
    }
    var cin = s.in_channels || 1, cout = s.out_channels || 1, groups = s.groups || 1;
    if (cin % groups !== 0) { return { error: message("groupsIn", { g: groups, cin: cin }) }; }
    if (cout % groups !== 0) { return { error: message("groupsOut", { g: groups, cout: cout }) }; }
    var taps = product(g.kernel);
    g.weights = (cin / groups) * cout * taps;
    g.parameters = g.weights + cout;
    g.macs = transposed ? product(g.input) * cin * (cout / groups) * taps : product(g.output) * cout * (cin / groups) * taps;

    // kind of a grid cell: "padding" if outside the (zero-stuffed) input along any axis,
    // else "inserted" if between two input values along any axis, else "input"
    g.kindOf = function (cell) {
      var inserted = false;
      for (var a2 = 0; a2 < n; a2++) {
        var c = cell[a2] - g.gridPadding[a2][0], step = g.inputStep[a2];
        if (c < 0 || c > (g.input[a2] - 1) * step) { return "padding"; }
        if (c % step !== 0) { inserted = true; }
      }
      return inserted ? "inserted" : "input";
    };
    g.inputOf = function (cell) {
      var out = [];
      for (var a2 = 0; a2 < n; a2++) {
        var c = cell[a2] - g.gridPadding[a2][0], step = g.inputStep[a2];
        if (c < 0 || c > (g.input[a2] - 1) * step || c % step !== 0) { return null; }
        out.push(c / step);
      }
      return out;
    };
    // the taps of output cell y, in the order the window covers the grid (row-major);
    // kernel is the index of the stored weight (flipped back for a transposed convolution)
    g.footprint = function (y) {
      var list = [], count = product(g.kernel);
      for (var t = 0; t < count; t++) {
        var tap = unravel(t, g.kernel), cell = [], weight = [];
        for (var a2 = 0; a2 < n; a2++) {
          cell.push(y[a2] * g.gridStride[a2] + tap[a2] * g.dilation[a2]);
          weight.push(transposed ? g.kernel[a2] - 1 - tap[a2] : tap[a2]);
        }
        list.push({ kernel: weight, cell: cell, input: g.inputOf(cell), kind: g.kindOf(cell) });
      }
      return list;
    };
    // the cells input cell x adds to, in kernel order; for a transposed convolution every tap
    // (canvas index; output null where the padding crops it), for a direct one only the taps
    // that reach an output cell
    g.scatter = function (x) {
      var list = [], count = product(g.kernel);
      for (var t = 0; t < count; t++) {
        var tap = unravel(t, g.kernel), canvas = [], out = [], ok = true;
        for (var a2 = 0; a2 < n; a2++) {
          if (transposed) {
            var c = x[a2] * g.stride[a2] + tap[a2] * g.dilation[a2];
            canvas.push(c);
            out.push(c - g.canvasOffset[a2]);
          } else {
            var z = x[a2] + g.padding[a2][0] - tap[a2] * g.dilation[a2];
            var y = Math.floor(z / g.stride[a2]);
            if (z % g.stride[a2] !== 0 || y < 0 || y >= g.output[a2]) { ok = false; break; }
            canvas.push(y);
            out.push(y);
          }
        }
        if (transposed) {
          list.push({ kernel: tap, canvas: canvas, output: inside(out, g.output) ? out : null });
        } else if (ok) {
          list.push({ kernel: tap, canvas: canvas, output: out });
        }
      }
      return list;
    };
    return g;
  }

  function zeros(n) {
    var z = [];
    for (var a = 0; a < n; a++) { z.push(0); }
    return z;
  }

  // ------------------------------------------------------------------ numbers (pure)
  // A tensor is {shape, data} with data flat, row-major.
  function tensor(nested) {
    var shape = [], probe = nested;
    while (Array.isArray(probe)) { shape.push(probe.length); probe = probe[0]; }
    var data = [];
    (function walk(v) {
      if (Array.isArray(v)) { v.forEach(walk); } else { data.push(Number(v)); }
    })(nested);
    return { shape: shape, data: data };
  }

  // Deterministic small integers, so a reader can check a sum by hand. Kernels are never
  // symmetric under a flip (up to 7 taps in 1-D), so flipping them changes the sums.
  var KERNEL_1D = [1, 2, 0, -1, 3, 1, 2], INPUT_1D = [2, 4, 1, 3, 3, 1, 4, 2, 1, 2, 3];
  function inputValue(r, c) { return (r * 7 + c * 3 + (r * c) % 5) % 4 + 1; }
  function kernelValue(r, c, k) { return ((r * 5 + c * 2 + k) % 3) - (r === c ? 0 : 1) + 1; }

  function defaultValues(shape) {
    var data = [], count = product(shape);
    for (var n = 0; n < count; n++) {
      var idx = unravel(n, shape);
      data.push(shape.length === 1 ? INPUT_1D[idx[0] % INPUT_1D.length] : inputValue(idx[0], idx[1]));
    }
    return { shape: shape.slice(), data: data };
  }

  function defaultWeights(shape) {
    var data = [], count = product(shape);
    for (var n = 0; n < count; n++) {
      var idx = unravel(n, shape);
      data.push(shape.length === 1 ? KERNEL_1D[idx[0] % KERNEL_1D.length] : kernelValue(idx[0], idx[1], shape[0]));
    }
    return { shape: shape.slice(), data: data };
  }

  // The weight a tap multiplies: the stored one, or with flip the one of the flipped kernel.
  function weightAt(w, index, flip) {
    if (!flip) { return w.data[ravel(index, w.shape)]; }
    var mirrored = [];
    for (var a = 0; a < index.length; a++) { mirrored.push(w.shape[a] - 1 - index[a]); }
    return w.data[ravel(mirrored, w.shape)];
  }

  // The products that make output cell y: [[input value, weight], ...] over the input taps.
  function terms(geo, y, x, w, flip) {
    var list = [], total = 0;
    geo.footprint(y).forEach(function (t) {
      if (t.kind === "input") {
        var v = x.data[ravel(t.input, x.shape)], k = weightAt(w, t.kernel, flip);
        list.push([v, k]);
        total += v * k;
      }
    });
    return { terms: list, total: total };
  }

  // Every output value, row-major (the frames of the "conv" view).
  function outputs(geo, x, w, flip) {
    var out = [], count = product(geo.output);
    for (var n = 0; n < count; n++) { out.push(terms(geo, unravel(n, geo.output), x, w, flip).total); }
    return out;
  }

  // The canvas of the "scatter" view once input cells 0..upto (row-major) have added their
  // kernel copies; the output is the canvas without the cropped border.
  function scatterCanvas(geo, x, w, flip, upto) {
    var canvas = [], count = product(geo.canvas);
    for (var c = 0; c < count; c++) { canvas.push(0); }
    var last = upto === undefined ? product(geo.input) - 1 : upto;
    for (var n = 0; n <= last; n++) {
      var idx = unravel(n, geo.input), v = x.data[n];
      geo.scatter(idx).forEach(function (h) { canvas[ravel(h.canvas, geo.canvas)] += v * weightAt(w, h.kernel, flip); });
    }
    return canvas;
  }

  // ------------------------------------------------------------------ URL state (pure)
  function encodeState(state) {
    var s = normalize(state);
    var f = ["kind:" + s.kind];
    ["input", "kernel", "stride", "padding", "dilation"].forEach(function (name) {
      f.push(SHORT[name] + ":" + s[name].join("x"));
    });
    if (s.kind === "transposed") {
      f.push("op:" + s.output_padding.join("x"));
      f.push("view:" + s.view);
    }
    if (s.in_channels !== undefined) { f.push("ch:" + [s.in_channels, s.out_channels || 1, s.groups || 1].join(",")); }
    f.push("flip:" + (s.flip ? 1 : 0));
    if (s.position) { f.push("at:" + s.position); }
    return f.join(";");
  }

  // A partial state from the fields of encodeState; null when the text is malformed.
  function decodeState(text) {
    var out = {}, ok = true, ndim;
    var byShort = {};
    for (var name in SHORT) { byShort[SHORT[name]] = name; }
    function ints(value, sep) {
      var parts = value.split(sep), list = [];
      for (var a = 0; a < parts.length; a++) {
        if (!/^\d+$/.test(parts[a])) { ok = false; return null; }
        list.push(parseInt(parts[a], 10));
      }
      return list;
    }
    String(text).split(";").forEach(function (field) {
      if (!ok || !field) { return; }
      var colon = field.indexOf(":");
      if (colon < 1) { ok = false; return; }
      var key = field.slice(0, colon), value = field.slice(colon + 1);
      if (key === "kind") {
        if (value !== "conv" && value !== "transposed") { ok = false; }
        out.kind = value;
      } else if (byShort[key]) {
        var list = ints(value, "x");
        if (list === null || list.length < 1 || list.length > 2 || (ndim !== undefined && list.length !== ndim)) { ok = false; return; }
        ndim = list.length;
        out[byShort[key]] = list;
      } else if (key === "view") {
        if (value !== "conv" && value !== "scatter") { ok = false; }
        out.view = value;
      } else if (key === "flip") {
        if (value !== "0" && value !== "1") { ok = false; }
        out.flip = value === "1";
      } else if (key === "ch") {
        var ch = ints(value, ",");
        if (ch === null || ch.length !== 3) { ok = false; return; }
        out.in_channels = ch[0]; out.out_channels = ch[1]; out.groups = ch[2];
      } else if (key === "at") {
        var at = ints(value, ",");
        if (at === null || at.length !== 1) { ok = false; return; }
        out.position = at[0];
      }
    });
    return ok ? out : null;
  }

  // The hash entries: {order: [parts], states: {key: fields}}.
  function parseHash(hash) {
    var parts = String(hash || "").replace(/^#/, "").split("&"), states = {}, others = [];
    parts.forEach(function (part) {
      if (!part) { return; }
      var eq = part.indexOf("=");
      if (eq > 3 && part.slice(0, 3) === "ct-") {
        var value = part.slice(eq + 1);
        try { value = decodeURIComponent(value); } catch (err) { return; }
        states[part.slice(0, eq)] = value;
      } else {
        others.push(part);
      }
    });
    return { states: states, others: others };
  }

  function formatHash(parsed) {
    var parts = parsed.others.slice();
    Object.keys(parsed.states).sort().forEach(function (key) { parts.push(key + "=" + parsed.states[key]); });
    return parts.join("&");
  }

  // ------------------------------------------------------------------ text
  var MINUS = "\u2212", TIMES = "\u00d7", DOT = "\u00b7";

  function fmt(v) {
    var r = Math.round(v);
    var text = Math.abs(v - r) < 1e-9 ? String(Math.abs(r)) : String(parseFloat(Math.abs(v).toFixed(2)));
    return (v < 0 && text !== "0" ? MINUS : "") + text;
  }

  function fmtFactor(v) { return v < 0 ? "(" + fmt(v) + ")" : fmt(v); }

  function sizeText(list) { return list.join(TIMES); }

  function indexText(idx) { return idx.length === 1 ? String(idx[0]) : "(" + idx.join(", ") + ")"; }

  // "3·1 + 2·0 + … = 14": at most 12 products written out
  function sumText(t) {
    var parts = t.terms.map(function (p) { return fmtFactor(p[0]) + DOT + fmtFactor(p[1]); });
    if (!parts.length) { return "0 (the kernel covers only padding and inserted zeros)"; }
    var shown = parts.length > 12 ? parts.slice(0, 10).concat(["\u2026"]) : parts;
    var more = parts.length > 12 ? " (" + parts.length + " products)" : "";
    return shown.join(" + ") + " = " + fmt(t.total) + more;
  }

  // ------------------------------------------------------------------ drawing
  var NS = "http://www.w3.org/2000/svg";
  var LABELS = {
    input: "input size i", kernel: "kernel size k", stride: "stride s", padding: "padding p",
    dilation: "dilation d", output_padding: "output_padding", in_channels: "in channels",
    out_channels: "out channels", groups: "groups"
  };
  var AXIS_NAMES = ["height", "width"];
  var AXIS_LABELS = {
    input: "input", kernel: "kernel", stride: "stride", padding: "padding", dilation: "dilation",
    output_padding: "output_padding"
  };
  var FONT = { title: 13, sub: 11, min: 9.5 };
  var MARGIN = 4, GAP_ROW = 56, GAP_COLUMN = 30, CELL_MAX = 44, HEAD = 38;

  function svgEl(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var key in attrs) { if (attrs[key] !== undefined) { e.setAttribute(key, attrs[key]); } }
    if (parent) { parent.appendChild(e); }
    return e;
  }

  function htmlEl(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    for (var key in attrs) { if (attrs[key] !== undefined) { e.setAttribute(key, attrs[key]); } }
    if (text !== undefined) { e.textContent = text; }
    if (parent) { parent.appendChild(e); }
    return e;
  }

  function textWidth(text, size) { return text.length * size * 0.6; }

  // Cell size and arrangement of two panels of a x b cells in W pixels: side by side ("row")
  // when the cells stay large enough, else the second panel under the first ("column").
  function plan(W, A, B, labelA, labelB, ndim) {
    var avail = Math.max(W - 2 * MARGIN, 120);
    var col = Math.min(CELL_MAX, Math.floor(avail / Math.max(A.cols, B.cols)));
    var row = Math.min(CELL_MAX, Math.floor((avail - GAP_ROW) / (A.cols + B.cols)));
    var mode = ndim === 1 || row < Math.min(col, 32) ? "column" : "row";
    var cell = mode === "row" ? row : col;
    if (mode === "row") {
      // labels wider than their grids take room too
      while (cell > 2 && Math.max(A.cols * cell, labelA) + GAP_ROW + Math.max(B.cols * cell, labelB) > avail) { cell--; }
      if (cell < Math.min(col, 32)) { mode = "column"; cell = col; }
    }
    cell = Math.max(cell, 2);
    var wA = Math.max(A.cols * cell, labelA), wB = Math.max(B.cols * cell, labelB);
    var hA = HEAD + A.rows * cell, hB = HEAD + B.rows * cell;
    var p = { mode: mode, cell: cell };
    if (mode === "row") {
      p.ax = MARGIN; p.ay = MARGIN;
      p.bx = MARGIN + wA + GAP_ROW; p.by = MARGIN;
      p.width = p.bx + wB + MARGIN;
      p.height = MARGIN + Math.max(hA, hB) + MARGIN;
    } else {
      p.ax = MARGIN; p.ay = MARGIN;
      p.bx = MARGIN; p.by = MARGIN + hA + GAP_COLUMN;
      p.width = MARGIN + Math.max(wA, wB) + MARGIN;
      p.height = p.by + hB + MARGIN;
    }
    return p;
  }

  function panelShape(size) { return size.length === 1 ? { rows: 1, cols: size[0] } : { rows: size[0], cols: size[1] }; }

  function Drawing(rootEl) {
    var cfg = JSON.parse(rootEl.getAttribute("data-config") || "{}");
    this.root = rootEl;
    this.cfg = cfg;
    this.mode = rootEl.hasAttribute("data-convtutor-player") ? "play" : "explore";
    this.kindAttr = this.mode === "play" ? "data-convtutor-player" : "data-convtutor-explorer";
    this.numbers = !!cfg.numbers;
    this.interval = Math.max(50, cfg.interval || 700);
    this.values = cfg.values ? tensor(cfg.values) : null;
    this.weights = cfg.weights ? tensor(cfg.weights) : null;
    this.ranges = {};
    this.linked = {};
    var self = this, start = {};
    (cfg.params || []).forEach(function (p) {
      var range = self.ranges[p.name];
      self.ranges[p.name] = range ? [Math.min(range[0], p.min), Math.max(range[1], p.max)] : [p.min, p.max];
      self.linked[p.name] = p.axis === undefined || p.axis === null;
      if (CHANNELS.indexOf(p.name) >= 0) { start[p.name] = p.value; }
    });
    var layer = cfg.layer || {};
    SIZES.forEach(function (name) { if (layer[name] !== undefined) { start[name] = layer[name]; } });
    start.kind = rootEl.getAttribute(this.kindAttr) || cfg.kind || "conv";
    start.flip = !!cfg.flip;
    start.view = cfg.view || "conv";
    this.state = normalize(start);
    this.position = 0;
    this.timer = null;
    this.pointed = null;
    this.pinned = null;
    this.marked = [];
    this.planKey = "";
    this.skeleton();
    var saved = parseHash(typeof location !== "undefined" ? location.hash : "").states[rootEl.id];
    this.restored = !!(saved && this.applyFields(saved));
    if (!this.restored) { this.changed(false); }
    this.watch();
  }

  Drawing.prototype.skeleton = function () {
    var root = this.root, self = this;
    while (root.firstChild) { root.removeChild(root.firstChild); }
    root.classList.add("ct-explorer");
    if (this.cfg.title) { htmlEl("div", { "class": "ct-title" }, root, this.cfg.title); }
    this.controls = htmlEl("div", { "class": "ct-controls" }, root);
    var bar = htmlEl("div", { "class": "ct-buttons" }, root);
    function button(action, title, text) {
      var b = htmlEl("button", { type: "button", "data-action": action, title: title, "aria-label": title }, bar, text);
      return b;
    }
    this.buttons = {
      first: button("first", "first frame", "|\u25c0"),
      back: button("back", "step back", "\u25c0"),
      play: button("play", "play / pause", "\u25b6 play"),
      step: button("step", "step forward", "\u25b6|")
    };
    this.scrub = htmlEl("input", { type: "range", min: 0, max: 0, step: 1, value: 0, "data-role": "scrub",
                                   "aria-label": "frame" }, bar);
    this.posText = htmlEl("span", { "class": "ct-position", "data-position": "" }, bar);
    this.buttons.save = button("export", "download this frame as SVG", "SVG \u2193");
    this.buttons.first.addEventListener("click", function () { self.stop(); self.go(0); });
    this.buttons.back.addEventListener("click", function () { self.stop(); self.go(self.position - 1); });
    this.buttons.step.addEventListener("click", function () { self.stop(); self.go(self.position + 1); });
    this.buttons.play.addEventListener("click", function () { if (self.timer) { self.stop(); } else { self.play(); } });
    this.buttons.save.addEventListener("click", function () { self.download(); });
    this.scrub.addEventListener("input", function () { self.stop(); self.go(parseInt(self.scrub.value, 10)); });
    this.figure = htmlEl("div", { "class": "ct-figure" }, root);
    this.svg = svgEl("svg", { "class": "ct-svg", role: "img", xmlns: NS }, this.figure);
    this.message = htmlEl("div", { "class": "ct-message", "data-message": "", role: "status" }, root);
    this.sum = htmlEl("div", { "class": "ct-sum", "data-sum": "" }, root);
    this.facts = htmlEl("div", { "class": "ct-facts" }, root);
    this.outText = htmlEl("span", { "data-output-size": "" }, this.facts);
    this.formula = htmlEl("span", { "class": "ct-formula", "data-formula": "" }, this.facts);
    if (this.mode === "explore") {
      this.paramText = htmlEl("span", { "data-parameters": "" }, this.facts);
      this.macText = htmlEl("span", { "data-macs": "" }, this.facts);
    }
    this.legend = htmlEl("div", { "class": "ct-legend", "aria-hidden": "true" }, root);
    // pointing and tapping
    this.svg.addEventListener("pointerover", function (ev) { self.point(ev.target, false); });
    this.svg.addEventListener("pointerleave", function () { self.point(null, false); });
    this.svg.addEventListener("click", function (ev) { self.point(ev.target, true); });
  };

  // The sliders this state needs: one per parameter, or one per axis where the axes differ
  // (or the config asked for per-axis sliders).
  Drawing.prototype.sliderPlan = function () {
    var s = this.state, list = [], self = this;
    if (this.mode !== "explore") { return list; }
    SIZES.forEach(function (name) {
      if (!self.ranges[name] && !(name === "output_padding" && s.kind === "transposed")) { return; }
      if (name === "output_padding" && s.kind !== "transposed") { return; }
      var values = s[name], same = values.every(function (v) { return v === values[0]; });
      if (s.ndim === 1 || (same && self.linked[name] !== false)) {
        list.push({ name: name, axis: null });
      } else {
        for (var a = 0; a < s.ndim; a++) { list.push({ name: name, axis: a }); }
      }
    });
    CHANNELS.forEach(function (name) { if (s[name] !== undefined) { list.push({ name: name, axis: null }); } });
    return list;
  };

  Drawing.prototype.buildControls = function () {
    var plan = this.sliderPlan(), self = this;
    var key = JSON.stringify(plan) + this.state.kind;
    if (key === this.controlsKey) { return; }
    this.controlsKey = key;
    var box = this.controls;
    while (box.firstChild) { box.removeChild(box.firstChild); }
    this.sliders = [];
    plan.forEach(function (item) {
      var name = item.name, range = self.ranges[name] || [MINIMUM[name], 3];
      var value = CHANNELS.indexOf(name) >= 0 ? self.state[name] : self.state[name][item.axis === null ? 0 : item.axis];
      var label = htmlEl("label", { "class": "ct-slider" }, box);
      var text = item.axis === null || self.state.ndim === 1 ? LABELS[name] : AXIS_LABELS[name] + " " + AXIS_NAMES[item.axis];
      htmlEl("span", { "class": "ct-name" }, label, text);
      var input = htmlEl("input", { type: "range", min: Math.min(range[0], value), max: Math.max(range[1], value),
                                    step: 1, value: value, "data-param": name,
                                    "data-axis": item.axis === null ? undefined : item.axis }, label);
      var shown = htmlEl("output", { "class": "ct-value" }, label, String(value));
      var slider = { name: name, axis: item.axis, input: input, shown: shown, max: Math.max(range[1], value) };
      input.addEventListener("input", function () { self.slid(slider); });
      self.sliders.push(slider);
    });
    if (this.mode !== "explore") { return; }
    var toggles = htmlEl("div", { "class": "ct-toggles" }, box);
    var flipLabel = htmlEl("label", { "class": "ct-toggle" }, toggles);
    this.flipBox = htmlEl("input", { type: "checkbox", "data-control": "flip" }, flipLabel);
    htmlEl("span", {}, flipLabel, " flip the kernel (true convolution)");
    this.flipBox.checked = this.state.flip;
    this.flipBox.addEventListener("change", function () { self.state.flip = self.flipBox.checked; self.changed(true); });
    this.viewBoxes = {};
    if (this.state.kind === "transposed") {
      var group = htmlEl("span", { "class": "ct-view", role: "radiogroup", "aria-label": "view" }, toggles);
      var name = (this.root.id || "ct") + "-view";
      [["conv", "as a convolution"], ["scatter", "as a scatter"]].forEach(function (pair) {
        var l = htmlEl("label", { "class": "ct-toggle" }, group);
        var r = htmlEl("input", { type: "radio", name: name, value: pair[0], "data-control": "view" }, l);
        htmlEl("span", {}, l, " " + pair[1]);
        r.checked = self.state.view === pair[0];
        r.addEventListener("change", function () { if (r.checked) { self.state.view = pair[0]; self.position = 0; self.changed(true); } });
        self.viewBoxes[pair[0]] = r;
      });
    }
  };

  Drawing.prototype.slid = function (slider) {
    var v = parseInt(slider.input.value, 10);
    slider.shown.textContent = String(v);
    if (CHANNELS.indexOf(slider.name) >= 0) {
      this.state[slider.name] = v;
    } else {
      for (var a = 0; a < this.state.ndim; a++) {
        if (slider.axis === null || slider.axis === a) { this.state[slider.name][a] = v; }
      }
    }
    this.changed(true);
  };

  // output_padding must stay below stride or dilation: its slider stops there.
  Drawing.prototype.limit = function () {
    var s = this.state, self = this;
    (this.sliders || []).forEach(function (slider) {
      if (slider.name !== "output_padding") { return; }
      var top = slider.max;
      for (var a = 0; a < s.ndim; a++) {
        if (slider.axis === null || slider.axis === a) { top = Math.min(top, Math.max(s.stride[a], s.dilation[a]) - 1); }
      }
      slider.input.max = String(Math.max(top, 0));
      if (parseInt(slider.input.value, 10) > top) { slider.input.value = String(Math.max(top, 0)); }
      slider.shown.textContent = slider.input.value;
      var v = parseInt(slider.input.value, 10);
      for (var b = 0; b < s.ndim; b++) {
        if (slider.axis === null || slider.axis === b) { self.state.output_padding[b] = Math.min(self.state.output_padding[b], v); }
      }
    });
  };

  Drawing.prototype.syncControls = function () {
    var s = this.state;
    (this.sliders || []).forEach(function (slider) {
      var v = CHANNELS.indexOf(slider.name) >= 0 ? s[slider.name] : s[slider.name][slider.axis === null ? 0 : slider.axis];
      if (parseInt(slider.input.max, 10) < v) { slider.input.max = String(v); }
      slider.input.value = String(v);
      slider.shown.textContent = String(v);
    });
    if (this.flipBox) { this.flipBox.checked = s.flip; }
    for (var view in this.viewBoxes || {}) { this.viewBoxes[view].checked = s.view === view; }
  };

  Drawing.prototype.changed = function (userMade) {
    this.buildControls();
    this.syncControls();
    this.limit();
    this.root.setAttribute(this.kindAttr, this.state.kind);
    this.geo = geometry(this.state);
    this.pointed = this.pinned = null;
    if (this.geo.error) { this.showError(); if (userMade) { this.writeHash(); } return; }
    var g = this.geo;
    this.x = this.values && this.values.shape.join() === g.input.join() ? this.values : defaultValues(g.input);
    this.w = this.weights && this.weights.shape.join() === g.kernel.join() ? this.weights : defaultWeights(g.kernel);
    this.frameShape = this.state.view === "scatter" ? g.input : g.output;
    this.count = product(this.frameShape);
    this.outs = outputs(g, this.x, this.w, this.state.flip);
    if (this.position >= this.count) { this.position = 0; }
    this.planKey = "";
    this.build();
    this.paint();
    this.describe();
    if (userMade) { this.writeHash(); }
  };

  Drawing.prototype.showError = function () {
    this.stop();
    var svg = this.svg;
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    svg.setAttribute("viewBox", "0 0 0 0");
    svg.style.display = "none";
    this.root.setAttribute("data-valid", "false");
    this.message.textContent = "Impossible layer: " + this.geo.error + ".";
    this.sum.textContent = "";
    this.outText.textContent = "Output size: none";
    this.formula.textContent = "";
    if (this.paramText) { this.paramText.textContent = ""; this.macText.textContent = ""; }
    this.posText.textContent = "";
    this.scrub.max = "0";
    this.legend.textContent = "";
    this.planKey = "";
  };

  Drawing.prototype.go = function (n) {
    if (this.geo.error) { return; }
    this.position = ((n % this.count) + this.count) % this.count;
    this.paint();
    if (!this.timer) { this.writeHash(); }
  };

  Drawing.prototype.play = function () {
    var self = this;
    if (this.geo.error || this.timer) { return; }
    this.buttons.play.textContent = "\u275a\u275a pause";
    this.root.setAttribute("data-playing", "true");
    this.timer = setInterval(function () { self.go(self.position + 1); }, this.interval);
  };

  Drawing.prototype.stop = function () {
    var was = !!this.timer;
    if (this.timer) { clearInterval(this.timer); }
    this.timer = null;
    this.buttons.play.textContent = "\u25b6 play";
    this.root.setAttribute("data-playing", "false");
    if (was) { this.writeHash(); }
  };

  // ------------------------------------------------------------------ the picture
  Drawing.prototype.labels = function () {
    var g = this.geo, s = this.state, scatter = s.view === "scatter";
    var titleA = "input " + sizeText(g.input), subA = "", titleB = "output " + sizeText(g.output), subB = "";
    var pads = g.padding.map(function (p) { return p[0]; });
    if (!g.transposed) {
      if (pads.some(function (p) { return p > 0; })) { subA = "padding " + sizeText(pads) + " (dashed) \u2192 " + sizeText(g.grid); }
    } else if (!scatter) {
      var parts = [];
      if (g.stride.some(function (v) { return v > 1; })) { parts.push("zeros inserted (dotted)"); }
      var gp = g.gridPadding.map(function (p) { return p[0]; });
      if (gp.some(function (p) { return p !== 0; })) {
        parts.push("padded " + sizeText(gp).replace(/-/g, MINUS) + (gp.some(function (p) { return p < 0; }) ? " (negative: cropped)" : ""));
      }
      subA = (parts.length ? parts.join(", ") + " \u2192 " : "grid ") + sizeText(g.grid);
      subB = "kernel flipped";
    } else {
      var cropped = g.canvas.join() !== g.output.join();
      subB = cropped ? "canvas " + sizeText(g.canvas) + ", dashed border cropped" : "";
      subA = "each cell adds kernel \u00d7 value";
    }
    return { titleA: titleA, subA: subA, titleB: titleB, subB: subB };
  };

  // Lay the picture out for the width available and create every cell (once per layer/size).
  Drawing.prototype.build = function () {
    var g = this.geo, s = this.state, scatter = s.view === "scatter", self = this;
    var W = this.figure.clientWidth || this.lastWidth || 640;
    this.lastWidth = W;
    var sizeA = scatter ? g.input : g.grid, sizeB = scatter ? g.canvas : g.output;
    var A = panelShape(sizeA), B = panelShape(sizeB), L = this.labels();
    // a long sub-label gets a smaller font (never below the minimum) before it widens the picture
    var room = Math.max(W - 2 * MARGIN, 120);
    function subSize(text) { return Math.max(FONT.min, Math.min(FONT.sub, room / Math.max(1, text.length * 0.6))); }
    var subA = subSize(L.subA), subB = subSize(L.subB);
    var labelA = Math.max(textWidth(L.titleA, FONT.title), textWidth(L.subA, subA));
    var labelB = Math.max(textWidth(L.titleB, FONT.title), textWidth(L.subB, subB));
    var p = plan(W, A, B, labelA, labelB, s.ndim);
    this.plan = p;
    this.planKey = [p.mode, p.cell, W].join();
    var svg = this.svg;
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    svg.style.display = "";
    svg.setAttribute("viewBox", "0 0 " + p.width + " " + p.height);
    svg.setAttribute("width", p.width);
    svg.setAttribute("height", p.height);
    svg.style.maxWidth = p.width + "px";
    // thin edges for small cells, none for tiny ones (the fill colours still tell the kinds apart)
    svg.setAttribute("data-density", p.cell < 9 ? "tiny" : p.cell < 18 ? "small" : "normal");
    this.root.setAttribute("data-valid", "true");
    this.root.setAttribute("data-layout", p.mode);
    this.message.textContent = "";
    var cell = p.cell, showNumbers = this.numbers && cell >= 24;
    this.numFont = Math.min(15, Math.max(FONT.min + 0.5, Math.round(cell * 0.36)));
    this.weightFont = Math.max(FONT.min + 0.5, Math.min(11, cell * 0.25));
    this.showNumbers = showNumbers;
    this.showWeights = this.numbers && cell >= 34;
    // titles: input in blue, output in vermillion (also told apart by edge style: solid
    // square cells for the input, rounded, thicker edges for the output)
    function title(x, y, main, sub, size, cls) {
      svgEl("text", { x: x, y: y + FONT.title, "class": "ct-label " + cls, "font-size": FONT.title }, svg).textContent = main;
      if (sub) { svgEl("text", { x: x, y: y + FONT.title + 4 + FONT.sub, "class": "ct-sublabel", "font-size": size }, svg).textContent = sub; }
    }
    this.beam = svgEl("polygon", { "class": "ct-beam", points: "0,0" }, svg);  // under everything
    title(p.ax, p.ay, L.titleA, L.subA, subA, "ct-label-in");
    title(p.bx, p.by, L.titleB, L.subB, subB, "ct-label-out");
    this.origin = { a: [p.ax, p.ay + HEAD], b: [p.bx, p.by + HEAD] };
    var gA = svgEl("g", { "class": "ct-panel-in" }, svg), gB = svgEl("g", { "class": "ct-panel-out" }, svg);
    this.rectsA = [];
    this.rectsB = [];
    this.textB = [];
    var count = product(sizeA);
    for (var n = 0; n < count; n++) {
      var idx = unravel(n, sizeA), rc = this.rowCol(idx);
      var x = this.origin.a[0] + rc[1] * cell, y = this.origin.a[1] + rc[0] * cell, rect;
      if (scatter) {
        rect = svgEl("rect", { x: x, y: y, width: cell, height: cell, "class": "ct-cell ct-input", "data-in": idx.join(","),
                               "data-current": "0" }, gA);
        rect.ctBase = "ct-cell ct-input";
        if (showNumbers) { this.cellText(gA, x, y, fmt(this.x.data[n]), "ct-num ct-num-in"); }
      } else {
        var kind = g.kindOf(idx), inp = g.inputOf(idx);
        rect = svgEl("rect", { x: x, y: y, width: cell, height: cell, "class": "ct-cell ct-" + kind, "data-kind": kind,
                               "data-cell": idx.join(","), "data-in": inp ? inp.join(",") : undefined }, gA);
        rect.ctBase = "ct-cell ct-" + kind;
        if (showNumbers && inp) { this.cellText(gA, x, y, fmt(this.x.data[ravel(inp, g.input)]), "ct-num ct-num-in"); }
      }
      this.rectsA.push(rect);
    }
    count = product(sizeB);
    for (var m = 0; m < count; m++) {
      var jdx = unravel(m, sizeB), rc2 = this.rowCol(jdx);
      var x2 = this.origin.b[0] + rc2[1] * cell, y2 = this.origin.b[1] + rc2[0] * cell, r2;
      var inset = Math.min(1, cell / 10);
      if (scatter) {
        var out = [], ok = true;
        for (var a = 0; a < jdx.length; a++) { out.push(jdx[a] - g.canvasOffset[a]); }
        ok = inside(out, g.output);
        var base = ok ? "ct-cell ct-output" : "ct-cell ct-cropped";
        r2 = svgEl("rect", { x: x2 + inset, y: y2 + inset, width: cell - 2 * inset, height: cell - 2 * inset,
                             rx: Math.min(4, cell / 6), "class": base, "data-canvas": jdx.join(","),
                             "data-out": ok ? out.join(",") : undefined }, gB);
        r2.ctBase = base;
      } else {
        r2 = svgEl("rect", { x: x2 + inset, y: y2 + inset, width: cell - 2 * inset, height: cell - 2 * inset,
                             rx: Math.min(4, cell / 6), "class": "ct-cell ct-output", "data-out": jdx.join(","),
                             "data-current": "0" }, gB);
        r2.ctBase = "ct-cell ct-output";
      }
      this.rectsB.push(r2);
      this.textB.push(showNumbers ? this.cellText(gB, x2, y2, "", "ct-num ct-num-out") : null);
    }
    this.overlay = svgEl("g", { "class": "ct-overlay" }, svg);
    this.svg.setAttribute("aria-label", L.titleA + (L.subA ? " (" + L.subA + ")" : "") + "; " + L.titleB);
    this.buildLegend();
  };

  Drawing.prototype.rowCol = function (idx) { return idx.length === 1 ? [0, idx[0]] : idx; };

  Drawing.prototype.cellText = function (parent, x, y, text, cls) {
    var cell = this.plan.cell;
    var t = svgEl("text", { x: x + cell / 2, y: y + cell / 2, "class": cls, "font-size": this.numFont,
                            "text-anchor": "middle", "dominant-baseline": "central" }, parent);
    t.textContent = text;
    return t;
  };

  Drawing.prototype.buildLegend = function () {
    var s = this.state, g = this.geo, box = this.legend, scatter = s.view === "scatter";
    while (box.firstChild) { box.removeChild(box.firstChild); }
    var items = [["ct-sw-input", "input"]];
    if (!scatter) {
      if (g.gridPadding.some(function (p) { return p[0] > 0 || p[1] > 0; })) { items.push(["ct-sw-padding", "padding (zeros, dashed)"]); }
      if (g.transposed && g.stride.some(function (v) { return v > 1; })) { items.push(["ct-sw-inserted", "inserted zero (dotted)"]); }
      items.push(["ct-sw-kernel", "kernel footprint"]);
      items.push(["ct-sw-output", "output"]);
      items.push(["ct-sw-current", "output being computed"]);
    } else {
      items.push(["ct-sw-source", "input being added"]);
      items.push(["ct-sw-output", "output"]);
      items.push(["ct-sw-hit", "cells it adds to"]);
      if (g.canvas.join() !== g.output.join()) { items.push(["ct-sw-cropped", "cropped by padding (dashed)"]); }
    }
    items.push(["ct-sw-hover", "pointed at"]);
    items.forEach(function (item) {
      var span = htmlEl("span", { "class": "ct-key" }, box);
      htmlEl("span", { "class": "ct-swatch " + item[0] }, span);
      span.appendChild(document.createTextNode(item[1]));
    });
  };

  Drawing.prototype.mark = function (rect, cls, attrs) {
    rect.setAttribute("class", rect.ctBase + " " + cls);
    for (var key in attrs || {}) { rect.setAttribute(key, attrs[key]); }
    this.marked.push(rect);
  };

  Drawing.prototype.unmarkAll = function () {
    this.marked.forEach(function (rect) {
      rect.setAttribute("class", rect.ctBase);
      if (rect.hasAttribute("data-current")) { rect.setAttribute("data-current", "0"); }
      rect.removeAttribute("data-hover");
    });
    this.marked = [];
  };

  Drawing.prototype.centerOf = function (panel, idx) {
    var rc = this.rowCol(idx), o = this.origin[panel], c = this.plan.cell;
    return [o[0] + (rc[1] + 0.5) * c, o[1] + (rc[0] + 0.5) * c];
  };

  // Box [x1, y1, x2, y2] around cells of a panel.
  Drawing.prototype.boxOf = function (panel, list) {
    var o = this.origin[panel], c = this.plan.cell, box = [Infinity, Infinity, -Infinity, -Infinity], self = this;
    list.forEach(function (idx) {
      var rc = self.rowCol(idx);
      box[0] = Math.min(box[0], o[0] + rc[1] * c); box[1] = Math.min(box[1], o[1] + rc[0] * c);
      box[2] = Math.max(box[2], o[0] + (rc[1] + 1) * c); box[3] = Math.max(box[3], o[1] + (rc[0] + 1) * c);
    });
    return box;
  };

  // A translucent band joining the box the kernel covers to the cell(s) it produces.
  Drawing.prototype.drawBeam = function (from, to) {
    var pts;
    if (!isFinite(from[0]) || !isFinite(to[0])) { this.beam.setAttribute("points", "0,0"); return; }
    if (this.plan.mode === "row") {
      pts = [[from[2], from[1]], [to[0], to[1]], [to[0], to[3]], [from[2], from[3]]];
    } else {
      pts = [[from[0], from[3]], [from[2], from[3]], [to[2], to[1]], [to[0], to[1]]];
    }
    this.beam.setAttribute("points", pts.map(function (q) { return q[0] + "," + q[1]; }).join(" "));
  };

  Drawing.prototype.smallText = function (x, y, text, cls) {
    var t = svgEl("text", { x: x, y: y, "class": cls, "font-size": this.weightFont, "text-anchor": "end" }, this.overlay);
    t.textContent = text;
  };

  Drawing.prototype.paint = function () {
    if (this.geo.error) { return; }
    var g = this.geo, s = this.state, scatter = s.view === "scatter", self = this, cell = this.plan.cell;
    this.clearHover();
    this.unmarkAll();
    while (this.overlay.firstChild) { this.overlay.removeChild(this.overlay.firstChild); }
    var frame = unravel(this.position, this.frameShape);
    if (!scatter) {
      var fp = g.footprint(frame);
      fp.forEach(function (t) {
        var rect = self.rectsA[ravel(t.cell, g.grid)];
        self.mark(rect, "ct-fp");
        if (self.showWeights) {
          var rc = self.rowCol(t.cell), o = self.origin.a;
          self.smallText(o[0] + (rc[1] + 1) * cell - 2, o[1] + (rc[0] + 1) * cell - 3,
                         TIMES + fmt(weightAt(self.w, t.kernel, s.flip)), "ct-weight");
        }
      });
      var current = this.rectsB[this.position];
      this.mark(current, "ct-current", { "data-current": "1" });
      for (var n = 0; n < this.rectsB.length; n++) {
        if (n < this.position) { this.mark(this.rectsB[n], "ct-done"); }
        if (this.textB[n]) {
          this.textB[n].textContent = n <= this.position ? fmt(this.outs[n]) : "";
          this.textB[n].setAttribute("class", "ct-num ct-num-out" + (n === this.position ? " ct-hot" : ""));
        }
      }
      this.drawBeam(this.boxOf("a", fp.map(function (t) { return t.cell; })), this.boxOf("b", [frame]));
    } else {
      var hits = g.scatter(frame), v = this.x.data[this.position];
      this.mark(this.rectsA[this.position], "ct-source", { "data-current": "1" });
      for (var m = 0; m < this.position; m++) { this.mark(this.rectsA[m], "ct-done"); }
      var canvas = scatterCanvas(g, this.x, this.w, s.flip, this.position);
      var touched = {};
      for (var q = 0; q <= this.position; q++) {
        g.scatter(unravel(q, g.input)).forEach(function (h) { touched[ravel(h.canvas, g.canvas)] = true; });
      }
      hits.forEach(function (h) {
        var k = ravel(h.canvas, g.canvas);
        self.mark(self.rectsB[k], "ct-hit");
        if (self.showWeights) {
          var rc = self.rowCol(h.canvas), o = self.origin.b;
          var added = v * weightAt(self.w, h.kernel, s.flip);
          self.smallText(o[0] + (rc[1] + 1) * cell - 3, o[1] + (rc[0] + 1) * cell - 3,
                         (added < 0 ? "" : "+") + fmt(added), "ct-weight ct-weight-out");
        }
      });
      for (var c = 0; c < this.rectsB.length; c++) {
        if (this.textB[c]) { this.textB[c].textContent = touched[c] ? fmt(canvas[c]) : ""; }
        if (this.textB[c]) { this.textB[c].setAttribute("class", "ct-num ct-num-out"); }
      }
      this.drawBeam(this.boxOf("a", [frame]), this.boxOf("b", hits.map(function (h) { return h.canvas; })));
    }
    this.showPointed();
    this.scrub.max = String(this.count - 1);
    this.scrub.value = String(this.position);
    this.posText.textContent = (scatter ? "input " : "output ") + indexText(frame) + " \u00b7 frame " +
      (this.position + 1) + " of " + this.count;
  };

  // What the reader points at (mouse) or tapped (touch, pinned until tapped again).
  Drawing.prototype.point = function (target, tap) {
    var cell = null;
    if (target && target.getAttribute && (target.hasAttribute("data-out") || target.hasAttribute("data-in"))) {
      cell = target.hasAttribute("data-out") ? { panel: "out", index: target.getAttribute("data-out") }
                                              : { panel: "in", index: target.getAttribute("data-in") };
    }
    if (tap) {
      this.pinned = cell && !(this.pinned && this.pinned.panel === cell.panel && this.pinned.index === cell.index) ? cell : null;
    } else {
      this.pointed = cell;
    }
    if (!this.geo.error) { this.paintPointed(); }
  };

  // repaint only the hover marks: drop the previous ones, keep the frame's
  Drawing.prototype.paintPointed = function () {
    this.clearHover();
    this.showPointed();
  };

  Drawing.prototype.clearHover = function () {
    (this.hovered || []).forEach(function (rect) {
      rect.removeAttribute("data-hover");
      rect.setAttribute("class", rect.getAttribute("class").replace(/ ct-hover/g, ""));
    });
    this.hovered = [];
  };

  Drawing.prototype.showPointed = function () {
    var g = this.geo, s = this.state, self = this, scatter = s.view === "scatter";
    var target = this.pointed || this.pinned;
    this.hovered = [];
    function hover(rect) {
      rect.setAttribute("data-hover", "1");
      rect.setAttribute("class", rect.getAttribute("class") + " ct-hover");
      self.hovered.push(rect);
    }
    var text, value = null;
    if (target && target.panel === "out") {
      var y = target.index.split(",").map(Number);
      var t = terms(g, y, this.x, this.w, s.flip);
      if (!scatter) {
        hover(this.rectsB[ravel(y, g.output)]);
        g.footprint(y).forEach(function (tap) { hover(self.rectsA[ravel(tap.cell, g.grid)]); });
      } else {
        var canvasIndex = y.map(function (v, a) { return v + g.canvasOffset[a]; });
        hover(this.rectsB[ravel(canvasIndex, g.canvas)]);
        g.footprint(y).forEach(function (tap) { if (tap.input) { hover(self.rectsA[ravel(tap.input, g.input)]); } });
      }
      text = "output " + indexText(y) + " = " + sumText(t);
      value = t.total;
    } else if (target && target.panel === "in") {
      var x = target.index.split(",").map(Number), v = this.x.data[ravel(x, g.input)];
      var hits = g.scatter(x), kept = 0;
      if (!scatter) {
        var grid = x.map(function (xi, a) { return xi * g.inputStep[a] + g.gridPadding[a][0]; });
        hover(this.rectsA[ravel(grid, g.grid)]);
        hits.forEach(function (h) { if (h.output) { kept++; hover(self.rectsB[ravel(h.output, g.output)]); } });
      } else {
        hover(this.rectsA[ravel(x, g.input)]);
        hits.forEach(function (h) { if (h.output) { kept++; } hover(self.rectsB[ravel(h.canvas, g.canvas)]); });
      }
      var cropped = hits.length - kept;
      text = "input " + indexText(x) + " = " + fmt(v) + " adds to " + kept + " output cell" + (kept === 1 ? "" : "s") +
        (cropped ? " (and " + cropped + " cropped by padding)" : "");
    } else {
      var frame = unravel(this.position, this.frameShape);
      if (!scatter) {
        var ft = terms(g, frame, this.x, this.w, s.flip);
        text = "output " + indexText(frame) + " = " + sumText(ft);
        value = ft.total;
      } else {
        var xv = this.x.data[this.position], parts = g.scatter(frame).map(function (h) { return fmtFactor(weightAt(self.w, h.kernel, s.flip)); });
        text = "input " + indexText(frame) + " = " + fmt(xv) + " adds " + fmt(xv) + " " + TIMES + " kernel (" +
          (parts.length > 12 ? parts.slice(0, 10).join(", ") + ", \u2026" : parts.join(", ")) + ")";
      }
    }
    this.sum.textContent = text;
    if (value === null) { this.sum.removeAttribute("data-value"); } else { this.sum.setAttribute("data-value", String(value)); }
    this.root.setAttribute("data-pointed", target ? target.panel + ":" + target.index : "");
  };

  Drawing.prototype.describe = function () {
    var g = this.geo, s = this.state;
    this.outText.textContent = "Output size: " + g.output.join(" \u00d7 ");
    var lines = [], square = g.ndim === 2 && ["input", "kernel", "stride", "padding", "dilation"].every(function (n) { return s[n][0] === s[n][1]; }) &&
      g.outputPadding[0] === g.outputPadding[1];
    for (var a = 0; a < (square ? 1 : g.ndim); a++) {
      var i = g.input[a], k = g.kernel[a], st = g.stride[a], p = g.padding[a][0], d = g.dilation[a];
      var prefix = g.ndim === 1 ? "" : (square ? "each axis: " : AXIS_NAMES[a] + ": ");
      if (!g.transposed) {
        lines.push(prefix + "o = \u230a(i + 2p \u2212 d(k\u22121) \u2212 1)/s\u230b + 1 = \u230a(" + i + " + 2" + DOT + p + " \u2212 " +
          d + DOT + (k - 1) + " \u2212 1)/" + st + "\u230b + 1 = " + g.output[a]);
      } else {
        lines.push(prefix + "o = (i\u22121)s \u2212 2p + d(k\u22121) + output_padding + 1 = " + (i - 1) + DOT + st + " \u2212 2" + DOT + p +
          " + " + d + DOT + (k - 1) + " + " + g.outputPadding[a] + " + 1 = " + g.output[a]);
      }
    }
    this.formula.textContent = lines.join("; ");
    if (this.paramText) {
      this.paramText.textContent = "Parameters: " + g.parameters.toLocaleString("en-US") + " (" + g.weights.toLocaleString("en-US") + " weights + bias)";
      this.macText.textContent = "Multiply-adds: " + g.macs.toLocaleString("en-US");
    }
  };

  // ------------------------------------------------------------------ state in and out
  Drawing.prototype.getState = function () {
    var s = this.state, out = { kind: s.kind, ndim: s.ndim, flip: s.flip, view: s.view, position: this.position };
    SIZES.forEach(function (name) { out[name] = s[name].slice(); });
    CHANNELS.forEach(function (name) { if (s[name] !== undefined) { out[name] = s[name]; } });
    return out;
  };

  Drawing.prototype.setState = function (partial, userMade) {
    var next = normalize(partial, this.state);
    var position = partial.position !== undefined ? partial.position : (partial.view !== undefined && partial.view !== this.state.view ? 0 : this.position);
    var self = this;
    // values beyond a slider's range widen it (a link or another widget may ask for them)
    SIZES.forEach(function (name) {
      var r = self.ranges[name];
      if (r) { next[name].forEach(function (v) { r[0] = Math.min(r[0], v); r[1] = Math.max(r[1], v); }); }
    });
    this.stop();
    this.state = next;
    this.position = position;
    this.changed(userMade !== false);
    return this.getState();
  };

  Drawing.prototype.applyFields = function (fields) {
    var partial = decodeState(fields);
    if (!partial) { return false; }
    try {
      this.setState(partial, false);
    } catch (err) {
      return false;  // a hand-edited link with numbers out of range: keep the page's own state
    }
    return true;
  };

  Drawing.prototype.urlAllowed = function () {
    if (this.mode !== "explore" || this.cfg.url === false || typeof history === "undefined" || !history.replaceState) { return false; }
    // in a notebook (JupyterLab, classic) the page URL is the application's: leave it alone
    return !(this.root.closest && this.root.closest(".jp-OutputArea, .output_area, .jp-Cell"));
  };

  // at most one URL update every 200 ms (a slider dragged fast; browsers throttle the history API)
  Drawing.prototype.writeHash = function () {
    var self = this;
    if (!this.urlAllowed() || !this.root.id || this.hashTimer) { return; }
    this.hashTimer = setTimeout(function () { self.hashTimer = null; self.flushHash(); }, 200);
  };

  Drawing.prototype.flushHash = function () {
    var parsed = parseHash(location.hash);
    parsed.states[this.root.id] = encodeState(this.getState());
    var hash = "#" + formatHash(parsed);
    if (hash !== location.hash) {
      try { history.replaceState(history.state, "", hash); } catch (err) { /* sandboxed frames */ }
    }
  };

  // ------------------------------------------------------------------ export
  var INLINE = ["fill", "fill-opacity", "stroke", "stroke-width", "stroke-dasharray", "stroke-opacity", "opacity",
                "font-family", "font-size", "font-weight", "text-anchor", "dominant-baseline", "paint-order",
                "stroke-linejoin"];

  Drawing.prototype.exportSVG = function () {
    var source = this.svg, copy = source.cloneNode(true);
    var from = [source].concat(Array.prototype.slice.call(source.querySelectorAll("*")));
    var to = [copy].concat(Array.prototype.slice.call(copy.querySelectorAll("*")));
    for (var n = 0; n < from.length; n++) {
      var cs = window.getComputedStyle(from[n]), style = [];
      for (var m = 0; m < INLINE.length; m++) {
        var v = cs.getPropertyValue(INLINE[m]);
        if (v) { style.push(INLINE[m] + ":" + v); }
      }
      to[n].setAttribute("style", style.join(";"));
      to[n].removeAttribute("class");
    }
    var box = (source.getAttribute("viewBox") || "0 0 0 0").split(" ");
    copy.setAttribute("xmlns", NS);
    copy.setAttribute("width", box[2]);
    copy.setAttribute("height", box[3]);
    var background = window.getComputedStyle(this.root).backgroundColor || "#ffffff";
    var bg = document.createElementNS(NS, "rect");
    bg.setAttribute("width", "100%");
    bg.setAttribute("height", "100%");
    bg.setAttribute("style", "fill:" + background);
    copy.insertBefore(bg, copy.firstChild);
    var title = document.createElementNS(NS, "title");
    title.textContent = (this.cfg.title ? this.cfg.title + ": " : "") + (source.getAttribute("aria-label") || "") + "; " +
      this.sum.textContent;
    copy.insertBefore(title, copy.firstChild);
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy);
  };

  Drawing.prototype.download = function () {
    if (this.geo.error) { return; }
    var blob = new Blob([this.exportSVG()], { type: "image/svg+xml" });
    var url = URL.createObjectURL(blob);
    var a = htmlEl("a", { href: url, download: (this.root.id || "convtutor") + "-frame" + (this.position + 1) + ".svg" }, document.body);
    a.style.display = "none";
    a.click();
    document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  };

  // ------------------------------------------------------------------ size changes, autoplay
  Drawing.prototype.watch = function () {
    var self = this;
    var pending = false;
    function relayout() {
      pending = false;
      if (self.geo.error) { return; }
      var W = self.figure.clientWidth;
      if (W && W !== self.lastWidth) { self.build(); self.paint(); }
    }
    // redraw in the next frame, not inside the observer's callback (no resize loop)
    function resized() {
      if (!pending) { pending = true; (window.requestAnimationFrame || setTimeout)(relayout); }
    }
    if (typeof ResizeObserver !== "undefined") {
      this.observer = new ResizeObserver(resized);
      this.observer.observe(this.figure);
    } else {
      window.addEventListener("resize", resized);
    }
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (this.cfg.autoplay && !still && typeof IntersectionObserver !== "undefined") {
      var touched = false;
      this.root.addEventListener("pointerdown", function () { touched = true; });
      new IntersectionObserver(function (entries) {
        if (touched) { return; }
        if (entries[entries.length - 1].isIntersecting) { self.play(); } else { self.stop(); }
      }).observe(this.root);
    }
  };

  // ------------------------------------------------------------------ inverse shape solver
  // Every layer within the bounds that maps size i to size o, in the order and bounds of
  // convtutor.solver.layers_for (kernel, then stride, dilation, padding, output_padding, each
  // ascending; padding up to d(k-1); output_padding below max(s, d)), each checked by geometry().
  function layersFor(i, o, transposed, kmax, smax, dmax) {
    var found = [], kind = transposed ? "transposed" : "conv";
    for (var k = 1; k <= kmax; k++) {
      for (var s = 1; s <= smax; s++) {
        for (var d = 1; d <= dmax; d++) {
          for (var p = 0; p <= d * (k - 1); p++) {
            for (var a = 0; a < (transposed ? Math.max(s, d) : 1); a++) {
              var g = geometry({ kind: kind, input: [i], kernel: [k], stride: [s], padding: [p], dilation: [d],
                                 output_padding: [a] });
              if (!g.error && g.output[0] === o) {
                found.push({ kernel_size: k, stride: s, padding: p, dilation: d, output_padding: a,
                             transposed: transposed, checkerboard_risk: transposed && k % s !== 0 });
              }
            }
          }
        }
      }
    }
    return found;
  }

  // The solver widget: type two sizes, see every layer; a click opens one in the target explorer.
  function Solver(rootEl) {
    var cfg = JSON.parse(rootEl.getAttribute("data-config")), self = this;
    this.root = rootEl;
    this.cfg = cfg;
    rootEl.textContent = "";
    rootEl.classList.add("ct-solver");
    if (cfg.title) { htmlEl("div", { "class": "ct-title" }, rootEl, cfg.title); }
    var form = htmlEl("div", { "class": "ct-controls" }, rootEl);
    function number(name, label, value) {
      var wrap = htmlEl("label", { "class": "ct-slider" }, form);
      htmlEl("span", { "class": "ct-name" }, wrap, label);
      var box = htmlEl("input", { type: "number", min: 1, max: 4096, step: 1, value: value, "data-param": name }, wrap);
      box.addEventListener("input", function () { self.render(); });
      return box;
    }
    this.fields = { input: number("input", "input size i", cfg.input), output: number("output", "wanted size o", cfg.output) };
    var wrap = htmlEl("label", { "class": "ct-slider" }, form);
    this.transposed = htmlEl("input", { type: "checkbox", "data-param": "transposed" }, wrap);
    this.transposed.checked = !!cfg.transposed;
    htmlEl("span", { "class": "ct-name" }, wrap, "transposed");
    this.transposed.addEventListener("change", function () { self.render(); });
    this.summary = htmlEl("div", { "class": "ct-facts", "data-summary": "" }, rootEl);
    this.list = htmlEl("div", { "class": "ct-solver-list" }, rootEl);
    this.render();
  }

  Solver.prototype.render = function () {
    var i = parseInt(this.fields.input.value, 10), o = parseInt(this.fields.output.value, 10);
    var transposed = this.transposed.checked, cfg = this.cfg, self = this;
    this.list.textContent = "";
    if (!(i >= 1 && o >= 1 && i <= 4096 && o <= 4096)) {
      this.found = [];
      this.root.setAttribute("data-count", "0");
      this.summary.textContent = "Sizes must be whole numbers from 1 to 4096.";
      return;
    }
    var found = layersFor(i, o, transposed, cfg.max_kernel, cfg.max_stride, cfg.max_dilation);
    this.found = found;
    this.root.setAttribute("data-count", String(found.length));
    var risky = found.filter(function (l) { return l.checkerboard_risk; }).length;
    this.summary.textContent = found.length + (found.length === 1 ? " layer maps " : " layers map ") + i + " to " + o +
      " (kernel \u2264 " + cfg.max_kernel + ", stride \u2264 " + cfg.max_stride + ", dilation \u2264 " + cfg.max_dilation + ")" +
      (transposed ? "; " + risky + " risk checkerboard artifacts (kernel not a multiple of the stride)" : "") +
      (found.length && cfg.target ? ". Click one to open it in the explorer." : "");
    if (!found.length) { return; }
    var table = htmlEl("table", { "class": "ct-solver-table" }, this.list);
    var head = htmlEl("tr", {}, htmlEl("thead", {}, table));
    ["k", "s", "p", "d"].concat(transposed ? ["op", ""] : []).forEach(function (h) { htmlEl("th", {}, head, h); });
    var body = htmlEl("tbody", {}, table);
    found.forEach(function (layer, n) {
      var tr = htmlEl("tr", { tabindex: "0", "data-index": String(n), title: "open in the explorer" }, body);
      [layer.kernel_size, layer.stride, layer.padding, layer.dilation].concat(transposed ? [layer.output_padding] : [])
        .forEach(function (v) { htmlEl("td", {}, tr, String(v)); });
      if (transposed) { htmlEl("td", { "class": "ct-warn" }, tr, layer.checkerboard_risk ? "checkerboard" : ""); }
      function open() { self.open(layer, i); }
      tr.addEventListener("click", open);
      tr.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } });
    });
  };

  Solver.prototype.open = function (layer, i) {
    var state = { kind: layer.transposed ? "transposed" : "conv", input: i, kernel: layer.kernel_size,
                  stride: layer.stride, padding: layer.padding, dilation: layer.dilation,
                  output_padding: layer.output_padding, position: 0 };
    this.root.setAttribute("data-opened", encodeState(normalize(state)));
    var target = this.cfg.target && document.getElementById(this.cfg.target);
    if (target && target.convtutor) {
      target.convtutor.setState(state, true);
      if (target.scrollIntoView) { target.scrollIntoView({ block: "nearest" }); }
    }
  };

  // ------------------------------------------------------------------ page
  var instances = [];

  function find(element) {
    var el = typeof element === "string" ? document.getElementById(element) : element;
    if (el && el.convtutor instanceof Drawing) { return el.convtutor; }
    if (el && el instanceof Drawing) { return el; }
    throw new TypeError("not a convtutor explorer: " + element);
  }

  function init() {
    if (typeof document === "undefined") { return; }
    var solvers = document.querySelectorAll("[data-convtutor-solver]");
    for (var v = 0; v < solvers.length; v++) {
      if (!solvers[v].getAttribute("data-ready")) {
        solvers[v].setAttribute("data-ready", "true");
        solvers[v].convtutorSolver = new Solver(solvers[v]);
      }
    }
    var nodes = document.querySelectorAll("[data-convtutor-explorer], [data-convtutor-player]"), taken = {};
    for (var m = 0; m < nodes.length; m++) {
      var node = nodes[m];
      // two identical explorers on a page: the later one gets its own id (and URL key)
      if (node.id) {
        if (taken[node.id] && !node.getAttribute("data-ready")) {
          var count = 2;
          while (taken[node.id + "-" + count] || document.getElementById(node.id + "-" + count)) { count++; }
          node.id = node.id + "-" + count;
        }
        taken[node.id] = true;
      }
      if (node.getAttribute("data-ready")) { continue; }
      node.setAttribute("data-ready", "true");
      try {
        node.convtutor = new Drawing(node);
        instances.push(node.convtutor);
        if (node.convtutor.restored && !scrolled) { scrolled = true; reveal(node); }
      } catch (err) {
        node.setAttribute("data-ready", "error");
        node.textContent = "This explorer could not start: " + err.message;
      }
    }
  }

  var scrolled = false;

  // a shared link opens the page at the explorer it set (not on a reload: the browser keeps its place)
  function reveal(node) {
    var nav = window.performance && performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    if ((!nav || nav.type === "navigate") && node.scrollIntoView) { node.scrollIntoView({ block: "start" }); }
  }

  function onHashChange() {
    var states = parseHash(location.hash).states;
    instances.forEach(function (d) {
      var fields = states[d.root.id];
      if (fields && fields !== encodeState(d.getState())) {
        d.applyFields(fields);
        if (d.root.scrollIntoView) { d.root.scrollIntoView({ block: "nearest" }); }
      }
    });
  }

  var api = {
    version: VERSION, MESSAGES: MESSAGES, message: message, normalize: normalize, geometry: geometry,
    tensor: tensor, defaultValues: defaultValues, defaultWeights: defaultWeights, inputValue: inputValue,
    kernelValue: kernelValue, weightAt: weightAt, terms: terms, outputs: outputs, scatterCanvas: scatterCanvas,
    encodeState: encodeState, decodeState: decodeState, parseHash: parseHash, formatHash: formatHash,
    sumText: sumText, plan: plan, init: init, layersFor: layersFor,
    setState: function (element, state) { return find(element).setState(state || {}, true); },
    getState: function (element) { return find(element).getState(); },
    link: function (element, state) {
      var d = find(element);
      return "#" + d.root.id + "=" + encodeState(normalize(state || {}, d.getState()));
    },
    exportSVG: function (element) { return find(element).exportSVG(); }
  };

  if (typeof module !== "undefined" && module.exports) { module.exports = api; }
  if (typeof window !== "undefined") {
    var existing = window.convtutorExplorer;
    if (existing && existing.version === VERSION) {  // a second copy of the script (notebooks)
      existing.init();
      return;
    }
    window.convtutorExplorer = api;
    window.addEventListener("hashchange", onHashChange);
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
  }
})(this);
