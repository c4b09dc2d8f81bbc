"""A class on one server, in Chromium: a shared link's stored run animated for the next visitor, an upload
whose bytes the server has dropped still serving later runs, and a link too long for Streamlit."""

import numpy as np
import pytest
from harness import PAINTS_JS, screenshot
from view import engine, read, wait_done

from linreg_core.settings import Settings

pytestmark = pytest.mark.e2e
CSV = "hours,score\n1,52\n2,55.5\n3,61\n4,63.2\n5,70.1\n6,71.9\n"


def test_the_next_visitor_of_a_shared_link_sees_the_stored_run_animated_as_it_trained(browser, streamlit_server):
    settings = Settings(seed=41, lr=0.05, steps=600)
    url = f"{streamlit_server}/?seed=41&lr=0.05&steps=600"
    # tall enough that the fit panel is on screen (panels out of sight skip a moving run's frames)
    first, second = browser.new_context(), browser.new_context(viewport={"width": 1400, "height": 1600})
    try:
        page = first.new_page()
        page.goto(url)
        trained = wait_done(page)
        other = second.new_page()
        other.add_init_script(PAINTS_JS)
        other.goto(url)
        shown = wait_done(other)
        _, _, values, _ = engine(settings)
        w0, w1 = values[-1, 1:3]
        for view in (trained, shown):
            assert view["table"]["w0"][0] == f"{w0:.4f}" and view["table"]["w1"][0] == f"{w1:.4f}"
        assert shown["status"] == trained["status"]
        frames = other.evaluate("() => window.__paints.frames")
        live = {step for _, run, step, state in frames if run == shown["run"] and state == "live"}
        assert len(live) >= 10, frames  # its live frames, log-spaced steps first, before the replay
        screenshot(other, "shared-run-second-visitor")
    finally:
        first.close()
        second.close()


def test_an_upload_serves_later_runs_after_the_server_dropped_its_bytes_and_goes_with_the_file(page, streamlit_server):
    page.goto(f"{streamlit_server}/?data=csv&lr=0.05&steps=3000")
    page.get_by_test_id("stFileUploader").wait_for()
    page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(
        files=[{"name": "scores.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    first = wait_done(page)
    page.locator(".st-key-lr").get_by_role("slider").first.focus()
    page.keyboard.press("ArrowLeft")  # a rerun: the widget no longer hands over the file, the table serves
    again = wait_done(page, other_than=first["run"])
    rows = np.array([[float(v) for v in line.split(",")] for line in CSV.strip().splitlines()[1:]])
    (slope, intercept), *_ = np.linalg.lstsq(np.column_stack([rows[:, 0], np.ones(len(rows))]), rows[:, 1], rcond=None)
    assert float(again["table"]["w0"][0]) == pytest.approx(slope, abs=2e-2)
    assert float(again["table"]["w1"][0]) == pytest.approx(intercept, abs=0.5)
    assert page.get_by_test_id("stFileChip").count() == 1  # the uploader still shows the file
    page.get_by_test_id("stFileChipDeleteBtn").click()
    page.get_by_text("Choose a CSV file in the sidebar").wait_for()
    assert page.locator(".st-key-csv-x").count() == 0 and page.get_by_test_id("stException").count() == 0
    assert read(page) is None or page.locator(".gtl-view").count() == 0


def test_a_link_streamlit_drops_whole_gets_a_notice_a_clean_address_and_the_defaults(page, streamlit_server):
    """Over 1,000 parameters: Streamlit reads none, so the page runs the defaults; it says so, and the
    address bar stops showing settings that were never used."""
    query = "lr=0.1&" + "&".join(f"p{i}={i}" for i in range(1000))  # 1,001 parameters
    page.goto(f"{streamlit_server}/?{query}")
    notice = page.get_by_test_id("stAlert").filter(has_text="This link has 1,001 parameters")
    notice.wait_for()
    assert "none of its settings could be used" in notice.inner_text()
    page.wait_for_function("() => !window.location.search.includes('p999')")
    wait_done(page)  # the run shown once the address is clean (cleaning it reruns the page)
    page.wait_for_selector(".gtl-numbers tbody tr[data-row=w0]")  # its numbers drawn (a busy machine lags)
    view = read(page)
    assert "p0=" not in page.url and "lr=0.1" not in page.url
    _, _, values, _ = engine(Settings())  # the defaults, as the notice says
    assert view["status"].startswith("Converged"), view
    assert view["table"]["w0"][0] == f"{values[-1, 1]:.4f}"
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, "address-too-long")
