"""What can be said of a mini-batch run before it trains: a rate safe in expectation and a noise floor.

A mini-batch's gradient is the full gradient plus noise, so no run follows the full-batch recurrence and the
full-batch bound does not hold. What does hold is a statement about the expected squared offset from the
optimum. Model each batch as b points drawn at random from the n training points (the trainer reshuffles
every epoch instead, which usually lands lower). Along a linear optimizer's state s = (offset, velocity), an
update is s' = A(H_B)·s − noise, with H_B the batch's Hessian; the second moment Σ = E[s sᵀ] then follows

    Σ' = A Σ Aᵀ + c·B (E[h Σ_dd h] − H Σ_dd H) Bᵀ + c·B S Bᵀ,   c = (n − b) / (b·(n − 1)),

where A is the full-batch update, h = 2·z zᵀ one point's Hessian (z = (x, 1)), B how a gradient enters the
state, and S = E[4·r²·z zᵀ] the spread of one point's gradient at the optimum (r its residual). The first two
terms are a linear map of Σ: while its spectral radius stays below 1 the expected squared offset stays
bounded (the run is stable in expectation); the largest such rate is `safe_lr`. Below it Σ settles where
Σ = M(Σ) + c·B S Bᵀ, and the expected loss gap there, ½·tr(H Σ_dd), is the noise floor: it grows with the
rate and shrinks as 1/b. Adaptive optimizers are not linear and get no such statement.
"""

from __future__ import annotations

import numpy as np

from . import optimizers
from .analysis import Analysis
from .optimizers import Hyper, Memory

SEARCH = 200  # bisection steps for the safe rate: far below float64's resolution of it


def _sampling_c(n: int, b: int) -> float:
    """The variance of a mean of b of n points, without replacement, over that of one point."""
    return 0.0 if b >= n or n < 2 else (n - b) / (b * (n - 1))


def _rule_maps(key: str, h: Hyper) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A linear rule as matrices: direction = P g + Q m, memory' = R g + S m (m: its running sum), by probing
    the registry's rule with unit vectors."""
    o = optimizers.get(key)
    cols = {name: [] for name in "PQRS"}
    for i in range(2):
        e, zero = np.eye(2)[i], np.zeros(2)
        d, m = o.rule(e, Memory(zero, zero), 1.0, h)
        cols["P"].append(np.asarray(d, float) * np.ones(2))
        cols["R"].append(np.asarray(m.first, float) * np.ones(2))
        d, m = o.rule(zero, Memory(e, zero), 1.0, h)
        cols["Q"].append(np.asarray(d, float) * np.ones(2))
        cols["S"].append(np.asarray(m.first, float) * np.ones(2))
    return tuple(np.column_stack(cols[k]) for k in "PQRS")  # type: ignore[return-value]


class _Model:
    """The second-moment map of one optimizer at one rate on one bowl (see the module's docstring)."""

    def __init__(self, analysis: Analysis, key: str, h: Hyper, lr: float, n: int, b: int) -> None:
        P, Q, R, S = _rule_maps(key, h)
        self.H = np.array(analysis.hessian)
        remembers = np.abs(R).max() > 0  # a rule with no memory (plain steps) has the offset alone for state
        k = 4 if remembers else 2
        self.k = k
        # state s = (d, m): d' = d − lr·(P(H d + ξ) + Q m),  m' = R(H d + ξ) + S m
        A = np.zeros((k, k))
        A[:2, :2] = np.eye(2) - lr * P @ self.H
        self.B = np.vstack([-lr * P, R])[:k]
        if remembers:
            A[:2, 2:] = -lr * Q
            A[2:, :2] = R @ self.H
            A[2:, 2:] = S
        self.A, self.c = A, _sampling_c(n, b)
        self._x = analysis.sampling.x_powers  # the moments of x up to 4 give E[h X h] for any X
        rx = analysis.sampling.residual_powers
        self.spread = 4 * np.array([[rx[2], rx[1]], [rx[1], rx[0]]])

    def _hxh(self, X: np.ndarray) -> np.ndarray:
        """E[h X h] over the points, h = 2·z zᵀ with z = (x, 1): 4·E[(zᵀ X z)·z zᵀ], from the moments of x."""
        x = self._x
        a, bb, d = X[0, 0], X[0, 1] + X[1, 0], X[1, 1]
        # zᵀ X z = a·x² + bb·x + d; times z zᵀ = [[x², x], [x, 1]]
        m = lambda p: a * x[p + 2] + bb * x[p + 1] + d * x[p]  # noqa: E731  E[(zᵀXz)·x^p]
        return 4 * np.array([[m(2), m(1)], [m(1), m(0)]])

    def apply(self, sigma: np.ndarray) -> np.ndarray:
        dd = sigma[:2, :2]
        extra = self._hxh(dd) - self.H @ dd @ self.H
        return self.A @ sigma @ self.A.T + self.c * self.B @ extra @ self.B.T

    def matrix(self) -> np.ndarray:
        """The map on symmetric k×k matrices, in the basis of their upper triangle."""
        k = self.k
        index = [(i, j) for i in range(k) for j in range(i, k)]
        out = np.zeros((len(index), len(index)))
        for col, (i, j) in enumerate(index):
            e = np.zeros((k, k))
            e[i, j] = e[j, i] = 1.0
            image = self.apply(e)
            out[:, col] = [image[p, q] for p, q in index]
        return out

    def radius(self) -> float:
        return float(np.abs(np.linalg.eigvals(self.matrix())).max())

    def floor(self) -> float:
        """½·tr(H Σ_dd) where the second moment settles (inf when it does not)."""
        if self.radius() >= 1:
            return float("inf")
        k = self.k
        index = [(i, j) for i in range(k) for j in range(i, k)]
        source = self.c * self.B @ self.spread @ self.B.T
        rhs = np.array([source[p, q] for p, q in index])
        solved = np.linalg.solve(np.eye(len(index)) - self.matrix(), rhs)
        sigma = np.zeros((k, k))
        for v, (i, j) in zip(solved, index, strict=True):
            sigma[i, j] = sigma[j, i] = v
        return float(max(0.5 * np.trace(self.H @ sigma[:2, :2]), 0.0))


def safe_lr(analysis: Analysis, key: str, h: Hyper, n: int, b: int) -> float | None:
    """The largest rate at which the expected squared offset stays bounded (None for a non-linear optimizer).
    It is at most the full-batch bound, and equals it for a full batch."""
    o = optimizers.get(key)
    if not o.linear:
        return None
    full = o.limit(h) / analysis.lambda_max
    lo, hi = 0.0, full
    for _ in range(SEARCH):
        mid = 0.5 * (lo + hi)
        if _Model(analysis, key, h, mid, n, b).radius() < 1:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * full:
            break
    return lo


def noise_floor(analysis: Analysis, key: str, h: Hyper, lr: float, n: int, b: int) -> float | None:
    """The expected loss gap a run settles at (inf at or above the safe rate; None for a non-linear optimizer)."""
    if not optimizers.get(key).linear:
        return None
    return _Model(analysis, key, h, lr, n, b).floor()
