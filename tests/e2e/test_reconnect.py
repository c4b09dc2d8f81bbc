"""A tab outlives its connection and its server: Community Cloud restarts and sleeps apps, networks drop."""

import re

import pytest
from conftest import VIEWPORT
from harness import StreamlitServer, instrument, screenshot, wait_for_trained
from view import RUN_MS, assert_background_is, assert_shows_step, engine, read, timeline, wait_done

from linreg_core.settings import LR_STOPS, Settings

pytestmark = pytest.mark.e2e
SLOW = Settings(n=1_000_000, steps=1000)  # ~1.5 s of training: long enough to cut off in the middle
RUNNING = "() => document.querySelector('[data-testid=stApp]').getAttribute('data-test-script-state') === 'running'"
# Keep the page's websockets within reach, so a test can cut the connection (going offline alone leaves an
# open websocket open).
KEEP_SOCKETS_JS = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.__sockets.push(this); }
  };
})();
"""


class Scene:
    """A server of this test's own, a tab trained on SLOW there, and a new run started and still training."""

    def __init__(self, browser, *init_scripts: str) -> None:
        self.server = StreamlitServer()
        self.context = None
        try:
            url = self.server.start()
            self.context = browser.new_context(viewport=VIEWPORT)
            self.page = self.context.new_page()
            instrument(self.page)
            for script in init_scripts:
                self.page.add_init_script(script)
            self.page.goto(f"{url}/?n=1000000&steps=1000")
            self._trained()
            self.run = self._press_and_wait_for_training()
        except BaseException:
            self.close()  # a scene that failed to set up leaves no server (and worker) behind
            raise

    def restart(self) -> None:
        """Stop the server (with its training worker) and start a new one on the same port."""
        self.server.stop()
        self.server = StreamlitServer(port=self.server.port)
        self.server.start()

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
        self.server.stop()

    def _trained(self) -> None:
        """wait_for_trained, and on a timeout what the page and its server were doing (for a failure's report)."""
        try:
            wait_for_trained(self.page, RUN_MS)
        except Exception as e:
            screenshot(self.page, "FAILED-reconnect-first-run")
            state = timeline(self.page)
            raise AssertionError(
                f"first run did not finish; chart: {state}; server: {self.server.stderr_tail(3000)}"
            ) from e

    def _press_and_wait_for_training(self) -> str:
        """ArrowRight on the learning rate; once the new run shows trained steps and still trains, its id."""
        page = self.page
        before = read(page)["run"]
        page.locator(".st-key-lr").get_by_role("slider").first.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            f"""(other) => {{ const r = document.querySelector('.gtl-view');
                  return r.dataset.run !== other && r.dataset.step !== 'start' && ({RUNNING})(); }}""",
            arg=before, timeout=RUN_MS,
        )  # fmt: skip
        return read(page)["run"]


@pytest.fixture
def scene(browser, request):
    made = Scene(browser, *getattr(request, "param", ()))
    yield made
    made.close()


@pytest.mark.parametrize("scene", [(KEEP_SOCKETS_JS,)], indirect=True)
def test_a_run_whose_connection_drops_says_where_it_stopped(scene):
    page = scene.page
    page.evaluate("() => window.__sockets.forEach(s => s.close())")
    scene.context.set_offline(True)  # and no reconnection
    page.wait_for_function("() => document.querySelector('.gtl-view').dataset.state === 'stopped'")
    cut = read(page)
    assert cut["run"] == scene.run and cut["kind"] == "warning"
    match = re.match(r"Stopped at step ([\d,]+) of 1,000: the connection to the server was lost", cut["status"])
    assert match and int(match[1].replace(",", "")) < 1000, cut["status"]
    assert int(cut["step"]) <= int(match[1].replace(",", ""))  # the chart shows no step past the cut
    screenshot(page, "connection-lost")


def test_a_tab_whose_server_restarts_mid_run_reconnects_and_trains_again(scene):
    """The server goes away mid-run (with its training worker): the chart says the run did not finish;
    the tab reconnects to the restarted server, whose new session trains the settings the tab holds."""
    page = scene.page
    scene.server.stop()
    # whichever the chart hears of first: the worker's end (through the server's last message) or the
    # lost connection; either way it says the run did not finish, and it never claims success
    page.wait_for_function(
        """() => document.querySelector('.gtl-view').dataset.state === 'stopped'
                 || document.querySelector('.gtl-status').dataset.kind === 'error'"""
    )
    cut = read(page)
    assert cut["run"] == scene.run and cut["kind"] in ("warning", "error")
    assert cut["status"].startswith("Stopped at step ") or "training process stopped" in cut["status"]
    scene.restart()
    view = wait_done(page, other_than=scene.run, timeout=RUN_MS)
    shown_lr = float(page.locator(".st-key-lr").get_by_role("slider").first.get_attribute("aria-valuetext"))
    assert shown_lr in (0.02, LR_STOPS[LR_STOPS.index(0.02) + 1])  # the tab kept or reset the slider
    settings = SLOW.changed(lr=shown_lr)
    _, _, values, _ = engine(settings)
    assert_shows_step(view, values, 1000)
    assert_background_is(view, settings)
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, "reconnected")


def test_a_tab_whose_run_failed_with_the_server_retrains_once_the_server_is_back(scene):
    """The training worker dies first (the page's script ends, saying so), then the whole server restarts:
    a page whose script had ended would wait for the visitor's next input; the chart asks for a rerun."""
    import psutil

    page = scene.page
    children = psutil.Process(scene.server.proc.pid).children()
    (worker,) = [c for c in children if "dashboard.worker" in " ".join(c.cmdline())]
    worker.kill()
    # polled on a timer: a tab whose chart has nothing left to draw may not be given animation frames
    page.wait_for_function("() => document.querySelector('.gtl-status').dataset.kind === 'error'", polling=100)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    cut = read(page)
    assert cut["run"] == scene.run and "the training process stopped unexpectedly" in cut["status"]
    scene.restart()
    view = wait_done(page, other_than=scene.run, timeout=RUN_MS)
    assert view["kind"] == "success"
