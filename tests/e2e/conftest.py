"""Fixtures for the browser tests: a real `streamlit run app.py` server and Debian's Chromium via Playwright.

- `streamlit_server` (session): base URL of a server on a free loopback port, started from the repo root.
  `E2E_APP=path/to/other_app.py` runs another script instead of the repo's app.py (handy while developing).
- `browser` (session), `page` (function): Chromium at /usr/bin/chromium, or $CHROMIUM_PATH. If it is missing or
  does not launch, tests are skipped locally and FAIL when $CI is set (CI must not go green without a browser).
- `app_page` (function): `page` already opened on the app, first script run finished.
- helpers, importable from `harness`: `wait_for_trained(page, timeout)` (after goto), `wait_for_idle(page, timeout)`
  (after an input), `screenshot(page, name)`.

Every test in this folder is marked `e2e` (run only them: `pytest -m e2e`; skip them: `pytest -m "not e2e"`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    APP_PATH,
    REPO_ROOT,
    BrowserUnavailable,
    ServerStartError,
    StreamlitServer,
    instrument,
    launch_chromium,
    screenshot,
    wait_for_first_run,
    wait_for_idle,
    wait_for_trained,
)

__all__ = ["screenshot", "wait_for_first_run", "wait_for_idle", "wait_for_trained"]

HERE = Path(__file__).resolve().parent
VIEWPORT = {"width": 1400, "height": 900}
DEFAULT_TIMEOUT_MS = 60_000  # one Playwright action or wait; a first run imports TensorFlow and compiles


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    """No browser: a failure on CI, a skip on a developer's machine."""
    if _in_ci():
        pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)  # lets `page` screenshot a failed test


@pytest.fixture(scope="session")
def streamlit_server():
    app = Path(os.environ.get("E2E_APP") or APP_PATH).resolve()
    server = StreamlitServer(app=app, cwd=REPO_ROOT)
    try:
        url = server.start()
    except ServerStartError as e:
        pytest.fail(f"streamlit server did not start:\n{e}", pytrace=False)
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        _unavailable(f"playwright is not installed ({e}); pip install -r requirements-dev.txt")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    try:
        b = launch_chromium(playwright_instance)
    except BrowserUnavailable as e:
        _unavailable(str(e))
    yield b
    b.close()


@pytest.fixture
def page(request, browser, streamlit_server):
    """A fresh context and page, instrumented (see harness.PAGE_INSTRUMENTATION_JS), not yet navigated.

    `page.console_errors` collects console errors and page errors. A failed test leaves a screenshot in
    artifacts/screenshots/FAILED-<test>.png.
    """
    context = browser.new_context(viewport=VIEWPORT, base_url=streamlit_server)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    pg = context.new_page()
    instrument(pg)
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    pg.console_errors = errors
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        try:
            screenshot(pg, f"FAILED-{request.node.name}")
        except Exception:  # a crashed page cannot be photographed; the failure itself matters more
            pass
    context.close()


@pytest.fixture
def app_page(page, streamlit_server):
    """`page` opened on the app, its first training run finished and drawn."""
    page.goto(streamlit_server)
    wait_for_trained(page, 120_000)
    return page
