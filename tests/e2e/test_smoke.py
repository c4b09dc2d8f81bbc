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
