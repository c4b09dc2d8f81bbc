"""The dashboard in a real Chromium against a real `streamlit run` server, checked against the engine."""

import math

import pytest
from harness import screenshot, wait_for_idle, wait_for_trained

from linreg_core.analysis import analyse
from linreg_core.data import linear_like
from linreg_core.live import LR_OPTIONS
from linreg_core.settings import Settings
from linreg_core.trainer import TrainingRun

pytestmark = pytest.mark.e2e
RUN_MS = 120_000


def engine(settings: Settings):
    training = TrainingRun(linear_like(settings), settings)
    records = list(training)
    return (records[-1] if records else None), training.divergence


def shown(page) -> dict[str, str]:
    """The numbers table's current-step column, by row name (w0, w1, loss)."""
    rows = page.locator("[data-testid='stMarkdown'] table tbody tr")
    values = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td").all_inner_texts()
        values[cells[0].split()[0]] = cells[1].strip()
    return values


def press(page, key: str, name: str, times: int = 1) -> None:
    """Focus the slider keyed `key` and press a key on it, waiting for each rerun to finish."""
    thumb = page.locator(f".st-key-{key}").get_by_role("slider").first
    for _ in range(times):
        thumb.focus()
        page.keyboard.press(name)
        wait_for_idle(page, RUN_MS)


def plot_numbers_are_finite(page) -> bool:
    """Every x and y Plotly drew (its decoded `_fullData`, as base64 arrays arrive encoded in `data`)."""
    counts = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(el => el._fullData.map(t =>
               ['x', 'y'].map(k => Array.from(t[k] || [])).map(a => [a.length, a.every(v => Number.isFinite(+v))])))"""
    )
    assert counts and all(n > 0 for pair in counts for n, _ in pair)
    return all(ok for pair in counts for _, ok in pair)


def assert_shows(page, settings: Settings) -> None:
    final, _ = engine(settings)
    numbers = shown(page)
    assert (numbers["w0"], numbers["w1"]) == (f"{final.w0:.4f}", f"{final.w1:.4f}")


def test_default_run_animates_to_the_blogs_answer(app_page):
    page = app_page
    assert page.get_by_test_id("stException").count() == 0
    assert page.locator("h1").first.inner_text() == "GradientTape Lab"
    assert page.get_by_test_id("stSlider").count() >= 6
    assert_shows(page, Settings())
    numbers = shown(page)
    assert float(numbers["w0"]) == pytest.approx(3.0, abs=0.1) and float(numbers["w1"]) == pytest.approx(4.25, abs=0.1)
    assert page.get_by_test_id("stPlotlyChart").count() == 2
    assert plot_numbers_are_finite(page)
    screenshot(page, "default-run")


def live_paints(page) -> tuple[list[float], str]:
    """Paint times of the live chart's moving layer, and the step of the last frame it received."""
    return page.evaluate(
        "() => { const s = window.__gradientTapeLabPlots.get('live'); return [s.paints, s.root.dataset.step]; }"
    )


def test_a_new_visit_animates_its_first_run(app_page):
    """The first run of a visit waits for the browser to draw the start picture, so its frames are seen."""
    paints, last_step = live_paints(app_page)
    assert len(paints) >= 5  # the start picture, then frames of the run, not a jump to the end
    assert last_step == "1000"


def test_a_visit_whose_live_chart_cannot_draw_still_trains(page, streamlit_server):
    """If the live chart never gets Plotly, its report never comes: the 4 s fallback starts the run anyway."""
    page.add_init_script("Object.defineProperty(window, 'Plotly', {get() {}, set(v) {}})")  # hide it
    page.goto(streamlit_server)
    wait_for_trained(page, RUN_MS)
    paints, _ = live_paints(page)
    assert paints == []  # the chart really could not draw: the fallback, not the report, started training
    assert_shows(page, Settings())
    assert page.get_by_test_id("stException").count() == 0


def test_learning_rate_slider_by_keyboard_changes_the_fit(app_page):
    page = app_page
    before = shown(page)
    since = page.evaluate("() => performance.now()")
    press(page, "lr", "ArrowRight")
    paints, last_step = live_paints(page)
    assert len([t for t in paints if t > since]) >= 5  # it animated, not just jumped to the end
    assert last_step == "1000"
    next_lr = LR_OPTIONS[LR_OPTIONS.index(0.02) + 1]
    assert page.locator(".st-key-lr").inner_text().count(f"{next_lr:g}") >= 1
    assert_shows(page, Settings(lr=next_lr))
    assert shown(page) != before
    screenshot(page, "lr-arrow-right")


def test_keys_pressed_during_a_run_restart_it_and_the_last_setting_wins(app_page):
    """A drag fires a rerun per step of the slider: each interrupts the run before (and its training
    thread); the page must end on the engine's numbers for the last value, with nothing broken."""
    page = app_page
    thumb = page.locator(".st-key-lr").get_by_role("slider").first
    thumb.focus()
    states_at_press = []
    for i in range(3):
        if i:
            page.wait_for_timeout(300)  # into the run the last press started (its animation lasts ~1.5 s)
            states_at_press.append(page.get_by_test_id("stApp").get_attribute("data-test-script-state"))
        page.keyboard.press("ArrowRight")
    assert states_at_press == ["running", "running"]  # the 2nd and 3rd presses did interrupt a run
    wait_for_idle(page, RUN_MS)
    settings = Settings(lr=LR_OPTIONS[LR_OPTIONS.index(0.02) + 3])
    assert_shows(page, settings)
    _, last_step = live_paints(page)
    assert last_step == "1000"
    assert page.get_by_test_id("stException").count() == 0 and not page.console_errors
    screenshot(page, "interrupted-runs")


def test_a_diverging_rate_says_where_it_blew_up_and_draws_no_nan(app_page):
    page = app_page
    press(page, "lr", "End")  # the largest rate, far past 2/lambda_max
    _, divergence = engine(Settings(lr=LR_OPTIONS[-1]))
    info = analyse(linear_like(Settings()))
    alert = page.get_by_test_id("stAlert").filter(has_text="blew up")
    alert.wait_for()
    text = alert.inner_text()
    assert f"step {divergence.step}" in text and f"{info.critical_lr:.4g}" in text
    assert page.get_by_test_id("stException").count() == 0
    assert plot_numbers_are_finite(page)
    assert "nan" not in page.locator("[data-testid='stMarkdown'] table").inner_text().lower()
    screenshot(page, "diverged")


def test_every_control_reaches_the_engine(app_page):
    """Each control, moved by keyboard as a visitor would, gives the engine's numbers for the new settings."""
    page = app_page
    press(page, "w0", "ArrowLeft", times=2)  # 3.0 -> 2.8
    assert_shows(page, Settings(w0=2.8))
    press(page, "w1", "ArrowRight")  # 4.0 -> 4.1
    assert_shows(page, Settings(w0=2.8, w1=4.1))
    press(page, "noise", "ArrowRight")  # 0.5 -> 0.55
    assert_shows(page, Settings(w0=2.8, w1=4.1, noise=0.55))
    page.locator(".st-key-noise_kind").get_by_text("gaussian").click()
    wait_for_idle(page, RUN_MS)
    assert_shows(page, Settings(w0=2.8, w1=4.1, noise=0.55, noise_kind="gaussian"))
    seed = page.locator(".st-key-seed input")
    seed.fill("7")
    seed.press("Enter")
    wait_for_idle(page, RUN_MS)
    current = Settings(w0=2.8, w1=4.1, noise=0.55, noise_kind="gaussian", seed=7)
    assert_shows(page, current)
    press(page, "steps", "ArrowLeft")  # 1000 -> 990
    current = current.changed(steps=990)
    assert_shows(page, current)
    assert "step 990" in page.locator("[data-testid='stMarkdown'] table").inner_text()
    page.get_by_text("Starting weights").click()
    press(page, "init_w0", "ArrowRight")  # 0 -> 0.5
    press(page, "init_w1", "ArrowLeft")  # 0 -> -0.5
    current = current.changed(init_w0=0.5, init_w1=-0.5)
    assert_shows(page, current)
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, "every-control")


def test_a_million_points_train_in_full_and_draw_a_sample(app_page):
    page = app_page
    press(page, "n", "End")
    settings = Settings(n=1_000_000)
    assert_shows(page, settings)
    plot_text = page.get_by_test_id("stPlotlyChart").first.inner_text()
    assert "5,000 of 1,000,000 points" in plot_text
    drawn = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData[0].x.length")
    assert drawn == 5000
    assert math.isfinite(float(shown(page)["loss"]))
    screenshot(page, "million-points")
