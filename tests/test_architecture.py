"""The shape of the code: engine and page in two packages, imports one way, TensorFlow only in the trainer."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_name(path: Path) -> str:
    """linreg_core/data.py -> linreg_core.data; a package's __init__.py is the package itself."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth in it (a lazy import inside a function counts too), with
    relative imports resolved: `from .data import load` in linreg_core/cli.py is linreg_core.data, and
    `from . import trainer` is linreg_core.trainer."""
    tree = ast.parse(path.read_text())
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module
            else:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            if node.module is None:  # `from . import trainer` imports the module trainer (else a name of base)
                for alias in node.names:
                    sub = ROOT.joinpath(*base.split("."), alias.name)
                    names.add(f"{base}.{alias.name}" if sub.with_suffix(".py").exists() or sub.is_dir() else base)
            else:
                names.add(base)
    return names


def engine_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / "linreg_core").rglob("*.py"))}


def import_graph(package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (at the top level of the file or lazily)."""
    files = {module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}
    return {name: {m for m in imported_modules(path) if m in files and m != name} for name, path in files.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import cycle once, as the modules along it (depth-first search for back edges)."""
    found, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(trail[trail.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    return found


def test_relative_imports_are_seen():
    """The checks below read relative imports: this file's own examples, resolved as Python resolves them."""
    graph = import_graph("linreg_core")
    assert "linreg_core.dataset" in graph["linreg_core.csvfile"]  # `from .dataset import ...`
    assert "linreg_core.trainer" in graph["linreg_core"]  # `from . import trainer`, inside a function
    assert "linreg_core.cli" in graph["linreg_core.__main__"]


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_the_engine_or_the_page():
    for package in ("linreg_core", "dashboard"):
        assert circles(import_graph(package)) == [], package


ALONE = """
import importlib, sys, types
package = types.ModuleType("linreg_core")  # the package without its __init__, which imports modules in its order
package.__path__ = [sys.argv[1]]
sys.modules["linreg_core"] = package
importlib.import_module(sys.argv[2])
"""


def test_each_engine_module_imports_first_in_a_fresh_interpreter():
    """Importing any module first works: none relies on another having been imported before it. Each is
    imported in an interpreter of its own, with the package's __init__ left out (it imports data before
    anything else, which would hide a circle that only works in that order)."""
    modules = sorted(m for m in engine_modules() if m not in ("linreg_core", "linreg_core.__main__"))
    failed = {}
    for start in range(0, len(modules), 4):  # four at a time: TensorFlow's import takes seconds in some
        batch = {m: subprocess.Popen([sys.executable, "-c", ALONE, str(ROOT / "linreg_core"), m], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for m in modules[start : start + 4]}  # fmt: skip
        for m, proc in batch.items():
            _, err = proc.communicate(timeout=180)
            if proc.returncode:
                failed[m] = err.strip().splitlines()[-1]
    assert failed == {}
    assert len(modules) >= 12


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
