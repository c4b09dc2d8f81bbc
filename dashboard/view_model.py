"""What the run chart (dashboard/chart) is sent: plain, JSON-ready dicts built from engine values, in the
shapes dashboard/chart/schema.py declares.

A data set's *background* (points, reference lines, landscape, axes) is drawn once; a run's *header* says
what it is drawn on, its length, its legends and, when it already finished, every record and how it ended;
*feed* blocks carry its records while it trains and an *end* says how it ended. Runs are tagged with their
identity (a random id per run, never a counter), and the chart draws a block only into the run whose header
it shows. Arrays travel as base64 float32 (the trainer's own precision: nothing is lost, and a 10,001-step
run is ~270 KB instead of ~700 KB of JSON text).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from linreg_core import optimizers
from linreg_core.analysis import landscape as loss_landscape
from linreg_core.analysis import landscape_grid
from linreg_core.claims import Claims
from linreg_core.data import Dataset
from linreg_core.settings import Settings, knobs

from . import texts
from .chart import schema

MAX_SAMPLE = 5000  # points drawn; training always uses every point
SAMPLE_SEED = 0


def encode(values: np.ndarray) -> str:
    """Little-endian float32 bytes, base64: what the chart decodes into a Float32Array."""
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


def decode(text: str, columns: int = 1) -> np.ndarray:
    """The inverse of `encode` (for tests and tools)."""
    flat = np.frombuffer(base64.b64decode(text), dtype="<f4")
    return flat.reshape(-1, columns) if columns > 1 else flat


@dataclass(frozen=True, eq=False)
class Drawn:
    """What the data panel needs of a data set, worked out once per data set (a pass over a million points
    is too slow for every rerun): the points drawn, and the extent of all of them."""

    x: np.ndarray
    y: np.ndarray
    x_min: float
    x_max: float
    y_min: float
    y_max: float


def drawn(data: Dataset, max_points: int = MAX_SAMPLE, seed: int = SAMPLE_SEED) -> Drawn:
    """All the points, or a seeded random subset (in data order) when there are more than `max_points`."""
    xs, ys = data.x, data.y
    if data.n > max_points:
        idx = np.sort(np.random.default_rng(seed).choice(data.n, size=max_points, replace=False))
        xs, ys = xs[idx], ys[idx]
    return Drawn(xs, ys, float(data.x.min()), float(data.x.max()), float(data.y.min()), float(data.y.max()))


def fit_axes(data: Dataset, points: Drawn, optimum: tuple[float, float]) -> dict[str, list[float]]:
    """The data panel's axes, for its background: x over the points; the values y must hold (the points, and
    the default starting line, the least-squares line and the true one at both ends of x), and how far a
    starting line may widen them (one span of the points each way, so the points never flatten).
    `run_y_range` makes each run's own vertical axis from them."""
    x0, x1 = _padded(points.x_min, points.x_max)
    lo, hi = points.y_min, points.y_max
    reach = max(hi - lo, 1.0)
    clip = [lo - reach, hi + reach]
    lines = [DEFAULT_START, optimum]
    if data.true_w0 is not None and data.true_w1 is not None:
        lines.append((data.true_w0, data.true_w1))
    ys = [lo, hi, *(_on(w, x, clip) for w in lines for x in (x0, x1))]
    return {"x_range": [x0, x1], "y_span": [min(ys), max(ys)], "y_clip": clip}


def run_y_range(background: dict[str, Any], init: Sequence[float]) -> list[float]:
    """A run's vertical axis on the data panel: its background's, widened only where the run's starting line
    leaves it, so frames never jump and a start moved within the view keeps the background."""
    (x0, x1), (y0, y1), clip = background["x_range"], background["y_span"], background["y_clip"]
    base = _padded(y0, y1)
    ends = [_on(init, x, clip) for x in (x0, x1)]
    if all(base[0] <= y <= base[1] for y in ends):
        return list(base)
    return list(_padded(min(y0, *ends), max(y1, *ends)))


def _on(line: Sequence[float], x: float, clip: list[float]) -> float:
    return float(np.clip(line[0] * x + line[1], *clip))


def _padded(lo: float, hi: float) -> tuple[float, float]:
    span = hi - lo
    if span <= 1e-9 * max(abs(lo), abs(hi), 1.0):  # one point, or all on one value: centre it
        half = 0.5 * max(abs(lo), 1.0)
        return lo - half, hi + half
    return lo - 0.08 * span, hi + 0.08 * span


def log_steps(total: int, count: int) -> list[int]:
    """Up to `count` of the indices 0 … total-1, log-spaced so a run's fast early steps show, with the first
    and the last always in; spare slots (where log spacing repeats an early index) go to evenly spaced later
    ones. The one place the chart's steps are chosen: the live frames, the curves, the pins (the scrubber maps
    its positions to steps itself: js/scrubber.js)."""
    if total <= 0 or count <= 0:
        return []
    if total <= count:
        return list(range(total))
    if count == 1:
        return [total - 1]
    k = np.arange(count)
    chosen = set((np.rint(np.exp(np.log(total) * k / (count - 1))) - 1).astype(np.int64).tolist())
    for even in np.rint((total - 1) * k / (count - 1)).astype(np.int64).tolist():
        if len(chosen) >= count:
            break
        chosen.add(even)
    return sorted(chosen)


LIVE_FRAMES = 45  # the live chart's first steps to show, log-spaced: a short run still animates
CURVE_POINTS = 800  # points per drawn curve


def steps(total: int) -> dict[str, list[int]]:
    return {"live": log_steps(total, LIVE_FRAMES), "curve": log_steps(total, CURVE_POINTS)}


def records_payload(values: np.ndarray, first: int = 0) -> dict[str, Any]:
    return {"first": int(first), "rows": int(len(values)), "values": encode(values)}


LANDSCAPE_SIZE = 61  # grid points a side: a smooth bowl, ~20 KB a background
DEFAULT_START = (Settings().init_w0, Settings().init_w1)  # the starting weights every background holds


def landscape(c: Claims) -> dict[str, Any]:
    """The loss over a grid of the weights the trainer updates (standardised ones when x is standardised),
    around the optimum and holding the default start (and the run's, when it lies outside that grid), both
    axes at one span: exact from the moments of the points as trained on, no pass over them. Sent as log10 of
    the gap to the optimum, which rings the bowl evenly. A start moved within the grid keeps it.

    `shift` and `scale` map the records' weights (always the line in x's own units) into the grid's:
    x' = (x − shift)/scale, so v0 = w0·scale and v1 = w1 + w0·shift (identity when x is not standardised).
    `optimum` is already in the grid's weights."""
    fit = c.theory.fit
    include = [c.coords.to_trained(*DEFAULT_START)]
    w0_grid, w1_grid = landscape_grid(fit, include=include, size=LANDSCAPE_SIZE, margin=0.25,
                                      centre=c.optimum_trained, square=True)  # fmt: skip
    s0, s1 = c.start_trained
    if not (w0_grid[0] <= s0 <= w0_grid[-1] and w1_grid[0] <= s1 <= w1_grid[-1]):
        w0_grid, w1_grid = landscape_grid(fit, include=[*include, c.start_trained], size=LANDSCAPE_SIZE, margin=0.25,
                                          centre=c.optimum_trained, square=True)  # fmt: skip
    gap = loss_landscape(fit, w0_grid, w1_grid) - fit.loss_star
    floor = max(abs(fit.loss_star), 1.0) * 1e-9  # the grid's own rounding at the optimum
    return {"w0": [float(w0_grid[0]), float(w0_grid[-1])], "w1": [float(w1_grid[0]), float(w1_grid[-1])],
            "size": LANDSCAPE_SIZE, "log_gap": encode(np.log10(np.maximum(gap, floor))),
            "shift": c.coords.shift, "scale": c.coords.scale, "standardised": c.coords.standardised,
            "titles": list(c.coords.titles), "optimum": list(c.optimum_trained),
            "moments": moments(fit.moments)}  # fmt: skip


def start_grid() -> list[float]:
    """Where a start dragged on the landscape may land: the starting weights' range and step, as declared (the
    same for both)."""
    (k,) = {(k.lo, k.hi, k.step) for name, _, _, k in knobs() if name in ("init_w0", "init_w1")}
    return [float(v) for v in k]


def lr_grid() -> list[float]:
    """The learning rate's declared range: the rate strip's."""
    (k,) = [k for name, _, _, k in knobs() if name == "lr"]
    return [float(k.lo), float(k.hi)]


def velocity_setting() -> str:
    """The setting the velocity's β of the linear rules reads (the registry declares it): the rate map's
    vertical axis."""
    (name,) = {o.hyper[0] for o in optimizers.REGISTRY.values() if o.linear and o.hyper}
    return name


def momentum_grid() -> list[float]:
    """The velocity β's declared range and step: the rate map's vertical axis."""
    (k,) = [k for name, _, _, k in knobs() if name == velocity_setting()]
    return [float(k.lo), float(k.hi), float(k.step)]


def moments(m) -> dict[str, Any]:
    """The bowl's moments (linreg_core.analysis.Moments) as the chart gets them."""
    return {"n": int(m.n), "mean_x": float(m.mean_x), "mean_y": float(m.mean_y), "var_x": float(m.var_x),
            "cov_xy": float(m.cov_xy), "var_y": float(m.var_y)}  # fmt: skip


def exact(c: Claims) -> dict[str, Any] | None:
    """How the browser computes this run's path from the moments: only a full batch with an update rule linear in
    the weights is exact (a mini-batch sees other points each step; an adaptive rule divides by the gradient's
    running size)."""
    if c.regime != "exact":
        return None
    # a linear rule's one hyper-parameter, if it has one, is its velocity's β (the registry declares it)
    beta = float(getattr(c.theory.hyper, c.optimizer.hyper[0])) if c.optimizer.hyper else 0.0
    return {"rule": c.optimizer.key, "beta": beta}


def truth(data: Dataset) -> list[float] | None:
    """The line that made the points, when one did (the generator's): drawn, and named in the legends."""
    return [data.true_w0, data.true_w1] if data.generated else None


def background(c: Claims, data: Dataset, points: Drawn | None = None) -> dict[str, Any]:
    """What the chart draws once per data set and axes: the points, the reference lines, the landscape and
    the ranges, with the optimum of the points the run trains on (a hold-out taken out), in x's own units.

    Its `key` names it: a header says which background its run is drawn on, and a message identical to
    one the browser already has travels as a reference, so a new learning rate, or a start moved within the
    view, resends none of it.
    """
    settings = c.settings
    points = points if points is not None else drawn(data)
    message: dict[str, Any] = {
        "kind": schema.Kind.BACKGROUND,
        "total": settings.steps + 1,
        "points": {"x": encode(points.x), "y": encode(points.y), "shown": int(points.x.size), "n": data.n},
        "labels": [data.x_label, data.y_label],
        **fit_axes(data, points, c.optimum),
        "true": truth(data),
        "optimum": list(c.optimum),
        "loss_star": c.loss_star,
        "landscape": landscape(c),
        "held_out": c.held_out,
    }
    message["key"] = hashlib.sha1(json.dumps(message, sort_keys=True).encode()).hexdigest()[:16]
    return message


def legends(c: Claims) -> dict[str, list[dict[str, str]]]:
    """Per panel, one entry for each thing drawn there and for nothing else (which ones: Claims.legends), with
    the words the chart shows beside its swatch."""
    return {panel: [{"key": key, "label": texts.CHART_LEGEND[key]} for key in keys]
            for panel, keys in c.legends.items()}  # fmt: skip


def status_message(said: texts.Status, code: schema.Code, cause: str | None = None) -> dict[str, Any]:
    """A run's state as the chart gets it: the sentence for people, the code for the chart to act on, and for
    a failed run why it failed (the page's own retry decision; never shown)."""
    return {**said.to_dict(), "code": code.value, **({"cause": cause} if cause else {})}


def header(
    run_id: str,
    c: Claims,
    background: dict[str, Any],
    columns: Sequence[str] | None,
    *,
    status: dict | None = None,
    records: np.ndarray | None = None,
    waiting: str | None = None,
    warning: dict | None = None,
    captions: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One run, drawn on `background`: its identity, its background's key, its length and rate, where it starts
    (and the data panel's vertical axis that start calls for), what theory predicts of its loss
    gap (when it can), and, when it is over, every record (rows × len(columns)) and how it ended. `columns`
    may be unknown while the worker starts (each feed names them too)."""
    settings = c.settings
    total = settings.steps + 1
    at = steps(total)
    predicted = c.predicted
    if predicted is not None:
        # a diverging rate's prediction overflows: clipped where no axis reaches, so the chart stays finite
        predicted = np.clip(np.nan_to_num(predicted[at["curve"]], nan=0.0, posinf=1e30), 0.0, 1e30)
    message: dict[str, Any] = {
        "kind": schema.Kind.HEADER,
        "run": run_id,
        "background": background["key"],
        "total": total,
        "columns": list(columns) if columns else None,
        "lr": settings.lr,
        "bound": c.bound,  # the rate this run is judged by (full batch: stability; mini-batches: in expectation)
        "predicted": encode(predicted) if predicted is not None else None,
        "exact": exact(c),
        "no_preview": None if c.regime == "exact" else texts.no_preview(c),
        "start_grid": start_grid(),
        "lr_grid": lr_grid(),
        "momentum_grid": momentum_grid(),
        "steps": at,
        "captions": captions or {},
        "legends": legends(c),  # the legend entries true for this run, by panel
        "status": status,
        "waiting": waiting,
        "warning": warning,
        "tape": tape(c),
        # where it starts: in the header, so a start moved within the view keeps the background
        "init": [settings.init_w0, settings.init_w1],
        "start": list(c.start_trained),  # the same, in the landscape's weights
        "start_loss": c.start_loss,  # exact from the moments: no pass over the points
        "y_range": run_y_range(background, (settings.init_w0, settings.init_w1)),
    }
    if records is not None:
        message["records"] = records_payload(records)
    return message


def tape(c: Claims) -> dict[str, Any]:
    """What the run's tape does each update, in the weights it holds (the microscope's side of the header)."""
    o = c.optimizer
    return {
        "blog": o.plain, "rule": o.label, "summary": o.summary, "names": list(c.coords.names),
        "scale": c.coords.scale, "shift": c.coords.shift,
        "batch": c.batch if c.batch < c.n_train else None,
    }  # fmt: skip


def pins(pinned: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """The runs a visitor pinned for comparison, (label, run) pairs: their background and decimated curves."""
    return {"kind": schema.Kind.PINS, "pins": [
        {"label": label, "background": p.background, "steps": encode(p.steps), "loss": encode(p.loss),
         "w0": encode(p.w0), "w1": encode(p.w1)} for label, p in pinned
    ]}  # fmt: skip


def feed(run_id: str, first: int, values: np.ndarray, columns: Sequence[str]) -> dict[str, Any]:
    """The next block of a training run's records."""
    return {"kind": schema.Kind.FEED, "run": run_id, "columns": list(columns), **records_payload(values, first)}


def end(run_id: str, status: dict) -> dict[str, Any]:
    """The last message of a training run: how it ended. The chart replays from here on."""
    return {"kind": schema.Kind.END, "run": run_id, "status": status}
