// A panel is two Plotly plots stacked with the same axes: what stays put (points, reference lines, the bowl,
// pinned runs, theory) below, drawn when it changes; what moves (the run's curves and markers) above, redrawn
// each frame. Plotly's quick redraw (animate without a full redraw) keeps only the traces it is given, so the
// moving layer is handed all of its traces each time. Traces are addressed by their names, never by position.

import { plotlyText } from "./numbers.js";

// Plotly.animate's options for moving traces at once, with no redraw of the axes (a few ms, not ~20)
const MOVE = { frame: { duration: 0, redraw: false }, transition: { duration: 0 }, mode: "immediate" };
const CONFIG = { displayModeBar: false, responsive: false, scrollZoom: false, doubleClick: false };
const EMPTY = { x: [], y: [] };

// Trace factories. Names are the chart's own, but pass through plotlyText like every string Plotly gets.
export function lines(name, xs, ys, color, dash, width) {
  return { type: "scatter", mode: "lines", x: xs, y: ys, line: { color, dash, width }, hoverinfo: "skip", name: plotlyText(name) };
}

export function curve(name, color, width, { opacity = 1, dash = "solid", hover = true } = {}) {
  const trace = { type: "scatter", mode: "lines", x: [], y: [], line: { color, width, dash }, opacity, name: plotlyText(name) };
  if (hover) trace.hovertemplate = `step %{customdata:,d}<br>%{y:.4g}<extra>${plotlyText(name)}</extra>`;
  else trace.hoverinfo = "skip";
  return trace;
}

export function marker(name, color, edge, extra = {}) {
  return { type: "scatter", mode: "markers", x: [], y: [], cliponaxis: false, name: plotlyText(name), hoverinfo: "skip",
    marker: { color, size: 10, line: { color: edge, width: 1.5 }, ...extra } };
}

export function empty() {
  return { ...EMPTY, customdata: [] };
}

// What a quick redraw gives Plotly of a trace: its points, and the steps its hover names (curves on step axes).
function moved(t) {
  return t.customdata ? { x: t.x, y: t.y, customdata: t.customdata } : { x: t.x, y: t.y };
}

export class Panel {
  constructor(name, under, over) {
    this.name = name;
    this.under = under; // the plot elements
    this.over = over;
    this.scene = null;
  }

  // A new drawing: { under: [traces], over: [traces], axes: {...} } (see layout below).
  set(scene) {
    this.scene = scene;
    this.names = { under: scene.under.map((t) => t.name), over: scene.over.map((t) => t.name) };
  }

  index(layer, name) {
    const k = this.names[layer].indexOf(plotlyText(name));
    if (k < 0) throw new Error(`no trace ${name} in ${this.name}'s ${layer} layer`);
    return k;
  }

  has(layer, name) {
    return this.names[layer].includes(plotlyText(name));
  }

  // Both layers in full, with `range` on the y axis.
  draw(P, layoutOf) {
    return Promise.all([this.drawUnder(P, layoutOf), P.react(this.over, this.scene.over, layoutOf(this, false), CONFIG)]);
  }

  drawUnder(P, layoutOf) {
    return P.react(this.under, this.scene.under, layoutOf(this, true), CONFIG);
  }

  // The moving layer: `changes` by trace name, then every one of its traces drawn (see above).
  move(P, changes) {
    const over = this.scene.over;
    for (const [name, data] of Object.entries(changes)) Object.assign(over[this.index("over", name)], data);
    return P.animate(this.over, { data: over.map(moved), traces: over.map((_, k) => k) }, MOVE);
  }

  // Some traces of the still layer, by name, with no redraw of the rest of it.
  moveUnder(P, changes) {
    const under = this.scene.under;
    const names = Object.keys(changes);
    names.forEach((name) => Object.assign(under[this.index("under", name)], changes[name]));
    const traces = names.map((name) => this.index("under", name));
    return P.animate(this.under, { data: traces.map((k) => moved(under[k])), traces }, MOVE);
  }

  // Some traces of the still layer, by name, kept for its next full drawing.
  setUnder(changes) {
    for (const [name, data] of Object.entries(changes)) Object.assign(this.scene.under[this.index("under", name)], data);
  }

  setRange(P, range) {
    const update = { "yaxis.range": range };
    return Promise.all([P.relayout(this.under, update), P.relayout(this.over, update)]);
  }

  plots() {
    return [this.under, this.over];
  }
}

// A panel's layout: both layers share axes and fixed margins (automargin would measure tick labels, which
// only the lower layer shows, and the two would drift apart); only the lower one shows its axes.
export function layout(theme, axes, yRange, height, visible) {
  const axis = (title, range) => ({
    title: { text: plotlyText(title), font: { color: theme.muted, size: 12 }, standoff: 6 },
    range, autorange: false, tickfont: { color: theme.muted, size: 11 }, gridcolor: theme.grid, zerolinecolor: theme.grid,
    linecolor: theme.grid, automargin: false, fixedrange: true, visible,
  });
  return {
    margin: { l: 64, r: 12, t: 8, b: 46 },
    height,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { color: theme.text, family: theme.font, size: 12 },
    showlegend: false,
    dragmode: false,
    hovermode: visible ? "closest" : false,
    xaxis: { ...axis(axes.x, axes.xRange), ...(axes.xaxis || {}) },
    yaxis: { ...axis(axes.y, yRange), ...(axes.yaxis || {}) },
  };
}
