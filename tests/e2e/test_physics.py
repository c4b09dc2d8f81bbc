"""The physics in the browser (issue 16): the exact full-batch path the chart computes from the moments the page
sends, held against the trainer's own records (real TensorFlow, float32)."""

import json

import numpy as np
import pytest
from harness import screenshot
from view import assert_shows_step, chart_file, engine, trace, wait_done

from linreg_core.analysis import analyse
from linreg_core.settings import Settings

pytestmark = pytest.mark.e2e

# The browser's own path for the run shown, from the header and background the page sent (the chart's store),
# in x's own units like the records.
BROWSER_PATH_JS = """
async () => {
  const physics = await PHYSICS;
  const { state } = await STORE;
  const h = state.header;
  const bg = state.backgrounds.get(h.background);
  const L = bg.landscape;
  if (!h.exact) return { exact: null };
  const p = physics.path(L.moments, h.exact, h.start, h.lr, h.total);
  const w = Array.from(p.w0, (v0, k) => physics.toData(L, v0, p.w1[k]));
  return { exact: h.exact, w0: w.map((x) => x[0]), w1: w.map((x) => x[1]), loss: Array.from(p.loss) };
}
""".replace("PHYSICS", chart_file("physics.js")).replace("STORE", chart_file("store.js"))


@pytest.mark.parametrize(
    "settings",
    [
        Settings(),  # the blog's run
        Settings(optimizer="momentum", momentum=0.8, lr=0.05, steps=300),
        Settings(optimizer="nesterov", lr=0.05, steps=300),
        Settings(standardize=True, lr=0.3, steps=200),  # the bowl in standardised weights, records in x's units
    ],
    ids=["blog", "momentum", "nesterov", "standardised"],
)
def test_the_browsers_exact_path_is_the_tensorflow_run(page, streamlit_server, settings):
    query = "&".join(f"{k}={v}" for k, v in settings.to_query().items())
    page.goto(f"{streamlit_server}/?{query}")
    wait_done(page)
    mine = page.evaluate(BROWSER_PATH_JS)
    _, _, values, _ = engine(settings)
    assert mine["exact"]["rule"] == settings.optimizer
    assert len(mine["w0"]) == len(values) == settings.steps + 1
    # every step, to 1e-4 of the weights' size (relative, on the vector of both weights)
    drawn = np.column_stack([mine["w0"], mine["w1"]])
    trained = values[:, 1:3].astype(np.float64)
    error = np.linalg.norm(drawn - trained, axis=1) / np.linalg.norm(trained, axis=1)
    assert error.max() <= 1e-4, (error.argmax(), error.max())
    np.testing.assert_allclose(drawn, trained, rtol=1e-4, atol=1e-6)  # and each weight on its own
    np.testing.assert_allclose(mine["loss"], values[:, 0], rtol=1e-3)


@pytest.mark.parametrize("settings", [Settings(batch_size=10, steps=50), Settings(optimizer="adam", steps=50)])
def test_no_exact_path_is_claimed_for_mini_batches_or_adaptive_optimizers(page, streamlit_server, settings):
    query = "&".join(f"{k}={v}" for k, v in settings.to_query().items())
    page.goto(f"{streamlit_server}/?{query}")
    wait_done(page)
    assert page.evaluate(BROWSER_PATH_JS) == {"exact": None}


# The landscape's plot area and axes, to aim the pointer at weights (the chart's own margins: js/layers.js).
AXES_JS = """
() => {
  const gd = document.querySelector('.gtl-plot[data-plot=landscape]');
  const b = gd.parentElement.getBoundingClientRect();
  return { box: [b.x, b.y, b.width, b.height], x: gd._fullLayout.xaxis.range, y: gd._fullLayout.yaxis.range };
}
"""


def pixel(page, w0: float, w1: float) -> tuple[float, float]:
    a = page.evaluate(AXES_JS)
    (bx, by, bw, bh), (x0, x1), (y0, y1) = a["box"], a["x"], a["y"]
    return bx + 64 + (w0 - x0) / (x1 - x0) * (bw - 76), by + 8 + (y1 - w1) / (y1 - y0) * (bh - 54)


def url_start(page) -> tuple[float, float]:
    query = page.evaluate("() => Object.fromEntries(new URL(location.href).searchParams)")
    return float(query.get("init_w0", 0)), float(query.get("init_w1", 0))


def assert_trained_from(page, before: str, settings: Settings) -> dict:
    """The run after a dropped start: a new TensorFlow run from there, the address and the controls with it."""
    view = wait_done(page, other_than=before)
    assert url_start(page) == (settings.init_w0, settings.init_w1)
    _, _, values, _ = engine(settings)
    assert_shows_step(view, values, settings.steps)
    path = trace(view, "landscape", "path")
    assert (path["x"][0], path["y"][0]) == pytest.approx((settings.init_w0, settings.init_w1))
    assert no_preview_drawn(page)  # the trained run has the last word
    slider = page.locator(".st-key-init_w0:not([data-stale='true']) input[type=range]")  # in a closed expander
    assert float(slider.input_value()) == pytest.approx(settings.init_w0)
    return view


# The predicted path as painted: the sketch above the landscape (js/sketch.js), its data, and how far its
# painted points lie from where the landscape's own axes put those data (pixels).
PREDICTED_JS = """
() => {
  const r = document.querySelector('.gtl-view');
  const gd = r.querySelector('.gtl-plot[data-plot=landscape]');
  const e = r.querySelector('.gtl-panel-landscape .gtl-sketch [data-name="predicted path"]');
  const out = { state: r.dataset.preview, note: r.querySelector('.gtl-preview').textContent, x: [], y: [] };
  if (!e) return out;
  const x = JSON.parse(e.dataset.x), y = JSON.parse(e.dataset.y);
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  // the sketch's plot area: placed by its x and y inside the sketch, which covers the panel's plots
  const area = e.ownerSVGElement, plot = gd.getBoundingClientRect();
  const root = area.ownerSVGElement.getBoundingClientRect();
  const left = root.left + +area.getAttribute('x'), top = root.top + +area.getAttribute('y');
  const painted = e.getAttribute('d').slice(1).split('L').map((p) => p.split(' ').map(Number));
  const off = painted.map(([px, py], k) => Math.hypot(
    left + px - (plot.left + xa._offset + xa.l2p(x[k])), top + py - (plot.top + ya._offset + ya.l2p(y[k]))));
  return { ...out, x, y, dash: e.getAttribute('stroke-dasharray'), visible: e.getBoundingClientRect().width > 0,
           offset_px: Math.max(...off) };
}
"""


def predicted(page) -> dict:
    """The predicted path as painted, after the frames already asked for."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    shown = page.evaluate(PREDICTED_JS)
    if shown["x"]:
        assert shown["offset_px"] <= 0.5 and shown["visible"], shown  # painted where Plotly's axes put it
        shown["dash"] = "dash" if shown["dash"] not in (None, "none") else "solid"
    return shown


def no_preview_drawn(page) -> bool:
    return page.locator(".gtl-view .gtl-sketch [data-name]").count() == 0


def test_dragging_the_start_previews_its_exact_path_then_trains_from_there(browser, streamlit_server):
    context = browser.new_context(viewport={"width": 1400, "height": 1200}, color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(f"{streamlit_server}/?steps=200")
        before = wait_done(page)["run"]
        page.locator(".gtl-panel-landscape").scroll_into_view_if_needed()
        page.mouse.move(*pixel(page, 0.0, 0.0))
        page.mouse.down()
        page.mouse.move(*pixel(page, -1.0, 6.0), steps=8)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        shown = predicted(page)  # painted while the button is still down
        target = Settings(steps=200, init_w0=-1.0, init_w1=6.0)
        assert shown["state"] == "path" and shown["dash"] == "dash" and shown["note"].startswith("Predicted path")
        _, _, values, _ = engine(target)
        assert (shown["x"][0], shown["y"][0]) == pytest.approx((-1.0, 6.0))
        steps = np.array(page.evaluate(f"async () => (await {chart_file('store.js')}).state.header.steps.curve"))
        steps = steps[steps < len(values)][: len(shown["x"]) - 1]
        np.testing.assert_allclose(shown["x"][1:], values[steps, 1], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(shown["y"][1:], values[steps, 2], rtol=1e-4, atol=1e-6)
        screenshot(page, "drag-start-preview-dark")
        page.mouse.up()
        assert_trained_from(page, before, target)
        screenshot(page, "drag-start-trained-dark")
    finally:
        context.close()


def test_the_start_moves_with_the_keyboard_and_enter_trains_from_it(page, streamlit_server):
    page.goto(f"{streamlit_server}/?steps=200")
    before = wait_done(page)["run"]
    page.locator(".gtl-panel-landscape .gtl-stack").focus()
    for key in ("ArrowRight", "ArrowRight", "ArrowRight", "ArrowUp", "ArrowUp"):
        page.keyboard.press(key)
    shown = predicted(page)
    assert shown["state"] == "path" and (shown["x"][0], shown["y"][0]) == pytest.approx((0.3, 0.2))
    page.keyboard.press("Enter")
    assert_trained_from(page, before, Settings(steps=200, init_w0=0.3, init_w1=0.2))


def test_a_tap_on_the_landscape_of_a_phone_starts_the_run_there(browser, streamlit_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{streamlit_server}/?steps=200")
        before = wait_done(page)["run"]
        page.locator(".gtl-panel-landscape").scroll_into_view_if_needed()
        page.touchscreen.tap(*pixel(page, 2.0, 1.0))
        assert_trained_from(page, before, Settings(steps=200, init_w0=2.0, init_w1=1.0))
        screenshot(page, "drag-start-phone")
    finally:
        context.close()


def test_no_predicted_path_for_mini_batches_and_the_chart_says_why(page, streamlit_server):
    page.goto(f"{streamlit_server}/?batch_size=10&steps=50")
    wait_done(page)
    page.locator(".gtl-panel-landscape .gtl-stack").focus()
    page.keyboard.press("ArrowRight")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    shown = predicted(page)
    assert shown["state"] == "none" and shown["x"] == []
    assert shown["note"].startswith("No predicted path: each update sees another mini-batch of 10 points")
    page.keyboard.press("Escape")
    assert predicted(page)["note"] == ""


STRIP_JS = "() => { const s = document.querySelector('.gtl-strip'); return { hidden: s.hidden, ...s.dataset }; }"


@pytest.mark.parametrize("settings", [Settings(steps=200), Settings(optimizer="momentum", momentum=0.5, steps=200)])
def test_the_rate_strip_is_coloured_from_the_eigenvalues(page, streamlit_server, settings):
    from linreg_core.data import linear_like
    from linreg_core.optimizers import hyper_of
    from linreg_core.theory import stable_lr

    query = "&".join(f"{k}={v}" for k, v in settings.to_query().items())
    page.goto(f"{streamlit_server}/?{query}")
    wait_done(page)
    strip = page.evaluate(STRIP_JS)
    assert not strip["hidden"]
    changes = json.loads(strip["changes"])
    info = analyse(linear_like(settings))
    bound = stable_lr(info, settings.optimizer, hyper_of(settings))
    assert changes[-1]["to"] == "diverging" and changes[-1]["at"] == pytest.approx(bound, rel=1e-6)
    if settings.optimizer == "gd":  # steps change sign from 1/λmax on, grow from 2/λmax on; fastest 2/(λmin+λmax)
        assert [c["to"] for c in changes] == ["oscillating", "diverging"]
        assert changes[0]["at"] == pytest.approx(1 / info.lambda_max, rel=1e-6)
        fastest = 2 / (info.lambda_min + info.lambda_max)
        assert float(strip["fastest"]) == pytest.approx(fastest, rel=0.05)  # one cell of the strip


def test_dragging_along_the_rate_strip_previews_the_path_then_trains_at_that_rate(page, streamlit_server):
    page.goto(f"{streamlit_server}/?steps=200")
    before = wait_done(page)["run"]
    bar = page.locator(".gtl-strip-bar")
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    at = lambda lr: box["x"] + box["width"] * np.log(lr / 1e-4) / np.log(10 / 1e-4)  # noqa: E731
    y = box["y"] + box["height"] / 2
    page.mouse.move(at(0.05), y)
    page.mouse.down()
    page.mouse.move(at(0.1), y, steps=4)
    shown = predicted(page)  # before release
    lr = float(page.evaluate(STRIP_JS)["lr"])
    assert 0.09 < lr < 0.11 and shown["state"] == "path" and shown["note"].startswith("Predicted path at learning rate")
    target = Settings(steps=200, lr=lr)
    _, _, values, _ = engine(target)
    steps = np.array(page.evaluate(f"async () => (await {chart_file('store.js')}).state.header.steps.curve"))
    steps = steps[: len(shown["x"]) - 1]
    np.testing.assert_allclose(shown["x"][1:], values[steps, 1], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(shown["y"][1:], values[steps, 2], rtol=1e-4, atol=1e-6)
    page.mouse.up()
    view = wait_done(page, other_than=before)
    assert float(page.evaluate("() => new URL(location.href).searchParams.get('lr')")) == pytest.approx(lr)
    assert_shows_step(view, values, 200)
    assert no_preview_drawn(page)
    screenshot(page, "rate-strip")


def test_the_rate_strip_is_hidden_where_no_exact_path_exists(page, streamlit_server):
    page.goto(f"{streamlit_server}/?optimizer=adam&steps=50")
    wait_done(page)
    assert page.evaluate(STRIP_JS)["hidden"]
