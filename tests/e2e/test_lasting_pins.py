"""Pins that last (issue 15), in Chromium: two pins survive a reload and open the same in a fresh browser
from the share link, their curves as painted equal to the engine's run of each pin's settings."""

import urllib.parse

import numpy as np
import pytest
from harness import screenshot
from view import engine, press, read, steps_of, trace, wait_done

from linreg_core.settings import Settings

pytestmark = pytest.mark.e2e
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def painted_pins(page) -> dict:
    view = read(page)
    return {name: trace(view, "loss", name) for name in ("pinned loss #1", "pinned loss #2")}


def test_two_pins_survive_a_reload_and_a_share_link_in_a_fresh_browser(page, browser, streamlit_server):
    page.goto(f"{streamlit_server}/?steps=300")
    first = wait_done(page)
    page.get_by_role("button", name="Pin this run").click()
    page.wait_for_function("() => document.querySelector('.gtl-view').dataset.pins === '1'")
    page.wait_for_selector(IDLE)
    press(page, "lr", "ArrowRight", 3)
    wait_done(page, other_than=first["run"])
    page.get_by_role("button", name="Pin this run").click()
    page.wait_for_function("() => new URLSearchParams(window.location.search).getAll('pin').length === 2")
    page.wait_for_selector(IDLE)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    lr = float(query["lr"][0])
    assert query["pin"] == ["steps~300", f"steps~300~lr~{query['lr'][0]}"] and lr > 0.02
    before = painted_pins(page)
    for name, settings in (("pinned loss #1", Settings(steps=300)), ("pinned loss #2", Settings(steps=300, lr=lr))):
        _, _, values, _ = engine(settings)
        steps = np.array(steps_of(read(page), "loss", before[name]["x"]))  # (x is step + 1 on a log axis)
        assert steps[-1] == 300
        np.testing.assert_allclose(before[name]["y"], values[steps, 0], rtol=1e-6)

    page.get_by_text("Share or reproduce this run").click()
    link = page.locator("[data-testid='stCode']").filter(has_text="pin=").first.inner_text().strip()
    assert urllib.parse.parse_qs(urllib.parse.urlparse(link).query) == query

    page.reload()
    wait_done(page)
    assert painted_pins(page) == before
    rows = page.locator("[data-testid='stTable'] tbody tr")
    assert rows.count() == 2
    assert [t.strip() for t in rows.nth(1).locator("th, td").all_inner_texts()][:2] == ["#2", f"lr {query['lr'][0]}"]

    fresh = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        other = fresh.new_page()
        other.goto(link)
        wait_done(other)
        assert painted_pins(other) == before
        assert "#1 lr 0.02" in other.locator(".gtl-panel-loss .gtl-legend").inner_text()
        screenshot(other, "pins-from-a-share-link")
    finally:
        fresh.close()
