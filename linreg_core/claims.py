"""Every claim the page and the command line make about a run, computed in one place from the run's own
settings and data, in the coordinates it trains in. The texts (dashboard/texts.py, cli.py) only format these
values, and tests hold each against the run itself.

Three regimes, because theory says different things in each:
- "exact": a full batch and an optimizer linear on the bowl. Theory predicts every step: a stability bound,
  the loss gap's per-step factor, the fastest rate, the gap of each record.
- "mini": mini-batches with a linear optimizer. No step is predictable; in expectation there is a rate
  that stays bounded (`minibatch.safe_lr`, lower than the full-batch bound) and a noise floor the gap
  settles at. Only well below that rate (SAFE_SHARE of it) does the page promise the run settles.
- "adaptive": an optimizer that rescales its steps (not linear on the bowl): no bound, no factor, no curve.
Degenerate data (every x equal: one point, say) keeps its regime, but has no condition number and no single
optimum: the run heads for the least-squares line nearest its start, which the claims name instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import minibatch, optimizers
from .prepare import batches_per_epoch
from .settings import STEP_STOPS, Settings, knobs
from .theory import Fastest, RunTheory, predicted_gap

CONVERGED_GAP = 1e-3  # a loss within 0.1% of the optimum has converged, as far as any chart can tell
START_SHARE = 1e-6  # ... or within a millionth of the starting loss, when the optimum is ~0 (points on a line)
SAFE_SHARE = 0.5  # mini-batches: below this share of the rate safe in expectation, the run settles
TAIL = 50  # records at most that must all be within the converged gap, when the loss jitters or hovers
ROUND = 1.5  # a bowl with κ below this looks round: downhill points (nearly) at the optimum
FLOAT32_EPS = float(np.finfo(np.float32).eps)


def rounded(rate: float, down: bool = False) -> float:
    """A rate as the page offers it: four significant digits, the text it is written as; `down` rounds toward 0,
    for a rate that must stay under a limit (a pick that settles must not land on the limit's other side)."""
    near = float(f"{rate:.4g}")
    if down and near > rate:
        step = 10 ** (math.floor(math.log10(rate)) - 3)
        near = float(f"{near - step:.4g}")
    return near


@dataclass(frozen=True)
class Coordinates:
    """The weights the trainer updates. With x standardised, x' = (x − shift)/scale and the line v0·x' + v1
    is the line w0·x + w1 with w0 = v0/scale, w1 = v1 − shift·v0/scale; otherwise shift 0, scale 1."""

    standardised: bool
    shift: float
    scale: float

    @property
    def names(self) -> tuple[str, str]:
        return ("v0", "v1") if self.standardised else ("w0", "w1")

    @property
    def titles(self) -> tuple[str, str]:
        if self.standardised:
            return "v0: slope on standardised x", "v1: intercept on standardised x"
        return "w0 (slope)", "w1 (intercept)"

    def to_trained(self, w0: float, w1: float) -> tuple[float, float]:
        return w0 * self.scale, w1 + w0 * self.shift


@dataclass(frozen=True)
class Pick:
    """A quick choice under the learning-rate control: what it is called and the rate it sets."""

    label: str
    lr: float


@dataclass(frozen=True)
class Advice:
    """A value the page suggests for one setting, which its control can take."""

    setting: str
    value: object


@dataclass(frozen=True, eq=False)
class Claims:
    theory: RunTheory
    settings: Settings
    optimizer: optimizers.Optimizer
    regime: str  # "exact", "mini" or "adaptive"
    degenerate: bool
    n_train: int
    batch: int  # points per update (n_train for a full batch)
    coords: Coordinates
    optimum: tuple[float, float]  # the least-squares line the run heads for, in the data's units
    optimum_trained: tuple[float, float]  # the same, in the weights trained (the landscape's coordinates)
    start_trained: tuple[float, float]
    loss_star: float
    start_loss: float
    kappa: float | None  # condition number of the bowl trained on (None when degenerate)
    raw_kappa: float | None  # of the bowl in the data's own units
    full_bound: float | None  # the full-batch stability bound (None: none known)
    bound: float | None  # the bound this run is judged by: full-batch (exact), safe in expectation (mini)
    fastest: Fastest | None  # exact regime only
    factor: float | None  # the loss gap's per-step factor at this rate (exact regime only)
    floor: float | None  # the expected loss gap a mini-batch run settles at
    verdict: str  # exact: converges/diverges; mini: settles/edge/unsafe; adaptive: unknown
    predicted: np.ndarray | None  # the loss gap of every record (exact regime only)
    held_out: bool  # some points are kept out of training
    path: dict = field(default_factory=dict)  # how the path moves along the steep and the flat direction
    picks: tuple[Pick, ...] = ()

    @property
    def best(self) -> float | None:
        """The fastest rate as the page offers it (its "best" pick), or None."""
        return next((p.lr for p in self.picks if p.label == "best"), None)

    @property
    def ring_ratio(self) -> float | None:
        """How many times longer than wide the landscape's rings are (at equal scale on both axes): √κ."""
        return None if self.kappa is None else math.sqrt(self.kappa)

    @property
    def half_life(self) -> float | None:
        """Steps for the loss gap to halve (negative: to double); None without a factor, or at 0 or 1."""
        f = self.factor
        return None if f is None or f <= 0 or f == 1 else math.log(0.5) / math.log(f)

    @property
    def legends(self) -> dict[str, list[str]]:
        """The legend entries that are true for this run, panel by panel: keys of what each panel draws (the
        page words them: dashboard.texts.CHART_LEGEND)."""
        generated = self.settings.data == "generator"
        return {
            "fit": ["data", *(["true_line"] if generated else []), "least_squares", "current_fit", "residuals"],
            "loss": ["loss", "least_squares_loss", *(["held_out_loss"] if self.held_out else [])],
            "gap": ["run", *(["theory"] if self.predicted is not None else [])],
            "weights": ["w0", "w1", *(["true_weights"] if generated else []), "least_squares_weights"],
            "landscape": ["path", "start", "optimum", *self.step_arrows],
        }  # fmt: skip

    @property
    def step_arrows(self) -> list[str]:
        """The arrows the landscape draws for the update into the step shown: −lr·∇L (of the mini-batch, when
        there is one), and, where the optimizer steps elsewhere, the step it took (momentum's velocity, or an
        adaptive rule's rescaled step, where −lr·∇L is not drawn: its length says nothing of the step)."""
        gradient = ["gradient_step" if self.regime == "exact" else "batch_gradient_step"]
        if self.optimizer.plain:
            return gradient
        return [*gradient, "momentum_step"] if self.optimizer.linear else ["adaptive_step"]


def claims(t: RunTheory) -> Claims:
    """Every claim about the run `t` describes, before it trains."""
    s, o, h = t.settings, t.optimizer, t.hyper
    fit, p = t.fit, t.prepared
    coords = Coordinates(p.standardised, p.shift, p.scale)
    n_train = p.n_train
    full = batches_per_epoch(n_train, s.batch_size) == 1
    regime = "adaptive" if not o.linear else "exact" if full else "mini"
    degenerate = fit.degenerate
    start = t.start()
    optimum_trained = _destination(fit, start)
    optimum = _to_original(coords, optimum_trained) if degenerate else (t.train.w0_star, t.train.w1_star)
    full_bound = t.bound.lr
    fastest = factor = floor = predicted = None
    if regime == "exact":
        bound, fastest, factor = full_bound, t.fastest(), t.factor()
        verdict = "diverges" if s.lr >= bound else "converges"
        predicted = predicted_gap(fit, start, s.lr, s.steps, s.optimizer, h)
    elif regime == "mini":
        batch = min(s.batch_size, n_train)
        bound = minibatch.safe_lr(fit, s.optimizer, h, n_train, batch)
        verdict = "unsafe" if s.lr >= bound else "edge" if s.lr >= SAFE_SHARE * bound else "settles"
        floor = minibatch.noise_floor(fit, s.optimizer, h, s.lr, n_train, batch)
    else:
        bound, verdict = None, "unknown"
    return Claims(
        theory=t, settings=s, optimizer=o, regime=regime, degenerate=degenerate, n_train=n_train,
        batch=n_train if full else s.batch_size, coords=coords, optimum=optimum, optimum_trained=optimum_trained,
        start_trained=start, loss_star=t.train.loss_star, start_loss=t.start_loss(),
        kappa=None if degenerate else fit.condition_number,
        raw_kappa=None if t.train.degenerate else t.train.condition_number, full_bound=full_bound, bound=bound,
        fastest=fastest, factor=factor, floor=floor, verdict=verdict, predicted=predicted,
        held_out=p.test is not None, path=_path(t, regime), picks=_picks(regime, bound, fastest),
    )  # fmt: skip


def _destination(fit, start) -> tuple[float, float]:
    """Where the run heads, in the weights trained: the optimum; on a flat-bottomed valley (degenerate data) the
    point of the valley floor the steps reach, since no step moves along the floor (gradients lie across it)."""
    star = np.array([fit.w0_star, fit.w1_star])
    if fit.degenerate:
        along = np.array(fit.u_min)
        star = star + along * float(np.dot(along, np.asarray(start) - star))
    return float(star[0]), float(star[1])


def _to_original(coords: Coordinates, v: tuple[float, float]) -> tuple[float, float]:
    w0 = v[0] / coords.scale
    return w0, v[1] - coords.shift * w0


def _path(t: RunTheory, regime: str) -> dict:
    """How the steps move along the bowl's steep and flat directions: "flips" (a negative root leads: each step
    overshoots, a zig-zag), "swings" (complex roots: overshoots and comes back), "glides" (a positive root:
    no overshoot), "lands" (all roots 0: one step reaches the optimum along it), with the loss gap's factor
    along it. Exact regime only."""
    if regime != "exact":
        return {}
    o, h, lr = t.optimizer, t.hyper, t.settings.lr
    out = {}
    for name, lam in (("steep", t.fit.lambda_max), ("flat", t.fit.lambda_min)):
        if lam <= 0:
            continue
        roots = np.roots([float(c) for c in o.characteristic(lr * lam, h)])
        lead = roots[np.argmax(np.abs(roots))]
        if abs(lead) < 1e-9:
            kind = "lands"  # the step is exactly the distance along this direction
        else:
            kind = "swings" if abs(lead.imag) > 1e-12 else "flips" if lead.real < 0 else "glides"
        out[name] = (kind, float(abs(lead)) ** 2)
    return out


def _picks(regime: str, bound: float | None, fastest: Fastest | None) -> tuple[Pick, ...]:
    """Quick choices for the rate, each a value the control can take (inside its range)."""
    if bound is None:
        return ()
    if regime == "exact":
        wanted = [("critical × 0.95", rounded(0.95 * bound)), ("critical × 1.05", rounded(1.05 * bound))]
        if fastest is not None:  # written to four digits, it must stay under the bound it may sit just below
            best = rounded(fastest.lr)
            wanted.insert(0, ("best", best if best < bound else rounded(fastest.lr, down=True)))
    else:
        wanted = [(f"safe × {SAFE_SHARE:g}", rounded(SAFE_SHARE * bound, down=True)),
                  ("safe × 0.95", rounded(0.95 * bound))]  # fmt: skip
    lo, hi = LR_RANGE
    return tuple(Pick(label, rate) for label, rate in wanted if lo <= rate <= hi)


LR_RANGE = next((k.lo, k.hi) for name, _, _, k in knobs() if name == "lr")


# ---- after the run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """How a run ended, from its own records. kind: "converged", "short" (not there yet), "floor" (a mini-batch
    run at its noise floor), "held" (a mini-batch run past the rate safe in expectation that did not blow up),
    "diverged" (stopped by the trainer), "growing" (the loss turned up), "turning" (it has not turned up yet,
    but the rate is past the bound) or "stopped" (interrupted).

    `step` is the last record's step (-1 for none) and `loss` its loss: the numbers the status names, the same
    as the chart's last frame. `turn` is the step from which the loss grew; `needed` the updates theory says
    reach CONVERGED_GAP (exact regime); `advice` the values to try."""

    kind: str
    step: int
    loss: float
    gap: float
    turn: int | None = None
    needed: int | None = None
    needed_fastest: int | None = None
    advice: tuple[Advice, ...] = ()


def threshold(c: Claims) -> float:
    """The gap under which a run counts as converged."""
    return max(CONVERGED_GAP * c.loss_star, START_SHARE * c.start_loss)


def outcome(c: Claims, losses: np.ndarray, diverged: bool, *, stopped: bool = False) -> Outcome:
    """`losses`: the loss of every record the run yielded (step 0 on); `diverged`: the trainer stopped it."""
    losses = np.asarray(losses, dtype=np.float64)
    rows = len(losses)
    step = rows - 1
    final = float(losses[-1]) if rows else c.start_loss
    gap = final - c.loss_star
    turn = int(np.argmin(np.concatenate([[c.start_loss], losses])))  # the first record after the lowest loss
    grew = rows > 0 and final > c.start_loss
    if diverged or grew or c.verdict == "diverges":
        kind = "diverged" if diverged else "growing" if turn < rows else "turning"
        return Outcome(kind, step, final, gap, turn=turn, advice=_calmer(c))
    if stopped:
        return Outcome("stopped", step, final, gap)
    if c.regime == "exact":
        return Outcome("converged", step, final, gap) if gap <= threshold(c) else _short_exact(c, step, final, gap)
    # a jittering run (mini-batches) or a hovering one (adaptive steps) has converged only if its last records
    # all have, not just the last one
    tail = losses[-max(1, min(TAIL, rows // 10)) :] - c.loss_star if rows else np.array([gap])
    settled = float(tail.max()) <= threshold(c)
    if c.regime == "mini" and c.verdict == "unsafe":  # it did not blow up this time; nothing says it will not
        return Outcome("held", step, final, gap, advice=_calmer(c))
    if c.regime == "mini":
        # In expectation the offset's mean follows the full-batch recurrence; once its gap is below the noise
        # floor, more steps change nothing: the floor is what is left, however low this one record landed.
        s = c.settings
        mean = predicted_gap(c.theory.fit, c.start_trained, s.lr, MAX_STEPS, s.optimizer, c.theory.hyper)
        level = max(c.floor, threshold(c))
        if mean[s.steps] <= level:
            kind = "converged" if settled else "floor"
            return Outcome(kind, step, final, gap, advice=() if settled else _calmer(c))
        needed = _first_below(mean, level)
        advice = (Advice("steps", _steps_stop(needed)),) if needed is not None else ()
        return Outcome("short", step, final, gap, needed=needed, advice=advice)
    return Outcome("converged" if settled else "short", step, final, gap)


def _calmer(c: Claims) -> tuple[Advice, ...]:
    """A rate that settles: the fastest (exact) or the settling pick (mini), when there is one."""
    return (Advice("lr", c.picks[0].lr),) if c.picks else ()


def _short_exact(c: Claims, step: int, final: float, gap: float) -> Outcome:
    """Not there yet, with what theory says gets there: the updates needed at this rate (and the steps stop
    to set), at the fastest rate, or standardised x when the bowl is too long for either."""
    s, t = c.settings, c.theory
    goal = threshold(c)
    needed = _first_below(predicted_gap(t.fit, c.start_trained, s.lr, MAX_STEPS, s.optimizer, t.hyper), goal)
    advice = [Advice("steps", _steps_stop(needed))] if needed is not None else []
    at_fastest = None
    best = c.best
    if best is not None and best != rounded(s.lr):
        at_fastest = _first_below(predicted_gap(t.fit, c.start_trained, best, MAX_STEPS, s.optimizer, t.hyper), goal)
        if at_fastest is not None and (needed is None or at_fastest < needed):
            advice.append(Advice("lr", best))
    if needed is None and at_fastest is None and not c.coords.standardised and (c.raw_kappa or 0) >= SCALING_KAPPA:
        advice.append(Advice("standardize", True))
    return Outcome("short", step, final, gap, needed=needed, needed_fastest=at_fastest, advice=tuple(advice))


def _steps_stop(updates: int) -> int:
    """The smallest value of the steps control that makes at least `updates` updates (steps counts from 0)."""
    return min(v for v in STEP_STOPS if v + 1 >= updates)


def _first_below(gaps: np.ndarray, goal: float) -> int | None:
    """How many updates until a gap within `goal` (record k follows k + 1 updates); None: not in MAX_STEPS."""
    hit = np.flatnonzero(gaps <= goal)
    return int(hit[0]) + 1 if hit.size else None


MAX_STEPS = next(int(k.hi) for name, _, _, k in knobs() if name == "steps")
SCALING_KAPPA = 100  # a bowl this long crawls along its valley: standardising x is the cure
