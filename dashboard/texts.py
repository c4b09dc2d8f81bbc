"""The page's words about a run: where a learning rate sits, how a run ended, what to lower.

Plain functions of engine values, free of Streamlit, so tests read exactly what the page says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linreg_core.settings import Settings
from linreg_core.theory import RunTheory

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


OPTIMIZER_NAMES = {"gd": "gradient descent", "momentum": "heavy-ball momentum", "nesterov": "Nesterov momentum",
                   "rmsprop": "RMSProp", "adam": "Adam"}  # fmt: skip
BOUND_FORMULA = {"gd": "2/λmax", "momentum": "2(1+β)/λmax", "nesterov": "2(1+β)/((1+2β)λmax)"}


def stability_note(t: RunTheory) -> str:
    """Under the learning-rate control: where this rate sits against the bound of this optimizer on this data."""
    s, name = t.settings, OPTIMIZER_NAMES[t.settings.optimizer]
    if t.bound.lr is None:
        return f"No simple stability bound is known for {name}: too large a rate makes it hover around the optimum."
    formula = BOUND_FORMULA[s.optimizer]
    factor = t.factor()
    if t.diverges:
        verdict = "diverges: the loss will grow"
    elif factor is not None and factor > 0.999:
        verdict = f"converges slowly (the gap to the optimum shrinks {factor:.4f}× a step)"
    else:
        verdict = f"converges (the distance to the optimum shrinks {factor:.3g}× a step)"
    best = f"; fastest: **{t.fit.best_lr:.4g}**" if s.optimizer == "gd" else ""
    return (
        f"Stable below **{t.bound.lr:.4g}** ({formula}){best}; condition number {t.fit.condition_number:,.3g}. "
        f"At {s.lr:g} {name} {verdict}."
    )


def scaling_note(data, t: RunTheory) -> str | None:
    """Why gradient descent crawls on this data, when it does: x far from 0 couples slope and intercept."""
    raw = t.train.condition_number
    if t.prepared.standardised:
        if raw < 100:
            return None
        return (
            f"x is standardised for training (centred on {t.prepared.shift:.3g}, divided by {t.prepared.scale:.3g}): "
            f"the condition number drops from {raw:,.0f} to {t.fit.condition_number:.3g}, and the stable rate rises "
            f"from {2 / t.train.lambda_max:.3g} to {2 / t.fit.lambda_max:.3g}. The weights are shown in x's own units."
        )
    if raw < 100:
        return None
    return (
        f"x sits far from 0 here (mean {data.x_mean:.3g}, spread {data.x_std:.3g}), so the slope and the intercept "
        f"pull against each other: the loss is a long narrow valley (condition number {raw:,.0f}). Any rate above "
        f"{t.fit.critical_lr:.3g} diverges, and at safe rates the intercept crawls. Turn on *standardise x* "
        "(centre x, divide by its spread) to remove the coupling."
    )


def live_warning(t: RunTheory) -> Status | None:
    """Said while a run trains, before its numbers show it."""
    if t.diverges:
        formula = BOUND_FORMULA[t.settings.optimizer]
        return Status(
            "error",
            f"Diverging: {t.settings.lr:g} is at or above this run's stability bound {t.bound.lr:.4g} ({formula}), "
            "so the loss will grow.",
        )
    return None


def run_status(
    t: RunTheory, values: np.ndarray, divergence: tuple[int, str] | None, *, stopped: bool = False
) -> Status:
    """How a run ended, from its records (`values`: rows of loss, w0, w1, …; loss in column 0)."""
    settings, analysis, start_loss = t.settings, t.train, t.start_loss()
    total = settings.steps + 1
    rows = len(values)
    losses = values[:, 0] if rows else np.empty(0)
    grew = rows > 0 and losses[-1] > start_loss
    if divergence is not None or grew or t.diverges:
        if t.bound.lr is None:
            bound = f"No simple stability bound is known for {OPTIMIZER_NAMES[settings.optimizer]}; try a smaller rate."
        else:
            bound = (
                f"This run is stable only for rates below {t.bound.lr:.4g} ({BOUND_FORMULA[settings.optimizer]}); "
                f"you chose {settings.lr:g}."
            )
            if settings.optimizer == "gd":
                bound += f" The fastest stable rate is {t.fit.best_lr:.4g}."
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
        f"Not there yet: after {plural(total, 'update')} the loss is {number(final)}, {above}. "
        + (
            f"More steps, or a rate nearer the fastest {t.fit.best_lr:.4g}, get closer."
            if settings.optimizer == "gd"
            else "More steps, or another rate, get closer."
        ),
    )


def captions(t: RunTheory, data) -> dict[str, str]:
    """What to look for in each chart, in plain words, for this run."""
    s = t.settings
    fit = (
        "The thick line is the model at the step shown; each step moves it toward the least-squares line (dotted), "
        "the best any line can do on these points."
    )
    if data.generated and s.noise_kind == "uniform" and s.noise > 0:
        fit += (
            f" The blog's noise is never negative, so that line sits about noise/2 = {s.noise / 2:g} above the true "
            "line: the intercept lands near w1 + noise/2."
        )
    loss = (
        "The mean squared error after each step. It drops fast while the line swings into place, then slowly, "
        "along the bowl's shallow direction."
    )
    if t.prepared.test is not None:
        loss += " The dashed curve is the held-out points' loss: when it stops falling, more steps only fit noise."
    if t.diverges:
        loss += " Above the stability bound every step overshoots a little more, so the loss grows."
    weights = (
        "The slope and the intercept after each step, against the least-squares values (dotted). The one that "
        "lies along the bowl's shallow direction arrives last."
    )
    if t.diverges:
        weights = (
            "The slope and the intercept after each step. Past the stability bound each step overshoots further than "
            "the last: the weights swing from side to side, wider every step, and never settle."
        )
    kappa = t.fit.condition_number
    landscape = (
        f"The loss over every line (w0, w1): a bowl whose rings are equal steps of the gap to the optimum (×). "
        f"Its condition number {kappa:,.3g} is how much longer it is than wide."
    )
    if s.optimizer == "gd" and t.diverges:
        landscape += (
            " Gradient descent steps straight downhill, across the rings; past the stability bound each step "
            "overshoots the valley farther than the last, so the path zig-zags outward and leaves the bowl."
        )
    elif s.optimizer == "gd":
        landscape += (
            " Gradient descent steps straight downhill, across the rings: in a long bowl that is across the valley, "
            "so it overshoots, zig-zags, and creeps along the valley floor."
        )
    elif s.optimizer in ("momentum", "nesterov"):
        landscape += (
            " Momentum keeps going the way it went, so the path cuts the zig-zag short but swings past the optimum."
        )
    else:
        landscape += (
            " Adaptive steps are about the learning rate long whatever the slope: the path heads more directly, "
            "then hovers."
        )
    if t.exact:
        factor = t.factor()
        trend = (
            f"growing about {factor**2:.4g}× a step: the run diverges"
            if t.diverges
            else f"shrinking about {factor**2:.4g}× a step once the fast direction has settled"
        )
        gap = (
            "The gap to the optimum loss on a log scale: the run (solid) against theory (dashed). On this bowl theory "
            f"predicts every step exactly, the gap {trend}. The run parts from it only where float32 runs out of "
            "digits."
        )
    elif not t.full_batch:
        gap = (
            "The gap to the optimum loss on a log scale. With mini-batches each step follows a noisy estimate of the "
            "gradient, so there is no exact prediction: the gap falls, then jitters at a level set by the batch."
        )
    else:
        gap = (
            "The gap to the optimum loss on a log scale. Adaptive optimizers rescale every step by the gradient's "
            "running size, so no exact prediction holds: compare the run with plain gradient descent by pinning both."
        )
    return {"fit": fit, "loss": loss, "weights": weights, "landscape": landscape, "gap": gap}


# ---- The run chart's own words. The browser shows them as text and fills in each {name} with a number. ----

CHART_LEGEND = {
    "data": "data", "true_line": "true line", "least_squares": "least squares", "current_fit": "current fit",
    "path": "path", "start": "start", "optimum": "optimum",
    "loss": "loss", "least_squares_loss": "least-squares loss", "held_out_loss": "held-out loss",
    "run": "run", "theory": "theory",
    "w0": "w0 (slope)", "w1": "w1 (intercept)", "true_weights": "true", "least_squares_weights": "least squares",
}  # fmt: skip
LANDSCAPE_AXES = ("w0 (slope)", "w1 (intercept)")


def chart_words() -> dict[str, str]:
    """What the run chart says in each state it finds itself in (how a run ended comes with the run)."""
    return {
        "training": "Training: {done} of {total} updates done.",
        "playing": "Trained {done} updates; playing step {step}.",
        "stopped": "Stopped at step {step} of {last}: the run was stopped; press Run again to train it.",
        "lost": "Stopped at step {step} of {last}: the connection to the server was lost; the page reconnects "
        "by itself.",
        "title": "Step {step} of {last} · loss {loss} · w0 {w0} · w1 {w1}",
        "title_one": "Step {step} (the only update) · loss {loss} · w0 {w0} · w1 {w1}",
        "title_start": "Start · loss {loss} · w0 {w0} · w1 {w1}",
        "pin_other_data": "{label} (other data)",
        "sampled": "The data panel shows a random {shown} of the {n} points; training uses every one.",
        "no_plotly": "The chart could not load Plotly ({error}). Reload the page.",
        "unloaded": "The chart could not load its files ({error}). Reload the page.",
    }


def chart_unavailable(reason: str | None) -> str:
    """Why the run chart cannot be shown: static serving is off (reason None), or its files could not be
    written where Streamlit serves them."""
    if reason is None:
        return (
            "The run chart needs Streamlit's static file serving, which this server runs without: start the app "
            "from its own folder (its .streamlit/config.toml turns it on) or add --server.enableStaticServing true."
        )
    return (
        f"The run chart's files could not be written where Streamlit serves them ({reason}). The app's folder "
        "must be writable by the server; the command line (python -m linreg_core) works without it."
    )
