"""Data sets: the blog's generator, a Gaussian-noise variant and x,y CSV files, all as one `Dataset`."""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass
from typing import IO, Union

import numpy as np

from .settings import Settings


class DataError(ValueError):
    """The data cannot be used; the message tells the person what to fix."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Points as read-only float32 vectors; `true_w0`/`true_w1` are known only for generated data."""

    x: np.ndarray
    y: np.ndarray
    source: str
    true_w0: float | None = None
    true_w1: float | None = None

    def __post_init__(self) -> None:
        for name in ("x", "y"):
            with np.errstate(over="ignore"):  # too-large values become inf and are rejected just below
                arr = np.ascontiguousarray(getattr(self, name), dtype=np.float32).reshape(-1)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if self.x.shape != self.y.shape:
            raise DataError(f"x and y must have the same length, got {self.x.size} and {self.y.size}")
        if self.x.size < 1:
            raise DataError("the data set has no points")
        if not (np.isfinite(self.x).all() and np.isfinite(self.y).all()):
            raise DataError("the data contains NaN or infinite values (after conversion to float32)")

    @property
    def n(self) -> int:
        return int(self.x.size)


def linear_like(settings: Settings) -> Dataset:
    """The blog's `linear_like_data_generator`, seeded: X = 2·U[0,1), Y = w0·X + w1 + noise·ε.

    With the blog's uniform ε ~ U[0,1) the noise is never negative, so its mean noise/2 is added to the
    intercept: least squares lands near w1 + noise/2 (4.25 for the blog's run), not w1. Gaussian ε is
    zero-mean and leaves the intercept at w1. The same seed gives the same points on every machine
    (NumPy's PCG64 stream; X is drawn before the noise, as in the blog).
    """
    s = settings
    rng = np.random.default_rng(s.seed)
    x = 2.0 * rng.random(s.n)
    eps = rng.random(s.n) if s.noise_kind == "uniform" else rng.standard_normal(s.n)
    y = s.w0 * x + s.w1 + s.noise * eps
    label = f"y = {s.w0:g}·x + {s.w1:g} + {s.noise:g}·{'U[0,1)' if s.noise_kind == 'uniform' else 'N(0,1)'}"
    return Dataset(x, y, source=label, true_w0=s.w0, true_w1=s.w1)


CsvSource = Union[str, "os.PathLike[str]", IO[str], IO[bytes], bytes]
MAX_CSV_ROWS = 1_000_000


def from_csv(source: CsvSource, name: str | None = None) -> Dataset:
    """Read a CSV with a header row and two numeric columns x,y (a path, a file object or bytes)."""
    label = name or (os.fspath(source) if isinstance(source, (str, os.PathLike)) else "uploaded CSV")
    text = _read_text(source, label)
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise DataError(f"{label} is empty: expected a header row and x,y rows")
    header, body = rows[0], rows[1:]
    if len(header) != 2:
        raise DataError(f"{label}: expected 2 columns (x,y), the header has {len(header)}")
    if len(body) < 2:
        raise DataError(f"{label}: need at least 2 rows of x,y to fit a line, found {len(body)}")
    if len(body) > MAX_CSV_ROWS:
        raise DataError(f"{label}: at most {MAX_CSV_ROWS:,} rows, found {len(body):,}")
    values = np.empty((len(body), 2))
    for i, row in enumerate(body, start=2):
        if len(row) != 2:
            raise DataError(f"{label}, line {i}: expected 2 values, found {len(row)}")
        for j, cell in enumerate(row):
            try:
                v = float(cell)
            except ValueError:
                raise DataError(f"{label}, line {i}: {cell.strip()!r} is not a number") from None
            if not math.isfinite(v):
                raise DataError(f"{label}, line {i}: {cell.strip()!r} is not a finite number")
            values[i - 2, j] = v
    return Dataset(values[:, 0], values[:, 1], source=label)


def _read_text(source: CsvSource, label: str) -> str:
    try:
        if isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as fh:
                raw: bytes | str = fh.read()
        elif isinstance(source, bytes):
            raw = source
        else:
            raw = source.read()
    except FileNotFoundError:
        raise DataError(f"{label}: no such file") from None
    except OSError as exc:
        raise DataError(f"{label}: cannot read it ({exc.strerror or exc})") from None
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DataError(f"{label} is not a UTF-8 text file") from None
    return raw
