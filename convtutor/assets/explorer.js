/* convtutor explorer: a kernel-free, offline picture of a (transposed) convolution.
 *
 * Markup (written by convtutor/explorer.py):
 *   <div data-convtutor-explorer="conv|transposed" data-config="{json}"></div>
 * The script fills every such element once: sliders (<input type=range data-param=NAME>),
 * play/step buttons, an SVG with the input grid, the kernel footprint and the output grid,
 * and the arithmetic as text ([data-output-size], [data-parameters], [data-macs]).
 *
 * The geometry below mirrors convtutor/geometry.py; tests/test_explorer.py runs it with node
 * and compares it cell by cell with the Python package.
 */
(function (root) {
  "use strict";

  // ---------------------------------------------------------------- geometry (pure)
  // One spatial dimension. Returns null sizes and a message when the layer is impossible.
  function axis(type, i, k, s, p, d, op) {
    var keff = d * (k - 1) + 1;
    if (type === "transposed") {
      if (op >= s && op >= d) {
        return { error: "output_padding=" + op + " must be smaller than stride=" + s + " or dilation=" + d };
      }
      var out = (i - 1) * s - 2 * p + d * (k - 1) + op + 1;
      if (out < 1) {
        return { error: "padding=" + p + " is too large: the output size would be " + out };
      }
      var before = d * (k - 1) - p;                    // grid padding (negative: cropped)
      var grid = (i - 1) * s + 1 + before + (before + op);
      return {
        out: out, grid: grid, gridStride: 1,
        cell: function (g) {                           // kind and input index of grid cell g
          var j = g - before;                          // position on the zero-stuffed input
          if (j < 0 || j > (i - 1) * s) { return { kind: "padding", input: null }; }
          if (j % s !== 0) { return { kind: "inserted", input: null }; }
          return { kind: "input", input: j / s };
        },
        taps: function (y) {                           // [kernel index, grid cell] in kernel order
          var r = [];
          for (var t = 0; t < k; t++) { r.push([k - 1 - t, y + t * d]); }
          return r;
        }
      };
    }
    if (keff > i + 2 * p) {
      return {
        error: "the dilated kernel (size " + keff + " = " + d + "\u00d7(" + k + "\u22121)+1) is larger than " +
               "the padded input (" + i + " + 2\u00d7" + p + " = " + (i + 2 * p) + "): the output would be empty"
      };
    }
    return {
      out: Math.floor((i + 2 * p - keff) / s) + 1, grid: i + 2 * p, gridStride: s,
      cell: function (g) {
        if (g < p || g >= p + i) { return { kind: "padding", input: null }; }
        return { kind: "input", input: g - p };
      },
      taps: function (y) {
        var r = [];
        for (var t = 0; t < k; t++) { r.push([t, y * s + t * d]); }
        return r;
      }
    };
  }

  // A square 2-D layer: the same axis twice. v holds input, kernel, stride, padding, dilation,
  // output_padding (transposed) and optionally in_channels, out_channels, groups.
  function geometry(type, v) {
    var a = axis(type, v.input, v.kernel, v.stride, v.padding, v.dilation, v.output_padding || 0);
    if (a.error) { return { error: a.error }; }
    var cin = v.in_channels || 1, cout = v.out_channels || 1, g = v.groups || 1;
    if (cin % g !== 0) { return { error: "groups=" + g + " must divide in_channels=" + cin }; }
    if (cout % g !== 0) { return { error: "groups=" + g + " must divide out_channels=" + cout }; }
    function kind(r, c) {
      var a1 = a.cell(r), a2 = a.cell(c);
      if (a1.kind === "padding" || a2.kind === "padding") { return { kind: "padding", input: null }; }
      if (a1.kind === "inserted" || a2.kind === "inserted") { return { kind: "inserted", input: null }; }
      return { kind: "input", input: [a1.input, a2.input] };
    }
    function footprint(y, x) {
      var rows = a.taps(y), cols = a.taps(x), r = [];
      for (var m = 0; m < rows.length; m++) {
        for (var n = 0; n < cols.length; n++) {
          var c = kind(rows[m][1], cols[n][1]);
          r.push({ tap: [rows[m][0], cols[n][0]], cell: [rows[m][1], cols[n][1]], kind: c.kind, input: c.input });
        }
      }
      return r;
    }
    var k2 = v.kernel * v.kernel;
    var macs = type === "transposed" ? v.input * v.input * cin * (cout / g) * k2 : a.out * a.out * cout * (cin / g) * k2;
    return {
      output: a.out, grid: a.grid, kind: kind, footprint: footprint,
      parameters: (cin / g) * cout * k2 + cout, weights: (cin / g) * cout * k2, macs: macs
    };
  }

  // Deterministic small integers for the cells, so readers can check a sum by hand.
  function inputValue(r, c) { return (r * 7 + c * 3 + (r * c) % 5) % 4 + 1; }
  function kernelValue(r, c, k) { return ((r * 5 + c * 2 + k) % 3) - (r === c ? 0 : 1) + 1; }

  // ---------------------------------------------------------------- drawing
  var NS = "http://www.w3.org/2000/svg";
  var FILL = {
    input: ["#63aee8", "#1c5b96"], padding: ["#ffffff", "#a8b6c2"],
    inserted: ["#f3e9d2", "#c4ad7c"], output: ["#6ccbb7", "#127564"]
  };
  var DASH = { input: "", padding: "3,2", inserted: "1,2", output: "" };

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var key in attrs) { e.setAttribute(key, attrs[key]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }

  function html(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    for (var key in attrs) { e.setAttribute(key, attrs[key]); }
    if (text !== undefined) { e.textContent = text; }
    if (parent) { parent.appendChild(e); }
    return e;
  }

  var LABELS = {
    input: "input size i", kernel: "kernel size k", stride: "stride s", padding: "padding p",
    dilation: "dilation d", output_padding: "output_padding", in_channels: "in channels",
    out_channels: "out channels", groups: "groups"
  };

  function Explorer(rootEl) {
    var cfg = JSON.parse(rootEl.getAttribute("data-config"));
    var type = rootEl.getAttribute("data-convtutor-explorer");
    var self = this;
    this.type = type;
    this.root = rootEl;
    this.numbers = !!cfg.numbers;
    this.position = 0;
    this.timer = null;
    rootEl.classList.add("ct-explorer");
    if (cfg.title) { html("div", { "class": "ct-title" }, rootEl, cfg.title); }
    var controls = html("div", { "class": "ct-controls" }, rootEl);
    this.sliders = {};
    cfg.params.forEach(function (p) {
      var label = html("label", { "class": "ct-slider" }, controls);
      html("span", { "class": "ct-name" }, label, LABELS[p.name] || p.name);
      var input = html("input", { type: "range", min: p.min, max: p.max, step: 1, value: p.value, "data-param": p.name }, label);
      var shown = html("output", { "class": "ct-value" }, label, String(p.value));
      input.addEventListener("input", function () { shown.textContent = input.value; self.changed(p.name); });
      self.sliders[p.name] = { input: input, shown: shown, max: p.max };
    });
    var bar = html("div", { "class": "ct-buttons" }, rootEl);
    this.buttons = {
      first: html("button", { type: "button", "data-action": "first", title: "first position" }, bar, "|\u25c0"),
      back: html("button", { type: "button", "data-action": "back", title: "step back" }, bar, "\u25c0"),
      play: html("button", { type: "button", "data-action": "play", title: "play / pause" }, bar, "\u25b6 play"),
      step: html("button", { type: "button", "data-action": "step", title: "step forward" }, bar, "\u25b6|")
    };
    this.posText = html("span", { "class": "ct-position", "data-position": "" }, bar);
    this.buttons.first.addEventListener("click", function () { self.stop(); self.go(0); });
    this.buttons.back.addEventListener("click", function () { self.stop(); self.go(self.position - 1); });
    this.buttons.step.addEventListener("click", function () { self.stop(); self.go(self.position + 1); });
    this.buttons.play.addEventListener("click", function () { if (self.timer) { self.stop(); } else { self.play(); } });
    this.svg = el("svg", { "class": "ct-svg", role: "img" }, rootEl);
    this.message = html("div", { "class": "ct-message", "data-message": "", role: "status" }, rootEl);
    var facts = html("div", { "class": "ct-facts" }, rootEl);
    this.outText = html("span", { "data-output-size": "" }, facts);
    this.paramText = html("span", { "data-parameters": "" }, facts);
    this.macText = html("span", { "data-macs": "" }, facts);
    this.changed(null);
  }

  Explorer.prototype.values = function () {
    var v = {};
    for (var name in this.sliders) { v[name] = parseInt(this.sliders[name].input.value, 10); }
    if (v.dilation === undefined) { v.dilation = 1; }
    if (v.stride === undefined) { v.stride = 1; }
    if (v.padding === undefined) { v.padding = 0; }
    return v;
  };

  // Dependent limits: output_padding must stay below stride or dilation.
  Explorer.prototype.limit = function () {
    var op = this.sliders.output_padding;
    if (!op) { return; }
    var v = this.values();
    var top = Math.min(op.max, Math.max(v.stride, v.dilation) - 1);
    op.input.max = String(top);
    if (parseInt(op.input.value, 10) > top) { op.input.value = String(top); }
    op.shown.textContent = op.input.value;
  };

  Explorer.prototype.changed = function () {
    this.limit();
    this.geo = geometry(this.type, this.values());
    var count = this.geo.error ? 0 : this.geo.output * this.geo.output;
    if (this.position >= count) { this.position = 0; }
    this.render();
  };

  Explorer.prototype.go = function (n) {
    if (this.geo.error) { return; }
    var count = this.geo.output * this.geo.output;
    this.position = ((n % count) + count) % count;
    this.render();
  };

  Explorer.prototype.play = function () {
    var self = this;
    if (this.geo.error) { return; }
    this.buttons.play.textContent = "\u275a\u275a pause";
    this.root.setAttribute("data-playing", "true");
    this.timer = setInterval(function () { self.go(self.position + 1); }, 700);
  };

  Explorer.prototype.stop = function () {
    if (this.timer) { clearInterval(this.timer); }
    this.timer = null;
    this.buttons.play.textContent = "\u25b6 play";
    this.root.setAttribute("data-playing", "false");
  };

  // The output value at (y, x) with the explorer's small integer input and kernel.
  Explorer.prototype.valueAt = function (y, x, k) {
    var total = 0;
    this.geo.footprint(y, x).forEach(function (t) {
      if (t.kind === "input") { total += inputValue(t.input[0], t.input[1]) * kernelValue(t.tap[0], t.tap[1], k); }
    });
    return total;
  };

  Explorer.prototype.render = function () {
    var svg = this.svg, geo = this.geo, v = this.values();
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    if (geo.error) {
      this.stop();
      this.message.textContent = "Impossible layer: " + geo.error + ".";
      this.root.setAttribute("data-valid", "false");
      this.outText.textContent = "Output size: none";
      this.paramText.textContent = "";
      this.macText.textContent = "";
      this.posText.textContent = "";
      svg.setAttribute("width", "0");
      svg.setAttribute("height", "0");
      return;
    }
    this.message.textContent = "";
    this.root.setAttribute("data-valid", "true");
    var n = geo.grid, o = geo.output, gap = 48;
    var cell = Math.max(10, Math.min(30, Math.floor(300 / Math.max(n, o))));
    var top = 22, width = (n + o) * cell + gap + 4, height = Math.max(n, o) * cell + top + 4;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    var y = Math.floor(this.position / o), x = this.position % o;
    var fp = geo.footprint(y, x), under = {}, taps = {};
    fp.forEach(function (t) { under[t.cell[0] + "," + t.cell[1]] = true; taps[t.cell[0] + "," + t.cell[1]] = t.tap; });
    var label = this.type === "transposed" ? "zero-stuffed, padded input" : "input (padded)";
    el("text", { x: 2, y: 14, "class": "ct-label" }, svg).textContent = label + " " + n + "\u00d7" + n;
    el("text", { x: n * cell + gap, y: 14, "class": "ct-label" }, svg).textContent = "output " + o + "\u00d7" + o;
    var showNumbers = this.numbers && cell >= 22, sum = 0;
    for (var r = 0; r < n; r++) {
      for (var c = 0; c < n; c++) {
        var info = geo.kind(r, c), hot = under[r + "," + c] ? 1 : 0;
        el("rect", {
          x: 2 + c * cell, y: top + r * cell, width: cell, height: cell,
          fill: FILL[info.kind][hot], stroke: "#27435c", "stroke-width": 1,
          "stroke-dasharray": DASH[info.kind], "data-kind": info.kind, "data-under": hot ? "1" : "0"
        }, svg);
        var value = info.kind === "input" ? inputValue(info.input[0], info.input[1]) : 0;
        if (hot) {
          var tp = taps[r + "," + c];
          sum += value * kernelValue(tp[0], tp[1], v.kernel);
        }
        if (showNumbers && info.kind === "input") {
          el("text", { x: 2 + c * cell + cell / 2, y: top + r * cell + cell * 0.62, "class": "ct-num" + (hot ? " ct-hot" : "") }, svg)
            .textContent = String(value);
        }
        if (showNumbers && hot) {
          var t2 = taps[r + "," + c];
          el("text", { x: 2 + (c + 1) * cell - 2, y: top + (r + 1) * cell - 2, "class": "ct-w" }, svg)
            .textContent = "\u00d7" + kernelValue(t2[0], t2[1], v.kernel);
        }
      }
    }
    var ox = 2 + n * cell + gap;
    for (var rr = 0; rr < o; rr++) {
      for (var cc = 0; cc < o; cc++) {
        var now = rr === y && cc === x;
        el("rect", {
          x: ox + cc * cell, y: top + rr * cell, width: cell, height: cell,
          fill: FILL.output[now ? 1 : 0], stroke: "#27435c", "stroke-width": 1, "data-current": now ? "1" : "0"
        }, svg);
      }
    }
    if (showNumbers) {                                  // every output computed so far
      for (var q = 0; q <= this.position; q++) {
        var qy = Math.floor(q / o), qx = q % o;
        el("text", { x: ox + qx * cell + cell / 2, y: top + qy * cell + cell * 0.62, "class": "ct-num" + (q === this.position ? " ct-hot" : "") }, svg)
          .textContent = String(q === this.position ? sum : this.valueAt(qy, qx, v.kernel));
      }
    }
    // a beam from the footprint to the output cell it produces
    var rows = fp.map(function (t) { return t.cell[0]; }), cols = fp.map(function (t) { return t.cell[1]; });
    var x1 = 2 + (Math.max.apply(null, cols) + 1) * cell, y1 = top + (Math.min.apply(null, rows) + Math.max.apply(null, rows) + 1) * cell / 2;
    el("line", { x1: x1, y1: y1, x2: ox + x * cell, y2: top + (y + 0.5) * cell, "class": "ct-beam" }, svg);
    this.svg.setAttribute("aria-label", label + " " + n + " by " + n + ", output " + o + " by " + o +
      ", kernel at output position (" + y + ", " + x + ")");
    this.posText.textContent = "output cell (" + y + ", " + x + "), " + (this.position + 1) + " of " + (o * o) +
      (showNumbers ? ": sum of products = " + sum : "");
    this.outText.textContent = "Output size: " + o + " \u00d7 " + o;
    this.paramText.textContent = "Parameters: " + geo.parameters.toLocaleString("en-US") +
      " (" + geo.weights.toLocaleString("en-US") + " weights + bias)";
    this.macText.textContent = "Multiply-adds: " + geo.macs.toLocaleString("en-US");
  };

  function init() {
    if (typeof document === "undefined") { return; }
    var nodes = document.querySelectorAll("[data-convtutor-explorer]");
    for (var m = 0; m < nodes.length; m++) {
      if (!nodes[m].getAttribute("data-ready")) {
        nodes[m].setAttribute("data-ready", "true");
        nodes[m].convtutor = new Explorer(nodes[m]);
      }
    }
  }

  var api = { axis: axis, geometry: geometry, inputValue: inputValue, kernelValue: kernelValue, init: init };
  if (typeof module !== "undefined" && module.exports) { module.exports = api; }
  if (typeof window !== "undefined") {
    window.convtutorExplorer = api;
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
  }
})(this);
