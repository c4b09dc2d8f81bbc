"""The URL is the run: in Chromium, a shared address restores the run the command line prints, the address
follows the controls, and a hostile address gets notices and runs no markup."""

import re
import subprocess
import sys
import urllib.parse

import pytest
from harness import screenshot
from view import assert_background_is, assert_shows_step, engine, press, read, wait_done

from linreg_core.settings import Settings

pytestmark = pytest.mark.e2e
LINE = re.compile(r"^STEP: (\d+) - loss: (\S+), w0: (-?\d+\.\d{4}), w1: (-?\d+\.\d{4})$")


def cli_last_line(settings: Settings) -> re.Match:
    out = subprocess.run(
        [sys.executable, "-m", "linreg_core", *settings.cli_args()], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return LINE.match(out.stdout.splitlines()[-1])


def test_an_address_with_settings_shows_the_run_the_command_line_prints(page, streamlit_server):
    settings = Settings(lr=0.1, n=1000, noise_kind="gaussian", steps=700, w1=-2.5)
    page.goto(f"{streamlit_server}/?{urllib.parse.urlencode(settings.to_query())}")
    view = wait_done(page)
    line = cli_last_line(settings)
    assert view["head"][1] == f"step {int(line[1]):,}"
    assert (view["table"]["w0"][0], view["table"]["w1"][0]) == (line[3], line[4])
    _, _, values, _ = engine(settings)
    assert_shows_step(view, values, 700)
    assert_background_is(view, settings)
    command = page.locator("[data-testid='stCode']").filter(has_text="python -m linreg_core").first
    page.get_by_text("Share or reproduce this run").click()
    assert command.inner_text().strip() == "python -m linreg_core " + " ".join(settings.cli_args())
    assert page.get_by_test_id("stAlert").filter(has_text="could not be used").count() == 0


def test_the_address_follows_the_controls(page, streamlit_server):
    page.goto(streamlit_server)
    before = wait_done(page)["run"]
    press(page, "w1", "ArrowRight")  # 4.0 -> 4.1
    wait_done(page, other_than=before)
    page.wait_for_function("() => window.location.search.includes('w1=4.1')")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query))
    assert query == {"w1": "4.1"}
    page.goto(page.url)  # the copied address, opened anew: the same run
    view = wait_done(page)
    _, _, values, _ = engine(Settings(w1=4.1))
    assert_shows_step(view, values, 1000)


HOSTILE = {
    "<img src=x onerror=window.__pwned=1>": "1",
    "noise_kind": "<script>window.__pwned=2</script>",
    "lr": "nan",
    "n": "1e308",
    "steps": "-5",
    "w0": "*bold* [link](javascript:alert(1))",
    "seed": "9" * 10_000,
}


def test_a_hostile_address_gets_notices_as_text_runs_no_markup_and_trains_what_was_used(page, streamlit_server):
    page.goto(f"{streamlit_server}/?{urllib.parse.urlencode(HOSTILE)}")
    view = wait_done(page)
    notice = page.get_by_test_id("stAlert").filter(has_text="could not be used")
    text = notice.inner_text()
    for expected in (
        "<img src=x onerror=window.__p… is not a setting of this lab",  # a long name is cut short
        "noise_kind must be one of uniform, gaussian",
        "lr must be a finite number",
        "n is outside 1 to 1,000,000",
        "steps is outside 0 to 10,000",
        "w0 must be a number",
        "seed is too long to be a value (10,000 characters)",
    ):
        assert expected in text, (expected, text)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("img[src='x'], [data-testid='stAlert'] a, [data-testid='stAlert'] strong").count() == 0
    used = Settings(n=1_000_000, steps=0)  # clamped; every other value was ignored for its default
    _, _, values, _ = engine(used)
    assert_shows_step(view, values, 0)
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query)) == used.to_query()
    screenshot(page, "hostile-url")


def test_two_visitors_with_different_addresses_each_get_their_own_run(browser, streamlit_server):
    runs = {"lr=0.1": Settings(lr=0.1), "w0=-2&seed=3": Settings(w0=-2.0, seed=3)}
    contexts = [browser.new_context() for _ in runs]
    try:
        pages = [c.new_page() for c in contexts]
        for page, query in zip(pages, runs, strict=True):
            page.goto(f"{streamlit_server}/?{query}")
        for page, settings in zip(pages, runs.values(), strict=True):
            view = wait_done(page)
            _, _, values, _ = engine(settings)
            assert_shows_step(view, values, 1000)
            assert_background_is(view, settings)
        assert read(pages[0])["run"] != read(pages[1])["run"]
    finally:
        for c in contexts:
            c.close()
