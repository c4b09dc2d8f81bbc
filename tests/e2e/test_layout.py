"""The controls in the order people use them (issue 15): the run's controls above the chart, the data's in
the sidebar; the learning rate in sight on arrival at 1400×900; on a phone the rate and Run again come
before any data control, and the live run is on screen with no sidebar over it. Measured on element boxes."""

import pytest
from harness import screenshot
from view import wait_done, wait_live

from linreg_core.settings import DATA, DESCENT, knobs

pytestmark = pytest.mark.e2e
RUN_CONTROLS = ("lr", "steps", "optimizer", "batch_size", "run-again")
DATA_CONTROLS = tuple(name for name, *_, k in knobs() if k.group == DATA)

BOXES_JS = """(keys) => Object.fromEntries(keys.map(k => {
  const e = document.querySelector('.st-key-' + k + ', ' + k);
  if (!e) return [k, null];
  const b = e.getBoundingClientRect();
  return [k, { top: b.top, bottom: b.bottom, left: b.left, right: b.right, width: b.width,
               sidebar: !!e.closest('[data-testid=stSidebar]'), main: !!e.closest('[data-testid=stMain]') }];
}))"""


def boxes(page, *keys: str) -> dict:
    return page.evaluate(BOXES_JS, list(keys))


def test_the_run_controls_come_first_and_the_learning_rate_is_in_sight_on_a_desktop(page, streamlit_server):
    assert set(RUN_CONTROLS) - {"run-again"} <= {name for name, *_, k in knobs() if k.group == DESCENT}
    page.goto(streamlit_server)
    wait_done(page)
    b = boxes(page, *RUN_CONTROLS, *DATA_CONTROLS[:2], ".gtl-view")
    for key in RUN_CONTROLS:
        assert b[key]["main"] and not b[key]["sidebar"], (key, b[key])
        assert b[key]["bottom"] < b[".gtl-view"]["top"], (key, b[key], b[".gtl-view"])  # above the chart
    for key in DATA_CONTROLS[:2]:  # the data choice and the generator's n: the sidebar's
        assert b[key]["sidebar"], (key, b[key])
    assert page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop") == 0
    thumb = page.locator(".st-key-lr").get_by_role("slider").first.bounding_box()
    assert 0 <= thumb["y"] and thumb["y"] + thumb["height"] <= 900, thumb  # no scrolling needed
    assert b[".gtl-view"]["top"] < 900  # and the run's chart starts on the first screen too
    screenshot(page, "layout-desktop-1400x900", full_page=False)


def test_on_a_phone_the_rate_and_run_again_come_before_the_data_and_the_live_run_is_in_view(browser, streamlit_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(streamlit_server)
        before = wait_done(page)["run"]
        b = boxes(page, "lr", "run-again", *DATA_CONTROLS, "[data-testid=stSidebar]")
        assert b["[data-testid=stSidebar]"]["width"] < 1 or b["[data-testid=stSidebar]"]["right"] <= 0  # closed
        for key in DATA_CONTROLS:  # none in the main area, so none to scroll past
            assert b[key] is None or not b[key]["main"], (key, b[key])
        assert b["lr"]["main"] and b["run-again"]["main"]
        # scrolled as a visitor would, until the rate sits just under the page's header bar
        top = page.evaluate(
            """() => { const header = document.querySelector('[data-testid=stHeader]').getBoundingClientRect().bottom;
                         const main = document.querySelector('[data-testid=stMain]');
                         main.scrollTop += document.querySelector('.st-key-lr').getBoundingClientRect().top - header;
                         return header; }"""
        )
        page.wait_for_timeout(100)
        thumb = page.locator(".st-key-lr").get_by_role("slider").first
        again = page.get_by_role("button", name="Run again")
        for box in (thumb.bounding_box(), again.bounding_box()):
            assert top <= box["y"] and box["y"] + box["height"] <= 844, box
        again.tap()
        live = wait_live(page, other_than=before)
        assert live["state"] == "live"
        view = boxes(page, ".gtl-view", ".gtl-status", ".gtl-play", "[data-testid=stSidebar]")
        for key in (".gtl-status", ".gtl-play"):  # the run's verdict line and its controls, on screen while it runs
            assert 0 <= view[key]["top"] and view[key]["bottom"] <= 844, (key, view[key])
        side = view["[data-testid=stSidebar]"]
        assert side["width"] < 1 or side["right"] <= view[".gtl-view"]["left"], side  # nothing laid over it
        screenshot(page, "layout-phone-390x844-live", full_page=False)
    finally:
        context.close()
