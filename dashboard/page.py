"""The page's sections, called in order by app.py. Streamlit-facing; the engine does the math.

Per-visitor state lives in st.session_state: the run shown (`RUN`, a `ShownRun`), the job training it
(`JOB`) and an uploaded file (see data_choice.py). Shared across visitors: only the training service
(thread-safe, holds no visitor's data) and cached data sets and analyses (immutable values keyed by the
settings that make them).
"""

from __future__ import annotations

import json
import math
import os
import shlex
import sys
import time
import urllib.parse
from dataclasses import dataclass

import numpy as np
import streamlit as st

from linreg_core.settings import Settings, format_value, knobs
from linreg_core.theory import RunTheory

from . import controls, data_choice, downloads, memory, texts, view_model
from .chart import component as chart
from .chart.schema import RETRY_CODES, Code
from .data_choice import Chosen
from .training import Job, TrainingService

TRACE = bool(os.environ.get("GTL_TRACE"))  # benchmarks: a timeline of each run on stderr, as JSON lines
RUN = "shown-run"
PINS = "pinned-runs"
MAX_PINS = 5
PIN_POINTS = 400  # points of a pinned run's curves: log-spaced, so its fast start keeps its shape
JOB = "training-job"
AGAIN = "run-again"
# At most this many carriers a second. Each is a Streamlit element: the browser spends ~10 ms of its main
# thread on it (a React render, a component mounted), so at 30 a second a live run at n = 1e6 kept that
# thread busy ~84% of the time, at 12 ~61%, and a burst's last run painted 15% sooner. The chart still draws
# 30 frames a second, each a newer step than the last (it closes in on the newest step between carriers).
FEED_FPS = 12
# Streamlit sees a visitor's new input (a pending rerun) only when the script reaches a yield point, never
# while it sleeps: the page's waits look every CHECK_S, so an input never waits out a pause.
CHECK_S = 0.01
# A rerun that starts within SETTLE_S of the one before it is part of a burst (a key held down, quick
# clicks): it gives the next input until SETTLE_S after its own start to arrive before it trains, so the
# runs in between cost the worker and the browser nothing, and the chart moves once the burst pauses. A
# browser busy drawing reruns sends a held key's inputs 70-100 ms apart here: at 0.06 s no run was caught,
# each one was drawn, and the burst's last run painted 281 ms after the last key; at 0.1 s, 221 ms.
SETTLE_S = 0.1
RERUN_AT = "rerun-at"
PREVIOUS_RERUN_AT = "previous-rerun-at"
# How long a thread may hold the GIL while another waits (Python's default: 5 ms). The event loop thread
# answers every visitor (health checks, websockets) between the script threads' Python work; each message it
# sends waits for the GIL once, so during a burst of reruns 1 ms halves its p99 latency (32 -> 16 ms).
SWITCH_S = 0.001


@dataclass(frozen=True, eq=False)
class ShownRun:
    """A run as the page keeps it between reruns: enough to draw it again without retraining."""

    run_id: str
    settings: Settings
    data_identity: str  # which points it fitted (an uploaded file has no settings of its own)
    values: np.ndarray  # rows × columns, float32, read-only
    columns: tuple[str, ...]  # the trainer's Block columns (linreg_core.trainer.COLUMNS, told by the worker)
    status: texts.Status
    code: Code  # how it ended, for the chart (and a retry) to act on
    background: str  # the key of the background it was drawn on


@dataclass(frozen=True, eq=False)
class PinnedRun:
    """A finished run kept for comparison: its settings, its background, and its curves, decimated."""

    settings: Settings
    background: str
    steps: np.ndarray
    loss: np.ndarray
    w0: np.ndarray
    w1: np.ndarray


# ---- shared, stateless resources ---------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def training_service() -> TrainingService:
    """One training worker per server, started with the first visit (TensorFlow loads meanwhile). The
    server's own memory and threads are set up at the same time, once (see memory.py, SWITCH_S)."""
    memory.tune_allocator()
    memory.freeze_imports()
    sys.setswitchinterval(SWITCH_S)
    return TrainingService()


# ---- sections ----------------------------------------------------------------------------------


def controls_sidebar() -> tuple[Settings, Chosen]:
    """The sidebar: every setting, the data's own controls, the learning rate's place against the data's
    limits, Run again. Returns the settings and the points they choose."""
    chart.pulse()
    st.session_state[PREVIOUS_RERUN_AT] = st.session_state.get(RERUN_AT, -math.inf)
    st.session_state[RERUN_AT] = time.monotonic()
    settings = controls.sidebar(
        after={"data": data_choice.upload_controls, "lr": _lr_extras}, titles={"data": data_choice.title_of}
    )
    st.sidebar.button(
        "Run again", key=AGAIN, type="primary", width="stretch", help="Train and animate this run once more."
    )
    controls.write_url(settings)
    return settings, data_choice.choose(settings)


def _lr_extras(where, values: dict) -> None:
    """Under the learning rate: where it sits for this data, and quick choices on either side of the
    critical rate (a slider grid cannot land just above it)."""
    # the settings drawn further down (the optimizer, the scaling) hold their last values in session state
    later = {name: st.session_state[name] for name, *_ in knobs() if name in st.session_state}
    probe = Settings.from_mapping({**later, **values})
    chosen = data_choice.choose(probe)
    if chosen.data is None:
        return
    t = data_choice.theory_for(chosen, probe)
    where.caption(texts.stability_note(t))
    if t.bound.lr is None:
        return
    picks = {"critical × 0.95": 0.95 * t.bound.lr, "critical × 1.05": 1.05 * t.bound.lr}
    if probe.optimizer == "gd":
        picks = {"best": t.fit.best_lr, **picks}
    row = where.container(horizontal=True, gap="small")
    lo, hi = next((k.lo, k.hi) for name, _, _, k in knobs() if name == "lr")
    for label, rate in picks.items():
        rate = min(max(float(f"{rate:.4g}"), lo), hi)  # within the setting's range
        row.button(
            label, key=f"lr-pick-{label}", on_click=_set_lr, args=(rate,), width="content",
            help=f"Set the learning rate to {rate:g}.",
        )  # fmt: skip


def _set_lr(rate: float) -> None:
    st.session_state["lr"] = rate


def url_notices() -> None:
    notices = st.session_state.get(controls.NOTICES)
    if notices:
        st.warning(
            "Some settings in this link could not be used as given:  \n" + controls.notices_text(notices),
            icon=":material/link:",
        )


def about_data(settings: Settings, chosen: Chosen) -> RunTheory | None:
    """What the points are and what theory says of this run on them (None while there are no points)."""
    data_choice.describe(chosen)
    if chosen.data is None:
        return None
    t = data_choice.theory_for(chosen, settings)
    note = texts.scaling_note(chosen.data, t)
    if note:
        st.info(note, icon=":material/straighten:")
    return t


def run_chart(settings: Settings, chosen: Chosen, t: RunTheory | None, service: TrainingService) -> None:
    """The run chart: the visitor's current run, trained and streamed now if it is not the one shown."""
    data = chosen.data
    if data is None:
        if chosen.error:  # a file's own words (its name): escaped, never markup
            st.error(controls.escape_markdown(chosen.problem), icon=":material/error:")
        else:
            st.info(chosen.problem or "No data.", icon=":material/upload_file:")
        return
    view = chart.mount(texts.chart_words(), texts.chart_unavailable)
    if view is None:
        return
    feed = chart.Feed()
    background = view_model.background(t, data, chosen.points)
    captions = texts.captions(t, data)
    pins = view_model.pins(_labelled(st.session_state.get(PINS, []), settings))
    shown: ShownRun | None = st.session_state.get(RUN)
    again = st.session_state.get(AGAIN, False)
    problem = texts.budget_problem(settings, data.n)
    if problem is not None:
        refused = f"refused-{background['key']}-{settings.steps}"
        status = view_model.status_message(texts.Status("error", problem), Code.REFUSED)
        feed.show(background, view_model.header(refused, t, data, background["key"], None, status=status,
                                                captions=captions), pins)  # fmt: skip
        return
    # back from a lost connection, the chart asks again for a run that was cut short
    again = again or (view.get("retry") is not None and shown is not None and shown.code in RETRY_CODES)
    if shown is not None and shown.settings == settings and shown.data_identity == chosen.identity and not again:
        status = view_model.status_message(shown.status, shown.code)
        header = view_model.header(shown.run_id, t, data, background["key"], shown.columns, captions=captions,
                                   status=status, records=shown.values)  # fmt: skip
        feed.show(background, header, pins)
        return
    _train(settings, chosen, t, service, feed, (background, captions, pins))


def _trace(event: str, run: str, ago: float = 0.0) -> None:
    """A timeline entry for the benchmarks (GTL_TRACE): now, or `ago` seconds before now."""
    if TRACE:
        print(json.dumps([(time.time() - ago) * 1000, event, run]), file=sys.stderr, flush=True)


def _checkpoint() -> None:
    """A yield point: Streamlit raises a visitor's pending rerun or stop here (it does so whenever the script
    touches session state or sends an element), so waiting for the worker never delays a new input. No
    documented API does this; tests/e2e/test_streamlit_assumptions.py fails if a Streamlit release changes it."""
    _ = RUN in st.session_state


def _nap(seconds: float) -> None:
    """Sleep, looking for a visitor's new input now and every CHECK_S (it interrupts this run here)."""
    end = time.monotonic() + seconds
    _checkpoint()
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(CHECK_S, left))
        _checkpoint()


def _settle() -> None:
    """Inside a burst of inputs, give the next one a moment to arrive."""
    started = st.session_state.get(RERUN_AT, -math.inf)
    if started - st.session_state.get(PREVIOUS_RERUN_AT, -math.inf) < SETTLE_S:
        _nap(started + SETTLE_S - time.monotonic())


def _train(
    settings: Settings, chosen: Chosen, t: RunTheory, service: TrainingService, feed: chart.Feed, shown: tuple
) -> None:
    data = chosen.data
    background, captions, pins = shown
    _settle()
    previous: Job | None = st.session_state.get(JOB)
    if previous is not None:
        previous.cancel()  # before the new job is submitted: the worker stops the old run first
    job = service.submit(settings, data if chosen.uploaded else None)
    st.session_state[JOB] = job
    _trace("rerun", job.id, ago=time.monotonic() - st.session_state.get(RERUN_AT, time.monotonic()))
    _trace("submitted", job.id)
    warning = texts.live_warning(t)
    waiting = None if service.ready else "Starting TensorFlow (a few seconds, once per server)…"
    header = view_model.header(job.id, t, data, background["key"], service.columns, waiting=waiting,
                               captions=captions, warning=warning.to_dict() if warning else None)  # fmt: skip
    feed.show(background, header, pins)
    _trace("mounted", job.id)
    blocks: list[np.ndarray] = []
    have, next_send, complete = 0, 0.0, False
    try:
        while True:
            _nap(next_send - time.monotonic())
            feed.alive()
            new, finished = job.wait(have, CHECK_S)
            if new:
                have += len(new)
                values = np.concatenate([v for _, v in new])
                blocks.append(values)
                feed.send(view_model.feed(job.id, new[0][0], values, job.columns))
                _trace("fed", job.id)
                next_send = time.monotonic() + 1 / FEED_FPS
            elif finished:
                break
        complete = True
    finally:
        columns = job.columns or service.columns or ("loss", "w0", "w1")
        values = np.concatenate(blocks) if blocks else np.empty((0, len(columns)), np.float32)
        values.setflags(write=False)
        outcome = job.outcome
        if not complete:
            job.cancel()
        status, code = _status(t, values, outcome, stopped=not complete)
        st.session_state[RUN] = ShownRun(job.id, settings, chosen.identity, values, columns, status, code,
                                         background["key"])  # fmt: skip
    feed.send(view_model.end(job.id, view_model.status_message(status, code)))


def _status(t: RunTheory, values, outcome, *, stopped: bool) -> tuple[texts.Status, Code]:
    if outcome is not None and outcome.kind == "error":
        return texts.Status("error", f"Training failed: {outcome.message}."), Code.FAILED
    divergence = outcome.divergence if outcome is not None else None
    said = texts.run_status(t, values, divergence, stopped=stopped)
    return said, Code.STOPPED if stopped else Code.FINISHED


def _labelled(pinned: list[PinnedRun], current: Settings) -> list[tuple[str, PinnedRun]]:
    """Pinned runs with labels naming what differs among them and the current run (lr, optimizer, …)."""
    everyone = [p.settings for p in pinned] + [current]
    names = [name for name, *_ in knobs() if len({getattr(s, name) for s in everyone}) > 1] or ["lr"]
    out = []
    for i, p in enumerate(pinned, start=1):
        shown = [name for name in names if p.settings.applies(name)]
        label = f"#{i} " + ", ".join(f"{name.replace('_', ' ')} {format_value(getattr(p.settings, name))}"
                                     for name in shown)  # fmt: skip
        out.append((label, p))
    return out


def compare(settings: Settings, chosen: Chosen) -> None:
    """Pin the run shown to compare others with it: up to MAX_PINS, kept for the session."""
    shown: ShownRun | None = st.session_state.get(RUN)
    pinned: list[PinnedRun] = st.session_state.get(PINS, [])
    current = shown is not None and shown.settings == settings and shown.data_identity == chosen.identity
    row = st.container(horizontal=True, gap="small", vertical_alignment="center")
    can_pin = current and len(shown.values) > 0 and len(pinned) < MAX_PINS
    row.button(
        "Pin this run", key="pin", icon=":material/push_pin:", on_click=_pin, disabled=not can_pin,
        help=f"Keep this run's loss curve and path on the charts to compare the next ones with it (up to {MAX_PINS}).",
    )  # fmt: skip
    if pinned:
        row.button("Clear pins", key="unpin", icon=":material/clear_all:", on_click=_unpin)
        labels = [label for label, _ in _labelled(pinned, settings)]
        row.caption("Pinned: " + "; ".join(controls.escape_markdown(label) for label in labels))


def _pin() -> None:
    shown: ShownRun = st.session_state[RUN]
    idx = np.array(view_model.log_steps(len(shown.values), PIN_POINTS), dtype=np.int64)
    col = {name: shown.values[idx, i] for i, name in enumerate(shown.columns)}
    pin = PinnedRun(shown.settings, shown.background, idx.astype(np.float32), col["loss"], col["w0"], col["w1"])
    st.session_state[PINS] = [*st.session_state.get(PINS, []), pin][-MAX_PINS:]


def _unpin() -> None:
    st.session_state[PINS] = []


def take_home(settings: Settings, chosen: Chosen, t: RunTheory | None) -> None:
    """Downloads of the run shown, once it is the current settings' finished run."""
    shown: ShownRun | None = st.session_state.get(RUN)
    if chosen.data is None or shown is None or shown.settings != settings or shown.data_identity != chosen.identity:
        return
    downloads.offer(settings, chosen.data, t.train, shown.values, shown.columns)


def share(settings: Settings) -> None:
    """The same run elsewhere: a link to this page with its settings, and the command line."""
    with st.expander("Share or reproduce this run", icon=":material/share:"):
        query = urllib.parse.urlencode(settings.to_query())
        base = st.context.url or "http://localhost:8501/"
        st.caption("Link to this run (the address bar holds it too):")
        st.code(base + (f"?{query}" if query else ""), language=None)
        if settings.data == "csv":
            st.caption("The link says *your CSV*; the file itself stays with you. Whoever opens it uploads their own.")
        st.caption("The same run from the command line, printing the blog's table:")
        command = ["python -m linreg_core", *map(shlex.quote, settings.cli_args())]
        if settings.data == "csv":
            command.append("--csv your.csv")
        st.code(" ".join(command), language="bash")
