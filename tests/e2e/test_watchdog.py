"""How the chart tells a working page from a stopped run without reading Streamlit's test attributes: the page's
heartbeats while it streams or waits, and the chart's own probe of the server when they stop (see
dashboard/chart/js/watch.js). Stopped and lost connections are in test_reconnect.py."""

import contextlib
import os
import signal
import time

import psutil
import pytest
from view import read, timeline, wait_live

from dashboard import training
from dashboard.chart import schema

pytestmark = pytest.mark.e2e
SLOW = "/?n=1000000&steps=1000"  # a run of a second or more


def start_slow_run(page, streamlit_server) -> str:
    """A page trained on SLOW, then a new run started and drawing: its id."""
    page.goto(f"{streamlit_server}{SLOW}")
    page.wait_for_selector(".gtl-view[data-state='done']", timeout=300_000)
    before = read(page)["run"]
    page.locator(".st-key-lr").get_by_role("slider").first.focus()
    page.keyboard.press("ArrowRight")
    return wait_live(page, other_than=before, timeout=300_000)["run"]


def worker_of(url: str) -> psutil.Process:
    """The training worker of the server at `url` (a child of this test process's server)."""
    port = url.rsplit(":", 1)[1]
    (server,) = [p for p in psutil.Process(os.getpid()).children(recursive=True) if port in p.cmdline()]
    (worker,) = [p for p in server.children() if "dashboard.worker" in " ".join(p.cmdline())]
    return worker


def test_streamlits_stop_says_the_run_was_stopped_and_asks_for_nothing(page, streamlit_server):
    run = start_slow_run(page, streamlit_server)
    page.get_by_role("button", name="Stop").click()
    page.wait_for_function("() => document.querySelector('.gtl-view').dataset.state === 'stopped'")
    view = read(page)
    assert view["run"] == run and view["kind"] == "warning"
    assert view["status"].startswith("Stopped at step ") and view["status"].endswith(
        "the run was stopped; press Run again to train it."
    ), view["status"]
    step = int(view["status"].split()[3].replace(",", ""))
    assert int(view["step"]) <= step < 1000
    # the server answered: nothing was lost, so the chart asks for no run (the visitor stopped this one)
    page.wait_for_timeout(3 * schema.RETRY_EVERY_S * 1000 + 2000)
    headers = [e for e in timeline(page) if e[1] == "header"]
    assert headers[-1][2] == run and read(page)["state"] == "stopped"


def test_a_page_waiting_on_a_frozen_worker_is_not_a_stopped_run(page, streamlit_server):
    """The training worker freezes (SIGSTOP) mid-run: the page still works for this visitor (it waits, and
    says so with heartbeats), so the chart keeps the run live, longer than it waits on a silent page, until
    the server fails the frozen worker (training.HUNG_S) and the run ends saying so, never as "stopped"."""
    run = start_slow_run(page, streamlit_server)
    worker = worker_of(streamlit_server)
    seen = []
    frozen = time.monotonic()
    worker.send_signal(signal.SIGSTOP)
    try:
        end = frozen + training.HUNG_S + 60  # the watchdog's own deadline, and room for a busy machine
        while time.monotonic() < end:
            state = page.evaluate("() => document.querySelector('.gtl-view').dataset.state")
            seen.append((time.monotonic() - frozen, state))
            if state == "done":
                break
            page.wait_for_timeout(200)
    finally:
        with contextlib.suppress(psutil.NoSuchProcess):  # the server may have replaced it already
            worker.send_signal(signal.SIGCONT)
    live = [t for t, state in seen if state == "live"]
    assert seen[-1][1] == "done" and {state for _, state in seen[:-1]} == {"live"}, seen
    assert live[-1] > schema.STALL_S  # live past the chart's own wait on a silent page
    view = read(page)
    assert view["run"] == run and view["kind"] == "error", view["status"]
    assert training.FAILURE_TEXTS[training.WORKER_HUNG] in view["status"]
