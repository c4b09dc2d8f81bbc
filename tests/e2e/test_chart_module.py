"""The chart's files as the browser gets them, and the chart module driven directly with the messages the page
sends: served with their real types from the page's published folder, one module instance for the whole tab,
and a run drawn right whatever order its messages arrive in."""

import gzip
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


def test_the_published_files_are_served_with_their_real_types(page, streamlit_server):
    """Modules as JavaScript; Plotly as the gzip file the page wrote, sent as it is (not compressed again per
    visitor), which the chart decompresses and runs."""
    page.goto(streamlit_server)
    wait_done(page)
    folder = f"{streamlit_server}/{assets.bundle().url}"
    published = assets.bundle().published()
    for name, kind in (("main.js", "javascript"), ("schema.js", "javascript"), (assets.PLOTLY_GZ, "application/gzip"),
                       (assets.PROBE, "text/plain")):  # fmt: skip
        request = urllib.request.Request(folder + name, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as r:
            content_type, encoding, body = (
                r.headers.get("Content-Type", ""),
                r.headers.get("Content-Encoding"),
                r.read(),
            )
        assert kind in content_type, (name, content_type)
        if name == assets.PLOTLY_GZ:
            assert encoding is None and body == published[name]  # the page's own compression, sent once
        else:
            assert (gzip.decompress(body) if encoding == "gzip" else body) == published[name], name
    assert page.evaluate("() => typeof Plotly.react") == "function"


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


def test_the_landscape_draws_in_the_coordinates_its_message_names(page, streamlit_server):
    """With standardised x the bowl comes in the trained coordinates: the background names the map from x's
    own units, (w0, w1) -> (w0·scale, w1 + w0·shift), and its axis titles. The path, the point shown, the
    start, the optimum and pinned paths are all drawn through it; the records themselves stay in x's units."""
    import numpy as np

    from dashboard.view_model import encode

    settings = Settings(steps=100, lr=0.1)
    sent = [m for m in sent_messages(settings) if m["kind"] != "alive"]
    view_message, *rest = sent
    background = next(m for m in rest if m["kind"] == "background")
    shift, scale = 1.5, 0.5
    titles = ["a: slope per spread of x", "b <i>intercept</i> at the mean"]
    background["landscape"].update(shift=shift, scale=scale, titles=titles)
    _, _, values, _ = engine(settings)
    steps = np.array([0, 3, 50, 100])
    columns = {"loss": encode(values[steps, 0]), "w0": encode(values[steps, 1]), "w1": encode(values[steps, 2])}
    pin = {"label": "#1 lr 0.1", "background": background["key"], "steps": encode(steps), **columns}
    messages = [background if m["kind"] == "background" else m for m in rest if m["kind"] != "pins"]
    messages.insert(0, {"kind": "pins", "pins": [pin]})
    page.goto(f"{streamlit_server}/{assets.bundle().url}{assets.PROBE}")
    css = (assets.HERE / "chart.css").read_text()
    page.evaluate(MOUNT_JS % chart_module("location.origin + '/'"), {"words": view_message["words"], "css": css})
    page.evaluate("(messages) => window.send(messages)", messages)
    page.wait_for_function("() => document.querySelector('.gtl-view').dataset.state === 'done'", timeout=60_000)
    view = read(page)

    def drawn(w0, w1):
        w0, w1 = np.asarray(w0, np.float64), np.asarray(w1, np.float64)
        return w0 * scale, w1 + w0 * shift

    init, optimum = next(m for m in rest if m["kind"] == "header")["init"], background["optimum"]
    path = trace(view, "landscape", "path")
    x, y = drawn([init[0], *values[:, 1]], [init[1], *values[:, 2]])
    curve = [0, *(np.array(next(m for m in rest if m["kind"] == "header")["steps"]["curve"]) + 1)]
    np.testing.assert_allclose(path["x"], x[curve], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(path["y"], y[curve], rtol=1e-6, atol=1e-9)
    shown = trace(view, "landscape", "shown step")
    np.testing.assert_allclose([shown["x"][0], shown["y"][0]], drawn(values[-1, 1], values[-1, 2]), rtol=1e-6)
    for name, (w0, w1) in (("start", init), ("optimum", optimum)):
        marker = trace(view, "landscape", name)
        np.testing.assert_allclose([marker["x"][0], marker["y"][0]], drawn(w0, w1), rtol=1e-9)
    pinned = trace(view, "landscape", "pinned path #1")
    x, y = drawn([init[0], *values[steps, 1]], [init[1], *values[steps, 2]])
    np.testing.assert_allclose(pinned["x"], x, rtol=1e-6)
    np.testing.assert_allclose(pinned["y"], y, rtol=1e-6)
    axis_titles = page.evaluate(
        "() => Array.from(document.querySelectorAll('.gtl-panel-landscape .g-xtitle, .gtl-panel-landscape .g-ytitle'),"
        " (t) => t.textContent)"
    )
    assert axis_titles == titles
    assert_shows_step(view, values, 100)  # the other panels, the title and the table stay in x's own units


def test_the_status_shows_before_plotly_arrives_and_says_so_when_it_cannot(browser, streamlit_server):
    """Plotly is the largest file: the chart says what it knows while it loads, and a Plotly that does not
    load gets one plain sentence, not an empty chart."""
    context = browser.new_context()
    try:
        page = context.new_page()
        held = []
        page.route(f"**/{assets.PLOTLY_GZ}", lambda route: held.append(route))  # held until the test lets it go
        page.goto(streamlit_server)
        page.wait_for_function("() => { const s = document.querySelector('.gtl-status'); return s && s.textContent; }")
        assert held and page.evaluate("() => !document.querySelector('.gtl-plot')._fullLayout")
        status = page.locator(".gtl-status").inner_text()
        assert status.startswith(("Training", "Starting TensorFlow", "Trained", "Converged")), status
        held[0].continue_()
        wait_done(page)
    finally:
        context.close()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.route(f"**/{assets.PLOTLY_GZ}", lambda route: route.abort())
        page.goto(streamlit_server)
        page.wait_for_function("() => (document.querySelector('.gtl-status') || {dataset: {}}).dataset.kind == 'error'")
        status = page.locator(".gtl-status").inner_text()
        assert status.startswith("The chart could not load Plotly (") and status.endswith("Reload the page."), status
    finally:
        context.close()
