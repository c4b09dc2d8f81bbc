"""The one type every data source produces: `Dataset`, points as read-only float32 vectors with what they
mean; and `DataError`, the one-line message when data cannot be used. A module of its own, so the sources
(data.py, csvfile.py) and everything downstream import it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class DataError(ValueError):
    """The data cannot be used; the message (one line) tells the person what to fix."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Points as read-only float32 vectors, and what they are.

    `source` labels the points for a log line (the generator's formula, a file's name). `x_label`/`y_label`
    say what x and y mean, with units when known; `x_name`/`y_name` are the column names an export writes.
    `true_w0`/`true_w1` are known only for generated data. `notes` are facts about how a file was read
    (rows dropped, no header) that a person should see.
    """

    x: np.ndarray
    y: np.ndarray
    source: str
    true_w0: float | None = None
    true_w1: float | None = None
    key: str = ""  # the `data` setting's value this came from ("generator", "tips", "csv", ...)
    title: str = ""
    x_label: str = "x"
    y_label: str = "y"
    x_name: str = "x"
    y_name: str = "y"
    description: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("x", "y"):
            with np.errstate(over="ignore"):  # too-large values become inf and are rejected just below
                arr = np.ascontiguousarray(getattr(self, name), dtype=np.float32).reshape(-1)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if not self.title:
            object.__setattr__(self, "title", self.source)
        if self.x.shape != self.y.shape:
            raise DataError(f"x and y must have the same length, got {self.x.size} and {self.y.size}")
        if self.x.size < 1:
            raise DataError("the data set has no points")
        if not (np.isfinite(self.x).all() and np.isfinite(self.y).all()):
            raise DataError("the data contains NaN or infinite values (after conversion to float32)")

    @property
    def n(self) -> int:
        return int(self.x.size)

    @property
    def generated(self) -> bool:
        """Made by the generator, so the true line is known."""
        return self.true_w0 is not None and self.true_w1 is not None

    # Where x sits and how far it spreads set how hard the fit is for gradient descent: with x far from 0
    # (bills of ~20 dollars) the slope and the intercept pull against each other and a safe rate is tiny.
    @property
    def x_mean(self) -> float:
        return float(np.mean(self.x, dtype=np.float64))

    @property
    def x_std(self) -> float:
        return float(np.std(self.x, dtype=np.float64))
