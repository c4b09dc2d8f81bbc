// The chart's elements: the status line, the controls, the title, a figure per panel (two stacked plots,
// a legend, a caption) and the numbers table; wired to the view that owns them.

import { el } from "./dom.js";
import { Panel } from "./layers.js";
import { ORDER, TITLES } from "./panels.js";
import { Scrubber } from "./scrubber.js";

export function build(view) {
  const root = el("div", { class: "gtl-view", "data-state": "live", "data-step": "", "data-paints": "0" });
  const status = el("div", { class: "gtl-status", role: "status", "aria-live": "polite" });
  const play = el("button", { type: "button", class: "gtl-play", "aria-label": "Play the run", text: "▶ Play" });
  const scrubber = new Scrubber();
  const logBox = el("input", { type: "checkbox", class: "gtl-logy" });
  logBox.checked = true;
  const controls = el("div", { class: "gtl-controls" },
    play,
    el("label", { class: "gtl-scrub-label" }, el("span", { class: "gtl-scrub-caption", text: "step" }), scrubber.input),
    scrubber.scaleSelect,
    el("label", { class: "gtl-check" }, logBox, el("span", { text: "log loss axis" })));
  const title = el("div", { class: "gtl-title", "aria-live": "off" });
  const grid = el("div", { class: "gtl-grid" });
  const panels = {};
  const previewNote = el("p", { class: "gtl-preview", role: "status", "aria-live": "polite" }); // js/drag.js
  const captions = {};
  const legends = {};
  for (const name of ORDER) {
    const under = el("div", { class: "gtl-plot gtl-under", "data-plot": `${name}-under` });
    const over = el("div", { class: "gtl-plot gtl-over", "data-plot": name });
    panels[name] = new Panel(name, under, over);
    legends[name] = el("div", { class: "gtl-legend" });
    captions[name] = el("p", { class: "gtl-caption" });
    const stack = el("div", { class: "gtl-stack" }, under, over);
    const parts = name === "landscape" ? [stack, previewNote] : [stack];
    grid.append(el("figure", { class: `gtl-panel gtl-panel-${name}` }, el("figcaption", { text: TITLES[name] }), legends[name],
      ...parts, captions[name]));
  }
  const numbers = el("table", { class: "gtl-numbers" });
  const note = el("p", { class: "gtl-note" });
  grid.append(el("figure", { class: "gtl-panel gtl-panel-numbers" }, el("figcaption", { text: "Numbers at the step shown" }), numbers, note));
  root.append(status, controls, title, grid);

  // the plots follow the chart's width (a window resized, the sidebar opened or closed)
  let resizeTimer = 0;
  const resizer = new ResizeObserver(() => {
    if (!view.plotly || !view.backgroundDrawn) return;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => Object.values(panels).forEach((p) => p.plots().forEach((gd) => view.plotly.Plots.resize(gd))), 80);
  });
  resizer.observe(grid);
  const sight = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const name = e.target.dataset.plot;
      if (e.isIntersecting) view.inSight.add(name);
      else view.inSight.delete(name);
    }
    if (Object.keys(view.missed).some((name) => view.inSight.has(name))) view.kick();
  });
  Object.values(panels).forEach((p) => sight.observe(p.over));

  play.addEventListener("click", () => view.togglePlay());
  scrubber.input.addEventListener("input", () => view.scrubbed());
  const steps = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 };
  scrubber.input.addEventListener("keydown", (e) => {
    if (e.key === " ") {
      e.preventDefault();
      view.togglePlay();
    } else if (steps[e.key] && !scrubber.input.disabled) {
      e.preventDefault(); // one step shown per press, though several positions of the log scale show one step
      scrubber.input.value = String(scrubber.nudge(view.shown, steps[e.key], view.last()));
      view.scrubbed();
    }
  });
  scrubber.scaleSelect.addEventListener("change", () => {
    scrubber.sync(view.shown, view.last());
    view.redrawAll(); // the step axes follow the scale
  });
  logBox.addEventListener("change", () => {
    view.logY = logBox.checked;
    view.redrawAll();
  });
  return { root, status, play, scrubber, logBox, title, panels, captions, legends, numbers, note, previewNote, resizer, sight };
}
