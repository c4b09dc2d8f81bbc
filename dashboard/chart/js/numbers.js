// Numbers as the chart reads and writes them: decoding the page's arrays, formatting, filling sentences.

// base64 little-endian float32 (view_model.encode) -> Float32Array
export function decode(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

export const fmt = {
  int: (v) => Math.round(v).toLocaleString("en-US"),
  w: (v) => v.toFixed(4),
  loss: (v) => (Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toPrecision(4)),
  long: (v) => (Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-4) ? v.toExponential(4) : v.toPrecision(6)),
};

// A sentence from the page (texts.chart_words) with each {name} replaced by values[name].
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// A value's distance to the float64 optimum. float32 training can land a hair below it: within float32's
// rounding that is 0, not a negative gap.
export function gapText(value, optimum) {
  const gap = value - optimum;
  if (Math.abs(gap) <= 4 * 1.1920929e-7 * Math.max(Math.abs(optimum), Math.abs(value), 1e-30)) return "0 (float32 limit)";
  return (gap >= 0 ? "+" : "−") + Math.abs(gap).toExponential(2);
}

// A linear range around [lo, hi] with a margin.
export function padded(lo, hi) {
  const span = hi - lo;
  if (!(span > 1e-9)) return [lo - 1, hi + 1];
  return [lo - 0.08 * span, hi + 0.08 * span];
}

export const MIN_LOG = 1e-12;

// A log axis's range (in log10 units, as Plotly takes it) around [lo, hi].
export function logRange(lo, hi) {
  const a = Math.log10(Math.max(lo, MIN_LOG));
  const b = Math.log10(Math.max(hi, MIN_LOG));
  const pad = 0.06 * Math.max(b - a, 1);
  return [a - pad, b + pad];
}

// Plotly reads a subset of HTML in titles, trace names and hover text (links, bold, styled spans). Every
// string the chart hands Plotly goes through here, so a column name from a file is shown as written.
export function plotlyText(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
