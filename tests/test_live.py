"""The page's plain parts: the frame pacer and the two-layer live view."""

import json
import math

import numpy as np
import pytest

from linreg_core import charts
from linreg_core.analysis import analyse
from linreg_core.data import linear_like
from linreg_core.live import LR_OPTIONS, N_OPTIONS, BackgroundRun, FramePacer, with_value
from linreg_core.settings import Settings
from linreg_core.trainer import TrainingRun


@pytest.fixture(scope="module")
def blog_run():
    settings = Settings()
    data = linear_like(settings)
    return data, analyse(data), list(TrainingRun(data, settings))


def play(pacer: FramePacer, arrivals: list[int]) -> list[int]:
    """The records drawn when pick() is asked once per frame and `arrivals[k]` records exist at frame k."""
    drawn = []
    for available in arrivals:
        i = pacer.pick(available)
        if i is not None:
            drawn.append(i)
            pacer.drawn(i, now=0.0)
    return drawn


@pytest.mark.parametrize("total", [1, 2, 45, 1001, 10_001])
def test_a_finished_run_plays_its_45_log_spaced_targets_ending_on_the_last(total):
    pacer = FramePacer(total)
    drawn = play(pacer, [total] * 100)
    assert drawn == charts.frame_steps(total, 45)  # small n: training is over before the second frame
    assert drawn[0] == 0 and drawn[-1] == total - 1 and len(drawn) == min(total, 45)


def test_a_slow_run_draws_the_newest_record_when_the_next_target_is_not_trained_yet():
    targets = charts.frame_steps(1001, 45)
    pacer = FramePacer(1001)
    arrivals = list(range(16, 1001, 16)) + [1001, 1001]  # 16 steps per frame interval, as at n = 1e6
    drawn = play(pacer, arrivals)
    assert drawn[-1] == 1000 and drawn == sorted(set(drawn))
    assert len(drawn) > len(arrivals) - 5  # about one frame per interval: the animation keeps its rate
    # early on, frames play the log-spaced targets in order; later, whatever trained newest
    assert drawn[:5] == targets[:5]
    late = [i for i in drawn if i > 500]
    assert any(i not in targets for i in late) and all(i + 1 in arrivals for i in late if i not in targets)


def test_a_diverged_run_ends_on_its_last_record():
    pacer = FramePacer(1001)
    drawn = play(pacer, [300] * 100)  # the run stopped after 300 records
    assert drawn[-1] == 299 and drawn == [t for t in charts.frame_steps(1001, 45) if t < 299] + [299]


def test_pacer_keeps_frames_at_least_an_interval_apart():
    pacer = FramePacer(100, fps=20)
    assert pacer.wait(now=10.0) == 0.0
    pacer.drawn(0, now=10.0)
    assert pacer.wait(now=10.01) == pytest.approx(0.04)
    assert pacer.wait(now=10.2) == 0.0
    assert pacer.frames_drawn == 1 and pacer.pick(1) is None  # nothing new to draw


def test_background_run_yields_the_same_records_as_the_run_itself(blog_run):
    data, _, direct = blog_run
    with BackgroundRun(TrainingRun(data, Settings())) as training:
        training.finished.wait()
    training.check()
    assert training.records == direct


def test_background_run_stops_when_its_block_is_left_early():
    settings = Settings(n=100_000, steps=10_000)
    run = TrainingRun(linear_like(settings), settings)
    with BackgroundRun(run) as training:
        while not training.records:
            training.finished.wait(0.001)
    stopped_at = len(training.records)
    assert training.finished.is_set()  # the worker has ended, not just been abandoned
    assert stopped_at < run.total_steps and len(training.records) == stopped_at


def test_background_run_hands_a_worker_error_to_the_page():
    def broken():
        yield from []
        raise ValueError("bad step")

    with BackgroundRun(broken()) as training:
        training.finished.wait()
    with pytest.raises(ValueError, match="bad step"):
        training.check()


def test_slider_grids_hold_the_defaults_and_the_ends():
    assert N_OPTIONS[0] == 1 and N_OPTIONS[-1] == 1_000_000 and 100 in N_OPTIONS
    assert LR_OPTIONS[0] == 1e-4 and 0.02 in LR_OPTIONS and LR_OPTIONS == sorted(LR_OPTIONS)
    assert with_value(N_OPTIONS, 137) == sorted([*N_OPTIONS, 137])
    assert with_value(N_OPTIONS, 100) is N_OPTIONS


def test_live_layers_line_up_and_the_fit_line_is_the_records(blog_run):
    data, info, records = blog_run
    view = charts.LiveView(data, info, charts.sample_points(data), total_steps=1000)
    background, foreground = view.frame(records[:300])
    bg, fg = json.loads(background), json.loads(foreground)
    for key in ("xaxis", "yaxis", "xaxis2", "yaxis2"):
        for setting in ("domain", "range", "anchor", "type"):
            assert fg["layout"][key].get(setting) == bg["layout"][key].get(setting)
        assert fg["layout"][key]["range"]
        assert fg["layout"][key]["visible"] is False and bg["layout"][key].get("visible", True)
    assert fg["layout"]["margin"] == bg["layout"]["margin"] and fg["layout"]["height"] == bg["layout"]["height"]
    fit, loss = fg["data"]
    last = records[299]
    assert fit["y"] == pytest.approx([last.w0 * x + last.w1 for x in fit["x"]])
    assert loss["x"][-1] == 299 and loss["y"][-1] == pytest.approx(last.loss)
    assert "Step 299" in fg["layout"]["title"]["text"]
    assert bg["data"][0]["name"] == "data" and "current fit" in [t["name"] for t in bg["data"]]


@pytest.mark.parametrize("k", [0, 1, 37, 1001])
def test_the_two_layers_together_draw_what_the_one_figure_live_view_draws(blog_run, k):
    """charts.live_figure states the live view as one figure (and the chart tests check it); the page
    draws it split in two layers, which must together hold the same traces and views."""
    import plotly.graph_objects as go

    data, info, records = blog_run
    sample = charts.sample_points(data)
    whole = charts.live_figure(data, info, records[:k], sample, total_steps=1000)
    background, foreground = charts.LiveView(data, info, sample, total_steps=1000).frame(records[:k])
    bg, fg = go.Figure(json.loads(background)), go.Figure(json.loads(foreground))
    moving = {t.name: t for t in fg.data}
    still = {t.name: t for t in bg.data}
    for t in whole.data:
        layer = moving if t.name in moving else still
        assert list(layer[t.name].x) == pytest.approx(list(t.x)), t.name
        assert list(layer[t.name].y) == pytest.approx(list(t.y)), t.name
    assert set(moving) | set(still) == {t.name for t in whole.data}
    for axis in ("xaxis", "yaxis", "xaxis2"):
        assert bg.layout[axis].range == fg.layout[axis].range == whole.layout[axis].range
    assert bg.layout.title.subtitle.text == whole.layout.title.subtitle.text


def test_a_converging_run_sends_the_background_once(blog_run):
    data, info, records = blog_run
    view = charts.LiveView(data, info, charts.sample_points(data), total_steps=1000)
    sent = [view.frame(records[: i + 1])[0] is not None for i in range(0, 1001, 25)]
    assert sent[0] and not any(sent[1:])
    lo, hi = json.loads(view.frame(records)[1])["layout"]["yaxis2"]["range"]
    assert lo <= math.log10(info.loss_star) and hi >= math.log10(records[0].loss)


def test_a_diverging_run_widens_the_loss_axis():
    settings = Settings(lr=0.5)
    data = linear_like(settings)
    training = TrainingRun(data, settings)
    records = list(training)
    view = charts.LiveView(data, analyse(data), charts.sample_points(data), total_steps=1000)
    assert view.frame(records[:1])[0] is not None
    background, foreground = view.frame(records)
    assert background is not None and view.version == 2
    hi = json.loads(foreground)["layout"]["yaxis2"]["range"][1]
    assert hi >= math.log10(max(r.loss for r in records))
    assert all(np.isfinite(json.loads(foreground)["data"][1]["y"]))
