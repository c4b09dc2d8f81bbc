"""The address is the page, both ways (issue 15): Back and Forward restore the controls, the run and the pins
the address names, and the share panel then shares the run on screen. Streamlit 1.66 and 1.67 both rerun the
page on Back and Forward with the address gone to, and the widgets as they were: the page follows it."""

import urllib.parse

import pytest
from harness import screenshot
from view import assert_shows_step, engine, press, read, wait_done

from linreg_core.settings import Settings

pytestmark = pytest.mark.e2e
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def address(page) -> dict:
    return urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)


def shown_lr(page) -> float:
    return float(page.locator(".st-key-lr").get_by_role("slider").first.get_attribute("aria-valuetext"))


def navigate(page, go) -> dict:
    """Back or Forward, then the page once it has followed the address: the view as painted."""
    before = page.url
    run = read(page)["run"]
    go()
    page.wait_for_function("(u) => window.location.href !== u", arg=before)
    return wait_done(page, other_than=run)


def assert_page_is_its_address(page, view: dict, pins: int) -> None:
    query = address(page)
    settings = Settings(steps=300, lr=float(query.get("lr", ["0.02"])[0]))
    assert query.get("steps") == ["300"] and len(query.get("pin", [])) == pins
    assert shown_lr(page) == settings.lr  # the control
    _, _, values, _ = engine(settings)
    assert_shows_step(view, values, 300)  # the run painted
    assert page.evaluate("() => document.querySelector('.gtl-view').dataset.pins") == str(pins)


def test_back_and_forward_restore_the_controls_run_and_pins_the_address_names(page, streamlit_server):
    page.goto(f"{streamlit_server}/?steps=300")
    view = wait_done(page)
    press(page, "lr", "ArrowRight")  # 0.025
    view = wait_done(page, other_than=view["run"])
    page.get_by_role("button", name="Pin this run").click()
    page.wait_for_function("() => new URLSearchParams(window.location.search).getAll('pin').length === 1")
    page.wait_for_selector(IDLE)
    press(page, "lr", "ArrowRight")  # 0.03
    view = wait_done(page, other_than=view["run"])
    assert address(page)["lr"] == ["0.03"]

    view = navigate(page, page.go_back)  # to the pinned run
    assert address(page)["lr"] == ["0.025"]
    assert_page_is_its_address(page, view, pins=1)
    page.get_by_text("Share or reproduce this run").click()
    link = page.locator("[data-testid='stCode']").filter(has_text="steps=300").first.inner_text().strip()
    assert urllib.parse.parse_qs(urllib.parse.urlparse(link).query) == address(page)  # the run on screen
    screenshot(page, "history-back")

    page.wait_for_selector(IDLE)
    view = read(page)
    page.go_back()  # before the pin: the same run, without it
    page.wait_for_function("() => new URLSearchParams(window.location.search).getAll('pin').length === 0")
    page.wait_for_function("() => document.querySelector('.gtl-view').dataset.pins === '0'")
    page.wait_for_selector(IDLE)
    assert_page_is_its_address(page, read(page), pins=0)

    view = navigate(page, page.go_back)  # the first address: the defaults' rate
    assert "lr" not in address(page)
    assert_page_is_its_address(page, view, pins=0)

    page.go_forward()
    page.wait_for_function("() => new URLSearchParams(window.location.search).get('lr') === '0.025'")
    view = wait_done(page, other_than=view["run"])
    page.go_forward()
    page.wait_for_function("() => new URLSearchParams(window.location.search).getAll('pin').length === 1")
    page.wait_for_function("() => document.querySelector('.gtl-view').dataset.pins === '1'")
    page.wait_for_selector(IDLE)
    assert_page_is_its_address(page, read(page), pins=1)
    view = navigate(page, page.go_forward)
    assert address(page)["lr"] == ["0.03"]
    assert_page_is_its_address(page, view, pins=1)
