"""The page's words about a run: where a learning rate sits, how a run ended, what to try, what each chart shows.

Every number and verdict here comes from linreg_core.claims (computed once from the run's settings and data,
in the coordinates it trains in); these functions only put them into sentences. Free of Streamlit, so tests
read exactly what the page says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linreg_core import claims as claims_
from linreg_core import optimizers
from linreg_core.claims import Claims, Outcome
from linreg_core.settings import N_STOPS, STEP_STOPS, Settings
from linreg_core.words import big, change_text, limit_text, loss_text, percent_text, plural, rate_text

# What one page run may cost, in point-updates of plain full-batch gradient descent: about 4 s of training
# on a small shared server (docs hold the measurement). Other kinds of run cost more per point-update:
# another optimizer ×1.1, mini-batches +0.8 (a full pass for the loss besides the batch's), a hold-out +1.2.
WORK_BUDGET = 3_001_000_000
COST_OTHER_OPTIMIZER, COST_MINI_BATCH, COST_HOLD_OUT = 0.1, 0.8, 1.2
ROUND_RINGS = 1.05  # rings this close to circles are called round, not "1 times longer than wide"


@dataclass(frozen=True)
class Status:
    """A run's state in one line. kind: "success", "info", "warning" (slow, stopped) or "error" (diverging).
    `step` is the record the text speaks of (its last), so the chart can hold the verdict until it shows it."""

    kind: str
    text: str
    step: int | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, "step": self.step}


def number(value: float) -> str:
    """A loss as people read it: 130,752 rather than 1.308e+05, small ones to four digits."""
    return f"{value:,.0f}" if 1e4 <= abs(value) < 1e12 else f"{value:.4g}"


# ---- the work budget ---------------------------------------------------------------------------------


def cost_factor(settings: Settings, n: int) -> float:
    """How much one point-update of this kind of run costs, against plain full-batch gradient descent."""
    factor = 1.0
    if not optimizers.get(settings.optimizer).plain:
        factor += COST_OTHER_OPTIMIZER
    if 0 < settings.batch_size < n:
        factor += COST_MINI_BATCH
    if settings.test_fraction > 0:
        factor += COST_HOLD_OUT
    return factor


def within_budget(settings: Settings, n: int) -> bool:
    return n * (settings.steps + 1) * cost_factor(settings, n) <= WORK_BUDGET


def budget_advice(settings: Settings, n: int) -> tuple[int | None, int | None]:
    """The largest steps and n (stops of their controls) that fit the budget; n only where n is a control."""
    fits_steps = [v for v in STEP_STOPS if within_budget(settings.changed(steps=v), n)]
    fits_n = [v for v in N_STOPS if within_budget(settings, v)] if settings.applies("n") else []
    return (max(fits_steps) if fits_steps else None), (max(fits_n) if fits_n else None)


def budget_problem(settings: Settings, n: int) -> str | None:
    """Why the page will not train these settings on `n` points (too much work for a shared server), or None."""
    if within_budget(settings, n):
        return None
    factor = cost_factor(settings, n)
    steps, most_n = budget_advice(settings, n)
    lower = []
    if steps is not None:
        lower.append(f"steps to {steps:,}")
    if most_n is not None:
        lower.append(f"n to {most_n:,}")
    kind = "" if factor == 1 else f" (this kind of run costs {factor:.1f}× a plain full-batch step)"
    return (
        f"{plural(n, 'point')} × {plural(settings.steps + 1, 'update')} is more than this shared server trains for "
        f"one visitor{kind}: it allows about 4 s of training. Lower {' or '.join(lower)}; the command line has no such "
        "limit."
    )


# ---- before the run ------------------------------------------------------------------------------------


def _rings(c: Claims) -> str:
    """The bowl's shape from its condition number κ: the rings' axes are in the ratio √κ."""
    if c.ring_ratio < ROUND_RINGS:
        return "the bowl is round, its rings circles"
    return f"the rings are {c.ring_ratio:.3g} times longer than wide"


def _bowl(c: Claims) -> str:
    if c.kappa is None:
        return "the bowl is a flat-bottomed valley (no condition number)"
    return f"condition number {big(c.kappa)}: {_rings(c)}"


def stability_note(c: Claims) -> str:
    """Under the learning-rate control: where this rate sits for this optimizer on these points."""
    s, o = c.settings, c.optimizer
    lr = rate_text(s.lr)
    if c.regime == "adaptive":
        return f"{o.why} ({_bowl(c).capitalize()}.)"
    if c.regime == "mini":
        verdict = {
            "settles": f"the loss gap falls, then jitters around a noise floor of about {loss_text(c.floor)} "
            "(a smaller rate or a larger batch lowers it)",
            "edge": "the run is stable in expectation but near the edge: expect large swings, and it may blow up",
            "unsafe": "the run is past it: it may blow up at any step",
        }[c.verdict]
        return (
            f"With batches of {c.batch:,} of {c.n_train:,} points the full-batch bound {limit_text(c.full_bound)} "
            f"does not hold: the rate safe in expectation is **{limit_text(c.bound)}**. At {lr} {verdict}."
        )
    fastest = c.fastest
    if fastest is None or c.best is None:
        best = ""
    elif fastest.hi / fastest.lo > 1.01:
        best = f"; fastest anywhere from **{rate_text(fastest.lo)}** to **{rate_text(fastest.hi)}**"
    else:
        best = f"; fastest: **{rate_text(c.best)}**"
    verdict = "diverges" if c.verdict == "diverges" else "converges"
    return (
        f"Stable below **{limit_text(c.bound)}** ({o.formula}){best}; {_bowl(c)}. At {lr} {o.label} {verdict}: the "
        f"gap to the optimum loss {change_text(c.factor)}."
    )


def scaling_note(c: Claims, data) -> str | None:
    """About the points: why gradient descent crawls on them, or what standardising did, or why no single line
    fits best (every x equal)."""
    if c.degenerate:
        x = float(c.theory.prepared.train.x[0])
        return (
            f"Every x here is {x:.4g}, so no single line fits best: every line through the points' mean at x = "
            f"{x:.4g} fits as well as any, and the loss bowl is a valley with a flat floor (no condition number). "
            f"The run still takes the loss to its minimum {loss_text(c.loss_star)}, moving across the valley only; "
            "the optimum marked is the line it reaches from its start."
        )
    raw, t = c.raw_kappa, c.theory
    if raw is None or raw < claims_.SCALING_KAPPA:
        return None
    if c.coords.standardised:
        rates = ""
        if c.full_bound is not None:
            raw_bound = c.optimizer.limit(t.hyper) / t.train.lambda_max
            rates = f", and the stable rate rises from {limit_text(raw_bound)} to {limit_text(c.full_bound)}"
        return (
            f"x is standardised for training (centred on {c.coords.shift:.3g}, divided by {c.coords.scale:.3g}): the "
            f"condition number drops from {big(raw)} to {big(c.kappa)}{rates}. The landscape shows the weights "
            "trained, of standardised x; the other charts show the line in x's own units."
        )
    bound = f" Any rate above {limit_text(c.full_bound)} diverges, and at safe rates the intercept crawls." if (
        c.full_bound is not None) else ""  # fmt: skip
    return (
        f"x sits far from 0 here (mean {data.x_mean:.3g}, spread {data.x_std:.3g}), so the slope and the intercept "
        f"pull against each other: the loss is a long narrow valley (condition number {big(raw)}).{bound} Turn on "
        "*standardise x* (centre x, divide by its spread) to remove the coupling."
    )


def data_default_note(raw: Claims, c: Claims, title: str) -> str:
    """Why x is standardised on arrival, from the claims of the same run on the raw x (`raw`) and of the run
    itself (`c`); it stands for the scaling note too, so a phone shows one box, not two."""
    s, o = raw.settings, raw.optimizer
    at = f"{o.label} at {rate_text(s.lr)}"
    if raw.regime == "exact" and raw.verdict == "diverges":
        what = f"{at} diverges: it is stable only below {limit_text(raw.bound)} there"
    elif raw.regime == "exact":
        what = f"{at} converges too, but slower: the gap to the optimum loss {change_text(raw.factor)}"
    else:
        what = "the bowl is a long narrow valley"
    kappa = "" if raw.kappa is None else f" (condition number {big(raw.kappa)})"
    k = c.coords
    now = f" Centred on {k.shift:.3g} and divided by {k.scale:.3g}, x makes a bowl of condition number {big(c.kappa)}"
    now += f", stable below {limit_text(c.full_bound)}." if c.full_bound is not None else "."
    return (
        f"*Standardise x* is on by default for {title}. On the raw x, {what}{kappa}.{now} The landscape shows the "
        "weights trained, of standardised x; the other charts show the line in x's own units."
    )


def live_warning(c: Claims) -> Status | None:
    """Said while a run trains, before its numbers show it."""
    if c.verdict == "diverges":
        return Status("error", f"Diverging: {rate_text(c.settings.lr)} is at or above this run's stability bound "
                      f"{limit_text(c.bound)} ({c.optimizer.formula}), so the loss will grow.")  # fmt: skip
    if c.verdict == "unsafe":
        return Status("warning", f"{rate_text(c.settings.lr)} is above the rate safe in expectation for batches of "
                      f"{c.batch:,}, {limit_text(c.bound)}: the run may blow up at any step.")  # fmt: skip
    return None


# ---- after the run -------------------------------------------------------------------------------------


def run_status(c: Claims, values: np.ndarray, divergence, *, stopped: bool = False) -> Status:
    """How a run ended, from its records (`values`: rows of loss, w0, w1, …; loss in column 0)."""
    losses = values[:, 0] if len(values) else np.empty(0)
    return status_of(c, claims_.outcome(c, losses, divergence is not None, stopped=stopped))


def status_of(c: Claims, out: Outcome) -> Status:
    s = c.settings
    at = f"step {out.step:,}" if out.step >= 0 else "the start"
    if out.kind in ("diverged", "growing", "turning"):
        if out.kind == "turning":
            head = f"the loss has not turned up within {plural(out.step + 1, 'step')}, but at this rate it will"
        else:
            head = f"the loss grew from step {out.turn:,} on, to {loss_text(out.loss)} at {at}"
            if out.kind == "diverged":
                head += ", where the run stopped: one more update took it past a million times its start"
        return Status("error", f"Diverging: {head}. {_why_diverging(c)}", out.step)
    if out.kind == "stopped":
        return Status("warning", f"Stopped at {at} of {s.steps:,}: training was interrupted. Press Run again.",
                      out.step)  # fmt: skip
    updates = plural(s.steps + 1, "update")
    if out.kind == "converged":
        return Status("success", f"Converged: after {updates} the loss is {loss_text(out.loss)}, "
                      f"{_closeness(c, out)}.", out.step)  # fmt: skip
    if out.kind == "held":
        settle = f" At {rate_text(c.picks[0].lr)} it settles." if c.picks else ""
        return Status("warning", f"Held, this time: after {updates} the loss is {loss_text(out.loss)}, "
                      f"{_above(c, out)}. But {rate_text(s.lr)} is past the rate safe in expectation for batches of "
                      f"{c.batch:,}, {limit_text(c.bound)}: another order of batches may blow up.{settle}",
                      out.step)  # fmt: skip
    if out.kind == "floor":
        level = (f"jitters around about {loss_text(c.floor)} (expected; reshuffling each epoch often does better)"
                 if c.verdict == "settles" else "jitters, with large swings this close to the rate safe in "
                 "expectation")  # fmt: skip
        return Status("info", f"At its noise floor: after {updates} the loss is {loss_text(out.loss)}, "
                      f"{_above(c, out)}. Each batch of {c.batch:,} pulls a little off the full gradient, so the gap "
                      f"{level}. A smaller rate or a larger batch lowers it; more steps do not.", out.step)  # fmt: skip
    return Status("info", f"Not there yet: after {updates} the loss is {loss_text(out.loss)}, {_above(c, out)}. "
                  f"{_closer(c, out)}", out.step)  # fmt: skip


def _why_diverging(c: Claims) -> str:
    s, o = c.settings, c.optimizer
    if c.regime == "adaptive":
        return f"{o.why.split(':')[0]}; try a smaller rate."
    if c.regime == "mini":
        text = (f"For batches of {c.batch:,} the rate safe in expectation is {limit_text(c.bound)} (the full-batch "
                f"bound {limit_text(c.full_bound)} does not hold); you chose {rate_text(s.lr)}.")  # fmt: skip
        return text + (f" At {rate_text(c.picks[0].lr)} it settles." if c.picks else "")
    text = f"This run is stable only for rates below {limit_text(c.bound)} ({o.formula}); you chose {rate_text(s.lr)}."
    return text + (f" The fastest stable rate is {rate_text(c.best)}." if c.best is not None else "")


def _closeness(c: Claims, out: Outcome) -> str:
    if c.loss_star <= 1e-9 * c.start_loss:
        return "and the optimum is 0 here: the points lie on a line"
    if out.gap <= 4 * claims_.FLOAT32_EPS * max(c.loss_star, out.loss):
        return f"the least-squares optimum {loss_text(c.loss_star)} to float32's precision"
    return f"within {percent_text(out.gap / c.loss_star)} of the least-squares optimum {loss_text(c.loss_star)}"


def _above(c: Claims, out: Outcome) -> str:
    if c.loss_star <= 1e-9 * c.start_loss:
        return "above the optimum 0"
    if out.gap < 10 * c.loss_star:
        return f"{percent_text(out.gap / c.loss_star)} above the optimum {loss_text(c.loss_star)}"
    return f"{big(out.loss / c.loss_star)} times the optimum {loss_text(c.loss_star)}"


def _closer(c: Claims, out: Outcome) -> str:
    """What gets closer, from the outcome's advice (every value one its control can take)."""
    advice = {a.setting: a.value for a in out.advice}
    if c.regime == "adaptive":
        return f"{c.optimizer.label}'s steps stay about the learning rate long, so it hovers near the optimum: a " \
               "smaller rate settles closer; more steps may not."  # fmt: skip
    if c.regime == "mini":
        more = f"set steps to {advice['steps']:,}" if "steps" in advice else "more steps than the control allows"
        floor = f"a noise floor of about {loss_text(c.floor)}" if c.verdict == "settles" else "a noise floor"
        return f"More steps get closer ({more}), down to {floor}: batches of {c.batch:,} jitter around it."
    parts = []
    if out.needed is not None:
        parts.append(f"At this rate theory says {plural(out.needed, 'update')} reach within "
                     f"{percent_text(claims_.CONVERGED_GAP)}: set steps to {advice['steps']:,}")  # fmt: skip
    else:
        parts.append(f"At this rate {plural(claims_.MAX_STEPS + 1, 'update')} do not reach within "
                     f"{percent_text(claims_.CONVERGED_GAP)}")  # fmt: skip
    if "lr" in advice:
        fast = f"{plural(out.needed_fastest, 'update')}" if out.needed_fastest else "fewer updates"
        parts.append(f"at the fastest rate, {rate_text(advice['lr'])}, {fast} do")
    if "standardize" in advice:
        parts.append("turn on *standardise x* to round the bowl")
    return "; ".join(parts) + "."


# ---- what each chart shows ---------------------------------------------------------------------------


def captions(c: Claims, data) -> dict[str, str]:
    """What to look for in each chart, in plain words, for this run."""
    s = c.settings
    fit = (
        "The thick line is the model at the step shown; each step moves it toward the least-squares line (dotted), "
        "the best any line can do on these points. The thin segments are its residuals: the loss is the mean of "
        "their squares over the points trained on."
    )
    if data.generated and s.noise_kind == "uniform" and s.noise > 0:
        fit += (
            f" The blog's noise is never negative, so that line sits about noise/2 = {s.noise / 2:g} above the true "
            "line: the intercept lands near w1 + noise/2."
        )
    diverging = c.verdict == "diverges"
    loss = (
        "The mean squared error after each step. It drops fast while the line swings into place, then slowly, "
        "along the bowl's shallow direction."
    )
    if c.held_out:
        loss += " The dashed curve is the held-out points' loss: when it stops falling, more steps only fit noise."
    if diverging:
        loss += " Above the stability bound every step overshoots a little more, so the loss grows."
    if c.verdict == "unsafe":
        loss += " Past the rate safe in expectation for these batches, one unlucky batch can start it growing."
    weights = "The slope and the intercept after each step, against the least-squares values (dotted)."
    if diverging:
        weights = (
            "The slope and the intercept after each step. Past the stability bound each step overshoots further than "
            "the last: the weights swing from side to side, wider every step, and never settle."
        )
    return {"fit": fit, "loss": loss, "weights": weights, "landscape": _landscape_caption(c), "gap": _gap_caption(c)}


def _landscape_caption(c: Claims) -> str:
    text = "The loss over every line: a bowl whose rings are equal steps of the gap to the optimum (×)"
    if c.kappa is None:
        text += ". Its floor is flat along the valley: every line on it fits as well."
    else:
        text += f". Its condition number {big(c.kappa)}: {_rings(c)}."
    if c.coords.standardised:
        k = c.coords
        text += (
            f" Drawn in the weights trained: v0, v1 of the line v0·x' + v1 on standardised x' = (x − {k.shift:.4g})/"
            f"{k.scale:.4g}, which is the line w0·x + w1 with w0 = v0/{k.scale:.4g} and w1 = v1 − {k.shift:.4g}·w0."
        )
    return text + " " + _path_words(c) + " " + _arrow_words(c)


def _arrow_words(c: Claims) -> str:
    """What the arrows at the step shown are (Claims.step_arrows): the update that led there."""
    arrows = c.step_arrows
    if "adaptive_step" in arrows:
        return (f"The arrow is the step {c.optimizer.label} took into the step shown: not −lr·∇L, but the "
                "gradient rescaled by its running size.")  # fmt: skip
    which = "its mini-batch's −lr·∇L" if "batch_gradient_step" in arrows else "−lr·∇L"
    if "momentum_step" in arrows:
        return (f"Two arrows start at the step before the one shown: {which} there, and the step taken, which adds "
                "the velocity and ends on the step shown.")  # fmt: skip
    return f"The arrow is the update into the step shown: {which}, taken at the step before."


def _path_words(c: Claims) -> str:
    o = c.optimizer
    if c.regime == "adaptive":
        return o.mechanism
    if c.regime == "mini":
        return f"{o.mechanism} Each mini-batch's gradient points a little off downhill, so the path jitters."
    if c.verdict == "diverges":
        return f"{o.mechanism} Past the stability bound each step overshoots farther than the last: the path swings " \
               "outward and leaves the bowl."  # fmt: skip
    steep, flat = c.path.get("steep"), c.path.get("flat")
    words = {
        "flips": "each step overshoots the steep direction, so the path zig-zags across the valley",
        "swings": "the path swings past the optimum and back, spiralling in",
        "glides": "no step overshoots the steep direction, so the path curves in without zig-zagging",
        "lands": "each step lands on the valley floor: the steep direction settles in one step",
    }
    if c.kappa is not None and c.kappa < claims_.ROUND:
        ending = {"lands": ", and a step of this size lands on it at once", "flips": ", overshooting and coming "
                  "back", "swings": ", swinging past and back"}.get(steep[0], "")  # fmt: skip
        return f"{o.mechanism} The bowl is nearly round, so downhill points at the optimum: the path runs straight " \
               f"in{ending}."  # fmt: skip
    text = f"{o.mechanism} At this rate {words[steep[0]]}"
    if flat is not None and c.kappa is not None and c.kappa >= 2 and flat[1] > steep[1]:
        text += ", then creeps along the valley floor"
    return text + "."


def _gap_caption(c: Claims) -> str:
    if c.regime == "exact":
        trend = (
            f"the gap {change_text(c.factor)}: the run diverges"
            if c.verdict == "diverges"
            else f"once the fast direction has settled, the gap {change_text(c.factor)}"
        )
        return (
            "The gap to the optimum loss on a log scale: the run (solid) against theory (dashed). On this bowl theory "
            f"predicts every step exactly: {trend}. The run parts from it only where float32 runs out of digits."
        )
    if c.regime == "mini":
        level = {
            "settles": f"jitters around a noise floor of about {loss_text(c.floor)}",
            "edge": "jitters, with large swings this close to the rate safe in expectation",
            "unsafe": "may grow without bound: the rate is past the one safe in expectation",
        }[c.verdict]
        return (
            "The gap to the optimum loss on a log scale. With mini-batches each step follows a noisy estimate of the "
            f"gradient, so no curve predicts the run: the gap falls, then {level}."
        )
    return (
        "The gap to the optimum loss on a log scale. Adaptive optimizers rescale every step by the gradient's "
        "running size, so no exact prediction holds: compare the run with plain gradient descent by pinning both."
    )


# The run chart's panels in reading order, and their titles (dashboard/chart/js/panels.js draws them; the HTML
# download too; tests/test_downloads.py holds the two alike).
PANELS = ("fit", "landscape", "loss", "gap", "weights")
PANEL_TITLES = {
    "fit": "Data and fit", "landscape": "Loss landscape: the path on the bowl", "loss": "Loss",
    "gap": "Gap to the optimum: run against theory", "weights": "Weights",
}  # fmt: skip


# ---- The run chart's own words. The browser shows them as text and fills in each {name} with a number. ----

CHART_LEGEND = {
    "data": "data", "true_line": "true line", "least_squares": "least squares", "current_fit": "current fit",
    "path": "path", "start": "start", "optimum": "optimum",
    "loss": "loss", "least_squares_loss": "least-squares loss", "held_out_loss": "held-out loss",
    "run": "run", "theory": "theory",
    "w0": "w0 (slope)", "w1": "w1 (intercept)", "true_weights": "true", "least_squares_weights": "least squares",
    "residuals": "residuals",
    # the arrows of the update into the step shown, from the weights before it (Claims.step_arrows)
    "gradient_step": "−lr·∇L into the step shown", "batch_gradient_step": "−lr·∇L of its mini-batch",
    "momentum_step": "step taken (with the velocity)", "adaptive_step": "step taken (rescaled, not −lr·∇L)",
}  # fmt: skip


def no_preview(c) -> str:
    """Why the chart draws no predicted path while the start is dragged (for runs it cannot compute exactly)."""
    if c.regime == "mini":
        return (f"No predicted path: each update sees another mini-batch of {c.batch:,} points, so the path "
                "depends on the draw; release to train it.")  # fmt: skip
    return (f"No predicted path: {c.optimizer.label} divides each step by the gradient's running size, which no "
            "closed form follows; release to train it.")  # fmt: skip


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
        "predicted": "Predicted path from w0 {w0}, w1 {w1} (dashed); release to train from there.",
        "predicted_rate": "Predicted path at learning rate {lr} (dashed); release to train at it.",
        "rate_strip": "Learning rates: green, every step heads straight in; amber, it swings to and fro but "
        "converges; red, it diverges. Drag along it, or use the arrow keys and Enter.",
        "rate_strip_note": "rate {lr} · fastest {fastest} (black tick)",
        "predicted_pair": "Predicted path at learning rate {lr} and momentum β {beta} (dashed); release to train at "
        "them.",
        "rate_map": "Learning rate (across, log scale) and momentum β (up): green, every step heads straight in; "
        "amber, it swings to and fro but converges; red, it diverges; darker converges faster. Drag on it, or use "
        "the arrow keys (←/→ rate, ↑/↓ β) and Enter.",
        "rate_map_note": "rate {lr}, β {beta} (ring) · fastest: rate {fastest_lr}, β {fastest_beta} (white cross)",
        "start_handle": "Start point: drag it on the landscape, or move it with the arrow keys and press Enter "
        "to train from there.",
        "sampled": "The data panel shows a random {shown} of the {n} points; training uses every one.",
        # the step under the microscope (js/microscope.js): the trainer's own lines (linreg_core/trainer.py
        # compute_gradients, update_weights) beside what each one gave at the step shown
        "tape_title": "The step under the microscope",
        "tape_start": "The start, before any update: “+1 step” shows the first one.",
        "tape_head": "Update {step}, from the weights of {from}: {v0} {w0_in}, {v1} {w1_in}.",
        "tape_from_start": "the start",
        "tape_from_step": "step {prev}",
        "tape_code_tape": "with tf.GradientTape() as tape:",
        "tape_code_loss": "    loss = loss_mse(X, Y, w0, w1)",
        "tape_code_grad": "dw0, dw1 = tape.gradient(loss, [w0, w1])",
        "tape_code_rule": "direction = {rule}'s step from (dw0, dw1)",
        "tape_code_sub0": "w0.assign_sub(dw0 * learning_rate)",
        "tape_code_sub1": "w1.assign_sub(dw1 * learning_rate)",
        "tape_code_dir0": "w0.assign_sub(direction[0] * learning_rate)",
        "tape_code_dir1": "w1.assign_sub(direction[1] * learning_rate)",
        "tape_loss": "loss = {loss}",
        "tape_loss_batch": "its mini-batch's loss (not kept); over all training points = {loss}",
        "tape_grad": "dw0 = {dw0}, dw1 = {dw1}",
        "tape_sub": "{dw} × {lr} = {step}: {name} {before} → {after}",
        "tape_dir": "{name} moved by {step}: {before} → {after}",
        "tape_standardised": "The tape trains on standardised x: its w0 and w1 are {v0} and {v1} here (the table above "
        "gives the line in x's own units).",
        "tape_prev": "−1 step",
        "tape_next": "+1 step",
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


def pins_table(pinned: list, differences: list[str]) -> list[dict[str, str]]:
    """The pinned runs' results table: a row per pin (pins.PinnedRun), its settings that differ, its final
    loss, and when it came within 1 % of the optimum (pins.REACHED_GAP) or diverged."""
    rows = []
    for i, (p, said) in enumerate(zip(pinned, differences, strict=True), start=1):
        r = p.result
        if r is None:
            final, reached = "not trained yet", "needs its points" if p.settings.data == "csv" else ""
        else:
            final = "no records" if r.final_loss is None else number(r.final_loss)
            reached = (f"diverged at step {r.diverged_at:,}" if r.diverged_at is not None
                       else f"step {r.reached:,}" if r.reached is not None else "not reached")  # fmt: skip
        rows.append({"pin": f"#{i}", "settings that differ": said, "final loss": final,
                     "within 1 % of the optimum": reached})  # fmt: skip
    return rows
