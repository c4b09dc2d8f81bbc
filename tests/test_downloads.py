"""The HTML download: every panel the page shows, titled, with axis titles, in the page's light colours, with
the run's settings and a proper <title>; the figure's numbers are the run's own records."""

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest

from dashboard import downloads, texts
from linreg_core.claims import claims
from linreg_core.data import load
from linreg_core.settings import Settings
from linreg_core.theory import theory

JS_PANELS = Path(__file__).resolve().parents[1] / "dashboard" / "chart" / "js" / "panels.js"


def spec_of(page: str) -> tuple[list, dict]:
    """The traces and layout Plotly.newPlot gets in the file."""
    decoder = json.JSONDecoder()
    at = re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*", page).end()
    traces, end = decoder.raw_decode(page, at)
    layout, _ = decoder.raw_decode(page, re.compile(r",\s*").match(page, end).end())
    return traces, layout


def a_run(settings: Settings):
    from linreg_core.trainer import COLUMNS, TrainingRun

    data = load(settings)
    values = np.concatenate([b.values for b in TrainingRun(data, settings).blocks()])
    return claims(theory(data, settings)), data, values, COLUMNS


def test_the_panel_titles_are_the_run_charts():
    js = JS_PANELS.read_text()
    assert texts.PANELS == tuple(re.search(r"ORDER = \[(.*?)\]", js)[1].replace('"', "").split(", "))
    for key, title in texts.PANEL_TITLES.items():
        assert re.search(rf'{key}: "{re.escape(title)}"', js), key


@pytest.mark.parametrize(
    "settings",
    [Settings(steps=300, lr=0.05), Settings(data="tips", test_fraction=0.2, steps=200, optimizer="momentum")],
)
def test_the_html_holds_every_panel_titled_in_the_pages_light_colours_with_the_runs_settings(settings):
    c, data, values, columns = a_run(settings)
    page = downloads.report(c, data, values, columns)
    title = html.unescape(re.search(r"<title>(.*?)</title>", page)[1])
    assert title.startswith("GradientTape Lab: ") and data.title in title and "learning rate" in title
    for line in downloads.settings_lines(settings):
        assert f"<li>{html.escape(line)}</li>" in page
    assert "python -m linreg_core" in page
    traces, layout = spec_of(page)
    titles = [a["text"] for a in layout["annotations"]]
    assert titles == [texts.PANEL_TITLES[p] for p in texts.PANELS]
    # every panel has traces, and every axis of a panel its title
    axes = {t.get("xaxis", "x") for t in traces}
    assert axes == {"x", "x2", "x3", "x4", "x5"}
    for k in ("", "2", "3", "4", "5"):
        assert layout[f"xaxis{k}"]["title"]["text"] and layout[f"yaxis{k}"]["title"]["text"], k
    # the page's light colours, read from the chart's style sheet
    light = downloads.light_colors()
    assert set(light) >= {"data", "fit", "optimum", "w0", "w1", "theory"} and light["fit"] == "#e8590c"
    drawn = [t for t in traces if t["type"] != "contour"]
    used = {t.get("line", {}).get("color") or t.get("marker", {}).get("color") for t in drawn}
    assert used - {None} <= set(light.values())
    assert layout["paper_bgcolor"] == "#ffffff" and layout["plot_bgcolor"] == "#ffffff"
    # its numbers are the run's: the final fit, the loss curve, the path's end in the weights trained
    by_name = {t["name"]: t for t in traces}
    fit = by_name[f"fit at step {settings.steps:,}"]
    w0, w1 = float(values[-1, 1]), float(values[-1, 2])
    np.testing.assert_allclose(decoded(fit["y"]), w0 * decoded(fit["x"]) + w1, rtol=1e-9)
    np.testing.assert_array_equal(np.float32(decoded(by_name["loss"]["y"])), values[:, 0])
    if c.held_out:
        np.testing.assert_array_equal(np.float32(decoded(by_name["held-out loss"]["y"])), values[:, 5])


def decoded(y):
    """Plotly writes a NumPy array as {dtype, bdata} (base64), a list as itself."""
    if isinstance(y, dict):
        import base64

        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
    return np.array(y)
