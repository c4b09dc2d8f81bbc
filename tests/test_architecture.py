"""The shape of the code: engine and page in two packages, imports one way, TensorFlow only in the trainer."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_engine_imports_neither_streamlit_nor_the_page():
    for path in (ROOT / "linreg_core").rglob("*.py"):
        for name in imported_modules(path):
            assert not name.startswith(("streamlit", "dashboard")), (path.name, name)


def test_the_page_and_the_engine_outside_the_trainer_never_load_tensorflow():
    """The server process runs the page: TensorFlow (~500 MB, seconds to import) belongs to the worker."""
    code = (
        "import sys; import linreg_core, linreg_core.cli, linreg_core.export, dashboard.page, dashboard.worker; "
        "from linreg_core import Settings, load, analyse; analyse(load(Settings())); "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


def test_app_py_is_wiring_only():
    modules = imported_modules(ROOT / "app.py")
    assert modules <= {"streamlit", "dashboard"}, modules
    assert len((ROOT / "app.py").read_text().splitlines()) < 40


def test_a_visit_loads_neither_pandas_nor_pyarrow_into_the_server():
    """They are for uploaded files. Loaded on every visit they would cost the server ~60 MB, and ~40,000
    objects for its garbage collector to walk after every script run (see dashboard/chart/component.payload)."""
    code = (
        "import sys; from streamlit.testing.v1 import AppTest; "
        "at = AppTest.from_file('app.py', default_timeout=300); at.run(); "
        "at.select_slider(key='lr').set_value(0.2).run(); assert not at.exception; "
        "print('pandas' in sys.modules, 'pyarrow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split()[-2:] == ["False", "False"]
