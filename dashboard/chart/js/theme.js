// Light or dark: the chart follows the theme Streamlit gives components (its --st-* variables).

export function luminance(color) {
  const m = color.match(/\d+(\.\d+)?/g);
  if (color.startsWith("#")) {
    const hex = color.length === 4 ? color.slice(1).split("").map((c) => c + c).join("") : color.slice(1, 7);
    const [r, g, b] = [0, 2, 4].map((k) => parseInt(hex.slice(k, k + 2), 16) / 255);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  if (m && m.length >= 3) return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255;
  return 1;
}

// The theme on `host` (an element, or a shadow root's host).
export function readTheme(host) {
  const css = getComputedStyle(host instanceof ShadowRoot ? host.host : host);
  const get = (name, fallback) => (css.getPropertyValue(name) || "").trim() || fallback;
  const dark = luminance(get("--st-background-color", "#ffffff")) < 0.4;
  return {
    text: get("--st-text-color", "#31333F"),
    muted: dark ? "#A3A8B8" : "#5E6472",
    grid: dark ? "rgba(250,250,250,0.12)" : "rgba(49,51,63,0.12)",
    font: get("--st-font", "sans-serif"),
    dark,
  };
}

// The chart's own colours (chart.css, per theme), read once per drawing.
export function colors(root) {
  const css = getComputedStyle(root);
  const v = (name) => css.getPropertyValue(name).trim();
  return {
    data: v("--gtl-data"), true: v("--gtl-true"), optimum: v("--gtl-optimum"), fit: v("--gtl-fit"),
    w0: v("--gtl-w0"), w1: v("--gtl-w1"), theory: v("--gtl-theory"), muted: v("--gtl-muted"),
    grad: v("--gtl-grad"), step: v("--gtl-step"),
  };
}
