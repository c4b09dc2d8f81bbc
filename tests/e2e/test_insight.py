"""The insight panels in Chromium: the path on the loss landscape, theory against the run, pinned runs."""

import numpy as np
import pytest
from harness import screenshot
from view import assert_shows_step, engine, press, read, steps_of, trace, wait_done

from linreg_core.data import linear_like
from linreg_core.settings import Settings
from linreg_core.theory import theory

pytestmark = pytest.mark.e2e


def test_the_path_on_the_landscape_is_the_runs_own_and_theory_is_drawn_against_it(page, streamlit_server):
    settings = Settings(lr=0.39, steps=60)  # just under the bound: the path zig-zags across the valley
    page.goto(f"{streamlit_server}/?lr=0.39&steps=60")
    view = wait_done(page)
    _, _, values, _ = engine(settings)
    path = trace(view, "landscape", "path")
    assert (path["x"][0], path["y"][0]) == (0.0, 0.0)  # from the start...
    np.testing.assert_allclose(path["x"][-1], values[-1, 1], rtol=1e-6)  # ...to the last step's weights
    np.testing.assert_allclose(path["y"][-1], values[-1, 2], rtol=1e-6)
    steps_drawn = len(path["x"]) - 1
    assert steps_drawn == 61  # every record of a short run
    np.testing.assert_allclose(path["x"][1:], values[:, 1], rtol=1e-6)
    zigzag = np.sign(np.diff(values[:20, 1]))
    assert (zigzag[:-1] != zigzag[1:]).sum() >= 5  # the slope swings to and fro: what the caption explains
    bowl = view["plots"]["landscape-under"]
    assert [t["name"] for t in bowl][:2] == ["landscape", "optimum"]
    start = trace(view, "landscape", "start")  # the run's own start, drawn with the run (it has its own header)
    assert (start["x"], start["y"]) == ([0.0], [0.0])
    t = theory(linear_like(settings), settings)
    drawn = trace(view, "gap", "theory")
    predicted = t.predicted_gap()
    floor = 1e-7 * t.train.loss_star
    for step, y in zip(steps_of(view, "gap", drawn["x"]), drawn["y"], strict=True):
        assert y == pytest.approx(max(predicted[int(step)], floor), rel=1e-5)
    observed = trace(view, "gap", "gap")
    observed_steps = np.array(steps_of(view, "gap", observed["x"]))
    big = [k for k, s in enumerate(observed_steps) if predicted[s] > 1e-4]
    np.testing.assert_allclose(np.array(observed["y"])[big], predicted[observed_steps[big]], rtol=2e-3)
    page.locator(".gtl-scrub").focus()
    page.keyboard.press("Home")
    scrubbed = read(page)
    marker = trace(scrubbed, "landscape", "shown step")
    np.testing.assert_allclose([marker["x"][0], marker["y"][0]], values[0, 1:3], rtol=1e-6)
    assert_shows_step(scrubbed, values, 0)
    screenshot(page, "landscape")

    # a new rate on the same points: the theory curve is the new run's (moved, not redrawn with the layer)
    press(page, "lr", "ArrowLeft")
    view = wait_done(page, other_than=view["run"])
    lr = float(page.evaluate("() => new URL(location.href).searchParams.get('lr')"))
    assert lr < settings.lr
    slower = settings.changed(lr=lr)
    predicted = theory(linear_like(slower), slower).predicted_gap()
    drawn = trace(view, "gap", "theory")
    assert steps_of(view, "gap", drawn["x"])[-1] == slower.steps
    for step, y in zip(steps_of(view, "gap", drawn["x"]), drawn["y"], strict=True):
        assert y == pytest.approx(max(predicted[int(step)], floor), rel=1e-5)


def test_pinned_runs_overlay_their_curves_and_paths_labelled_by_what_differs(page, streamlit_server):
    page.goto(f"{streamlit_server}/?steps=300")
    first = wait_done(page)
    page.get_by_role("button", name="Pin this run").click()
    page.wait_for_function("() => document.querySelector('.gtl-view').dataset.pins === '1'")
    press(page, "lr", "End")  # 10: far past the bound
    wait_done(page, other_than=first["run"])
    page.get_by_role("button", name="Pin this run").click()
    page.wait_for_function("() => document.querySelector('.gtl-view').dataset.pins === '2'")
    before = read(page)["run"]
    # the optimizer sits above the chart, the pin button below it: scroll up as a visitor would first (a
    # dropdown opened while the page is still scrolling to it closes again)
    page.locator(".st-key-optimizer").scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('.st-key-optimizer').getBoundingClientRect().top >= 0")
    page.wait_for_timeout(300)
    page.locator(".st-key-optimizer").click()
    page.get_by_role("option", name="adam", exact=True).click()
    view = wait_done(page, other_than=before)
    legend = page.locator(".gtl-panel-loss .gtl-legend").inner_text()
    assert "#1 lr 0.02, optimizer gd" in legend and "#2 lr 10, optimizer gd" in legend
    _, _, values, _ = engine(Settings(steps=300))
    pinned = trace(view, "loss", "pinned loss #1")
    steps = np.array(steps_of(view, "loss", pinned["x"]), dtype=int)
    np.testing.assert_allclose(pinned["y"], values[steps, 0], rtol=1e-6)
    assert steps[-1] == 300
    path = trace(view, "landscape", "pinned path #1")
    np.testing.assert_allclose(path["x"][1:], values[steps, 1], rtol=1e-6)
    *_, divergence = engine(Settings(steps=300, lr=10.0))
    assert divergence is not None and len(trace(view, "loss", "pinned loss #2")["x"]) >= 1
    assert np.isfinite(trace(view, "loss", "pinned loss #2")["y"]).all()  # a diverged pin draws no inf
    screenshot(page, "compare-runs")


@pytest.mark.parametrize(
    "settings", [Settings(data="tips", standardize=True, lr=0.5), Settings()], ids=["round bowl", "long bowl"]
)
def test_the_landscape_draws_one_unit_of_each_weight_at_one_length(page, streamlit_server, settings):
    """A round bowl is drawn round (standardised tips, κ 1) and a long one √κ times longer than wide: the
    painted axes give a unit of either weight the same number of pixels, over the grid's equal spans."""
    import urllib.parse

    from linreg_core.claims import claims
    from linreg_core.data import load

    page.goto(f"{streamlit_server}/?{urllib.parse.urlencode(settings.to_query())}")
    wait_done(page)
    page.locator(".gtl-panel-landscape").scroll_into_view_if_needed()
    axes = page.evaluate(
        """() => { const L = document.querySelector('.gtl-plot[data-plot=landscape]')._fullLayout;
             const span = (a) => Math.abs(a.range[1] - a.range[0]);
             return { x: L.xaxis._length / span(L.xaxis), y: L.yaxis._length / span(L.yaxis),
                      xspan: span(L.xaxis), yspan: span(L.yaxis), w: L.xaxis._length }; }"""
    )
    assert axes["x"] == pytest.approx(axes["y"], rel=0.01), axes  # pixels per unit, on both axes
    assert axes["xspan"] == pytest.approx(axes["yspan"], rel=1e-6) and axes["w"] > 150, axes
    kappa = claims(theory(load(settings), settings)).kappa
    assert (kappa < 1.01) == settings.standardize  # the round one is the standardised one
    screenshot(page, f"landscape-aspect-kappa-{kappa:.3g}")
