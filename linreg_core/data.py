"""Data sources, all as one `Dataset`: the blog's generator, bundled classic sets and a person's CSV file.

`load(settings, csv)` picks the source the `data` setting names. CSV files are read by `csvfile.py`
(`read_csv`, then `dataset_from_table`); both are importable from here too.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .settings import Settings


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


# ---- the blog's generator -------------------------------------------------------------------------


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
    return Dataset(
        x, y, source=label, true_w0=s.w0, true_w1=s.w1, key="generator", title="The blog's generator",
        description=f"{s.n:,} points of {label}, seed {s.seed}",
    )  # fmt: skip


# ---- bundled sets ---------------------------------------------------------------------------------

DATASETS_DIR = Path(__file__).parent / "datasets"
ANSCOMBE_CITATION = "F. J. Anscombe (1973), Graphs in Statistical Analysis, The American Statistician 27(1):17-21"


@dataclass(frozen=True)
class Bundled:
    """A classic data set shipped with the lab: where its two columns come from and what they mean."""

    title: str
    x_name: str
    y_name: str
    x_label: str
    y_label: str
    description: str


# The four Anscombe sets share their means, variances and least-squares line y = 3.00 + 0.500·x; only a
# plot tells them apart, which is the point of showing them.
BUNDLED: Mapping[str, Bundled] = {
    **{
        f"anscombe-{k}": Bundled(
            f"Anscombe's quartet, set {roman}", "x", "y", "x", "y", f"{what}. {ANSCOMBE_CITATION}, set {roman}"
        )
        for k, roman, what in (
            (1, "I", "A straight trend with scatter"),
            (2, "II", "A smooth curve: a straight line is the wrong model"),
            (3, "III", "A perfect line but for one outlier that tilts the fit"),
            (4, "IV", "Every x is 8 but one: that single point sets the slope"),
        )
    },
    "tips": Bundled(
        "Restaurant tips", "total_bill", "tip", "total bill (US$)", "tip (US$)",
        "244 bills and tips one waiter recorded (Bryant & Smith 1995), as plotly.express.data.tips() ships them",
    ),
    "iris": Bundled(
        "Iris flowers", "petal_length", "petal_width", "petal length (cm)", "petal width (cm)",
        "150 irises of three species measured by E. Anderson, published by R. A. Fisher (1936); "
        "plotly.express.data.iris()",
    ),
    "hubble": Bundled(
        "Hubble's galaxies (1929)", "distance_mpc", "velocity_km_s", "distance (Mpc)", "recession velocity (km/s)",
        "24 galaxies with their own distance estimate: E. Hubble (1929), A relation between distance and radial "
        "velocity among extra-galactic nebulae, PNAS 15(3):168-173, Table 1; the slope is his expansion rate",
    ),
}  # fmt: skip
SOURCE_TITLES: Mapping[str, str] = {
    "generator": "The blog's generator",
    **{key: b.title for key, b in BUNDLED.items()},
    "csv": "Your CSV file",
}


@functools.cache  # bundled sets never change and Datasets are immutable, so every caller may share one
def bundled(key: str) -> Dataset:
    """A bundled data set by its `data` setting name, e.g. "anscombe-2" or "tips"."""
    if key not in BUNDLED:
        raise DataError(f"no bundled data set {key!r}; there are {', '.join(BUNDLED)}")
    b = BUNDLED[key]
    x, y = _bundled_columns(key, b)
    return Dataset(
        x, y, source=f"{b.title}: {b.x_label} -> {b.y_label}", key=key, title=b.title, x_label=b.x_label,
        y_label=b.y_label, x_name=b.x_name, y_name=b.y_name, description=b.description,
    )  # fmt: skip


def _bundled_columns(key: str, b: Bundled) -> tuple[np.ndarray, np.ndarray]:
    if key in ("tips", "iris"):
        # plotly keeps these two files inside its package, so they load offline
        from plotly.express import data as px_data

        frame = px_data.tips() if key == "tips" else px_data.iris()
        return frame[b.x_name].to_numpy(np.float64), frame[b.y_name].to_numpy(np.float64)
    if key.startswith("anscombe-"):
        table = read_csv(DATASETS_DIR / "anscombe.csv", header=True)
        rows = table.values["set"] == int(key.removeprefix("anscombe-"))
        return table.values["x"][rows], table.values["y"][rows]
    table = read_csv(DATASETS_DIR / "hubble1929.csv", header=True)
    return table.values[b.x_name], table.values[b.y_name]


def load(settings: Settings, csv: Dataset | None = None) -> Dataset:
    """The points `settings.data` names. For "csv", `csv` is the person's file, already read."""
    if settings.data == "generator":
        return linear_like(settings)
    if settings.data == "csv":
        if csv is None:
            raise DataError("data is 'csv' but no CSV file was given: choose a file to read")
        return csv
    return bundled(settings.data)


# The CSV reader builds on Dataset and DataError above; importing it last lets `from .data import read_csv` work.
from .csvfile import MAX_CSV_BYTES, MAX_CSV_ROWS, CsvTable, dataset_from_table, from_csv, read_csv  # noqa: E402

__all__ = [
    "BUNDLED", "MAX_CSV_BYTES", "MAX_CSV_ROWS", "SOURCE_TITLES", "CsvTable", "DataError", "Dataset",
    "bundled", "dataset_from_table", "from_csv", "linear_like", "load", "read_csv",
]  # fmt: skip
