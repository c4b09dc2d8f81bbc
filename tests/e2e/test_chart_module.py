"""The chart's files as the browser gets them, and the chart module driven directly with the messages the page
sends: served with their real types from the page's published folder, one module instance for the whole tab,
and a run drawn right whatever order its messages arrive in."""

import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from view import assert_background_is, assert_shows_step, chart_module, engine, read, timeline, trace, wait_done

from dashboard.chart import assets
from linreg_core.settings import Settings

pytestmark = pytest.mark.e2e
APP = str(Path(__file__).resolve().parents[2] / "app.py")


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()


def test_the_published_files_are_served_with_their_real_types(page, streamlit_server):
    page.goto(streamlit_server)
    wait_done(page)
    folder = f"{streamlit_server}/{assets.bundle().url}"
    for name, kind in (("main.js", "javascript"), ("schema.js", "javascript"), ("plotly.min.js", "javascript"),
                       (assets.PROBE, "text/plain")):  # fmt: skip
        status, content_type, body = fetch(folder + name)
        assert status == 200 and kind in content_type, (name, content_type)
        assert body == assets.bundle().files[name]


def test_the_page_and_its_loaders_share_one_chart_module(app_page):
    """Every carrier's loader and the view's are modules of their own that import the chart by one address:
    the module a test imports by that address is the one that heard the page's messages."""
    run = read(app_page)["run"]
    heard = timeline(app_page)
    assert [e for e in heard if e[1] == "header" and e[2] == run]
    assert [e for e in heard if e[1] == "end" and e[2] == run] and [e for e in heard if e[1] == "feed" and e[2] == run]


def test_a_deleted_chart_folder_is_published_again_before_the_browser_asks_for_it(browser, streamlit_server):
    """A fresh clone, a new version, a cleaned folder: the page writes the chart's files before it sends the
    first loader, even on a visit that draws no chart yet (a browser that failed to import the chart's module
    would keep that failure for the life of the tab)."""
    folder = assets.STATIC_DIR / assets.bundle().folder
    shutil.rmtree(folder)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{streamlit_server}/?data=csv&steps=20")  # no file yet: no chart, but the page's loaders
        page.get_by_test_id("stFileUploader").wait_for()
        page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(
            files=[{"name": "points.csv", "mimeType": "text/csv", "buffer": b"x,y\n1,2\n2,4.1\n3,5.9\n4,8.2\n"}]
        )
        view = wait_done(page)
        assert folder.is_dir() and view["step"] == "20"
    finally:
        context.close()


def sent_messages(settings: Settings) -> list[dict]:
    """What the page sends the chart for a visit with these settings (Streamlit's AppTest, no browser)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in settings.to_query().items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return [json.loads(c.proto.bytes) for c in at.get("bidi_component") if c.proto.bytes]


# A same-origin blank page holding one chart of its own, fed by the test (no Streamlit on the page).
MOUNT_JS = """
async ({ words, css }) => {
  const m = await %s;
  document.head.append(Object.assign(document.createElement('style'), { textContent: css }));
  const host = document.createElement('div');
  document.body.replaceChildren(host);
  window.retries = [];
  const bytes = (message) => new TextEncoder().encode(JSON.stringify(message));
  const retry = (k, v) => window.retries.push([k, v]);
  m.mount({ parentElement: host, data: bytes({ kind: 'view', words }), setTriggerValue: retry });
  window.send = (messages) => messages.forEach((message) => m.deliver(bytes(message)));
}
"""


@pytest.mark.parametrize("order", ["header first", "blocks first, reversed", "as sent"])
def test_a_run_is_drawn_right_whatever_order_its_messages_arrive_in(page, streamlit_server, order):
    """Carriers run in whatever order the browser gets to them: a header before its background, blocks before
    their header or out of order, another run's block in between. The chart draws its run's own records."""
    settings = Settings(steps=300, lr=0.05)
    sent = [m for m in sent_messages(settings) if m["kind"] != "alive"]
    view_message, *rest = sent
    header = next(m for m in rest if m["kind"] == "header")
    blocks = [m for m in rest if m["kind"] == "feed"]
    others = [m for m in rest if m["kind"] in ("background", "pins")]
    (end,) = [m for m in rest if m["kind"] == "end"]
    stray = {**blocks[0], "run": "another-run"}  # a late block of an earlier run: never drawn
    if order == "header first":
        messages = [header, stray, *others, *blocks, end]
    elif order == "blocks first, reversed":
        messages = [*reversed(blocks), stray, end, header, *others]
    else:
        messages = [*others, header, *blocks, stray, end]
    page.goto(f"{streamlit_server}/{assets.bundle().url}{assets.PROBE}")
    css = (assets.HERE / "chart.css").read_text()
    page.evaluate(MOUNT_JS % chart_module("location.origin + '/'"), {"words": view_message["words"], "css": css})
    page.evaluate("(messages) => window.send(messages)", messages)
    page.wait_for_function("() => document.querySelector('.gtl-view').dataset.state === 'done'", timeout=60_000)
    view = read(page)
    _, _, values, _ = engine(settings)
    assert view["run"] == header["run"] and view["kind"] == end["status"]["kind"]
    assert_shows_step(view, values, settings.steps)
    assert_background_is(view, settings)
    path = trace(view, "landscape", "path")
    assert len(path["x"]) > 1 and path["x"][-1] == pytest.approx(float(values[-1, 1]), rel=1e-6)
    assert page.evaluate("() => window.retries") == []  # a finished run is never asked for again
