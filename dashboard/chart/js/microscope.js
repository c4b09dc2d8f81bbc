// The step under the microscope: for the step shown, what the tape did in update number i, line by line of the
// trainer's own code (linreg_core/trainer.py), with the numbers each line gave: the loss at the weights going
// in, tape.gradient's dw0 and dw1, what each assign_sub took away, and the weights after it. "−1 step" and
// "+1 step" move the step shown one update at a time (the scrubber follows).
//
// Record i holds the weights and loss after update i and the gradient that update used (taken at the weights
// going in: record i − 1's, or the start's). The tape holds the weights it trains: with x standardised those are
// (w0·scale, w1 + w0·shift) of the record's (header.tape), so every number here is in the tape's own weights.

import { el } from "./dom.js";
import { fill, fmt } from "./numbers.js";

const signed = (v) => (v < 0 ? "−" : "+") + Math.abs(v).toPrecision(4);
const weight = (v) => v.toPrecision(7); // float32's digits: a late update still shows as a change

export class Microscope {
  constructor(view) {
    this.view = view;
    const w = view.words;
    this.head = el("p", { class: "gtl-tape-head" });
    this.code = el("div", { class: "gtl-tape-code", role: "table", "aria-label": w.tape_title });
    this.note = el("p", { class: "gtl-tape-note" });
    this.prev = el("button", { type: "button", class: "gtl-tape-prev", text: w.tape_prev });
    this.next = el("button", { type: "button", class: "gtl-tape-next", text: w.tape_next });
    this.prev.addEventListener("click", () => this.move(-1));
    this.next.addEventListener("click", () => this.move(1));
    this.root = el("figure", { class: "gtl-panel gtl-panel-tape", "data-step": "" },
      el("figcaption", { text: w.tape_title }), el("div", { class: "gtl-tape-buttons" }, this.prev, this.next),
      this.head, this.code, this.note);
  }

  move(dir) {
    const v = this.view;
    const to = Math.min(Math.max(v.shown + dir, -1), v.last());
    if (to !== v.shown) v.stepTo(to);
  }

  // The tape's weights of record i (i = -1: the start).
  weights(i) {
    const v = this.view;
    const t = v.header.tape;
    const [w0, w1] = i >= 0 ? [v.store.get("w0", i), v.store.get("w1", i)] : v.header.init;
    return [w0 * t.scale, w1 + w0 * t.shift];
  }

  draw(i) {
    const v = this.view;
    const h = v.header;
    const t = h.tape;
    const w = v.words;
    const last = v.last();
    this.prev.disabled = i < 0;
    this.next.disabled = i >= last;
    this.root.dataset.step = i >= 0 ? String(i) : "start";
    const [n0, n1] = t.names;
    this.note.textContent = n0 === "w0" ? "" : fill(w.tape_standardised, { v0: n0, v1: n1 });
    if (i < 0) {
      this.head.textContent = w.tape_start;
      this.code.replaceChildren();
      delete this.root.dataset.values;
      return;
    }
    const before = this.weights(i - 1);
    const after = this.weights(i);
    const loss = i > 0 ? v.store.get("loss", i - 1) : h.start_loss;
    const dw = [v.store.get("dw0", i), v.store.get("dw1", i)];
    const from = i > 0 ? fill(w.tape_from_step, { prev: fmt.int(i - 1) }) : w.tape_from_start;
    this.head.textContent = fill(w.tape_head, { step: fmt.int(i), from, v0: n0, v1: n1, w0_in: weight(before[0]), w1_in: weight(before[1]) });
    const lossText = t.batch ? fill(w.tape_loss_batch, { loss: fmt.long(loss) }) : fill(w.tape_loss, { loss: fmt.long(loss) });
    const rows = [
      [w.tape_code_tape, ""],
      [w.tape_code_loss, lossText],
      [w.tape_code_grad, fill(w.tape_grad, { dw0: signed(dw[0]), dw1: signed(dw[1]) })],
    ];
    const subtracted = [0, 1].map((k) => (t.blog ? dw[k] * h.lr : before[k] - after[k]));
    if (t.blog) {
      for (const k of [0, 1]) {
        const said = { dw: signed(dw[k]), lr: String(h.lr), step: signed(subtracted[k]), name: t.names[k], before: weight(before[k]), after: weight(after[k]) };
        rows.push([w[`tape_code_sub${k}`], fill(w.tape_sub, said)]);
      }
    } else {
      rows.push([fill(w.tape_code_rule, { rule: t.rule }), t.summary]);
      for (const k of [0, 1]) {
        const said = { step: signed(-subtracted[k]), name: t.names[k], before: weight(before[k]), after: weight(after[k]) };
        rows.push([w[`tape_code_dir${k}`], fill(w.tape_dir, said)]);
      }
    }
    this.code.replaceChildren(...rows.map(([line, value]) =>
      el("div", { class: "gtl-tape-row", role: "row" }, el("code", { role: "cell", text: line }), el("span", { role: "cell", class: "gtl-tape-value", text: value }))));
    // the numbers behind the words, unrounded (the browser tests hold them against the trainer's records)
    const values = { step: i, loss, dw0: dw[0], dw1: dw[1], in0: before[0], in1: before[1], out0: after[0], out1: after[1], sub0: subtracted[0], sub1: subtracted[1] };
    this.root.dataset.values = JSON.stringify(values);
  }
}
