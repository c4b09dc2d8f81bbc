"""The page, run headless by Streamlit's AppTest, checked against the engine run directly.

AppTest runs the script but no browser, so the run chart is read as the page sends it: the header and the
feeds of the run chart component (see dashboard/view_model.py), decoded, against the trainer's own records.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import texts
from dashboard.chart import schema
from dashboard.view_model import decode
from linreg_core.analysis import analyse
from linreg_core.cli import main as cli_main
from linreg_core.data import linear_like
from linreg_core.settings import Settings
from linreg_core.words import limit_text, loss_text

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def visit(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def messages(at: AppTest) -> list[dict]:
    """What the page sent the run chart, in order, heartbeats left out; each message follows the schema."""
    sent = [json.loads(c.proto.bytes) for c in at.get("bidi_component") if c.proto.bytes]
    for message in sent:
        assert not schema.problems(message), (message["kind"], schema.problems(message))
    return [m for m in sent if m["kind"] != "alive"]


def shown_run(at: AppTest) -> dict:
    """The run chart's run, as the page sent it: background, header, records (rows × columns), how it ended."""
    sent = messages(at)
    assert [m["kind"] for m in sent[:4]] == ["view", "background", "pins", "header"]
    (background,) = [m for m in sent if m["kind"] == "background"]
    (head,) = [m for m in sent if m["kind"] == "header"]
    assert head["background"] == background["key"]
    feeds = [m for m in sent if m["kind"] == "feed"]
    assert all(m["run"] == head["run"] for m in feeds)  # nothing of another run
    if "records" in head:  # a rerun that did not retrain sends the finished run whole
        columns, values = head["columns"], decode(head["records"]["values"], len(head["columns"]))
        status = head["status"]
    else:
        blocks = [m for m in feeds if m.get("rows")]
        columns = blocks[0]["columns"] if blocks else head["columns"]
        assert [b["first"] for b in blocks] == list(np.cumsum([0] + [b["rows"] for b in blocks[:-1]]))
        values = np.concatenate([decode(b["values"], len(columns)) for b in blocks]) if blocks else np.empty((0, 3))
        (end,) = [m for m in sent if m["kind"] == "end"]
        assert end["run"] == head["run"]
        status = end["status"]
    return {"header": head, "background": background, "columns": columns, "values": values, "status": status}


def engine(settings: Settings):
    from linreg_core.trainer import TrainingRun

    data = linear_like(settings)
    run = TrainingRun(data, settings)
    return np.concatenate([b.values for b in run.blocks()]), run.divergence, analyse(data)


def assert_same_run(shown: dict, settings: Settings) -> None:
    """The page's records are the trainer's, bit for bit (both float32), for these settings."""
    values, _, _ = engine(settings)
    np.testing.assert_array_equal(shown["values"][:, :3], values[:, :3])
    assert shown["header"]["total"] == settings.steps + 1


@pytest.fixture
def app() -> AppTest:
    """A fresh visit for each test (tests change its controls: a shared one would make them depend on order)."""
    return visit()


def test_a_new_visit_trains_the_blogs_run_and_streams_every_step(app):
    shown = shown_run(app)
    assert_same_run(shown, Settings())
    assert shown["columns"][:3] == ["loss", "w0", "w1"]
    assert shown["status"]["kind"] == "success" and shown["status"]["text"].startswith("Converged")
    w0, w1 = shown["values"][-1, 1:3]
    assert w0 == pytest.approx(3.0, abs=0.1) and w1 == pytest.approx(4.25, abs=0.1)


def test_the_background_carries_the_data_and_analysis_of_its_own_settings(app):
    head = shown_run(app)["background"]
    data = linear_like(Settings())
    info = analyse(data)
    np.testing.assert_array_equal(decode(head["points"]["x"]), data.x)
    np.testing.assert_array_equal(decode(head["points"]["y"]), data.y)
    assert head["optimum"] == [info.w0_star, info.w1_star] and head["loss_star"] == info.loss_star
    assert head["true"] == [3.0, 4.0] and shown_run(app)["header"]["bound"] == pytest.approx(2 / info.lambda_max)
    assert all(math.isfinite(v) for v in head["x_range"] + head["y_span"] + shown_run(app)["header"]["y_range"])


def test_a_new_learning_rate_keeps_the_background_and_its_key():
    at = visit()
    before = shown_run(at)
    at.select_slider(key="lr").set_value(0.1).run()
    after = shown_run(at)
    assert after["background"] == before["background"]  # identical: Streamlit resends it as a reference
    assert after["header"]["run"] != before["header"]["run"]
    at.slider(key="w0").set_value(2.0).run()
    assert shown_run(at)["background"]["key"] != before["background"]["key"]


def test_a_start_within_the_view_keeps_the_background_and_one_outside_widens_it():
    """A start dropped on the landscape (or typed in) inside the drawn grid and data axes resends nothing but
    the header; one outside them gets a background whose grid holds it and whose data axis holds its line."""
    at = visit()
    before = shown_run(at)
    land = before["background"]["landscape"]
    at.slider(key="init_w0").set_value(1.0).run()
    at.slider(key="init_w1").set_value(2.0).run()
    inside = shown_run(at)
    assert land["w0"][0] < 1.0 < land["w0"][1] and land["w1"][0] < 2.0 < land["w1"][1]
    assert inside["background"] == before["background"]
    assert inside["header"]["init"] == [1.0, 2.0] and inside["header"]["start"] == [1.0, 2.0]
    data = linear_like(Settings())
    start_loss = np.mean((1.0 * data.x.astype(np.float64) + 2.0 - data.y) ** 2)
    assert inside["header"]["start_loss"] == pytest.approx(start_loss, rel=1e-6)
    at.slider(key="init_w0").set_value(10.0).run()
    at.slider(key="init_w1").set_value(-10.0).run()
    outside = shown_run(at)
    land = outside["background"]["landscape"]
    assert outside["background"]["key"] != before["background"]["key"]
    assert land["w0"][0] < 10.0 < land["w0"][1] and land["w1"][0] < -10.0 < land["w1"][1]
    y0, y1 = outside["header"]["y_range"]
    x0, x1 = outside["background"]["x_range"]
    clip_lo = outside["background"]["y_clip"][0]
    assert y0 <= max(10.0 * x0 - 10.0, clip_lo) <= y1  # the starting line's left end is in view (or the clip)


def test_changing_a_control_trains_a_new_run_with_its_own_identity(app):
    before = shown_run(app)["header"]["run"]
    app.select_slider(key="lr").set_value(0.1).run()
    shown = shown_run(app)
    assert shown["header"]["run"] != before
    assert_same_run(shown, Settings(lr=0.1))
    app.slider(key="w0").set_value(-2.0).run()
    assert_same_run(shown_run(app), Settings(lr=0.1, w0=-2.0))


def test_a_rerun_that_changes_nothing_sends_the_finished_run_whole_without_retraining(app):
    first = shown_run(app)
    app.run()
    again = shown_run(app)
    assert again["header"]["run"] == first["header"]["run"] and "records" in again["header"]
    np.testing.assert_array_equal(again["values"], first["values"])
    assert again["status"] == first["status"]


def test_run_again_retrains_the_same_settings_as_a_new_run(app):
    first = shown_run(app)
    app.button(key="run-again").click().run()
    again = shown_run(app)
    assert again["header"]["run"] != first["header"]["run"] and "records" not in again["header"]
    np.testing.assert_array_equal(again["values"], first["values"])


def test_a_diverging_rate_is_reported_as_diverging_not_as_success():
    at = visit({"lr": "0.5", "steps": "10"})
    shown = shown_run(at)
    values, divergence, info = engine(Settings(lr=0.5, steps=10))
    assert divergence is None  # no overflow within 10 steps: only the rule on the loss can say it
    assert shown["status"]["kind"] == "error" and shown["status"]["text"].startswith("Diverging")
    assert f"below {limit_text(2 / info.lambda_max)}" in shown["status"]["text"]
    assert shown["header"]["warning"]["kind"] == "error"  # said while it trains, too
    assert all(np.isfinite(shown["values"][:, :3]).ravel())


def test_a_run_that_overflows_stops_where_it_blew_up_and_sends_no_nan():
    at = visit({"lr": "10", "steps": "200"})
    shown = shown_run(at)
    _, divergence, _ = engine(Settings(lr=10.0, steps=200))
    assert divergence is not None and len(shown["values"]) == divergence.step
    last = divergence.step - 1  # the last record shown: the status names it and its loss, as the chart does
    assert f"to {loss_text(shown['values'][-1, 0])} at step {last:,}, where the run stopped" in shown["status"]["text"]
    assert shown["status"]["step"] == last
    assert np.isfinite(shown["values"][:, :3]).all()


@pytest.mark.parametrize("query", [{"n": "1"}, {"steps": "0"}, {"noise": "0"}])
def test_edge_settings_run_without_exception(query):
    at = visit(query)
    settings = Settings.from_mapping(query)
    shown = shown_run(at)
    assert_same_run(shown, settings)
    assert shown["status"]["kind"] in ("success", "info")


def test_a_run_over_the_work_budget_is_refused_with_what_to_lower():
    at = visit({"n": "1000000", "steps": "10000"})
    sent = messages(at)
    assert [m["kind"] for m in sent] == ["view", "background", "pins", "header"]  # no feed: nothing trained
    status = sent[3]["status"]
    assert status["kind"] == "error"
    assert status["text"] == texts.budget_problem(Settings(n=1_000_000, steps=10_000), 1_000_000)
    assert "Lower steps to 3,000 or n to 200,000" in status["text"]  # stops of the two sliders


def test_the_url_is_the_run_and_follows_the_controls():
    at = visit({"lr": "0.1", "n": "1000", "noise_kind": "gaussian"})
    settings = Settings(lr=0.1, n=1000, noise_kind="gaussian")
    assert_same_run(shown_run(at), settings)
    assert at.select_slider(key="lr").value == 0.1 and at.radio(key="noise_kind").value == "gaussian"
    assert not at.warning
    at.slider(key="w1").set_value(2.5).run()
    assert dict(at.query_params) == {"n": "1000", "w1": "2.5", "noise_kind": "gaussian", "lr": "0.1"}


def test_url_page_and_command_line_give_the_same_numbers(capsys):
    settings = Settings(n=200, w0=-1.0, noise=1.0, noise_kind="gaussian", seed=4, steps=500, lr=0.1)
    at = visit(settings.to_query())
    shown = shown_run(at)
    assert cli_main(settings.cli_args()) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    w0, w1 = shown["values"][-1, 1:3]
    assert last == f"STEP: 500 - loss: {float(shown['values'][-1, 0])}, w0: {w0:.4f}, w1: {w1:.4f}"
    command = next(c.value for c in at.code if c.value.startswith("python -m linreg_core"))
    assert command == "python -m linreg_core " + " ".join(settings.cli_args())


@pytest.mark.parametrize(
    "query, notice",
    [
        ({"n": "1e308"}, "n is outside 1 to 1,000,000"),
        ({"lr": "nan"}, "lr must be a finite number"),
        ({"lr": "inf"}, "lr must be a finite number"),
        ({"w0": "-inf"}, "w0 must be a finite number"),
        ({"steps": "-3"}, "steps is outside 0 to 10,000"),
        ({"lr": "0"}, "lr is outside 0.0001 to 10"),
        ({"seed": "abc"}, "seed must be a number"),
        ({"lr": "1" * 10_000}, "lr is too long to be a value"),
        ({"lr": ["0.1", "0.2"]}, "lr was given 2 times"),
        ({"colour": "red"}, "colour is not a setting of this lab"),
        ({"noise_kind": "<script>window.pwned=1</script>"}, "noise_kind must be one of uniform, gaussian"),
        ({"<img src=x onerror=alert(1)>": "1"}, "img src=x onerror=alert(1)"),
    ],
)
def test_hostile_url_values_get_a_notice_and_never_an_exception(query, notice):
    at = visit(query)
    (warning,) = at.warning
    unescaped = warning.value.replace("\\", "")
    assert notice in unescaped, warning.value
    assert "<" not in warning.value.replace("\\<", "")  # every angle bracket escaped: no HTML from a link
    shown_run(at)  # and the run with the values used is drawn


def test_two_visitors_with_different_links_each_get_their_own_run():
    a = visit({"lr": "0.1"})
    b = visit({"lr": "0.05", "w0": "-1"})
    assert_same_run(shown_run(a), Settings(lr=0.1))
    assert_same_run(shown_run(b), Settings(lr=0.05, w0=-1.0))
    assert shown_run(a)["header"]["run"] != shown_run(b)["header"]["run"]


# ---- data sources, uploads, downloads ------------------------------------------------------------------


def engine_on(data, settings: Settings):
    from linreg_core.trainer import TrainingRun

    return np.concatenate([b.values for b in TrainingRun(data, settings).blocks()])


@pytest.mark.parametrize("key", ["anscombe-2", "iris", "hubble"])
def test_a_bundled_data_set_trains_on_its_own_points_and_hides_the_generators_controls(key):
    from linreg_core.data import bundled

    at = visit({"data": key, "lr": "0.001", "steps": "300"})
    shown = shown_run(at)
    data = bundled(key)
    np.testing.assert_array_equal(
        shown["values"][:, :3], engine_on(data, Settings(data=key, lr=0.001, steps=300))[:, :3]
    )
    assert shown["background"]["labels"] == [data.x_label, data.y_label] and shown["background"]["true"] is None
    np.testing.assert_array_equal(decode(shown["background"]["points"]["x"]), data.x)
    keys = {w.key for w in at.slider} | {w.key for w in at.select_slider} | {w.key for w in at.radio}
    assert not keys & {"n", "w0", "w1", "noise", "noise_kind"}
    assert any(data.x_label in c.value.replace("\\", "") for c in at.caption)  # named with what x means


def test_tips_says_why_scaling_matters():
    at = visit({"data": "tips", "lr": "0.001", "steps": "100", "standardize": "false"})  # tips' raw x
    (note,) = [i for i in at.info if "x sits far from 0" in i.value]
    from linreg_core.data import bundled

    info = analyse(bundled("tips"))
    assert f"{info.condition_number:,.0f}" in note.value and f"{limit_text(2 / info.lambda_max)}" in note.value


CSV = b"hours,score,name\n1,52,a\n2,55.5,b\n3,61,c\n4,63.2,d\n5,70.1,e\n6,71.9,f\n"


def test_an_uploaded_csv_trains_to_its_least_squares_line_and_stays_in_its_session():
    at = visit({"data": "csv", "lr": "0.05", "steps": "5000"})
    assert any("Choose a CSV file" in i.value for i in at.info) and not messages(at)
    at.file_uploader(key="csv-upload").upload("scores.csv", CSV, "text/csv").run()
    assert not at.exception
    assert at.selectbox(key="csv-x").value == "hours" and at.selectbox(key="csv-y").value == "score"
    shown = shown_run(at)
    x, y = np.array([1, 2, 3, 4, 5, 6.0]), np.array([52, 55.5, 61, 63.2, 70.1, 71.9])
    (slope, intercept), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
    assert shown["values"][-1, 1] == pytest.approx(slope, abs=2e-3)
    assert shown["values"][-1, 2] == pytest.approx(intercept, abs=1e-2)
    assert dict(at.query_params)["data"] == "csv" and "hours" not in str(dict(at.query_params))
    other = visit({"data": "csv"})  # another visitor with the same link: no file, no run
    assert any("Choose a CSV file" in i.value for i in other.info) and not messages(other)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a PNG image, not a CSV file"),
        (b"x,y\n", "has a header row (x, y) but no rows of numbers"),
        (b"x,y\n1,2\n", "only 1 usable row"),
        (b"x,y\n2,1\n2,3\n2,5\n", "so the slope is undefined"),
        (b"name,city\nann,rome\nbob,oslo\n", "needs 2 columns of numbers"),
    ],
)
def test_a_bad_upload_gets_its_message_and_nothing_breaks(content, message):
    at = visit({"data": "csv"})
    at.file_uploader(key="csv-upload").upload("bad.csv", content).run()
    assert not at.exception
    (error,) = at.error
    assert message in error.value.replace("\\", ""), error.value
    assert not messages(at)  # no chart of another data set in its place


def test_a_file_name_with_markup_is_shown_as_text():
    at = visit({"data": "csv"})
    at.file_uploader(key="csv-upload").upload("<b>x</b>*y*.csv", b"").run()
    (error,) = at.error
    assert "\\<b\\>x\\</b\\>\\*y\\*" in error.value  # every markup character escaped


def test_downloads_hold_the_run_the_page_showed():
    import csv as csvlib
    import io
    import subprocess
    import sys

    settings = Settings(steps=300, lr=0.05)
    at = visit(settings.to_query())
    shown = shown_run(at)
    buttons = {b.proto.label: b for b in at.get("download_button")}
    assert set(buttons) == {"Trajectory (CSV)", "Data (CSV)", "Charts (HTML)", "Script (Python)"}
    page = at.session_state["shown-run"]
    from dashboard import downloads
    from linreg_core import export

    rows = list(
        csvlib.DictReader(io.StringIO(export.trajectory_csv(downloads.trajectory_table(page.values, page.columns))))
    )
    assert [int(r["step"]) for r in rows] == list(range(301))
    np.testing.assert_array_equal(np.float32([r["w0"] for r in rows]), shown["values"][:, 1])
    script = export.reproduce_script(settings, linear_like(settings))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    w0, w1 = shown["values"][-1, 1:3]
    assert out.stdout.splitlines()[-1].endswith(f"w0: {w0:.4f}, w1: {w1:.4f}"), out.stdout[-300:]


def test_the_script_download_is_offered_for_every_run_the_page_can_show():
    """Mini-batches, a hold-out, standardised x, any optimizer: the script reruns them all (tests/test_export.py
    runs it), so its button is never disabled."""
    for query in ({"batch_size": "10", "steps": "50"}, {"optimizer": "adam", "test_fraction": "0.2", "steps": "50"},
                  {"data": "tips", "steps": "50"}):  # fmt: skip
        at = visit(query)
        (script,) = [b for b in at.get("download_button") if b.proto.label == "Script (Python)"]
        assert not script.proto.disabled and "reruns this run" in script.proto.help, query


# ---- insight: optimizers, theory, pinned runs -----------------------------------------------------------


def test_another_optimizer_trains_as_the_engine_does_and_theory_says_what_it_can():
    from linreg_core.theory import theory

    settings = Settings(optimizer="momentum", momentum=0.8, lr=0.05, steps=300)
    at = visit(settings.to_query())
    shown = shown_run(at)
    np.testing.assert_array_equal(shown["values"][:, :3], engine(settings)[0][:, :3])
    t = theory(linear_like(settings), settings)
    assert shown["header"]["bound"] == pytest.approx(t.bound.lr)  # 2(1+β)/λmax, not GD's 2/λmax
    curve = shown["header"]["steps"]["curve"]  # theory is sent where the chart draws its curves
    np.testing.assert_array_equal(decode(shown["header"]["predicted"]), np.float32(t.predicted_gap()[curve]))
    adam = shown_run(visit({"optimizer": "adam", "steps": "50"}))
    assert adam["header"]["bound"] is None and adam["header"]["predicted"] is None
    assert "adaptive" in adam["header"]["captions"]["gap"].lower()


def test_the_landscape_sent_is_the_exact_loss_surface_of_the_training_points():
    from linreg_core.analysis import mse

    settings = Settings(test_fraction=0.25, n=400)
    at = visit(settings.to_query())
    land = shown_run(at)["background"]["landscape"]
    grid0, grid1 = np.linspace(*land["w0"], land["size"]), np.linspace(*land["w1"], land["size"])
    log_gap = decode(land["log_gap"]).reshape(land["size"], land["size"])
    from linreg_core.theory import theory

    t = theory(linear_like(settings), settings)
    train = t.prepared.train
    for r, c in [(0, 0), (30, 7), (60, 60), (12, 49)]:  # row = w1, column = w0
        direct = mse(train.x, train.y, grid0[c], grid1[r]) - t.train.loss_star  # a pass over the points
        assert 10 ** float(log_gap[r, c]) == pytest.approx(direct, rel=1e-5)
    start = (settings.init_w0, settings.init_w1)
    assert land["w0"][0] <= start[0] <= land["w0"][1] and land["w1"][0] <= start[1] <= land["w1"][1]


def test_every_chart_has_its_caption_and_the_noise_one_explains_the_intercept():
    head = shown_run(visit())["header"]
    assert set(head["captions"]) == {"fit", "landscape", "loss", "gap", "weights"}
    assert "w1 + noise/2" in head["captions"]["fit"]
    # at 0.02 no step overshoots the steep direction (lr·λmax ≈ 0.1); at 0.3 each does (≈ 1.45)
    assert "without zig-zagging" in head["captions"]["landscape"]
    assert "the path zig-zags across the valley" in shown_run(visit({"lr": "0.3"}))["header"]["captions"]["landscape"]


def pins_sent(at: AppTest) -> list[dict]:
    (message,) = [m for m in messages(at) if m["kind"] == "pins"]
    return message["pins"]


def test_pinned_runs_survive_reruns_and_are_labelled_by_what_differs():
    at = visit({"steps": "200"})
    first = shown_run(at)
    at.button(key="pin").click().run()
    assert len(pins_sent(at)) == 1
    at.select_slider(key="lr").set_value(0.1).run()
    pins = pins_sent(at)
    assert [p["label"] for p in pins] == ["#1 lr 0.02"]
    np.testing.assert_array_equal(decode(pins[0]["loss"]), first["values"][decode(pins[0]["steps"]).astype(int), 0])
    at.button(key="pin").click().run()
    at.selectbox(key="optimizer").set_value("adam").run()
    assert [p["label"] for p in pins_sent(at)] == ["#1 lr 0.02, optimizer gd", "#2 lr 0.1, optimizer gd"]
    at.run()  # and once more, with nothing changed
    assert len(pins_sent(at)) == 2 and pins_sent(at)[0]["background"] == shown_run(at)["background"]["key"]
    at.button(key="unpin").click().run()
    assert pins_sent(at) == []


class FakeClock:
    """Stands in for the page's `time`: sleeping moves the clock at once, and each sleep is kept."""

    def __init__(self, now: float) -> None:
        self.now, self.sleeps = now, []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_pages_waits_reach_a_yield_point_every_check(monkeypatch):
    """Streamlit starts a visitor's new input (a rerun) only when the script reaches a yield point, so a
    plain sleep would hold the input back for all of it (the burst settle, the pause between carriers). The
    page's waits sleep at most CHECK_S between yield points, and an input that arrives mid-wait ends it."""
    from dashboard import page

    clock, checks = FakeClock(100.0), []
    monkeypatch.setattr(page, "time", clock)
    monkeypatch.setattr(page, "_checkpoint", lambda: checks.append(clock.now))
    page._nap(0.25)
    assert sum(clock.sleeps) == pytest.approx(0.25) and max(clock.sleeps) <= page.CHECK_S
    assert np.diff([100.0, *checks]).max() <= page.CHECK_S + 1e-12 and checks[-1] == pytest.approx(100.25)

    class NewInput(Exception):
        pass

    def checkpoint():
        checks.append(clock.now)
        if len(checks) == 3:
            raise NewInput  # what Streamlit raises at a yield point when a rerun is pending

    checks.clear()
    monkeypatch.setattr(page, "_checkpoint", checkpoint)
    with pytest.raises(NewInput):
        page._nap(10.0)
    assert clock.now - 100.25 == pytest.approx(2 * page.CHECK_S)  # looked at once, then after each sleep

    checks.clear()  # a wait already over still looks once (the carrier loop's pause is often 0)
    monkeypatch.setattr(page, "_checkpoint", lambda: checks.append(clock.now))
    page._nap(-0.5)
    assert checks == [clock.now]


@pytest.mark.parametrize("gap", [0.03, 0.09, 0.15, 2.0])
def test_only_a_rerun_close_behind_the_last_one_waits_for_the_next_input(monkeypatch, gap):
    """The burst rule: a rerun that started within SETTLE_S of the one before it trains only once SETTLE_S
    has passed since its own start (looking for the next input all along); any other trains at once."""
    from types import SimpleNamespace

    from dashboard import page

    clock, checks = FakeClock(500.0), []
    started = clock.now - 0.02  # the sidebar took 20 ms
    state = {page.PREVIOUS_RERUN_AT: started - gap, page.RERUN_AT: started}
    monkeypatch.setattr(page, "time", clock)
    monkeypatch.setattr(page, "st", SimpleNamespace(session_state=state))
    monkeypatch.setattr(page, "_checkpoint", lambda: checks.append(clock.now))
    page._settle()
    if gap < page.SETTLE_S:
        assert clock.now == pytest.approx(started + page.SETTLE_S) and len(checks) >= 8
    else:
        assert clock.now == 500.0 and not checks
