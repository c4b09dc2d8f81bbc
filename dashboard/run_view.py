"""The run chart on the page: one Streamlit component (run_view.js) and the carriers that feed it.

`mount` places the chart: the same element, with the same (empty) data, on every rerun, so the browser
keeps it as it is (Streamlit sends an unchanged large element as a reference to its cached copy). What it
draws travels in tiny carrier elements in a hidden container (`Feed`): the data set's background and the
run's header at fixed places (unchanged ones travel as references too), then one carrier per block of
records, none ever replaced, so each block reaches the browser exactly once.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
KEY = "run-view"
FEED_KEY = "gtl-feed"  # its container is hidden by run_view.css

# Carriers only queue their message (JSON in UTF-8 bytes, see `payload`) for the chart's module (which may
# still be loading).
_FEED_JS = """
export default function ({ data }) {
  if (!data) return;
  (window.__gtlInbox = window.__gtlInbox || []).push(JSON.parse(new TextDecoder().decode(data)));
  if (window.__gtlDeliver) window.__gtlDeliver();
}
"""

_view = st.components.v2.component(
    "gradienttape_lab.run_view",
    js=(HERE / "run_view.js").read_text(),
    css=(HERE / "run_view.css").read_text(),
    isolate_styles=False,
)
_feed = st.components.v2.component("gradienttape_lab.run_feed", js=_FEED_JS, isolate_styles=False)


def plotly_chunk() -> str | None:
    """The file name of Streamlit's own Plotly bundle, which the chart loads from beside Streamlit's entry
    script (nothing else on the page draws a Plotly chart, so Streamlit would not load it)."""
    found = sorted((Path(st.__file__).parent / "static" / "static" / "js").glob("PlotlyChart.*.js"))
    return found[0].name if found else None


def payload(message: dict) -> bytes:
    """A message as the components get it: JSON in UTF-8 bytes, which Streamlit forwards untouched. (A dict
    has each of its values checked for a data frame, and the check imports pandas and pyarrow into the
    server: ~40,000 more objects for its garbage collector to walk after every script run.)"""
    return json.dumps(message, separators=(",", ":")).encode()


def mount() -> None:
    # the chart asks for a rerun ("retry") when it reconnects with a run cut short; the rerun is the point
    _view(data=payload({"kind": "view"}), key=KEY, on_retry_change=_rerun_only)


def _rerun_only() -> None:
    pass


class Feed:
    """Carries the chart's messages: `show` a background and a header at their fixed places, then `send`
    each block of a run in a carrier of its own."""

    def __init__(self) -> None:
        self._slot = st.container(key=FEED_KEY)
        self._sent = 0

    def show(self, background: dict, header: dict, pins: dict) -> None:
        with self._slot:
            _feed(data=payload(background), key="gtl-background")
            _feed(data=payload(pins), key="gtl-pins")
            _feed(data=payload(header), key="gtl-header")

    def send(self, message: dict) -> None:
        with self._slot:
            _feed(data=payload(message), key=f"feed-{message['run']}-{self._sent}")
        self._sent += 1
