// What the chart says in words and numbers at the step shown: the title, the numbers table, the status line;
// and the wider axes a diverging run needs.

import { el, tableRow } from "./dom.js";
import { fill, fmt, gapText, logRange, MIN_LOG, padded } from "./numbers.js";

export function drawText(view, i, w0, w1) {
  const h = view.header;
  const last = h.total - 1;
  const loss = i >= 0 ? view.store.get("loss", i) : h.start_loss;
  const numbers = { step: fmt.int(i), last: fmt.int(last), loss: fmt.loss(loss), w0: fmt.w(w0), w1: fmt.w(w1) };
  const title = i < 0 ? view.words.title_start : last > 0 ? view.words.title : view.words.title_one;
  view.title.textContent = fill(title, numbers);
  const truth = (k) => (h.true ? fmt.w(h.true[k]) : "—");
  const rows = [
    ["w0", fmt.w(w0), truth(0), fmt.w(h.optimum[0]), gapText(w0, h.optimum[0])],
    ["w1", fmt.w(w1), truth(1), fmt.w(h.optimum[1]), gapText(w1, h.optimum[1])],
    ["loss", fmt.long(loss), "—", fmt.long(h.loss_star), gapText(loss, h.loss_star)],
  ];
  const head = ["", i >= 0 ? `step ${fmt.int(i)}` : "start", "true", "least squares", "gap"];
  view.numbers.replaceChildren(
    el("thead", {}, el("tr", {}, ...head.map((cell) => el("th", { scope: "col", text: cell })))),
    el("tbody", {}, ...rows.map((r) => tableRow(r[0], r))),
  );
  view.scrubber.describe(i, view.last());
}

// The status line: how the run ended once its last frame is shown; before that, what is known.
export function drawStatus(view) {
  const h = view.header;
  const s = view.store;
  if (!h || !s || view.failed) return;
  const w = view.words;
  const last = view.last();
  const numbers = { done: fmt.int(s.rows), total: fmt.int(h.total), step: fmt.int(Math.max(view.shown, 0)), last: fmt.int(h.total - 1) };
  let kind = "info";
  let text;
  if (s.done && s.status && view.mode === "live" && last >= 0 && view.shown < last) {
    text = fill(w.playing, numbers); // the verdict comes with the last frame
  } else if (s.done && s.status) {
    ({ kind, text } = s.status);
  } else if (view.interrupted) {
    kind = "warning";
    text = fill(w[view.interrupted], { ...numbers, step: fmt.int(Math.max(s.rows - 1, 0)) });
  } else if (h.warning) {
    ({ kind, text } = h.warning);
  } else if (s.rows === 0 && h.waiting) {
    text = h.waiting;
  } else {
    text = fill(w.training, numbers);
  }
  if (view.status.textContent !== text) view.status.textContent = text;
  view.status.dataset.kind = kind;
  view.root.dataset.state = view.interrupted && !s.done ? "stopped" : view.mode;
  view.play.disabled = s.rows === 0;
  view.scrubber.enable(s.rows > 0);
}

// Wider y ranges for the panels whose values no longer fit (absent where nothing changes).
export function widerAxes(view, losses, weights) {
  const h = view.header;
  const c = view.c;
  const wide = {};
  if (losses.length) {
    const lo = Math.min(h.loss_star, ...losses);
    const hi = Math.max(h.start_loss, ...losses);
    if (!covers(view.ranges.loss, lo, hi, view.logY)) wide.loss = c.lossRange(lo, hi);
    const most = hi - h.loss_star;
    if (Math.log10(Math.max(most, MIN_LOG)) > view.ranges.gap[1]) wide.gap = logRange(c.gapFloor, most);
  }
  if (weights.length) {
    const lo = Math.min(...weights);
    const hi = Math.max(...weights);
    const [a, b] = view.ranges.weights;
    if (lo < a || hi > b) wide.weights = padded(Math.min(lo, a), Math.max(hi, b));
  }
  return wide;
}

function covers(range, lo, hi, log) {
  if (log) return Math.log10(Math.max(lo, MIN_LOG)) >= range[0] && Math.log10(Math.max(hi, MIN_LOG)) <= range[1];
  return lo >= range[0] && hi <= range[1];
}
