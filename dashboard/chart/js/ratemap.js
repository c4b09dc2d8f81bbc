// The rate × momentum map, for heavy-ball and Nesterov runs: the learning rate (log scale, across) against the
// momentum β (up), each cell coloured by what full-batch descent does there on this bowl (ratestrip.js's
// regimes: monotone, oscillating, diverging), darker where it converges faster; the fastest pair is marked with
// a cross and the run's own with a ring. Press and drag on it (or arrow keys: ←/→ the rate, ↑/↓ β) to preview
// that pair's exact path; release (or Enter) sets both on the page, through the component API.

import { el } from "./dom.js";
import { pressToChoose } from "./press.js";
import { fill, fmt } from "./numbers.js";
import { eigenvalues, regime } from "./ratestrip.js";

const COLS = 120;
const ROWS = 50;
const HEIGHT = 120;
const RULES = new Set(["momentum", "nesterov"]);

// Every cell's regime and radius, and the fastest converging pair, over the rates [lo, hi] and β [blo, bhi].
export function surveyMap(exact, moments, [lo, hi], [blo, bhi]) {
  const lambdas = eigenvalues(moments).filter((lam) => lam > 0);
  const cells = [];
  let fastest = null;
  for (let r = 0; r < ROWS; r++) {
    const beta = blo + ((r + 0.5) / ROWS) * (bhi - blo);
    for (let c = 0; c < COLS; c++) {
      const lr = lo * Math.pow(hi / lo, (c + 0.5) / COLS);
      const at = regime({ rule: exact.rule, beta }, lambdas, lr);
      cells.push(at);
      if (at.regime !== "diverging" && (!fastest || at.radius < fastest.radius)) fastest = { lr, beta, radius: at.radius };
    }
  }
  return { cells, fastest };
}

export class RateMap {
  // view: the RunView; preview: the StartDrag that draws predicted paths
  constructor(view, preview) {
    this.view = view;
    this.preview = preview;
    this.canvas = el("canvas", { class: "gtl-map-canvas", height: String(HEIGHT) });
    this.note = el("span", { class: "gtl-strip-note" });
    this.root = el("div", { class: "gtl-map", tabindex: "0", role: "group" }, this.canvas, this.note);
    this.root.hidden = true;
    this.pick = null; // [lr, beta] being previewed
    pressToChoose(this.root, { ready: () => !!this.map, at: (e) => this.pairAt(e), choose: (v) => this.choose(v),
      commit: () => this.commit(), cancel: () => this.cancel() });
    this.root.addEventListener("keydown", (e) => this.key(e));
  }

  // A new run: its map, for the momentum rules with an exact path (hidden otherwise).
  show(h) {
    this.header = h;
    this.pick = null;
    const exact = h.exact;
    this.root.hidden = !(exact && RULES.has(exact.rule) && h.momentum_grid);
    this.root.setAttribute("aria-label", this.view.words.rate_map || "learning rate and momentum");
    if (this.root.hidden) return;
    this.map = surveyMap(exact, h.landscape.moments, h.lr_grid, h.momentum_grid);
    this.lambdas = eigenvalues(h.landscape.moments).filter((lam) => lam > 0);
    this.root.dataset.fastest = JSON.stringify(this.map.fastest && [this.map.fastest.lr, this.map.fastest.beta]);
    this.paint();
  }

  own() {
    return [this.header.lr, this.header.exact.beta];
  }

  paint() {
    if (!this.map || this.root.hidden) return;
    const css = getComputedStyle(this.view.root);
    const colors = { monotone: css.getPropertyValue("--gtl-true") || "#2f9e44", oscillating: "#d9a400", diverging: "#e03131" };
    const w = Math.max(this.canvas.clientWidth, 100);
    this.canvas.width = w;
    const g = this.canvas.getContext("2d");
    const cw = w / COLS;
    const ch = HEIGHT / ROWS;
    // shade by speed: the steps it takes to shrink the offset e-fold, against the fastest pair's
    const best = this.map.fastest ? -Math.log(Math.max(this.map.fastest.radius, 1e-12)) : 1;
    this.map.cells.forEach((at, k) => {
      const c = k % COLS;
      const r = Math.floor(k / COLS);
      g.globalAlpha = 1;
      g.fillStyle = colors[at.regime];
      g.fillRect(c * cw, HEIGHT - (r + 1) * ch, cw + 1, ch + 1);
      if (at.regime !== "diverging") { // darker where each step shrinks the offset more
        g.globalAlpha = 0.6 * Math.min(-Math.log(Math.max(at.radius, 1e-12)) / best, 1);
        g.fillStyle = "#000";
        g.fillRect(c * cw, HEIGHT - (r + 1) * ch, cw + 1, ch + 1);
      }
    });
    g.globalAlpha = 1;
    const [lo, hi] = this.header.lr_grid;
    const [blo, bhi] = this.header.momentum_grid;
    g.fillStyle = "#fff";
    g.font = "11px sans-serif";
    g.textBaseline = "top";
    g.fillText(`β ${bhi}`, 4, 3);
    g.textBaseline = "bottom";
    g.fillText(`β ${blo} · rate ${fmt.loss(lo)}`, 4, HEIGHT - 3);
    g.textAlign = "right";
    g.fillText(`rate ${fmt.loss(hi)}`, w - 4, HEIGHT - 3);
    g.textAlign = "left";
    const f = this.map.fastest;
    if (f) {
      const [x, y] = this.place(f.lr, f.beta, w);
      g.strokeStyle = "#fff";
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(x - 5, y - 5); g.lineTo(x + 5, y + 5); g.moveTo(x + 5, y - 5); g.lineTo(x - 5, y + 5); // prettier-ignore
      g.stroke();
    }
    const [lr, beta] = this.pick || this.own();
    const [x, y] = this.place(lr, beta, w);
    g.strokeStyle = css.getPropertyValue("--gtl-fit") || "#e8590c";
    g.lineWidth = 3;
    g.beginPath();
    g.arc(x, y, 6, 0, 2 * Math.PI);
    g.stroke();
    const numbers = { lr: fmt.loss(lr), beta: beta.toFixed(2), fastest_lr: f ? fmt.loss(f.lr) : "—", fastest_beta: f ? f.beta.toFixed(2) : "—" };
    this.note.textContent = fill(this.view.words.rate_map_note || "", numbers);
    this.root.dataset.pick = JSON.stringify([lr, beta]);
    this.root.dataset.regime = regime({ rule: this.header.exact.rule, beta }, this.lambdas, lr).regime;
  }

  // Canvas pixels of a pair.
  place(lr, beta, w) {
    const [lo, hi] = this.header.lr_grid;
    const [blo, bhi] = this.header.momentum_grid;
    return [(Math.log(lr / lo) / Math.log(hi / lo)) * w, HEIGHT - ((beta - blo) / (bhi - blo)) * HEIGHT];
  }

  // The pair under the pointer, on the controls' own steps (3 significant digits of rate, β's step).
  pairAt(e) {
    const box = this.canvas.getBoundingClientRect();
    const u = Math.min(Math.max((e.clientX - box.left) / box.width, 0), 1);
    const v = Math.min(Math.max((box.bottom - e.clientY) / box.height, 0), 1);
    const [lo, hi] = this.header.lr_grid;
    const [blo, bhi] = this.header.momentum_grid;
    return [+(lo * Math.pow(hi / lo, u)).toPrecision(3), this.snapBeta(blo + v * (bhi - blo))];
  }

  snapBeta(beta) {
    const [blo, bhi, step] = this.header.momentum_grid;
    return +Math.min(Math.max(Math.round(beta / step) * step, blo), bhi).toFixed(6);
  }


  cancel() {
    this.pick = null;
    this.preview.clear();
    this.paint();
  }

  key(e) {
    if (!this.map) return;
    const [lo, hi] = this.header.lr_grid;
    const step = this.header.momentum_grid[2];
    const [lr, beta] = this.pick || this.own();
    const moves = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    if (moves[e.key]) {
      e.preventDefault();
      const [dl, db] = moves[e.key];
      const next = lr * Math.pow(hi / lo, dl / COLS);
      this.choose([+Math.min(Math.max(next, lo), hi).toPrecision(3), this.snapBeta(beta + db * step)]);
    } else if ((e.key === "Enter" || e.key === " ") && this.pick) {
      e.preventDefault();
      this.commit();
    } else if (e.key === "Escape") {
      this.cancel();
    }
  }

  choose(pair) {
    this.pick = pair;
    this.preview.setRate(pair[0], pair[1]);
    this.paint();
  }

  commit() {
    if (!this.pick) return;
    this.preview.committed = true;
    this.view.trigger("rate", this.pick);
  }
}
