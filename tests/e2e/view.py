"""Reading the run chart as the browser painted it, and comparing it with the engine.

Plain functions (no pytest import), shared by the browser tests and the benchmarks.
"""

from __future__ import annotations

import numpy as np

from linreg_core.analysis import analyse
from linreg_core.data import linear_like
from linreg_core.settings import Settings

VIEW = ".gtl-view"
RUN_MS = 120_000


def chart_module(base: str = "document.baseURI") -> str:
    """A JS expression for the chart's entry module as the page loaded it (the one instance the page's own
    loaders share): `await` it in page.evaluate to read its `timeline`, or to mount a view of one's own.
    `base`: a JS expression for the app's address (the page's own, on the app's page)."""
    from dashboard.chart import assets

    entry = assets.bundle().url + assets.ENTRY
    return f"import(new URL({entry!r}, {base}).href)"


def chart_file(name: str, base: str = "document.baseURI") -> str:
    """A JS expression importing another of the chart's modules (js/), the instance the page's chart uses."""
    from dashboard.chart import assets

    return f"import(new URL({assets.bundle().url + name!r}, {base}).href)"


def timeline(page) -> list:
    """What reached the chart and when: [wall-clock ms, event, run, detail] (js/timeline.js)."""
    return page.evaluate(f"async () => (await {chart_module()}).timeline")


# One evaluate: the view's state and everything it painted, read in the same tick so they belong together.
_READ_JS = r"""
() => {
  const root = document.querySelector('.gtl-view');
  if (!root) return null;
  const plots = {};
  for (const gd of root.querySelectorAll('.gtl-plot')) {
    plots[gd.dataset.plot] = (gd._fullData || []).map(t => ({
      name: t.name, visible: t.visible, x: Array.from(t.x || [], Number), y: Array.from(t.y || [], Number),
    }));
    plots[gd.dataset.plot + ':yrange'] = gd._fullLayout ? gd._fullLayout.yaxis.range.slice() : null;
    plots[gd.dataset.plot + ':ytype'] = gd._fullLayout ? gd._fullLayout.yaxis.type : null;
    plots[gd.dataset.plot + ':xtype'] = gd._fullLayout ? gd._fullLayout.xaxis.type : null;
  }
  const table = {};
  for (const tr of root.querySelectorAll('.gtl-numbers tbody tr')) {
    table[tr.dataset.row] = Array.from(tr.querySelectorAll('td'), td => td.textContent);
  }
  const head = Array.from(root.querySelectorAll('.gtl-numbers thead th'), th => th.textContent);
  const status = root.querySelector('.gtl-status');
  return {
    run: root.dataset.run, state: root.dataset.state, step: root.dataset.step, paints: +root.dataset.paints,
    status: status.textContent, kind: status.dataset.kind, title: root.querySelector('.gtl-title').textContent,
    table, head, plots, scrub: +root.querySelector('.gtl-scrub').value,
  };
}
"""


def read(page) -> dict | None:
    """The view as painted, after the frames already asked for (an input's redraw happens on the next
    animation frame) have been drawn."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return page.evaluate(_READ_JS)


def trace(view: dict, plot: str, name: str) -> dict:
    """A painted trace of a panel by its name, in either of the panel's two layers (moving, or static)."""
    traces = view["plots"][plot] + view["plots"].get(f"{plot}-under", [])
    matches = [t for t in traces if t["name"] == name]
    assert len(matches) == 1, (plot, name, [t["name"] for t in traces])
    return matches[0]


def steps_of(view: dict, plot: str, xs) -> list[int]:
    """The record indices a step chart's x values stand for: on a log step axis x is step + 1 (the updates
    made; js/panels.js), on a linear one the step itself."""
    offset = 1 if view["plots"][f"{plot}:xtype"] == "log" else 0
    return [int(round(x)) - offset for x in xs]


def wait_done(page, other_than: str | None = None, timeout: float = RUN_MS) -> dict:
    """Wait until the view shows a finished run (a run other than `other_than`, if given)."""
    page.wait_for_function(
        """(other) => { const r = document.querySelector('.gtl-view');
             return r && r.dataset.state === 'done' && (!other || r.dataset.run !== other); }""",
        arg=other_than, timeout=timeout, polling=25,
    )  # fmt: skip
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
    return read(page)


def wait_live(page, other_than: str, timeout: float = RUN_MS) -> dict:
    """Wait for the first frame of a new run (a run other than `other_than`) that shows a trained step,
    and read the view in that same tick, while the run is still live."""
    return page.wait_for_function(
        f"""(other) => {{ const r = document.querySelector('.gtl-view');
             if (!r || r.dataset.run === other || r.dataset.state !== 'live' || r.dataset.step === 'start'
                 || r.dataset.step === '') return null;
             return ({_READ_JS})(); }}""",
        arg=other_than, timeout=timeout, polling="raf",
    ).json_value()  # fmt: skip


def press(page, key: str, name: str, times: int = 1) -> None:
    """Focus the slider keyed `key` and press a key on it `times` times."""
    thumb = page.locator(f".st-key-{key}").get_by_role("slider").first
    thumb.focus()
    for _ in range(times):
        page.keyboard.press(name)


def engine(settings: Settings):
    """What the engine says for these settings: data, analysis, the records' table, and the divergence."""
    from linreg_core.trainer import COLUMNS, TrainingRun

    data = linear_like(settings)
    run = TrainingRun(data, settings)
    blocks = list(run.blocks())
    values = np.concatenate([b.values for b in blocks]) if blocks else np.empty((0, len(COLUMNS)), np.float32)
    return data, analyse(data), values, run.divergence


def sample(data, max_points: int = 5000, seed: int = 0):
    """The points the page draws (view_model.drawn)."""
    if data.n <= max_points:
        return data.x, data.y
    idx = np.sort(np.random.default_rng(seed).choice(data.n, size=max_points, replace=False))
    return data.x[idx], data.y[idx]


def assert_background_is(view: dict, settings: Settings) -> None:
    """The data panel shows these settings' points and reference lines, and nothing of another run's."""
    data, info, _, _ = engine(settings.changed(steps=0))
    xs, ys = sample(data)
    points = trace(view, "fit", "data")
    np.testing.assert_array_equal(np.float32(points["x"]), xs)
    np.testing.assert_array_equal(np.float32(points["y"]), ys)
    for name, (w0, w1) in (("true line", (settings.w0, settings.w1)), ("least squares", (info.w0_star, info.w1_star))):
        line = trace(view, "fit", name)
        expected = [w0 * x + w1 for x in line["x"]]
        np.testing.assert_allclose(line["y"], expected, rtol=1e-9, atol=1e-9)
    optimum = trace(view, "loss", "least-squares loss")
    assert np.isclose(optimum["y"][0], max(info.loss_star, 1e-12), rtol=1e-9)


def assert_shows_step(view: dict, values: np.ndarray, step: int) -> None:
    """The title, the numbers table, the fit line and the weight markers all show record `step`."""
    loss, w0, w1 = (float(v) for v in values[step, :3])
    assert view["head"][1] == f"step {step:,}"
    assert view["table"]["w0"][0] == f"{w0:.4f}" and view["table"]["w1"][0] == f"{w1:.4f}", view["table"]
    assert view["title"].startswith((f"Step {step:,} of ", f"Step {step:,} (the only update)"))
    fit = trace(view, "fit", "current fit")
    np.testing.assert_allclose(fit["y"], [w0 * x + w1 for x in fit["x"]], rtol=1e-6, atol=1e-6)
    marker = trace(view, "weights", "shown step")
    assert steps_of(view, "weights", marker["x"]) == [step, step]
    np.testing.assert_allclose(marker["y"], [w0, w1], rtol=1e-6)
    loss_marker = trace(view, "loss", "shown step")
    assert steps_of(view, "loss", loss_marker["x"]) == [step]
    assert np.isclose(loss_marker["y"][0], max(loss, 1e-12), rtol=1e-6)
