"""A tab outlives its server: Streamlit Community Cloud restarts and sleeps apps, and the tab reconnects."""

import pytest
from conftest import VIEWPORT
from harness import StreamlitServer, instrument, screenshot, wait_for_trained
from view import RUN_MS, assert_background_is, assert_shows_step, engine, read, wait_done

from linreg_core.settings import LR_STOPS, Settings

pytestmark = pytest.mark.e2e
SLOW = Settings(n=1_000_000, steps=1000)  # ~1.5 s of training: the server can be stopped in the middle of it
RUNNING = "() => document.querySelector('[data-testid=stApp]').getAttribute('data-test-script-state') === 'running'"


def test_a_run_cut_off_by_its_server_says_where_it_stopped_and_the_reconnected_tab_trains_again(browser):
    """The run chart says where training stopped when its server goes away mid-run; the tab reconnects to
    the restarted server, whose new session (no run, a new training worker) trains the tab's settings."""
    server = StreamlitServer()
    url = server.start()
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        instrument(page)
        page.goto(f"{url}/?n=1000000&steps=1000")
        wait_for_trained(page, RUN_MS)
        before = read(page)["run"]
        thumb = page.locator(".st-key-lr").get_by_role("slider").first
        thumb.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            f"""(other) => {{ const r = document.querySelector('.gtl-view');
                  return r.dataset.run !== other && r.dataset.step !== 'start' && ({RUNNING})(); }}""",
            arg=before, timeout=RUN_MS,
        )  # fmt: skip
        server.stop()
        page.wait_for_function("() => document.querySelector('.gtl-view').dataset.state === 'stopped'")
        cut = read(page)
        assert cut["kind"] == "warning" and cut["status"].startswith("Stopped at step ")
        assert int(cut["status"].split()[3].rstrip(",").replace(",", "")) < 1000
        server = StreamlitServer(port=server.port)
        server.start()
        view = wait_done(page, other_than=cut["run"], timeout=RUN_MS)
        shown_lr = float(thumb.get_attribute("aria-valuetext"))
        assert shown_lr in (0.02, LR_STOPS[LR_STOPS.index(0.02) + 1])  # the tab kept or reset the slider
        settings = SLOW.changed(lr=shown_lr)
        _, _, values, _ = engine(settings)
        assert_shows_step(view, values, 1000)
        assert_background_is(view, settings)
        assert page.get_by_test_id("stException").count() == 0
        screenshot(page, "reconnected")
    finally:
        context.close()
        server.stop()
