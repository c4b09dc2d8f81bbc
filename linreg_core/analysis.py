"""Reference math in float64 NumPy, independent of TensorFlow: the optimum, the loss landscape, and what
theory predicts for gradient descent on it.

For L(w0, w1) = mean((w0·x + w1 − y)²) the Hessian is constant:
    H = 2·[[mean(x²), mean(x)], [mean(x), 1]]
so L is a quadratic bowl, fixed by n and the points' first and second moments. Full-batch gradient
descent w ← w − η·∇L contracts the offset from the optimum along each eigenvector u_i of H by
|1 − η·λi| per step: it converges iff η < 2/λmax, and the worse of the two factors is smallest at
η = 2/(λmin + λmax). Along u_i the loss gap is ½·λi·(offset along u_i)², so after k updates
    L − L* = Σ_i ½·λi·(u_i·(w_start − w*))²·(1 − η·λi)^(2k).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .dataset import Dataset

Pair = tuple[float, float]


@dataclass(frozen=True)
class Moments:
    """All the MSE of any line depends on: n, the means and the (population) variances and covariance.

    The same information as n, Σx, Σy, Σx², Σxy, Σy², kept centred: near the optimum the loss is a small
    difference of large raw sums, and centring keeps it accurate to float64 rounding.
    """

    n: int
    mean_x: float
    mean_y: float
    var_x: float
    cov_xy: float
    var_y: float

    def loss(self, w0, w1):
        """MSE of the line w0·x + w1 (scalars or broadcastable arrays), with no pass over the data.

        mean((w0·x + w1 − y)²) = (w0·mean_x + w1 − mean_y)² + var(w0·x − y), and completing the square in
        w0 writes var(w0·x − y) = var_x·(w0 − b)² + (var_y − cov_xy²/var_x), with b = cov_xy/var_x the
        least-squares slope: every term is non-negative, so nothing cancels.
        """
        w0, w1 = np.asarray(w0, np.float64), np.asarray(w1, np.float64)
        offset = w0 * self.mean_x + w1 - self.mean_y
        if self.var_x == 0:  # every x equal: the slope only moves the line's level, as the intercept does
            return offset**2 + self.var_y
        slope = self.cov_xy / self.var_x
        floor = max(self.var_y - self.cov_xy * slope, 0.0)  # rounding may leave a tiny negative
        return offset**2 + self.var_x * (w0 - slope) ** 2 + floor


def moments(data: Dataset) -> Moments:
    x, y = data.x.astype(np.float64), data.y.astype(np.float64)
    mx, my = float(x.mean()), float(y.mean())
    dx, dy = x - mx, y - my
    return Moments(data.n, mx, my, float(np.mean(dx * dx)), float(np.mean(dx * dy)), float(np.mean(dy * dy)))


@dataclass(frozen=True)
class Analysis:
    w0_star: float
    w1_star: float
    loss_star: float
    hessian: tuple[tuple[float, float], tuple[float, float]]
    lambda_min: float
    lambda_max: float
    critical_lr: float  # above this, full-batch GD diverges
    best_lr: float  # the constant rate with the fastest worst-case convergence
    # unit eigenvectors of the Hessian in (w0, w1) space: the bowl's flattest and steepest directions
    u_min: Pair = (0.0, 0.0)
    u_max: Pair = (0.0, 0.0)
    moments: Moments | None = None

    @property
    def condition_number(self) -> float:
        return self.lambda_max / self.lambda_min if self.lambda_min > 0 else float("inf")

    def convergence_factor(self, lr: float) -> float:
        """Per-step contraction of the slowest direction: below 1 converges, above 1 diverges.

        It shrinks the distance to the optimum; the loss gap shrinks by its square."""
        return max(abs(1 - lr * self.lambda_min), abs(1 - lr * self.lambda_max))

    def lines(self) -> list[str]:
        """A plain-text summary, as the CLI's --explain prints it."""
        return [
            f"least squares: w0* = {self.w0_star:.4f}, w1* = {self.w1_star:.4f}, loss* = {self.loss_star:.6g}",
            f"Hessian eigenvalues: lambda_min = {self.lambda_min:.6g}, lambda_max = {self.lambda_max:.6g}",
            f"critical learning rate 2/lambda_max = {self.critical_lr:.6g} (gradient descent diverges above it)",
            f"best learning rate 2/(lambda_min + lambda_max) = {self.best_lr:.6g}",
        ]


def mse(x: np.ndarray, y: np.ndarray, w0: float, w1: float) -> float:
    x64, y64 = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return float(np.mean((w0 * x64 + w1 - y64) ** 2))


def mse_gradient(x: np.ndarray, y: np.ndarray, w0: float, w1: float) -> tuple[float, float]:
    """The analytic gradient of the MSE: (2·mean(r·x), 2·mean(r)) with r = w0·x + w1 − y."""
    x64, y64 = np.asarray(x, np.float64), np.asarray(y, np.float64)
    r = w0 * x64 + w1 - y64
    return float(2 * np.mean(r * x64)), float(2 * np.mean(r))


def analyse(data: Dataset) -> Analysis:
    x, y = data.x.astype(np.float64), data.y.astype(np.float64)
    design = np.column_stack([x, np.ones_like(x)])
    # lstsq returns the minimum-norm solution when every x is equal and the slope is undetermined
    (w0, w1), *_ = np.linalg.lstsq(design, y, rcond=None)
    mx, mxx = float(np.mean(x)), float(np.mean(x * x))
    hessian = np.array([[2 * mxx, 2 * mx], [2 * mx, 2.0]])
    (lam_min, lam_max), vectors = np.linalg.eigh(hessian)
    lam_min = max(float(lam_min), 0.0)  # rounding can make a singular Hessian's zero eigenvalue slightly negative
    return Analysis(
        w0_star=float(w0),
        w1_star=float(w1),
        loss_star=mse(x, y, float(w0), float(w1)),
        hessian=tuple(tuple(float(v) for v in row) for row in hessian),  # type: ignore[arg-type]
        lambda_min=lam_min,
        lambda_max=float(lam_max),
        critical_lr=2.0 / float(lam_max),
        best_lr=2.0 / (lam_min + float(lam_max)),
        u_min=_pair(vectors[:, 0]),
        u_max=_pair(vectors[:, 1]),
        moments=moments(data),
    )


def _pair(v: np.ndarray) -> Pair:
    return float(v[0]), float(v[1])


# ---- the landscape ------------------------------------------------------------------------------


def landscape(source: Dataset | Moments | Analysis, w0_grid, w1_grid) -> np.ndarray:
    """The MSE at every grid point, exactly, for any n: shape (len(w1_grid), len(w0_grid)).

    Row i is w1_grid[i] and column j is w0_grid[j], as a contour plot with x = w0 and y = w1 reads it.
    """
    stats = source if isinstance(source, Moments) else source.moments if isinstance(source, Analysis) else None
    if stats is None:
        stats = moments(source)  # type: ignore[arg-type]
    w0, w1 = np.meshgrid(np.asarray(w0_grid, np.float64), np.asarray(w1_grid, np.float64))
    return stats.loss(w0, w1)


def landscape_grid(analysis: Analysis, include: Iterable[Pair] = (), size: int = 81, margin: float = 0.2):
    """(w0_grid, w1_grid): `size` values each, centred on the optimum and wide enough to hold every point of
    `include` (the start, a path) with `margin` to spare on each side.

    With nothing to include, or only the optimum, it spans the region where the loss is within loss* of
    its minimum (at least), so the bowl is visible whatever the data's scale.
    """
    centre = np.array([analysis.w0_star, analysis.w1_star])
    points = np.array([p for p in include if np.isfinite(p).all()], dtype=np.float64).reshape(-1, 2)
    reach = np.abs(points - centre).max(axis=0) if len(points) else np.zeros(2)
    # along axis j the gap grows as ½·H_jj·d²: d = sqrt(2·gap/H_jj) reaches a gap of `gap`
    gap = max(analysis.loss_star, 1e-12 * (1 + analysis.moments.mean_y**2 + analysis.moments.var_y))
    floor = np.sqrt(2 * gap / np.diag(np.array(analysis.hessian)))
    half = np.maximum(reach * (1 + margin), floor)
    return tuple(np.linspace(c - r, c + r, size) for c, r in zip(centre, half, strict=True))


# ---- what theory predicts for a run --------------------------------------------------------------


class Bound(NamedTuple):
    """The largest stable learning rate of an optimizer on this data (None when none is known), and why."""

    lr: float | None
    reason: str


def stability_bound(analysis: Analysis, optimizer: str = "gd", momentum: float = 0.0) -> Bound:
    """Largest full-batch learning rate at which the optimizer still converges on this quadratic.

    On a quadratic every method here is linear along each eigenvector, with the step's size η·λ deciding
    its fate; momentum methods follow a two-term recurrence whose characteristic polynomial's roots must
    stay inside the unit circle (the Jury test), which gives the bounds below. Adaptive methods rescale
    the step by the gradient's running size, so they are not linear and no such bound holds.
    """
    lam, b = analysis.lambda_max, momentum
    if optimizer == "gd":
        return Bound(2 / lam, "Above 2/λmax each step overshoots the steepest direction by more than it corrects.")
    if optimizer == "momentum":
        # v = βv + g, w -= ηv  gives  z² − (1 + β − ηλ)z + β; its roots leave the unit circle at ηλ = 2(1 + β)
        return Bound(
            2 * (1 + b) / lam,
            "Heavy-ball momentum allows up to 2(1+β)/λmax: where a step overshoots, the gradient flips sign every "
            "step, and the velocity v = β·v + g averages those flips down to about g/(1+β).",
        )
    if optimizer == "nesterov":
        # the look-ahead form gives z² − (1+β)(1−ηλ)z + β(1−ηλ): a root crosses −1 at ηλ = 2(1+β)/(1+2β)
        return Bound(
            2 * (1 + b) / ((1 + 2 * b) * lam),
            "Nesterov momentum allows up to 2(1+β)/((1+2β)·λmax), from 2/λmax at β = 0 down to 4/(3·λmax) as "
            "β → 1: its step g + β·v is, where the gradient flips sign every step, about (1+2β)/(1+β) times g.",
        )
    if optimizer in ("rmsprop", "adam"):
        return Bound(
            None,
            "No simple bound is known: dividing by the gradient's running size makes each step about the "
            "learning rate long, so a too-large rate makes the run hover around the optimum rather than blow up.",
        )
    raise ValueError(f"unknown optimizer {optimizer!r}")


def convergence_factor(analysis: Analysis, lr: float, optimizer: str = "gd", momentum: float = 0.0) -> float:
    """Analysis.convergence_factor for heavy-ball and Nesterov momentum too: the asymptotic per-step
    contraction of the distance to the optimum, the largest root (in size) of the recurrence along either
    eigenvector. Below 1 converges; the loss gap shrinks by its square."""
    roots = [np.abs(np.roots(_characteristic(lr * lam, optimizer, momentum))).max()
             for lam in (analysis.lambda_min, analysis.lambda_max)]  # fmt: skip
    return float(max(roots))


def _characteristic(a: float, optimizer: str, b: float) -> list[float]:
    """Coefficients of the recurrence's characteristic polynomial along an eigenvector, with a = η·λ."""
    if optimizer == "gd":
        return [1, -(1 - a)]
    if optimizer == "momentum":
        return [1, -(1 + b - a), b]
    if optimizer == "nesterov":
        return [1, -(1 + b) * (1 - a), b * (1 - a)]
    raise ValueError(f"no linear recurrence for {optimizer!r}: its step depends on the gradient's size")


def predicted_gap(
    analysis: Analysis, init_w0: float, init_w1: float, lr: float, steps: int,
    *, optimizer: str = "gd", momentum: float = 0.0,
) -> np.ndarray:  # fmt: skip
    """The loss gap L − L* of each record 0..steps of a full-batch run, as theory predicts it exactly.

    Record k is taken after k + 1 updates (the trainer's and the blog's convention). For gradient descent
    the gap is Σ_i c_i·(1 − lr·λi)^(2(k+1)) with c_i = ½·λi·(u_i·(w_start − w*))²; for heavy-ball and
    Nesterov momentum the same offsets follow their two-term recurrences. Give the analysis of the data as
    trained on, and the start in the same units (see prepare.Prepared.to_trained). A gap that overflows
    float64 (a diverging rate) is inf. RMSProp and Adam have no such formula: ValueError.
    """
    offset = np.array([init_w0 - analysis.w0_star, init_w1 - analysis.w1_star])
    lams = np.array([analysis.lambda_min, analysis.lambda_max])
    along = np.array([np.dot(analysis.u_min, offset), np.dot(analysis.u_max, offset)])
    weight = 0.5 * lams * along**2
    k = np.arange(steps + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        if optimizer == "gd":
            shrink = (1 - lr * lams)[None, :] ** (2 * (k[:, None] + 1))
            return (weight[None, :] * shrink).sum(axis=1)
    if optimizer not in ("momentum", "nesterov"):
        raise ValueError(f"no exact loss gap for {optimizer!r}: its step depends on the gradient's size")
    return sum(_momentum_gap(float(a), float(lam), lr, steps, optimizer == "nesterov", momentum)
               for a, lam in zip(along, lams, strict=True))  # fmt: skip


def _momentum_gap(offset: float, lam: float, lr: float, steps: int, look_ahead: bool, b: float) -> np.ndarray:
    """The gap along one eigenvector: its offset and velocity updated as the optimizer does, from rest.
    (Plain floats: a Python loop over two numbers is faster than NumPy over arrays of two.)"""
    d, v, gaps = offset, 0.0, np.empty(steps + 1)
    for k in range(steps + 1):
        g = lam * d
        v = b * v + g
        d -= lr * (g + b * v if look_ahead else v)
        gaps[k] = 0.5 * lam * d * d
    return gaps
