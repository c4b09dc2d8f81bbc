"""The run chart in a real Chromium against a real `streamlit run` server, read as painted, against the engine."""

import numpy as np
import pytest
from harness import screenshot, wait_for_idle
from view import (
    RUN_MS,
    assert_background_is,
    assert_shows_step,
    engine,
    press,
    read,
    timeline,
    trace,
    wait_done,
    wait_live,
)

from linreg_core.settings import LR_STOPS, Settings
from linreg_core.words import limit_text

pytestmark = pytest.mark.e2e
FRESH = "[data-testid='stElementContainer']:not([data-stale='true'])"  # drawn by the latest script run


def test_default_run_animates_to_the_blogs_answer(app_page):
    page = app_page
    view = read(page)
    _, info, values, _ = engine(Settings())
    assert view["state"] == "done" and view["step"] == "1000"
    assert view["paints"] >= 30  # it animated through the run, not a jump to the end
    assert_shows_step(view, values, 1000)
    assert view["kind"] == "success" and view["status"].startswith("Converged")
    assert_background_is(view, Settings())
    assert float(view["table"]["w0"][0]) == pytest.approx(3.0, abs=0.1)
    assert float(view["table"]["w1"][0]) == pytest.approx(4.25, abs=0.1)  # w1 + noise/2 with the blog's noise
    assert page.get_by_test_id("stException").count() == 0 and not page.console_errors
    screenshot(page, "default-run")


@pytest.mark.parametrize(
    "control, act, settings",
    [
        ("w0", lambda page: press(page, "w0", "Home"), Settings(w0=-10.0)),
        ("w1", lambda page: press(page, "w1", "ArrowLeft"), Settings(w1=3.9)),
        ("noise", lambda page: press(page, "noise", "End"), Settings(noise=5.0)),
        ("n", lambda page: press(page, "n", "ArrowRight"), Settings(n=200)),
        (
            "noise_kind",
            lambda page: page.locator(".st-key-noise_kind").get_by_text("gaussian").click(),
            Settings(noise_kind="gaussian"),
        ),
        (
            "seed",
            lambda page: (page.locator(".st-key-seed input").fill("5"), page.keyboard.press("Enter")),
            Settings(seed=5),
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_the_live_chart_paints_the_new_data_after_each_data_control(app_page, control, act, settings):
    """The defect: while the new run animated, the old run's points and lines stayed up. Read what the browser
    painted in the middle of the new run's live phase and compare it with the engine's data for the new settings."""
    page = app_page
    page.set_viewport_size({"width": 1400, "height": 2300})  # every panel in sight: all of them follow each frame
    before = read(page)["run"]
    act(page)
    live = wait_live(page, other_than=before)
    assert live["state"] == "live" and live["step"] != "1000"
    assert_background_is(live, settings)
    _, _, values, _ = engine(settings)
    step = int(live["step"])
    assert_shows_step(live, values, step)  # the moving parts too: the same run's own records
    done = wait_done(page)
    assert done["run"] == live["run"]
    assert_background_is(done, settings)
    assert_shows_step(done, values, settings.steps)


def test_a_panel_scrolled_into_sight_mid_run_shows_the_step_shown_at_once(page, streamlit_server):
    """Panels out of sight skip the frames of a moving run; the one scrolled to must catch up on its next frame,
    while the run is still live, not at its end."""
    page.goto(f"{streamlit_server}/?n=100000")  # a run of a few seconds: time to scroll during it
    first = wait_done(page)
    press(page, "lr", "ArrowLeft")
    settings = Settings(n=100_000, lr=LR_STOPS[LR_STOPS.index(0.02) - 1])
    wait_live(page, other_than=first["run"])
    page.locator(".gtl-panel-weights").scroll_into_view_if_needed()
    caught = page.wait_for_function(
        """() => { const r = document.querySelector('.gtl-view');
             if (r.dataset.state !== 'live') return {late: true};
             const gd = r.querySelector('.gtl-plot[data-plot=weights]');
             const named = (name) => (gd._fullData || []).find((t) => t.name === name) || {x: [], y: []};
             const m = named('shown step'), ghost = named('w0 (whole run)');
             const log = gd._fullLayout.xaxis.type === 'log';  // x is step + 1 there (js/panels.js)
             return m.x.length && String(m.x[0] - (log ? 1 : 0)) === r.dataset.step
               ? {step: +r.dataset.step, y: Array.from(m.y, Number),
                  ghost: [Array.from(ghost.x, (x) => x - (log ? 1 : 0)), Array.from(ghost.y)]}
               : null; }""",
        polling="raf", timeout=RUN_MS,
    ).json_value()  # fmt: skip
    assert "late" not in caught, "the weights panel caught up only when the run ended"
    _, _, values, _ = engine(settings)
    np.testing.assert_allclose(caught["y"], values[caught["step"], 1:3], rtol=1e-6)
    steps, w0 = caught["ghost"]  # the whole run so far, sent while the panel was out of sight, is there too
    assert steps[-1] >= caught["step"]
    np.testing.assert_allclose(w0, values[np.array(steps, int), 1], rtol=1e-6)
    done = wait_done(page)
    assert_shows_step(done, values, settings.steps)  # at rest every panel shows the last step, in sight or not


def test_a_diverging_rate_is_said_to_diverge_with_where_and_why(page, streamlit_server):
    page.goto(f"{streamlit_server}/?lr=0.5&steps=10")
    view = wait_done(page)
    _, info, values, divergence = engine(Settings(lr=0.5, steps=10))
    assert divergence is None and values[-1, 0] > 1e5  # the engine agrees: no overflow, but a loss of ~130,000
    assert view["kind"] == "error" and view["status"].startswith("Diverging")
    assert "grew from step 0 on" in view["status"] and f"below {limit_text(2 / info.lambda_max)}" in view["status"]
    assert "Trained" not in view["status"] and "Converged" not in view["status"]
    assert_shows_step(view, values, 10)
    loss_range = view["plots"]["loss:yrange"]
    assert loss_range[1] >= np.log10(values[:, 0].max())  # the axis grew to hold the climbing loss
    for plot in ("fit", "loss", "weights"):
        for t in view["plots"][plot]:
            assert all(np.isfinite(t["x"])) and all(np.isfinite(t["y"])), (plot, t["name"])
    screenshot(page, "diverging")
    # the next run on the same points starts on the axes of its own (the widened ones belonged to this run):
    # the same axes as a fresh page opened on that run
    page.get_by_role("button", name="best").click()
    calm = wait_done(page, other_than=view["run"])
    assert calm["kind"] != "error" and not calm["status"].startswith("Diverging")
    fresh = page.context.new_page()
    fresh.goto(page.url)
    alone = wait_done(fresh)
    assert alone["table"] == calm["table"]  # the same run
    for plot in ("loss", "gap", "weights"):
        assert calm["plots"][f"{plot}:yrange"] == pytest.approx(alone["plots"][f"{plot}:yrange"]), plot
        assert calm["plots"][f"{plot}-under:yrange"] == pytest.approx(alone["plots"][f"{plot}-under:yrange"]), plot
    assert calm["plots"]["loss:yrange"][1] < loss_range[1]
    fresh.close()


def test_the_chart_and_table_do_not_move_from_the_first_live_frame_to_the_end(app_page):
    page = app_page
    boxes_js = """() => ['.gtl-grid', '.gtl-panel-fit', '.gtl-panel-loss', '.gtl-panel-weights', '.gtl-numbers',
                         '.gtl-controls', '.gtl-status'].map(s => { const b = document.querySelector(s)
                         .getBoundingClientRect(); return [s, Math.round(b.x), Math.round(b.y), Math.round(b.width),
                         Math.round(b.height)]; })"""
    at_rest = page.evaluate(boxes_js)
    before = read(page)["run"]
    press(page, "lr", "ArrowLeft")
    wait_live(page, other_than=before)
    first_frame = page.evaluate(boxes_js)
    seen = [first_frame]
    while read(page)["state"] == "live":
        seen.append(page.evaluate(boxes_js))
        page.wait_for_timeout(50)
    wait_done(page)
    seen.append(page.evaluate(boxes_js))
    assert all(boxes == at_rest for boxes in seen), [b for b in seen if b != at_rest][:1]


def test_scrubbing_moves_the_title_the_table_and_the_markers(app_page):
    page = app_page
    _, _, values, _ = engine(Settings())
    scrub = page.locator(".gtl-scrub")
    scrub.focus()
    page.keyboard.press("Home")
    assert_shows_step(read(page), values, 0)
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    view = read(page)
    step = int(view["step"])
    assert 0 < step < 100  # five notches of a log-scale scrubber stay among the early steps
    assert_shows_step(view, values, step)
    page.locator(".gtl-scale").select_option("linear")
    scrub.focus()
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    view = read(page)
    assert int(view["step"]) == 999  # linear scale: one notch is one step on a 1,000-step run
    assert_shows_step(view, values, 999)
    page.locator(".gtl-logy").uncheck()
    view = read(page)
    assert view["plots"]["loss:ytype"] == "linear" and int(view["step"]) == 999  # the toggle kept the place
    assert_shows_step(view, values, 999)
    screenshot(page, "scrubbed")


def test_keyboard_alone_reaches_play_and_the_scrubber_before_any_chart_toolbar(app_page):
    page = app_page
    _, _, values, _ = engine(Settings())
    page.get_by_role("button", name="Run again").focus()  # among the run's controls, above the chart
    focused = []
    for _ in range(12):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("() => document.activeElement.className || document.activeElement.tagName"))
        if "gtl-play" in focused[-1]:
            break
    assert "gtl-play" in focused[-1], focused
    assert not any("modebar" in f for f in focused)
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('.gtl-view').dataset.state === 'playing'")
    page.wait_for_timeout(400)
    page.keyboard.press("Space")
    paused = read(page)
    assert paused["state"] == "paused" and 0 <= int(paused["step"]) < 1000
    page.keyboard.press("Tab")
    assert "gtl-scrub" in page.evaluate("() => document.activeElement.className")
    page.keyboard.press("Home")
    assert_shows_step(read(page), values, 0)
    page.keyboard.press("Space")  # Space on the scrubber plays too
    page.wait_for_function("() => document.querySelector('.gtl-view').dataset.state === 'done'", timeout=10_000)
    assert_shows_step(read(page), values, 1000)


def test_a_phone_sized_page_has_nothing_overlapping(browser, streamlit_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(streamlit_server)
        wait_done(page)
        boxes = page.evaluate(
            """() => Object.fromEntries(['.gtl-status', '.gtl-play', '.gtl-scrub', '.gtl-scale', '.gtl-check',
                 '.gtl-title', '.gtl-panel-fit', '.gtl-panel-loss', '.gtl-panel-weights', '.gtl-panel-numbers']
               .map(s => { const b = document.querySelector(s).getBoundingClientRect();
                           return [s, [b.left, b.top, b.right, b.bottom]]; }))"""
        )
        names = list(boxes)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                (l1, t1, r1, b1), (l2, t2, r2, b2) = boxes[a], boxes[b]
                overlap = min(r1, r2) - max(l1, l2) > 0.5 and min(b1, b2) - max(t1, t2) > 0.5
                assert not overlap, (a, boxes[a], b, boxes[b])
        for name, (left, _, right, _) in boxes.items():
            assert left >= 0 and right <= 390, (name, left, right)
        # each number cell fits on one line, unclipped
        fits = page.evaluate(
            """() => Array.from(document.querySelectorAll('.gtl-numbers td, .gtl-numbers th'),
                                c => c.scrollWidth <= c.clientWidth + 1)"""
        )
        assert all(fits)
        axis_title = page.evaluate(
            """() => { const p = document.querySelector('.gtl-panel-loss').getBoundingClientRect();
                        const t = document.querySelector('.gtl-panel-loss .g-ytitle').getBoundingClientRect();
                        return t.left >= p.left - 1 && t.right <= p.right + 1; }"""
        )
        assert axis_title
        screenshot(page, "phone-390x844")
    finally:
        context.close()


def test_dark_preference_gives_a_dark_page_and_chart(browser, streamlit_server):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(streamlit_server)
        wait_done(page)
        luminance = page.evaluate(
            """() => { const c = getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor
                         .match(/\\d+/g).map(Number); return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255; }"""
        )
        assert luminance < 0.25
        assert page.evaluate("() => document.querySelector('.gtl-view').classList.contains('gtl-dark')")
        tick = page.evaluate("() => getComputedStyle(document.querySelector('.gtl-plot .xtick text')).fill")
        rgb = [int(v) for v in tick[tick.index("(") + 1 : -1].split(",")[:3]]
        assert sum(rgb) / 3 > 120  # axis labels light on the dark page
        screenshot(page, "dark")
    finally:
        context.close()


@pytest.mark.parametrize(
    "query, settings, expect",
    [
        ("?steps=0", Settings(steps=0), "after 1 update "),
        ("?n=1", Settings(n=1), "Converged"),
        ("?noise=0", Settings(noise=0.0), "Converged"),
    ],
)
def test_edge_runs_read_cleanly(page, streamlit_server, query, settings, expect):
    page.goto(f"{streamlit_server}/{query}")
    view = wait_done(page)
    _, info, values, _ = engine(settings)
    assert expect in view["status"], view["status"]
    assert_shows_step(view, values, settings.steps)
    ticks = page.evaluate(
        "() => Array.from(document.querySelectorAll('.gtl-panel-loss .xtick text'), t => t.textContent)"
    )
    assert all("." not in t for t in ticks), ticks  # whole steps only
    points = trace(view, "fit", "data")
    (x0, x1), (y0, y1) = page.evaluate(
        "() => { const l = document.querySelector('.gtl-plot')._fullLayout; return [l.xaxis.range, l.yaxis.range]; }"
    )
    assert all(x0 < x < x1 for x in points["x"]) and all(y0 < y < y1 for y in points["y"])  # every point inside
    screenshot(page, f"edge{query.replace('?', '-').replace('=', '-')}")


def test_keys_pressed_during_runs_interrupt_them_and_the_last_setting_wins(page, streamlit_server):
    """Each key comes while the run the last one started is training: that run is cut short (the chart never
    hears it end), the next one starts, and the last setting's run is the one shown, whole."""
    page.goto(f"{streamlit_server}/?n=100000&steps=10000")  # runs of a second or more: time to press mid-run
    shown = wait_done(page)["run"]
    thumb = page.locator(".st-key-lr").get_by_role("slider").first
    thumb.focus()
    states, cut = [], []
    for i in range(3):
        if i:
            shown = wait_live(page, other_than=shown)["run"]  # the run the last press started, drawing
            page.wait_for_timeout(300)  # into it
            states.append(page.get_by_test_id("stApp").get_attribute("data-test-script-state"))
            cut.append(shown)
        page.keyboard.press("ArrowRight")
    wait_for_idle(page, RUN_MS)
    view = wait_done(page, other_than=shown)
    assert states == ["running", "running"]  # each press came during a run
    heard = timeline(page)
    for run in cut:
        assert [e for e in heard if e[1] == "header" and e[2] == run] and not [
            e for e in heard if e[1] == "end" and e[2] == run
        ]
    assert [e for e in heard if e[1] == "end" and e[2] == view["run"]]
    settings = Settings(n=100_000, steps=10_000, lr=LR_STOPS[LR_STOPS.index(0.02) + 3])
    _, _, values, _ = engine(settings)
    assert_shows_step(view, values, 10_000)
    assert_background_is(view, settings)
    assert page.get_by_test_id("stException").count() == 0 and not page.console_errors


def test_a_million_points_train_in_full_and_draw_a_sample(page, streamlit_server):
    page.goto(f"{streamlit_server}/?n=1000000&steps=100")
    view = wait_done(page)
    settings = Settings(n=1_000_000, steps=100)
    _, _, values, _ = engine(settings)
    assert_shows_step(view, values, 100)
    assert len(trace(view, "fit", "data")["x"]) == 5000
    assert_background_is(view, settings)
    assert "5,000 of the 1,000,000 points" in page.locator(".gtl-note").inner_text()
    screenshot(page, "million-points")


# Each animation frame, the chart's step, state and status line when any of them changed.
STATUS_LOG_JS = """
(() => {
  const log = (window.statusLog = []);
  let last = '';
  const frame = () => {
    const r = document.querySelector('.gtl-view');
    if (r) {
      const entry = [r.dataset.run, r.dataset.step, r.dataset.state, r.querySelector('.gtl-status').textContent];
      const key = JSON.stringify(entry);
      if (key !== last) { last = key; log.push(entry); }
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();
"""


def test_the_status_says_what_is_known_while_the_run_animates_and_the_verdict_comes_with_its_last_frame(
    page, streamlit_server
):
    """A short run trains in a blink and animates for a second or two: meanwhile the status says it trained
    and which step is playing, never how it ends; the verdict arrives with the last frame."""
    page.add_init_script(STATUS_LOG_JS)
    page.goto(streamlit_server)
    view = wait_done(page)
    log = [e for e in page.evaluate("() => window.statusLog") if e[0] == view["run"] and e[1] not in ("", "start")]
    playing = [e for e in log if e[3].startswith("Trained ")]
    assert playing, log  # the run was over before its animation was
    for _, step, state, status in log:
        if step != "1000":
            assert state == "live" and not status.startswith("Converged"), (step, state, status)
        if status.startswith("Trained "):
            assert status == f"Trained 1,001 updates; playing step {int(step):,}.", (step, status)
    assert log[-1][1:3] == ["1000", "done"] and log[-1][3] == view["status"] and view["status"].startswith("Converged")
