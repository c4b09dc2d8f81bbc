"""The app opens in a real browser, shows its title and no exception."""

import pytest
from harness import screenshot, wait_for_trained

pytestmark = pytest.mark.e2e


def test_app_opens_with_title_and_no_exception(page, streamlit_server):
    page.goto(streamlit_server)
    wait_for_trained(page, 120_000)

    heading = page.locator("h1").first  # st.title renders an <h1>
    heading.wait_for(state="visible")
    assert heading.inner_text().strip(), "the app's title is empty"
    assert page.title().strip(), "the browser tab has no title"

    screenshot(page, "smoke-first-run")
    exceptions = page.get_by_test_id("stException")
    assert exceptions.count() == 0, f"the app shows an exception: {exceptions.first.inner_text()[:2000]}"


# Holds each run header back 400 ms, so the data set's background and the pins reach the chart first.
LATE_HEADER_JS = """
(() => {
  const inbox = [];
  const push = inbox.push.bind(inbox);
  inbox.push = (message) => {
    if (message && message.kind === 'header') {
      setTimeout(() => { push(message); if (window.__gtlDeliver) window.__gtlDeliver(); }, 400);
      return inbox.length;
    }
    return push(message);
  };
  window.__gtlInbox = inbox;
})();
"""


def test_the_chart_draws_when_its_run_header_arrives_after_the_other_messages(page, streamlit_server):
    """The carriers' scripts run in whatever order the page gets to them. Pins arriving before any run once
    made the chart load Plotly before it knew the bundle's name: 'could not load Plotly', for good."""
    page.add_init_script(LATE_HEADER_JS)
    page.goto(streamlit_server)
    wait_for_trained(page)
    view = page.evaluate("() => ({...document.querySelector('.gtl-view').dataset})")
    assert view["state"] == "done" and view["step"] == "1000"
    assert "could not load" not in page.locator(".gtl-status").inner_text()
    assert page.evaluate("() => !!document.querySelector('.gtl-plot[data-plot=fit]')._fullLayout")
