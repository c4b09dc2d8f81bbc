"""The physics in the browser (issue 16): the exact full-batch path the chart computes from the moments the page
sends, held against the trainer's own records (real TensorFlow, float32)."""

import numpy as np
import pytest
from view import chart_file, engine, wait_done

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
  const p = physics.path(L.moments, h.exact, L.start, h.lr, h.total);
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
