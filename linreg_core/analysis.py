"""Reference math in float64 NumPy, independent of TensorFlow: the optimum and GD's stability bounds.

For L(w0, w1) = mean((w0·x + w1 − y)²) the Hessian is constant:
    H = 2·[[mean(x²), mean(x)], [mean(x), 1]]
Full-batch gradient descent w ← w − η·∇L contracts along each eigenvector of H by |1 − η·λ|, so it
converges iff η < 2/λmax, and the worst of the two factors is smallest at η = 2/(λmin + λmax).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import Dataset


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

    @property
    def condition_number(self) -> float:
        return self.lambda_max / self.lambda_min if self.lambda_min > 0 else float("inf")

    def convergence_factor(self, lr: float) -> float:
        """Per-step contraction of the slowest direction: below 1 converges, above 1 diverges."""
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
    lam_min, lam_max = (float(v) for v in np.linalg.eigvalsh(hessian))
    lam_min = max(lam_min, 0.0)  # rounding can make a singular Hessian's zero eigenvalue slightly negative
    return Analysis(
        w0_star=float(w0),
        w1_star=float(w1),
        loss_star=mse(x, y, float(w0), float(w1)),
        hessian=tuple(tuple(float(v) for v in row) for row in hessian),  # type: ignore[arg-type]
        lambda_min=lam_min,
        lambda_max=lam_max,
        critical_lr=2.0 / lam_max,
        best_lr=2.0 / (lam_min + lam_max),
    )
