"""Take the run home: its trajectory and its points as CSV, its charts as one HTML file, and a script that
reruns it with the blog's loop. Files are built only when their button is pressed (a million points take
~2 s to write), and pressing one does not rerun the page."""

from __future__ import annotations

import html
import re
import shlex
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from linreg_core import export
from linreg_core.claims import Claims
from linreg_core.data import Dataset
from linreg_core.settings import Settings, format_value, knobs

from . import texts, view_model

MAX_HTML_POINTS = 5000  # points in the HTML file's data panel, as on the page
CHART_CSS = Path(__file__).parent / "chart" / "chart.css"
GAP_FLOOR = 1e-12  # a gap of 0 (float32 at the optimum) drawn on a log axis, relative to the loss


def trajectory_table(values: np.ndarray, columns: tuple[str, ...]) -> dict[str, Any]:
    """The run's records as the export's named columns, with their step numbers."""
    table = {name: values[:, columns.index(name)] for name in export.TRAJECTORY_COLUMNS if name in columns}
    return {"step": np.arange(len(values)), **table}


def plotly_text(text: str) -> str:
    """Plotly reads a subset of HTML in titles, names and hover text (links, bold, styled spans): every
    string the figure gets is escaped, so a column name from a file is shown as written."""
    return html.escape(str(text), quote=False)


def light_colors() -> dict[str, str]:
    """The run chart's colours on a light page, from its own style sheet (the first rule, before the dark one)."""
    light = CHART_CSS.read_text(encoding="utf-8").split(".gtl-dark", 1)[0]
    return dict(re.findall(r"--gtl-([a-z0-9]+):\s*(#[0-9a-fA-F]{3,8})", light))


def settings_lines(settings: Settings) -> list[str]:
    """Every setting the run uses, as `label: value`, in declaration order."""
    return [f"{k.label}: {format_value(getattr(settings, name))}" for name, _, _, k in knobs(type(settings))
            if settings.applies(name)]  # fmt: skip


def figure(c: Claims, data: Dataset, values: np.ndarray, columns) -> go.Figure:
    """The finished run as one standalone figure: the page's five panels, their titles and axis titles, in
    the page's light colours."""
    color = light_colors()
    fig = make_subplots(rows=3, cols=2, subplot_titles=[texts.PANEL_TITLES[p] for p in texts.PANELS],
                        vertical_spacing=0.08, horizontal_spacing=0.1)  # fmt: skip
    col = {name: values[:, i].astype(np.float64) for i, name in enumerate(columns)}
    steps = np.arange(len(values))
    final = (float(col["w0"][-1]), float(col["w1"][-1])) if len(values) else None
    _fit_panel(fig, c, data, final, color)
    _landscape_panel(fig, c, col, color)
    _step_panels(fig, c, col, steps, color)
    fig.update_layout(
        height=1250, template="plotly_white", paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": -0.04}, margin={"t": 60},
    )  # fmt: skip
    return fig


def _line(fig, w, xs, name, color, dash=None, width=2) -> None:
    fig.add_scatter(x=xs, y=w[0] * xs + w[1], name=name, mode="lines", row=1, col=1,
                    line={"color": color, "dash": dash, "width": width})  # fmt: skip


def _fit_panel(fig, c: Claims, data: Dataset, final, color) -> None:
    points = view_model.drawn(data, MAX_HTML_POINTS)
    xs = np.array([points.x_min, points.x_max], dtype=np.float64)
    fig.add_scatter(x=points.x, y=points.y, mode="markers", name="data", row=1, col=1,
                    marker={"size": 6, "color": color["data"], "opacity": 0.75})  # fmt: skip
    if data.generated:
        _line(fig, (data.true_w0, data.true_w1), xs, "true line", color["true"], "dash")
    _line(fig, c.optimum, xs, "least squares", color["optimum"], "dot")
    if final is not None:
        _line(fig, final, xs, f"fit at step {c.settings.steps:,}", color["fit"], width=3)
    fig.update_xaxes(title_text=plotly_text(data.x_label), row=1, col=1)
    fig.update_yaxes(title_text=plotly_text(data.y_label), row=1, col=1)


def _landscape_panel(fig, c: Claims, col, color) -> None:
    land = view_model.landscape(c)
    size = land["size"]
    grid = lambda lo, hi: np.linspace(lo, hi, size)  # noqa: E731
    z = view_model.decode(land["log_gap"]).reshape(size, size)
    fig.add_contour(x=grid(*land["w0"]), y=grid(*land["w1"]), z=z, ncontours=14, showscale=False, row=1, col=2,
                    colorscale=[[0, "#a5c8f5"], [1, "#ffffff"]], contours={"coloring": "heatmap"},
                    line={"width": 1, "color": "rgba(49,51,63,0.12)"}, hoverinfo="skip", name="landscape",
                    showlegend=False)  # fmt: skip
    k = c.coords
    if "w0" in col:  # the records are the line in x's own units; the landscape is in the weights trained
        v0, v1 = col["w0"] * k.scale, col["w1"] + col["w0"] * k.shift
        px, py = np.r_[c.start_trained[0], v0], np.r_[c.start_trained[1], v1]
        fig.add_scatter(x=px, y=py, mode="lines", name="path", line={"color": color["fit"], "width": 2},
                        row=1, col=2)  # fmt: skip
    for name, (x, y), marker in (
        ("start", list(c.start_trained), {"color": color["muted"], "size": 9}),
        ("optimum", land["optimum"], {"symbol": "x-thin", "size": 14, "line": {"color": color["optimum"], "width": 3}}),
    ):
        fig.add_scatter(x=[x], y=[y], mode="markers", name=name, marker=marker, row=1, col=2)
    fig.update_xaxes(title_text=plotly_text(k.titles[0]), range=land["w0"], row=1, col=2)
    fig.update_yaxes(title_text=plotly_text(k.titles[1]), range=land["w1"], row=1, col=2)


def _step_panels(fig, c: Claims, col, steps, color) -> None:
    last = max(c.settings.steps, 1)
    if "loss" in col:
        fig.add_scatter(x=steps, y=col["loss"], name="loss", line={"color": color["fit"]}, row=2, col=1)
        if c.held_out and "test_loss" in col:
            fig.add_scatter(x=steps, y=col["test_loss"], name="held-out loss", row=2, col=1,
                            line={"color": color["theory"], "dash": "dash"})  # fmt: skip
        floor = GAP_FLOOR * max(abs(c.loss_star), 1.0)
        fig.add_scatter(x=steps, y=np.maximum(col["loss"] - c.loss_star, floor), name="gap: run", row=2, col=2,
                        line={"color": color["fit"]})  # fmt: skip
        if c.predicted is not None:
            fig.add_scatter(x=steps, y=np.maximum(np.asarray(c.predicted)[: len(steps)], floor), name="gap: theory",
                            line={"color": color["theory"], "dash": "dash"}, row=2, col=2)  # fmt: skip
    fig.add_scatter(x=[0, last], y=[c.loss_star] * 2, name="least-squares loss", mode="lines", row=2, col=1,
                    line={"color": color["optimum"], "dash": "dash"})  # fmt: skip
    for name, label in (("w0", "w0 (slope)"), ("w1", "w1 (intercept)")):
        if name in col:
            fig.add_scatter(x=steps, y=col[name], name=label, line={"color": color[name]}, row=3, col=1)
    for w, name in zip(c.optimum, ("w0", "w1"), strict=True):
        fig.add_scatter(x=[0, last], y=[w, w], mode="lines", name=f"least-squares {name}", row=3, col=1,
                        line={"color": color[name], "dash": "dot", "width": 1.5})  # fmt: skip
    fig.update_yaxes(type="log", title_text="loss (MSE)", row=2, col=1)
    fig.update_yaxes(type="log", title_text="loss − least-squares loss", row=2, col=2)
    fig.update_yaxes(title_text="weight", row=3, col=1)
    for row, column in ((2, 1), (2, 2), (3, 1)):
        fig.update_xaxes(title_text="step", range=[0, last], row=row, col=column)


def report(c: Claims, data: Dataset, values: np.ndarray, columns) -> str:
    """The HTML file: a titled page with the run's settings, its command line and the figure (Plotly inside)."""
    s = c.settings
    title = f"GradientTape Lab: {data.title}, {c.optimizer.label} at learning rate {format_value(s.lr)}"
    items = "".join(f"<li>{html.escape(line)}</li>" for line in settings_lines(s))
    command = html.escape(shlex.join(export.command(s, data)))
    plot = figure(c, data, values, columns).to_html(include_plotlyjs=True, full_html=False)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
        "<style>body{font-family:sans-serif;color:#31333F;background:#fff;margin:1.5em}"
        "ul{columns:3;font-size:0.9em}code{font-size:0.9em}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(data.description)}</p>\n"
        f"<h2>Settings</h2>\n<ul>{items}</ul>\n<p>The same run from the command line: <code>{command}</code></p>\n"
        f"{plot}\n</body>\n</html>\n"
    )


def offer(c: Claims, data: Dataset, values: np.ndarray, columns) -> None:
    """The four download buttons, in a row under the chart."""
    settings = c.settings
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
        lambda: report(c, data, values, columns),
        file_name="gradienttape-run.html", mime="text/html", on_click="ignore", icon=":material/monitoring:",
        help="every panel of the run, with its settings, in one file that opens in any browser, offline",
    )  # fmt: skip
    row.download_button(
        "Script (Python)", lambda: export.reproduce_script(settings, data), file_name="gradienttape_run.py",
        mime="text/x-python", on_click="ignore", icon=":material/code:",
        help="reruns this run with the blog's GradientTape loop and prints its table",
    )  # fmt: skip
