"""Take the run home: its trajectory and its points as CSV, its charts as one HTML file, and a script that
reruns it with the blog's loop. Files are built only when their button is pressed (a million points take
~2 s to write), and pressing one does not rerun the page."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from linreg_core import export
from linreg_core.analysis import Analysis
from linreg_core.data import Dataset
from linreg_core.settings import Settings

MAX_HTML_POINTS = 5000  # points in the HTML file's data panel, as on the page


def trajectory_table(values: np.ndarray, columns: tuple[str, ...]) -> dict[str, Any]:
    """The run's records as the export's named columns, with their step numbers."""
    table = {name: values[:, columns.index(name)] for name in export.TRAJECTORY_COLUMNS if name in columns}
    return {"step": np.arange(len(values)), **table}


def plotly_text(text: str) -> str:
    """Plotly reads a subset of HTML in titles, names and hover text (links, bold, styled spans): every
    string the figure gets is escaped, so a column name from a file is shown as written."""
    return html.escape(str(text), quote=False)


def figure(settings: Settings, data: Dataset, analysis: Analysis, values: np.ndarray, columns) -> go.Figure:
    """The finished run as one standalone figure: the data with the final fit, the loss, the weights."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=("Data and final fit", "Loss", "Weights"))
    steps = np.arange(len(values))
    col = {name: values[:, i] for i, name in enumerate(columns)}
    rng = np.random.default_rng(0)
    idx = np.sort(rng.choice(data.n, size=min(data.n, MAX_HTML_POINTS), replace=False))
    xs = np.array([data.x.min(), data.x.max()], dtype=np.float64)
    fig.add_scatter(x=data.x[idx], y=data.y[idx], mode="markers", name="data", row=1, col=1, marker={"size": 5})
    fig.add_scatter(x=xs, y=analysis.w0_star * xs + analysis.w1_star, name="least squares",
                    line={"dash": "dot"}, row=1, col=1)  # fmt: skip
    if len(values):
        w0, w1 = float(col["w0"][-1]), float(col["w1"][-1])
        fig.add_scatter(x=xs, y=w0 * xs + w1, name=f"fit at step {len(values) - 1:,}", row=1, col=1)
        fig.add_scatter(x=steps, y=col["loss"], name="loss", row=1, col=2)
        fig.add_scatter(x=steps, y=col["w0"], name="w0", row=1, col=3)
        fig.add_scatter(x=steps, y=col["w1"], name="w1", row=1, col=3)
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_xaxes(title_text=plotly_text(data.x_label), row=1, col=1)
    fig.update_yaxes(title_text=plotly_text(data.y_label), row=1, col=1)
    fig.update_layout(
        title=plotly_text(f"GradientTape Lab: python -m linreg_core {' '.join(settings.cli_args())}".rstrip()),
        height=450, template="plotly_white",
    )  # fmt: skip
    return fig


def offer(settings: Settings, data: Dataset, analysis: Analysis, values: np.ndarray, columns) -> None:
    """The four download buttons, in a row under the chart."""
    st.caption("Take this run home:")
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        "Trajectory (CSV)", lambda: export.trajectory_csv(trajectory_table(values, columns)),
        file_name="gradienttape-trajectory.csv", mime="text/csv", on_click="ignore", icon=":material/table:",
        help="step, loss, w0, w1, dw0, dw1 for every step of the run",
    )  # fmt: skip
    row.download_button(
        "Data (CSV)", lambda: export.data_csv(data), file_name="gradienttape-data.csv", mime="text/csv",
        on_click="ignore", icon=":material/scatter_plot:", help="the points the run fitted",
    )  # fmt: skip
    row.download_button(
        "Charts (HTML)",
        lambda: figure(settings, data, analysis, values, columns).to_html(include_plotlyjs=True, full_html=True),
        file_name="gradienttape-run.html", mime="text/html", on_click="ignore", icon=":material/monitoring:",
        help="the data, the loss and the weights in one file that opens in any browser, offline",
    )  # fmt: skip
    reason = export.unsupported(settings, data)
    row.download_button(
        "Script (Python)", lambda: export.reproduce_script(settings, data), file_name="gradienttape_run.py",
        mime="text/x-python", on_click="ignore", icon=":material/code:", disabled=reason is not None,
        help=f"Not for this run: {reason}." if reason else "reruns this run with the blog's GradientTape loop "
        "and prints its table",
    )  # fmt: skip
