// The run chart of GradientTape Lab: one view that animates a run while it trains and replays it after.
//
// The view element itself carries no data (so Streamlit sends it as a cached reference on every rerun); what
// it draws arrives in tiny carrier elements (see run_view.py and view_model.py):
//   background: the points, reference lines and axes of a data set, named by a key (identical across the
//               runs on one data set, so it too travels as a cached reference);
//   header:     one run: its id, its background's key, its length, and, for a finished run, all its records
//               and how it ended;
//   feed:       the next block of a training run's records, or how it ended.
// Records are kept per run in a per-tab store; the view draws the run of the latest header, on the background
// that header names, so neither a late block of an earlier run nor another run's background is ever painted.
//
// One playhead drives everything a person reads: the fit line, the loss and weight curves with their
// markers, the title, the numbers table and the scrubber. While a run trains the playhead follows it
// (log-spaced steps first, so the fast early steps are seen, at most FPS frames a second, the newest
// trained step when training is slower); afterwards Play, Pause and the scrubber move it.

const G = (window.__gtlRuns = window.__gtlRuns || {
  stores: new Map(), views: new Set(), backgrounds: new Map(), header: null, trace: [],
});
// A short log of what reached the chart and when (wall-clock ms), for the benchmarks' timelines.
function trace(event, run, detail) {
  G.trace.push([Date.now(), event, run, detail]);
  if (G.trace.length > 2000) G.trace.splice(0, 1000);
}
const FPS = 30;
const LIVE_FRAMES = 45;
const PLAY_SECONDS = 4;
const CURVE_POINTS = 800;
const MIN_LOG = 1e-12;
const SCRUB_POSITIONS = 1000;
const STOP_GRACE_MS = 600;
// Plotly.animate's options for moving traces at once, with no redraw of the axes (a few ms, not ~20)
const MOVE = { frame: { duration: 0, redraw: false }, transition: { duration: 0 }, mode: "immediate" };
const PLOT_CONFIG = { displayModeBar: false, responsive: false, scrollZoom: false, doubleClick: false };

// ---- numbers -------------------------------------------------------------------------------------

function decode(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

// Up to `count` indices from 0 to total-1, log-spaced so the fast early steps show; spare slots (where
// log spacing repeats an early index) go to evenly spaced later indices.
export function logTargets(total, count) {
  if (total <= 0) return [];
  if (total <= count) return Array.from({ length: total }, (_, i) => i);
  const chosen = new Set();
  for (let k = 0; k < count; k++) chosen.add(Math.round(Math.exp((Math.log(total) * k) / (count - 1))) - 1);
  for (let k = 0; chosen.size < count && k < count; k++) chosen.add(Math.round(((total - 1) * k) / (count - 1)));
  return Array.from(chosen).sort((a, b) => a - b);
}

// The steps the scrubber stops at, in order: on the log scale every early step and fewer later ones (so
// each notch of the early, fast part is one step), on the linear scale evenly spaced steps.
export function scrubSteps(total, scale, positions = SCRUB_POSITIONS) {
  const count = Math.min(total, positions);
  if (scale === "log") return logTargets(total, count);
  const out = new Set();
  for (let k = 0; k < count; k++) out.add(count > 1 ? Math.round((k * (total - 1)) / (count - 1)) : 0);
  return Array.from(out);
}

// The last position whose step is at most `index` (binary search in the sorted stops).
export function positionOf(stops, index) {
  let lo = 0;
  let hi = stops.length - 1;
  if (hi < 0 || stops[0] > index) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (stops[mid] <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const fmt = {
  int: (v) => Math.round(v).toLocaleString("en-US"),
  w: (v) => v.toFixed(4),
  loss: (v) => (Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toPrecision(4)),
  long: (v) => (Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-4) ? v.toExponential(4) : v.toPrecision(6)),
};

// A value's distance to the float64 optimum. float32 training can land a hair below it: within float32's
// rounding that is 0, not a negative gap.
export function gapText(value, optimum) {
  const gap = value - optimum;
  if (Math.abs(gap) <= 4 * 1.1920929e-7 * Math.max(Math.abs(optimum), Math.abs(value), 1e-30)) return "0 (float32 limit)";
  return (gap >= 0 ? "+" : "−") + Math.abs(gap).toExponential(2);
}

// ---- the per-tab store of runs ---------------------------------------------------------------------

class RunStore {
  constructor(id, total) {
    this.id = id;
    this.columns = null;
    this.total = total;
    this.rows = 0;
    this.table = null;
    this.early = new Map(); // blocks that arrived before their predecessors (or before the header)
    this.status = null;
    this.done = false;
  }

  // The table's size and columns, once both are known (from the header, or a feed that came before it).
  shape(total, columns) {
    if (this.columns) return;
    columns = columns || (Array.from(this.early.values()).find((b) => b.columns) || {}).columns;
    if (!total || !columns) return;
    this.total = total;
    this.columns = columns;
    this.table = Object.fromEntries(columns.map((c) => [c, new Float32Array(Math.max(total, 1))]));
    const early = Array.from(this.early.values());
    this.early.clear();
    early.forEach((b) => this.add(b));
  }

  add(block) {
    if (block.columns) this.shape(this.total, block.columns); // waits for the header's total if none yet
    if (!this.columns || block.first > this.rows) {
      this.early.set(block.first, block);
      return;
    }
    const v = decode(block.values);
    const width = this.columns.length;
    for (let r = 0; r < block.rows; r++) {
      const step = block.first + r;
      if (step < this.rows || step >= this.total) continue;
      this.columns.forEach((c, j) => (this.table[c][step] = v[r * width + j]));
      this.rows = step + 1;
    }
    const next = this.early.get(this.rows);
    if (next) {
      this.early.delete(this.rows);
      this.add(next);
    }
  }

  end(status) {
    this.done = true;
    this.status = status;
  }

  get(column, i) {
    return this.table[column][i];
  }
}

function store(id, total = 0) {
  let s = G.stores.get(id);
  if (!s) {
    s = new RunStore(id, total);
    G.stores.set(id, s);
  }
  return s;
}

function forgetOtherRuns() {
  const shown = new Set(Array.from(G.views, (v) => v.runId));
  for (const id of G.stores.keys()) if (!shown.has(id)) G.stores.delete(id);
}

// ---- Plotly: Streamlit's own bundle --------------------------------------------------------------

let plotlyPromise = null;
function loadPlotly(chunk) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyPromise) {
    // The page has no st.plotly_chart, so Streamlit has not loaded its Plotly chunk: load it from next
    // to Streamlit's own entry script (the file name is the installed Streamlit's, sent by the page).
    const entry = document.querySelector('script[type="module"][src*="static/js/index."]');
    const url = new URL(chunk || "PlotlyChart.js", entry ? entry.src : document.baseURI);
    plotlyPromise = import(url.href).then(() => window.Plotly, (e) => {
      plotlyPromise = null; // a later call may try again
      throw e;
    });
  }
  return plotlyPromise;
}

// ---- the view ------------------------------------------------------------------------------------

const LEGENDS = {
  fit: [
    ["dot", "data", "--gtl-data"],
    ["dash", "true line", "--gtl-true"],
    ["dotted", "least squares", "--gtl-optimum"],
    ["line", "current fit", "--gtl-fit"],
  ],
  loss: [
    ["line", "loss", "--gtl-fit"],
    ["dash", "least-squares loss", "--gtl-optimum"],
  ],
  weights: [
    ["line", "w0 (slope)", "--gtl-w0"],
    ["line", "w1 (intercept)", "--gtl-w1"],
    ["dash", "true", "--gtl-muted"],
    ["dotted", "least squares", "--gtl-muted"],
  ],
  landscape: [
    ["line", "path", "--gtl-fit"],
    ["dot", "start", "--gtl-muted"],
    ["cross", "optimum", "--gtl-optimum"],
  ],
  gap: [
    ["line", "run", "--gtl-fit"],
    ["dash", "theory", "--gtl-theory"],
  ],
};
// in reading order, two to a row on a wide page: the model's state, its progress, its numbers
const PANELS = [
  ["fit", "Data and fit"], ["landscape", "Loss landscape: the path on the bowl"],
  ["loss", "Loss"], ["gap", "Gap to the optimum: run against theory"], ["weights", "Weights"],
];
const PIN_COLORS = ["#1098ad", "#74b816", "#ae3ec9", "#f59f00", "#868e96"];
const MAX_PINS = PIN_COLORS.length;

function key(shape, label, color) {
  return el("span", { class: "gtl-key" }, el("i", { class: `gtl-swatch gtl-${shape}`, style: `--c: ${color}` }), label);
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  children.forEach((c) => e.append(c));
  return e;
}

class RunView {
  constructor(host) {
    this.host = host;
    this.runId = null;
    this.header = null;
    this.store = null;
    this.shown = -2; // index drawn last (-1: the start, before any update; -2: nothing yet)
    this.want = -1; // index to draw
    this.mode = "live"; // live (following the run), paused, playing, done
    this.scale = "log";
    this.logY = true;
    this.lastPaint = 0;
    this.nextFrameAt = 0;
    this.ghostRows = -1;
    this.raf = 0;
    this.plotly = null;
    this.ranges = {};
    // Panels scrolled out of sight skip the frames of a moving run (live or playing); what they missed is
    // kept and drawn on the frame they come back into sight. A resting run (paused, done) draws them all.
    this.inSight = new Set();
    this.missed = {};
    this.toDraw = []; // panels of the page's first picture still to draw, one a frame
    this.build();
    G.views.add(this);
    this.watchScript();
  }

  build() {
    const root = el("div", { class: "gtl-view", "data-state": "live", "data-step": "", "data-paints": "0" });
    this.status = el("div", { class: "gtl-status", role: "status", "aria-live": "polite" });
    this.play = el("button", { type: "button", class: "gtl-play", "aria-label": "Play the run" });
    this.play.textContent = "▶ Play";
    this.scrub = el("input", {
      type: "range", class: "gtl-scrub", min: "0", max: String(SCRUB_POSITIONS), step: "1",
      value: String(SCRUB_POSITIONS), "aria-label": "step shown",
    });
    this.scaleSel = el("select", { class: "gtl-scale", "aria-label": "scrubber scale" },
      el("option", { value: "log", text: "log scale in steps" }), el("option", { value: "linear", text: "linear scale" }));
    this.logBox = el("input", { type: "checkbox", class: "gtl-logy" });
    this.logBox.checked = true;
    const controls = el("div", { class: "gtl-controls" },
      this.play,
      el("label", { class: "gtl-scrub-label" }, el("span", { class: "gtl-scrub-caption", text: "step" }), this.scrub),
      this.scaleSel,
      el("label", { class: "gtl-check" }, this.logBox, el("span", { text: "log loss axis" })));
    this.title = el("div", { class: "gtl-title", "aria-live": "off" });
    this.panels = {};
    this.unders = {};
    const grid = el("div", { class: "gtl-grid" });
    this.captions = {};
    this.legends = {};
    for (const [name, caption] of PANELS) {
      const plot = el("div", { class: "gtl-plot", "data-plot": name });
      const legend = el("div", { class: "gtl-legend" });
      for (const [shape, label, color] of LEGENDS[name]) legend.append(key(shape, label, `var(${color})`));
      const explain = el("p", { class: "gtl-caption" });
      // Two plots stacked with the same axes: what stays put (points, reference lines, the bowl, pinned runs,
      // theory) below, drawn when it changes; what moves (the run's curves and markers) above, redrawn each
      // frame. Plotly's quick redraw (animate without a full redraw) keeps only the traces it is given.
      const under = el("div", { class: "gtl-plot gtl-under", "data-plot": `${name}-under` });
      plot.classList.add("gtl-over");
      const body = el("div", { class: "gtl-stack" }, under, plot);
      const fig = el("figure", { class: `gtl-panel gtl-panel-${name}` }, el("figcaption", { text: caption }), legend, body, explain);
      this.unders[name] = under;
      this.panels[name] = plot;
      this.legends[name] = legend;
      this.captions[name] = explain;
      grid.append(fig);
    }
    this.numbers = el("table", { class: "gtl-numbers" });
    this.note = el("p", { class: "gtl-note" });
    grid.append(el("figure", { class: "gtl-panel gtl-panel-numbers" }, el("figcaption", { text: "Numbers at the step shown" }), this.numbers, this.note));
    root.append(this.status, controls, this.title, grid);
    this.root = root;
    this.host.append(root);
    // the plots follow the chart's width (a window resized, the sidebar opened or closed)
    this.resizer = new ResizeObserver(() => {
      if (!this.plotly || !this.backgroundDrawn) return;
      clearTimeout(this.resizeTimer);
      this.resizeTimer = setTimeout(() => this.allPlots().forEach((p) => this.plotly.Plots.resize(p)), 80);
    });
    this.resizer.observe(grid);
    this.sight = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const name = e.target.dataset.plot;
        if (e.isIntersecting) this.inSight.add(name);
        else this.inSight.delete(name);
      }
      if (Object.keys(this.missed).some((name) => this.inSight.has(name))) this.kick();
    });
    for (const plot of Object.values(this.panels)) this.sight.observe(plot);

    this.play.addEventListener("click", () => (this.mode === "playing" ? this.pause() : this.startPlay()));
    this.scrub.addEventListener("input", () => {
      this.mode = "paused";
      this.setPlayLabel();
      this.want = this.last() < 0 ? -1 : this.stops()[Math.min(+this.scrub.value, this.maxPosition())];
      this.kick();
    });
    this.scrub.addEventListener("keydown", (e) => {
      if (e.key === " ") {
        e.preventDefault();
        this.mode === "playing" ? this.pause() : this.startPlay();
      }
    });
    this.scaleSel.addEventListener("change", () => {
      this.scale = this.scaleSel.value;
      this._stops = null;
      this.syncScrubber();
    });
    this.logBox.addEventListener("change", () => {
      this.logY = this.logBox.checked;
      this.redrawAll();
    });
  }

  destroy() {
    cancelAnimationFrame(this.raf);
    if (this.observer) this.observer.disconnect();
    this.resizer.disconnect();
    this.sight.disconnect();
    G.views.delete(this);
    this.root.remove();
    this.dead = true;
  }

  last() {
    return this.store ? this.store.rows - 1 : -1;
  }

  // ---- messages ----

  // The latest header, on its background, once both have arrived.
  follow() {
    const h = G.header;
    const bg = h && G.backgrounds.get(h.background);
    if (bg) this.show({ ...bg, ...h });
  }

  onMessage(message) {
    if (message.kind === "pins") this.kick();
    else if (message.kind !== "feed") this.follow();
    else if (message.run === this.runId) this.onStore();
  }

  show(h) {
    if (h.run !== this.runId) {
      this.runId = h.run;
      this.header = h;
      this.store = store(h.run, h.total);
      this.store.total = h.total;
      this.store.shape(h.total, h.columns);
      forgetOtherRuns();
      this.mode = "live";
      this.want = -1;
      this.shown = -2;
      this.ghostRows = -1;
      this.missed = {};
      this.targets = logTargets(h.total, LIVE_FRAMES);
      this._stops = null;
      this.curveIdx = logTargets(h.total, CURVE_POINTS);
      // the new run's identity and state go up at once, so nothing reads the old run's state under the new id
      this.root.dataset.run = h.run;
      this.root.dataset.state = "live";
      this.root.dataset.step = "";
      this.root.dataset.paints = "0";
      // the same points, lines and axes (a new learning rate, say) keep their drawing: only the run moves
      if (h.background !== this.backgroundKey) this.backgroundDrawn = false;
      else this.axesToReset = true;
      this.interrupted = false;
      clearTimeout(this.stopTimer);
    }
    this.header = h;
    if (h.status && !this.backgroundDrawn) {
      // a finished run shown anew (a rerun that did not retrain): straight to its last step
      this.mode = "done";
      this.want = this.last();
    }
    this.readTheme();
    this.kick();
  }

  onStore() {
    if (this.mode === "live" || this.mode === "done") this.kick();
    else this.drawStatus();
  }

  // ---- time ----

  kick() {
    if (!this.raf && !this.dead) this.raf = requestAnimationFrame((t) => this.tick(t));
  }

  tick(now) {
    this.raf = 0;
    if (!this.header) return; // nothing to draw before a run's header (pins may arrive first)
    if (!this.plotly) {
      loadPlotly(this.header.plotly).then((P) => {
        this.plotly = P;
        this.kick();
      }, (e) => this.fail(e));
      return;
    }
    if (!this.backgroundDrawn) this.drawBackground();
    else if (this.toDraw.length) this.drawPanel(this.toDraw.shift());
    else if (this.axesToReset) this.resetAxes();
    if (this.toDraw.length) return this.kick(); // the first picture is still being drawn
    this.drawExtras();
    let again = false;
    const last = this.last();
    if (this.mode === "live") {
      if (!this.frameDue(now)) {
        again = true;
      } else {
        const next = this.targets.find((t) => t > this.shown);
        if (next !== undefined && next <= last) this.want = next;
        // training is behind the schedule (large n): close half the distance to the newest step each frame,
        // so every frame shows a newer step than the last even between two blocks
        else if (last > this.shown) this.want = this.store.done ? last : this.shown + Math.ceil((last - this.shown) / 2);
        if (this.store.done && this.want >= last) this.mode = "done";
        again = this.mode === "live";
      }
    } else if (this.mode === "playing") {
      if (this.frameDue(now)) {
        // a whole run plays in PLAY_SECONDS, moving evenly along the scrubber's scale
        const end = this.maxPosition();
        const dt = this.playFrom === null ? 0 : (now - this.playFrom) / 1000;
        const pos = Math.min(end, Math.round(this.playStart + (dt * (this.stops().length - 1)) / PLAY_SECONDS));
        this.want = this.stops()[pos];
        if (this.playFrom === null) this.playFrom = now;
        if (pos >= end) {
          this.want = last;
          this.mode = this.store.done ? "done" : "live";
          this.setPlayLabel();
        }
      }
      again = this.mode === "playing";
    }
    if (this.want !== this.shown || this.ghostRows !== this.store.rows) {
      this.draw(Math.min(this.want, last), now);
    }
    this.catchUp();
    this.drawStatus();
    if (again) this.kick();
  }

  // Frames are due every 1000/FPS ms on a fixed schedule: animation frames arrive with jitter (30 to 50 ms
  // apart at 30 per second here), and waiting a full interval after each late one would lose frames.
  frameDue(now) {
    const interval = 1000 / FPS;
    if (now < this.nextFrameAt - interval / 4) return false;
    this.nextFrameAt = Math.max(this.nextFrameAt + interval, now + interval / 2);
    return true;
  }

  startPlay() {
    const last = this.last();
    if (last < 0) return;
    this.playStart = this.shown >= last ? 0 : positionOf(this.stops(), Math.max(this.shown, 0)); // at the end: from the start
    this.playFrom = null;
    this.mode = "playing";
    this.setPlayLabel();
    this.kick();
  }

  pause() {
    this.mode = "paused";
    this.setPlayLabel();
    this.drawStatus();
  }

  setPlayLabel() {
    const playing = this.mode === "playing";
    this.play.textContent = playing ? "❚❚ Pause" : "▶ Play";
    this.play.setAttribute("aria-label", playing ? "Pause" : "Play the run");
    this.play.setAttribute("aria-pressed", playing ? "true" : "false");
  }

  stops() {
    if (!this._stops) this._stops = scrubSteps(Math.max(this.header.total, 1), this.scale);
    return this._stops;
  }

  // The scrubber reaches only steps already trained.
  maxPosition() {
    return positionOf(this.stops(), Math.max(this.last(), 0));
  }

  syncScrubber() {
    const end = this.maxPosition();
    this.scrub.max = String(Math.max(end, 1));
    this.scrub.setAttribute("aria-label", `step shown (${this.scale} scale in steps)`);
    this.scrub.value = String(positionOf(this.stops(), Math.max(this.shown, 0)));
  }

  // A run whose script stopped before its last block (Streamlit's Stop, a lost connection) says so.
  watchScript() {
    const app = document.querySelector("[data-testid='stApp']");
    if (!app) return;
    const training = () =>
      app.getAttribute("data-test-script-state") === "running" && app.getAttribute("data-test-connection-state") === "CONNECTED";
    const connected = () => app.getAttribute("data-test-connection-state") === "CONNECTED";
    let wasConnected = connected();
    this.observer = new MutationObserver(() => {
      // back from a lost connection (a restarted server, a network blip) with a run cut short: train again
      // (the new session has no run of its own yet, and would otherwise wait for the visitor's next input)
      if (connected() && !wasConnected && this.cutShort() && this.retry) this.retry("retry", Date.now());
      wasConnected = connected();
      clearTimeout(this.stopTimer);
      if (!training() && this.store && !this.store.done) {
        const run = this.runId;
        this.stopTimer = setTimeout(() => {
          if (this.runId === run && !this.store.done && !training()) {
            this.interrupted = app.getAttribute("data-test-connection-state") === "CONNECTED" ? "stopped" : "lost";
            this.drawStatus();
          }
        }, STOP_GRACE_MS);
      }
    });
    this.observer.observe(app, { attributes: true, attributeFilter: ["data-test-script-state", "data-test-connection-state"] });
  }

  // A run that did not finish: cut off while training, or ended by the training process going away.
  cutShort() {
    if (!this.store) return false;
    if (!this.store.done) return true;
    return this.store.status && this.store.status.kind === "error" && /training process/.test(this.store.status.text);
  }

  // ---- drawing ----

  readTheme() {
    const css = getComputedStyle(this.host instanceof ShadowRoot ? this.host.host : this.host);
    const get = (name, fallback) => (css.getPropertyValue(name) || "").trim() || fallback;
    const text = get("--st-text-color", "#31333F");
    const bg = get("--st-background-color", "#ffffff");
    const dark = luminance(bg) < 0.4;
    const theme = {
      text,
      muted: dark ? "#A3A8B8" : "#5E6472",
      grid: dark ? "rgba(250,250,250,0.12)" : "rgba(49,51,63,0.12)",
      font: get("--st-font", "sans-serif"),
      dark,
    };
    const changed = !this.theme || this.theme.text !== theme.text || this.theme.dark !== theme.dark;
    this.theme = theme;
    this.root.classList.toggle("gtl-dark", dark);
    if (changed) this.redrawAll();
  }

  // Everything drawn again at the step shown (a new theme, a new loss axis type).
  redrawAll() {
    const keep = this.shown;
    this.backgroundDrawn = false;
    this.ghostRows = -1;
    this.missed = {};
    this.shown = -2;
    if (keep >= -1 && this.mode !== "live") this.want = keep;
    this.kick();
  }

  layout(xTitle, yTitle, xRange, yRange, extra = {}) {
    const t = this.theme;
    const axis = (title, range) => ({
      title: { text: title, font: { color: t.muted, size: 12 }, standoff: 6 },
      range, autorange: false, tickfont: { color: t.muted, size: 11 }, gridcolor: t.grid, zerolinecolor: t.grid,
      linecolor: t.grid, automargin: true, fixedrange: true,
    });
    return {
      margin: { l: 8, r: 10, t: 6, b: 8 },
      height: this.plotHeight(),
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: t.text, family: t.font, size: 12 },
      showlegend: false,
      dragmode: false,
      hovermode: "closest",
      xaxis: { ...axis(xTitle, xRange), ...(extra.xaxis || {}) },
      yaxis: { ...axis(yTitle, yRange), ...(extra.yaxis || {}) },
    };
  }

  plotHeight() {
    return this.panels.fit.clientHeight || 300; // set by the stylesheet, smaller in a narrow chart
  }

  allPlots() {
    return [...Object.values(this.unders), ...Object.values(this.panels)];
  }

  stepAxis() {
    const end = Math.max(this.header.total - 1, 1);
    return { range: [0, end], tickformat: ",d", ...(end <= 10 ? { dtick: 1 } : {}) };
  }

  drawBackground() {
    const P = this.plotly;
    const h = this.header;
    const t = this.theme;
    const colors = this.colors();
    const xs = decode(h.points.x);
    const ys = decode(h.points.y);
    const [x0, x1] = h.x_range;
    const end = Math.max(h.total - 1, 1);
    const line = (w, color, dash, width, name) => ({
      type: "scatter", mode: "lines", x: [x0, x1], y: [w[0] * x0 + w[1], w[0] * x1 + w[1]],
      line: { color, dash, width }, hoverinfo: "skip", name,
    });
    const flat = (y, color, dash, name) => ({
      type: "scatter", mode: "lines", x: [0, end], y: [y, y], line: { color, dash, width: 1.5 }, hoverinfo: "skip", name,
    });
    const curve = (color, width, name, opacity = 1, dash = "solid") => ({
      type: "scatter", mode: "lines", x: [], y: [], line: { color, width, dash }, opacity, name,
      hovertemplate: "step %{x:,d}<br>%{y:.4g}<extra>" + name + "</extra>",
    });
    const marker = (color, name) => ({
      type: "scatter", mode: "markers", x: [], y: [], cliponaxis: false, name, hoverinfo: "skip",
      marker: { color, size: 10, line: { color: t.dark ? "#0E1117" : "#ffffff", width: 1.5 } },
    });
    const pinned = (name, width = 2) => PIN_COLORS.map((c, k) => ({ ...curve(c, width, `${name} #${k + 1}`, 0.85), hoverinfo: "skip" }));
    const big = xs.length > 2000;
    const [xLabel, yLabel] = h.labels || ["x", "y"];
    const logAxis = this.logY ? { type: "log", dtick: 1, exponentformat: "power" } : { type: "linear" };
    const startGap = Math.max(h.start_loss - h.loss_star, 1e-30);
    this.gapFloor = Math.max(1e-7 * Math.max(h.loss_star, 1e-30), startGap * 1e-14);
    const ws = [h.init[0], h.init[1], h.optimum[0], h.optimum[1], ...(h.true || [])];
    this.ranges = {
      fit: h.y_range,
      loss: this.lossRange(Math.min(h.loss_star, h.start_loss), h.start_loss),
      weights: padded(Math.min(...ws), Math.max(...ws)),
      gap: this.logRange(this.gapFloor, startGap),
      landscape: h.landscape.w1,
    };
    const L = h.landscape;
    const grid = (lo, hi) => Array.from({ length: L.size }, (_, k) => lo + ((hi - lo) * k) / (L.size - 1));
    const z = decode(L.log_gap);
    const rows = Array.from({ length: L.size }, (_, r) => Array.from(z.subarray(r * L.size, (r + 1) * L.size)));
    // per panel: the static traces (under), the moving ones (over), the axes
    this.scene = {
      fit: {
        under: [
          { type: big ? "scattergl" : "scatter", mode: "markers", x: Array.from(xs), y: Array.from(ys), name: "data",
            marker: { color: colors.data, size: xs.length <= 1000 ? 7 : 4, opacity: xs.length <= 1000 ? 0.75 : 0.4 },
            hoverinfo: "skip", cliponaxis: false },
          h.true ? line(h.true, colors.true, "dash", 2, "true line") : line([0, NaN], colors.true, "dash", 2, "true line"),
          line(h.optimum, colors.optimum, "dot", 2, "least squares"),
        ],
        over: [line(h.init, colors.fit, "solid", 4, "current fit")],
        axes: [xLabel, yLabel, h.x_range, {}],
      },
      landscape: {
        under: [
          { type: "contour", x: grid(...L.w0), y: grid(...L.w1), z: rows, ncontours: 14, showscale: false, hoverinfo: "skip",
            colorscale: t.dark ? [[0, "#1c3a63"], [1, "#0e1117"]] : [[0, "#a5c8f5"], [1, "#ffffff"]],
            contours: { coloring: "heatmap", showlines: true }, line: { color: t.grid, width: 1 }, name: "landscape" },
          { type: "scatter", mode: "markers", x: [h.optimum[0]], y: [h.optimum[1]], name: "optimum", hoverinfo: "skip",
            marker: { symbol: "x-thin", size: 14, line: { color: colors.optimum, width: 3 } } },
          { type: "scatter", mode: "markers", x: [h.init[0]], y: [h.init[1]], name: "start", hoverinfo: "skip",
            marker: { color: t.muted, size: 9 } },
          ...pinned("pinned path", 1.5),
        ],
        over: [{ ...curve(colors.fit, 2, "path"), hoverinfo: "skip" }, marker(colors.fit, "shown step")],
        axes: ["w0 (slope)", "w1 (intercept)", L.w0, {}],
      },
      loss: {
        under: [flat(this.lossY(h.loss_star), colors.optimum, "dash", "least-squares loss"), ...pinned("pinned loss")],
        over: [curve(colors.fit, 1.5, "loss (whole run)", 0.3), curve(colors.fit, 2.5, "loss"), marker(colors.fit, "shown step"),
               curve(colors.theory, 2, "held-out loss", 1, "dash")],
        axes: ["step", "loss (MSE)", this.stepAxis().range, { xaxis: this.stepAxis(), yaxis: logAxis }],
      },
      gap: {
        under: [...pinned("pinned gap"), curve(colors.theory, 2, "theory", 1, "dash")],
        over: [curve(colors.fit, 1.5, "gap (whole run)", 0.3), curve(colors.fit, 2.5, "gap"), marker(colors.fit, "shown step")],
        axes: ["step", "loss − least-squares loss", this.stepAxis().range,
               { xaxis: this.stepAxis(), yaxis: { type: "log", dtick: 2, exponentformat: "power" } }],
      },
      weights: {
        under: [
          h.true ? flat(h.true[0], colors.w0, "dash", "true w0") : flat(NaN, colors.w0, "dash", "true w0"),
          flat(h.optimum[0], colors.w0, "dot", "least-squares w0"),
          h.true ? flat(h.true[1], colors.w1, "dash", "true w1") : flat(NaN, colors.w1, "dash", "true w1"),
          flat(h.optimum[1], colors.w1, "dot", "least-squares w1"),
        ],
        over: [curve(colors.w0, 1.5, "w0 (whole run)", 0.3), curve(colors.w1, 1.5, "w1 (whole run)", 0.3),
               curve(colors.w0, 2.5, "w0"), curve(colors.w1, 2.5, "w1"),
               { ...marker(colors.w0, "shown step"), marker: { ...marker(colors.w0).marker, color: [colors.w0, colors.w1] } }],
        axes: ["step", "weight", this.stepAxis().range, { xaxis: this.stepAxis() }],
      },
    };
    const names = Object.keys(this.scene);
    if (this.backgroundKey === undefined) {
      // the page's first picture: one panel a frame, the data first, so it shows while the others are drawn
      // (nothing older is on screen yet to mix with; a later background is drawn whole, in one frame)
      this.drawPanel(names[0]);
      this.toDraw = names.slice(1);
    } else {
      names.forEach((name) => this.drawPanel(name));
      this.toDraw = [];
    }
    this.initialRanges = { ...this.ranges };
    this.backgroundKey = h.background;
    this.axesToReset = false;
    this.extrasFor = {}; // what each part drawn by drawExtras shows now
    this.note.textContent = h.points.shown < h.points.n
      ? `The data panel shows a random ${fmt.int(h.points.shown)} of the ${fmt.int(h.points.n)} points; training uses every one.`
      : "";
    this.backgroundDrawn = true;
  }

  // Both layers of a panel with the same axes and fixed margins (automargin would measure tick labels, which
  // only the lower layer shows, and the two would drift apart).
  panelLayout(name, visible) {
    const [xTitle, yTitle, xRange, extra] = this.scene[name].axes;
    const layout = this.layout(xTitle, yTitle, xRange, this.ranges[name], extra);
    layout.margin = { l: 64, r: 12, t: 8, b: 46 };
    for (const axis of ["xaxis", "yaxis"]) layout[axis] = { ...layout[axis], automargin: false, visible };
    if (!visible) layout.hovermode = false;
    return layout;
  }

  drawPanel(name) {
    const { under, over } = this.scene[name];
    this.plotly.react(this.unders[name], under, this.panelLayout(name, true), PLOT_CONFIG);
    this.plotly.react(this.panels[name], over, this.panelLayout(name, false), PLOT_CONFIG);
  }

  // The moving layer of a panel: every one of its traces, each time (see drawPanel).
  move(name, changes) {
    const over = this.scene[name].over;
    for (const [index, data] of Object.entries(changes)) Object.assign(over[index], data);
    const data = over.map((trace) => ({ x: trace.x, y: trace.y }));
    return this.plotly.animate(this.panels[name], { data, traces: over.map((_, k) => k) }, MOVE);
  }

  // A run that moves each frame (live or playing), as against one at rest (paused, done).
  moving() {
    return this.mode === "live" || this.mode === "playing";
  }

  // Panels back in sight (or a run come to rest) draw the frames they skipped: the step shown now.
  catchUp() {
    for (const [name, changes] of Object.entries(this.missed)) {
      if (this.moving() && !this.inSight.has(name)) continue;
      delete this.missed[name];
      this.move(name, changes);
    }
  }

  // New y ranges for both layers of a panel.
  setRange(name, range) {
    this.ranges[name] = range;
    const update = { "yaxis.range": range };
    return Promise.all([this.plotly.relayout(this.unders[name], update), this.plotly.relayout(this.panels[name], update)]);
  }

  // What belongs to the run and the visitor's pins rather than to the data: theory's predicted gap, the
  // captions, the pinned runs' curves and paths. Drawn when either changes, not every frame.
  drawExtras() {
    const h = this.header;
    const pins = (G.pins || []).slice(0, MAX_PINS);
    // what each part shows: the pins (the loss, landscape and gap layers, on this background), theory's
    // predicted gap (this run) and the captions (this run)
    const pinned = G.pinsVersion || 0;
    const onData = `${h.background}|${pinned}`;
    const want = { loss: onData, landscape: onData, gap: onData, theory: h.run, captions: h.run };
    const changed = Object.keys(want).filter((part) => this.extrasFor[part] !== want[part]);
    if (!changed.length) return;
    this.extrasFor = want;
    for (const [name, text] of Object.entries(h.captions || {})) if (this.captions[name]) this.captions[name].textContent = text;
    const series = pins.map((p) => ({ steps: Array.from(decode(p.steps)), loss: Array.from(decode(p.loss)),
      w0: Array.from(decode(p.w0)), w1: Array.from(decode(p.w1)), same: p.background === h.background, label: p.label }));
    const empty = { x: [], y: [] };
    const slot = (k, make) => (k < series.length ? make(series[k]) : empty);
    const sc = this.scene;
    for (let k = 0; k < MAX_PINS; k++) {
      Object.assign(sc.loss.under[1 + k], slot(k, (p) => ({ x: p.steps, y: p.loss.map((v) => this.lossY(v)) })));
      Object.assign(sc.landscape.under[3 + k], slot(k, (p) => (p.same ? { x: [h.init[0], ...p.w0], y: [h.init[1], ...p.w1] } : empty)));
      Object.assign(sc.gap.under[k], slot(k, (p) => (p.same ? { x: p.steps, y: p.loss.map((v) => Math.max(v - h.loss_star, this.gapFloor)) } : empty)));
    }
    const predicted = h.predicted ? decode(h.predicted) : null;
    const steps = predicted ? this.curveIdx.filter((k) => k < predicted.length) : [];
    Object.assign(sc.gap.under[MAX_PINS], { x: steps, y: steps.map((k) => Math.max(predicted[k], this.gapFloor)) });
    for (const name of changed.filter((part) => part in this.unders)) {
      this.plotly.react(this.unders[name], sc[name].under, this.panelLayout(name, true), PLOT_CONFIG);
    }
    if (changed.includes("theory") && !changed.includes("gap")) {
      // a new run on the same axes: only the theory curve moves (a whole redraw of the layer takes ~20 ms)
      const theory = sc.gap.under[MAX_PINS];
      this.plotly.animate(this.unders.gap, { data: [{ x: theory.x, y: theory.y }], traces: [MAX_PINS] }, MOVE);
    }
    this.legends.loss.querySelectorAll(".gtl-pin, .gtl-held").forEach((e) => e.remove());
    if (h.held_out) {
      const item = key("dash", "held-out loss", "var(--gtl-theory)");
      item.classList.add("gtl-held");
      this.legends.loss.append(item);
    }
    series.forEach((p, k) => {
      const item = key("line", p.label + (p.same ? "" : " (other data)"), PIN_COLORS[k]);
      item.classList.add("gtl-pin");
      this.legends.loss.append(item);
    });
    this.root.dataset.pins = String(series.length);
  }

  logRange(lo, hi) {
    const a = Math.log10(Math.max(lo, MIN_LOG));
    const b = Math.log10(Math.max(hi, MIN_LOG));
    const pad = 0.06 * Math.max(b - a, 1);
    return [a - pad, b + pad];
  }

  // A new run on the drawn background: axes that the last run widened (a diverging run) shrink back.
  resetAxes() {
    this.axesToReset = false;
    for (const name of ["loss", "weights", "gap"]) {
      if (this.ranges[name] !== this.initialRanges[name]) this.setRange(name, this.initialRanges[name]);
    }
  }

  colors() {
    const css = getComputedStyle(this.root);
    const v = (name) => css.getPropertyValue(name).trim();
    return { data: v("--gtl-data"), true: v("--gtl-true"), optimum: v("--gtl-optimum"), fit: v("--gtl-fit"), w0: v("--gtl-w0"),
      w1: v("--gtl-w1"), theory: v("--gtl-theory") };
  }

  lossY(v) {
    return this.logY ? Math.max(v, MIN_LOG) : v;
  }

  lossRange(lo, hi) {
    if (this.logY) {
      const a = Math.log10(Math.max(lo, MIN_LOG));
      const b = Math.log10(Math.max(hi, MIN_LOG));
      const pad = 0.06 * Math.max(b - a, 1);
      return [a - pad, b + pad];
    }
    return [0, hi > 0 ? hi * 1.06 : 1];
  }

  covers(range, lo, hi, log) {
    if (log) return Math.log10(Math.max(lo, MIN_LOG)) >= range[0] && Math.log10(Math.max(hi, MIN_LOG)) <= range[1];
    return lo >= range[0] && hi <= range[1];
  }

  // Draw record i (-1: the starting line, before any update) and the whole run so far, faintly.
  draw(i, now) {
    const h = this.header;
    const s = this.store;
    const steps = [];
    for (const k of this.curveIdx) {
      if (k > i) break;
      steps.push(k);
    }
    if (i >= 0 && steps[steps.length - 1] !== i) steps.push(i);
    const col = (c, idx) => idx.map((k) => s.get(c, k));
    const w0 = i >= 0 ? s.get("w0", i) : h.init[0];
    const w1 = i >= 0 ? s.get("w1", i) : h.init[1];
    const [x0, x1] = h.x_range;
    const losses = col("loss", steps);
    const gap = (v) => Math.max(v - h.loss_star, this.gapFloor);
    const at = (v) => (i >= 0 ? { x: [i], y: [v] } : { x: [], y: [] });
    const loss = { 1: { x: steps, y: losses.map((v) => this.lossY(v)) }, 2: at(i >= 0 ? this.lossY(s.get("loss", i)) : 0) };
    if (h.held_out && s.columns && s.columns.includes("test_loss")) {
      loss[3] = { x: steps, y: col("test_loss", steps).map((v) => this.lossY(v)) };
    }
    const gaps = { 1: { x: steps, y: losses.map(gap) }, 2: at(i >= 0 ? gap(s.get("loss", i)) : 0) };
    const weights = {
      2: { x: steps, y: col("w0", steps) }, 3: { x: steps, y: col("w1", steps) },
      4: i >= 0 ? { x: [i, i], y: [w0, w1] } : { x: [], y: [] },
    };
    let wide = null;
    if (this.ghostRows !== s.rows) { // the whole run so far, faintly: only when records have arrived
      const ghost = this.curveIdx.filter((k) => k < s.rows);
      if (s.rows > 0 && ghost[ghost.length - 1] !== s.rows - 1) ghost.push(s.rows - 1);
      const all = col("loss", ghost);
      loss[0] = { x: ghost, y: all.map((v) => this.lossY(v)) };
      gaps[0] = { x: ghost, y: all.map(gap) };
      weights[0] = { x: ghost, y: col("w0", ghost) };
      weights[1] = { x: ghost, y: col("w1", ghost) };
      this.ghostRows = s.rows;
      wide = this.widenAxes(all, col("w0", ghost).concat(col("w1", ghost)));
    }
    const moves = {
      fit: { 0: { x: [x0, x1], y: [w0 * x0 + w1, w0 * x1 + w1] } },
      landscape: { 0: { x: [h.init[0], ...col("w0", steps)], y: [h.init[1], ...col("w1", steps)] }, 1: { x: [w0], y: [w1] } },
      loss, gap: gaps, weights,
    };
    // an axis that no longer holds a curve (a diverging run) is widened first, then the curve drawn
    for (const [name, changes] of Object.entries(moves)) {
      const range = wide && wide[name];
      if (this.moving() && !this.inSight.has(name)) {
        // out of sight: keep the latest of each trace for when it comes back; axes change at once
        this.missed[name] = Object.assign(this.missed[name] || {}, changes);
        if (range) this.setRange(name, range);
        continue;
      }
      const all = Object.assign(this.missed[name] || {}, changes);
      delete this.missed[name];
      if (range) this.setRange(name, range).then(() => this.move(name, all));
      else this.move(name, all);
    }

    if (this.shown < 0 && i >= 0) trace("first-step", this.runId, i);
    this.shown = i;
    this.lastPaint = now;
    this.root.dataset.step = i >= 0 ? String(i) : "start";
    this.root.dataset.paints = String(+this.root.dataset.paints + 1);
    this.drawText(i, w0, w1);
    if (this.mode !== "paused") this.syncScrubber();
  }

  // Wider y ranges for the panels whose values no longer fit (absent where nothing changes).
  widenAxes(losses, weights) {
    const wide = {};
    if (losses.length) {
      const lo = Math.min(this.header.loss_star, ...losses);
      const hi = Math.max(this.header.start_loss, ...losses);
      if (!this.covers(this.ranges.loss, lo, hi, this.logY)) wide.loss = this.lossRange(lo, hi);
      const most = hi - this.header.loss_star;
      if (Math.log10(Math.max(most, MIN_LOG)) > this.ranges.gap[1]) wide.gap = this.logRange(this.gapFloor, most);
    }
    if (weights.length) {
      const lo = Math.min(...weights);
      const hi = Math.max(...weights);
      const [a, b] = this.ranges.weights;
      if (lo < a || hi > b) wide.weights = padded(Math.min(lo, a), Math.max(hi, b));
    }
    return wide;
  }

  drawText(i, w0, w1) {
    const h = this.header;
    const s = this.store;
    const last = h.total - 1;
    const loss = i >= 0 ? s.get("loss", i) : h.start_loss;
    const of = last > 0 ? ` of ${fmt.int(last)}` : " (the only update)";
    this.title.textContent = i >= 0
      ? `Step ${fmt.int(i)}${of} · loss ${fmt.loss(loss)} · w0 ${fmt.w(w0)} · w1 ${fmt.w(w1)}`
      : `Start · loss ${fmt.loss(loss)} · w0 ${fmt.w(w0)} · w1 ${fmt.w(w1)}`;
    const truth = (k) => (h.true ? fmt.w(h.true[k]) : "—");
    const rows = [
      ["w0", fmt.w(w0), truth(0), fmt.w(h.optimum[0]), gapText(w0, h.optimum[0])],
      ["w1", fmt.w(w1), truth(1), fmt.w(h.optimum[1]), gapText(w1, h.optimum[1])],
      ["loss", fmt.long(loss), "—", fmt.long(h.loss_star), gapText(loss, h.loss_star)],
    ];
    const head = ["", i >= 0 ? `step ${fmt.int(i)}` : "start", "true", "least squares", "gap"];
    this.numbers.replaceChildren(
      el("thead", {}, el("tr", {}, ...head.map((c) => el("th", { scope: "col", text: c })))),
      el("tbody", {}, ...rows.map((r) => el("tr", { "data-row": r[0] }, el("th", { scope: "row", text: r[0] }), ...r.slice(1).map((c) => el("td", { text: c }))))),
    );
    const last_ = this.last();
    this.scrub.setAttribute("aria-valuetext", i >= 0 ? `step ${fmt.int(i)} of ${fmt.int(Math.max(last_, 0))}` : "start");
  }

  drawStatus() {
    const h = this.header;
    const s = this.store;
    if (!h || !s) return;
    let kind = "info";
    let text;
    if (s.done && s.status) {
      ({ kind, text } = s.status);
    } else if (this.interrupted) {
      kind = "warning";
      const why = this.interrupted === "lost"
        ? "the connection to the server was lost; the page reconnects by itself"
        : "the run was stopped; press Run again to train it";
      text = `Stopped at step ${fmt.int(Math.max(s.rows - 1, 0))} of ${fmt.int(h.total - 1)}: ${why}.`;
    } else if (h.warning) {
      ({ kind, text } = h.warning);
    } else if (s.rows === 0 && h.waiting) {
      text = h.waiting;
    } else {
      text = `Training: ${fmt.int(s.rows)} of ${fmt.int(h.total)} updates done.`;
    }
    if (this.status.textContent !== text) this.status.textContent = text;
    this.status.dataset.kind = kind;
    const state = this.interrupted && !s.done ? "stopped" : this.mode;
    this.root.dataset.state = state;
    const canPlay = s.rows > 0;
    this.play.disabled = !canPlay;
    this.scrub.disabled = !canPlay;
  }

  fail(error) {
    this.status.textContent = `The chart could not load Plotly (${error && error.message ? error.message : error}). Reload the page.`;
    this.status.dataset.kind = "error";
  }
}

function padded(lo, hi) {
  const span = hi - lo;
  if (!(span > 1e-9)) return [lo - 1, hi + 1];
  return [lo - 0.08 * span, hi + 0.08 * span];
}

function luminance(color) {
  const m = color.match(/\d+(\.\d+)?/g);
  if (color.startsWith("#")) {
    const hex = color.length === 4 ? color.slice(1).split("").map((c) => c + c).join("") : color.slice(1, 7);
    const [r, g, b] = [0, 2, 4].map((k) => parseInt(hex.slice(k, k + 2), 16) / 255);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  if (m && m.length >= 3) return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255;
  return 1;
}

// Carriers (run_feed in run_view.py) queue their messages on window.__gtlInbox and call
// window.__gtlDeliver once this module has loaded.
const BACKGROUNDS_KEPT = 4;
function deliver() {
  const inbox = window.__gtlInbox || [];
  while (inbox.length) {
    const message = inbox.shift();
    trace(message.kind, message.run || message.key, message.first);
    if (message.kind === "background") {
      G.backgrounds.delete(message.key); // re-inserted last: the newest are kept
      G.backgrounds.set(message.key, message);
      while (G.backgrounds.size > BACKGROUNDS_KEPT) G.backgrounds.delete(G.backgrounds.keys().next().value);
    } else if (message.kind === "pins") {
      G.pins = message.pins;
      G.pinsVersion = (G.pinsVersion || 0) + 1;
    } else if (message.kind === "header") {
      G.header = message;
      const s = store(message.run, message.total);
      s.total = message.total;
      s.shape(message.total, message.columns);
      if (message.records) s.add(message.records);
      if (message.status) s.end(message.status);
    } else {
      const s = store(message.run);
      if (message.rows) s.add(message);
      if (message.done) s.end(message.status);
    }
    for (const view of G.views) view.onMessage(message);
  }
}
window.__gtlDeliver = deliver;

export default function ({ parentElement, setTriggerValue }) {
  let view = parentElement.__gtlView;
  if (!view || view.dead) {
    view = new RunView(parentElement);
    parentElement.__gtlView = view;
  }
  view.retry = setTriggerValue;
  deliver(); // messages that arrived before this module loaded
  view.follow();
  return () => view.destroy();
}
