"""What the page needs besides figures, kept free of Streamlit so it can be tested plainly:
slider grids, the live frame pacer, the run result the page keeps, and the words it shows."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .charts import frame_steps
from .settings import MAX_N, Settings

if TYPE_CHECKING:
    from .analysis import Analysis
    from .data import Dataset
    from .trainer import Divergence, Step

LIVE_FRAMES = 45  # log-spaced frames of a run; at LIVE_FPS that is ~1.5 s of animation
LIVE_FPS = 30


def _grid(lo_exp: int, hi_exp: int, mantissas: tuple[float, ...]) -> list[float]:
    return [float(f"{m}e{e}") for e in range(lo_exp, hi_exp + 1) for m in mantissas]


# 1-2-5 steps reach both 10 and 1,000,000 points in one drag
N_OPTIONS = [int(v) for v in _grid(0, 6, (1, 2, 5)) if v <= MAX_N]
# ten rates a decade, from 1e-4 to past where GD diverges on typical data
LR_OPTIONS = [v for v in _grid(-4, 0, (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8)) + [10.0]]


def with_value(options: list, value) -> list:
    """The slider's options, plus `value` in order if it is not one of them (e.g. from a shared link)."""
    return options if value in options else sorted([*options, value])


class FramePacer:
    """Picks the records to draw live: at most `fps` frames a second, always ending on the last record.

    Training runs ahead on its own thread (see `BackgroundRun`); the page asks `pick` which record to
    draw next. It plays about `frames` log-spaced targets in order, so the fast early steps show even
    when training is already over (small n), and when the next target is not trained yet (large n) it
    draws the newest record instead, so a slow run still animates at `fps`. `wait` says how long to
    sleep before drawing to hold the rate.
    """

    def __init__(self, total_records: int, frames: int = LIVE_FRAMES, fps: float = LIVE_FPS) -> None:
        self._targets = frame_steps(total_records, frames)
        self._next = 0  # index into _targets of the first target not yet drawn or passed
        self.interval = 1.0 / fps
        self._drawn_at: float | None = None
        self.last_drawn = -1
        self.frames_drawn = 0

    def pick(self, available: int) -> int | None:
        """The record to draw next, given that records 0..available-1 exist; None if none is new."""
        newest = available - 1
        if newest <= self.last_drawn:
            return None
        while self._next < len(self._targets) and self._targets[self._next] <= self.last_drawn:
            self._next += 1
        if self._next < len(self._targets) and self._targets[self._next] <= newest:
            return self._targets[self._next]
        return newest

    def wait(self, now: float) -> float:
        """Seconds to sleep before the next frame keeps the rate at or under `fps`."""
        return 0.0 if self._drawn_at is None else max(0.0, self._drawn_at + self.interval - now)

    def drawn(self, index: int, now: float) -> None:
        self.last_drawn = index
        self._drawn_at = now
        self.frames_drawn += 1


class BackgroundRun:
    """Drains a training run into `records` on a worker thread, so drawing frames never holds training up.

    Use it as a context manager: leaving the block (normally, or because Streamlit stops the script when
    a control changes mid-run) stops the worker after the step it is on. An exception in the worker is
    raised again by `check`.
    """

    def __init__(self, steps: Iterable[Step]) -> None:
        self.records: list[Step] = []
        self.finished = threading.Event()
        self._steps = steps
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="gradienttape-lab-train", daemon=True)

    def _work(self) -> None:
        try:
            for record in self._steps:
                if self._stop.is_set():
                    break
                self.records.append(record)  # list.append is atomic: the page thread reads as it grows
        except BaseException as e:  # handed to the page thread by check()
            self._error = e
        finally:
            self.finished.set()

    def __enter__(self) -> BackgroundRun:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def check(self) -> None:
        if self._error is not None:
            raise self._error


@dataclass(frozen=True)
class RunResult:
    """A finished (or stopped) run, as the page keeps it between reruns to replay without retraining."""

    settings: Settings
    records: tuple[Step, ...]
    divergence: Divergence | None
    seconds: float


def numbers_table(record: Step | None, data: Dataset, analysis: Analysis, init: tuple[float, float]) -> str:
    """Markdown: the current step's loss and weights beside the truth, the optimum and the gap to it."""
    w0, w1 = (record.w0, record.w1) if record else init
    loss = record.loss if record else float("nan")
    step = f"step {record.step:,}" if record else "start"

    def true(v: float | None) -> str:
        return "—" if v is None else f"{v:.4f}"

    rows = [
        f"| | {step} | true | least squares | gap |",
        "|---|---:|---:|---:|---:|",
        f"| **w0** | {w0:.4f} | {true(data.true_w0)} | {analysis.w0_star:.4f} | {w0 - analysis.w0_star:+.2e} |",
        f"| **w1** | {w1:.4f} | {true(data.true_w1)} | {analysis.w1_star:.4f} | "
        f"{w1 - analysis.w1_star:+.2e} |",
        f"| **loss** | {_loss(loss)} | — | {analysis.loss_star:.6g} | {_gap(loss, analysis.loss_star)} |",
    ]
    return "\n".join(rows)


def _loss(value: float) -> str:
    return "—" if not np.isfinite(value) else f"{value:.6g}"


def _gap(loss: float, best: float) -> str:
    return "—" if not np.isfinite(loss) else f"{loss - best:+.2e}"


def divergence_message(divergence: Divergence, analysis: Analysis, lr: float) -> str:
    return (
        f"Gradient descent blew up at step {divergence.step:,}: {divergence.reason}. "
        f"For this data it is stable only for learning rates below {analysis.critical_lr:.4g} "
        f"(2/λmax); you chose {lr:g}. The fastest stable rate is {analysis.best_lr:.4g}."
    )


def stability_note(analysis: Analysis, lr: float) -> str:
    """One line under the learning-rate slider: where this rate sits against the data's limits."""
    factor = analysis.convergence_factor(lr)
    if lr >= analysis.critical_lr:
        verdict = "diverges"
    elif factor > 0.999:
        verdict = "converges slowly"
    else:
        verdict = "converges"
    return (
        f"Critical rate for this data: **{analysis.critical_lr:.4g}** (2/λmax), best: **{analysis.best_lr:.4g}**. "
        f"At {lr:g} gradient descent {verdict}."
    )
