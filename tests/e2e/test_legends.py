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


GRADIENT, MINI_BATCH = "−lr·∇L into the step shown", "−lr·∇L of its mini-batch"
TAKEN, ADAPTIVE = "step taken (with the velocity)", "step taken (rescaled, not −lr·∇L)"


@pytest.mark.parametrize(
    "query, truth, theory, held_out, arrows",
    [
        ("/?steps=200", True, True, False, {"gradient": GRADIENT}),  # the blog's generator: a true line;
        # full-batch gd: exact theory, and −lr·∇L is the step taken
        ("/?data=anscombe-2&lr=0.001&steps=200", False, True, False, {"gradient": GRADIENT}),  # real points
        ("/?optimizer=adam&steps=100", True, False, False, {"step taken": ADAPTIVE}),  # adaptive: no exact prediction
        ("/?batch_size=10&steps=100", True, False, False, {"gradient": MINI_BATCH}),  # mini-batches: none either
        ("/?test_fraction=0.25&steps=200", True, True, True, {"gradient": GRADIENT}),  # a hold-out's loss
        ("/?optimizer=momentum&lr=0.05&steps=100", True, True, False, {"gradient": GRADIENT, "step taken": TAKEN}),
    ],
)  # fmt: skip
def test_each_legend_names_what_its_panel_painted(page, streamlit_server, query, truth, theory, held_out, arrows):
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
    assert p["landscape"]["legend"] == ["path", "start", "optimum", *arrows.values()] and gap["legend"][0] == "run"
    assert fit["painted"]["data"] > 0 and gap["painted"]["gap"] > 0
    assert "residuals" in fit["legend"] and fit["painted"]["residuals"] == 3 * fit["painted"]["data"]
    # the arrows at the step shown (the last): each one named is painted, and no other
    painted = {name for name in ("gradient", "step taken") if p["landscape"]["painted"][name]}
    assert painted == set(arrows) and all(p["landscape"]["painted"][name] >= 2 for name in arrows)
