"""The page's sections, called in order by app.py. Streamlit-facing; the engine does the math.

Per-visitor state lives in st.session_state: the run shown (`RUN`, a `ShownRun`), the run it follows
(`JOB`, a shared_runs.Watch) and an uploaded file (see data_choice.py). Shared across visitors: the
training service and the shared runs (thread-safe; an uploaded file's runs are never shared), and cached
data sets and analyses (immutable values keyed by the settings that make them).
"""

from __future__ import annotations

import json
import math
import os
import shlex
import sys
import time
import urllib.parse
import uuid
from dataclasses import dataclass

import numpy as np
import streamlit as st

from linreg_core import export
from linreg_core.claims import Claims, claims
from linreg_core.prepare import held_out_count
from linreg_core.settings import BATCH_STOPS, DESCENT, Settings, data_defaults, knobs

from . import controls, data_choice, downloads, memory, pins, service, texts, training, view_model
from .chart import component as chart
from .chart.schema import Code
from .data_choice import Chosen
from .shared_runs import SharedRuns, Watch, own
from .training import Outcome, TrainingService

TRACE = bool(os.environ.get("GTL_TRACE"))  # benchmarks: a timeline of each run on stderr, as JSON lines
RUN = "shown-run"
PINS = "pinned-runs"  # a list of pins.PinnedRun
PIN_POINTS = 400  # points of a pinned run's curves: log-spaced, so its fast start keeps its shape
JOB = "training-job"
AGAIN = "run-again"
CLAIMS = "run-claims"  # (settings and points, their Claims): computed once per rerun
RAW_CLAIMS = "raw-x-claims"  # the same, of the run on the raw x (the data's default standardises it)
RAW_X = "raw-x"
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
    cause: str | None  # why a failed run failed (training's codes), else None
    background: str  # the key of the background it was drawn on
    loss_star: float  # the least-squares loss of the points it trained on (a pin's result measures against it)


# ---- shared, stateless resources ---------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def training_service() -> TrainingService:
    """One training worker per server (service.py starts it first thing, so TensorFlow loads meanwhile).
    The server's own memory and threads are set up once, after the page's imports (see memory.py, SWITCH_S)."""
    memory.tune_allocator()
    memory.freeze_imports()
    sys.setswitchinterval(SWITCH_S)
    return service.training_service()


@st.cache_resource(show_spinner=False)
def shared_runs() -> SharedRuns:
    return SharedRuns()


# ---- sections ----------------------------------------------------------------------------------


def controls_panel() -> tuple[Settings, Chosen]:
    """The run's controls above the chart (the learning rate first, with its place against the data's
    limits, Run again and quick choices under it; beside it steps and batch size, the optimizer and its
    parameters), the data's in the sidebar. On a phone the rate stacks above the rest and the sidebar
    stays closed, so the rate, Run again and the live chart share a screen. Returns the settings and the
    points they choose."""
    chart.pulse()
    st.session_state[PREVIOUS_RERUN_AT] = st.session_state.get(RERUN_AT, -math.inf)
    st.session_state[RERUN_AT] = time.monotonic()
    rate, rest = st.columns([5, 8], gap="medium")
    length, optimizer = rest.columns(2, gap="medium", wrap=False)  # side by side even on a phone
    run_own = {"lr": rate, "steps": length, "batch_size": length}
    places = {name: run_own.get(name, optimizer) for name, *_, k in knobs() if k.group == DESCENT}
    settings = controls.draw(
        places=places,
        keep=(pins.PARAM,),
        after={"data": data_choice.upload_controls, "lr": _lr_extras},
        titles={"data": data_choice.title_of},
        grids={"batch_size": _batch_sizes},
        changed={"data": _data_changed},
    )
    with st.sidebar:
        controls.dropped_address()
    _pins_from_address()
    controls.write_url(settings, {pins.PARAM: [pins.encode(p.settings) for p in st.session_state.get(PINS, [])]})
    return settings, data_choice.choose(settings)


def _claims_for(chosen: Chosen, settings: Settings) -> Claims:
    """Every claim about the run these settings make on these points, computed once per rerun (the rate's
    note and the page's texts read the same object)."""
    key = (settings, chosen.identity)
    memo = st.session_state.get(CLAIMS)
    if memo is None or memo[0] != key:
        memo = (key, claims(data_choice.theory_for(chosen, settings)))
        st.session_state[CLAIMS] = memo
    return memo[1]


def _lr_extras(where, values: dict) -> None:
    """Under the learning rate: where it sits for this data, then Run again and quick choices on either
    side of the critical rate (a slider grid cannot land just above it), in one row that wraps."""
    probe = _probe(values)
    chosen = data_choice.choose(probe)
    c = _claims_for(chosen, probe) if chosen.data is not None else None
    if c is not None:
        where.caption(texts.stability_note(c))
    row = where.container(horizontal=True, gap="small")
    row.button("Run again", key=AGAIN, type="primary", help="Train and animate this run once more.")
    for pick in c.picks if c is not None else ():  # each a rate inside the setting's range, as the texts name it
        row.button(
            pick.label, key=f"lr-pick-{pick.label}", on_click=_set_lr, args=(pick.lr,), width="content",
            help=f"Set the learning rate to {pick.lr:g}.",
        )  # fmt: skip


def _probe(values: dict) -> Settings:
    """The settings drawn so far; those declared further down hold their last values in session state."""
    later = {name: st.session_state[name] for name, *_ in knobs() if name in st.session_state}
    return Settings.from_mapping({**later, **values})


def _batch_sizes(values: dict) -> tuple[tuple, object] | None:
    """The batch size's stops for these points: below the number of training points, with 0 named "all (n)";
    a size at or above it is the full batch, so it becomes 0 before the widget is drawn."""
    probe = _probe(values)
    chosen = data_choice.choose(probe)
    if chosen.data is None:
        return None
    n_train = chosen.data.n - held_out_count(chosen.data.n, probe.test_fraction)
    if st.session_state.get("batch_size", 0) >= n_train:
        st.session_state["batch_size"] = 0
    stops = tuple(v for v in BATCH_STOPS if v < n_train)
    return stops, lambda v: f"all ({n_train:,})" if v == 0 else f"{v:,}"


def _data_changed() -> None:
    """A new data source starts on its own defaults (x standardised where the raw x would diverge)."""
    st.session_state.update(data_defaults(st.session_state["data"]))


def _set_lr(rate: float) -> None:
    st.session_state["lr"] = rate


def url_notices() -> None:
    notices = st.session_state.get(controls.NOTICES)
    if notices:
        st.warning(
            "Some settings in this link could not be used as given:  \n" + controls.notices_text(notices),
            icon=":material/link:",
        )


def about_data(settings: Settings, chosen: Chosen) -> Claims | None:
    """What the points are and what theory says of this run on them (None while there are no points)."""
    data_choice.describe(chosen)
    if chosen.data is None:
        return None
    c = _claims_for(chosen, settings)
    if _data_default_said(settings, chosen, c):
        return c
    note = texts.scaling_note(c, chosen.data)
    if note:
        st.info(note, icon=":material/straighten:")
    return c


def _data_default_said(settings: Settings, chosen: Chosen, c: Claims) -> bool:
    """When x is standardised because the data's default says so: why, and one click back to the raw x.
    Whether it was said (it stands for the scaling note then)."""
    if not settings.standardize or settings.non_default().get("standardize") is not None:
        return False
    key = (settings, chosen.identity)
    memo = st.session_state.get(RAW_CLAIMS)
    if memo is None or memo[0] != key:
        memo = (key, claims(data_choice.theory_for(chosen, settings.changed(standardize=False))))
        st.session_state[RAW_CLAIMS] = memo
    box = st.container(horizontal=True, gap="small", vertical_alignment="center")
    box.info(texts.data_default_note(memo[1], c, chosen.data.title), icon=":material/tune:", width="stretch")
    box.button(
        "Train on the raw x", key=RAW_X, on_click=_raw_x, icon=":material/undo:",
        help="Turn off *standardise x*: the run trains on x as the data gives it.",
    )  # fmt: skip
    return True


def _raw_x() -> None:
    st.session_state["standardize"] = False


def run_chart(settings: Settings, chosen: Chosen, c: Claims | None, service: TrainingService) -> None:
    """The run chart: the visitor's current run, trained and streamed now if it is not the one shown."""
    data = chosen.data
    if data is None:
        if chosen.error:  # a file's own words (its name): escaped, never markup
            st.error(controls.escape_markdown(chosen.problem), icon=":material/error:")
        else:
            st.info(chosen.problem or "No data.", icon=":material/upload_file:")
        return
    view = chart.mount(texts.chart_words(), texts.chart_unavailable, on_start=_start_from_chart, on_lr=_lr_from_chart,
                       on_rate=_rate_from_chart)  # fmt: skip
    if view is None:
        return
    feed = chart.Feed()
    background = view_model.background(c, data, chosen.points)
    captions = texts.captions(c, data)
    pinned = view_model.pins([(label, p) for label, p in pins.labelled(st.session_state.get(PINS, []), settings)
                              if p.drawn])  # fmt: skip
    shown: ShownRun | None = st.session_state.get(RUN)
    again = st.session_state.get(AGAIN, False)
    problem = texts.budget_problem(settings, data.n)
    if problem is not None:
        refused = f"refused-{background['key']}-{settings.steps}"
        status = view_model.status_message(texts.Status("error", problem), Code.REFUSED)
        feed.show(background, view_model.header(refused, c, background, None, status=status,
                                                captions=captions), pinned)  # fmt: skip
        return
    # back from a lost connection, the chart asks again for a run that was cut short
    again = again or (view.get("retry") is not None and shown is not None and _retryable(shown))
    if shown is not None and shown.settings == settings and shown.data_identity == chosen.identity and not again:
        status = view_model.status_message(shown.status, shown.code, shown.cause)
        header = view_model.header(shown.run_id, c, background, shown.columns, captions=captions,
                                   status=status, records=shown.values)  # fmt: skip
        feed.show(background, header, pinned)
        return
    _train(settings, chosen, c, service, feed, (background, captions, pinned))


def _start_from_chart() -> None:
    """The start dropped on the landscape becomes the starting weights' settings (the controls, the address and
    the command line follow), within their declared range and on their step."""
    start = (st.session_state.get(chart.KEY) or {}).get("start")
    if not isinstance(start, list) or len(start) != 2:
        return
    lo, hi, step = view_model.start_grid()
    for name, value in zip(("init_w0", "init_w1"), start, strict=True):
        if isinstance(value, int | float) and math.isfinite(value):
            st.session_state[name] = round(min(max(round(value / step) * step, lo), hi), 6)


def _lr_from_chart() -> None:
    """A rate chosen on the chart's rate strip becomes the learning rate, within its declared range."""
    rate = (st.session_state.get(chart.KEY) or {}).get("lr")
    lo, hi = view_model.lr_grid()
    if isinstance(rate, int | float) and math.isfinite(rate):
        st.session_state["lr"] = float(f"{min(max(rate, lo), hi):.4g}")


def _rate_from_chart() -> None:
    """A pair chosen on the chart's rate map becomes the learning rate and the momentum β, each within its
    declared range (β on its step)."""
    pair = (st.session_state.get(chart.KEY) or {}).get("rate")
    if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, int | float) for v in pair)):
        return
    rate, beta = pair
    lo, hi = view_model.lr_grid()
    blo, bhi, step = view_model.momentum_grid()
    if math.isfinite(rate) and math.isfinite(beta):
        st.session_state["lr"] = float(f"{min(max(rate, lo), hi):.4g}")
        st.session_state[view_model.velocity_setting()] = round(min(max(round(beta / step) * step, blo), bhi), 6)


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


def _follow(settings: Settings, chosen: Chosen, service: TrainingService) -> Watch:
    """The run of these settings: shared with every visitor who asks for it, unless its points are an
    uploaded file (those stay with their visitor)."""
    if chosen.uploaded:
        return own(service.submit(settings, chosen.data))
    return shared_runs().watch((chosen.identity, settings), lambda: service.submit(settings))


def _train(
    settings: Settings, chosen: Chosen, c: Claims, service: TrainingService, feed: chart.Feed, shown: tuple
) -> None:
    background, captions, pinned = shown
    _settle()
    previous: Watch | None = st.session_state.get(JOB)
    if previous is not None:
        previous.leave()  # before the new job is submitted: the worker stops the old run first
    watch = _follow(settings, chosen, service)
    st.session_state[JOB] = watch
    source, run_id = watch.source, uuid.uuid4().hex
    _trace("rerun", run_id, ago=time.monotonic() - st.session_state.get(RERUN_AT, time.monotonic()))
    _trace("submitted" if watch.started else "replayed" if watch.replay else "followed", run_id)
    warning = texts.live_warning(c)
    waiting = None if service.ready or watch.replay else "Starting TensorFlow (a few seconds, once per server)…"
    header = view_model.header(run_id, c, background, source.columns or service.columns, waiting=waiting,
                               captions=captions, warning=warning.to_dict() if warning else None)  # fmt: skip
    feed.show(background, header, pinned)
    _trace("mounted", run_id)
    blocks: list[np.ndarray] = []
    have, next_send, complete, outcome = 0, 0.0, False, None
    news_by = time.monotonic() + training.NO_NEWS_S  # every wait has an end, whatever the worker does
    try:
        while True:
            _nap(next_send - time.monotonic())
            feed.alive()
            new, finished = source.wait(have, CHECK_S)
            if new:
                have += len(new)
                values = np.concatenate([v for _, v in new])
                blocks.append(values)
                feed.send(view_model.feed(run_id, new[0][0], values, source.columns))
                _trace("fed", run_id)
                next_send = time.monotonic() + 1 / FEED_FPS
                news_by = time.monotonic() + training.NO_NEWS_S
            elif finished:
                outcome = source.outcome
                break
            elif time.monotonic() > news_by:
                outcome = training.failure(training.NO_NEWS)
                break
        complete = True
    finally:
        columns = source.columns or service.columns or ("loss", "w0", "w1")
        values = np.concatenate(blocks) if blocks else np.empty((0, len(columns)), np.float32)
        values.setflags(write=False)
        watch.leave()  # a job nobody follows any more stops; a finished one is kept for the next visitor
        status, code, cause = _status(c, values, outcome, stopped=not complete)
        st.session_state[RUN] = ShownRun(run_id, settings, chosen.identity, values, columns, status, code, cause,
                                         background["key"], c.loss_star)  # fmt: skip
    feed.send(view_model.end(run_id, view_model.status_message(status, code, cause)))


def _status(c: Claims, values, outcome: Outcome | None, *, stopped: bool) -> tuple[texts.Status, Code, str | None]:
    """How the run ended: in words, as the chart's code, and (failed) why."""
    if outcome is not None and outcome.kind == "error":
        said = texts.Status("error", f"Training failed: {outcome.message}.", len(values) - 1)
        return said, Code.FAILED, outcome.code
    divergence = outcome.divergence if outcome is not None else None
    return texts.run_status(c, values, divergence, stopped=stopped), Code.STOPPED if stopped else Code.FINISHED, None


def _retryable(shown: ShownRun) -> bool:
    """Whether a run cut short is worth training again once the chart's connection is back: one that was
    stopped, or failed for the worker's sake (not one the worker could not train)."""
    return shown.code == Code.STOPPED or (shown.code == Code.FAILED and shown.cause in training.RETRY_CODES)


def _diverged_at(status: texts.Status, code: Code) -> int | None:
    """The step a finished run was judged diverging at (its status says so, in red), else None."""
    return status.step if code == Code.FINISHED and status.kind == "error" else None


def _pins_from_address() -> None:
    """The address's pins, read with its settings (on a visitor's first run, and Back or Forward); those not
    trained already wait for restore_pins."""
    kept = st.session_state.pop(controls.URL_KEPT, None)
    if kept is None:  # the address was not read this run
        return
    pinned, notices = pins.read(kept.get(pins.PARAM, []))
    trained = {p.settings: p for p in st.session_state.get(PINS, []) if p.drawn}  # Back to pins seen: no retraining
    st.session_state[PINS] = [trained.get(p.settings, p) for p in pinned]
    st.session_state[controls.NOTICES] = [*st.session_state.get(controls.NOTICES, []), *notices]


def restore_pins(service: TrainingService) -> None:
    """Train the pins that have no curves yet (read from an address): each one's run, shared like any other,
    followed to its end within the page's deadline. A pin whose points are not at hand (an uploaded file's,
    before the file is chosen) waits for them."""
    pinned: list[pins.PinnedRun] = st.session_state.get(PINS, [])
    if all(p.drawn for p in pinned):
        return
    restored = []
    with st.spinner("Training the pinned runs of this link…"):
        for p in pinned:
            restored.append(p if p.drawn else _restored(p, service) or p)
    st.session_state[PINS] = restored


def _restored(p: pins.PinnedRun, service: TrainingService) -> pins.PinnedRun | None:
    chosen = data_choice.choose(p.settings)
    if chosen.data is None or texts.budget_problem(p.settings, chosen.data.n) is not None:
        return None
    c = claims(data_choice.theory_for(chosen, p.settings))
    watch = _follow(p.settings, chosen, service)
    blocks, have, outcome = [], 0, None
    news_by = time.monotonic() + training.NO_NEWS_S
    try:
        while outcome is None and time.monotonic() < news_by:
            new, finished = watch.source.wait(have, CHECK_S)
            _checkpoint()
            if new:
                have += len(new)
                blocks += [v for _, v in new]
                news_by = time.monotonic() + training.NO_NEWS_S
            elif finished:
                outcome = watch.source.outcome
    finally:
        watch.leave()
    if outcome is None or outcome.kind != "done" or not blocks:
        return None
    values, columns = np.concatenate(blocks), watch.source.columns or service.columns
    status, code, _ = _status(c, values, outcome, stopped=False)
    background = view_model.background(c, chosen.data, chosen.points)["key"]
    result = pins.result(values, columns, c.loss_star, _diverged_at(status, code))
    return pins.trained(p.settings, background, values, columns, result, PIN_POINTS)


def compare(settings: Settings, chosen: Chosen) -> None:
    """Pin the run shown to compare others with it: up to pins.MAX_PINS, kept in the address (so a reload
    or a shared link keeps them too), with a table of what each did."""
    shown: ShownRun | None = st.session_state.get(RUN)
    pinned: list[pins.PinnedRun] = st.session_state.get(PINS, [])
    current = shown is not None and shown.settings == settings and shown.data_identity == chosen.identity
    row = st.container(horizontal=True, gap="small", vertical_alignment="center")
    can_pin = current and len(shown.values) > 0 and shown.code == Code.FINISHED and len(pinned) < pins.MAX_PINS
    row.button(
        "Pin this run", key="pin", icon=":material/push_pin:", on_click=_pin, disabled=not can_pin,
        help=f"Keep this run's loss curve and path on the charts to compare the next ones with it (up to "
        f"{pins.MAX_PINS}). Pins are kept in the page's address.",
    )  # fmt: skip
    if pinned:
        row.button("Clear pins", key="unpin", icon=":material/clear_all:", on_click=_unpin)
        st.table(texts.pins_table(pinned, pins.differences(pinned, settings)), border="horizontal", hide_index=True)


def _pin() -> None:
    shown: ShownRun = st.session_state[RUN]
    values = shown.values
    result = pins.result(values, shown.columns, shown.loss_star, _diverged_at(shown.status, shown.code))
    pin = pins.trained(shown.settings, shown.background, values, shown.columns, result, PIN_POINTS)
    st.session_state[PINS] = [*st.session_state.get(PINS, []), pin][-pins.MAX_PINS :]


def _unpin() -> None:
    st.session_state[PINS] = []


def take_home(settings: Settings, chosen: Chosen, c: Claims | None) -> None:
    """Downloads of the run shown, once it is the current settings' finished run."""
    shown: ShownRun | None = st.session_state.get(RUN)
    if chosen.data is None or shown is None or shown.settings != settings or shown.data_identity != chosen.identity:
        return
    downloads.offer(c, chosen.data, shown.values, shown.columns)


def share(settings: Settings) -> None:
    """The same run elsewhere: a link to this page with its settings, and the command line."""
    with st.expander("Share or reproduce this run", icon=":material/share:"):
        pinned = [(pins.PARAM, pins.encode(p.settings)) for p in st.session_state.get(PINS, [])]
        query = urllib.parse.urlencode([*settings.to_query().items(), *pinned])
        base = st.context.url or "http://localhost:8501/"
        st.caption("Link to this run" + (" and its pins" if pinned else "") + " (the address bar holds it too):")
        st.code(base + (f"?{query}" if query else ""), language=None)
        if settings.data == "csv":
            st.caption("The link says *your CSV*; the file itself stays with you. Whoever opens it uploads their own.")
        data, header = None, True
        if settings.data == "csv":
            data = data_choice.choose(settings).data
            upload = st.session_state.get(data_choice.TABLE)
            header = getattr(upload.table if upload is not None else None, "header", True)
            if data is None:
                st.caption("Choose a CSV file to get the command that fits it.")
                return
        st.caption(
            "The same run from the command line, printing the blog's table"
            + (" (run it where your file is):" if data is not None else ":")
        )
        st.code(shlex.join(export.command(settings, data, header=header)), language="bash")
