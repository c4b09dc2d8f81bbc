"""The page's words about runs, against real runs of the trainer (the claims behind them are checked in every
mode by test_truth_matrix.py; these pin the sentences themselves)."""

import re

import numpy as np
import pytest

from dashboard import texts
from linreg_core.analysis import analyse
from linreg_core.claims import claims
from linreg_core.data import linear_like
from linreg_core.settings import N_STOPS, STEP_STOPS, Settings
from linreg_core.theory import theory
from linreg_core.trainer import TrainingRun
from linreg_core.words import limit_text, loss_text


def run(settings: Settings):
    data = linear_like(settings)
    training = TrainingRun(data, settings)
    values = np.concatenate([b.values for b in training.blocks()]) if settings.steps >= 0 else None
    c = claims(theory(data, settings))
    return texts.run_status(c, values, training.divergence), values, analyse(data), c


def test_the_blogs_run_converged():
    status, values, info, _ = run(Settings())
    assert status.kind == "success" and status.text.startswith("Converged: after 1,001 updates")
    assert loss_text(info.loss_star) in status.text and status.step == 1000


def test_a_short_run_is_not_there_yet_and_says_by_how_much_and_what_gets_there():
    status, values, info, c = run(Settings(steps=0))
    assert status.kind == "info" and "after 1 update " in status.text
    ratio = float(re.search(r"([\d,]+) times the optimum", status.text)[1].replace(",", ""))
    assert ratio == pytest.approx(values[-1, 0] / info.loss_star, rel=1e-2)
    needed = int(re.search(r"theory says ([\d,]+) updates reach", status.text)[1].replace(",", ""))
    steps = int(re.search(r"set steps to ([\d,]+)", status.text)[1].replace(",", ""))
    assert steps in STEP_STOPS and steps + 1 >= needed  # a value the steps control can take, and enough
    assert c.predicted is not None


def test_above_the_critical_rate_is_diverging_with_the_step_it_turned_and_the_bound():
    status, values, info, c = run(Settings(lr=0.5, steps=10))
    losses = np.concatenate([[info.moments.loss(0, 0)], values[:, 0]])
    turned = int(np.argmin(losses))  # the first record past the lowest loss, the start counted
    assert status.kind == "error" and f"the loss grew from step {turned} on" in status.text
    assert f"below {limit_text(2 / info.lambda_max)} (2/λmax)" in status.text and "you chose 0.5" in status.text
    assert f"to {loss_text(values[-1, 0])} at step 10." in status.text and status.step == 10


def test_a_run_that_blows_up_names_the_last_step_shown_and_its_loss():
    """One step, one number: the status speaks of the last record the chart shows, not of the update that
    blew up (it is never shown)."""
    settings = Settings(lr=10.0, steps=500)
    data = linear_like(settings)
    training = TrainingRun(data, settings)
    values = np.concatenate([b.values for b in training.blocks()])
    status = texts.run_status(claims(theory(data, settings)), values, training.divergence)
    last = len(values) - 1
    assert training.divergence.step == last + 1
    assert f"to {loss_text(values[-1, 0])} at step {last:,}, where the run stopped" in status.text
    assert status.step == last and f"step {last + 1}" not in status.text


def test_just_above_the_critical_rate_is_diverging_even_before_the_loss_turns():
    """Started along the bowl's slow axis, the loss falls for a while at a rate that must diverge (the fast
    direction, nearly empty at the start, grows by |1 - lr·λmax| > 1 per step): the rate alone says so."""
    info = analyse(linear_like(Settings()))
    start = np.array([info.w0_star, info.w1_star]) + 3.0 * np.asarray(info.u_min)
    settings = Settings(lr=1.02 * 2 / info.lambda_max, steps=3, init_w0=float(start[0]), init_w1=float(start[1]))
    data = linear_like(settings)
    values = np.concatenate([b.values for b in TrainingRun(data, settings).blocks()])
    start_loss = info.moments.loss(*start)
    assert (np.diff(np.concatenate([[start_loss], values[:, 0]])) < 0).all()  # it still falls at every step
    status = texts.run_status(claims(theory(data, settings)), values, None)
    assert status.kind == "error" and "has not turned up within 4 steps, but at this rate it will" in status.text


def test_points_on_a_line_converge_to_an_optimum_of_zero():
    status, *_ = run(Settings(noise=0.0, lr=0.3, steps=3000))
    assert status.kind == "success" and "the optimum is 0 here" in status.text


def test_a_stopped_run_says_where():
    settings = Settings()
    values = np.zeros((42, 6), np.float32) + [[1.0, 1, 1, 0, 0, np.nan]]
    status = texts.run_status(claims(theory(linear_like(settings), settings)), values, None, stopped=True)
    assert status == texts.Status("warning", "Stopped at step 41 of 1,000: training was interrupted. Press Run again.",
                                  41)  # fmt: skip


@pytest.mark.parametrize(
    "changes",
    [{}, dict(optimizer="adam"), dict(batch_size=1000), dict(test_fraction=0.2, optimizer="momentum", batch_size=10)],
)
def test_the_work_budget_suggests_the_largest_values_the_controls_can_take(changes):
    n = 1_000_000
    settings = Settings(n=n, steps=10_000, **changes)
    problem = texts.budget_problem(settings, n)
    steps, most_n = (
        int(v.replace(",", "")) for v in re.search(r"Lower steps to ([\d,]+) or n to ([\d,]+)", problem).groups()
    )
    assert steps in STEP_STOPS and most_n in N_STOPS  # values the sliders can take
    assert texts.budget_problem(settings.changed(steps=steps), n) is None
    above = min(v for v in STEP_STOPS if v > steps)
    assert texts.budget_problem(settings.changed(steps=above), n) is not None  # the next stop is refused
    assert texts.budget_problem(settings, most_n) is None
    assert texts.budget_problem(settings, min(v for v in N_STOPS if v > most_n)) is not None


def test_the_budget_offers_n_only_where_n_is_a_control():
    settings = Settings(data="csv", steps=10_000)
    problem = texts.budget_problem(settings, 1_000_000)
    assert "Lower steps to 3,000;" in problem and "n to" not in problem


def test_the_default_run_and_the_largest_plain_run_are_within_budget():
    assert texts.budget_problem(Settings(), 100) is None
    assert texts.budget_problem(Settings(n=1_000_000, steps=3000), 1_000_000) is None
    assert texts.budget_problem(Settings(n=1_000_000, steps=3001), 1_000_000) is not None


@pytest.mark.parametrize("lr, word", [(0.1, "shrinks"), (0.5, "grows")])
def test_the_gap_caption_gives_the_rate_the_real_run_moves_at(lr, word):
    """The caption's factor per step is read against the run's own gap over its last steps, and it is the very
    number the sidebar gives (one factor, of one named quantity: the gap to the optimum loss)."""
    settings = Settings(lr=lr, steps=40)
    data = linear_like(settings)
    c = claims(theory(data, settings))
    caption = texts.captions(c, data)["gap"]
    written = re.search(rf"the gap {word} ([\d.]+)× a step", caption)[1]
    assert f"the gap to the optimum loss {word} {written}× a step" in texts.stability_note(c)
    factor = float(written)
    values = np.concatenate([b.values for b in TrainingRun(data, settings).blocks()])
    gap = values[:, 0].astype(np.float64) - analyse(data).loss_star
    assert factor == pytest.approx((gap[-1] / gap[-11]) ** 0.1, rel=1e-3)  # printed to 4 digits
    weights = texts.captions(c, data)["weights"]
    assert ("never settle" in weights) == (word == "grows")
    landscape = texts.captions(c, data)["landscape"]
    assert ("leaves the bowl" in landscape) == (word == "grows")
    assert ("creeps along the valley floor" in landscape) == (word == "shrinks")


def test_a_factor_close_to_1_keeps_enough_digits_to_differ_from_1():
    c = claims(theory(linear_like(Settings()), Settings(lr=1e-4)))
    note = texts.stability_note(c)
    factor = float(re.search(r"shrinks ([\d.]+)× a step", note)[1])
    assert factor < 1 and factor == pytest.approx(c.factor, rel=1e-6)
    halving = int(re.search(r"it halves every ([\d,]+) steps", note)[1].replace(",", ""))
    assert c.factor**halving == pytest.approx(0.5, rel=1e-3)


@pytest.mark.parametrize("value", [0.41356626666778323, 0.0007702743103, 1.0, 2.0, 0.0108824, 3.99949, 123.456])
def test_a_bound_is_written_rounded_toward_zero_so_below_it_stays_true(value):
    from decimal import ROUND_FLOOR, Decimal

    written = limit_text(value)
    exponent = Decimal(repr(value)).adjusted() - 3
    assert Decimal(written) == Decimal(repr(value)).quantize(Decimal(1).scaleb(exponent), rounding=ROUND_FLOOR)
    assert float(written) <= value
    assert limit_text(0.9999999978838265) == "1"  # 1 as float32 standardised points give it: the trainer's 1
