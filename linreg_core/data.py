"""Data sources, all as one `Dataset` (dataset.py): the blog's generator, bundled classic sets and a person's
CSV file.

`load(settings, csv)` picks the source the `data` setting names. A person's CSV file is read by `csvfile.py`
(`read_csv`, then `dataset_from_table`), a reader hardened against hostile files; both are importable from
here too. The two bundled tables are the lab's own trusted files and are read with the `csv` module alone.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .csvfile import MAX_CSV_BYTES, MAX_CSV_ROWS, CsvTable, dataset_from_table, from_csv, read_csv
from .dataset import DataError, Dataset
from .settings import Settings

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
        description=f"{s.n:,} point{'' if s.n == 1 else 's'} of {label}, seed {s.seed}",
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
        rows = [r for r in _table("anscombe.csv") if int(r["set"]) == int(key.removeprefix("anscombe-"))]
    else:
        rows = _table("hubble1929.csv")
    return np.array([float(r[b.x_name]) for r in rows]), np.array([float(r[b.y_name]) for r in rows])


def _table(name: str) -> list[dict[str, str]]:
    """One of the lab's own CSV files (datasets/), a header row and rows of plain values."""
    with open(DATASETS_DIR / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load(settings: Settings, csv: Dataset | None = None) -> Dataset:
    """The points `settings.data` names. For "csv", `csv` is the person's file, already read."""
    if settings.data == "generator":
        return linear_like(settings)
    if settings.data == "csv":
        if csv is None:
            raise DataError("data is 'csv' but no CSV file was given: choose a file to read")
        return csv
    return bundled(settings.data)


__all__ = [
    "BUNDLED", "MAX_CSV_BYTES", "MAX_CSV_ROWS", "SOURCE_TITLES", "CsvTable", "DataError", "Dataset",
    "bundled", "dataset_from_table", "from_csv", "linear_like", "load", "read_csv",
]  # fmt: skip
