"""The page's words about a run: where a learning rate sits, how a run ended, what to lower.

Plain functions of engine values, free of Streamlit, so tests read exactly what the page says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linreg_core.analysis import Analysis
from linreg_core.settings import Settings

# What one page run may cost, in point-updates of plain full-batch gradient descent: ~1.23 ms per million
# on this 2-core machine, so the largest accepted run trains in about 3.7 s (4 to 5 s beside the page's
# own work); see README "Work budget". Other kinds of run cost more per point-update (measured at
# n = 1,000,000): another optimizer ×1.1, mini-batches +0.8 (a full pass for the loss besides the
# batch's), a hold-out +1.2 (the held-out loss each step).
WORK_BUDGET = 3_001_000_000
COST_OTHER_OPTIMIZER, COST_MINI_BATCH, COST_HOLD_OUT = 0.1, 0.8, 1.2
CONVERGED_GAP = 1e-3  # a run within 0.1% of the optimum loss has converged, as far as the eye can tell


@dataclass(frozen=True)
class Status:
    """A run's state in one line. kind: "success", "info", "warning" (slow, stopped) or "error" (diverging)."""

    kind: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def number(value: float) -> str:
    """A loss as people read it: 130,752 rather than 1.308e+05, small ones to four digits."""
    return f"{value:,.0f}" if 1e4 <= abs(value) < 1e12 else f"{value:.4g}"


def cost_factor(settings: Settings, n: int) -> float:
    """How much one point-update of this kind of run costs, against plain full-batch gradient descent."""
    factor = 1.0
    if settings.optimizer != "gd":
        factor += COST_OTHER_OPTIMIZER
    if 0 < settings.batch_size < n:
        factor += COST_MINI_BATCH
    if settings.test_fraction > 0:
        factor += COST_HOLD_OUT
    return factor


def budget_problem(settings: Settings, n: int) -> str | None:
    """Why the page will not train these settings on `n` points (too much work for a shared server), or None."""
    updates = settings.steps + 1
    factor = cost_factor(settings, n)
    if n * updates * factor <= WORK_BUDGET:
        return None
    max_steps = int(WORK_BUDGET / (n * factor)) - 1
    max_n = int(WORK_BUDGET / (updates * factor))
    kind = "" if factor == 1 else f" (this kind of run costs {factor:.1f}× a plain full-batch step)"
    lower = f"Lower steps to {max_steps:,} or n to {max_n:,}" if max_steps >= 0 else f"Lower n to {max_n:,}"
    return (
        f"{n:,} points × {updates:,} updates is more than this shared server trains for one visitor{kind}: "
        f"it allows about 4 s of training. {lower}; the command line has no such limit."
    )


def stability_note(analysis: Analysis, lr: float) -> str:
    """One line under the learning-rate control: where this rate sits against the data's limits."""
    if lr >= analysis.critical_lr:
        verdict = "diverges: the loss will grow"
    elif analysis.convergence_factor(lr) > 0.999:
        verdict = "converges slowly"
    else:
        verdict = "converges"
    return (
        f"Critical rate for this data: **{analysis.critical_lr:.4g}** (2/λmax); fastest: "
        f"**{analysis.best_lr:.4g}**. At {lr:g} gradient descent {verdict}."
    )


def scaling_note(data, analysis: Analysis) -> str | None:
    """Why gradient descent crawls on this data, when it does: x far from 0 couples slope and intercept."""
    if analysis.condition_number < 100:
        return None
    return (
        f"x sits far from 0 here (mean {data.x_mean:.3g}, spread {data.x_std:.3g}), so the slope and the intercept "
        f"pull against each other: the loss is a long narrow valley (condition number "
        f"{analysis.condition_number:,.0f}). Any rate above {analysis.critical_lr:.3g} diverges, and at safe "
        "rates the intercept crawls. Standardising x (centre it, divide by its spread) removes the coupling."
    )


def live_warning(analysis: Analysis, lr: float) -> Status | None:
    """Said while a run trains, before its numbers show it."""
    if lr >= analysis.critical_lr:
        return Status(
            "error",
            f"Diverging: {lr:g} is at or above this data's critical rate {analysis.critical_lr:.4g} (2/λmax), "
            "so the loss will grow.",
        )
    return None


def run_status(
    settings: Settings,
    analysis: Analysis,
    values: np.ndarray,
    divergence: tuple[int, str] | None,
    start_loss: float,
    *,
    stopped: bool = False,
) -> Status:
    """How a run ended, from its records (`values`: rows of loss, w0, w1, …; loss in column 0)."""
    total = settings.steps + 1
    rows = len(values)
    losses = values[:, 0] if rows else np.empty(0)
    grew = rows > 0 and losses[-1] > start_loss
    if divergence is not None or grew or settings.lr >= analysis.critical_lr:
        bound = (
            f"This data is stable only for rates below {analysis.critical_lr:.4g} (2/λmax); you chose "
            f"{settings.lr:g}. The fastest stable rate is {analysis.best_lr:.4g}."
        )
        # the step where the loss turned up: the first record after the lowest loss, the start included
        turn = int(np.argmin(np.concatenate([[start_loss], losses])))
        if divergence is not None:
            return Status("error", f"Diverging: the loss grew from step {turn:,} on, and the run stopped at step "
                          f"{divergence[0]:,}: {divergence[1]}. {bound}")  # fmt: skip
        if turn < rows:
            return Status("error", f"Diverging: the loss grew from step {turn:,} on, to {number(losses[-1])} at step "
                          f"{rows - 1:,}. {bound}")  # fmt: skip
        return Status("error", f"Diverging: the loss has not turned up within {plural(rows, 'step')}, but at this "
                      f"rate it will. {bound}")  # fmt: skip
    if stopped:
        last = f"step {rows - 1:,}" if rows else "the start"
        return Status("warning", f"Stopped at {last} of {settings.steps:,}: training was interrupted. Press Run again.")
    final = float(losses[-1]) if rows else start_loss
    star = analysis.loss_star
    gap = final - star
    # close enough that no chart could show the difference: 0.1% of the optimum loss, or a millionth of the
    # starting loss when the optimum is ~0 (points on a line: the relative gap means nothing there)
    if gap <= max(CONVERGED_GAP * star, 1e-6 * start_loss):
        if star <= 1e-9 * start_loss:
            closeness = "and the optimum is 0 here: the points lie on a line"
        else:
            closeness = f"the least-squares optimum {star:.4g} to within {max(gap, 0) / star:.2%}"
        return Status("success", f"Converged: after {plural(total, 'update')} the loss is {final:.4g}, {closeness}.")
    if star <= 1e-9 * start_loss:
        above = "above the optimum 0"
    elif gap < 10 * star:
        above = f"{gap / star:.1%} above the optimum {star:.4g}"
    else:
        above = f"{final / star:,.0f} times the optimum {star:.4g}"
    return Status(
        "info",
        f"Not there yet: after {plural(total, 'update')} the loss is {number(final)}, {above}. More steps, or a rate "
        f"nearer the fastest {analysis.best_lr:.4g}, get closer.",
    )
