"""Figures: pure functions from a data set, its analysis and step records to Plotly figures.

Only NumPy and Plotly here: the page draws these while TensorFlow is still loading. Records are
duck-typed (anything with `step`, `loss`, `w0`, `w1`), so nothing imports the trainer at run time.

Colours are mid-tones and the backgrounds transparent, so one figure reads on Streamlit's light and
dark themes alike; nothing depends on Plotly's (or Streamlit's) default template.

Figures are assembled as plain dicts and validated once by `go.Figure(spec)`: building them through
`make_subplots` and `update_*` calls costs ~50 ms, too slow for a live view redrawn ~30 times a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from .analysis import mse

if TYPE_CHECKING:
    from .analysis import Analysis
    from .data import Dataset
    from .trainer import Step

Sample = tuple[np.ndarray, np.ndarray, bool]
Spec = dict[str, Any]

# ---- look ---------------------------------------------------------------------------------------

DATA_COLOR = "#4C8BF5"
FIT_COLOR = "#FF4B4B"  # Streamlit's accent: whatever is being trained
TRUE_COLOR = "#2CA02C"
OPTIMUM_COLOR = "#9A9A9A"  # least squares and its loss: the target, so it stays in the background
W0_COLOR = FIT_COLOR
W1_COLOR = "#F0A030"
TEXT_COLOR = "#7E8491"  # about 4:1 against both white and Streamlit's dark #0E1117
GRID_COLOR = "rgba(128, 128, 128, 0.22)"
# plotly.js paints a hovered or active button #F4FAFF whatever bgcolor says, so the button text must be
# dark; a light button with a dark border then reads on either page background.
BUTTON_BG = "#E4E7EC"
BUTTON_TEXT = "#1F2430"
BUTTON_BORDER = "#8A8F9A"
TRANSPARENT = "rgba(0, 0, 0, 0)"

HEIGHT = 420
REPLAY_HEIGHT = 520  # the slider and buttons need room under the plots
MAX_SAMPLE = 5000
MAX_CURVE_POINTS = 600  # the live loss curve is redrawn ~30 times a second; more points add nothing visible
MIN_LOG_LOSS = 1e-12  # an exact zero loss would have no place on a log axis
FRAME_MS = 40
CONTROLS_GAP = 66  # px from the plots' bottom edge to the replay controls, below the axis titles

TITLE_FONT = {"size": 15, "color": TEXT_COLOR}


# ---- sampling -----------------------------------------------------------------------------------


def sample_points(data: Dataset, max_points: int = MAX_SAMPLE, seed: int = 0) -> Sample:
    """The points to draw: all of them, or a seeded random subset (in data order) when there are more."""
    if data.n <= max_points:
        return data.x, data.y, False
    idx = np.sort(np.random.default_rng(seed).choice(data.n, size=max_points, replace=False))
    return data.x[idx], data.y[idx], True


def frame_steps(total_records: int, max_frames: int) -> list[int]:
    """Up to `max_frames` record indices from 0 to the last, log-spaced so the fast early steps show.

    Where log spacing puts several frames on one early index, the spare frames go to evenly spaced
    later indices instead, so a long run uses its whole frame budget.
    """
    if total_records < 1:
        return []
    last = total_records - 1
    if total_records <= max_frames:
        return list(range(total_records))
    if max_frames < 2:
        raise ValueError(f"max_frames must be at least 2 to include the first and last step, got {max_frames}")
    chosen = np.unique(np.rint(np.geomspace(1, total_records, max_frames)).astype(np.int64) - 1)
    spare = max_frames - chosen.size
    if spare > 0:
        linear = np.rint(np.linspace(0, last, max_frames)).astype(np.int64)
        unused = np.setdiff1d(linear, chosen)
        pick = np.rint(np.linspace(0, unused.size - 1, spare)).astype(np.int64)
        chosen = np.union1d(chosen, unused[pick])
    return [int(i) for i in chosen]


# ---- figures ------------------------------------------------------------------------------------


def live_figure(
    data: Dataset,
    analysis: Analysis,
    records: Sequence[Step],
    sample: Sample,
    *,
    total_steps: int,
    init_w0: float = 0.0,
    init_w1: float = 0.0,
    log_y: bool = True,
) -> go.Figure:
    """Data and fit (left), loss so far (right): one frame of the live view as a single figure.

    The page draws this view split in two layers (`LiveView`, cheaper per frame); this one-figure form
    states what the view holds, and the tests check both it and that the layers together match it.

    Before the first record the line drawn is the starting line (`init_w0`, `init_w1`). The loss axis
    spans 0..`total_steps` so the curve grows from left to right.
    """
    traces, layout, _ = _two_panel(data, analysis, records, sample, (init_w0, init_w1), log_y, HEIGHT)
    end = max(total_steps, 1)
    curve = [records[i] for i in _curve_indices(len(records), MAX_CURVE_POINTS)]
    traces += [_loss_curve(curve, log_y), _optimum_loss(analysis, end, log_y)]
    layout["xaxis2"]["range"] = [0, end]
    return go.Figure({"data": traces, "layout": layout})


class LiveView:
    """The live view split in two layers for the page's live chart (see live_plot.js).

    The background holds what stays put during a run: the data, the true and least-squares lines, the
    optimum loss, the axes and the legend. The foreground holds what moves: the fit line, the loss
    curve and the title. Each frame sends only the foreground (a few KB); the background goes out again
    only when the loss leaves the loss axis, which a converging run never does, since its axis spans
    the starting loss down to the optimum. Both layers share one layout, so they line up exactly.
    """

    def __init__(
        self,
        data: Dataset,
        analysis: Analysis,
        sample: Sample,
        *,
        total_steps: int,
        init_w0: float = 0.0,
        init_w1: float = 0.0,
        log_y: bool = True,
    ) -> None:
        traces, layout, fit_index = _two_panel(data, analysis, [], sample, (init_w0, init_w1), log_y, HEIGHT)
        end = max(total_steps, 1)
        fit = traces.pop(fit_index)
        self._ends = fit["x"]
        legend_fit = {**fit, "x": [None], "y": [None]}  # the legend entry; the moving line is in the foreground
        self._static = [*traces, legend_fit, _optimum_loss(analysis, end, log_y)]
        layout["xaxis2"]["range"] = [0, end]
        # fixed margins: automargin would measure tick labels, which only the background has
        layout["margin"] = {**layout["margin"], "l": 60, "b": 50}
        for axis in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
            layout[axis] = {**layout[axis], "automargin": False}
        self._layout = layout
        self._log_y = log_y
        self._floor = analysis.loss_star
        self._init = (init_w0, init_w1)
        self._start_loss = mse(data.x, data.y, init_w0, init_w1)
        self._range: tuple[float, float] | None = None
        self.version = 0

    def frame(self, records: Sequence[Step]) -> tuple[str | None, str]:
        """(background JSON if it changed since the last frame, else None; foreground JSON)."""
        background = None
        losses = [r.loss for r in records] or [self._start_loss]
        if self._range is None or not self._covers(min(losses), max(losses)):
            self._range = self._loss_range(min(min(losses), self._floor), max(max(losses), self._start_loss))
            self.version += 1
            layout = self._with_loss_range(self._layout)
            layout["title"] = {**layout["title"], "text": ""}
            background = _to_json({"data": self._static, "layout": layout})
        last = records[-1] if records else None
        w0, w1 = (last.w0, last.w1) if last else self._init
        curve = [records[i] for i in _curve_indices(len(records), MAX_CURVE_POINTS)]
        layout = self._with_loss_range(self._layout)
        for axis in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
            layout[axis] = {**layout[axis], "visible": False}
        layout["showlegend"] = False
        title = f"{_step_title(last.step, last.loss)} · w0 {last.w0:.4f} · w1 {last.w1:.4f}" if last else "Start"
        layout["title"] = {**layout["title"], "text": title}
        fit = _line(self._ends, w0, w1, "current fit", FIT_COLOR, "solid", 4)
        foreground = {"data": [fit, _loss_curve(curve, self._log_y)], "layout": layout}
        return background, _to_json(foreground)

    def _covers(self, lo: float, hi: float) -> bool:
        a, b = self._range
        if self._log_y:
            return np.log10(max(lo, MIN_LOG_LOSS)) >= a and np.log10(max(hi, MIN_LOG_LOSS)) <= b
        return lo >= a and hi <= b

    def _loss_range(self, lo: float, hi: float) -> tuple[float, float]:
        if self._log_y:
            a, b = np.log10(max(lo, MIN_LOG_LOSS)), np.log10(max(hi, MIN_LOG_LOSS))
            pad = 0.05 * max(b - a, 1.0)
            return float(a - pad), float(b + pad)
        return 0.0, float(hi * 1.05) if hi > 0 else 1.0

    def _with_loss_range(self, layout: Spec) -> Spec:
        return {**layout, "yaxis2": {**layout["yaxis2"], "range": list(self._range)}}


def _to_json(spec: Spec) -> str:
    return pio.to_json(spec, validate=False, engine="json")


def replay_figure(
    data: Dataset,
    analysis: Analysis,
    records: Sequence[Step],
    sample: Sample,
    *,
    init_w0: float = 0.0,
    init_w1: float = 0.0,
    log_y: bool = True,
    max_frames: int = 200,
) -> go.Figure:
    """The finished run as a client-side animation: Play/Pause and a step slider, no server round trip.

    It opens on the last step, like the live view it replaces; Play from there starts over at step 0.
    Frames change only the fit line and the marker on the loss curve (addressed by trace index), never
    the data. The step and loss of the shown frame read above the slider: with `redraw: False`, which
    keeps the animation smooth, plotly.js does not redraw a title a frame changes. With no records it
    is the live view's starting picture, without controls.
    """
    traces, layout, fit_index = _two_panel(data, analysis, records, sample, (init_w0, init_w1), log_y, REPLAY_HEIGHT)
    steps = frame_steps(len(records), max_frames)
    end = max(records[-1].step, 1) if records else 1
    curve = sorted(set(_curve_indices(len(records), 4 * MAX_CURVE_POINTS)) | set(steps))
    traces += [_loss_curve([records[i] for i in curve], log_y), _optimum_loss(analysis, end, log_y)]
    layout["xaxis2"]["range"] = [0, end]
    if not records:
        return go.Figure({"data": traces, "layout": layout})

    marker_index = len(traces)
    traces.append(_loss_marker(records[-1], log_y))
    x_ends = traces[fit_index]["x"]
    frames = [
        {
            "name": str(records[i].step),
            "data": [_fit_xy(x_ends, records[i].w0, records[i].w1), _loss_xy(records[i], log_y)],
            "traces": [fit_index, marker_index],
        }
        for i in steps
    ]
    layout["title"]["text"] = f"Replay · steps 0 to {records[-1].step:,}"
    layout["updatemenus"] = [_play_pause()]
    layout["sliders"] = [_slider([records[i] for i in steps])]
    return go.Figure({"data": traces, "layout": layout, "frames": frames})


def weights_figure(
    records: Sequence[Step],
    analysis: Analysis,
    *,
    true_w0: float | None = None,
    true_w1: float | None = None,
) -> go.Figure:
    """w0 and w1 against step, with the least-squares optimum (dotted) and the true values (dashed) if known."""
    idx = _curve_indices(len(records), MAX_CURVE_POINTS)
    steps = [records[i].step for i in idx]
    end = max(steps[-1], 1) if steps else 1
    traces: list[Spec] = []
    for name, color, values, star, true in (
        ("w0 (slope)", W0_COLOR, [records[i].w0 for i in idx], analysis.w0_star, true_w0),
        ("w1 (intercept)", W1_COLOR, [records[i].w1 for i in idx], analysis.w1_star, true_w1),
    ):
        short = name.split()[0]
        traces.append(
            {
                "type": "scatter",
                "x": steps,
                "y": values,
                "name": name,
                "mode": "lines",
                "line": {"color": color, "width": 3},
            }
        )
        traces.append(_hline(end, star, f"least squares {short} = {star:.4g}", color, "dot"))
        if true is not None:
            traces.append(_hline(end, true, f"true {short} = {true:.4g}", color, "dash"))
    layout = _layout(HEIGHT, "Weights")
    layout["xaxis"] = _axis("step", range=[0, end])
    layout["yaxis"] = _axis("weight")
    return go.Figure({"data": traces, "layout": layout})


# ---- pieces -------------------------------------------------------------------------------------


def _two_panel(
    data: Dataset,
    analysis: Analysis,
    records: Sequence[Step],
    sample: Sample,
    init: tuple[float, float],
    log_y: bool,
    height: int,
) -> tuple[list[Spec], Spec, int]:
    """The shared layout with the left panel filled in: (traces, layout, index of the fit line)."""
    xs, ys, sampled = sample
    (x0, x1), (y0, y1) = _view(data, analysis, init)
    ends = [x0, x1]
    traces = [_scatter(xs, ys)]
    if data.true_w0 is not None and data.true_w1 is not None:
        traces.append(_line(ends, data.true_w0, data.true_w1, "true line", TRUE_COLOR, "dash", 2))
    traces.append(_line(ends, analysis.w0_star, analysis.w1_star, "least squares", OPTIMUM_COLOR, "dot", 1.5))
    if records:
        w0, w1 = records[-1].w0, records[-1].w1
        title = _step_title(records[-1].step, records[-1].loss)
    else:
        w0, w1 = init
        title = f"Start · loss {mse(data.x, data.y, w0, w1):.4g}"
    fit_index = len(traces)
    traces.append(_line(ends, w0, w1, "current fit", FIT_COLOR, "solid", 4))

    note = f"showing {xs.size:,} of {data.n:,} points (random sample)" if sampled else None
    layout = _layout(height, title, note)
    gap = 0.09  # between the panels, in figure widths
    layout["xaxis"] = _axis("x", domain=[0, 0.5 - gap / 2], anchor="y", range=[x0, x1])
    layout["yaxis"] = _axis("y", anchor="x", range=[y0, y1])
    layout["xaxis2"] = _axis("step", domain=[0.5 + gap / 2, 1], anchor="y2")
    # one labelled tick a decade: the 1-2-5 minor labels read as a jumble of "5, 2, 0.1, 5, 2"
    scale = {"type": "log", "dtick": 1} if log_y else {"type": "linear"}
    layout["yaxis2"] = _axis("loss (MSE)", anchor="x2", **scale)
    return traces, layout, fit_index


def _view(data: Dataset, analysis: Analysis, init: tuple[float, float]) -> tuple[tuple[float, float], ...]:
    """Fixed left-panel ranges: the data, and the lines a run starts and ends at, so frames never jump."""
    x0, x1 = _padded(float(data.x.min()), float(data.x.max()))
    lo, hi = float(data.y.min()), float(data.y.max())
    reach = max(hi - lo, 1.0)  # a far-off starting line may widen the view, but not flatten the data
    candidates = [lo, hi]
    lines = [init, (analysis.w0_star, analysis.w1_star)]
    if data.true_w0 is not None and data.true_w1 is not None:
        lines.append((data.true_w0, data.true_w1))
    for w0, w1 in lines:
        candidates += [float(np.clip(w0 * x + w1, lo - reach, hi + reach)) for x in (x0, x1)]
    return (x0, x1), _padded(min(candidates), max(candidates))


def _padded(lo: float, hi: float) -> tuple[float, float]:
    span = hi - lo
    if span <= 1e-9 * max(abs(lo), abs(hi), 1.0):
        half = 0.5 * max(abs(lo), 1.0)
        return lo - half, hi + half
    return lo - 0.05 * span, hi + 0.05 * span


def _curve_indices(count: int, max_points: int) -> list[int]:
    # log spacing keeps the steep start; the loss of full-batch GD on a quadratic is monotone, so
    # skipping later steps hides no wiggles
    return frame_steps(count, max_points)


def _step_title(step: int, loss: float) -> str:
    return f"Step {step} · loss {loss:.4g}"


def _scatter(xs: np.ndarray, ys: np.ndarray) -> Spec:
    size, opacity = (6, 0.7) if xs.size <= 1000 else (4, 0.45) if xs.size <= 10_000 else (3, 0.3)
    return {
        "type": "scattergl",
        "x": xs,
        "y": ys,
        "name": "data",
        "mode": "markers",
        "hoverinfo": "skip",
        "marker": {"color": DATA_COLOR, "size": size, "opacity": opacity, "line": {"width": 0}},
    }


def _fit_xy(ends: Sequence[float], w0: float, w1: float) -> Spec:
    x = [float(v) for v in ends]
    return {"x": x, "y": [w0 * v + w1 for v in x]}


def _line(ends: Sequence[float], w0: float, w1: float, name: str, color: str, dash: str, width: float) -> Spec:
    return {
        "type": "scatter",
        **_fit_xy(ends, w0, w1),
        "name": name,
        "mode": "lines",
        "hoverinfo": "skip",
        "line": {"color": color, "dash": dash, "width": width},
    }


def _loss_y(loss: float, log_y: bool) -> float:
    return max(loss, MIN_LOG_LOSS) if log_y else loss


def _loss_xy(record: Step, log_y: bool) -> Spec:
    return {"x": [record.step], "y": [_loss_y(record.loss, log_y)]}


def _loss_curve(records: Sequence[Step], log_y: bool) -> Spec:
    return {
        "type": "scatter",
        "x": [r.step for r in records],
        "y": [_loss_y(r.loss, log_y) for r in records],
        "xaxis": "x2",
        "yaxis": "y2",
        "name": "loss",
        "mode": "lines",
        "showlegend": False,
        "line": {"color": FIT_COLOR, "width": 2},
        "hovertemplate": "step %{x}<br>loss %{y:.4g}<extra></extra>",
    }


def _optimum_loss(analysis: Analysis, end: int, log_y: bool) -> Spec:
    star = _loss_y(analysis.loss_star, log_y)
    trace = _hline(end, star, f"optimum loss {analysis.loss_star:.4g}", OPTIMUM_COLOR, "dash")
    return {**trace, "xaxis": "x2", "yaxis": "y2"}


def _loss_marker(record: Step, log_y: bool) -> Spec:
    return {
        "type": "scatter",
        **_loss_xy(record, log_y),
        "xaxis": "x2",
        "yaxis": "y2",
        "name": "now",
        "mode": "markers",
        "showlegend": False,
        "cliponaxis": False,
        "marker": {"color": FIT_COLOR, "size": 10, "line": {"color": "white", "width": 1.5}},
        "hovertemplate": "step %{x}<br>loss %{y:.4g}<extra></extra>",
    }


def _hline(end: float, value: float, name: str, color: str, dash: str) -> Spec:
    return {
        "type": "scatter",
        "x": [0, end],
        "y": [value, value],
        "name": name,
        "mode": "lines",
        "hoverinfo": "name",
        "line": {"color": color, "dash": dash, "width": 1.5},
    }


def _axis(title: str, **extra: Any) -> Spec:
    return {
        "title": {"text": title, "font": {"color": TEXT_COLOR}},
        "tickfont": {"color": TEXT_COLOR},
        "gridcolor": GRID_COLOR,
        "zerolinecolor": GRID_COLOR,
        "linecolor": GRID_COLOR,
        "automargin": True,
        **extra,
    }


def _layout(height: int, title: str, subtitle: str | None = None) -> Spec:
    return {
        "template": "none",  # explicit: importing Streamlit makes its own template Plotly's default
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 95 if subtitle else 75, "b": 10},
        "paper_bgcolor": TRANSPARENT,
        "plot_bgcolor": TRANSPARENT,
        "font": {"color": TEXT_COLOR, "size": 12},
        "title": {
            "text": title,
            "font": TITLE_FONT,
            "x": 0.01,
            "xanchor": "left",
            "y": 0.98,
            "yanchor": "top",
            "subtitle": {"text": subtitle or "", "font": {"color": TEXT_COLOR, "size": 12}},
        },
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1.02,
            "yanchor": "bottom",
            "bgcolor": TRANSPARENT,
            "font": {"color": TEXT_COLOR},
        },
        "hoverlabel": {"namelength": -1},
        "uirevision": "keep",  # keep a person's zoom while the page redraws
    }


def _play_pause() -> Spec:
    play = {
        "frame": {"duration": FRAME_MS, "redraw": False},
        "fromcurrent": True,
        "transition": {"duration": 0},
        "mode": "immediate",
    }
    pause = {"frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}, "mode": "immediate"}
    return {
        "type": "buttons",
        "direction": "left",
        "showactive": False,
        "x": 0,
        "xanchor": "left",
        "y": 0,
        "yanchor": "top",
        "pad": {"t": CONTROLS_GAP + 22, "r": 10},
        "bgcolor": BUTTON_BG,
        "bordercolor": BUTTON_BORDER,
        "borderwidth": 1,
        "font": {"color": BUTTON_TEXT, "size": 13},
        "buttons": [
            {"label": "Play", "method": "animate", "args": [None, play]},
            {"label": "Pause", "method": "animate", "args": [[None], pause]},
        ],
    }


def _slider(records: Sequence[Step]) -> Spec:
    seek = {"frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}, "mode": "immediate"}
    return {
        "active": len(records) - 1,
        "x": 0.2,
        "len": 0.8,
        "xanchor": "left",
        "y": 0,
        "yanchor": "top",
        "pad": {"t": CONTROLS_GAP, "b": 0},
        "currentvalue": {
            "prefix": "Step ",
            "visible": True,
            "xanchor": "left",
            "font": {"color": TEXT_COLOR, "size": 14},
        },
        # one tick label per frame would be an unreadable smear: hide them; the current value shows the
        # active step's label, so that label carries the loss too
        "font": {"color": TRANSPARENT, "size": 1},
        "ticklen": 0,
        "tickcolor": TRANSPARENT,
        "bgcolor": BUTTON_BG,
        "bordercolor": BUTTON_BORDER,
        "activebgcolor": FIT_COLOR,
        "steps": [
            {
                "label": f"{r.step} · loss {r.loss:.4g}",
                "value": str(r.step),
                "method": "animate",
                "args": [[str(r.step)], seek],
            }
            for r in records
        ],
    }
