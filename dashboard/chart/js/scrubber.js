// The scrubber: a range input whose positions are steps, on a log scale (the header's log-spaced stops: every
// early step, fewer later ones) or a linear one (evenly spaced steps). It reaches only steps already trained.

import { el } from "./dom.js";
import { fmt, positionOf } from "./numbers.js";

export class Scrubber {
  constructor() {
    this.input = el("input", { type: "range", class: "gtl-scrub", min: "0", max: "1", step: "1", value: "1", "aria-label": "step shown" });
    this.scaleSelect = el("select", { class: "gtl-scale", "aria-label": "scrubber scale" },
      el("option", { value: "log", text: "log scale in steps" }), el("option", { value: "linear", text: "linear scale" }));
    this.scale = "log";
    this.header = null;
    this._stops = null;
    this.scaleSelect.addEventListener("change", () => {
      this.scale = this.scaleSelect.value;
      this._stops = null;
    });
  }

  // A new run: its length and log stops.
  reset(header) {
    this.header = header;
    this._stops = null;
  }

  stops() {
    if (!this._stops) {
      const total = Math.max(this.header.total, 1);
      if (this.scale === "log") this._stops = this.header.steps.scrub;
      else {
        const count = Math.min(total, this.header.steps.scrub.length || 1);
        const out = new Set();
        for (let k = 0; k < count; k++) out.add(count > 1 ? Math.round((k * (total - 1)) / (count - 1)) : 0);
        this._stops = Array.from(out);
      }
    }
    return this._stops;
  }

  // The last position a run trained up to `last` reaches.
  end(last) {
    return positionOf(this.stops(), Math.max(last, 0));
  }

  // The step at the input's position, within what is trained.
  step(last) {
    return last < 0 ? -1 : this.stops()[Math.min(+this.input.value, this.end(last))];
  }

  stepAt(position) {
    return this.stops()[position];
  }

  positionOf(step) {
    return positionOf(this.stops(), Math.max(step, 0));
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
