"""Preparing points for training (pure NumPy): the hold-out, standardised x and the mini-batch order."""

import numpy as np
import pytest

from linreg_core.data import Dataset
from linreg_core.prepare import batch_ids, batches_per_epoch, held_out_count, hold_out, prepare


@pytest.mark.parametrize(
    "n, fraction, count", [(100, 0.0, 0), (100, 0.2, 20), (100, 0.35, 35), (10, 0.3, 3), (1, 0.5, 0), (3, 0.5, 1)]
)
def test_the_hold_out_rounds_down_and_always_leaves_a_point_to_train_on(n, fraction, count):
    assert held_out_count(n, fraction) == count
    assert hold_out(n, fraction, seed=4).sum() == count


def test_the_hold_out_is_seeded():
    a, b, c = hold_out(1000, 0.3, 1), hold_out(1000, 0.3, 1), hold_out(1000, 0.3, 2)
    assert (a == b).all() and (a != c).any()
    assert 0.2 < a[:500].mean() < 0.4 and 0.2 < a[500:].mean() < 0.4  # spread over the data, not its tail


def test_prepare_splits_and_standardises_with_the_training_points_only(blog_data):
    p = prepare(blog_data, test_fraction=0.25, standardize=True, seed=9)
    assert (p.train.n, p.test.n, p.fit.n) == (75, 25, 75)
    assert p.fit.x.mean() == pytest.approx(0, abs=1e-6) and p.fit.x.std() == pytest.approx(1, rel=1e-6)
    assert p.shift == pytest.approx(p.train.x.astype(np.float64).mean())
    assert np.allclose(p.x[p.held_out], (p.test.x - p.shift) / p.scale, atol=1e-6)  # the held-out points likewise


def test_weights_convert_between_units_without_changing_the_line(blog_data):
    p = prepare(blog_data, standardize=True)
    v0, v1 = p.to_trained(3.0, 4.0)
    np.testing.assert_allclose(v0 * p.fit.x + v1, 3.0 * blog_data.x + 4.0, rtol=1e-6)
    np.testing.assert_allclose(p.to_original(np.array(v0), np.array(v1)), (3.0, 4.0), rtol=1e-12)


def test_defaults_leave_the_data_as_it_is(blog_data):
    p = prepare(blog_data)
    assert p.train is blog_data and p.fit is blog_data and p.test is None and not p.standardised
    assert (p.x == blog_data.x).all() and not p.held_out.any()


def test_constant_x_is_centred_not_divided_by_zero():
    p = prepare(Dataset(np.full(4, 2.0), np.arange(4.0), source="flat"), standardize=True)
    assert p.scale == 1.0 and (p.fit.x == 0).all()


@pytest.mark.parametrize("n_train, batch, per_epoch", [(100, 0, 1), (100, 100, 1), (100, 500, 1), (100, 27, 4),
                                                      (100, 1, 100), (7, 2, 4)])  # fmt: skip
def test_batches_per_epoch(n_train, batch, per_epoch):
    assert batches_per_epoch(n_train, batch) == per_epoch


def test_each_epoch_uses_every_training_point_once_in_a_fresh_order():
    held = hold_out(103, 0.2, seed=0)
    epochs = [batch_ids(held, 10, seed=5, epoch=e) for e in range(3)]
    for ids in epochs:
        assert (ids[held] == -1).all()
        sizes = np.bincount(ids[~held])
        assert sizes.tolist() == [10] * 8 + [3]  # 83 training points: eight batches of 10 and the 3 left over
    assert (epochs[0] != epochs[1]).any() and (epochs[1] != epochs[2]).any()
    assert (batch_ids(held, 10, seed=5, epoch=1) == epochs[1]).all()  # and the same again for the same seed
    assert (batch_ids(held, 10, seed=6, epoch=1) != epochs[1]).any()


def test_a_full_batch_puts_every_training_point_in_batch_0():
    held = hold_out(50, 0.1, seed=0)
    ids = batch_ids(held, 0, seed=0, epoch=7)
    assert (ids[~held] == 0).all() and (ids[held] == -1).all()
