"""Reference math in float64 NumPy, independent of TensorFlow: the optimum, the bowl and the loss landscape.

For L(w0, w1) = mean((w0·x + w1 − y)²) the Hessian is constant:
    H = 2·[[mean(x²), mean(x)], [mean(x), 1]]
so L is a quadratic bowl, fixed by n and the points' first and second moments. Along each eigenvector u_i
of H the loss gap is ½·λi·(offset along u_i)²: an optimizer's fate on the bowl is decided along the two
eigenvectors (theory.py works it out for each optimizer of the registry).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .dataset import Dataset

Pair = tuple[float, float]
FLOAT32_EPS = float(np.finfo(np.float32).eps)


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
class Sampling:
    """What a mini-batch's gradient depends on besides the bowl: the raw moments mean(x^k), k = 0..4, and the
    squared residuals at the optimum weighted by x^k, mean(r²·x^k), k = 0..2 (see minibatch.py)."""

    x_powers: tuple[float, float, float, float, float]
    residual_powers: tuple[float, float, float]


@dataclass(frozen=True)
class Analysis:
    w0_star: float
    w1_star: float
    loss_star: float
    hessian: tuple[tuple[float, float], tuple[float, float]]
    lambda_min: float  # 0 when every x is equal: the slope is then not determined (a flat valley floor)
    lambda_max: float
    # unit eigenvectors of the Hessian in (w0, w1) space: the bowl's flattest and steepest directions
    u_min: Pair = (0.0, 0.0)
    u_max: Pair = (0.0, 0.0)
    moments: Moments | None = None
    sampling: Sampling | None = None

    @property
    def degenerate(self) -> bool:
        """Every x the same (one point, say): no single line fits best, any line through the points' mean at
        that x does, and the bowl is a flat-bottomed valley."""
        return self.lambda_min == 0.0

    @property
    def condition_number(self) -> float:
        """λmax/λmin: how much more steeply the bowl rises across its valley than along it (inf when flat)."""
        return self.lambda_max / self.lambda_min if self.lambda_min > 0 else float("inf")


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
    stats = moments(data)
    # x's spread below float32's resolution of its mean is no spread the trainer can see: a singular bowl, whose
    # zero eigenvalue rounding would otherwise make a tiny number of either sign (κ of 1e17 or inf by chance)
    flat = stats.var_x <= (FLOAT32_EPS * stats.mean_x) ** 2
    r = design @ np.array([w0, w1]) - y
    return Analysis(
        w0_star=float(w0),
        w1_star=float(w1),
        loss_star=mse(x, y, float(w0), float(w1)),
        hessian=tuple(tuple(float(v) for v in row) for row in hessian),  # type: ignore[arg-type]
        lambda_min=0.0 if flat else max(float(lam_min), 0.0),
        lambda_max=float(lam_max),
        u_min=_pair(vectors[:, 0]),
        u_max=_pair(vectors[:, 1]),
        moments=stats,
        sampling=Sampling(
            tuple(float(np.mean(x**k)) for k in range(5)),  # type: ignore[arg-type]
            tuple(float(np.mean(r * r * x**k)) for k in range(3)),  # type: ignore[arg-type]
        ),
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


def landscape_grid(analysis: Analysis, include: Iterable[Pair] = (), size: int = 81, margin: float = 0.2,
                   centre: Pair | None = None, square: bool = False):  # fmt: skip
    """(w0_grid, w1_grid): `size` values each, centred on the optimum (or `centre`) and wide enough to hold every
    point of `include` (the start, a path) with `margin` to spare on each side; `square` gives both axes one
    span, so a chart at equal scale shows the bowl's true shape.

    With nothing to include, or only the optimum, it spans the region where the loss is within loss* of
    its minimum (at least), so the bowl is visible whatever the data's scale.
    """
    centre = np.array([analysis.w0_star, analysis.w1_star] if centre is None else centre, dtype=np.float64)
    points = np.array([p for p in include if np.isfinite(p).all()], dtype=np.float64).reshape(-1, 2)
    reach = np.abs(points - centre).max(axis=0) if len(points) else np.zeros(2)
    # along axis j the gap grows as ½·H_jj·d²: d = sqrt(2·gap/H_jj) reaches a gap of `gap`
    gap = max(analysis.loss_star, 1e-12 * (1 + analysis.moments.mean_y**2 + analysis.moments.var_y))
    curvature = np.diag(np.array(analysis.hessian))
    with np.errstate(divide="ignore"):
        floor = np.sqrt(2 * gap / curvature)
    # an axis with no curvature (every x is 0) never reaches the gap: it gets the other axis's span
    floor = np.where(np.isfinite(floor), floor, np.nanmax(np.where(np.isfinite(floor), floor, np.nan)))
    half = np.maximum(reach * (1 + margin), floor)
    if square:
        half = np.full(2, half.max())
    return tuple(np.linspace(c - r, c + r, size) for c, r in zip(centre, half, strict=True))
