// The start point, moved on the landscape: press on the bowl and drag (mouse, pen or touch), or focus the
// landscape and use the arrow keys. While it moves, the exact full-batch path from there is drawn dashed and
// called "predicted" (js/physics.js; never for mini-batches or adaptive rules: the header says why). On
// release (or Enter) the start goes to the page through the component API, which sets the starting weights
// and trains from there; the trained run replaces the prediction as soon as its header arrives.

import { fill, fmt } from "./numbers.js";
import { path, toData } from "./physics.js";
import { Sketch } from "./sketch.js";

// The landscape's layout margins (layers.js): where the plot area sits inside its element.
const MARGIN = { l: 64, r: 12, t: 8, b: 46 };

export class StartDrag {
  // view: the RunView; stack: the landscape's element holding its two plots
  constructor(view, stack) {
    this.view = view;
    this.stack = stack;
    this.start = null; // [w0, w1] in x's own units while a new start is chosen, else null
    this.rate = null; // a learning rate being chosen on the rate strip (js/ratestrip.js), else null
    this.pointer = null;
    // the previews, drawn at once in SVG above the landscape's and the loss panel's plots (js/sketch.js)
    this.sketches = { landscape: new Sketch(stack, view.panels.landscape.over), loss: new Sketch(view.panels.loss.over.parentElement, view.panels.loss.over) };
    stack.tabIndex = 0;
    stack.classList.add("gtl-draggable");
    stack.setAttribute("aria-label", view.words.start_handle || "start point");
    stack.addEventListener("pointerdown", (e) => this.down(e));
    stack.addEventListener("pointermove", (e) => this.move(e));
    stack.addEventListener("pointerup", (e) => this.up(e));
    stack.addEventListener("pointercancel", () => this.cancel());
    stack.addEventListener("keydown", (e) => this.key(e));
  }

  // The landscape's coordinates under a pointer event, or null outside its plot area.
  at(e) {
    const h = this.view.header;
    if (!h) return null;
    const box = this.stack.getBoundingClientRect();
    const px = (e.clientX - box.left - MARGIN.l) / (box.width - MARGIN.l - MARGIN.r);
    const py = (e.clientY - box.top - MARGIN.t) / (box.height - MARGIN.t - MARGIN.b);
    if (px < 0 || px > 1 || py < 0 || py > 1) return null;
    const [x0, x1] = h.landscape.w0;
    const [y0, y1] = this.view.ranges.landscape;
    return [x0 + px * (x1 - x0), y1 - py * (y1 - y0)];
  }

  // A point of the landscape as starting weights in x's own units, on the settings' grid.
  snap(v) {
    const [lo, hi, step] = this.view.header.start_grid;
    const w = toData(this.view.header.landscape, v[0], v[1]);
    return w.map((x) => Math.min(Math.max(Math.round(x / step) * step, lo), hi)).map((x) => +x.toFixed(6));
  }

  down(e) {
    if (e.button !== 0 || !this.view.plotly || !this.view.backgroundDrawn) return;
    const v = this.at(e);
    if (!v) return;
    e.preventDefault();
    this.stack.setPointerCapture(e.pointerId);
    this.pointer = e.pointerId;
    this.set(this.snap(v));
  }

  move(e) {
    if (e.pointerId !== this.pointer) return;
    const v = this.at(e);
    if (v) this.set(this.snap(v));
  }

  up(e) {
    if (e.pointerId !== this.pointer) return;
    this.pointer = null;
    this.commit();
  }

  cancel() {
    this.pointer = null;
    this.clear();
  }

  key(e) {
    const h = this.view.header;
    if (!h || !this.view.backgroundDrawn) return;
    const step = h.start_grid[2];
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowDown: [0, -step], ArrowUp: [0, step] };
    if (moves[e.key]) {
      e.preventDefault();
      const [w0, w1] = this.start || h.init;
      const [lo, hi] = h.start_grid;
      const next = [w0 + moves[e.key][0], w1 + moves[e.key][1]].map((x) => +Math.min(Math.max(x, lo), hi).toFixed(6));
      this.set(next);
    } else if ((e.key === "Enter" || e.key === " ") && this.start) {
      e.preventDefault();
      this.commit();
    } else if (e.key === "Escape") {
      this.clear();
    }
  }

  // A new start chosen (x's own units): its predicted path drawn at once (a pointer move comes once a frame).
  set(start) {
    this.start = start;
    this.draw();
  }

  // A new rate chosen on the rate strip (and a momentum β on the rate map): the path from the run's start.
  setRate(lr, beta = null) {
    this.rate = lr;
    this.beta = beta;
    this.draw();
  }

  draw() {
    const view = this.view;
    const h = view.header;
    if ((!this.start && this.rate === null) || !h || !view.c) return;
    const L = h.landscape;
    const c = view.c;
    const start = this.start || h.init;
    const lr = this.rate ?? h.lr;
    const [sx, sy] = c.land(start[0], start[1]);
    const beta = this.rate !== null && this.beta !== null && this.beta !== undefined ? this.beta : null;
    const words = { w0: fmt.w(start[0]), w1: fmt.w(start[1]), lr: fmt.loss(lr), beta: beta === null ? "" : beta.toFixed(2) };
    let predicted = { x: [], y: [] };
    let loss = { x: [], y: [], customdata: [] };
    if (h.exact) {
      const p = path(L.moments, beta === null ? h.exact : { ...h.exact, beta }, [sx, sy], lr, h.total);
      const steps = h.steps.curve.filter((k) => k < p.w0.length);
      predicted = { x: [sx, ...steps.map((k) => p.w0[k])], y: [sy, ...steps.map((k) => p.w1[k])] };
      loss = { x: steps.map(c.sx), y: steps.map((k) => c.lossY(p.loss[k])), customdata: steps };
      const said = this.start ? view.words.predicted : beta === null ? view.words.predicted_rate : view.words.predicted_pair;
      view.previewNote.textContent = fill(said, words);
    } else {
      view.previewNote.textContent = h.no_preview || "";
    }
    const color = c.colors.theory;
    this.sketches.landscape.draw({ "predicted path": { ...predicted, color, dash: "dash" }, "new start": { x: [sx], y: [sy], color, marker: 12, width: 2.5 } });
    this.sketches.loss.draw({ "predicted loss": { ...loss, color, dash: "dash" } });
    view.root.dataset.preview = h.exact ? "path" : "none";
    view.root.dataset.previews = String(+(view.root.dataset.previews || 0) + 1);
  }

  commit() {
    if (!this.start) return;
    this.committed = this.start;
    this.view.trigger("start", this.start);
  }

  // A header arrived: once a start was dropped, the page has answered it.
  heard() {
    if (this.committed) this.clear();
  }

  // The prediction gone (a new run arrived, or Escape): the trained run has the last word.
  clear() {
    const view = this.view;
    this.start = null;
    this.rate = null;
    this.beta = null;
    this.committed = null;
    view.previewNote.textContent = "";
    if (view.root.dataset.preview === undefined) return;
    delete view.root.dataset.preview;
    this.sketches.landscape.clear();
    this.sketches.loss.clear();
  }
}
