"""A tab outlives its server: Streamlit Community Cloud restarts and sleeps apps, and the tab reconnects."""

import pytest
from conftest import VIEWPORT
from harness import StreamlitServer, instrument, screenshot, wait_for_trained

from linreg_core.data import linear_like
from linreg_core.live import LR_OPTIONS
from linreg_core.settings import Settings
from linreg_core.trainer import TrainingRun

pytestmark = pytest.mark.e2e
RUN_MS = 120_000
PAINTS = "() => window.__gradientTapeLabPlots.get('live').paints.length"
FRESH = "[data-testid='stElementContainer']:not([data-stale='true'])"  # drawn by the current session's run


def test_a_tab_that_reconnects_to_a_restarted_server_trains_again(browser):
    """The new session starts from scratch (no result, no 'browser ready' flag) while the tab keeps its
    widgets, including the live chart's earlier report: the new session must still train."""
    server = StreamlitServer()
    url = server.start()
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        instrument(page)
        page.goto(url)
        wait_for_trained(page, RUN_MS)
        thumb = page.locator(".st-key-lr").get_by_role("slider").first
        thumb.focus()
        painted = page.evaluate(PAINTS)
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => ({PAINTS})() > {painted}")  # the new run's first live frame
        server.stop()  # mid-run: its animation lasts ~1.5 s
        assert page.evaluate("() => window.__gradientTapeLabPlots.get('live').root.dataset.step") != "1000"
        server = StreamlitServer(port=server.port)
        server.start()
        # the tab reconnects by itself; its new session draws the start picture, then trains
        page.locator(f"{FRESH}.st-key-replay").wait_for(timeout=RUN_MS)
        page.locator(f"{FRESH} [data-testid='stAlert']").filter(has_text="Trained").wait_for(timeout=RUN_MS)
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=RUN_MS)
        shown_lr = float(thumb.get_attribute("aria-valuetext"))
        assert shown_lr in (0.02, LR_OPTIONS[LR_OPTIONS.index(0.02) + 1])  # the tab kept or reset the slider
        settings = Settings(lr=shown_lr)
        training = TrainingRun(linear_like(settings), settings)
        final = list(training)[-1]
        table = page.locator("[data-testid='stMarkdown'] table").inner_text()
        assert f"{final.w0:.4f}" in table and f"{final.w1:.4f}" in table
        assert page.get_by_test_id("stException").count() == 0
        screenshot(page, "reconnected")
    finally:
        context.close()
        server.stop()
