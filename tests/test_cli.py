import re
import subprocess
import sys

import pytest

from linreg_core.analysis import analyse
from linreg_core.cli import main

BLOG_LINE = re.compile(r"^STEP: (\d+) - loss: (\d+\.\d+(?:e-?\d+)?), w0: (-?\d+\.\d{4}), w1: (-?\d+\.\d{4})$")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "linreg_core", *args], capture_output=True, text=True, timeout=120)


def test_default_run_prints_the_blogs_table(capsys, blog_data):
    assert main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 11
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
    assert f"2/lambda_max = {info.critical_lr:.6g}" in out
    assert f"2/(lambda_min + lambda_max) = {info.best_lr:.6g}" in out


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
    last_reason = result.stderr.strip().splitlines()[-1]
    match = re.match(r"diverged at step (\d+): .*critical learning rate for this data: 0\.41", last_reason)
    assert match, result.stderr
    assert int(match[1]) == len(table)  # steps 0..k-1 printed, step k blew up


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
        ("x,y\n1,2\n3,oops\n", "'oops' is not a number"),
        ("x,y\n1,2\n", "need at least 2 rows"),
        ("x,y\n1,2\n3,nan\n", "not a finite number"),
        ("x,y\n1,2\ninf,3\n", "not a finite number"),
    ],
)
def test_bad_csv_prints_one_line_and_exits_2(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = cli("--csv", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
