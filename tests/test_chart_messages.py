"""What the page tells the run chart, read with Streamlit's AppTest: the steps the chart draws (chosen once, in
Python), each run's legends, its status codes; every message follows dashboard/chart/schema.py."""

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.chart import schema
from dashboard.view_model import decode, log_steps

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.mark.parametrize("total, count", [(1, 45), (45, 45), (46, 45), (1001, 45), (10_001, 800), (10_001, 1000)])
def test_log_steps_are_every_log_spaced_index_then_evenly_spaced_ones(total, count):
    """Each k of `count` log-spaced slots lands on round(total^(k/(count-1))) - 1: early slots repeat indices
    (every early step is in), and the slots left over go to evenly spaced later steps."""
    steps = log_steps(total, count)
    assert len(steps) == min(total, count) and steps == sorted(set(steps))
    assert steps[0] == 0 and steps[-1] == total - 1
    if total > count:
        logs = {round(total ** (k / (count - 1))) - 1 for k in range(count)}
        evens = {round((total - 1) * k / (count - 1)) for k in range(count)}
        assert logs <= set(steps) and set(steps) - logs <= evens
        assert steps[:8] == list(range(8))  # the fast start, step by step


def test_log_steps_of_nothing_or_one_slot():
    assert log_steps(0, 10) == [] and log_steps(5, 0) == [] and log_steps(7, 1) == [6]


def sent(query: dict) -> list[dict]:
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    messages = [json.loads(c.proto.bytes) for c in at.get("bidi_component") if c.proto.bytes]
    for message in messages:
        assert not schema.problems(message), (message["kind"], schema.problems(message))
    return messages


def only(messages: list[dict], kind: str) -> dict:
    (message,) = [m for m in messages if m["kind"] == kind]
    return message


def test_a_header_carries_the_steps_the_chart_draws_and_theory_at_them():
    messages = sent({"steps": "3000"})
    header = only(messages, "header")
    total = 3001
    assert header["steps"] == {"live": log_steps(total, 45), "curve": log_steps(total, 800)}
    from linreg_core.data import linear_like
    from linreg_core.settings import Settings
    from linreg_core.theory import theory

    settings = Settings(steps=3000)
    predicted = theory(linear_like(settings), settings).predicted_gap()
    np.testing.assert_array_equal(decode(header["predicted"]), np.float32(predicted[header["steps"]["curve"]]))
    assert only(messages, "end")["status"]["code"] == schema.Code.FINISHED


@pytest.mark.parametrize(
    "query, truth, theory, held_out, arrows",
    [
        ({}, True, True, False, ["gradient_step"]),
        ({"data": "tips", "lr": "0.001", "steps": "100"}, False, True, False, ["gradient_step"]),
        ({"optimizer": "rmsprop", "steps": "50"}, True, False, False, ["adaptive_step"]),
        ({"test_fraction": "0.2", "batch_size": "10", "steps": "50"}, True, False, True, ["batch_gradient_step"]),
        ({"optimizer": "nesterov", "steps": "50"}, True, True, False, ["gradient_step", "momentum_step"]),
        ({"optimizer": "momentum", "batch_size": "10", "steps": "50"}, True, False, False,
         ["batch_gradient_step", "momentum_step"]),
    ],
)  # fmt: skip
def test_a_runs_legends_name_only_what_is_drawn(query, truth, theory, held_out, arrows):
    messages = sent(query)
    legends = {panel: [e["key"] for e in entries] for panel, entries in only(messages, "header")["legends"].items()}
    background, header = only(messages, "background"), only(messages, "header")
    # the landscape's arrows of the update into the step shown: −lr·∇L only where the optimizer steps along it
    # or adds it to a velocity (js/panels.js draws from these keys), the step taken where it is not −lr·∇L
    assert legends["landscape"] == ["path", "start", "optimum", *arrows]
    assert legends["fit"][-1] == "residuals"
    assert ("true_line" in legends["fit"]) == truth == ("true_weights" in legends["weights"])
    assert (background["true"] is not None) == truth  # drawn exactly when named
    assert ("theory" in legends["gap"]) == theory == (header["predicted"] is not None)
    assert ("held_out_loss" in legends["loss"]) == held_out == background["held_out"]


def test_a_refused_run_says_so_with_its_code_and_trains_nothing():
    messages = sent({"n": "1000000", "steps": "10000"})
    assert only(messages, "header")["status"]["code"] == schema.Code.REFUSED
    assert not [m for m in messages if m["kind"] in ("feed", "end")]
