"""The page, run headless by Streamlit's AppTest, checked against the engine run directly."""

import json
import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from linreg_core.analysis import analyse
from linreg_core.data import linear_like
from linreg_core.settings import Settings
from linreg_core.trainer import TrainingRun

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def visit() -> AppTest:
    """A visit whose browser has drawn the live chart's start picture (what the chart's report says)."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["browser_ready"] = True
    at.run()
    return at


def engine_final(settings: Settings):
    training = TrainingRun(linear_like(settings), settings)
    records = list(training)
    return records[-1], training.divergence


def shown_numbers(at: AppTest) -> dict[str, str]:
    """The current-step column of the numbers table, by row name."""
    table = next(m.value for m in at.markdown if m.value.startswith("| | step"))
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0].split("**")[1]] = cells[1]
    return rows


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def all_numbers(node):
    if isinstance(node, dict):
        for value in node.values():
            yield from all_numbers(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_numbers(value)
    elif isinstance(node, float):
        yield node


@pytest.fixture(scope="module")
def app() -> AppTest:
    return visit()


def test_a_new_visit_shows_the_start_and_trains_once_the_browser_can_draw():
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception and not at.error
    assert "result" not in at.session_state  # nothing trained while the browser may still be loading
    start = next(m.value for m in at.markdown if m.value.startswith("| | start |"))
    info = analyse(linear_like(Settings()))
    assert f"| {info.w0_star:.4f} |" in start and "| **w0** | 0.0000 |" in start
    (weights,) = chart_specs(at)  # the start weights chart, which makes the browser load Plotly
    assert all(math.isfinite(v) for v in all_numbers(weights))
    at.session_state["browser_ready"] = True  # what the live chart's report sets
    at.run()
    final, _ = engine_final(Settings())
    assert shown_numbers(at)["w0"] == f"{final.w0:.4f}"


def test_defaults_run_the_blogs_fit_without_exception(app):
    assert not app.exception
    final, _ = engine_final(Settings())
    numbers = shown_numbers(app)
    assert numbers["w0"] == f"{final.w0:.4f}" and numbers["w1"] == f"{final.w1:.4f}"
    assert float(numbers["w0"]) == pytest.approx(3.0, abs=0.1)
    assert float(numbers["w1"]) == pytest.approx(4.25, abs=0.1)
    assert any(m.value.startswith("| | step 1,000 |") for m in app.markdown)
    assert any("Trained 1,001 steps" in s.value for s in app.success)


def test_charts_hold_the_fit_line_the_loss_curve_and_a_replay(app):
    replay, weights = chart_specs(app)
    traces = {t.get("name"): t for t in replay["data"]}
    assert {"data", "current fit", "loss", "least squares", "true line"} <= set(traces)
    final, _ = engine_final(Settings())
    fit = traces["current fit"]
    for x, y in zip(fit["x"], fit["y"], strict=True):
        assert y == pytest.approx(final.w0 * x + final.w1, rel=1e-6)
    assert replay["layout"]["yaxis2"]["type"] == "log"
    assert 2 <= len(replay["frames"]) <= 200 and replay["frames"][-1]["name"] == "1000"
    assert {t["name"] for t in weights["data"]} >= {"w0 (slope)", "w1 (intercept)"}
    assert all(math.isfinite(v) for spec in (replay, weights) for v in all_numbers(spec))


def test_changing_the_learning_rate_changes_the_result_as_the_engine_says(app):
    app.select_slider(key="lr").set_value(0.1).run()
    assert not app.exception
    final, _ = engine_final(Settings(lr=0.1))
    numbers = shown_numbers(app)
    assert (numbers["w0"], numbers["w1"]) == (f"{final.w0:.4f}", f"{final.w1:.4f}")
    slow, _ = engine_final(Settings())
    best = analyse(linear_like(Settings())).w0_star
    assert abs(final.w0 - best) < abs(slow.w0 - best)  # a larger stable rate ends closer to the optimum


def test_changing_the_data_changes_the_result_as_the_engine_says(app):
    app.slider(key="w0").set_value(-2.0).run()
    app.select_slider(key="n").set_value(1000).run()
    assert not app.exception
    final, _ = engine_final(Settings(w0=-2.0, n=1000, lr=0.1))
    numbers = shown_numbers(app)
    assert (numbers["w0"], numbers["w1"]) == (f"{final.w0:.4f}", f"{final.w1:.4f}")


def test_log_toggle_redraws_without_retraining(app):
    before = app.session_state["result"]
    app.toggle(key="log_y").set_value(False).run()
    assert app.session_state["result"] is before
    replay = chart_specs(app)[0]
    assert replay["layout"]["yaxis2"].get("type", "linear") == "linear"


def test_run_again_retrains(app):
    before = app.session_state["result"]
    app.button[0].click().run()
    after = app.session_state["result"]
    assert after is not before and after.records == before.records


def test_too_high_learning_rate_shows_where_it_blew_up_and_no_nan():
    at = visit()
    at.select_slider(key="lr").set_value(0.5).run()
    assert not at.exception
    _, divergence = engine_final(Settings(lr=0.5))
    info = analyse(linear_like(Settings()))
    (error,) = at.error
    assert f"blew up at step {divergence.step}" in error.value
    assert f"below {info.critical_lr:.4g}" in error.value
    for spec in chart_specs(at):
        assert all(math.isfinite(v) for v in all_numbers(spec))
    assert shown_numbers(at)["loss"] != "nan"


@pytest.mark.parametrize("key, widget, value", [("n", "select_slider", 1), ("steps", "slider", 0)])
def test_edge_settings_run_without_exception(key, widget, value):
    at = visit()
    getattr(at, widget)(key=key).set_value(value).run()
    assert not at.exception
    final, _ = engine_final(Settings(**{key: value}))
    assert shown_numbers(at)["w0"] == f"{final.w0:.4f}"
    for spec in chart_specs(at):
        assert all(math.isfinite(v) for v in all_numbers(spec))


def test_page_and_command_line_agree_on_the_same_settings(app, capsys):
    from linreg_core.cli import main

    settings = Settings(n=200, w0=-1.0, noise=1.0, noise_kind="gaussian", seed=4, steps=500, lr=0.1)
    at = visit()
    at.select_slider(key="n").set_value(200)
    at.slider(key="w0").set_value(-1.0)
    at.slider(key="noise").set_value(1.0)
    at.radio(key="noise_kind").set_value("gaussian")
    at.number_input(key="seed").set_value(4)
    at.slider(key="steps").set_value(500)
    at.select_slider(key="lr").set_value(0.1).run()
    assert main(settings.cli_args()) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    numbers = shown_numbers(at)
    assert last.endswith(f"w0: {numbers['w0']}, w1: {numbers['w1']}"), (last, numbers)
