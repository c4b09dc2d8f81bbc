"""GradientTape Lab: drag a slider, watch tf.GradientTape fit a line. Wiring only: widgets -> engine -> figures."""

import streamlit as st

# Title first: on a fresh server the imports below take a moment, and the visitor should see the page
# start at once. (TensorFlow itself loads only once the controls are drawn.)
st.set_page_config(page_title="GradientTape Lab", layout="wide")
st.title("GradientTape Lab")
st.caption(
    "Gradient descent fits y = w0·x + w1 to noisy points. Each step takes the gradient of the mean squared "
    "error with `tf.GradientTape` and moves both weights against it with `assign_sub`, as in the blog post "
    "*Linear regression from scratch with tf.GradientTape*. Change any control in the sidebar: it retrains "
    "and animates."
)

import importlib  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from linreg_core import charts  # noqa: E402
from linreg_core.analysis import analyse  # noqa: E402
from linreg_core.data import linear_like  # noqa: E402
from linreg_core.live import (  # noqa: E402
    LR_OPTIONS,
    N_OPTIONS,
    BackgroundRun,
    FramePacer,
    RunResult,
    divergence_message,
    numbers_table,
    stability_note,
    with_value,
)
from linreg_core.settings import MAX_STEPS, Settings  # noqa: E402

NOISE_KINDS = ("uniform", "gaussian")


def controls():
    """The sidebar. Returns the run's settings, the log-axis choice, whether 'run again' was pressed, and
    the slot under the learning rate where the page states the data's stable range."""
    d = Settings()
    sb = st.sidebar
    sb.header("Data")
    n = sb.select_slider(
        "points n", with_value(N_OPTIONS, st.session_state.get("n", d.n)), value=d.n, key="n",
        format_func=lambda v: f"{v:,}", help="How many (x, y) points to generate. Training always uses all of them.",
    )
    w0 = sb.slider("true slope w0", -10.0, 10.0, d.w0, 0.1, key="w0", help="The slope the data is made with.")
    w1 = sb.slider("true intercept w1", -10.0, 10.0, d.w1, 0.1, key="w1", help="The intercept the data is made with.")
    noise = sb.slider(
        "noise", 0.0, 5.0, d.noise, 0.05, key="noise",
        help="Scale of the noise added to y. Uniform noise (the blog's) is never negative, so the best "
        "intercept sits about noise/2 above the true one.",
    )
    noise_kind = sb.radio(
        "noise kind", NOISE_KINDS, index=NOISE_KINDS.index(d.noise_kind), key="noise_kind", horizontal=True,
        help="uniform: noise·U[0,1) as in the blog; gaussian: noise·N(0,1), zero-mean.",
    )
    seed = sb.number_input("seed", 0, 2**31 - 1, d.seed, key="seed", help="Same seed, same points, on any machine.")
    sb.header("Gradient descent")
    steps = sb.slider(
        "steps", 0, MAX_STEPS, d.steps, 10, key="steps",
        help="Last step number; like the blog's range(steps + 1), it makes steps + 1 updates.",
    )
    lr = sb.select_slider(
        "learning rate", with_value(LR_OPTIONS, st.session_state.get("lr", d.lr)), value=d.lr, key="lr",
        format_func=lambda v: f"{v:g}",
        help="Step size of each update (log scale). Above the critical rate 2/λmax the weights oscillate "
        "with growing amplitude and the run diverges.",
    )
    lr_note = sb.empty()
    with sb.expander("Starting weights"):
        init_w0 = st.slider("initial w0", -10.0, 10.0, d.init_w0, 0.5, key="init_w0", help="Slope before step 0.")
        init_w1 = st.slider("initial w1", -10.0, 10.0, d.init_w1, 0.5, key="init_w1", help="Intercept before step 0.")
    sb.header("View")
    log_y = sb.toggle("log-scale loss", value=True, key="log_y", help="Show the loss on a logarithmic axis.")
    again = sb.button("Run again", type="primary", width="stretch", help="Repeat this run and its animation.")
    settings = Settings(
        n=int(n), w0=w0, w1=w1, noise=noise, noise_kind=noise_kind, seed=int(seed), steps=steps, lr=lr,
        init_w0=init_w0, init_w1=init_w1,
    )
    return settings, log_y, again, lr_note


TEXT_EVERY = 4  # the table and progress bar follow every 4th live frame; the chart title has every one
LIVE_KEY = "live-chart"  # keyed elements carry the class st-key-<key>, where late frames find the chart
BROWSER_READY = "browser_ready"  # session flag: this visitor's live chart has drawn (or waited long enough)


@st.cache_resource
def live_plot():
    """The live chart's front end (stateless: registered once per server, shared by every visitor)."""
    js = (Path(charts.__file__).parent / "live_plot.js").read_text()
    return st.components.v2.component("gradienttape_lab.live_plot", js=js, isolate_styles=False)


@st.cache_data(max_entries=8, show_spinner=False)
def dataset(data_settings: Settings):
    return linear_like(data_settings)


@st.cache_data(max_entries=8, show_spinner=False)
def reference(data_settings: Settings):
    return analyse(dataset(data_settings))


def live_view(data, info, settings: Settings, sample, log_y: bool) -> charts.LiveView:
    return charts.LiveView(
        data, info, sample, total_steps=settings.steps, init_w0=settings.init_w0, init_w1=settings.init_w1,
        log_y=log_y,
    )


def live_frame(view: charts.LiveView, records) -> dict:
    """What the live chart's front end gets for one frame (see live_plot.js)."""
    background, foreground = view.frame(records)
    step = records[-1].step if records else 0
    frame = {"slot": "live", "fg": foreground, "step": step, "host": f".st-key-{LIVE_KEY}"}
    if background is not None:
        frame |= {"bg": background, "bg_version": view.version}
    return frame


def train_live(trainer, data, info, settings: Settings, sample, log_y: bool, slots) -> RunResult:
    """Train on a worker thread while this one draws frames: ~45 log-spaced ones, or the newest step when
    training is slower than that, at up to 30 per second, always ending on the last step.

    The chart is mounted once; each later frame travels as a tiny invisible element in `sink` and
    redraws only the moving parts (see live_plot.js), which keeps the browser at ~30 painted frames/s.
    """
    chart, sink, numbers, progress = slots
    init = (settings.init_w0, settings.init_w1)
    view = live_view(data, info, settings, sample, log_y)
    run = trainer.TrainingRun(data, settings)
    pacer = FramePacer(run.total_steps)
    live = live_plot()
    start = time.perf_counter()
    with BackgroundRun(run) as training:
        while True:
            time.sleep(pacer.wait(time.perf_counter()))
            finished = training.finished.is_set()  # read before the records, so none can arrive unseen
            i = pacer.pick(len(training.records))
            if i is None:
                if finished:
                    break
                training.finished.wait(0.002)  # the next step is still training
                continue
            record = training.records[i]
            frame = live_frame(view, training.records[: i + 1])
            if not pacer.frames_drawn:
                with chart:
                    live(data={**frame, "attach": True, "height": charts.HEIGHT}, key=LIVE_KEY)
            else:
                with sink:
                    live(data=frame, key=f"live-frame-{pacer.frames_drawn}")
            if pacer.frames_drawn % TEXT_EVERY == 0:  # text redraws cost the browser more than the chart's
                numbers.markdown(numbers_table(record, data, info, init))
                progress.progress((i + 1) / run.total_steps, text=f"step {record.step:,} of {settings.steps:,}")
            pacer.drawn(i, time.perf_counter())
    training.check()
    # the last carrier stays: emptying the sink now would replace it before the browser mounts it,
    # and the live view would stop short of the final step
    return RunResult(settings, tuple(training.records), run.divergence, time.perf_counter() - start)


settings, log_y, again, lr_note = controls()
data = dataset(settings.changed(steps=1000, lr=0.02, init_w0=0.0, init_w1=0.0))
info = reference(settings.changed(steps=1000, lr=0.02, init_w0=0.0, init_w1=0.0))
lr_note.caption(stability_note(info, settings.lr))
sample = charts.sample_points(data)

progress = st.empty()
chart = st.empty()
sink = st.sidebar.empty()  # carries live frames; shows nothing
left, right = st.columns(2, vertical_alignment="top")
numbers = left.empty()
weights = right.empty()


def browser_ready() -> None:
    st.session_state[BROWSER_READY] = True


def start_picture(data, info, settings: Settings, sample, log_y: bool, slots) -> None:
    """A new visit: the data and the starting line, drawn by the live chart itself, which reports (see
    live_plot.js) once the browser can draw; that report reruns the page, and the rerun trains. Training
    at once would send the live frames to a browser still busy loading the page, which would drop them."""
    chart, numbers, weights = slots
    frame = live_frame(live_view(data, info, settings, sample, log_y), [])
    with chart:
        live_plot()(
            data={**frame, "attach": True, "height": charts.HEIGHT, "handshake": True},
            key=LIVE_KEY, on_ready_change=browser_ready,
        )
    # a Plotly chart on the page makes the browser load the Plotly the live chart borrows
    weights.plotly_chart(
        charts.weights_figure([], info, true_w0=data.true_w0, true_w1=data.true_w1), key="weights-start",
        width="stretch",
    )
    numbers.markdown(numbers_table(None, data, info, (settings.init_w0, settings.init_w1)))


result = st.session_state.get("result")
if again or result is None or result.settings != settings:
    ready = st.session_state.get(BROWSER_READY, False)
    if not ready:
        start_picture(data, info, settings, sample, log_y, (chart, numbers, weights))
    with st.spinner("Loading TensorFlow (about 5 s, once per server)…"):
        trainer = importlib.import_module("linreg_core.trainer")
    if not ready:
        st.stop()  # the live chart's report reruns the page, and that run trains
    result = train_live(trainer, data, info, settings, sample, log_y, (chart, sink, numbers, progress))
    st.session_state["result"] = result

last = result.records[-1] if result.records else None
init = (settings.init_w0, settings.init_w1)
if result.divergence is not None:
    progress.error(divergence_message(result.divergence, info, settings.lr))
else:
    progress.success(
        f"Trained {len(result.records):,} steps on {data.n:,} points in {result.seconds:.2f} s "
        f"(animation included). Press Play on the chart to replay, or drag its slider to scrub."
    )
numbers.markdown(numbers_table(last, data, info, init))
chart.plotly_chart(
    charts.replay_figure(data, info, result.records, sample, init_w0=init[0], init_w1=init[1], log_y=log_y),
    key="replay", width="stretch",
)
if result.records:
    weights.plotly_chart(
        charts.weights_figure(result.records, info, true_w0=data.true_w0, true_w1=data.true_w1),
        key="weights", width="stretch",
    )
