// The legends above each panel: the page says what each holds (view_model.legends: an entry for each thing
// drawn, nothing else); this module only gives each kind of entry its swatch.

import { el } from "./dom.js";
import { fill } from "./numbers.js";

// legend key -> [swatch shape, colour variable] (chart.css defines the variables for both themes)
const STYLES = {
  data: ["dot", "--gtl-data"],
  true_line: ["dash", "--gtl-true"],
  least_squares: ["dotted", "--gtl-optimum"],
  current_fit: ["line", "--gtl-fit"],
  path: ["line", "--gtl-fit"],
  start: ["dot", "--gtl-muted"],
  optimum: ["cross", "--gtl-optimum"],
  loss: ["line", "--gtl-fit"],
  least_squares_loss: ["dash", "--gtl-optimum"],
  held_out_loss: ["dash", "--gtl-theory"],
  run: ["line", "--gtl-fit"],
  theory: ["dash", "--gtl-theory"],
  w0: ["line", "--gtl-w0"],
  w1: ["line", "--gtl-w1"],
  true_weights: ["dash", "--gtl-muted"],
  least_squares_weights: ["dotted", "--gtl-muted"],
  residuals: ["thin", "--gtl-fit"],
  gradient_step: ["arrow", "--gtl-grad"],
  batch_gradient_step: ["arrow", "--gtl-grad"],
  momentum_step: ["arrow", "--gtl-step"],
  adaptive_step: ["arrow", "--gtl-step"],
};

export const PIN_COLORS = ["#1098ad", "#74b816", "#ae3ec9", "#f59f00", "#868e96"];

function swatch(shape, color, label, key) {
  return el("span", { class: "gtl-key", "data-key": key }, el("i", { class: `gtl-swatch gtl-${shape}`, style: `--c: ${color}` }), label);
}

// A panel's legend: the run's entries, then the pinned runs it draws (bands, as panels.js draws them).
export function drawLegend(box, entries, pins, words) {
  const items = (entries || []).map(({ key, label }) => {
    const [shape, color] = STYLES[key] || ["line", "--gtl-muted"];
    return swatch(shape, `var(${color})`, label, key);
  });
  pins.forEach((p, k) => {
    if (p) items.push(swatch("band", PIN_COLORS[k % PIN_COLORS.length], p.same ? p.label : fill(words.pin_other_data, { label: p.label }), "pin"));
  });
  box.replaceChildren(...items);
}
