"""The page's words about runs, against real runs of the trainer."""

import re

import numpy as np
import pytest

from dashboard import texts
from linreg_core.analysis import analyse
from linreg_core.data import linear_like
from linreg_core.settings import Settings
from linreg_core.theory import theory
from linreg_core.trainer import TrainingRun


def run(settings: Settings):
    data = linear_like(settings)
    training = TrainingRun(data, settings)
    values = np.concatenate([b.values for b in training.blocks()])
    d = training.divergence
    status = texts.run_status(theory(data, settings), values, (d.step, d.reason) if d else None)
    return status, values, analyse(data)


def test_the_blogs_run_converged():
    status, values, info = run(Settings())
    assert status.kind == "success" and status.text.startswith("Converged: after 1,001 updates")
    assert f"{info.loss_star:.4g}" in status.text


def test_a_short_run_is_not_there_yet_and_says_by_how_much():
    status, values, info = run(Settings(steps=0))
    assert status.kind == "info" and "after 1 update " in status.text
    ratio = float(re.search(r"([\d,]+) times the optimum", status.text)[1].replace(",", ""))
    assert ratio == pytest.approx(values[-1, 0] / info.loss_star, rel=1e-3)


def test_above_the_critical_rate_is_diverging_with_the_step_it_turned_and_the_bound():
    status, values, info = run(Settings(lr=0.5, steps=10))
    losses = np.concatenate([[info.moments.loss(0, 0)], values[:, 0]])
    turned = int(np.argmin(losses))  # the first record past the lowest loss, the start counted
    assert status.kind == "error" and f"the loss grew from step {turned} on" in status.text
    assert f"below {info.critical_lr:.4g} (2/λmax)" in status.text and "you chose 0.5" in status.text


def test_a_run_that_overflows_says_where_it_stopped():
    status, values, _ = run(Settings(lr=10.0, steps=500))
    assert status.kind == "error" and f"stopped at step {len(values):,}" in status.text


def test_just_above_the_critical_rate_is_diverging_even_before_the_loss_turns():
    """Started along the bowl's slow axis, the loss falls for a while at a rate that must diverge (the fast
    direction, nearly empty at the start, grows by |1 - lr·λmax| > 1 per step): the rate alone says so."""
    info = analyse(linear_like(Settings()))
    start = np.array([info.w0_star, info.w1_star]) + 3.0 * np.asarray(info.u_min)
    settings = Settings(lr=1.02 * info.critical_lr, steps=3, init_w0=float(start[0]), init_w1=float(start[1]))
    data = linear_like(settings)
    values = np.concatenate([b.values for b in TrainingRun(data, settings).blocks()])
    start_loss = info.moments.loss(*start)
    assert (np.diff(np.concatenate([[start_loss], values[:, 0]])) < 0).all()  # it still falls at every step
    status = texts.run_status(theory(data, settings), values, None)
    assert status.kind == "error" and "has not turned up within 4 steps, but at this rate it will" in status.text


def test_points_on_a_line_converge_to_an_optimum_of_zero():
    status, _, _ = run(Settings(noise=0.0, lr=0.3, steps=3000))
    assert status.kind == "success" and "the optimum is 0 here" in status.text


def test_a_stopped_run_says_where():
    settings = Settings()
    values = np.zeros((42, 6), np.float32) + [[1.0, 1, 1, 0, 0, np.nan]]
    status = texts.run_status(theory(linear_like(settings), settings), values, None, stopped=True)
    assert status == texts.Status("warning", "Stopped at step 41 of 1,000: training was interrupted. Press Run again.")


@pytest.mark.parametrize(
    "changes",
    [{}, dict(optimizer="adam"), dict(batch_size=1000), dict(test_fraction=0.2, optimizer="momentum", batch_size=10)],
)
def test_the_work_budget_refuses_just_past_what_it_suggests(changes):
    n = 1_000_000
    settings = Settings(n=n, steps=10_000, **changes)
    problem = texts.budget_problem(settings, n)
    steps, most_n = (
        int(v.replace(",", "")) for v in re.search(r"Lower steps to ([\d,]+) or n to ([\d,]+)", problem).groups()
    )
    assert texts.budget_problem(settings.changed(steps=steps), n) is None
    assert texts.budget_problem(settings.changed(steps=steps + 1), n) is not None
    assert texts.budget_problem(settings, most_n) is None and texts.budget_problem(settings, most_n + 1) is not None
    factor = texts.cost_factor(settings, n)
    assert (steps + 1) * n * factor <= texts.WORK_BUDGET < (steps + 2) * n * factor


def test_the_default_run_and_the_largest_plain_run_are_within_budget():
    assert texts.budget_problem(Settings(), 100) is None
    assert texts.budget_problem(Settings(n=1_000_000, steps=3000), 1_000_000) is None
    assert texts.budget_problem(Settings(n=1_000_000, steps=3001), 1_000_000) is not None


@pytest.mark.parametrize("lr, word", [(0.1, "shrinking"), (0.5, "growing")])
def test_the_gap_caption_gives_the_rate_the_real_run_moves_at(lr, word):
    """The caption's factor per step is read against the run's own gap over its last steps."""
    settings = Settings(lr=lr, steps=40)
    data = linear_like(settings)
    t = theory(data, settings)
    caption = texts.captions(t, data)["gap"]
    factor = float(re.search(rf"{word} about ([\d.]+)× a step", caption)[1])
    values = np.concatenate([b.values for b in TrainingRun(data, settings).blocks()])
    gap = values[:, 0].astype(np.float64) - analyse(data).loss_star
    assert factor == pytest.approx((gap[-1] / gap[-11]) ** 0.1, rel=1e-3)  # printed to 4 digits
    weights = texts.captions(t, data)["weights"]
    assert ("never settle" in weights) == (word == "growing")
    landscape = texts.captions(t, data)["landscape"]
    assert ("leaves the bowl" in landscape) == (word == "growing")
    assert ("creeps along the valley floor" in landscape) == (word == "shrinking")
