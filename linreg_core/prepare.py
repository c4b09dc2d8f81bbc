"""Getting the points ready for training, in NumPy: a seeded hold-out, standardised x, mini-batch order.

The trainer always gets every point, in the data's order, plus one int per point saying what it is for
this epoch: its mini-batch (0, 1, …) or -1 when it is held out. The compiled loop's tensors then keep
the data's length n whatever the hold-out or the batch size, so XLA compiles once per n, not once per
(n, test fraction, batch size).

Both shuffles come from `shuffle_seed`: stream 0 picks the held-out points, stream (1, epoch) orders an
epoch's mini-batches. Same seed, same split and same batches on every machine (NumPy's PCG64).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .dataset import Dataset

HOLD_OUT_STREAM, BATCH_STREAM = 0, 1  # independent random streams of one seed


@dataclass(frozen=True, eq=False)
class Prepared:
    """The points as the trainer sees them, and the way back to original units.

    `x` is every point's x, standardised with the training points' mean and spread when asked:
    x_trained = (x - shift) / scale (shift 0 and scale 1 otherwise). A line v0·x_trained + v1 is the
    line w0·x + w1 with w0 = v0/scale and w1 = v1 - v0·shift/scale: same predictions, same loss.
    """

    x: np.ndarray  # float32, n: what the trainer fits, every point
    y: np.ndarray  # float32, n
    held_out: np.ndarray  # bool, n: True for the points kept out of training
    shift: float
    scale: float
    train: Dataset  # the training points in original units: its analysis gives the optimum and the landscape
    fit: Dataset  # the training points as trained on: its analysis gives the stable learning rates
    test: Dataset | None  # the held-out points in original units, or None

    @property
    def n_train(self) -> int:
        return self.train.n

    @property
    def standardised(self) -> bool:
        return (self.shift, self.scale) != (0.0, 1.0)

    def to_trained(self, w0: float, w1: float) -> tuple[float, float]:
        """A line in original units as the trainer's weights (used for the starting weights)."""
        return w0 * self.scale, w1 + w0 * self.shift

    def to_original(self, v0: np.ndarray, v1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The trainer's weights as the line in original units (float64 in, float64 out)."""
        return v0 / self.scale, v1 - v0 * (self.shift / self.scale)


def held_out_count(n: int, fraction: float) -> int:
    """How many of n points a fraction holds out: rounded down, and always leaving one to train on."""
    # the tiny nudge makes 0.35·100 count 35 although the product is 34.999…
    return max(0, min(n - 1, math.floor(fraction * n + 1e-9)))


def hold_out(n: int, fraction: float, seed: int) -> np.ndarray:
    """A seeded boolean mask choosing `held_out_count(n, fraction)` of n points."""
    mask = np.zeros(n, dtype=bool)
    count = held_out_count(n, fraction)
    if count:
        mask[np.random.default_rng([seed, HOLD_OUT_STREAM]).permutation(n)[:count]] = True
    return mask


def standardiser(x: np.ndarray) -> tuple[float, float]:
    """(mean, standard deviation) of x in float64; a spread of 0 (one point, or all x equal) gives scale 1,
    which only centres x, since dividing by 0 would make no line at all."""
    x64 = np.asarray(x, dtype=np.float64)
    shift, scale = float(x64.mean()), float(x64.std())
    return shift, (scale if scale > 0 and math.isfinite(scale) else 1.0)


def prepare(data: Dataset, *, test_fraction: float = 0.0, standardize: bool = False, seed: int = 0) -> Prepared:
    held = hold_out(data.n, test_fraction, seed)
    train = _subset(data, ~held, "training points") if held.any() else data
    test = _subset(data, held, "held-out points") if held.any() else None
    shift, scale = standardiser(train.x) if standardize else (0.0, 1.0)
    x = data.x if not standardize else ((data.x.astype(np.float64) - shift) / scale).astype(np.float32)
    fit = train if not standardize else Dataset(x[~held], data.y[~held], source=f"{train.source}, standardised")
    return Prepared(x=x, y=data.y, held_out=held, shift=shift, scale=scale, train=train, fit=fit, test=test)


def _subset(data: Dataset, keep: np.ndarray, what: str) -> Dataset:
    return Dataset(data.x[keep], data.y[keep], source=f"{data.source} ({what})", true_w0=data.true_w0,
                   true_w1=data.true_w1)  # fmt: skip


# ---- mini-batches -------------------------------------------------------------------------------


def batches_per_epoch(n_train: int, batch_size: int) -> int:
    """Updates per pass over the training points: 1 for the full batch (batch_size 0 or >= n_train)."""
    if batch_size <= 0 or batch_size >= n_train:
        return 1
    return -(-n_train // batch_size)


def batch_ids(held_out: np.ndarray, batch_size: int, seed: int, epoch: int) -> np.ndarray:
    """For each point, its mini-batch in this epoch (0 … batches_per_epoch - 1), or -1 if it is held out.

    The training points are shuffled afresh each epoch and cut into batches of batch_size in that order;
    the last batch keeps the remainder, so every training point is used exactly once per epoch.
    """
    ids = np.full(held_out.size, -1, dtype=np.int32)
    train_index = np.flatnonzero(~held_out)
    per_epoch = batches_per_epoch(train_index.size, batch_size)
    if per_epoch == 1:
        ids[train_index] = 0
        return ids
    order = np.random.default_rng([seed, BATCH_STREAM, epoch]).permutation(train_index.size)
    position = np.empty(train_index.size, dtype=np.int64)
    position[order] = np.arange(train_index.size)  # where each training point falls in this epoch's order
    ids[train_index] = position // batch_size
    return ids
