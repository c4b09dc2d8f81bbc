// The rate strip: the learning rate's range (log scale), coloured by what full-batch descent does at each rate
// on this bowl, from its two eigenvalues: every step shrinks the offset without changing its sign (monotone),
// some direction swings to and fro but shrinks (oscillating), or some direction grows (diverging); the
// fastest rate (smallest spectral radius) is marked. Drag along it (or arrow keys) to preview that rate's
// path; release (or Enter) commits the rate to the page, through the component API.

import { el } from "./dom.js";
import { pressToChoose } from "./press.js";
import { fill, fmt } from "./numbers.js";

const CELLS = 240;
export const REGIMES = ["monotone", "oscillating", "diverging"];

// The bowl's eigenvalues from its moments: the Hessian 2·[[E x², mean_x], [mean_x, 1]].
export function eigenvalues(m) {
  const a = 2 * (m.var_x + m.mean_x * m.mean_x);
  const c = 2;
  const b = 2 * m.mean_x;
  const mid = (a + c) / 2;
  const half = Math.sqrt(((a - c) / 2) ** 2 + b * b);
  return [Math.max(mid - half, 0), mid + half];
}

// The roots of the recurrence along an eigenvector with lr·λ = a (optimizers.py: `characteristic`), as
// [largest modulus, all real and non-negative].
function roots(rule, beta, a) {
  if (rule === "gd") return [Math.abs(1 - a), 1 - a >= 0];
  const [b, c] = rule === "momentum" ? [-(1 + beta - a), beta] : [-(1 + beta) * (1 - a), beta * (1 - a)];
  const disc = b * b - 4 * c;
  if (disc < 0) return [Math.sqrt(c), false];
  const r1 = (-b + Math.sqrt(disc)) / 2;
  const r2 = (-b - Math.sqrt(disc)) / 2;
  return [Math.max(Math.abs(r1), Math.abs(r2)), r1 >= 0 && r2 >= 0];
}

// What descent does at rate `lr`: { regime, radius } (radius: the slowest direction's factor per step).
export function regime(exact, lambdas, lr) {
  const beta = exact.rule === "gd" ? 0 : exact.beta;
  let radius = 0;
  let monotone = true;
  for (const lam of lambdas) {
    const [r, real] = roots(exact.rule, beta, lr * lam);
    radius = Math.max(radius, r);
    monotone = monotone && real;
  }
  return { regime: radius >= 1 ? "diverging" : monotone ? "monotone" : "oscillating", radius };
}

// The rate where the regime changes between lo and hi (bisection on the log scale).
function boundary(exact, lambdas, lo, hi) {
  const at = regime(exact, lambdas, lo).regime;
  for (let k = 0; k < 50; k++) {
    const mid = Math.sqrt(lo * hi);
    if (regime(exact, lambdas, mid).regime === at) lo = mid;
    else hi = mid;
  }
  return Math.sqrt(lo * hi);
}

// The strip's cells, the rates where the regime changes, and the fastest rate, over [lo, hi].
export function survey(exact, moments, [lo, hi]) {
  const lambdas = eigenvalues(moments).filter((lam) => lam > 0);
  const rate = (u) => lo * Math.pow(hi / lo, u);
  const cells = [];
  const changes = [];
  let fastest = null;
  for (let k = 0; k < CELLS; k++) {
    const lr = rate((k + 0.5) / CELLS);
    const r = regime(exact, lambdas, lr);
    if (cells.length && cells[cells.length - 1] !== r.regime) {
      changes.push({ at: boundary(exact, lambdas, rate((k - 0.5) / CELLS), lr), to: r.regime });
    }
    cells.push(r.regime);
    if (r.regime !== "diverging" && (!fastest || r.radius < fastest.radius)) fastest = { lr, radius: r.radius };
  }
  return { cells, changes, fastest: fastest && fastest.lr };
}

export class RateStrip {
  // view: the RunView; preview: the StartDrag that draws predicted paths
  constructor(view, preview) {
    this.view = view;
    this.preview = preview;
    this.canvas = el("canvas", { class: "gtl-strip-bar", height: "18" });
    this.root = el("div", { class: "gtl-strip", tabindex: "0", role: "group" }, this.canvas);
    this.note = el("span", { class: "gtl-strip-note" });
    this.root.append(this.note);
    this.lr = null; // the rate being previewed
    pressToChoose(this.root, { ready: () => !!this.map, at: (e) => this.rateAt(e), choose: (v) => this.choose(v),
      commit: () => this.commit(), cancel: () => this.cancel() });
    this.root.addEventListener("keydown", (e) => this.key(e));
  }

  // A new run: its strip (hidden when the run has no exact path, its header says why elsewhere).
  show(h) {
    this.header = h;
    this.lr = null;
    const exact = h.exact;
    this.root.hidden = !exact;
    this.root.setAttribute("aria-label", this.view.words.rate_strip || "learning rates");
    if (!exact) return;
    this.map = survey(exact, h.landscape.moments, h.lr_grid);
    const d = this.root.dataset;
    d.changes = JSON.stringify(this.map.changes);
    d.fastest = String(this.map.fastest);
    this.paint();
  }

  paint() {
    if (!this.map) return;
    const css = getComputedStyle(this.view.root);
    const colors = { monotone: css.getPropertyValue("--gtl-true"), oscillating: "#d9a400", diverging: "#e03131" };
    const w = Math.max(this.canvas.clientWidth, 100);
    this.canvas.width = w;
    const g = this.canvas.getContext("2d");
    const cells = this.map.cells;
    cells.forEach((r, k) => {
      g.fillStyle = colors[r];
      g.fillRect((k * w) / cells.length, 0, w / cells.length + 1, 18);
    });
    const mark = (lr, color, width) => {
      g.fillStyle = color;
      g.fillRect(this.place(lr) * w - width / 2, 0, width, 18);
    };
    if (this.map.fastest) mark(this.map.fastest, "#000", 2);
    mark(this.lr ?? this.header.lr, css.getPropertyValue("--gtl-fit") || "#e8590c", 4);
    const numbers = { lr: fmt.loss(this.lr ?? this.header.lr), fastest: this.map.fastest ? fmt.loss(this.map.fastest) : "—" };
    this.note.textContent = fill(this.view.words.rate_strip_note || "", numbers);
  }

  place(lr) {
    const [lo, hi] = this.header.lr_grid;
    return Math.log(lr / lo) / Math.log(hi / lo);
  }

  rateAt(e) {
    const box = this.canvas.getBoundingClientRect();
    const u = Math.min(Math.max((e.clientX - box.left) / box.width, 0), 1);
    const [lo, hi] = this.header.lr_grid;
    return +(lo * Math.pow(hi / lo, u)).toPrecision(3);
  }


  cancel() {
    this.lr = null;
    this.preview.clear();
    this.paint();
  }

  key(e) {
    if (!this.map) return;
    const [lo, hi] = this.header.lr_grid;
    const factor = Math.pow(hi / lo, 1 / 120);
    const dir = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 }[e.key];
    if (dir) {
      e.preventDefault();
      const next = (this.lr ?? this.header.lr) * Math.pow(factor, dir);
      this.choose(+Math.min(Math.max(next, lo), hi).toPrecision(3));
    } else if ((e.key === "Enter" || e.key === " ") && this.lr !== null) {
      e.preventDefault();
      this.commit();
    } else if (e.key === "Escape") {
      this.cancel();
    }
  }

  choose(lr) {
    this.lr = lr;
    this.root.dataset.lr = String(lr);
    this.preview.setRate(lr);
    this.paint();
  }

  commit() {
    if (this.lr === null) return;
    this.preview.committed = true;
    this.view.trigger("lr", this.lr);
  }
}
