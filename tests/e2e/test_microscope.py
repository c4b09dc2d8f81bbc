"""The step under the microscope: what the tape did in the update shown, held against the trainer's own records
and against the analytic gradient of the mean squared error at the weights going in (an independent oracle);
its "−1 step" / "+1 step" buttons move the step shown, and every chart follows."""

import json

import numpy as np
import pytest
from harness import screenshot, trained_page

from linreg_core.data import load
from linreg_core.prepare import prepare
from linreg_core.settings import Settings
from linreg_core.trainer import DW0, DW1, LOSS, W0, W1, TrainingRun

pytestmark = pytest.mark.e2e
TAPE = ".gtl-panel-tape"


def records(settings: Settings) -> tuple[np.ndarray, object]:
    """Every record of the run, and the points as its tape trained on them."""
    data = load(settings)
    run = TrainingRun(data, settings)
    values = np.concatenate([b.values for b in run.blocks()])
    return values, prepare(data, test_fraction=settings.test_fraction, standardize=settings.standardize,
                           seed=settings.shuffle_seed)  # fmt: skip


def shown(page) -> dict | None:
    raw = page.locator(TAPE).get_attribute("data-values")
    return json.loads(raw) if raw else None


def step_to_first(page) -> None:
    """The scrubber's Home: step 0 shown (the run rests there)."""
    page.locator(".gtl-scrub").focus()
    page.keyboard.press("Home")
    page.wait_for_function(f"() => document.querySelector('{TAPE}').dataset.step === '0'")


def click(page, which: str, expect: str) -> None:
    page.locator(f"{TAPE} .gtl-tape-{which}").click()
    page.wait_for_function(f"() => document.querySelector('{TAPE}').dataset.step === '{expect}'")
    assert page.locator(".gtl-view").get_attribute("data-step") == expect  # the charts show the same step


def analytic_gradient(x: np.ndarray, y: np.ndarray, v0: float, v1: float) -> np.ndarray:
    """d/dv of mean((v0·x + v1 − y)²), in float64."""
    r = v0 * x.astype(np.float64) + v1 - y.astype(np.float64)
    return np.array([2 * np.mean(r * x), 2 * np.mean(r)])


def test_the_blogs_update_under_the_microscope_is_the_trainers(browser, streamlit_server):
    settings = Settings()
    values, prepared = records(settings)
    context, page = trained_page(browser, f"{streamlit_server}/")
    try:
        step_to_first(page)
        assert page.locator(f"{TAPE} .gtl-tape-prev").is_enabled()
        for i in (0, 1, 2, 3):
            if i:
                click(page, "next", str(i))
            got = shown(page)
            w_in = values[i - 1, [W0, W1]] if i else np.array(settings_init(settings))
            assert got["step"] == i
            np.testing.assert_allclose([got["in0"], got["in1"]], w_in, rtol=1e-6)
            np.testing.assert_allclose([got["out0"], got["out1"]], values[i, [W0, W1]], rtol=1e-6)
            np.testing.assert_allclose([got["dw0"], got["dw1"]], values[i, [DW0, DW1]], rtol=1e-6)
            # the tape's gradient is the analytic one at the weights going in (float32 to 1e-4)
            np.testing.assert_allclose([got["dw0"], got["dw1"]], analytic_gradient(prepared.x, prepared.y, *w_in),
                                       rtol=1e-4)  # fmt: skip
            loss_in = values[i - 1, LOSS] if i else np.mean((w_in[0] * prepared.x + w_in[1] - prepared.y) ** 2)
            np.testing.assert_allclose(got["loss"], loss_in, rtol=1e-5)
            # each assign_sub took lr·dw: the weights' own change says so too
            np.testing.assert_allclose([got["sub0"], got["sub1"]], settings.lr * values[i, [DW0, DW1]], rtol=1e-6)
            np.testing.assert_allclose(w_in - values[i, [W0, W1]], settings.lr * values[i, [DW0, DW1]], rtol=1e-3)
        text = page.locator(TAPE).inner_text()
        assert "dw0, dw1 = tape.gradient(loss, [w0, w1])" in text and "w1.assign_sub(dw1 * learning_rate)" in text
        assert f"Update 3, from the weights of step 2: w0 {values[2, W0]:.7g}" in text
        lr_line = f"× {settings.lr} = "
        assert text.count(lr_line) == 2, text
        screenshot(page, "microscope-blog")
        click(page, "prev", "2")
        click(page, "prev", "1")
        click(page, "prev", "0")
        click(page, "prev", "start")
        assert shown(page) is None and "before any update" in page.locator(TAPE).inner_text()
        assert page.locator(f"{TAPE} .gtl-tape-prev").is_disabled()
        # at the run's last step there is no next one
        page.locator(".gtl-scrub").focus()
        page.keyboard.press("End")
        page.wait_for_function(f"() => document.querySelector('{TAPE}').dataset.step === '{settings.steps}'")
        assert page.locator(f"{TAPE} .gtl-tape-next").is_disabled()
    finally:
        context.close()


def settings_init(settings: Settings) -> tuple[float, float]:
    return settings.init_w0, settings.init_w1


def test_a_standardised_momentum_update_is_shown_in_the_tapes_own_weights(browser, streamlit_server):
    """Anscombe's first set trains on standardised x (its default): the tape's weights are v0 = w0·scale and
    v1 = w1 + w0·shift, its gradient is theirs, and heavy-ball's step is lr·v with v = β·v + dw."""
    settings = Settings(data="anscombe-1", optimizer="momentum", steps=50)
    assert settings.standardize
    values, prepared = records(settings)
    context, page = trained_page(browser, f"{streamlit_server}/?{_query(settings)}")
    try:
        step_to_first(page)
        tape = lambda w: np.array([w[0] * prepared.scale, w[1] + w[0] * prepared.shift])  # noqa: E731
        velocity = np.zeros(2)
        for i in range(4):
            if i:
                click(page, "next", str(i))
            got = shown(page)
            w_in = tape(values[i - 1, [W0, W1]] if i else settings_init(settings))
            np.testing.assert_allclose([got["in0"], got["in1"]], w_in, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose([got["dw0"], got["dw1"]], analytic_gradient(prepared.x, prepared.y, *w_in),
                                       rtol=1e-4, atol=1e-6)  # fmt: skip
            velocity = settings.momentum * velocity + values[i, [DW0, DW1]]
            np.testing.assert_allclose([got["sub0"], got["sub1"]], settings.lr * velocity, rtol=1e-3, atol=1e-6)
        text = page.locator(TAPE).inner_text()
        assert "v0 and v1" in text and "heavy-ball momentum" in text and "w0.assign_sub(direction[0]" in text
        screenshot(page, "microscope-momentum-standardised")
    finally:
        context.close()


def _query(settings: Settings) -> str:
    return "&".join(f"{k}={v}" for k, v in settings.to_query().items())


def test_on_a_dark_phone_the_buttons_answer_a_tap_and_the_panel_fits(browser, streamlit_server):
    settings = Settings(steps=100)
    values, _ = records(settings)
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                  color_scheme="dark")  # fmt: skip
    page = context.new_page()
    try:
        page.goto(f"{streamlit_server}/?steps=100")
        page.wait_for_selector(".gtl-view[data-state='done']", timeout=300_000)
        page.locator(TAPE).scroll_into_view_if_needed()
        page.locator(f"{TAPE} .gtl-tape-prev").tap()
        page.wait_for_function(f"() => document.querySelector('{TAPE}').dataset.step === '99'")
        got = shown(page)
        np.testing.assert_allclose([got["dw0"], got["dw1"]], values[99, [DW0, DW1]], rtol=1e-6)
        page.locator(f"{TAPE} .gtl-tape-next").tap()
        page.wait_for_function(f"() => document.querySelector('{TAPE}').dataset.step === '100'")
        box = page.locator(TAPE).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # no line runs off a phone's screen
        overflow = page.evaluate(f"() => {{ const e = document.querySelector('{TAPE} .gtl-tape-code'); "
                                 "return e.scrollWidth - e.clientWidth; }")  # fmt: skip
        assert overflow <= 1, overflow
        rgb = page.evaluate(f"() => getComputedStyle(document.querySelector('{TAPE} .gtl-tape-value')).color")
        assert sum(int(v) for v in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]) / 3 > 120, rgb
        screenshot(page, "microscope-phone-dark")
    finally:
        context.close()
