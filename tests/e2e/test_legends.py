"""Legends that never lie: each panel's legend names what that panel painted in this mode, and nothing else (a
true line only for points made from one, theory only where it predicts the run, a held-out loss only with a
hold-out), read from the browser's own legend and Plotly's painted traces."""

import pytest
from view import wait_done

pytestmark = pytest.mark.e2e

READ_JS = """
() => {
  const out = {};
  for (const fig of document.querySelectorAll('.gtl-view .gtl-panel')) {
    const name = Array.from(fig.classList).find((c) => c.startsWith('gtl-panel-')).slice(10);
    const legend = Array.from(fig.querySelectorAll('.gtl-legend .gtl-key'), (k) => k.textContent);
    const painted = {};
    for (const gd of fig.querySelectorAll('.gtl-plot')) {
      for (const t of gd._fullData || []) painted[t.name] = (t.x || []).length;
    }
    out[name] = { legend, painted };
  }
  return out;
}
"""


@pytest.mark.parametrize(
    "query, truth, theory, held_out",
    [
        ("/?steps=200", True, True, False),  # the blog's generator: a true line; full-batch gd: exact theory
        ("/?data=anscombe-2&lr=0.001&steps=200", False, True, False),  # real points: no line made them
        ("/?optimizer=adam&steps=100", True, False, False),  # adaptive steps: no exact prediction
        ("/?batch_size=10&steps=100", True, False, False),  # mini-batches: no exact prediction
        ("/?test_fraction=0.25&steps=200", True, True, True),  # a hold-out: its loss drawn, and named
    ],
)
def test_each_legend_names_what_its_panel_painted(page, streamlit_server, query, truth, theory, held_out):
    page.goto(f"{streamlit_server}{query}")
    wait_done(page)
    p = page.evaluate(READ_JS)
    fit, weights, gap, loss = p["fit"], p["weights"], p["gap"], p["loss"]
    assert ("true line" in fit["legend"]) == truth and (fit["painted"].get("true line", 0) > 0) == truth
    assert ("true" in weights["legend"]) == truth and (weights["painted"].get("true w0", 0) > 0) == truth
    assert ("theory" in gap["legend"]) == theory and (gap["painted"]["theory"] > 0) == theory
    assert ("held-out loss" in loss["legend"]) == held_out and (loss["painted"].get("held-out loss", 0) > 0) == held_out
    # and what is always drawn is always named
    assert {"data", "least squares", "current fit"} <= set(fit["legend"])
    assert p["landscape"]["legend"] == ["path", "start", "optimum"] and gap["legend"][0] == "run"
    assert fit["painted"]["data"] > 0 and gap["painted"]["gap"] > 0
