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


def test_pytest_can_collect_every_test_module_from_a_clean_clone():
    """pytest's default import mode keys test modules by file name: two `test_x.py` in different folders
    collect on a machine that ran them separately before, and fail to collect on a clean clone."""
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
