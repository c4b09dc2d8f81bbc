"""The rate × momentum map (issue 16): for heavy-ball and Nesterov runs, a press on it previews the exact path of
that (rate, β) pair while the button is down, the release trains it with TensorFlow (the address and the controls
follow), a pair it paints red is a run that really diverges, and the keyboard reaches it too."""

import json

import numpy as np
import pytest
from harness import screenshot
from test_physics import predicted
from view import assert_shows_step, engine, wait_done

from linreg_core.settings import Settings

pytestmark = pytest.mark.e2e
MAP = ".gtl-map"


def query(settings: Settings) -> str:
    return "&".join(f"{k}={v}" for k, v in settings.to_query().items())


def at(page, u: float, v: float) -> tuple[float, float]:
    """The pointer's place at fraction u across (rate) and v up (β) of the map."""
    page.locator(MAP).scroll_into_view_if_needed()
    b = page.locator(f"{MAP} canvas").bounding_box()
    return b["x"] + u * b["width"], b["y"] + (1 - v) * b["height"]


def pick(page) -> tuple[float, float]:
    lr, beta = json.loads(page.locator(MAP).get_attribute("data-pick"))
    return lr, beta


def address(page) -> dict:
    return page.evaluate("() => Object.fromEntries(new URL(location.href).searchParams)")


def test_a_press_on_the_map_previews_that_pairs_path_and_the_release_trains_it(page, streamlit_server):
    settings = Settings(optimizer="momentum", steps=200)
    page.goto(f"{streamlit_server}/?{query(settings)}")
    before = wait_done(page)["run"]
    assert page.locator(MAP).is_visible()
    page.mouse.move(*at(page, 0.45, 0.5))
    page.mouse.down()
    page.mouse.move(*at(page, 0.55, 0.6), steps=6)
    shown = predicted(page)  # painted while the button is still down
    lr, beta = pick(page)
    assert shown["state"] == "path" and shown["dash"] == "dash" and f"momentum β {beta:.2f}" in shown["note"]
    target = Settings(optimizer="momentum", steps=200, lr=lr, momentum=beta)
    _, _, values, _ = engine(target)
    drawn = np.column_stack([shown["x"][1:], shown["y"][1:]])
    # the predicted path visits the TensorFlow run's weights (float32) at the chart's curve steps
    trained = values[:, 1:3].astype(np.float64)
    nearest = np.array([np.min(np.linalg.norm(trained - p, axis=1) / np.linalg.norm(p)) for p in drawn])
    assert nearest.max() <= 1e-4, nearest.max()
    screenshot(page, "rate-map-preview")
    page.mouse.up()
    view = wait_done(page, other_than=before)
    got = address(page)
    assert float(got["lr"]) == pytest.approx(lr) and float(got["momentum"]) == pytest.approx(beta)
    assert_shows_step(view, values, settings.steps)
    assert page.locator(".gtl-view").get_attribute("data-preview") is None  # the trained run has the last word
    assert page.get_by_test_id("stException").count() == 0


def test_a_pair_the_map_paints_red_diverges_in_tensorflow(page, streamlit_server):
    settings = Settings(optimizer="nesterov", steps=100)
    page.goto(f"{streamlit_server}/?{query(settings)}")
    before = wait_done(page)["run"]
    page.mouse.move(*at(page, 0.97, 0.5))
    page.mouse.down()
    lr, beta = pick(page)
    assert page.locator(MAP).get_attribute("data-regime") == "diverging"
    page.mouse.up()
    view = wait_done(page, other_than=before)
    target = Settings(optimizer="nesterov", steps=100, lr=lr, momentum=beta)
    _, _, _, divergence = engine(target)
    assert divergence is not None, (lr, beta)  # TensorFlow's own run diverges there
    assert view["kind"] == "error" and "iverg" in view["status"], view["status"]
    screenshot(page, "rate-map-diverging")


def test_the_keyboard_moves_the_pair_and_enter_trains_it(page, streamlit_server):
    settings = Settings(optimizer="momentum", steps=100)
    page.goto(f"{streamlit_server}/?{query(settings)}")
    before = wait_done(page)["run"]
    page.locator(MAP).focus()
    for key in ("ArrowDown", "ArrowDown", "ArrowDown", "ArrowLeft"):
        page.keyboard.press(key)
    lr, beta = pick(page)
    assert beta == pytest.approx(settings.momentum - 0.03) and lr < settings.lr
    page.keyboard.press("Enter")
    view = wait_done(page, other_than=before)
    got = address(page)
    assert float(got["momentum"]) == pytest.approx(beta) and float(got["lr"]) == pytest.approx(lr)
    _, _, values, _ = engine(Settings(optimizer="momentum", steps=100, lr=lr, momentum=beta))
    assert_shows_step(view, values, settings.steps)


@pytest.mark.parametrize("where", ["strip", "map"])
def test_a_tap_on_a_dark_phone_sets_the_rate_there(browser, streamlit_server, where):
    """Touch, on a phone, in dark mode: a tap on the rate strip (or the rate map of a momentum run) trains the
    rate (and β) under the finger; the strip and the map fit the screen."""
    settings = Settings(optimizer="momentum", steps=100)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  color_scheme="dark")  # fmt: skip
    page = context.new_page()
    try:
        page.goto(f"{streamlit_server}/?{query(settings)}")
        before = wait_done(page)["run"]
        target = page.locator(".gtl-strip" if where == "strip" else MAP)
        target.scroll_into_view_if_needed()
        box = target.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        note = target.locator(".gtl-strip-note")  # its words stay within it (wrapped, not run off the screen)
        assert note.evaluate("(e) => e.scrollWidth - e.clientWidth") <= 1
        if where == "strip":
            bar = page.locator(".gtl-strip-bar").bounding_box()
            page.touchscreen.tap(bar["x"] + 0.55 * bar["width"], bar["y"] + bar["height"] / 2)
            lr = float(page.locator(".gtl-strip").get_attribute("data-lr"))
            beta = settings.momentum
        else:
            page.touchscreen.tap(*at(page, 0.55, 0.5))
            lr, beta = pick(page)
        view = wait_done(page, other_than=before)
        got = address(page)
        assert float(got["lr"]) == pytest.approx(lr) and float(got.get("momentum", settings.momentum)) == pytest.approx(
            beta
        )
        _, _, values, _ = engine(Settings(optimizer="momentum", steps=100, lr=lr, momentum=beta))
        assert_shows_step(view, values, settings.steps)
        screenshot(page, f"rate-{where}-phone-dark")
    finally:
        context.close()
