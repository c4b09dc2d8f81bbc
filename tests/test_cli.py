import re
import subprocess
import sys

import pytest

from linreg_core.analysis import analyse
from linreg_core.cli import main
from linreg_core.words import limit_text, loss_text

BLOG_LINE = re.compile(r"^STEP: (\d+) - loss: (\d+\.\d+(?:e-?\d+)?), w0: (-?\d+\.\d{4}), w1: (-?\d+\.\d{4})$")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "linreg_core", *args], capture_output=True, text=True, timeout=120)


def test_default_run_prints_the_blogs_table(capsys, blog_data):
    assert main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 11
    # the lines the README shows, to the byte
    assert lines[0] == "STEP: 0 - loss: 49.45786666870117, w0: 0.3764, w1: 0.3022"
    assert lines[1] == "STEP: 100 - loss: 0.1142507791519165, w0: 3.5393, w1: 3.5797"
    assert lines[-1] == "STEP: 1000 - loss: 0.021062811836600304, w0: 3.0624, w1: 4.1967"
    parsed = [BLOG_LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [int(m[1]) for m in parsed] == list(range(0, 1001, 100))
    losses = [float(m[2]) for m in parsed]
    assert losses == sorted(losses, reverse=True)
    w0, w1 = float(parsed[-1][3]), float(parsed[-1][4])
    assert w0 == pytest.approx(3.0, abs=0.1) and w1 == pytest.approx(4.25, abs=0.1)
    info = analyse(blog_data)
    assert w0 == pytest.approx(info.w0_star, abs=0.005) and w1 == pytest.approx(info.w1_star, abs=0.005)


def test_loss_is_printed_as_python_prints_a_float32(capsys):
    assert main(["--steps", "0"]) == 0
    loss_text = BLOG_LINE.match(capsys.readouterr().out.strip())[2]
    import numpy as np

    assert repr(float(np.float32(loss_text))) == loss_text  # a float32 value, shown in full


def test_eager_mode_prints_the_same_table(capsys):
    assert main(["--steps", "200", "--mode", "eager"]) == 0
    eager = [BLOG_LINE.match(line) for line in capsys.readouterr().out.splitlines()]
    assert main(["--steps", "200"]) == 0
    compiled = [BLOG_LINE.match(line) for line in capsys.readouterr().out.splitlines()]
    assert [(m[1], m[3], m[4]) for m in eager] == [(m[1], m[3], m[4]) for m in compiled]
    for a, b in zip(eager, compiled, strict=True):
        assert float(a[2]) == pytest.approx(float(b[2]), rel=1e-5)


def test_explain_states_the_optimum_and_learning_rates(capsys, blog_data):
    assert main(["--explain", "--steps", "10"]) == 0
    out = capsys.readouterr().out
    info = analyse(blog_data)
    assert f"w0* = {info.w0_star:.4f}" in out and f"w1* = {info.w1_star:.4f}" in out
    assert f"lambda_min = {info.lambda_min:.6g}" in out and f"lambda_max = {info.lambda_max:.6g}" in out
    assert f"2/λmax = {limit_text(2 / info.lambda_max, 6)}" in out
    best = float(re.search(r"fastest learning rate = ([\d.]+)", out)[1])
    assert best == pytest.approx(2 / (info.lambda_min + info.lambda_max), rel=1e-5)


def test_explain_with_standardised_x_explains_the_run_that_trains():
    """Standardised, the bowl is round (λ = 2 both ways): the bound is 1, and lr 0.5 converges, in one step."""
    result = cli("--explain", "--standardize", "--lr", "0.5", "--steps", "20")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "trained on standardised x' = (x - 1.09658)/0.606198" in out
    assert "lambda_min = 2, lambda_max = 2; condition number 1\n" in out
    assert "2/λmax = 1 (it diverges above it)" in out and "0.00212" not in out and "0.41356" not in out
    assert "at lr 0.5: converges" in out
    last = BLOG_LINE.match(out.splitlines()[-2])
    assert (float(last[3]), float(last[4])) == pytest.approx((3.0604, 4.1993), abs=1e-4)


def test_every_run_prints_only_the_projects_own_lines():
    """No TensorFlow, absl or oneDNN start-up notices on either stream: the table alone, as the README shows."""
    result = cli("--steps", "200")
    assert result.returncode == 0
    assert result.stderr == ""
    assert all(BLOG_LINE.match(line) for line in result.stdout.splitlines())
    result = cli("--explain", "--optimizer", "adam", "--steps", "0")
    assert result.stderr == "" and "No simple bound is known for Adam" in result.stdout


def test_csv_input_and_log_every(tmp_path, capsys):
    path = tmp_path / "line.csv"
    path.write_text("x,y\n" + "".join(f"{i / 10},{2 * i / 10 - 1}\n" for i in range(20)))
    assert main(["--csv", str(path), "--lr", "0.3", "--steps", "2000", "--log-every", "500"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [BLOG_LINE.match(line)[1] for line in lines] == ["0", "500", "1000", "1500", "2000"]
    last = BLOG_LINE.match(lines[-1])
    assert (float(last[3]), float(last[4])) == pytest.approx((2.0, -1.0), abs=1e-3)


def test_divergence_prints_the_step_and_exits_3():
    result = cli("--lr", "0.5", "--log-every", "1")
    assert result.returncode == 3
    table = result.stdout.splitlines()
    assert table and all(BLOG_LINE.match(line) for line in table)
    last = BLOG_LINE.match(table[-1])
    (reason,) = result.stderr.strip().splitlines()
    match = re.match(r"diverged: stopped after step (\d+), loss ([\d.e+]+): the next update took the loss past "
                     r"a million times its start; gradient descent on these points is stable only below "
                     r"2/λmax = 0\.4135$", reason)  # fmt: skip
    assert match, reason
    assert int(match[1]) == int(last[1]) == len(table) - 1  # steps 0..k printed, the update after k blew up
    assert match[2] == loss_text(float(last[2]))  # the very loss printed last


@pytest.mark.parametrize("args", [["--data", "iris", "--optimizer", "nesterov", "--lr", "0.07"], ["--lr", "0.5"]])
def test_a_diverged_run_prints_the_state_where_it_stopped_whatever_the_log_interval(args):
    every = cli(*args, "--log-every", "1")
    sparse = cli(*args)  # every 100 steps: the stop falls between two of them
    assert every.returncode == sparse.returncode == 3
    assert sparse.stdout.splitlines()[-1] == every.stdout.splitlines()[-1]
    assert int(BLOG_LINE.match(sparse.stdout.splitlines()[-1])[1]) % 100 != 0
    assert sparse.stderr == every.stderr


def test_a_run_whose_loss_grows_without_being_stopped_is_reported_as_diverging():
    result = cli("--lr", "0.5", "--steps", "10")
    assert result.returncode == 3
    last = BLOG_LINE.match(result.stdout.splitlines()[-1])
    assert result.stderr.startswith(
        f"diverging: the loss grew from step 0 on, to {loss_text(float(last[2]))} at step 10;"
    )


@pytest.mark.parametrize("args", [["--lr", "1e308"], ["--n", "9" * 100_000], ["--bogus", "x" * 10_000],
                                  ["--steps", "1" * 5_000], ["--seed", "1e999"]])  # fmt: skip
def test_an_error_never_echoes_a_huge_value(args):
    result = cli(*args)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and len(line) < 320, line[:400]
    assert "0000000000" not in line


@pytest.mark.parametrize(
    "args, message",
    [
        (["--csv", "/no/such/file.csv"], "no such file"),
        (["--n", "0"], "n must be between 1"),
        (["--noise", "-1"], "noise must be between 0 and 5, got -1"),
        (["--lr", "0"], "lr must be between 0.0001 and 10, got 0"),
        (["--lr", "-0.1"], "lr must be between 0.0001 and 10"),
        (["--lr", "1e-50"], "lr must be between 0.0001 and 10, got 1e-50"),
        (["--steps", "-1"], "steps must be between 0"),
        (["--lr", "abc"], "invalid float value: 'abc'"),
        (["--lr", "nan"], "lr must be a finite number"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--noise-kind", "cauchy"], "invalid choice: 'cauchy'"),
    ],
)
def test_bad_input_prints_one_line_and_exits_2(args, message):
    result = cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr


@pytest.mark.parametrize(
    "content, message",
    [
        (b"x,y\n1,2\n3,oops\n", "bad.csv: needs 2 columns of numbers, found 1 (x); column 'y' has text: 'oops'"),
        (b"x,y\n1,2\n", "bad.csv: only 1 usable row; a line needs at least 2 points"),
        (b"x,y\n1,2\n3,nan\n", "bad.csv: only 1 usable row after dropping 1 with an empty, NaN or infinite value;"),
        (b"x,y\n1,2\ninf,3\n", "only 1 usable row after dropping 1"),
        (b"", "bad.csv is empty"),
        (b"x,y\n", "bad.csv has a header row (x, y) but no rows of numbers"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "bad.csv is a PNG image, not a CSV file"),
        ("x,y\n1,2\n3,4\n".encode("utf-16-le"), "bad.csv is not a CSV text file: it contains NUL bytes"),
        (b"x,y\n5,1\n5,2\n", "bad.csv: every value of 'x' is 5, so the slope is undefined"),
        (b"x,y\n1,2\n2,5e38\n", "bad.csv, line 3, column 'y': 5e+38 is too large for float32"),
        (b"x,y\n1,2\n2,3,4\n", "bad.csv, line 3: 3 values, but the header has 2"),
        (b"1,2\n2,4\n3,6\n", "bad.csv: the first row (1, 2) is all numbers, not a header naming the columns"),
    ],
)
def test_bad_csv_prints_one_line_and_exits_2(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = cli("--csv", str(path))
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}") and message in lines[0], result.stderr


def test_a_file_without_a_header_needs_no_header_and_keeps_its_first_row(tmp_path, capsys):
    path = tmp_path / "doubles.csv"
    path.write_text("1,2\n2,4\n3,6\n")
    assert main(["--csv", str(path), "--no-header", "--lr", "0.15", "--steps", "2000", "--explain"]) == 0
    captured = capsys.readouterr()
    assert f"data: {path}, n = 3" in captured.out  # all three rows, the first one included
    last = BLOG_LINE.match(captured.out.splitlines()[-2])  # the line before "gap to optimum"
    assert (float(last[3]), float(last[4])) == pytest.approx((2.0, 0.0), abs=1e-3)
    assert "note: no header row: columns named column 1, column 2" in captured.err


def test_columns_are_picked_by_name_and_notes_go_to_stderr(tmp_path, capsys):
    path = tmp_path / "wide.csv"
    path.write_text("id,time,dist,label\n1,0,1,a\n2,1,3,b\n3,2,5,c\n4,,9,d\n5,3,7,e\n")
    assert main(["--csv", str(path), "--x-col", "time", "--y-col", "dist", "--lr", "0.1", "--steps", "3000"]) == 0
    captured = capsys.readouterr()
    last = BLOG_LINE.match(captured.out.splitlines()[-1])
    assert (float(last[3]), float(last[4])) == pytest.approx((2.0, 1.0), abs=1e-3)  # dist = 2·time + 1
    notes = [line for line in captured.err.splitlines() if line.startswith("note: ")]
    assert notes == [
        "note: columns without numbers left out: label",
        "note: dropped 1 of 5 rows with an empty, NaN or infinite value in 'time' or 'dist' (line 5)",
        "note: x is standardised by default with --csv; --standardize false trains on the raw x",
    ]
    assert main(["--csv", str(path), "--x-col", "label"]) == 2
    assert "error: " + str(path) + " has no column of numbers named 'label'" in capsys.readouterr().err


def test_columns_named_x_and_y_are_used_whatever_their_place(tmp_path, capsys):
    path = tmp_path / "yx.csv"
    path.write_text("y,noise,x\n1,9,0\n3,8,1\n5,7,2\n")
    assert main(["--csv", str(path), "--lr", "0.2", "--steps", "3000"]) == 0
    last = BLOG_LINE.match(capsys.readouterr().out.splitlines()[-1])
    assert (float(last[3]), float(last[4])) == pytest.approx((2.0, 1.0), abs=1e-3)


def test_a_bundled_set_by_name(capsys):
    assert main(["--data", "anscombe-2", "--explain", "--steps", "0", "--lr", "0.01"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "data: Anscombe's quartet, set II: x -> y, n = 11"
    assert out[1] == "x: mean 9, standard deviation 3.16228"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--data", "csv"], "--data csv needs the file: --csv PATH"),
        (["--data", "tips", "--csv", "f.csv"], "--csv reads your own file; it cannot go with --data tips"),
        (["--x-col", "a"], "--x-col applies only with --csv PATH"),
        (["--no-header"], "--no-header applies only with --csv PATH"),
        (["--data", "tips", "--n", "50"], "--n applies only with --data generator, not --data tips"),
        (["--data", "iris", "--noise-kind", "gaussian"], "--noise-kind applies only with --data generator"),
        (["--data", "nope"], "invalid choice: 'nope'"),
        (["--lr", "1e-40"], "lr must be between 0.0001 and 10, got 1e-40"),  # subnormal in float32
    ],
)
def test_data_flags_that_do_not_fit_together_are_refused(args, message):
    result = cli(*args)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
