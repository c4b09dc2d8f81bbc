"""The trainer against independent oracles: analytic gradients, least squares, the blog's literal loop."""

import dataclasses
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from linreg_core import trainer
from linreg_core.analysis import analyse, mse, mse_gradient
from linreg_core.data import Dataset, linear_like
from linreg_core.optimizers import hyper_of
from linreg_core.settings import OPTIMIZERS, Settings
from linreg_core.theory import fastest, gap_factor, predicted_gap, stable_lr
from linreg_core.trainer import COLUMNS, PROGRAMS, Step, TrainingRun, compute_gradients, tracing_count

PLAIN = OPTIMIZERS[0]  # the blog's rule


def blog_literal_run(X, Y, steps, learning_rate, w0_start=0.0, w1_start=0.0):
    """The blog post's code, copied as printed, with the loss logged every step instead of every 100."""

    def loss_mse(X, Y, w0, w1):
        Y_hat = w0 * X + w1
        errors = (Y_hat - Y) ** 2
        return tf.reduce_mean(errors)

    def compute_gradients(X, Y, w0, w1):
        with tf.GradientTape() as tape:
            loss = loss_mse(X, Y, w0, w1)
        return tape.gradient(loss, [w0, w1])

    def update_weights(w0, w1, dw0, dw1, learning_rate):
        w0.assign_sub(dw0 * learning_rate)
        w1.assign_sub(dw1 * learning_rate)
        return w0, w1

    w0 = tf.Variable(w0_start)
    w1 = tf.Variable(w1_start)
    rows = []
    for step in range(steps + 1):
        dw0, dw1 = compute_gradients(X, Y, w0, w1)
        w0, w1 = update_weights(w0, w1, dw0, dw1, learning_rate)
        loss = loss_mse(X, Y, w0, w1)
        rows.append((step, float(loss), float(w0.numpy()), float(w1.numpy())))
    return rows


def run(data, settings, mode="compiled"):
    training = TrainingRun(data, settings, mode=mode)
    return list(training), training


def test_tape_gradient_equals_analytic_mse_gradient(blog_data):
    for w0, w1 in [(0.0, 0.0), (2.5, -1.0), (3.1, 4.2)]:
        _, dw0, dw1 = compute_gradients(
            tf.constant(blog_data.x), tf.constant(blog_data.y), tf.Variable(w0), tf.Variable(w1)
        )
        expected = mse_gradient(blog_data.x, blog_data.y, w0, w1)
        np.testing.assert_allclose([float(dw0), float(dw1)], expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["compiled", "eager"])
def test_compiled_and_eager_follow_the_blogs_literal_loop(blog_data, mode):
    settings = Settings(steps=300, lr=0.02)
    literal = blog_literal_run(blog_data.x[:, None], blog_data.y[:, None], settings.steps, settings.lr)
    records, _ = run(blog_data, settings, mode)
    assert [r.step for r in records] == [row[0] for row in literal]
    ours = np.array([(r.loss, r.w0, r.w1) for r in records])
    theirs = np.array([row[1:] for row in literal])
    np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=1e-6)


def test_records_are_frozen_plain_floats(blog_data):
    records, _ = run(blog_data, Settings(steps=5))
    first = records[0]
    assert all(type(getattr(first, f)) is float for f in ("loss", "w0", "w1", "dw0", "dw1"))
    with pytest.raises(AttributeError):
        first.w0 = 1.0  # type: ignore[misc]


def test_each_record_is_one_gradient_descent_update(blog_data):
    """w_after = w_before - lr * grad, with grad the analytic gradient at w_before and loss at w_after."""
    settings = Settings(steps=20, lr=0.05, init_w0=1.0, init_w1=-2.0)
    records, _ = run(blog_data, settings)
    before = (settings.init_w0, settings.init_w1)
    for r in records:
        g = mse_gradient(blog_data.x, blog_data.y, *before)
        np.testing.assert_allclose([r.dw0, r.dw1], g, rtol=1e-4, atol=1e-4)
        # float32 weights of size ~4 carry ~5e-7 absolute rounding
        np.testing.assert_allclose([r.w0, r.w1], [before[0] - 0.05 * r.dw0, before[1] - 0.05 * r.dw1], atol=1e-6)
        assert r.loss == pytest.approx(mse(blog_data.x, blog_data.y, r.w0, r.w1), rel=1e-4)
        before = (r.w0, r.w1)


def test_reaches_the_least_squares_optimum_on_well_conditioned_data():
    data = linear_like(Settings(n=500, w0=-1.5, w1=2.0, noise=0.3, noise_kind="gaussian", seed=7))
    # centre x so the Hessian is well conditioned, then fit from a far start at the best constant rate
    centred = Dataset(data.x - data.x.mean(), data.y, source="centred")
    info = analyse(centred)
    x64 = np.column_stack([centred.x.astype(np.float64), np.ones(centred.n)])
    (w0_ref, w1_ref), *_ = np.linalg.lstsq(x64, centred.y.astype(np.float64), rcond=None)
    records, training = run(
        centred, Settings(steps=200, lr=fastest(info, PLAIN, hyper_of(Settings())).lr, init_w0=10.0, init_w1=-10.0)
    )
    assert training.divergence is None
    assert records[-1].w0 == pytest.approx(w0_ref, abs=1e-4)
    assert records[-1].w1 == pytest.approx(w1_ref, abs=1e-4)
    assert records[-1].loss == pytest.approx(info.loss_star, rel=1e-4)


def test_blog_run_lands_near_the_least_squares_fit(blog_data, blog_settings):
    records, _ = run(blog_data, blog_settings)
    info = analyse(blog_data)
    assert len(records) == 1001
    assert records[-1].w0 == pytest.approx(info.w0_star, abs=0.01)
    assert records[-1].w1 == pytest.approx(info.w1_star, abs=0.01)
    # uniform noise U[0, 0.5) shifts the intercept up by its mean, 0.25
    assert info.w1_star == pytest.approx(4.25, abs=0.1)
    assert info.w0_star == pytest.approx(3.0, abs=0.1)


def test_same_seed_same_run_and_other_seed_other_run(blog_settings):
    first, _ = run(linear_like(blog_settings), blog_settings.changed(steps=50))
    again, _ = run(linear_like(blog_settings), blog_settings.changed(steps=50))
    other, _ = run(linear_like(blog_settings.changed(seed=1)), blog_settings.changed(steps=50))
    assert first == again
    assert first[-1] != other[-1]


def assert_converges_below_and_diverges_above(data, bound, mode="compiled", **optimizer):
    """2% either side of a stability bound: a real run settles at the optimum below it and blows up above."""
    info = analyse(data)
    below, training = run(data, Settings(steps=3000, lr=0.98 * bound, **optimizer), mode)
    assert training.divergence is None
    assert below[-1].loss == pytest.approx(info.loss_star, rel=1e-3)

    above, training = run(data, Settings(steps=3000, lr=1.02 * bound, **optimizer), mode)
    assert training.divergence is not None
    assert training.divergence.step == len(above) < 3001
    assert "loss" in training.divergence.reason
    losses = [r.loss for r in above]
    assert losses[-1] > 1e3 * losses[0]  # it really was blowing up, not stopped on a whim


@pytest.mark.parametrize("mode", ["compiled", "eager"])
def test_just_below_the_critical_rate_converges_and_just_above_diverges(blog_data, mode):
    assert_converges_below_and_diverges_above(
        blog_data, stable_lr(analyse(blog_data), PLAIN, hyper_of(Settings())), mode
    )


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov"])
def test_momentum_stability_bounds_hold_in_real_runs(blog_data, optimizer):
    """β = 0.5 puts the slowest root at about 0.86 (momentum) and 0.95 (Nesterov) per step below the bound and
    1.11 and 1.05 above it: 3000 steps settle one run and blow the other up by far more than the 1e6 limit."""
    bound = stable_lr(analyse(blog_data), optimizer, hyper_of(Settings(momentum=0.5)))
    assert_converges_below_and_diverges_above(blog_data, bound, optimizer=optimizer, momentum=0.5)


def test_the_predicted_convergence_factor_is_the_observed_ratio_of_loss_gaps(blog_data):
    """From step 200 on only the flattest direction is left (the steep one has shrunk by 0.82^200), so each
    gap is the previous one times the gap factor. The gaps stay above 2e-3 up to step 400 while the float32 loss
    carries about 1e-8 of rounding: each ratio is good to about 1e-5, checked at 1e-4."""
    info, lr = analyse(blog_data), 0.02
    records, _ = run(blog_data, Settings(steps=400, lr=lr))
    gaps = np.array([r.loss for r in records[200:]]) - info.loss_star
    assert gaps.min() > 2e-3
    np.testing.assert_allclose(gaps[1:] / gaps[:-1], gap_factor(info, lr, PLAIN, hyper_of(Settings())), rtol=1e-4)


@pytest.mark.parametrize("optimizer, momentum", [("gd", 0.0), ("momentum", 0.5), ("nesterov", 0.5)])
def test_predicted_gap_is_the_gap_of_a_real_run_step_by_step(blog_data, optimizer, momentum):
    """Theory (float64, no data pass) against the trainer (float32 TensorFlow), record by record.

    The float32 loss carries about one ulp of rounding: 4e-6 at the start's loss of ~50, a few 1e-9 near
    the optimum's 0.02. Relative 1e-4 covers the start, absolute 1e-7 the end, where the momentum runs'
    gaps fall to ~3e-5 (measured: at most 9e-6 relative or 1e-8 absolute off). Reading the records one
    update off (the gap after k instead of k + 1 updates) misses by over 100 times the tolerance."""
    info, lr, start = analyse(blog_data), 0.02, (-1.0, 9.0)
    settings = Settings(steps=500, lr=lr, init_w0=start[0], init_w1=start[1], optimizer=optimizer, momentum=momentum)
    records, _ = run(blog_data, settings)
    observed = np.array([r.loss for r in records]) - info.loss_star
    predicted = predicted_gap(info, start, lr, 500, optimizer, hyper_of(settings))
    np.testing.assert_allclose(observed, predicted, rtol=1e-4, atol=1e-7)
    assert gap_factor(info, lr, optimizer, hyper_of(settings)) < 1


def test_divergence_never_yields_nan_or_inf(blog_data):
    records, training = run(blog_data, Settings(steps=10_000, lr=10.0))
    assert training.divergence is not None
    assert all(math.isfinite(v) for r in records for v in (r.loss, r.w0, r.w1, r.dw0, r.dw1))
    assert str(training.divergence).startswith(f"diverged at step {training.divergence.step}")


def test_overflow_to_infinity_is_reported_not_yielded():
    huge = Dataset(np.array([1e18, 2e18, 3e18]), np.array([1.0, 2.0, 3.0]), source="huge")
    records, training = run(huge, Settings(steps=10, lr=1.0))
    assert records == []
    assert training.divergence is not None and training.divergence.step == 0


def test_predicted_gap_of_a_standardised_run_with_a_hold_out_uses_the_problem_as_trained(blog_data):
    """The page's recipe: theory from the analysis of `prepared.fit` (the standardised training points)
    and the start in its units; the gap is the same in either units, since both lines predict alike."""
    settings = Settings(steps=60, lr=0.3, init_w0=-1.0, init_w1=9.0, standardize=True, test_fraction=0.2)
    records, training = run(blog_data, settings)
    fit = analyse(training.prepared.fit)
    start = training.prepared.to_trained(settings.init_w0, settings.init_w1)
    predicted = predicted_gap(fit, start, settings.lr, settings.steps, PLAIN, hyper_of(settings))
    observed = np.array([r.loss for r in records]) - analyse(training.prepared.train).loss_star
    np.testing.assert_allclose(observed, predicted, rtol=1e-4, atol=1e-7)
    assert gap_factor(fit, settings.lr, PLAIN, hyper_of(settings)) == pytest.approx(0.4**2)  # round: λ = 2 both ways


def test_compiled_loop_is_traced_once_for_any_n_lr_steps_or_data():
    before = tracing_count()
    for n, lr, steps, seed in [(3, 0.1, 0, 1), (1000, 0.01, 17, 2), (257, 0.3, 5000, 3), (3, 0.05, 40, 4)]:
        settings = Settings(n=n, lr=lr, steps=steps, seed=seed)
        records, _ = run(linear_like(settings), settings)
        assert len(records) == steps + 1
    assert tracing_count() == before == len(PROGRAMS)  # each traced at import, and never again


def test_one_trace_serves_every_optimizer_batch_size_hold_out_and_scaling():
    runs = [
        dict(n=3, lr=0.01, steps=0, seed=1),
        dict(n=1000, lr=0.001, steps=70, seed=2, batch_size=64, test_fraction=0.25, standardize=True),
        dict(n=257, lr=0.05, steps=9, seed=3, batch_size=10, shuffle_seed=5),
        dict(n=20, lr=0.02, steps=33, seed=4, test_fraction=0.5, momentum=0.3, beta1=0.5, beta2=0.99, rho=0.8),
    ]
    for optimizer in OPTIMIZERS:
        for changes in runs:
            settings = Settings(optimizer=optimizer, **changes)
            records, _ = run(linear_like(settings), settings)
            assert len(records) == settings.steps + 1
    assert tracing_count() == len(PROGRAMS)


@pytest.mark.parametrize("changes", [{}, dict(lr=0.3, n=1000, standardize=True), dict(lr=0.41, steps=300)])
def test_the_blogs_own_program_and_the_general_one_walk_the_same_steps(changes, monkeypatch):
    """Plain full-batch gradient descent runs in the lean program that holds only the blog's step; the
    general program (every optimizer, masks) must give the very same records for it."""
    settings = Settings(**changes)
    data = linear_like(settings)
    lean = TrainingRun(data, settings)
    assert lean.blog_step
    lean_values = np.concatenate([b.values for b in lean.blocks()])
    monkeypatch.setattr(trainer, "FORCE_GENERAL_PROGRAM", True)
    general = np.concatenate([b.values for b in TrainingRun(data, settings).blocks()])
    np.testing.assert_array_equal(lean_values, general)
    assert not TrainingRun(data, settings.changed(optimizer="momentum")).blog_step
    assert not TrainingRun(data, settings.changed(batch_size=10)).blog_step
    assert not TrainingRun(data, settings.changed(test_fraction=0.2)).blog_step


@pytest.mark.parametrize("changes", [{}, dict(optimizer="momentum", batch_size=10, test_fraction=0.2)])
def test_a_large_n_starts_with_a_one_step_chunk_on_the_same_path(blog_data, changes, monkeypatch):
    """At a million points the first compiled call takes one step (FIRST_CHUNK_ELEMENTS), so the page's first
    frame waits for no more. Chunk boundaries must not change a single record: the blog's literal loop for
    plain GD, and the default chunking (checked against it above) for a mini-batch momentum run."""
    settings = Settings(steps=300, lr=0.02, **changes)
    default = np.concatenate([b.values for b in TrainingRun(blog_data, settings).blocks()])
    monkeypatch.setattr(trainer, "FIRST_CHUNK_ELEMENTS", blog_data.n)  # this n now counts as a million
    blocks = list(TrainingRun(blog_data, settings).blocks())
    assert [len(b) for b in blocks[:4]] == [1, 2, 4, 8]
    table = np.concatenate([b.values for b in blocks])
    np.testing.assert_array_equal(table, default)
    if not changes:
        literal = blog_literal_run(blog_data.x[:, None], blog_data.y[:, None], settings.steps, settings.lr)
        ours = table[:, [trainer.LOSS, trainer.W0, trainer.W1]]
        np.testing.assert_allclose(ours, np.array([row[1:] for row in literal]), rtol=2e-5, atol=1e-6)


XLA_RUNS = """
from linreg_core.data import linear_like
from linreg_core.settings import Settings
from linreg_core.trainer import TrainingRun
for n in (100, 101):
    data = linear_like(Settings(n=n))
    for changes in [{}, dict(steps=300, lr=0.1), dict(batch_size=10, steps=50), dict(batch_size=7, steps=999),
                    dict(optimizer="adam", batch_size=20, steps=300), dict(optimizer="nesterov", momentum=0.5),
                    dict(test_fraction=0.3, standardize=True, steps=100, optimizer="rmsprop")]:
        for _ in TrainingRun(data, Settings(n=n, steps=0).changed(**changes)):
            pass
"""


def test_xla_compiles_the_loop_once_per_n_whatever_else_changes(tmp_path):
    """Counted by XLA itself: it writes each module it compiles to --xla_dump_to. In a fresh process, two
    values of n with every optimizer, batch sizes, hold-outs and many chunks (each with its own first step)
    must make exactly two modules: a value the program treated as a compile-time constant would add more,
    while the trace count stays at 1."""
    env = {**os.environ, "XLA_FLAGS": f"--xla_dump_to={tmp_path}", "PYTHONPATH": str(Path(__file__).parents[1])}
    subprocess.run([sys.executable, "-c", XLA_RUNS], env=env, check=True, capture_output=True)
    modules = {name.split(".")[0] for name in os.listdir(tmp_path) if "train_chunk" in name}
    assert len(modules) == 2, sorted(modules)
    # and the blog's own program, for the plain full-batch runs among them: once per n too
    blog = {name.split(".")[0] for name in os.listdir(tmp_path) if "blog_chunk" in name}
    assert len(blog) == 2, sorted(blog)


def test_starting_weights_are_honoured(blog_data):
    records, _ = run(blog_data, Settings(steps=0, lr=0.02, init_w0=5.0, init_w1=-3.0))
    g = mse_gradient(blog_data.x, blog_data.y, 5.0, -3.0)
    assert len(records) == 1
    assert records[0].w0 == pytest.approx(5.0 - 0.02 * g[0], rel=1e-5)
    assert records[0].w1 == pytest.approx(-3.0 - 0.02 * g[1], rel=1e-5)


def test_records_compare_by_every_value(blog_data):
    """Reproducibility tests compare records with ==: two runs' records are equal (not the same object), and
    a record differs from one with any single field changed by the smallest step a float can take."""
    first = next(iter(TrainingRun(blog_data, Settings(steps=0, test_fraction=0.2))))
    again = next(iter(TrainingRun(blog_data, Settings(steps=0, test_fraction=0.2))))
    assert first == again and first is not again and hash(first) == hash(again)
    for f in dataclasses.fields(Step):
        value = getattr(first, f.name)
        changed = value + 1 if isinstance(value, int) else float(np.nextafter(value, np.inf))
        assert dataclasses.replace(first, **{f.name: changed}) != first, f.name


def test_blocks_are_read_only_tables_with_the_steps_the_records_show(blog_data):
    training = TrainingRun(blog_data, Settings(steps=100, test_fraction=0.2))
    blocks = list(training.blocks())
    table = np.concatenate([b.values for b in blocks])
    assert [b.first for b in blocks] == list(np.cumsum([0] + [len(b) for b in blocks[:-1]]))
    assert table.shape == (101, len(COLUMNS)) and table.dtype == np.float32
    with pytest.raises(ValueError):
        blocks[0].values[0, 0] = 1.0
    again = list(TrainingRun(blog_data, Settings(steps=100, test_fraction=0.2)))
    assert [[getattr(r, c) for c in COLUMNS] for r in again] == table.tolist()
