"""The run chart on the page: one Streamlit component (the view) and the tiny carriers that feed it.

Both are `st.components.v2` components whose inline js is a few lines that import the chart's one entry
module from its published folder (assets.py): every loader on the page gets the same module instance, so
the runs, the inbox and the views are that module's own state, not globals.

`mount` places the view: the same element with the same data on every rerun, so the browser keeps it as it
is. What it draws travels in carrier elements in a hidden container (`Feed`): the data set's background,
the pins and the run's header at fixed places (unchanged ones travel as references to the browser's copy),
then one carrier per block of records, none ever replaced, so each block reaches the browser once; and,
while nothing else is sent, a heartbeat, so the chart can tell a working page from a stopped one.
"""

from __future__ import annotations

import json
import time

import streamlit as st

from . import assets, schema

KEY = "run-view"
FEED_KEY = "gtl-feed"  # its container is hidden by chart.css
PULSE_KEY = "gtl-pulse"  # likewise
BEATS = "gtl-beats"  # session state: heartbeats sent to this visitor's chart


def _loader(body: str) -> str:
    """A component's js: import the chart's entry module (by its absolute address, so that every loader,
    each a module of its own, shares the one instance) and hand it what Streamlit gives."""
    entry = assets.bundle().url + assets.ENTRY
    return f"const chart = import(new URL({json.dumps(entry)}, document.baseURI).href);\n{body}"


# The view: mounted once the module has loaded; Streamlit calls the returned function to unmount it.
_VIEW_JS = _loader("""
export default function (args) {
  let unmount = null, gone = false;
  chart.then((m) => { if (!gone) unmount = m.mount(args); }, (e) => {
    const words = JSON.parse(new TextDecoder().decode(args.data)).words;
    if (!gone) args.parentElement.textContent = words.unloaded.replace("{error}", String(e));
  });
  return () => { gone = true; if (unmount) unmount(); };
}
""")
# A carrier: its message, queued behind the module's loading (one promise, so messages keep their order).
_CARRIER_JS = _loader("""
export default function ({ data }) {
  if (data) chart.then((m) => m.deliver(data), () => {});
}
""")

_view = st.components.v2.component(
    "gradienttape_lab.run_view",
    js=_VIEW_JS,
    css=(assets.HERE / "chart.css").read_text(),
    isolate_styles=False,
)
_carrier = st.components.v2.component("gradienttape_lab.run_feed", js=_CARRIER_JS, isolate_styles=False)


def payload(message: dict) -> bytes:
    """A message as the components get it: JSON in UTF-8 bytes, which Streamlit forwards untouched. (A dict
    has each of its values checked for a data frame, and the check imports pandas and pyarrow into the
    server: ~40,000 more objects for its garbage collector to walk after every script run.)"""
    return json.dumps(message, separators=(",", ":")).encode()


def _problem() -> str | None:
    """Why the chart's files cannot reach the browser, or None when they can. They are published here, before
    any loader is sent: a browser that imports the chart's module before it is there would keep that failure
    for the life of the tab."""
    if not st.get_option("server.enableStaticServing"):
        return STATIC_SERVING_OFF
    try:
        assets.publish()
    except assets.Unpublished as e:
        return str(e)
    return None


STATIC_SERVING_OFF = "static serving is off"


def pulse() -> None:
    """At the top of every script run: the chart hears that the page is working for this visitor (a rerun
    that takes a while to reach the chart is not a stopped run)."""
    if _problem() is not None:
        return  # the chart is not shown either (mount says why)
    beat = st.session_state.get(BEATS, 0) + 1
    st.session_state[BEATS] = beat
    with st.container(key=PULSE_KEY):
        _carrier(data=payload({"kind": schema.Kind.ALIVE, "beat": beat}), key="gtl-pulse-beat")


def mount(words: dict[str, str], unavailable, on_start=None, on_lr=None, on_rate=None) -> dict | None:
    """Place the chart, with the sentences it fills in; its result holds `retry`, set for one rerun when the
    chart, back from a lost connection, asks for its cut-short run again, and `start`, [w0, w1] where a
    visitor dropped the start on the landscape (`on_start` runs first, before the page's widgets), and `lr`, a
    rate chosen on the rate strip (`on_lr` likewise), and `rate`, [lr, β] chosen on the rate map (`on_rate`
    likewise). None when
    the chart cannot be shown here: `unavailable(reason)` gives the sentence then shown instead."""
    problem = _problem()
    if problem is not None:
        st.error(unavailable(None if problem == STATIC_SERVING_OFF else problem), icon=":material/error:")
        return None
    message = {"kind": schema.Kind.VIEW, "words": words}
    return _view(data=payload(message), key=KEY, on_retry_change=_rerun_only, on_start_change=on_start or _rerun_only,
                 on_lr_change=on_lr or _rerun_only, on_rate_change=on_rate or _rerun_only)  # fmt: skip


def _rerun_only() -> None:
    pass  # the rerun the chart asked for is the point; the page reads the trigger itself


class Feed:
    """Carries the chart's messages: `show` a background, the pins and a header at their fixed places, then
    `send` each block of a run in a carrier of its own; `alive` between blocks."""

    def __init__(self) -> None:
        self._slot = st.container(key=FEED_KEY)
        self._beat = None
        self._run: str | None = None
        self._sent = 0
        self._last = time.monotonic()

    def show(self, background: dict, header: dict, pins: dict) -> None:
        with self._slot:
            _carrier(data=payload(background), key="gtl-background")
            _carrier(data=payload(pins), key="gtl-pins")
            _carrier(data=payload({**header, "server": assets.server_id()}), key="gtl-header")
            self._beat = st.empty()
        self._run = header["run"]
        self._last = time.monotonic()

    def send(self, message: dict) -> None:
        with self._slot:
            _carrier(data=payload(message), key=f"feed-{message['run']}-{self._sent}")
        self._sent += 1
        self._last = time.monotonic()

    def alive(self) -> None:
        """Tell the chart the page still works on its run, when nothing else has for HEARTBEAT_S (a wait for
        the worker, a slow block). Cheap to call often: it sends at most one heartbeat per HEARTBEAT_S."""
        now = time.monotonic()
        if self._beat is None or now - self._last < schema.HEARTBEAT_S:
            return
        beat = st.session_state.get(BEATS, 0) + 1
        st.session_state[BEATS] = beat
        with self._beat:
            message = {"kind": schema.Kind.ALIVE, "beat": beat, "run": self._run}
            _carrier(data=payload(message), key=f"gtl-alive-{beat}")
        self._last = now
