// The five panels: what each draws (`scene`, from the run's header and background), where its y axis starts
// (`range`), what moves in each frame (`frame`, by trace name), and the pinned runs and theory (`extras`).
//
// Each function takes the drawing's context `c`:
//   h        the run's header merged with its background (schema.py: Header, Background)
//   colors, theme, logY, gapFloor
//   lossY(v) a loss as the loss axis draws it; gap(v) a loss as its gap to the optimum, floored for a log axis
//   land(w0, w1) a point in x's own units on the landscape's coordinates (Landscape.shift, .scale)
//   logX, sx(steps) whether the step axes are logarithmic, and record indices as those axes place them
// and a frame `f`: { i (the record shown; -1: the start), w0, w1, steps (curve indices up to i), ghost (all
// curve indices trained so far, or null when unchanged), store }.

import { decode, padded, logRange } from "./numbers.js";
import { PIN_COLORS } from "./legend.js";
import { curve, empty, lines, marker } from "./layers.js";

export const ORDER = ["fit", "landscape", "loss", "gap", "weights"]; // reading order, two to a row
export const TITLES = {
  fit: "Data and fit", landscape: "Loss landscape: the path on the bowl",
  loss: "Loss", gap: "Gap to the optimum: run against theory", weights: "Weights",
};

// A series over record indices, placed on the step axes (its hover reads the steps themselves).
const series = (c, steps, ys) => ({ x: steps.map(c.sx), y: ys, customdata: steps });
const at = (c, i, y) => (i >= 0 ? series(c, [i], [y]) : empty());
const edge = (c) => (c.theme.dark ? "#0E1117" : "#ffffff");
const pinned = (name, width, opacity = 0.85) => PIN_COLORS.map((color, k) => curve(`${name} #${k + 1}`, color, width, { opacity, hover: false }));
// A pinned run is a wide, translucent band under the run's thinner line: the run shown, even the very same
// one (a pinned copy of it), never hides a pin.
const PIN_BAND = 8;
const pinNames = (name) => PIN_COLORS.map((_, k) => `${name} #${k + 1}`);

// The step axes follow the scrubber's scale (scrubber.js). A log axis cannot hold step 0, so it is drawn at
// x = step + 1 (the number of updates made), its ticks labelled with the steps they stand for.
function stepAxis(c) {
  const end = Math.max(c.h.total - 1, 1);
  if (!c.logX) return { range: [0, end], type: "linear", tickformat: ",d", ...(end <= 10 ? { dtick: 1 } : {}) };
  const top = Math.log10(end + 1);
  const steps = [0, 1, 2, 5].flatMap((k) => [1, 10, 100, 1000, 10000, 100000].map((d) => (k ? k * d : 0)));
  const ticks = Array.from(new Set(steps)).filter((s) => s <= end).sort((a, b) => a - b);
  const shown = ticks.length > 9 ? ticks.filter((s) => s === 0 || /^10*$/.test(String(s))) : ticks;
  return { range: [-0.02 * top, top * 1.02], type: "log", tickmode: "array", tickvals: shown.map((s) => s + 1),
    ticktext: shown.map((s) => s.toLocaleString("en-US")) };
}

function stepAxes(c, y, yaxis = {}) {
  const s = stepAxis(c);
  return { x: "step", y, xRange: s.range, xaxis: s, yaxis };
}

// The landscape's path through `steps`, from the start, in its coordinates.
function path(c, w0s, w1s) {
  const pts = [c.land(c.h.init[0], c.h.init[1]), ...w0s.map((w, k) => c.land(w, w1s[k]))];
  return { x: pts.map((p) => p[0]), y: pts.map((p) => p[1]) };
}

// A pinned run's curves, decoded once per pins message.
export function pinSeries(pins, background) {
  return pins.map((p) => ({ label: p.label, same: p.background === background, steps: Array.from(decode(p.steps)),
    loss: Array.from(decode(p.loss)), w0: Array.from(decode(p.w0)), w1: Array.from(decode(p.w1)) }));
}

// The points drawn (all, or the page's sample), decoded once per background, with their order along x: each
// frame draws their residuals.
const decoded = new WeakMap();
function drawnPoints(h) {
  let p = decoded.get(h.points);
  if (!p) {
    const x = decode(h.points.x);
    p = { x, y: decode(h.points.y), order: Array.from(x.keys()).sort((a, b) => x[a] - x[b]) };
    decoded.set(h.points, p);
  }
  return p;
}

// Each drawn point's residual at the line w0·x + w1, as one path along x: from the line up (or down) to the point
// and back, then along the line to the next point, where the thick line of the fit covers it. One unbroken path:
// Plotly draws a trace broken by nulls gap by gap, ~50 times slower for the 5,000 points of a sample.
function residuals(p, w0, w1) {
  const n = p.order.length;
  const x = new Array(3 * n);
  const y = new Array(3 * n);
  p.order.forEach((j, k) => {
    const xj = p.x[j];
    x[3 * k] = x[3 * k + 1] = x[3 * k + 2] = xj;
    y[3 * k] = y[3 * k + 2] = w0 * xj + w1;
    y[3 * k + 1] = p.y[j];
  });
  return { x, y };
}

export const fit = {
  scene(c) {
    const { h, colors } = c;
    const { x: xs, y: ys } = drawnPoints(h);
    const [x0, x1] = h.x_range;
    const line = (w, color, dash, width, name) => lines(name, [x0, x1], [w[0] * x0 + w[1], w[0] * x1 + w[1]], color, dash, width);
    const under = [
      { type: xs.length > 2000 ? "scattergl" : "scatter", mode: "markers", x: Array.from(xs), y: Array.from(ys), name: "data",
        marker: { color: colors.data, size: xs.length <= 1000 ? 7 : 4, opacity: xs.length <= 1000 ? 0.75 : 0.4 },
        hoverinfo: "skip", cliponaxis: false },
      line(h.optimum, colors.optimum, "dot", 2, "least squares"),
    ];
    if (h.true) under.splice(1, 0, line(h.true, colors.true, "dash", 2, "true line"));
    const [xLabel, yLabel] = h.labels || ["x", "y"];
    // light and thin, so the residuals never hide the points they end at (lighter still where they crowd)
    const spokes = { ...curve("residuals", colors.fit, 1, { opacity: xs.length <= 1000 ? 0.4 : 0.2, hover: false }),
      ...residuals(drawnPoints(h), ...h.init) };
    const over = [spokes, line(h.init, colors.fit, "solid", 4, "current fit")];
    return { under, over, axes: { x: xLabel, y: yLabel, xRange: h.x_range } };
  },
  range: (c) => c.h.y_range,
  frame(c, f) {
    const [x0, x1] = c.h.x_range;
    return { "current fit": { x: [x0, x1], y: [f.w0 * x0 + f.w1, f.w0 * x1 + f.w1] }, residuals: residuals(drawnPoints(c.h), f.w0, f.w1) };
  },
};

// An arrow's head: two barbs at ±HEAD_ANGLE (radians), 0.4 of the arrow long up to HEAD_MAX of the axes' span,
// so a short arrow still shows its direction and a long one keeps a head of a readable size.
const HEAD_ANGLE = 0.45;
const HEAD_SHARE = 0.4;
const HEAD_MAX = 0.035;
const NO_ARROW = { x: [], y: [] };

// From (x, y) to (hx, hy): the shaft first (its two ends are the arrow's), then the head, apart by a null. Drawn
// in data units: the landscape gives a unit of either weight the same length on screen, so angles are kept.
function arrow(c, x, y, hx, hy) {
  const dx = hx - x;
  const dy = hy - y;
  const length = Math.hypot(dx, dy);
  const [lo, hi] = c.h.landscape.w0;
  const head = Math.min(HEAD_SHARE * length, HEAD_MAX * (hi - lo)) / length;
  if (!(head > 0)) return { x: [x, hx], y: [y, hy] };
  const barb = (a) => [hx - head * (dx * Math.cos(a) - dy * Math.sin(a)), hy - head * (dy * Math.cos(a) + dx * Math.sin(a))];
  const [[lx, ly], [rx, ry]] = [barb(HEAD_ANGLE), barb(-HEAD_ANGLE)];
  return { x: [x, hx, null, lx, hx, rx], y: [y, hy, null, ly, hy, ry] };
}

// The arrows of the update into record i, as the run's legend names them (Claims.step_arrows), in the landscape's
// coordinates, from the weights going in (record i − 1's, or the start's): −lr·∇L with the gradient that update
// used (taken with respect to the weights trained, the landscape's own), and the step actually taken, to record
// i. Plain gradient descent's −lr·∇L is the step taken: it ends on the step shown. None at the start.
function update(c, f) {
  const keys = new Set(((c.h.legends || {}).landscape || []).map((e) => e.key));
  const out = { gradient: NO_ARROW, "step taken": NO_ARROW };
  const s = f.store;
  if (f.i < 0 || !s.has("dw0")) return out;
  const before = f.i > 0 ? [s.get("w0", f.i - 1), s.get("w1", f.i - 1)] : c.h.init;
  const [x, y] = c.land(before[0], before[1]);
  if (keys.has("gradient_step") || keys.has("batch_gradient_step")) {
    out.gradient = arrow(c, x, y, x - c.h.lr * s.get("dw0", f.i), y - c.h.lr * s.get("dw1", f.i));
  }
  if (keys.has("momentum_step") || keys.has("adaptive_step")) out["step taken"] = arrow(c, x, y, ...c.land(f.w0, f.w1));
  return out;
}

export const landscape = {
  scene(c) {
    const { h, colors, theme } = c;
    const L = h.landscape;
    const grid = (lo, hi) => Array.from({ length: L.size }, (_, k) => lo + ((hi - lo) * k) / (L.size - 1));
    const z = decode(L.log_gap);
    const rows = Array.from({ length: L.size }, (_, r) => Array.from(z.subarray(r * L.size, (r + 1) * L.size)));
    const [ox, oy] = c.land(h.optimum[0], h.optimum[1]);
    const [sx, sy] = c.land(h.init[0], h.init[1]);
    const under = [
      { type: "contour", x: grid(...L.w0), y: grid(...L.w1), z: rows, ncontours: 14, showscale: false, hoverinfo: "skip",
        colorscale: theme.dark ? [[0, "#1c3a63"], [1, "#0e1117"]] : [[0, "#a5c8f5"], [1, "#ffffff"]],
        contours: { coloring: "heatmap", showlines: true }, line: { color: theme.grid, width: 1 }, name: "landscape" },
      { type: "scatter", mode: "markers", x: [ox], y: [oy], name: "optimum", hoverinfo: "skip",
        marker: { symbol: "x-thin", size: 14, line: { color: colors.optimum, width: 3 } } },
      ...pinned("pinned path", PIN_BAND, 0.5),
    ];
    // (a start being dragged and its predicted path are sketched above the plots: js/drag.js, js/sketch.js)
    // the start is the run's (its header's), so it moves with the run, not with the background
    const over = [{ type: "scatter", mode: "markers", x: [sx], y: [sy], name: "start", hoverinfo: "skip", marker: { color: theme.muted, size: 9 } },
      curve("path", colors.fit, 2, { hover: false }), marker("shown step", colors.fit, edge(c)),
      // the update into the step shown (see `update`), over its marker, which it ends on; −lr·∇L over the step
      // taken: it is the shorter one where momentum has built up
      curve("step taken", colors.step, 3, { hover: false }), curve("gradient", colors.grad, 3, { hover: false })];
    const [xTitle, yTitle] = L.titles;
    // one unit of w0 as long as one of w1 on screen, so a round bowl is drawn round and the rings' axis ratio is √κ
    const square = { constrain: "domain" };
    return { under, over, axes: { x: xTitle, y: yTitle, xRange: L.w0, xaxis: square, yaxis: { ...square, scaleanchor: "x", scaleratio: 1 } } };
  },
  range: (c) => c.h.landscape.w1,
  frame(c, f) {
    const [x, y] = c.land(f.w0, f.w1);
    const [sx, sy] = c.land(c.h.init[0], c.h.init[1]);
    return { start: { x: [sx], y: [sy] }, path: path(c, f.store.at("w0", f.steps), f.store.at("w1", f.steps)), "shown step": { x: [x], y: [y] }, ...update(c, f) };
  },
  extras(c, pins) {
    const out = {};
    pinNames("pinned path").forEach((name, k) => {
      const p = pins[k];
      out[name] = p && p.same ? path(c, p.w0, p.w1) : empty();
    });
    return out;
  },
};

export const loss = {
  scene(c) {
    const { h, colors } = c;
    const star = c.lossY(h.loss_star);
    const under = [lines("least-squares loss", [0, Math.max(h.total - 1, 1)].map(c.sx), [star, star], colors.optimum, "dash", 1.5), ...pinned("pinned loss", PIN_BAND, 0.5)];
    const over = [curve("loss (whole run)", colors.fit, 1.5, { opacity: 0.3 }), curve("loss", colors.fit, 2.5),
      marker("shown step", colors.fit, edge(c))];
    if (h.held_out) over.push(curve("held-out loss", colors.theory, 2, { dash: "dash" }));
    const yaxis = c.logY ? { type: "log", dtick: 1, exponentformat: "power" } : { type: "linear" };
    return { under, over, axes: stepAxes(c, "loss (MSE)", yaxis) };
  },
  range: (c) => c.lossRange(Math.min(c.h.loss_star, c.h.start_loss), c.h.start_loss),
  frame(c, f) {
    const s = f.store;
    const out = { loss: series(c, f.steps, s.at("loss", f.steps).map(c.lossY)), "shown step": at(c, f.i, f.i >= 0 ? c.lossY(s.get("loss", f.i)) : 0) };
    if (c.h.held_out && s.has("test_loss")) out["held-out loss"] = series(c, f.steps, s.at("test_loss", f.steps).map(c.lossY));
    if (f.ghost) out["loss (whole run)"] = series(c, f.ghost, s.at("loss", f.ghost).map(c.lossY));
    return out;
  },
  extras(c, pins) {
    const out = {};
    pinNames("pinned loss").forEach((name, k) => {
      const p = pins[k];
      out[name] = p ? series(c, p.steps, p.loss.map(c.lossY)) : empty();
    });
    return out;
  },
};

export const gap = {
  scene(c) {
    const { colors } = c;
    const under = [...pinned("pinned gap", PIN_BAND, 0.5), curve("theory", colors.theory, 2, { dash: "dash" })];
    const over = [curve("gap (whole run)", colors.fit, 1.5, { opacity: 0.3 }), curve("gap", colors.fit, 2.5), marker("shown step", colors.fit, edge(c))];
    return { under, over, axes: stepAxes(c, "loss − least-squares loss", { type: "log", dtick: 2, exponentformat: "power" }) };
  },
  range: (c) => logRange(c.gapFloor, Math.max(c.h.start_loss - c.h.loss_star, 1e-30)),
  frame(c, f) {
    const s = f.store;
    const out = { gap: series(c, f.steps, s.at("loss", f.steps).map(c.gap)), "shown step": at(c, f.i, f.i >= 0 ? c.gap(s.get("loss", f.i)) : 0) };
    if (f.ghost) out["gap (whole run)"] = series(c, f.ghost, s.at("loss", f.ghost).map(c.gap));
    return out;
  },
  extras(c, pins) {
    const out = {};
    pinNames("pinned gap").forEach((name, k) => {
      const p = pins[k];
      out[name] = p && p.same ? series(c, p.steps, p.loss.map(c.gap)) : empty();
    });
    return { ...out, ...this.theory(c) };
  },
  // theory's predicted gap, at the header's curve steps (none when theory does not predict this run)
  theory(c) {
    const predicted = c.h.predicted ? decode(c.h.predicted) : null;
    if (!predicted) return { theory: empty() };
    const steps = c.h.steps.curve.slice(0, predicted.length);
    return { theory: series(c, steps, steps.map((_, k) => Math.max(predicted[k], c.gapFloor))) };
  },
};

export const weights = {
  scene(c) {
    const { h, colors } = c;
    const end = Math.max(h.total - 1, 1);
    const flat = (y, color, dash, name) => lines(name, [0, end].map(c.sx), [y, y], color, dash, 1.5);
    const under = [flat(h.optimum[0], colors.w0, "dot", "least-squares w0"), flat(h.optimum[1], colors.w1, "dot", "least-squares w1")];
    if (h.true) under.push(flat(h.true[0], colors.w0, "dash", "true w0"), flat(h.true[1], colors.w1, "dash", "true w1"));
    const over = [curve("w0 (whole run)", colors.w0, 1.5, { opacity: 0.3 }), curve("w1 (whole run)", colors.w1, 1.5, { opacity: 0.3 }),
      curve("w0", colors.w0, 2.5), curve("w1", colors.w1, 2.5), marker("shown step", colors.w0, edge(c), { color: [colors.w0, colors.w1] })];
    return { under, over, axes: stepAxes(c, "weight") };
  },
  range(c) {
    const h = c.h;
    const ws = [h.init[0], h.init[1], h.optimum[0], h.optimum[1], ...(h.true || [])];
    return padded(Math.min(...ws), Math.max(...ws));
  },
  frame(c, f) {
    const s = f.store;
    const out = { w0: series(c, f.steps, s.at("w0", f.steps)), w1: series(c, f.steps, s.at("w1", f.steps)),
      "shown step": f.i >= 0 ? series(c, [f.i, f.i], [f.w0, f.w1]) : empty() };
    if (f.ghost) Object.assign(out, { "w0 (whole run)": series(c, f.ghost, s.at("w0", f.ghost)), "w1 (whole run)": series(c, f.ghost, s.at("w1", f.ghost)) });
    return out;
  },
};

export const PANELS = { fit, landscape, loss, gap, weights };
