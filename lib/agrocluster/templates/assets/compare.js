/* agrocluster comparison page: draws the embedded data (script#ac-compare-data) as an SVG chart.
   No library, nothing fetched: a series selector (FAOSTAT series over years, or a headline number across
   clusters) and a year slider that marks a year and lists every cluster's value in it. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442"];
  var source = document.getElementById("ac-compare-data");
  if (!source || !document.getElementById("ac-series")) { return; }
  var data = JSON.parse(source.textContent);
  var select = document.getElementById("ac-series");
  var slider = document.getElementById("ac-year");
  var logScale = document.getElementById("ac-log");
  var yearLabel = document.getElementById("ac-year-label");
  var chart = document.getElementById("ac-chart");
  var readout = document.getElementById("ac-readout");
  document.getElementById("ac-controls").hidden = false;

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function fmt(v) {
    if (v === null || v === undefined || isNaN(v)) { return "–"; }
    var a = Math.abs(v);
    return v.toLocaleString("en", { maximumFractionDigits: a >= 100 ? 0 : (a >= 1 ? 2 : 3) });
  }
  function ticks(lo, hi, n) {
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n || 1)));
    [1, 2, 5, 10].some(function (m) { if ((hi - lo) / (step * m) <= n) { step *= m; return true; } return false; });
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) { out.push(t); }
    return out;
  }
  var W = 720, H = 340, L = 70, R = 20, T = 20, B = 40;
  var legend = document.getElementById("ac-legend");

  function drawSeries(key, year) {
    var spec = data.series[key];
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": spec.label + " by year, one line per cluster" });
    var years = data.years, lo = Infinity, hi = -Infinity, log = logScale.checked;
    function shown(v) { return v === null || v === undefined || (log && v <= 0) ? null : (log ? Math.log10(v) : v); }
    spec.lines.forEach(function (line) { line.values.forEach(function (v) { v = shown(v); if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }); });
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (log) { lo = Math.floor(lo); hi = Math.ceil(hi); } else { lo = Math.min(0, lo); }
    if (hi === lo) { hi = lo + 1; }
    var x0 = years[0], x1 = years[years.length - 1];
    function x(v) { return L + (v - x0) / Math.max(1, x1 - x0) * (W - L - R); }
    function y(v) { return H - B - (v - lo) / (hi - lo) * (H - T - B); }
    ticks(lo, hi, 5).forEach(function (t) {
      if (log && t !== Math.round(t)) { return; }
      svg.appendChild(el("line", { x1: L, x2: W - R, y1: y(t), y2: y(t), stroke: "#d9e2ec" }));
      svg.appendChild(el("text", { x: L - 6, y: y(t) + 4, "text-anchor": "end" }, fmt(log ? Math.pow(10, t) : t)));
    });
    ticks(x0, x1, 8).forEach(function (t) {
      svg.appendChild(el("text", { x: x(t), y: H - B + 16, "text-anchor": "middle" }, String(t)));
    });
    svg.appendChild(el("line", { "class": "ac-axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
    svg.appendChild(el("text", { x: 12, y: T - 6 }, spec.unit + (log ? " (log scale)" : "")));
    if (data.break_year && data.break_year > x0 && data.break_year <= x1) {
      svg.appendChild(el("line", { x1: x(data.break_year), x2: x(data.break_year), y1: T, y2: H - B, stroke: "#9aa5b1", "stroke-dasharray": "1 3" }));
      svg.appendChild(el("text", { x: x(data.break_year) - 4, y: H - B - 6, "text-anchor": "end", fill: "#52606d" }, "FAOSTAT method change"));
    }
    svg.appendChild(el("line", { x1: x(year), x2: x(year), y1: T, y2: H - B, stroke: "#52606d", "stroke-dasharray": "3 3" }));
    var rows = [];
    spec.lines.forEach(function (line, i) {
      var colour = COLOURS[i % COLOURS.length], d = "", pen = false;
      line.values.forEach(function (v, j) {
        v = shown(v);
        if (v === null) { pen = false; return; }
        d += (pen ? "L" : "M") + x(years[j]).toFixed(1) + " " + y(v).toFixed(1); pen = true;
      });
      svg.appendChild(el("path", { d: d, fill: "none", stroke: colour, "stroke-width": 2, "stroke-dasharray": i >= 4 ? "6 3" : "none" }));
      var value = line.values[years.indexOf(year)];
      if (shown(value) !== null) {
        svg.appendChild(el("circle", { cx: x(year), cy: y(shown(value)), r: 4, fill: colour }));
      }
      var item = document.createElement("li"), swatch = document.createElement("span");
      swatch.style.background = colour;
      if (i >= 4) { swatch.style.backgroundImage = "linear-gradient(90deg, transparent 50%, #fff 50%)"; }
      item.appendChild(swatch); item.appendChild(document.createTextNode(line.name));
      legend.appendChild(item);
      rows.push([line.name, value]);
    });
    return { svg: svg, rows: rows, caption: spec.label + " in " + year };
  }

  function drawHeadline(key) {
    var spec = data.headlines[key];
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": spec.label + ", one bar per cluster" });
    var bars = spec.bars, lo = 0, hi = 0;
    bars.forEach(function (b) { [b.value, b.low, b.high].forEach(function (v) { if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }); });
    if (hi === lo) { hi = lo + 1; }
    var left = 190, right = 40, band = (H - T - B) / Math.max(1, bars.length);
    function x(v) { return left + (v - lo) / (hi - lo) * (W - left - right); }
    ticks(lo, hi, 5).forEach(function (t) {
      svg.appendChild(el("line", { x1: x(t), x2: x(t), y1: T, y2: H - B, stroke: "#d9e2ec" }));
      svg.appendChild(el("text", { x: x(t), y: H - B + 16, "text-anchor": "middle" }, fmt(t)));
    });
    var rows = [];
    bars.forEach(function (b, i) {
      var yc = T + band * (i + 0.5), colour = b.origin === "synthetic" ? "#7b3294" : "#0b6e4f";
      svg.appendChild(el("text", { x: left - 8, y: yc + 4, "text-anchor": "end" }, b.name));
      if (b.value !== null) {
        svg.appendChild(el("rect", { x: Math.min(x(0), x(b.value)), y: yc - band * 0.3, width: Math.abs(x(b.value) - x(0)), height: band * 0.6, fill: colour }));
      }
      if (b.low !== null && b.high !== null) {
        svg.appendChild(el("line", { x1: x(b.low), x2: x(b.high), y1: yc, y2: yc, stroke: "#1f2933", "stroke-width": 2 }));
      }
      rows.push([b.name + " (" + b.origin + ")", b.value]);
    });
    svg.appendChild(el("line", { "class": "ac-axis", x1: x(0), x2: x(0), y1: T, y2: H - B }));
    return { svg: svg, rows: rows, caption: spec.label + " (" + spec.direction + "; bars: green real, purple synthetic; line: 95% interval)" };
  }

  function update() {
    var key = select.value, year = Number(slider.value);
    yearLabel.textContent = String(year);
    legend.replaceChildren();
    var drawn = key.indexOf("headline:") === 0 ? drawHeadline(key.slice(9)) : drawSeries(key, year);
    slider.disabled = logScale.disabled = key.indexOf("headline:") === 0;
    chart.replaceChildren(drawn.svg);
    var table = document.createElement("table");
    var cap = table.createCaption(); cap.textContent = drawn.caption;
    drawn.rows.forEach(function (r) {
      var tr = table.insertRow(); tr.insertCell().textContent = r[0]; tr.insertCell().textContent = fmt(r[1]);
    });
    readout.replaceChildren(table);
  }
  slider.min = data.years[0]; slider.max = data.years[data.years.length - 1];
  slider.value = data.default_year;
  select.addEventListener("change", update);
  slider.addEventListener("input", update);
  logScale.addEventListener("change", update);
  update();
}());
