"""Figures against what they claim to show: the records, the data, the optimum, and a usable replay."""

import base64
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from linreg_core import charts
from linreg_core.analysis import analyse, mse
from linreg_core.data import Dataset, linear_like
from linreg_core.settings import Settings
from linreg_core.trainer import Step, TrainingRun

# ---- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def blog_analysis(blog_data):
    return analyse(blog_data)


@pytest.fixture(scope="session")
def blog_records(blog_data, blog_settings):
    return list(TrainingRun(blog_data, blog_settings))


@pytest.fixture(scope="session")
def million():
    data = linear_like(Settings(n=1_000_000, seed=3))
    return data, analyse(data)


def trace(fig, name):
    (found,) = [t for t in fig.data if t.name == name]
    return found


def index_of(fig, name):
    (found,) = [i for i, t in enumerate(fig.data) if t.name == name]
    return found


def numbers(value):
    """Every number in a figure's JSON form, including NumPy arrays and Plotly's base64 typed arrays."""
    if isinstance(value, dict):
        if set(value) >= {"dtype", "bdata"}:
            yield from np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
            return
        for item in value.values():
            yield from numbers(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from numbers(item)
    elif isinstance(value, np.ndarray):
        if value.dtype.kind in "fiu":
            yield from value.ravel().tolist()
        else:
            for item in value.ravel():
                yield from numbers(item)
    elif isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        yield float(value)


def assert_all_finite(fig):
    values = list(numbers(fig.to_plotly_json()))
    assert values and all(math.isfinite(v) for v in values)


def point_keys(x, y):
    """One integer per (x, y) pair of float32s, to compare point sets exactly."""
    pairs = np.stack([np.asarray(x, np.float32), np.asarray(y, np.float32)], axis=1)
    return np.ascontiguousarray(pairs).view(np.uint64).ravel()


def relative_luminance(color):
    rgb = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a, b):
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# ---- sampling and frame choice ------------------------------------------------------------------


def test_a_million_points_are_sampled_to_5000_distinct_points_of_the_data_in_data_order(million):
    data, _ = million
    xs, ys, sampled = charts.sample_points(data)
    assert sampled and xs.size == ys.size == 5000
    keys, sample_keys = point_keys(data.x, data.y), point_keys(xs, ys)
    assert np.unique(keys).size == data.n  # so a pair names one point
    order = np.argsort(keys)
    positions = order[np.searchsorted(keys, sample_keys, sorter=order)]
    assert np.array_equal(keys[positions], sample_keys)  # every drawn point is a data point
    assert np.all(np.diff(positions) > 0)  # distinct, and in data order

    again = charts.sample_points(data)
    assert np.array_equal(again[0], xs) and np.array_equal(again[1], ys)
    assert not np.array_equal(charts.sample_points(data, seed=1)[0], xs)


def test_small_data_is_drawn_whole(blog_data):
    xs, ys, sampled = charts.sample_points(blog_data)
    assert not sampled
    assert np.array_equal(xs, blog_data.x) and np.array_equal(ys, blog_data.y)
    xs, ys, sampled = charts.sample_points(blog_data, max_points=blog_data.n)
    assert not sampled and xs.size == blog_data.n


@pytest.mark.parametrize("total", [1, 2, 10, 200, 201, 1001, 10001])
@pytest.mark.parametrize("max_frames", [2, 10, 200, 600])
def test_frame_steps_span_the_run_within_budget(total, max_frames):
    steps = charts.frame_steps(total, max_frames)
    assert steps[0] == 0 and steps[-1] == total - 1
    assert all(b > a for a, b in zip(steps, steps[1:], strict=False))
    assert all(isinstance(s, int) for s in steps)
    assert len(steps) == min(total, max_frames)  # the whole budget is used when the run is longer


def test_frame_steps_keep_the_fast_early_steps():
    steps = charts.frame_steps(10001, 200)
    assert set(range(12)) <= set(steps)
    early = sum(s < 1000 for s in steps)
    late = sum(s >= 9000 for s in steps)
    assert early > 4 * late > 0


def test_frame_steps_edge_cases():
    assert charts.frame_steps(0, 200) == []
    assert charts.frame_steps(1, 1) == [0]
    with pytest.raises(ValueError, match="max_frames"):
        charts.frame_steps(10, 1)


# ---- the live view ------------------------------------------------------------------------------


def test_live_fit_line_is_the_last_records_line_across_the_whole_view(blog_data, blog_analysis, blog_records):
    sample = charts.sample_points(blog_data)
    for k in (1, 37, len(blog_records)):
        fig = charts.live_figure(blog_data, blog_analysis, blog_records[:k], sample, total_steps=1000)
        last = blog_records[k - 1]
        fit = trace(fig, "current fit")
        assert list(fit.x) == pytest.approx(list(fig.layout.xaxis.range))
        for x, y in zip(fit.x, fit.y, strict=True):
            assert y == pytest.approx(last.w0 * x + last.w1, rel=1e-12)
        assert fig.layout.title.text == f"Step {last.step} · loss {last.loss:.4g}"


def test_live_reference_lines_are_the_least_squares_and_true_lines(blog_data, blog_analysis, blog_records):
    fig = charts.live_figure(blog_data, blog_analysis, blog_records, charts.sample_points(blog_data), total_steps=1000)
    for name, (w0, w1) in {
        "least squares": (blog_analysis.w0_star, blog_analysis.w1_star),
        "true line": (blog_data.true_w0, blog_data.true_w1),
    }.items():
        line = trace(fig, name)
        assert list(line.y) == pytest.approx([w0 * x + w1 for x in line.x])
    assert list(trace(fig, f"optimum loss {blog_analysis.loss_star:.4g}").y) == [blog_analysis.loss_star] * 2


def test_csv_data_has_no_true_line(blog_analysis):
    data = Dataset(np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 2.9, 5.2, 7.0]), source="upload.csv")
    info = analyse(data)
    fig = charts.live_figure(data, info, [], charts.sample_points(data), total_steps=10)
    assert "true line" not in {t.name for t in fig.data}
    assert_all_finite(fig)


def test_before_the_first_step_the_starting_line_is_drawn(blog_data, blog_analysis):
    fig = charts.live_figure(
        blog_data, blog_analysis, [], charts.sample_points(blog_data), total_steps=1000, init_w0=-2.0, init_w1=1.5
    )
    fit = trace(fig, "current fit")
    assert list(fit.y) == pytest.approx([-2.0 * x + 1.5 for x in fit.x])
    assert fig.layout.title.text == f"Start · loss {mse(blog_data.x, blog_data.y, -2.0, 1.5):.4g}"
    assert len(trace(fig, "loss").x) == 0
    assert_all_finite(fig)


def test_live_loss_curve_is_downsampled_but_true_to_the_records(blog_data, blog_analysis):
    records = list(TrainingRun(blog_data, Settings(steps=10_000)))
    sample = charts.sample_points(blog_data)
    fig = charts.live_figure(blog_data, blog_analysis, records, sample, total_steps=10_000)
    curve = trace(fig, "loss")
    assert len(curve.x) <= charts.MAX_CURVE_POINTS
    by_step = {r.step: r.loss for r in records}
    assert all(by_step[s] == loss for s, loss in zip(curve.x, curve.y, strict=True))
    assert curve.x[0] == 0 and curve.x[-1] == records[-1].step == 10_000 and curve.y[-1] == records[-1].loss
    assert list(fig.layout.xaxis2.range) == [0, 10_000]


def test_the_loss_axis_spans_the_whole_run_while_the_curve_grows(blog_data, blog_analysis, blog_records):
    fig = charts.live_figure(
        blog_data, blog_analysis, blog_records[:10], charts.sample_points(blog_data), total_steps=1000
    )
    assert list(fig.layout.xaxis2.range) == [0, 1000]
    assert list(trace(fig, "loss").x) == list(range(10))


def test_the_data_view_stays_put_from_frame_to_frame(blog_data, blog_analysis, blog_records):
    sample = charts.sample_points(blog_data)
    views = {
        (tuple(f.layout.xaxis.range), tuple(f.layout.yaxis.range))
        for f in (
            charts.live_figure(blog_data, blog_analysis, blog_records[:k], sample, total_steps=1000)
            for k in (0, 1, 50, 1001)
        )
    }
    assert len(views) == 1
    (x0, x1), (y0, y1) = views.pop()
    assert x0 < blog_data.x.min() and blog_data.x.max() < x1
    assert y0 < blog_data.y.min() and blog_data.y.max() < y1
    assert y0 < 0  # the default start, the line y = 0, is in view too


def test_log_y_toggles_the_loss_axis(blog_data, blog_analysis, blog_records):
    sample = charts.sample_points(blog_data)
    log = charts.live_figure(blog_data, blog_analysis, blog_records, sample, total_steps=1000)
    lin = charts.live_figure(blog_data, blog_analysis, blog_records, sample, total_steps=1000, log_y=False)
    assert log.layout.yaxis2.type == "log" and lin.layout.yaxis2.type == "linear"
    replay = charts.replay_figure(blog_data, blog_analysis, blog_records, sample, log_y=False)
    assert replay.layout.yaxis2.type == "linear"


def test_a_zero_loss_is_clipped_on_a_log_axis_only():
    data = linear_like(Settings(noise=0.0))
    info = analyse(data)
    records = [Step(0, 1.0, 1.0, 1.0, 0.0, 0.0), Step(1, 0.0, 3.0, 4.0, 0.0, 0.0)]
    sample = charts.sample_points(data)
    log = charts.live_figure(data, info, records, sample, total_steps=1)
    assert list(trace(log, "loss").y) == [1.0, charts.MIN_LOG_LOSS]
    assert min(trace(log, f"optimum loss {info.loss_star:.4g}").y) >= charts.MIN_LOG_LOSS
    lin = charts.live_figure(data, info, records, sample, total_steps=1, log_y=False)
    assert list(trace(lin, "loss").y) == [1.0, 0.0]
    replay = charts.replay_figure(data, info, records, sample)
    assert [f.data[1].y[0] for f in replay.frames] == [1.0, charts.MIN_LOG_LOSS]


def test_a_million_points_say_they_are_a_sample(million, blog_data, blog_analysis):
    data, info = million
    fig = charts.live_figure(data, info, [], charts.sample_points(data), total_steps=1000)
    assert fig.layout.title.subtitle.text == "showing 5,000 of 1,000,000 points (random sample)"
    assert len(trace(fig, "data").x) == 5000
    assert_all_finite(fig)
    small = charts.live_figure(blog_data, blog_analysis, [], charts.sample_points(blog_data), total_steps=1000)
    assert not small.layout.title.subtitle.text


def test_figures_are_deterministic(blog_data, blog_analysis, blog_records):
    def build():
        sample = charts.sample_points(blog_data)
        return [
            charts.live_figure(blog_data, blog_analysis, blog_records[:300], sample, total_steps=1000).to_json(),
            charts.replay_figure(blog_data, blog_analysis, blog_records, sample).to_json(),
            charts.weights_figure(blog_records, blog_analysis, true_w0=3.0, true_w1=4.0).to_json(),
        ]

    assert build() == build()


# ---- the replay ---------------------------------------------------------------------------------


def test_replay_frames_move_only_the_fit_line_and_the_loss_marker(blog_data, blog_analysis, blog_records):
    sample = charts.sample_points(blog_data)
    fig = charts.replay_figure(blog_data, blog_analysis, blog_records, sample, max_frames=200)
    fit, marker = index_of(fig, "current fit"), index_of(fig, "now")
    data_trace = trace(fig, "data")
    assert fig.data[0] is data_trace and data_trace.type == "scattergl"
    assert np.array_equal(data_trace.x, sample[0]) and np.array_equal(data_trace.y, sample[1])

    chosen = charts.frame_steps(len(blog_records), 200)
    assert [f.name for f in fig.frames] == [str(blog_records[i].step) for i in chosen]
    assert fig.frames[0].name == "0" and fig.frames[-1].name == "1000"
    for frame, i in zip(fig.frames, chosen, strict=True):
        record = blog_records[i]
        assert list(frame.traces) == [fit, marker]
        line, dot = frame.data
        assert list(line.x) == list(fig.data[fit].x)
        assert list(line.y) == pytest.approx([record.w0 * x + record.w1 for x in line.x], rel=1e-12)
        assert (dot.x[0], dot.y[0]) == (record.step, record.loss)
    # the figure opens on the last frame, like the live view it replaces
    last = blog_records[-1]
    assert list(fig.data[fit].y) == pytest.approx([last.w0 * x + last.w1 for x in fig.data[fit].x])
    assert fig.layout.sliders[0].active == len(fig.frames) - 1


def test_replay_respects_max_frames_and_keeps_the_full_curve(blog_data, blog_analysis, blog_records):
    fig = charts.replay_figure(blog_data, blog_analysis, blog_records, charts.sample_points(blog_data), max_frames=50)
    assert len(fig.frames) == 50 == len(fig.layout.sliders[0].steps)
    curve = trace(fig, "loss")
    assert {int(f.name) for f in fig.frames} <= set(curve.x)  # the marker always sits on the curve
    assert curve.x[-1] == 1000 and curve.y[-1] == blog_records[-1].loss


def test_replay_controls_animate_client_side(blog_data, blog_analysis, blog_records):
    fig = charts.replay_figure(blog_data, blog_analysis, blog_records, charts.sample_points(blog_data))
    (menu,) = fig.layout.updatemenus
    play, pause = menu.buttons
    assert (play.label, pause.label) == ("Play", "Pause")
    assert play.method == pause.method == "animate"
    options = play.args[1]
    assert options["frame"] == {"duration": charts.FRAME_MS, "redraw": False}
    assert options["fromcurrent"] is True and options["transition"]["duration"] == 0
    assert list(pause.args[0]) == [None] and pause.args[1]["frame"]["redraw"] is False

    (slider,) = fig.layout.sliders
    for step, frame in zip(slider.steps, fig.frames, strict=True):
        assert step.method == "animate" and list(step.args[0]) == [frame.name]
        assert step.label.split(" ")[0] == frame.name
        assert step.args[1]["frame"]["redraw"] is False


def test_replay_buttons_and_text_read_on_light_and_dark_pages(blog_data, blog_analysis, blog_records):
    fig = charts.replay_figure(blog_data, blog_analysis, blog_records, charts.sample_points(blog_data))
    (menu,) = fig.layout.updatemenus
    assert menu.font.color == charts.BUTTON_TEXT and menu.bgcolor == charts.BUTTON_BG
    # plotly.js paints a hovered or active button #F4FAFF, whatever bgcolor says
    for background in (charts.BUTTON_BG, "#F4FAFF"):
        assert contrast(charts.BUTTON_TEXT, background) >= 7
    for page in ("#FFFFFF", "#0E1117"):  # Streamlit's light and dark backgrounds
        assert contrast(charts.TEXT_COLOR, page) >= 3.5
        assert contrast(charts.BUTTON_BORDER, page) >= 2.5  # the button's edge shows on either
    for fig_ in (fig, charts.weights_figure(blog_records, blog_analysis)):
        assert fig_.layout.paper_bgcolor == fig_.layout.plot_bgcolor == charts.TRANSPARENT
        assert fig_.layout.height and fig_.layout.template is not None


def test_replay_without_records_is_the_starting_picture(blog_data, blog_analysis):
    fig = charts.replay_figure(blog_data, blog_analysis, [], charts.sample_points(blog_data), init_w0=1.0)
    assert not fig.frames and not fig.layout.updatemenus
    assert list(trace(fig, "current fit").y) == pytest.approx(list(trace(fig, "current fit").x))
    assert_all_finite(fig)


# ---- weights ------------------------------------------------------------------------------------


def test_weights_follow_the_records_to_the_optimum(blog_data, blog_analysis, blog_records):
    fig = charts.weights_figure(blog_records, blog_analysis, true_w0=3.0, true_w1=4.0)
    by_step = {r.step: r for r in blog_records}
    for name, attr in (("w0 (slope)", "w0"), ("w1 (intercept)", "w1")):
        line = trace(fig, name)
        assert len(line.x) <= charts.MAX_CURVE_POINTS and line.x[-1] == 1000
        assert all(getattr(by_step[s], attr) == v for s, v in zip(line.x, line.y, strict=True))
    assert set(trace(fig, f"least squares w0 = {blog_analysis.w0_star:.4g}").y) == {blog_analysis.w0_star}
    assert set(trace(fig, f"least squares w1 = {blog_analysis.w1_star:.4g}").y) == {blog_analysis.w1_star}
    assert set(trace(fig, "true w0 = 3").y) == {3.0} and set(trace(fig, "true w1 = 4").y) == {4.0}
    assert fig.layout.xaxis.title.text == "step" and fig.layout.yaxis.title.text == "weight"


def test_weights_without_true_values_show_only_the_optimum(blog_analysis, blog_records):
    fig = charts.weights_figure(blog_records, blog_analysis)
    assert not [t for t in fig.data if t.name.startswith("true")]
    assert_all_finite(charts.weights_figure([], blog_analysis))


# ---- robustness and the import rule -------------------------------------------------------------


def test_a_diverging_run_draws_only_finite_numbers(blog_data, blog_analysis):
    settings = Settings(lr=1.05 * blog_analysis.critical_lr, steps=2000)
    run = TrainingRun(blog_data, settings)
    records = list(run)
    assert run.divergence is not None and records
    sample = charts.sample_points(blog_data)
    for fig in (
        charts.live_figure(blog_data, blog_analysis, records, sample, total_steps=2000),
        charts.replay_figure(blog_data, blog_analysis, records, sample),
        charts.weights_figure(records, blog_analysis, true_w0=3.0, true_w1=4.0),
    ):
        assert_all_finite(fig)


def test_figures_carry_their_axis_titles(blog_data, blog_analysis, blog_records):
    fig = charts.live_figure(blog_data, blog_analysis, blog_records, charts.sample_points(blog_data), total_steps=1000)
    titles = [fig.layout[a].title.text for a in ("xaxis", "yaxis", "xaxis2", "yaxis2")]
    assert titles == ["x", "y", "step", "loss (MSE)"]
    assert_all_finite(fig)


def test_charts_load_without_tensorflow_or_streamlit():
    code = (
        "import sys, linreg_core.charts; "
        "bad = [m for m in ('tensorflow', 'streamlit') if m in sys.modules]; "
        "sys.exit(f'charts imported {bad}' if bad else 0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])
