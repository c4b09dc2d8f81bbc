"""The repository keeps its promises: CI runs exactly the test command the README gives."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_block_after(heading: str) -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split(heading, 1)[1]
    return re.search(r"```(?:bash|sh)?\n(.*?)```", section, re.S)[1].strip()


def test_ci_runs_the_readme_test_command():
    command = readme_block_after("## Run the tests")
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert command in ci_lines


def test_the_readmes_python_the_command_line_and_the_page_give_the_same_numbers():
    """The README's few lines of Python (settings -> data -> trainer), the command line it names, and the page
    at the matching address print and show the same final step."""
    import json
    import subprocess
    import sys

    import numpy as np
    from streamlit.testing.v1 import AppTest

    from dashboard.view_model import decode

    code = re.search(r"## From Python.*?```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)[1]
    python = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert python.returncode == 0, python.stderr[-500:]
    line = python.stdout.strip().splitlines()[-1]
    cli = subprocess.run(
        [sys.executable, "-m", "linreg_core", "--n", "1000", "--noise-kind", "gaussian", "--lr", "0.1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert cli.stdout.strip().splitlines()[-1] == line
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for key, value in {"n": "1000", "noise_kind": "gaussian", "lr": "0.1"}.items():
        at.query_params[key] = value
    at.run()
    sent = [json.loads(c.proto.bytes) for c in at.get("bidi_component") if c.proto.bytes]
    values = np.concatenate([decode(m["values"], len(m["columns"])) for m in sent if m.get("rows")])
    loss, w0, w1 = values[-1, :3]
    assert line == f"STEP: {len(values) - 1} - loss: {float(loss)}, w0: {w0:.4f}, w1: {w1:.4f}"


def test_pytest_can_collect_every_test_module_from_a_clean_clone():
    """pytest's default import mode keys test modules by file name: two `test_x.py` in different folders
    collect on a machine that ran them separately before, and fail to collect on a clean clone."""
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []


def test_the_readmes_condition_number_for_tips_is_the_pages():
    """The README's tip quotes the tips bowl's condition number as the page and --explain compute it."""
    from linreg_core.analysis import analyse
    from linreg_core.data import bundled

    text = (ROOT / "README.md").read_text()
    quoted = float(re.search(r"condition number ~([\d,]+)\)", text)[1].replace(",", ""))
    assert quoted == round(analyse(bundled("tips")).condition_number, -2)
