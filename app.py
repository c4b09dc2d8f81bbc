"""GradientTape Lab: drag a slider, watch tf.GradientTape fit a line. Wiring only: controls -> engine -> views."""

import streamlit as st

# Title first: on a fresh server the imports below take a moment, and the visitor should see the page start.
st.set_page_config(page_title="GradientTape Lab", layout="wide")
st.title("GradientTape Lab")
st.caption(
    "Gradient descent fits y = w0·x + w1 to noisy points. Each step takes the gradient of the mean squared "
    "error with `tf.GradientTape` and moves both weights against it with `assign_sub`, as in the blog post "
    "*Linear regression from scratch with tf.GradientTape*. Change the learning rate above the chart "
    "(the data is in the sidebar) and watch the run; then replay it with Play or scrub through its steps."
)

from dashboard import service  # noqa: E402

service.training_service()  # TensorFlow starts loading in the worker now, while the page's imports go on
from dashboard import page  # noqa: E402  (NumPy, Plotly and the engine; TensorFlow loads in the worker)

trainer = page.training_service()
settings, chosen = page.controls_panel()
page.url_notices()
page.restore_pins(trainer)
theory = page.about_data(settings, chosen)
page.run_chart(settings, chosen, theory, trainer)
page.compare(settings, chosen)
page.take_home(settings, chosen, theory)
page.share(settings)
