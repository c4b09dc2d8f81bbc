"""The gradient at the step shown (issue 16), read from what Plotly painted: on the landscape, the arrows of the
update into the step shown; on the data chart, the residuals of the line at that step. Each is held against the
trainer's own records (real TensorFlow): the gradient it used, the weights before and after the update."""

import numpy as np
import pytest
from harness import screenshot
from view import engine, read, sample, wait_done

from linreg_core.settings import Settings
from linreg_core.trainer import TrainingRun

pytestmark = pytest.mark.e2e

# Plotly's own traces (gd.data) of a panel's moving layer, by name; null (a gap between segments) kept as None.
TRACES_JS = """
(plot) => {
  const gd = document.querySelector(`.gtl-view .gtl-plot[data-plot=${plot}]`);
  const out = {};
  for (const t of gd.data) out[t.name] = { x: Array.from(t.x || [], (v) => (v === null ? null : +v)),
                                            y: Array.from(t.y || [], (v) => (v === null ? null : +v)) };
  return out;
}
"""


def traces(page, plot: str) -> dict:
    read(page)  # after the frames already asked for
    return page.evaluate(TRACES_JS, plot)


def paused_at(page, notches: int) -> int:
    """Scrub with the keyboard to the first step, then `notches` steps shown further; the step shown."""
    page.locator(".gtl-scrub").focus()
    page.keyboard.press("Home")
    for _ in range(notches):
        page.keyboard.press("ArrowRight")
    step = read(page)["step"]
    assert step not in ("", "start")
    return int(step)


def trained(settings: Settings, data, w0, w1) -> np.ndarray:
    """Weights in x's own units as the landscape draws them: the weights trained (standardised x, when it is)."""
    v0, v1 = TrainingRun(data, settings).prepared.to_trained(np.float64(w0), np.float64(w1))
    return np.array([v0, v1], dtype=np.float64)


def before(settings: Settings, values: np.ndarray, i: int) -> tuple[float, float]:
    """The weights going into update i: record i − 1's, or the start's."""
    return (settings.init_w0, settings.init_w1) if i == 0 else (float(values[i - 1, 1]), float(values[i - 1, 2]))


def shaft(arrow: dict) -> np.ndarray:
    """An arrow's tail and head, as painted: its first two points. The rest is its head, two barbs that meet at the
    head and lie behind it, so the arrow reads the way it points."""
    x, y = arrow["x"], arrow["y"]
    tail, head = np.array([x[0], y[0]]), np.array([x[1], y[1]])
    assert x[2] is None and (x[4], y[4]) == (x[1], y[1]) and len(x) == 6
    for barb in ((x[3], y[3]), (x[5], y[5])):
        assert np.dot(np.array(barb) - head, head - tail) < 0
    return np.array([tail, head])


def open_run(page, server: str, settings: Settings):
    query = "&".join(f"{k}={v}" for k, v in settings.to_query().items())
    page.goto(f"{server}/?{query}")
    wait_done(page)
    page.locator(".gtl-panel-landscape").scroll_into_view_if_needed()
    return engine(settings)


@pytest.mark.parametrize(
    "settings", [Settings(), Settings(standardize=True, lr=0.3, steps=200)], ids=["blog", "standardised"]
)
def test_the_arrow_at_a_paused_step_is_minus_lr_times_the_trainers_gradient(page, streamlit_server, settings):
    data, _, values, _ = open_run(page, streamlit_server, settings)
    for notches in (0, 6, 400):  # the first update, an early one, and a late one (a short arrow: the truth)
        i = paused_at(page, notches)
        land = traces(page, "landscape")
        assert land["step taken"]["x"] == []  # gradient descent: one arrow, −lr·∇L
        arrow = shaft(land["gradient"])
        tail = trained(settings, data, *before(settings, values, i))
        head = tail - settings.lr * values[i, 3:5].astype(np.float64)
        np.testing.assert_allclose(arrow[0], tail, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(arrow[1], head, rtol=1e-4, atol=1e-7)
        # and plain gradient descent's −lr·∇L is the step it took: it ends on the step shown
        shown = trained(settings, data, values[i, 1], values[i, 2])
        np.testing.assert_allclose(arrow[1], shown, rtol=1e-4, atol=1e-6)
        assert_residuals(page, data, values, i)
        if notches == 6:  # an early step: a long arrow and long residuals
            screenshot(page, f"gradient-arrow-{'standardised' if settings.standardize else 'blog'}")
    legend = page.locator(".gtl-panel-landscape .gtl-legend").inner_text()
    assert "−lr·∇L into the step shown" in legend and "step taken" not in legend


def assert_residuals(page, data, values, i: int) -> None:
    """The data chart's residuals at record i: for each drawn point, in order along x, a vertical segment from the
    line of record i to the point and back (one unbroken path; between points it runs along the line itself)."""
    xs, ys = sample(data)
    order = np.argsort(xs, kind="stable")
    r = traces(page, "fit")["residuals"]
    assert len(r["x"]) == 3 * len(xs) and None not in r["x"] and None not in r["y"]
    seg_x, seg_y = np.array(r["x"]).reshape(-1, 3), np.array(r["y"]).reshape(-1, 3)
    for k in range(3):  # vertical: all three at the point's own x
        np.testing.assert_array_equal(np.float32(seg_x[:, k]), xs[order])
    np.testing.assert_array_equal(np.float32(seg_y[:, 1]), ys[order])  # to the point itself
    w0, w1 = (float(v) for v in values[i, 1:3])
    line = w0 * xs[order].astype(np.float64) + w1  # from the line of the step shown, and back to it
    np.testing.assert_allclose(seg_y[:, 0], line, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(seg_y[:, 2], line, rtol=1e-4, atol=1e-6)


def test_momentum_draws_the_gradient_and_the_step_its_velocity_took(page, streamlit_server):
    settings = Settings(optimizer="momentum", momentum=0.8, lr=0.05, steps=300)
    data, _, values, _ = open_run(page, streamlit_server, settings)
    # the velocity from the trainer's gradients (v = β·v + g, w −= lr·v), independent of the weights recorded
    g = values[:, 3:5].astype(np.float64)
    velocity = np.zeros_like(g)
    for k in range(len(g)):
        velocity[k] = settings.momentum * (velocity[k - 1] if k else 0.0) + g[k]
    for notches in (0, 8, 20):
        i = paused_at(page, notches)
        land = traces(page, "landscape")
        tail = trained(settings, data, *before(settings, values, i))
        grad, taken = shaft(land["gradient"]), shaft(land["step taken"])
        np.testing.assert_allclose(grad[0], tail, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(grad[1], tail - settings.lr * g[i], rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(taken[0], tail, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(taken[1], trained(settings, data, values[i, 1], values[i, 2]), rtol=1e-4)
        step = taken[1] - taken[0]
        np.testing.assert_allclose(step, -settings.lr * velocity[i], rtol=1e-3, atol=1e-6)
        if i > 0:  # the velocity carries the steps before: the step taken is not −lr·∇L
            assert np.linalg.norm(step - (grad[1] - grad[0])) > 1e-3 * np.linalg.norm(step)
        if notches == 8:
            screenshot(page, "gradient-arrow-momentum")
    legend = page.locator(".gtl-panel-landscape .gtl-legend").inner_text()
    assert "−lr·∇L into the step shown" in legend and "step taken (with the velocity)" in legend


def test_the_arrow_and_the_residuals_follow_the_scrubber_and_play(page, streamlit_server):
    settings = Settings(steps=100)
    data, _, values, _ = open_run(page, streamlit_server, settings)
    first = paused_at(page, 3)
    arrow_then = traces(page, "landscape")["gradient"]
    page.keyboard.press("ArrowRight")
    later = int(read(page)["step"])
    assert later > first
    arrow_now = traces(page, "landscape")["gradient"]
    assert arrow_now != arrow_then  # redrawn for the step now shown, not left from the one before
    head = trained(settings, data, *before(settings, values, later)) - settings.lr * values[later, 3:5]
    np.testing.assert_allclose([arrow_now["x"][1], arrow_now["y"][1]], head, rtol=1e-4, atol=1e-7)
    assert_residuals(page, data, values, later)
    # Play runs to the end: the arrow follows the frames to the last update
    assert read(page)["state"] == "paused"
    page.get_by_role("button", name="Play the run").click()
    page.wait_for_function("() => document.querySelector('.gtl-view').dataset.state === 'done'")
    i = int(read(page)["step"])
    assert i == settings.steps
    end = traces(page, "landscape")["gradient"]
    np.testing.assert_allclose([end["x"][1], end["y"][1]], values[i, 1:3], rtol=1e-4, atol=1e-7)


def test_with_many_points_the_residuals_are_those_of_the_drawn_sample(page, streamlit_server):
    settings = Settings(n=20_000, steps=50)  # more points than the data chart draws: it draws a seeded sample
    data, _, values, _ = open_run(page, streamlit_server, settings)
    assert len(sample(data)[0]) == 5000 < data.n
    i = paused_at(page, 2)
    assert_residuals(page, data, values, i)
    screenshot(page, "residuals-of-a-sample")
