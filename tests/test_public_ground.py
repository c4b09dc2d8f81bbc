"""The page stands on Streamlit's public ground only: nothing in the app's own code names a private path of
Streamlit's build or server, a test attribute, or a window global, and the browser's copy of the chart's
constants is the schema's."""

import json
import re
from pathlib import Path

import pytest

from dashboard.chart import assets, schema

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = [ROOT / "app.py", *sorted((ROOT / "dashboard").rglob("*")), *sorted((ROOT / "linreg_core").rglob("*"))]
SOURCES = [p for p in PRODUCTION if p.is_file() and p.suffix in {".py", ".js", ".css", ".toml", ".html"}]

# What a Streamlit release may move without notice.
FORBIDDEN = {
    "Streamlit's build chunks": re.compile(r"static/static|static/js/|PlotlyChart\."),
    "Streamlit's server routes": re.compile(r"_stcore"),
    "test attributes": re.compile(r"data-test-|data-testid"),
    "window globals of our own": re.compile(r"window\.__|globalThis\.__"),
    "Streamlit's private modules": re.compile(
        r"streamlit\.(runtime|web|proto|elements|delta_generator|scriptrunner)\b|"
        r"from streamlit\.\w+ import|import streamlit\.\w+"
    ),
}


def offences(text: str) -> list[tuple[str, str]]:
    return [(what, m.group(0)) for what, pattern in FORBIDDEN.items() for m in pattern.finditer(text)]


def test_the_sources_are_found():
    names = {p.name for p in SOURCES}
    assert {"app.py", "page.py", "component.py", "main.js", "view.js", "chart.css", "trainer.py"} <= names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_production_code_names_nothing_private(path):
    found = offences(path.read_text(errors="replace"))
    assert not found, f"{path.relative_to(ROOT)} names {found}"


@pytest.mark.parametrize(
    "line",
    [
        'glob("static/static/js/PlotlyChart.*.js")',
        "document.querySelector('script[src*=\"static/js/index.\"]')",
        'app.getAttribute("data-test-script-state")',
        "(window.__gtlInbox = window.__gtlInbox || []).push(message)",
        "from streamlit.runtime.scriptrunner import get_script_run_ctx",
        "import streamlit.runtime.state.safe_session_state",
        'fetch("_stcore/health")',
    ],
)
def test_the_check_catches_what_main_once_did(line):
    assert offences(line)


def test_the_public_api_passes():
    assert not offences("import streamlit as st\nst.components.v2.component('x', js=js)\nst.get_option('server.port')")


def test_the_browsers_constants_are_the_schemas():
    """schema.js is generated from schema.py, and published as generated."""
    js = schema.js_constants()
    expected = {
        "KIND": {k.name: k.value for k in schema.Kind},
        "CODE": {c.name: c.value for c in schema.Code},
        "RETRY_CODES": [c.value for c in schema.RETRY_CODES],
        "STALL_MS": schema.STALL_S * 1000,
    }
    found = dict(re.findall(r"export const (\w+) = (?:Object\.freeze\()?(.+?)\)?;$", js, re.M))
    for name, value in expected.items():
        assert json.loads(found[name]) == value, name
    assert assets.bundle().files["schema.js"] == js.encode()


def test_every_chart_module_the_entry_imports_is_published():
    """The browser loads js/main.js and what it imports, relative to it: every such name is in the bundle."""
    files = assets.bundle().files
    imported = {name.decode() for content in files.values() for name in re.findall(rb'from "\./([\w.]+)"', content)}
    assert len(imported) > 10 and imported <= set(files), imported - set(files)
    assert assets.ENTRY in files and assets.PLOTLY_GZ in assets.bundle().published()


def test_the_plotly_served_is_the_python_packages_own():
    import gzip

    import plotly

    served = assets.bundle().published()[assets.PLOTLY_GZ]
    own = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    assert gzip.decompress(served) == own and len(own) > 1_000_000 and len(served) < len(own) / 2
