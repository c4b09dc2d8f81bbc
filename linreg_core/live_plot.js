// Live chart for the training loop: two Plotly plots stacked in one box.
// The background (data, reference lines, axes, legend) is drawn only when its version changes;
// the transparent foreground (fit line, loss curve, title) is redrawn for every frame, at most once per
// animation frame. Redrawing only the foreground keeps the frame cheap enough for 30 per second.
// The plots live in a per-tab map, not in the element Streamlit mounts, so frames sent as separate
// tiny elements ("attach": false) can update the chart without remounting it.
const SLOTS = (window.__gradientTapeLabPlots = window.__gradientTapeLabPlots || new Map());
const CONFIG = { displayModeBar: false, staticPlot: true };
const READY_TIMEOUT_MS = 4000;

function slot(name) {
  let s = SLOTS.get(name);
  if (!s) {
    const root = document.createElement("div");
    root.className = "gtl-live";
    root.style.position = "relative";
    const bg = document.createElement("div");
    const fg = document.createElement("div");
    fg.style.position = "absolute";
    fg.style.left = "0";
    fg.style.top = "0";
    root.append(bg, fg);
    s = { root, bg, fg, bg_spec: null, bg_version: null, drawn_version: null, fg_spec: null, raf: 0, width: 0, paints: [] };
    SLOTS.set(name, s);
  }
  return s;
}

function paint(s) {
  s.raf = 0;
  const Plotly = window.Plotly;  // Streamlit's own Plotly bundle, loaded by the page's first st.plotly_chart
  if (!Plotly || !s.root.isConnected) {
    s.raf = requestAnimationFrame(() => paint(s));
    return;
  }
  const width = Math.floor(s.root.getBoundingClientRect().width) || 800;
  const sized = (spec) => ({ ...spec.layout, width, autosize: false });
  if (s.bg_spec && (s.drawn_version !== s.bg_version || width !== s.width)) {
    Plotly.react(s.bg, s.bg_spec.data, sized(s.bg_spec), CONFIG);
    s.drawn_version = s.bg_version;
    s.width = width;
  }
  if (s.fg_spec) {
    Plotly.react(s.fg, s.fg_spec.data, sized(s.fg_spec), CONFIG);
    s.fg_spec = null;
    s.root.dataset.frames = String(Number(s.root.dataset.frames || 0) + 1);
    s.paints.push(performance.now());  // paint times, for the browser benchmark and tests
    if (s.paints.length > 500) s.paints.shift();
  }
  if (s.on_ready) s.on_ready();  // the first picture is up: the page may start training now
}

export default function ({ data, parentElement, setStateValue }) {
  const s = slot(data.slot);
  if (data.handshake && !s.on_ready) {
    // a new visit: the page trains once the chart can draw (the browser may still be loading Plotly and
    // mounting the page, and frames sent meanwhile would be lost); after READY_TIMEOUT_MS it trains anyway
    const timer = setTimeout(() => s.on_ready && s.on_ready(), READY_TIMEOUT_MS);
    s.on_ready = () => {
      clearTimeout(timer);
      s.on_ready = null;
      setStateValue("ready", Date.now());  // a new value each time, so the page's callback always fires
    };
  }
  if (data.bg) {
    s.bg_spec = JSON.parse(data.bg);
    s.bg_version = data.bg_version;
  }
  if (data.fg) s.fg_spec = JSON.parse(data.fg);
  if (data.attach) {
    s.root.style.height = data.height + "px";
    s.root.dataset.step = "";
    parentElement.appendChild(s.root);
  } else if (!s.root.isConnected && data.host) {
    // the chart's own element may not have mounted yet while the page is busy: join its container
    const host = document.querySelector(data.host);
    if (host) host.appendChild(s.root);
  }
  if (data.step !== undefined) s.root.dataset.step = String(data.step);
  if (!s.raf) s.raf = requestAnimationFrame(() => paint(s));
  return () => {};
}
