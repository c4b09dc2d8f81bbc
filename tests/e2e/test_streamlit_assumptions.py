"""What the page assumes of Streamlit beyond its documented API, checked against a real server, so that a
Streamlit release that changes it fails here, loudly, instead of slowing the page down unnoticed.

- A script run that reads st.session_state is stopped there when a newer run is asked for (SafeSessionState's
  yield callback). Streamlit documents "yield points" only in passing (`runner.fastReruns`), and offers no
  public call to reach one: the page's waits (dashboard/page.py `_checkpoint`) read session state to let a
  visitor's new input stop the run in progress instead of training on for nothing.
"""

import time
from pathlib import Path

import pytest
from harness import StreamlitServer

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
LOOP_S = 600  # the waiting run's own end: far past the deadline below

APP = f"""
import sys, time
sys.path.insert(0, {str(REPO)!r})
import streamlit as st
from dashboard.page import _checkpoint

value = st.slider("value", 0, 10, 0, key="value")
st.write(f"value {{value}}")
print(f"started {{value}}", file=sys.stderr, flush=True)
try:
    end = time.monotonic() + {LOOP_S}
    while time.monotonic() < end:
        _checkpoint()
        time.sleep(0.01)
finally:
    print(f"left {{value}}", file=sys.stderr, flush=True)
"""


def test_a_run_waiting_in_the_pages_checkpoint_loop_is_stopped_by_a_newer_input(browser, tmp_path):
    app = tmp_path / "checkpoint_app.py"
    app.write_text(APP)
    with StreamlitServer(app=app, cwd=tmp_path) as server:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(server.url)
            page.get_by_text("value 0").wait_for()
            page.get_by_role("slider").first.focus()
            page.keyboard.press("ArrowRight")
            page.get_by_text("value 1").wait_for()
            deadline = time.monotonic() + 60
            while "left 0" not in server.stderr_tail() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "left 0" in server.stderr_tail(), (
                "Streamlit no longer stops a run when it reads st.session_state: the page's waits "
                "(dashboard/page.py _checkpoint) need another way to let a new input stop the run in progress.\n"
                + server.stderr_tail()
            )
        finally:
            context.close()
