// Previews drawn straight onto a panel, as SVG above its plots, in the same frame as the pointer move that asked
// for them: Plotly's quick redraw (animate) lands a frame or two later, and a restyle redraws the whole plot.
// Data go to pixels by the plot's own laid-out axes (Plotly's _fullLayout: each axis's offset, length, range and
// type), so a sketch sits where Plotly would draw the same trace, inside the plot area (clipped to it).
// Each drawn item keeps the data it was drawn from (data-x, data-y) beside its pixels.

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

// Data -> pixels of one axis, from the plot area's corner (log axes hold log10 of the value in their range).
export function scale(ax, flip) {
  const [r0, r1] = ax.range;
  const log = ax.type === "log";
  return (v) => {
    const u = log ? Math.log10(v) : v;
    const f = (u - r0) / (r1 - r0);
    return (flip ? 1 - f : f) * ax._length;
  };
}

export class Sketch {
  // stack: the panel's element holding its plots; plot: the plot whose axes the sketch follows
  constructor(stack, plot) {
    this.plot = plot;
    this.root = svg("svg", { class: "gtl-sketch", "aria-hidden": "true" });
    this.area = svg("svg", { overflow: "hidden" }); // the plot area: what leaves it is clipped
    this.root.append(this.area);
    stack.append(this.root);
    this.drawn = false;
  }

  // Draw `items` (name -> { x, y, color, dash, width } for a line, or { ..., marker: size } for markers),
  // replacing what was drawn. Returns false when the plot has no axes laid out yet.
  draw(items) {
    const L = this.plot._fullLayout;
    if (!L || !L.xaxis || !L.yaxis || !L.xaxis._length) return false;
    const xa = L.xaxis;
    const ya = L.yaxis;
    const px = scale(xa, false);
    const py = scale(ya, true);
    const a = this.area;
    a.setAttribute("x", String(xa._offset));
    a.setAttribute("y", String(ya._offset));
    a.setAttribute("width", String(xa._length));
    a.setAttribute("height", String(ya._length));
    const parts = [];
    for (const [name, it] of Object.entries(items)) {
      const xs = Array.from(it.x);
      const ys = Array.from(it.y);
      const common = { "data-name": name, "data-x": JSON.stringify(xs), "data-y": JSON.stringify(ys) };
      if (it.marker) {
        xs.forEach((x, k) => parts.push(svg("circle", { ...common, cx: px(x).toFixed(2), cy: py(ys[k]).toFixed(2), r: String(it.marker / 2),
          fill: "none", stroke: it.color, "stroke-width": String(it.width || 2) })));
      } else if (xs.length > 1) {
        const d = xs.map((x, k) => `${k ? "L" : "M"}${px(x).toFixed(2)} ${py(ys[k]).toFixed(2)}`).join("");
        parts.push(svg("path", { ...common, d, fill: "none", stroke: it.color, "stroke-width": String(it.width || 2),
          "stroke-dasharray": it.dash === "dash" ? "7 4" : "none", "stroke-linejoin": "round" }));
      }
    }
    a.replaceChildren(...parts);
    this.drawn = parts.length > 0;
    return true;
  }

  clear() {
    if (this.drawn) this.area.replaceChildren();
    this.drawn = false;
  }
}
