"""What theory says of one run, before it trains, for any optimizer of the registry: the optimum it heads
for, the rates at which it can, and how fast. Pure NumPy, from the data and the settings alone.

On the quadratic bowl of a full batch, an optimizer whose steps are linear in the offset from the optimum
(the registry's `characteristic` is given) moves each eigenvector's offset by a fixed recurrence. The
recurrence's characteristic polynomial, with a = lr·λ, decides everything: the roots' largest size is the
per-step factor of the offset along that eigenvector (its square, the loss gap's), the run is stable while
every root stays inside the unit circle (the registry's `limit`), and the gap of every record is exact.

Two analyses, because a run may train on other points than it is judged on:
- `train`: least squares on the training points (a hold-out taken out) in the data's own units. Its
  optimum and loss are what the records' w0, w1 and loss approach.
- `fit`: the same points as trained on (x standardised when asked). Its curvature sets the stable rates,
  the condition number and the speed of the weights the trainer actually updates; its landscape is the one
  they walk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import optimizers
from .analysis import Analysis, analyse
from .dataset import Dataset
from .optimizers import Hyper, Memory
from .prepare import Prepared, batches_per_epoch, prepare
from .settings import Settings

GRID = 600  # rates per level of the fastest-rate search (three levels: a relative resolution of ~3e-7)
PLATEAU = 1e-9  # factors this close to the smallest count as equally fast


# ---- one optimizer on one bowl --------------------------------------------------------------------


def stable_lr(analysis: Analysis, key: str, h: Hyper) -> float | None:
    """The largest full-batch rate at which the optimizer still converges on this bowl (None: none is known)."""
    o = optimizers.get(key)
    return None if o.limit is None else o.limit(h) / analysis.lambda_max


def _radius(coefficients) -> np.ndarray:
    """The largest root size of polynomials given by their coefficients (arrays broadcast over rates)."""
    c = [np.asarray(v, dtype=np.float64) for v in coefficients]
    c = [v / c[0] for v in c]
    if len(c) == 2:
        return np.abs(c[1])
    if len(c) == 3:  # z² + p·z + q
        p, q = np.broadcast_arrays(c[1], c[2])
        disc = p * p - 4 * q
        root = np.sqrt(np.abs(disc))
        real = np.maximum(np.abs(-p + root), np.abs(-p - root)) / 2
        return np.where(disc >= 0, real, np.sqrt(np.abs(q)))
    shape = np.broadcast_shapes(*(v.shape for v in c))
    flat = [np.broadcast_to(v, shape).ravel() for v in c]
    return np.array([np.abs(np.roots(row)).max() for row in zip(*flat, strict=True)]).reshape(shape)


def _loaded(analysis: Analysis) -> list[float]:
    """The eigenvalues whose direction carries loss (a flat valley floor carries none)."""
    return [lam for lam in (analysis.lambda_min, analysis.lambda_max) if lam > 0]


def gap_factor(analysis: Analysis, lr, key: str, h: Hyper):
    """How much the loss gap L − L* shrinks per step once only the slowest direction is left: the square of the
    largest root along any direction that carries loss. Below 1 converges. None for a non-linear optimizer.
    `lr` may be an array."""
    o = optimizers.get(key)
    if not o.linear:
        return None
    lr = np.asarray(lr, dtype=np.float64)
    radius = np.max([_radius(o.characteristic(lr * lam, h)) for lam in _loaded(analysis)], axis=0)
    return radius**2 if radius.ndim else float(radius**2)


class Fastest(NamedTuple):
    """The rate that shrinks the loss gap fastest, and how fast. With momentum the factor can be the same over
    a whole range of rates (its roots are complex there, of size √β whatever the rate): lo..hi is that range,
    and `lr` its middle on a log scale."""

    lr: float
    lo: float
    hi: float
    factor: float


def fastest(analysis: Analysis, key: str, h: Hyper) -> Fastest | None:
    """The rate below the stability bound with the smallest gap factor, found on a log grid refined twice."""
    bound = stable_lr(analysis, key, h)
    if bound is None:
        return None
    lo, hi = bound * 1e-6, bound * (1 - 1e-12)
    for _ in range(3):
        rates = np.geomspace(lo, hi, GRID)
        factors = gap_factor(analysis, rates, key, h)
        best = float(factors.min())
        near = np.flatnonzero(factors <= best * (1 + PLATEAU) + 1e-300)
        lo, hi = rates[max(near[0] - 1, 0)], rates[min(near[-1] + 1, GRID - 1)]
    if len(near) > 2:  # a plateau: its ends, to the grid's resolution
        lo, hi = float(rates[near[0]]), float(rates[near[-1]])
    else:
        lo = hi = float(rates[int(np.argmin(factors))])
    return Fastest(math.sqrt(lo * hi), lo, hi, float(gap_factor(analysis, math.sqrt(lo * hi), key, h)))


def predicted_gap(analysis: Analysis, start, lr: float, steps: int, key: str, h: Hyper) -> np.ndarray | None:
    """The loss gap L − L* of each record 0..steps of a full-batch run, exactly (record k follows k + 1
    updates), or None for a non-linear optimizer. A gap that overflows float64 (a diverging rate) is inf.

    Along each eigenvector the optimizer's own rule takes the first updates from rest (the offset and what the
    rule remembers); after those the offset follows the characteristic recurrence (Cayley-Hamilton: the state
    of a linear map satisfies its own characteristic polynomial). Give the analysis of the points as trained
    on and the start in the same units (see prepare.Prepared.to_trained)."""
    o = optimizers.get(key)
    if not o.linear:
        return None
    offset = np.asarray(start, dtype=np.float64) - [analysis.w0_star, analysis.w1_star]
    gaps = np.zeros(steps + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        for lam, u in ((analysis.lambda_min, analysis.u_min), (analysis.lambda_max, analysis.u_max)):
            if lam > 0:
                gaps += 0.5 * lam * _offsets(o, float(np.dot(u, offset)), lam, lr, steps + 1, h) ** 2
    return np.where(np.isnan(gaps), np.inf, gaps)


def _offsets(o: optimizers.Optimizer, d: float, lam: float, lr: float, updates: int, h: Hyper) -> np.ndarray:
    """The offset along one eigenvector after each of `updates` updates."""
    coefficients = [float(c) for c in o.characteristic(lr * lam, h)]
    order = len(coefficients) - 1
    out = np.empty(updates)
    memory = Memory(0.0, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(min(order, updates)):  # the rule itself, from rest
            direction, memory = o.rule(lam * d, memory, float(k + 1), h)
            d = d - lr * direction
            out[k] = d
        c = [v / coefficients[0] for v in coefficients[1:]]
        if order == 1 and updates > 1:
            out[1:] = out[0] * (-c[0]) ** np.arange(1, updates)
        elif order == 2 and updates > 2:  # plain floats: a loop over two numbers is faster than NumPy on them
            p, q, before, last, tail = c[0], c[1], float(out[0]), float(out[1]), []
            for _ in range(updates - 2):
                before, last = last, -p * last - q * before
                tail.append(last)
            out[2:] = tail
        else:
            for k in range(order, updates):
                out[k] = -sum(ci * out[k - 1 - i] for i, ci in enumerate(c))
    return out


# ---- a run ------------------------------------------------------------------------------------------


class Bound(NamedTuple):
    """The largest stable learning rate of a run's optimizer on its data (None when none is known), and why."""

    lr: float | None
    reason: str


@dataclass(frozen=True, eq=False)
class RunTheory:
    settings: Settings
    prepared: Prepared
    train: Analysis
    fit: Analysis

    @property
    def optimizer(self) -> optimizers.Optimizer:
        return optimizers.get(self.settings.optimizer)

    @property
    def hyper(self) -> Hyper:
        return optimizers.hyper_of(self.settings)

    @property
    def bound(self) -> Bound:
        """The full-batch stability bound of the run's optimizer on the points as trained on."""
        return Bound(stable_lr(self.fit, self.settings.optimizer, self.hyper), self.optimizer.why)

    @property
    def full_batch(self) -> bool:
        return batches_per_epoch(self.prepared.n_train, self.settings.batch_size) == 1

    @property
    def exact(self) -> bool:
        """Whether theory predicts this run step by step (a full batch, and an optimizer linear on a quadratic)."""
        return self.full_batch and self.optimizer.linear

    @property
    def diverges(self) -> bool:
        """The rate is at or above the full-batch stability bound."""
        return self.bound.lr is not None and self.settings.lr >= self.bound.lr

    def factor(self) -> float | None:
        """The loss gap's per-step factor at this rate (None for a non-linear optimizer)."""
        return gap_factor(self.fit, self.settings.lr, self.settings.optimizer, self.hyper)

    def fastest(self) -> Fastest | None:
        return fastest(self.fit, self.settings.optimizer, self.hyper)

    def start(self) -> tuple[float, float]:
        """The starting weights as the trainer holds them (standardised when x is)."""
        return self.prepared.to_trained(self.settings.init_w0, self.settings.init_w1)

    def start_loss(self) -> float:
        return float(self.train.moments.loss(self.settings.init_w0, self.settings.init_w1))

    def predicted_gap(self) -> np.ndarray | None:
        """The loss gap L − L* of every record, exactly, when theory can say it (see `exact`); else None."""
        if not self.exact:
            return None
        s = self.settings
        return predicted_gap(self.fit, self.start(), s.lr, s.steps, s.optimizer, self.hyper)


def prepared_analyses(data: Dataset, settings: Settings, whole: Analysis | None = None):
    """(prepared points, train analysis, fit analysis): what depends on the data and the hold-out and scaling
    settings only (a page caches it across learning rates). `whole`, the data's own analysis, is reused
    when the run trains on all the raw points."""
    s = settings
    prepared = prepare(data, test_fraction=s.test_fraction, standardize=s.standardize, seed=s.shuffle_seed)
    train = whole if whole is not None and prepared.test is None else analyse(prepared.train)
    fit = train if not prepared.standardised else analyse(prepared.fit)
    return prepared, train, fit


def theory(data: Dataset, settings: Settings, parts: tuple | None = None) -> RunTheory:
    """The run's theory; `parts` from `prepared_analyses` when already at hand."""
    prepared, train, fit = parts if parts is not None else prepared_analyses(data, settings)
    return RunTheory(settings, prepared, train, fit)
