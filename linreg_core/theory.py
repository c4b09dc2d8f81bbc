"""What theory says of one run, before it trains: the optimum it heads for, the rates at which it can, how
fast it should get there. Pure NumPy, from the data and the settings alone.

Two analyses, because a run may train on other points than it is judged on:
- `train`: least squares on the training points (a hold-out taken out) in the data's own units. Its
  optimum and loss are what the records' w0, w1 and loss approach; its landscape is the one they walk.
- `fit`: the same points as trained on (x standardised when asked). Its curvature sets the stable rates,
  the condition number and the speed of convergence of the weights the trainer actually updates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .analysis import Analysis, Bound, analyse, convergence_factor, predicted_gap, stability_bound
from .dataset import Dataset
from .prepare import Prepared, batches_per_epoch, prepare
from .settings import Settings

LINEAR = ("gd", "momentum", "nesterov")  # optimizers whose steps on a quadratic are linear: exact theory


@dataclass(frozen=True, eq=False)
class RunTheory:
    settings: Settings
    prepared: Prepared
    train: Analysis
    fit: Analysis
    bound: Bound  # the largest stable learning rate for the run's optimizer, or None with why

    @property
    def full_batch(self) -> bool:
        return batches_per_epoch(self.prepared.n_train, self.settings.batch_size) == 1

    @property
    def exact(self) -> bool:
        """Whether theory predicts this run step by step (a full batch, and an optimizer linear on a quadratic)."""
        return self.full_batch and self.settings.optimizer in LINEAR

    @property
    def diverges(self) -> bool:
        """The rate is at or above the stability bound (a run on mini-batches is no more stable than that)."""
        return self.bound.lr is not None and self.settings.lr >= self.bound.lr

    def factor(self) -> float | None:
        """Per-step contraction of the distance to the optimum, max |root| over both directions (None for
        adaptive optimizers). The loss gap shrinks by its square each step."""
        s = self.settings
        if s.optimizer not in LINEAR:
            return None
        return convergence_factor(self.fit, s.lr, s.optimizer, s.momentum)

    def start_loss(self) -> float:
        return float(self.train.moments.loss(self.settings.init_w0, self.settings.init_w1))

    def predicted_gap(self) -> np.ndarray | None:
        """The loss gap L − L* of every record, exactly, when theory can say it (see `exact`); else None."""
        if not self.exact:
            return None
        s = self.settings
        start = self.prepared.to_trained(s.init_w0, s.init_w1)
        return predicted_gap(self.fit, *start, s.lr, s.steps, optimizer=s.optimizer, momentum=s.momentum)


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
    return RunTheory(settings, prepared, train, fit, stability_bound(fit, settings.optimizer, settings.momentum))
