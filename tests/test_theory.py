"""A run's theory (linreg_core.theory) against real runs of the trainer and NumPy's least squares."""

import numpy as np
import pytest

from linreg_core.data import bundled, linear_like
from linreg_core.settings import Settings
from linreg_core.theory import theory
from linreg_core.trainer import TrainingRun


def final(settings: Settings, data=None):
    data = data if data is not None else linear_like(settings)
    run = TrainingRun(data, settings)
    values = np.concatenate([b.values for b in run.blocks()])
    return values, run


def lstsq(x, y):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    (w0, w1), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
    return w0, w1


def test_with_a_hold_out_the_run_heads_for_the_training_points_optimum_not_all_points():
    settings = Settings(n=60, noise=3.0, noise_kind="gaussian", test_fraction=0.5, shuffle_seed=4, lr=0.3, steps=3000)
    t = theory(linear_like(settings), settings)
    train = t.prepared.train
    assert (t.train.w0_star, t.train.w1_star) == pytest.approx(lstsq(train.x, train.y), abs=1e-9)
    everything = lstsq(linear_like(settings).x, linear_like(settings).y)
    assert abs(t.train.w0_star - everything[0]) > 1e-3  # the two optima differ: the test is decisive
    values, _ = final(settings)
    assert values[-1, 1:3] == pytest.approx([t.train.w0_star, t.train.w1_star], abs=2e-4)


def test_standardised_x_gives_a_round_bowl_a_higher_bound_and_the_same_optimum_in_x_units():
    settings = Settings(data="tips", standardize=True, lr=0.9, steps=200)
    data = bundled("tips")
    t = theory(data, settings)
    raw = theory(data, settings.changed(standardize=False))
    assert raw.fit.condition_number > 1000 and t.fit.condition_number < 1.01
    assert t.bound.lr > 100 * raw.bound.lr
    assert raw.diverges and not t.diverges  # 0.9 is far past the raw bound...
    values, _ = final(settings, data)
    assert values[-1, 1:3] == pytest.approx(lstsq(data.x, data.y), abs=1e-4)  # ...but fine standardised


def test_raw_data_past_its_bound_really_diverges():
    settings = Settings(data="tips", lr=0.9, steps=200, standardize=False)  # the raw x, as the name says
    t = theory(bundled("tips"), settings)
    assert t.diverges
    _, run = final(settings, bundled("tips"))
    assert run.divergence is not None


@pytest.mark.parametrize("optimizer, beta", [("gd", 0.0), ("momentum", 0.6), ("nesterov", 0.6)])
def test_the_bound_separates_real_runs_that_converge_from_runs_that_diverge(optimizer, beta):
    base = Settings(optimizer=optimizer, momentum=beta, steps=3000)
    t = theory(linear_like(base), base)
    below, above = base.changed(lr=0.98 * t.bound.lr), base.changed(lr=1.02 * t.bound.lr)
    assert not theory(linear_like(below), below).diverges and theory(linear_like(above), above).diverges
    values, run = final(below)
    assert run.divergence is None and values[-1, 0] == pytest.approx(t.train.loss_star, rel=1e-3)
    _, run = final(above)
    assert run.divergence is not None


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "nesterov"])
def test_the_predicted_gap_is_the_observed_gap_step_by_step(optimizer):
    settings = Settings(optimizer=optimizer, momentum=0.5, lr=0.1, steps=150, standardize=optimizer == "nesterov")
    t = theory(linear_like(settings), settings)
    values, _ = final(settings)
    observed = values[:, 0].astype(np.float64) - t.train.loss_star
    predicted = t.predicted_gap()
    big = predicted > 1e-5  # past that, float32's rounding of the loss is the gap
    np.testing.assert_allclose(observed[big], predicted[big], rtol=2e-3)
    factor = t.factor()
    tail = predicted[40:60]
    assert np.exp(np.mean(np.log(tail[1:] / tail[:-1]))) == pytest.approx(factor, rel=5e-2)


def test_theory_says_when_it_cannot_predict_step_by_step():
    assert not theory(linear_like(Settings()), Settings(optimizer="adam")).exact
    assert theory(linear_like(Settings()), Settings(optimizer="adam")).factor() is None
    assert theory(linear_like(Settings()), Settings(optimizer="adam")).bound.lr is None
    assert not theory(linear_like(Settings()), Settings(batch_size=10)).exact
    assert theory(linear_like(Settings()), Settings(batch_size=10)).predicted_gap() is None
    assert theory(linear_like(Settings()), Settings()).exact
