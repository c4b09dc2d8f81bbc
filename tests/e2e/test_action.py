"""Charts that show the action (issue 15): the step charts and the scrubber on one scale, chosen by one control;
Play paced along that scale; pins on the landscape named in its legend and never hidden by the run shown."""

import io

import numpy as np
import pytest
from harness import screenshot
from PIL import Image
from view import assert_shows_step, engine, read, steps_of, trace, wait_done

from linreg_core.settings import Settings

pytestmark = pytest.mark.e2e
STEP_CHARTS = ("loss", "gap", "weights")

# Where the step shown sits along the loss chart's x axis (0 at its left end, 1 at its right), as painted, and
# where the scrubber's thumb sits along its track.
PLACES_JS = """
() => {
  const gd = document.querySelector('.gtl-plot[data-plot=loss]');
  const ax = gd._fullLayout.xaxis;
  const marker = gd._fullData.find((t) => t.name === 'shown step');
  const input = document.querySelector('.gtl-scrub');
  return { marker: ax.c2p(marker.x[0]) / ax._length, thumb: +input.value / +input.max };
}
"""


def click_along(page, fraction: float) -> None:
    """Click the scrubber's track at `fraction` of its length (as a person would, on the track)."""
    box = page.locator(".gtl-scrub").bounding_box()
    thumb = 16  # Chromium's range thumb: its centre travels the track less half a thumb at each end
    x = box["x"] + thumb / 2 + fraction * (box["width"] - thumb)
    page.mouse.click(x, box["y"] + box["height"] / 2)


def test_the_step_charts_and_the_scrubber_share_one_scale(app_page):
    page = app_page
    _, _, values, _ = engine(Settings())
    view = read(page)
    assert [view["plots"][f"{p}:xtype"] for p in STEP_CHARTS] == ["log"] * 3  # log by default, like the scrubber
    click_along(page, 0.5)
    view = read(page)
    step = int(view["step"])
    assert 25 <= step <= 38, step  # half way along a log scale of 1,001 records: about √1001 − 1 = 31
    assert_shows_step(view, values, step)
    places = page.evaluate(PLACES_JS)
    assert places["marker"] == pytest.approx(places["thumb"], abs=0.02)  # the thumb sits over the step charted
    ticks = page.evaluate(
        "() => Array.from(document.querySelectorAll('.gtl-panel-loss .xtick text'), (t) => t.textContent)"
    )
    assert ticks[:3] == ["0", "1", "10"] and ticks[-1] == "1,000", ticks  # labelled in steps, step 0 included
    screenshot(page, "steps-log-scale")

    page.locator(".gtl-scale").select_option("linear")  # the one control: the charts follow the scrubber
    view = read(page)
    assert [view["plots"][f"{p}:xtype"] for p in STEP_CHARTS] == ["linear"] * 3
    assert_shows_step(view, values, step)  # the step shown stays
    click_along(page, 0.5)
    view = read(page)
    assert 480 <= int(view["step"]) <= 520, view["step"]
    assert_shows_step(view, values, int(view["step"]))
    places = page.evaluate(PLACES_JS)
    assert places["marker"] == pytest.approx(places["thumb"], abs=0.02)
    curve = trace(view, "weights", "w0")
    assert steps_of(view, "weights", curve["x"]) == [round(x) for x in curve["x"]]  # linear: x is the step
    screenshot(page, "steps-linear-scale")


def test_keys_on_the_log_scrubber_move_one_step_at_a_time(app_page):
    page = app_page
    _, _, values, _ = engine(Settings())
    page.locator(".gtl-scrub").focus()
    page.keyboard.press("Home")
    shown = []
    for _ in range(4):
        page.keyboard.press("ArrowRight")
        shown.append(int(read(page)["step"]))
    assert shown == [1, 2, 3, 4]  # several positions of the log track show one early step: keys skip them
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    view = read(page)
    assert int(view["step"]) < 1000
    assert_shows_step(view, values, int(view["step"]))


# Every animation frame while the chart plays: the step it shows.
FRAMES_JS = """
(() => {
  const log = (window.playFrames = []);
  const frame = () => {
    const r = document.querySelector('.gtl-view');
    if (r && r.dataset.state === 'playing') log.push([performance.now(), +r.dataset.step]);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();
"""


@pytest.mark.parametrize("scale, share", [("log", (0.45, 0.75)), ("linear", (0.0, 0.15))])
def test_play_gives_the_early_steps_their_share_of_the_time(page, streamlit_server, scale, share):
    """At lr 0.3 nearly all of the descent happens in the first ~60 of 1,000 steps. Played on the log scale they
    take about log(61)/log(1001) ≈ 0.6 of the playing time; on the linear scale about 6 %. A share of the run's
    own playing time, read from the frames' times: no threshold on speed."""
    page.add_init_script(FRAMES_JS)
    page.goto(f"{streamlit_server}/?lr=0.3")
    wait_done(page)
    page.locator(".gtl-scale").select_option(scale)
    for _ in range(3):  # a browser starved of frames (a busy machine) measures nothing: play it again
        page.evaluate("() => { window.playFrames.length = 0; }")
        page.locator(".gtl-play").click()
        page.wait_for_function("() => document.querySelector('.gtl-view').dataset.state === 'done'", timeout=30_000)
        played = page.evaluate("() => window.playFrames")
        if len(played) >= 30:
            break
    times, frames = zip(*played, strict=True)
    assert len(frames) >= 30, len(frames)
    assert list(frames) == sorted(frames) and frames[0] <= 1  # from the start, forward only
    later = next(t for t, step in zip(times, frames, strict=True) if step > 60)
    early = (later - times[0]) / (times[-1] - times[0])
    assert share[0] <= early <= share[1], (scale, early)
    _, _, values, _ = engine(Settings(lr=0.3))
    assert_shows_step(read(page), values, 1000)


PATH_PIXELS_JS = """
() => {
  const gd = document.querySelector('.gtl-plot[data-plot=landscape]');
  const { xaxis, yaxis } = gd._fullLayout;
  const path = gd._fullData.find((t) => t.name === 'path');
  let length = 0;
  for (let k = 1; k < path.x.length; k++) {
    const dx = xaxis.c2p(path.x[k]) - xaxis.c2p(path.x[k - 1]);
    length += Math.hypot(dx, yaxis.c2p(path.y[k]) - yaxis.c2p(path.y[k - 1]));
  }
  return length;
}
"""


def _pixels(page) -> np.ndarray:
    shot = page.locator(".gtl-panel-landscape .gtl-stack").screenshot()
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=np.int16)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_pin_on_the_landscape_is_named_and_never_hidden_by_the_run_shown(browser, streamlit_server, scheme):
    """Pin the run shown: its pinned path is the very path the run draws. The pin must still show (the pixels
    that change when it is pinned, all along the path) and the landscape's legend must name it."""
    context = browser.new_context(viewport={"width": 1400, "height": 1400}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(f"{streamlit_server}/?steps=300")
        first = wait_done(page)
        page.mouse.move(0, 0)  # no hover label over the plot
        before = _pixels(page)
        page.get_by_role("button", name="Pin this run").click()
        page.wait_for_function("() => document.querySelector('.gtl-view').dataset.pins === '1'")
        view = wait_done(page)
        assert view["run"] == first["run"]  # the same run shown: its path over its own pin
        page.mouse.move(0, 0)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        after = _pixels(page)
        length = page.evaluate(PATH_PIXELS_JS)
        changed = int((np.abs(after - before).sum(axis=2) > 60).sum())
        # a pin hidden under the run's own line changes (next to) no pixel; one that shows, a band along the path
        assert length > 50 and changed >= 3 * length, (changed, length)
        keys = page.locator(".gtl-panel-landscape .gtl-legend .gtl-key")
        assert keys.all_inner_texts()[:3] == ["path", "start", "optimum"]
        pins = page.locator(".gtl-panel-landscape .gtl-legend .gtl-key[data-key=pin]")
        assert pins.count() == 1 and pins.inner_text().startswith("#1 ")
        path = trace(view, "landscape", "pinned path #1")
        assert len(path["x"]) > 2  # drawn, not just named
        screenshot(page, f"pin-on-landscape-{scheme}")
    finally:
        context.close()
