"""Downloads: the CSV files read back to what they were given and never carry a formula; the script reruns
the run and prints what the lab prints."""

import csv
import io
import subprocess
import sys
from contextlib import redirect_stdout

import numpy as np
import pandas as pd
import pytest

from linreg_core.cli import main
from linreg_core.data import Dataset, bundled, dataset_from_table, linear_like, read_csv
from linreg_core.export import (
    EMBED_AS_TEXT,
    ExportError,
    data_csv,
    number_cells,
    reproduce_script,
    text_cell,
    trajectory_csv,
)
from linreg_core.settings import OPTIMIZERS, Settings

HOSTILE = ("=cmd|' /C calc'!A0", "+1", "@SUM(A1)", "-2+3")


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.fixture(scope="module")
def blog_run():
    from linreg_core.trainer import TrainingRun

    settings = Settings(steps=60)
    run = TrainingRun(linear_like(settings), settings)
    return run, list(run)


# ---- cells ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, cell",
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),  # a spreadsheet may drop the spaces and still see the formula
        ("total_bill", "total_bill"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_text_cells_that_would_run_as_formulas_start_with_a_quote(text, cell):
    assert text_cell(text) == cell


def test_numbers_read_back_to_the_same_float32_and_stay_numbers():
    rng = np.random.default_rng(4)
    values = (rng.standard_normal(5000) * 10.0 ** rng.integers(-30, 30, 5000)).astype(np.float32)
    values = np.concatenate([values, np.float32([0.0, -0.0, 1.0, -1.5, 3.4e38, -1e-45, 1e-40])])
    cells = number_cells(values)
    back = np.array([float(c) for c in cells]).astype(np.float32)
    np.testing.assert_array_equal(back, values)
    assert number_cells([-1.5, 0.1, 170.0]) == ["-1.5", "0.1", "170.0"]  # negative numbers are numbers, not formulas


def test_values_that_are_not_float32_are_written_in_full():
    cells = number_cells([0.1 + 0.2, 1e300, 2.0**-1074])
    assert [float(c) for c in cells] == [0.1 + 0.2, 1e300, 2.0**-1074]


def test_non_finite_numbers_are_safe_text():
    assert number_cells([float("nan"), float("inf"), float("-inf")]) == ["nan", "inf", "'-inf"]


# ---- the trajectory -----------------------------------------------------------------------------------


def test_trajectory_csv_reads_back_to_the_records(blog_run):
    _, records = blog_run
    text = trajectory_csv(records)
    rows = rows_of(text)
    assert rows[0] == ["step", "loss", "w0", "w1", "dw0", "dw1"] and len(rows) == len(records) + 1
    frame = pd.read_csv(io.StringIO(text))
    assert frame["step"].tolist() == [r.step for r in records]
    for name in ("loss", "w0", "w1", "dw0", "dw1"):
        given = np.float32([getattr(r, name) for r in records])
        np.testing.assert_array_equal(frame[name].to_numpy().astype(np.float32), given)
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_trajectory_csv_is_the_same_from_blocks_records_or_columns(blog_run):
    from linreg_core.trainer import TrainingRun

    _, records = blog_run
    settings = Settings(steps=60)
    blocks = list(TrainingRun(linear_like(settings), settings).blocks())
    assert len(blocks) > 1  # several chunks, so joining them is exercised
    columns = {name: [getattr(r, name) for r in records] for name in ("step", "loss", "w0", "w1", "dw0", "dw1")}
    assert trajectory_csv(blocks) == trajectory_csv(records) == trajectory_csv(columns)
    with pytest.raises(ExportError, match="different lengths"):
        trajectory_csv({**columns, "dw1": columns["dw1"][:-1]})


# ---- the points ---------------------------------------------------------------------------------------


def test_data_csv_reads_back_to_the_points_under_their_names():
    tips = bundled("tips")
    frame = pd.read_csv(io.StringIO(data_csv(tips)))
    assert frame.columns.tolist() == ["total_bill", "tip"]
    np.testing.assert_array_equal(frame["total_bill"].to_numpy().astype(np.float32), tips.x)
    np.testing.assert_array_equal(frame["tip"].to_numpy().astype(np.float32), tips.y)
    generated = linear_like(Settings(n=300, noise_kind="gaussian", w1=-4.0))
    again = read_csv(data_csv(generated).encode(), name="again.csv")
    assert again.columns == ("x", "y")
    np.testing.assert_array_equal(dataset_from_table(again).y, generated.y)


def test_column_names_from_an_upload_cannot_become_formulas():
    upload = ",".join(HOSTILE).encode() + b"\n1,-2,3,-4.5\n2,-3,4,-5.5\n3,-5,5,-6.5\n"
    table = read_csv(upload, name="hostile.csv")
    assert table.columns == HOSTILE  # the page shows them as they are, as text
    for x_col, y_col in (HOSTILE[:2], HOSTILE[2:]):
        data = dataset_from_table(table, x_col, y_col)
        text = data_csv(data)
        rows = rows_of(text)
        assert rows[0] == ["'" + x_col, "'" + y_col]
        assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)
        # the numbers are still numbers, negative ones included: a spreadsheet reads -2 as minus two
        np.testing.assert_array_equal(np.float32([row[0] for row in rows[1:]]), data.x)
        np.testing.assert_array_equal(np.float32([row[1] for row in rows[1:]]), data.y)
        assert any(row[1].startswith("-") for row in rows[1:])


# ---- the script ---------------------------------------------------------------------------------------


def run_script(tmp_path, script: str) -> list[str]:
    path = tmp_path / "rerun.py"
    path.write_text(script, encoding="utf-8")
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def lab_lines(args: list[str]) -> list[str]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main([*args, "--mode", "eager"]) == 0
    return out.getvalue().splitlines()


def trainer_line(data: Dataset, settings: Settings, mode: str) -> str:
    from linreg_core.trainer import TrainingRun

    last = list(TrainingRun(data, settings, mode=mode))[-1]
    return f"STEP: {last.step} - loss: {last.loss}, w0: {last.w0:.4f}, w1: {last.w1:.4f}"


def test_the_script_redraws_the_generators_points_and_prints_the_labs_table(tmp_path):
    settings = Settings(n=80, w0=-1.5, w1=2.0, noise=0.7, noise_kind="gaussian", seed=11, steps=250, lr=0.15,
                        init_w0=0.5, init_w1=-1.0)  # fmt: skip
    data = linear_like(settings)
    printed = run_script(tmp_path, reproduce_script(settings, data))
    assert printed == lab_lines(settings.cli_args())  # the whole table, as python -m linreg_core prints it
    assert [line.split(" - ")[0] for line in printed] == ["STEP: 0", "STEP: 100", "STEP: 200", "STEP: 250"]
    assert printed[-1] == trainer_line(data, settings, "eager")
    # the lab's default compiled loop: same steps and weights; its loss may differ in the last digits
    compiled = trainer_line(data, settings, "compiled")
    assert compiled.split(" - ")[0] == printed[-1].split(" - ")[0]
    assert compiled.split(", w0")[1] == printed[-1].split(", w0")[1]


def test_the_script_carries_a_bundled_sets_points(tmp_path):
    settings = Settings(data="hubble", steps=120, lr=0.4)
    script = reproduce_script(settings, bundled("hubble"))
    assert "default_rng" not in script and "0.032, 0.034, 0.214" in script  # Hubble's distances, as written
    printed = run_script(tmp_path, script)
    assert printed == lab_lines(settings.cli_args())
    assert printed[-1] == trainer_line(bundled("hubble"), settings, "eager")


def test_the_script_carries_a_large_upload_exactly_and_no_text_from_it_runs(tmp_path):
    rng = np.random.default_rng(2)
    n = EMBED_AS_TEXT + 500
    x = rng.standard_normal(n) * 3
    y = 0.7 * x - 2 + rng.standard_normal(n) * 0.1
    evil = 'x"""\nimport os; os.system("echo PWNED")\n"""'
    text = io.StringIO()
    csv.writer(text).writerows([[evil, '=HYPERLINK("http://example.com")'], *zip(x, y, strict=True)])
    table = read_csv(text.getvalue().encode(), name='upload\n"""; import os #.csv')
    assert table.columns == (" ".join(evil.split()), '=HYPERLINK("http://example.com")')
    data = dataset_from_table(table)
    settings = Settings(data="csv", steps=30, lr=0.05)
    script = reproduce_script(settings, data)
    code = [line for line in script.splitlines() if not line.lstrip().startswith("#")]
    assert not any("PWNED" in line or "HYPERLINK" in line or "upload" in line for line in code)
    assert "b64decode" in script  # many points travel as float32 bytes
    printed = run_script(tmp_path, script)
    assert "PWNED" not in "".join(printed)
    assert printed[-1] == trainer_line(data, settings, "eager")


@pytest.mark.parametrize(
    "changes",
    [
        {"batch_size": 10, "lr": 0.05},
        {"test_fraction": 0.2, "lr": 0.1},
        {"standardize": True, "batch_size": 16, "optimizer": "adam", "lr": 0.05},
        {"data": "tips", "test_fraction": 0.3, "batch_size": 20, "optimizer": "nesterov", "init_w0": 0.5,
         "init_w1": -1.0, "shuffle_seed": 7},
        {"data": "anscombe-2", "rho": 0.8, "optimizer": "rmsprop", "lr": 0.01, "test_fraction": 0.1},
    ],
)  # fmt: skip
def test_the_script_reruns_held_out_points_standardised_x_and_mini_batches_as_the_lab_does(tmp_path, changes):
    """Every run the page can show: the script prepares the points as the trainer does (hold-out, standardised
    x, each epoch's shuffled batches) and prints, line for line, what the lab's eager loop prints."""
    from linreg_core.data import load

    settings = Settings(steps=210, **changes)
    data = load(settings)
    printed = run_script(tmp_path, reproduce_script(settings, data))
    assert printed == lab_lines(settings.cli_args())
    assert printed[-1] == trainer_line(data, settings, "eager") and printed[-1].startswith("STEP: 210 - ")


def test_a_full_batch_is_plain_gradient_descent(blog_data):
    assert "steps = 1000" in reproduce_script(Settings(batch_size=100), blog_data)


def test_the_script_refuses_points_the_settings_did_not_make(blog_data):
    with pytest.raises(ExportError, match="not the ones the generator makes"):
        reproduce_script(Settings(seed=1), blog_data)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_the_script_reruns_every_optimizer_and_prints_the_labs_table(tmp_path, optimizer):
    """Each optimizer's lines come from its registry entry; the script's eager loop prints, line for line, what
    the lab's eager loop prints for the same run (hyperparameters off their defaults, so a swapped one shows)."""
    settings = Settings(optimizer=optimizer, steps=150, lr=0.05, momentum=0.7, beta1=0.8, beta2=0.95, rho=0.85,
                        init_w0=1.0, init_w1=-2.0)  # fmt: skip
    script = reproduce_script(settings, linear_like(settings))
    printed = run_script(tmp_path, script)
    assert printed == lab_lines(settings.cli_args())
    assert len(printed) == 3 and printed[-1].startswith("STEP: 150 - ")
