// The scrubber and the step axes' scale: one control ("log scale in steps" or linear) for both, so the thumb
// sits where the step charts draw the step shown. Its positions cover the scale evenly: on the log scale the
// fraction u along the track is log(step + 1) / log(total), as on the charts' log axes; on the linear one
// u = step / (total - 1). Play walks the positions evenly, so on the log scale the early steps get their share
// of the time. Arrow keys move one step shown at a time. It reaches only steps already trained.

import { el } from "./dom.js";
import { fmt } from "./numbers.js";

const POSITIONS = 1000; // at most; a shorter linear run has one position per step

export class Scrubber {
  constructor() {
    this.input = el("input", { type: "range", class: "gtl-scrub", min: "0", max: "1", step: "1", value: "1", "aria-label": "step shown" });
    this.scaleSelect = el("select", { class: "gtl-scale", "aria-label": "scale of the steps (scrubber and step charts)" },
      el("option", { value: "log", text: "log scale in steps" }), el("option", { value: "linear", text: "linear scale" }));
    this.scale = "log";
    this.total = 1;
    this.scaleSelect.addEventListener("change", () => {
      this.scale = this.scaleSelect.value;
    });
  }

  // A new run: its length.
  reset(header) {
    this.total = Math.max(header.total, 1);
  }

  log() {
    return this.scale === "log";
  }

  // Positions on the track, 0 … positions() - 1.
  positions() {
    return this.log() ? POSITIONS + 1 : Math.min(this.total, POSITIONS + 1);
  }

  // The step at a position, and the position of a step (the first position that shows it, when one does).
  stepAt(position) {
    const u = position / Math.max(this.positions() - 1, 1);
    const last = this.total - 1;
    const step = this.log() ? Math.round(Math.pow(this.total, u)) - 1 : Math.round(u * last);
    return Math.min(Math.max(step, 0), last);
  }

  positionOf(step) {
    const span = Math.max(this.positions() - 1, 1);
    step = Math.min(Math.max(step, 0), this.total - 1);
    if (this.total <= 1) return 0;
    if (!this.log()) return Math.round((step / (this.total - 1)) * span);
    const at = (s) => (span * Math.log(Math.max(s, 1e-9))) / Math.log(this.total);
    const first = Math.max(Math.ceil(at(step + 0.5)), 0); // positions showing `step` start here, if any do
    return this.stepAt(first) === step ? first : Math.min(Math.round(at(step + 1)), span);
  }

  // The last position a run trained up to `last` reaches.
  end(last) {
    let p = this.positionOf(Math.max(last, 0));
    while (p + 1 < this.positions() && this.stepAt(p + 1) <= last) p += 1;
    return p;
  }

  // The step at the input's position, within what is trained.
  step(last) {
    return last < 0 ? -1 : Math.min(this.stepAt(Math.min(+this.input.value, this.end(last))), last);
  }

  // The position one step shown away from `shown` (dir ±1), skipping positions that show the same step.
  nudge(shown, dir, last) {
    const end = this.end(last);
    let p = +this.input.value;
    const from = this.stepAt(p);
    while (p + dir >= 0 && p + dir <= end) {
      p += dir;
      if (this.stepAt(p) !== from) return dir > 0 ? p : this.positionOf(this.stepAt(p));
    }
    return Math.min(Math.max(p, 0), end);
  }

  // The input's range and place for the step shown.
  sync(shown, last) {
    this.input.max = String(Math.max(this.end(last), 1));
    this.input.setAttribute("aria-label", `step shown (${this.scale} scale in steps)`);
    this.input.value = String(this.positionOf(shown));
  }

  describe(shown, last) {
    this.input.setAttribute("aria-valuetext", shown >= 0 ? `step ${fmt.int(shown)} of ${fmt.int(Math.max(last, 0))}` : "start");
  }

  enable(on) {
    this.input.disabled = !on;
  }
}
