"""The messages the page sends the run chart: every kind, field and status code, declared once.

Python builds them (dashboard/view_model.py) and the browser reads them (js/*.js): the browser's constants
come from this module too (`js_constants`, published as schema.js beside the chart's modules), so a kind or
a code has one spelling. Each message is one JSON object in UTF-8 bytes, carried by a component element.
Arrays of numbers travel as base64 little-endian float32 ("f32" below); step indices as JSON integers.

A run's identity (`run`) is a random id per run, never a counter: the chart draws a block or an ending only
into the run whose header it shows. Nothing here is ever read as markup: the browser puts strings into the
page as text, and escapes them before Plotly sees them (titles, names, hover text).
"""

from __future__ import annotations

import json
import typing
from enum import StrEnum
from typing import Any, NotRequired, TypedDict


class Kind(StrEnum):
    VIEW = "view"  # the chart element itself: the sentences it fills in
    BACKGROUND = "background"  # one data set drawn on fixed axes, named by a content key
    PINS = "pins"  # the runs a visitor pinned for comparison
    HEADER = "header"  # one run: what it is drawn on, its length, and, when over, all of it
    FEED = "feed"  # the next block of a training run's records
    END = "end"  # how a training run ended: the last message of its run
    ALIVE = "alive"  # the page is working for this visitor (a script run, a wait for the worker)


class Code(StrEnum):
    """How a run stands, for the chart to act on (the `text` beside it is for people only)."""

    FINISHED = "finished"  # every update ran (converged, not there yet, or diverging: see the text)
    STOPPED = "stopped"  # cut short: a new input, a Stop, a lost connection
    FAILED = "failed"  # the training process reported an error, or went away
    REFUSED = "refused"  # not trained at all: over the shared server's work budget


# Runs the chart asks the page to train again once its connection is back (it may have been their cause).
RETRY_CODES = (Code.STOPPED, Code.FAILED)
# While a run streams, the page shows it is alive at least this often, and the chart calls a run whose page
# stays silent for STALL_S stopped (or its connection lost, when the server does not answer either).
HEARTBEAT_S = 0.5
STALL_S = 2.5
# How often the chart asks for a rerun once it has seen its connection come back, and for how long.
RETRY_EVERY_S = 1.0
RETRY_FOR_S = 60.0
# Each server process publishes a file named SERVER_PREFIX + its id + ".txt" beside the chart's folder
# (assets.py); a header names its server, and the chart fetches that file to learn whether its run's server
# still answers ("not found": another server, restarted in the meantime, answers in its place).
SERVER_PREFIX = "gtl-server-"


class Said(TypedDict):
    kind: str  # "success", "info", "warning" or "error": the colour of the status line
    text: str  # the sentence shown
    step: NotRequired[int | None]  # the record the sentence speaks of (a run's last), None when none


class Status(Said):
    code: str  # a Code: how the run stands, for the chart to act on
    cause: NotRequired[str]  # for a failed run, why (dashboard.training's codes): the page decides on a retry


class LegendEntry(TypedDict):
    key: str  # which swatch: a key of the chart's legend styles (js/legend.js)
    label: str  # the words beside it


class Moments(TypedDict):
    """All the full-batch loss and gradient of any line depend on (the five sums n, Σx, Σy, Σx², Σxy and Σy²,
    kept centred: linreg_core.analysis.Moments), of the points as trained on, in the trained coordinates."""

    n: int
    mean_x: float
    mean_y: float
    var_x: float
    cov_xy: float
    var_y: float


class Landscape(TypedDict):
    w0: list[float]  # the grid's first and last w0 (columns), in the coordinates drawn
    w1: list[float]  # the grid's first and last w1 (rows)
    size: int  # grid points a side
    log_gap: str  # f32, size × size row-major: log10 of the loss gap to the optimum
    titles: list[str]  # the axis titles [w0's, w1's]
    # Weights (w0, w1) in x's own units are drawn at (w0·scale, w1 + w0·shift): the coordinates the grid is
    # in (1 and 0, the identity, when absent). Records, the start and the optimum are all mapped alike.
    shift: NotRequired[float]
    scale: NotRequired[float]
    standardised: NotRequired[bool]  # whether the grid's weights are those of standardised x
    optimum: NotRequired[list[float]]  # the optimum in the grid's coordinates
    moments: Moments  # the bowl drawn, exactly: the browser computes full-batch paths on it (js/physics.js)


class Points(TypedDict):
    x: str  # f32: the points drawn (all of them, or a seeded sample)
    y: str  # f32
    shown: int  # how many are drawn
    n: int  # how many the run trains on


class View(TypedDict):
    kind: str  # Kind.VIEW
    words: dict[str, str]  # sentence templates by state; {name} marks a number the chart fills in


class Background(TypedDict):
    kind: str  # Kind.BACKGROUND
    key: str  # a hash of everything below: a header names the background its run is drawn on
    total: int  # records of the runs drawn on it (steps + 1): the step axes
    points: Points
    labels: list[str]  # [x's, y's] axis titles (from a file: column names; shown as text, never markup)
    x_range: list[float]  # the data panel's x axis
    y_span: list[float]  # the values its y axis holds for every run (view_model.fit_axes), and how far a
    y_clip: list[float]  # run's own starting line may widen it (the header's y_range: view_model.run_y_range)
    true: list[float] | None  # [w0, w1] of the line that made the points, when one did
    optimum: list[float]  # least-squares [w0, w1] of the points trained on, in x's own units
    loss_star: float
    landscape: Landscape
    held_out: bool  # whether a share of the points is held out (a held-out loss is drawn)


class Steps(TypedDict):
    live: list[int]  # record indices the live chart steps through first (log-spaced: the fast start shows)
    curve: list[int]  # record indices the curves are drawn at (log-spaced)


class Exact(TypedDict):
    """A run the browser can compute exactly from the moments: full batch, an update rule linear in the
    weights (js/physics.js has each such rule of the registry, linreg_core/optimizers.py)."""

    rule: str  # the optimizer's key
    beta: float  # the velocity's β of a rule that keeps one (0 for gradient descent)


class Records(TypedDict):
    first: int  # the step of the first row
    rows: int
    values: str  # f32, rows × len(columns) row-major


class Tape(TypedDict):
    """What the run's tape did each update, for the chart's "step under the microscope" (js/microscope.js)."""

    blog: bool  # plain gradient descent: the update is the blog's two assign_sub lines, lr·dw
    rule: str  # otherwise the optimizer's name in a sentence, and how it turns dw into a step
    summary: str
    names: list[str]  # the weights the tape holds: ["w0", "w1"], or ["v0", "v1"] for standardised x
    scale: float  # record (w0, w1) in x's own units is (w0·scale, w1 + w0·shift) in the tape's weights
    shift: float
    batch: int | None  # points per update when they are mini-batches (the tape's loss is that batch's)


class Header(TypedDict):
    kind: str  # Kind.HEADER
    run: str
    background: str  # the key of the background it is drawn on
    total: int  # records it will have (steps + 1)
    columns: list[str] | None  # the names of a record's values (unknown while the worker starts)
    lr: float
    bound: float | None  # the largest stable rate for its optimizer, when one is known
    predicted: str | None  # f32 at steps.curve: theory's loss gap, when theory predicts it exactly
    exact: Exact | None  # how the browser computes this run's path itself; None when it cannot (why: below)
    no_preview: str | None  # why no predicted path is drawn for this run (a mini-batch, an adaptive rule)
    start_grid: list[float]  # [lo, hi, step] of the starting weights' settings, in x's own units
    lr_grid: list[float]  # [lo, hi] of the learning rate's setting: the rate strip's range (js/ratestrip.js)
    momentum_grid: list[float]  # [lo, hi, step] of the momentum β's setting: the rate map's (js/ratemap.js)
    steps: Steps
    captions: dict[str, str]  # panel -> what to look for
    legends: dict[str, list[LegendEntry]]  # panel -> one entry per thing drawn there, nothing else
    status: Status | None  # how it ended, when it already has (a finished run shown again, a refused one)
    waiting: str | None  # said before its first block (the worker is starting)
    warning: Said | None  # said while it trains (a rate past the stability bound)
    tape: Tape
    init: list[float]  # the starting [w0, w1] (in the header: a start moved within the view keeps the background)
    start: list[float]  # the same in the landscape's coordinates
    start_loss: float
    y_range: list[float]  # the data panel's y axis for this run (its starting line in view)
    records: NotRequired[Records]  # every record, when it already ended
    server: NotRequired[str]  # the server process that sent it (assets.server_id): its file tells a restart


class Pin(TypedDict):
    label: str  # what differs from the other runs (from settings: never from a file)
    background: str  # the key of the background it was trained on (its path is drawn only on that one)
    steps: str  # f32 record indices (log-spaced)
    loss: str  # f32 at those steps
    w0: str
    w1: str


class Pins(TypedDict):
    kind: str  # Kind.PINS
    pins: list[Pin]


class Feed(TypedDict):
    kind: str  # Kind.FEED
    run: str
    columns: list[str]
    first: int
    rows: int
    values: str  # f32, rows × len(columns)


class End(TypedDict):
    kind: str  # Kind.END
    run: str
    status: Status


class Alive(TypedDict):
    kind: str  # Kind.ALIVE
    beat: int  # changes with each one, so each reaches the chart
    run: NotRequired[str]  # the run the page is streaming (none at the top of a script run)


MESSAGES: dict[str, type] = {
    Kind.VIEW: View, Kind.BACKGROUND: Background, Kind.PINS: Pins, Kind.HEADER: Header, Kind.FEED: Feed,
    Kind.END: End, Kind.ALIVE: Alive,
}  # fmt: skip


def problems(message: dict[str, Any]) -> list[str]:
    """What in `message` does not follow this schema (empty when it does): for tests and tools."""
    kind = message.get("kind")
    if kind not in MESSAGES:
        return [f"unknown kind {kind!r}"]
    return _check(message, MESSAGES[kind], kind)


def _check(value: Any, shape: Any, where: str) -> list[str]:
    origin, args = typing.get_origin(shape), typing.get_args(shape)
    if shape is Any:
        return []
    if origin is typing.Union or (origin is not None and type(None) in args):  # X | None
        if value is None and type(None) in args:
            return []
        (inner,) = [a for a in args if a is not type(None)]
        return _check(value, inner, where)
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        return [p for i, v in enumerate(value) for p in _check(v, args[0], f"{where}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        return [p for k, v in value.items() for p in _check(v, args[1], f"{where}.{k}")]
    if typing.is_typeddict(shape):
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        hints = typing.get_type_hints(shape, include_extras=True)
        optional = {k for k, hint in hints.items() if typing.get_origin(hint) is NotRequired}
        out = [f"{where}: missing {k}" for k in hints if k not in value and k not in optional]
        out += [f"{where}: unknown field {k}" for k in value if k not in hints]
        for k, v in value.items():
            if k in hints:
                out += _check(v, _unwrap(hints[k]), f"{where}.{k}")
        return out
    if shape is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{where}: expected a number, got {value!r}"]
    if shape is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{where}: expected an integer, got {value!r}"]
    return [] if isinstance(value, shape) else [f"{where}: expected {shape.__name__}, got {type(value).__name__}"]


def _unwrap(hint: Any) -> Any:
    return typing.get_args(hint)[0] if typing.get_origin(hint) is NotRequired else hint


def js_constants() -> str:
    """The browser's copy of the constants above, as an ES module (published beside the chart's modules)."""
    constants = {
        "KIND": {k.name: k.value for k in Kind},
        "CODE": {c.name: c.value for c in Code},
        "RETRY_CODES": [c.value for c in RETRY_CODES],
        "HEARTBEAT_MS": HEARTBEAT_S * 1000,
        "STALL_MS": STALL_S * 1000,
        "RETRY_EVERY_MS": RETRY_EVERY_S * 1000,
        "RETRY_FOR_MS": RETRY_FOR_S * 1000,
        "SERVER_PREFIX": SERVER_PREFIX,
    }
    lines = ["// Generated from dashboard/chart/schema.py when the page publishes the chart: edit that file."]
    for name, value in constants.items():
        frozen = f"Object.freeze({json.dumps(value)})" if isinstance(value, dict | list) else json.dumps(value)
        lines.append(f"export const {name} = {frozen};")
    return "\n".join(lines) + "\n"
