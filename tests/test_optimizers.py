"""Every optimizer, mini-batches, the hold-out and standardised x, against independent NumPy oracles.

The oracles below are written from the update rules' textbook definitions in float64, sharing no code
with linreg_core.optimizers; every run is a real TensorFlow run of the trainer.
"""

import numpy as np
import pytest

from linreg_core.analysis import analyse, mse, mse_gradient
from linreg_core.data import Dataset, linear_like
from linreg_core.optimizers import REGISTRY, hyper_of
from linreg_core.prepare import batch_ids, batches_per_epoch, prepare
from linreg_core.settings import OPTIMIZERS, Settings
from linreg_core.theory import fastest
from linreg_core.trainer import TrainingRun, epochs_per_call

HYPER = dict(momentum=0.7, beta1=0.8, beta2=0.95, rho=0.85)  # not the defaults, so a swapped β shows


def numpy_path(x, y, settings, steps):
    """The weights after each of `steps` full-batch updates, by the textbook rules in float64."""
    s = settings
    w = np.array([s.init_w0, s.init_w1], dtype=np.float64)
    velocity, mean, square, path = np.zeros(2), np.zeros(2), np.zeros(2), []
    for t in range(1, steps + 1):
        g = np.array(mse_gradient(x, y, *w))
        if s.optimizer == "gd":
            w = w - s.lr * g
        elif s.optimizer == "momentum":  # Polyak: v ← βv + g, w ← w − ηv
            velocity = s.momentum * velocity + g
            w = w - s.lr * velocity
        elif s.optimizer == "nesterov":  # Sutskever's form at the current point: w ← w − η(g + β·v_new)
            velocity = s.momentum * velocity + g
            w = w - s.lr * (g + s.momentum * velocity)
        elif s.optimizer == "rmsprop":  # Hinton's lecture 6e, ε outside the root
            square = s.rho * square + (1 - s.rho) * g**2
            w = w - s.lr * g / (np.sqrt(square) + 1e-8)
        elif s.optimizer == "adam":  # Kingma & Ba, Algorithm 1
            mean = s.beta1 * mean + (1 - s.beta1) * g
            square = s.beta2 * square + (1 - s.beta2) * g**2
            m_hat, v_hat = mean / (1 - s.beta1**t), square / (1 - s.beta2**t)
            w = w - s.lr * m_hat / (np.sqrt(v_hat) + 1e-8)
        path.append(w.copy())
    return np.array(path)


def run(data, settings, mode="compiled"):
    training = TrainingRun(data, settings, mode=mode)
    return list(training), training


def weights(records):
    return np.array([(r.w0, r.w1) for r in records])


def test_every_optimizer_a_setting_can_name_has_a_rule():
    assert tuple(REGISTRY) == OPTIMIZERS and all(callable(o.rule) for o in REGISTRY.values())


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_first_steps_follow_the_textbook_rule(blog_data, optimizer):
    """Eight updates from an off-centre start, each optimizer against its NumPy oracle. float32 weights of
    size ~5 round at ~5e-7 per step; eight steps stay well inside 1e-5."""
    settings = Settings(steps=7, lr=0.05, init_w0=1.0, init_w1=-2.0, optimizer=optimizer, **HYPER)
    records, _ = run(blog_data, settings)
    np.testing.assert_allclose(weights(records), numpy_path(blog_data.x, blog_data.y, settings, 8), atol=1e-5)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_compiled_and_eager_walk_the_same_path(blog_data, optimizer):
    settings = Settings(steps=60, lr=0.05, optimizer=optimizer, **HYPER)
    compiled, _ = run(blog_data, settings, "compiled")
    eager, _ = run(blog_data, settings, "eager")
    np.testing.assert_allclose(weights(compiled), weights(eager), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose([r.loss for r in compiled], [r.loss for r in eager], rtol=1e-5)


@pytest.fixture(scope="module")
def centred():
    """Well-conditioned data (κ ≈ 3): x centred, so the bowl is nearly round."""
    data = linear_like(Settings(n=500, w0=-1.5, w1=2.0, noise=0.3, noise_kind="gaussian", seed=7))
    return Dataset(data.x - data.x.mean(), data.y, source="centred")


@pytest.mark.parametrize(
    "optimizer, lr, steps, tolerance",
    [
        ("gd", None, 200, 1e-5),
        ("momentum", 0.3, 300, 1e-5),
        ("nesterov", 0.3, 300, 1e-5),
        ("adam", 0.1, 2000, 1e-5),
        # RMSProp's step is about lr·sign(g) near the optimum whatever g's size, so with a constant rate it
        # ends in a two-step cycle around the optimum of about ±lr/2, not on it
        ("rmsprop", 0.01, 3000, 0.01),
    ],
)
def test_every_optimizer_reaches_the_least_squares_optimum(centred, optimizer, lr, steps, tolerance):
    design = np.column_stack([centred.x.astype(np.float64), np.ones(centred.n)])
    optimum, *_ = np.linalg.lstsq(design, centred.y.astype(np.float64), rcond=None)
    lr = lr or fastest(analyse(centred), "gd", hyper_of(Settings())).lr
    settings = Settings(steps=steps, lr=lr, init_w0=10.0, init_w1=-10.0, optimizer=optimizer, momentum=0.5)
    records, training = run(centred, settings)
    assert training.divergence is None
    np.testing.assert_allclose(weights(records[-1:])[0], optimum, atol=tolerance)
    assert np.abs(weights(records[:1])[0] - optimum).max() > 5  # it started far away


# ---- mini-batches -------------------------------------------------------------------------------


def test_mini_batch_runs_are_reproducible_and_depend_on_the_shuffle(blog_data):
    settings = Settings(steps=80, lr=0.05, batch_size=16)
    first, _ = run(blog_data, settings)
    again, _ = run(blog_data, settings)
    other, _ = run(blog_data, settings.changed(shuffle_seed=1))
    full, _ = run(blog_data, settings.changed(batch_size=0))
    assert first == again
    assert weights(first).tolist() != weights(other).tolist()
    assert np.abs(weights(first) - weights(full)).max() > 1e-3


@pytest.mark.parametrize("batch_size", [100, 250])
def test_a_batch_of_every_point_is_the_full_batch(blog_data, batch_size):
    settings = Settings(steps=50, lr=0.05)
    assert run(blog_data, settings.changed(batch_size=batch_size))[0] == run(blog_data, settings)[0]


@pytest.mark.parametrize("mode", ["compiled", "eager"])
def test_each_mini_batch_update_uses_its_batchs_gradient_and_reports_the_full_loss(blog_data, mode):
    """27 points a batch: 4 updates an epoch, the last on the remaining 19. Each record's gradient is
    the analytic one over its batch at the previous weights, and its loss is over all points."""
    settings = Settings(steps=12, lr=0.05, batch_size=27, shuffle_seed=3, init_w0=1.0, init_w1=1.0)
    records, training = run(blog_data, settings, mode)
    per_epoch = batches_per_epoch(blog_data.n, 27)
    assert per_epoch == training.per_epoch == 4
    before = (1.0, 1.0)
    for r in records:
        epoch, slot = divmod(r.step, per_epoch)
        members = batch_ids(np.zeros(blog_data.n, bool), 27, 3, epoch) == slot
        assert members.sum() == (27 if slot < 3 else 19)
        g = mse_gradient(blog_data.x[members], blog_data.y[members], *before)
        np.testing.assert_allclose([r.dw0, r.dw1], g, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose([r.w0, r.w1], np.array(before) - 0.05 * np.array(g), atol=2e-6)
        assert r.loss == pytest.approx(mse(blog_data.x, blog_data.y, r.w0, r.w1), rel=1e-5)
        before = (r.w0, r.w1)


def test_compiled_calls_carrying_several_epochs_follow_the_eager_loop_epoch_by_epoch():
    """At n = 50,000 a compiled call carries 5 epochs of batch ids; 2 batches an epoch and 40 updates
    make 20 epochs, so the run crosses 4 tables, with the shuffle changing every other step."""
    settings = Settings(n=50_000, steps=39, lr=0.1, batch_size=25_000, optimizer="momentum", test_fraction=0.1)
    data = linear_like(settings)
    assert epochs_per_call(data.n) == 5
    compiled, _ = run(data, settings, "compiled")
    eager, _ = run(data, settings, "eager")
    np.testing.assert_allclose(weights(compiled), weights(eager), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose([r.dw0 for r in compiled], [r.dw0 for r in eager], rtol=1e-4, atol=1e-6)


def test_the_mini_batch_loss_is_over_all_points_not_the_batch(blog_data):
    records, _ = run(blog_data, Settings(steps=300, lr=0.02, batch_size=5))
    full_losses = [mse(blog_data.x, blog_data.y, r.w0, r.w1) for r in records]
    np.testing.assert_allclose([r.loss for r in records], full_losses, rtol=1e-5)


# ---- hold-out and standardised x ----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["compiled", "eager"])
def test_held_out_points_are_not_trained_on_and_give_the_test_loss(blog_data, mode):
    settings = Settings(steps=200, lr=0.05, test_fraction=0.3, shuffle_seed=11)
    records, training = run(blog_data, settings, mode)
    train, test = training.prepared.train, training.prepared.test
    assert (train.n, test.n) == (70, 30)
    # the two parts are the data, split: same points, none twice
    both = np.concatenate([np.column_stack([train.x, train.y]), np.column_stack([test.x, test.y])])
    assert sorted(map(tuple, both)) == sorted(zip(blog_data.x, blog_data.y, strict=True))
    for r in records[::20]:
        assert r.loss == pytest.approx(mse(train.x, train.y, r.w0, r.w1), rel=1e-5)
        assert r.test_loss == pytest.approx(mse(test.x, test.y, r.w0, r.w1), rel=1e-5)
    # trained on the 70 alone: it heads for their optimum, not the one of all 100
    end, info = records[-1], analyse(train)
    records, _ = run(blog_data, settings.changed(steps=3000, lr=0.35))
    assert (records[-1].w0, records[-1].w1) == pytest.approx((info.w0_star, info.w1_star), abs=1e-4)
    assert abs(analyse(blog_data).w1_star - info.w1_star) > 1e-3
    assert end.test_loss > end.loss * 0.5  # both are losses of the same size, not one of them zero


def test_no_hold_out_means_no_test_loss(blog_data):
    records, _ = run(blog_data, Settings(steps=3))
    block = next(TrainingRun(blog_data, Settings(steps=3)).blocks())
    assert all(r.test_loss is None for r in records)
    assert np.isnan(block.values[:, 5]).all() and np.isfinite(block.values[:, :5]).all()


@pytest.mark.parametrize("mode", ["compiled", "eager"])
def test_standardised_x_reaches_the_same_optimum_in_original_units(blog_data, mode):
    """The blog's data is badly conditioned (κ ≈ 16); standardised (κ = 1) the best rate lands in a few
    steps, and the weights come back in the data's units."""
    info, fit = analyse(blog_data), analyse(prepare(blog_data, standardize=True).fit)
    assert fit.condition_number == pytest.approx(1.0) and info.condition_number > 15
    settings = Settings(steps=40, lr=fastest(fit, "gd", hyper_of(Settings())).lr, standardize=True, init_w0=0.5,
                        init_w1=-1.0)  # fmt: skip
    records, training = run(blog_data, settings, mode)
    assert (records[-1].w0, records[-1].w1) == pytest.approx((info.w0_star, info.w1_star), abs=1e-5)
    assert records[-1].loss == pytest.approx(info.loss_star, rel=1e-5)
    # it started from the requested line: the loss there, and the gradient of the standardised problem at it
    assert training.initial_loss == pytest.approx(mse(blog_data.x, blog_data.y, 0.5, -1.0), rel=1e-5)
    x = blog_data.x.astype(np.float64)
    mean, std = x.mean(), x.std()
    slope, intercept = 0.5 * std, -1.0 + 0.5 * mean  # the line 0.5·x − 1 written for (x − mean)/std
    g = mse_gradient((x - mean) / std, blog_data.y, slope, intercept)
    np.testing.assert_allclose([records[0].dw0, records[0].dw1], g, rtol=1e-4)


def test_standardised_runs_report_the_loss_and_weights_of_one_line(blog_data):
    settings = Settings(steps=30, lr=0.1, standardize=True, optimizer="adam", test_fraction=0.2)
    records, _ = run(blog_data, settings)
    split = prepare(blog_data, test_fraction=0.2, seed=settings.shuffle_seed)  # the same split, unscaled
    for r in records:
        assert r.loss == pytest.approx(mse(split.train.x, split.train.y, r.w0, r.w1), rel=1e-5)
        assert r.test_loss == pytest.approx(mse(split.test.x, split.test.y, r.w0, r.w1), rel=1e-5)
