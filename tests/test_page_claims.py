"""What the page says and sends about a run, read from AppTest, against the run itself and independent math:
the batch size's control, the landscape's coordinates, the legends, and the share panel's command."""

import json
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.view_model import decode
from linreg_core.analysis import analyse
from linreg_core.data import linear_like
from linreg_core.settings import BATCH_STOPS, Settings

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def visit(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sent(at: AppTest, kind: str) -> list[dict]:
    return [m for c in at.get("bidi_component") if c.proto.bytes and (m := json.loads(c.proto.bytes))["kind"] == kind]


def records(at: AppTest) -> np.ndarray:
    blocks = [m for m in sent(at, "feed") if m.get("rows")]
    (head,) = sent(at, "header")
    if "records" in head:
        return decode(head["records"]["values"], len(head["columns"]))
    return np.concatenate([decode(b["values"], len(b["columns"])) for b in blocks])


@pytest.mark.parametrize("query, train", [({"n": "100"}, 100), ({"n": "100", "test_fraction": "0.2"}, 80),
                                          ({"data": "anscombe-1"}, 11)])  # fmt: skip
def test_the_batch_size_says_all_n_and_stops_below_the_training_points(query, train):
    at = visit({**query, "steps": "10"})
    control = at.select_slider(key="batch_size")
    assert control.options == [f"all ({train:,})", *(f"{v:,}" for v in BATCH_STOPS if 0 < v < train)]
    assert control.value == 0


def test_a_batch_size_of_at_least_every_point_is_the_full_batch_and_leaves_the_address():
    at = visit({"batch_size": "500", "steps": "10"})
    assert at.select_slider(key="batch_size").value == 0
    assert "batch_size" not in dict(at.query_params)
    np.testing.assert_array_equal(records(at)[:, :3], records(visit({"steps": "10"}))[:, :3])


def test_standardised_x_sends_the_landscape_in_the_weights_it_trains():
    """The bowl of standardised x is round; the landscape, its optimum and the path's map all use those
    weights, and the run's last record, mapped with the landscape's shift and scale, is at its optimum."""
    settings = Settings(standardize=True, lr=0.5, steps=30)
    at = visit(settings.to_query())
    (background,) = sent(at, "background")
    land = background["landscape"]
    data = linear_like(settings)
    x = data.x.astype(np.float64)
    assert (land["shift"], land["scale"]) == pytest.approx((x.mean(), x.std()), rel=1e-12)
    assert land["standardised"] and land["titles"][0].startswith("v0")
    size = land["size"]
    grid0, grid1 = np.linspace(*land["w0"], size), np.linspace(*land["w1"], size)
    log_gap = decode(land["log_gap"]).reshape(size, size)
    # an independent loss on the standardised points, in v-coordinates, at every 10th cell
    xs = (x - land["shift"]) / land["scale"]
    star = analyse(data)
    for r in range(0, size, 10):
        for c in range(0, size, 10):
            direct = np.mean((grid0[c] * xs + grid1[r] - data.y) ** 2) - star.loss_star
            assert 10 ** float(log_gap[r, c]) == pytest.approx(max(direct, 0), rel=1e-4, abs=2e-9)
    # round: the rings are as wide as long, so the loss one step off the centre is the same both ways
    mid = size // 2
    assert log_gap[mid, mid + 10] == pytest.approx(log_gap[mid + 10, mid], rel=1e-6)
    v_star = land["optimum"]
    last = records(at)[-1]
    mapped = (last[1] * land["scale"], last[2] + last[1] * land["shift"])
    assert mapped == pytest.approx(v_star, abs=1e-4)
    assert (grid0[mid], grid1[mid]) == pytest.approx(v_star)
    (header,) = sent(at, "header")
    assert header["start"] == [0.0, 0.0]  # the line 0·x + 0 is 0 in any coordinates


def test_raw_x_sends_the_identity_map_and_an_equal_span_grid():
    at = visit({"steps": "10"})
    land = sent(at, "background")[0]["landscape"]
    assert (land["shift"], land["scale"], land["standardised"]) == (0.0, 1.0, False)
    assert land["w0"][1] - land["w0"][0] == pytest.approx(land["w1"][1] - land["w1"][0])


@pytest.mark.parametrize(
    "query, fit, loss, gap",
    [
        ({}, ["data", "true line", "least squares", "current fit", "residuals"], ["loss", "least-squares loss"],
         ["run", "theory"]),
        ({"data": "hubble", "lr": "1e-4", "test_fraction": "0.25"}, ["data", "least squares", "current fit",
         "residuals"], ["loss", "least-squares loss", "held-out loss"], ["run", "theory"]),
        ({"batch_size": "10"}, ["data", "true line", "least squares", "current fit", "residuals"],
         ["loss", "least-squares loss"], ["run"]),
        ({"optimizer": "adam"}, ["data", "true line", "least squares", "current fit", "residuals"],
         ["loss", "least-squares loss"], ["run"]),
    ],
)  # fmt: skip
def test_the_legends_name_only_what_the_run_draws(query, fit, loss, gap):
    at = visit({**query, "steps": "20"})
    (head,) = sent(at, "header")
    (background,) = sent(at, "background")
    legends = {panel: [e["label"] for e in entries] for panel, entries in head["legends"].items()}
    assert (legends["fit"], legends["loss"], legends["gap"]) == (fit, loss, gap)
    assert ("true line" in legends["fit"]) == (background["true"] is not None)
    assert ("theory" in legends["gap"]) == (head["predicted"] is not None)
    assert ("held-out loss" in legends["loss"]) == background["held_out"]


TABLE = b"a,b,c\n" + b"".join(f"{i},{(i * 7) % 5},{3 * i + 0.0001 * (i % 3)}\n".encode() for i in range(30))


@pytest.mark.parametrize(
    "name, content, header",
    [("abc table.csv", TABLE, True), ("plain.csv", b"1,5,2\n2,6,4.1\n3,7,5.9\n4,9,8.2\n", False)],
)
def test_the_share_command_for_an_upload_reproduces_the_run_shown(tmp_path, name, content, header):
    """On a table a, b, c with y = c the command must fit c, not b; on a file without a header row it must
    read it so. The command is run, as shown, where the file is, and prints the page's last numbers."""
    at = visit({"data": "csv", "lr": "0.002", "steps": "400"})
    at.file_uploader(key="csv-upload").upload(name, content, "text/csv").run()
    y_column = "c" if header else "column 3"
    at.selectbox(key="csv-y").set_value(y_column).run()
    assert not at.exception
    shown = records(at)
    (command,) = [c.value for c in at.code if c.value.startswith("python -m linreg_core")]
    assert f"--y-col {shlex.quote(y_column)}" in command and ("--no-header" in command) == (not header)
    (tmp_path / name).write_bytes(content)
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    loss, w0, w1 = shown[-1, :3]
    assert out.stdout.splitlines()[-1] == f"STEP: 400 - loss: {float(loss)}, w0: {w0:.4f}, w1: {w1:.4f}"
