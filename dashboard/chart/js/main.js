// The run chart's entry: the page's loaders (component.py) import this module by one address, so the view and
// every carrier share it: `mount` places a view, `deliver` hands it a message, `timeline` is for benchmarks.

import { deliver as route } from "./inbox.js";
import { RunView } from "./view.js";

export { timeline } from "./timeline.js";

const views = new WeakMap(); // parent element -> its view, which outlives Streamlit's re-renders of it
const PROBE = new URL("./probe.txt", import.meta.url).href;

function read(bytes) {
  return JSON.parse(new TextDecoder().decode(bytes));
}

export function mount({ parentElement, data, setTriggerValue }) {
  let view = views.get(parentElement);
  if (!view || view.dead) {
    view = new RunView(parentElement, { words: read(data).words, retry: setTriggerValue, probeUrl: PROBE });
    views.set(parentElement, view);
  }
  view.retryWith = setTriggerValue; // the component API's one-rerun events: "retry", "start"
  view.follow(); // messages that arrived before this view
  return () => view.destroy();
}

export function deliver(bytes) {
  route(read(bytes));
}
