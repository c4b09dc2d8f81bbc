"""Shared plumbing for the browser tests and `browser_bench.py`: a `streamlit run` server, Debian's
Chromium through Playwright, waiting for a script run to finish, screenshots, and a page-side counter
of painted Plotly chart updates.

Plain functions only (no pytest import), so the bench can use them outside pytest.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]  # tests/e2e/harness.py -> repo root
APP_PATH = REPO_ROOT / "app.py"
SCREENSHOT_DIR = REPO_ROOT / "artifacts" / "screenshots"

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT_S = 90.0  # importing TensorFlow alone takes ~5 s; a cold, busy 2-core machine much more

APP_SELECTOR = "[data-testid='stApp']"
CONNECTED_SELECTOR = f"{APP_SELECTOR}[data-test-connection-state='CONNECTED']"
NOT_RUNNING_SELECTOR = f"{APP_SELECTOR}[data-test-script-state='notRunning']"


# ---- server -------------------------------------------------------------------------------------


class ServerStartError(RuntimeError):
    """`streamlit run` did not answer its health check; the message carries its output's tail."""


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return text[-limit:]


@dataclass
class StreamlitServer:
    """A `streamlit run` child in its own process group; use as a context manager or call stop()."""

    app: Path = APP_PATH
    cwd: Path = REPO_ROOT
    port: int = 0
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] | None = None
    proc: subprocess.Popen | None = None
    log_dir: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "streamlit", "run", str(self.app),
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
            *self.extra_args,
        ]  # fmt: skip

    def start(self, timeout: float = SERVER_START_TIMEOUT_S) -> str:
        if not Path(self.app).is_file():
            raise ServerStartError(f"app not found: {self.app}")
        self.port = self.port or free_port()
        self.log_dir = Path(tempfile.mkdtemp(prefix="st-e2e-"))
        env = {**os.environ, **(self.env or {})}
        env.setdefault("PYTHONUNBUFFERED", "1")
        with open(self.log_dir / "stdout.log", "wb") as out, open(self.log_dir / "stderr.log", "wb") as err:
            self.proc = subprocess.Popen(
                self.command(), cwd=self.cwd, env=env, stdout=out, stderr=err,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        health = f"{self.url}/_stcore/health"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._fail(f"streamlit exited with code {self.proc.returncode} before answering {health}")
            try:
                with urllib.request.urlopen(health, timeout=2) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        return self.url
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.25)
        self._fail(f"{health} did not answer 'ok' within {timeout:.0f} s")
        raise AssertionError("unreachable")

    def _fail(self, reason: str) -> None:
        stderr = _tail(self.log_dir / "stderr.log") if self.log_dir else ""
        stdout = _tail(self.log_dir / "stdout.log", 1500) if self.log_dir else ""
        self.stop()
        raise ServerStartError(
            f"{reason}\ncommand: {' '.join(self.command())}\ncwd: {self.cwd}\n"
            f"--- stderr tail ---\n{stderr or '(empty)'}\n--- stdout tail ---\n{stdout or '(empty)'}"
        )

    def stop(self, grace: float = 10.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # our own process group (start_new_session=True)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def stderr_tail(self, limit: int = 4000) -> str:
        return _tail(self.log_dir / "stderr.log", limit) if self.log_dir else ""

    def __enter__(self) -> StreamlitServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# ---- browser ------------------------------------------------------------------------------------


class BrowserUnavailable(RuntimeError):
    """Chromium is missing or does not launch; the message says how to get it."""


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM


def launch_chromium(playwright, headless: bool = True):
    """Launch Debian's Chromium (or $CHROMIUM_PATH); raise BrowserUnavailable with the reason."""
    path = chromium_path()
    resolved = shutil.which(path) if not os.path.isabs(path) else path
    if not resolved or not os.path.isfile(resolved) or not os.access(resolved, os.X_OK):
        hint = "apt-get install -y chromium" if path == DEFAULT_CHROMIUM else "check $CHROMIUM_PATH"
        raise BrowserUnavailable(f"Chromium not found at {path}; {hint}")
    try:
        return playwright.chromium.launch(executable_path=resolved, args=CHROMIUM_ARGS, headless=headless)
    except Exception as e:  # playwright raises its own Error type; keep the first lines of its message
        first = (str(e).strip().splitlines() or ["?"])[0][:300]
        raise BrowserUnavailable(f"Chromium at {resolved} failed to launch: {first}") from e


# ---- page-side instrumentation ------------------------------------------------------------------

# Installed with page.add_init_script before the app loads. It records, in page time (performance.now()):
# - every script-state transition of [data-testid=stApp] (running / notRunning / ...),
# - the last user input (keydown, pointerdown, input/change),
# - per chart slot (the i-th .js-plotly-plot in DOM order, whether st.plotly_chart's or a component's), each
#   PAINTED update: once per requestAnimationFrame tick it compares what the plot shows (per trace: length and
#   first/last x and y of its drawn data); a change seen at a tick is a change that frame paints. Several
#   updates between two ticks count once, as the eye sees them; a redraw of identical data counts none.
# - mounts: distinct .js-plotly-plot elements per slot (a new element = a remount = Plotly.newPlot).
PAGE_INSTRUMENTATION_JS = r"""
(() => {
  if (window.__e2e) return;
  const S = window.__e2e = {
    states: [], lastInput: -Infinity, runStarts: [], runEnds: [],
    slots: [], mounts: [], plotSelector: ".js-plotly-plot",
  };
  const ids = new WeakMap(); let nextId = 1;
  const idOf = o => { if (!o || (typeof o !== 'object' && typeof o !== 'function')) return 0;
    let v = ids.get(o); if (!v) { v = nextId++; ids.set(o, v); } return v; };
  const markInput = () => { S.lastInput = performance.now(); };
  for (const ev of ['keydown', 'pointerdown', 'input', 'change']) document.addEventListener(ev, markInput, true);
  let lastState = null;
  const readState = () => {
    const app = document.querySelector("[data-testid='stApp']");
    const st = app ? app.getAttribute('data-test-script-state') : null;
    if (st !== lastState) {
      const t = performance.now();
      S.states.push([t, st]);
      if (st === 'running') S.runStarts.push(t);
      if (lastState === 'running' && st !== 'running') S.runEnds.push(t);
      lastState = st;
    }
  };
  const lastSig = [], seen = new Set();
  // What a viewer sees of a plot: per trace, its length and its first and last x/y values (cheap on typed arrays).
  const ends = a => (a && a.length !== undefined && a.length) ? [a.length, +a[0], +a[a.length - 1]] : [0];
  const contentSig = gd => (gd._fullData || []).map(t => [ends(t.x), ends(t.y)].join('/')).join('|');
  const tick = () => {
    readState();
    // slot i = the i-th drawn, displayed plot in DOM order (Streamlit keeps a replaced chart in the DOM with
    // display:none for a moment; skipping hidden plots keeps the slots from shifting)
    const plots = Array.from(document.querySelectorAll(S.plotSelector))
      .filter(gd => gd._fullLayout && gd._fullData && gd.getClientRects().length);
    plots.forEach((gd, i) => {
      const sig = contentSig(gd);
      const gid = idOf(gd);
      if (!seen.has(gid)) { seen.add(gid); S.mounts[i] = (S.mounts[i] || 0) + 1; }
      if (sig !== lastSig[i]) {
        (S.slots[i] = S.slots[i] || []).push(performance.now());
        lastSig[i] = sig;
      }
    });
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const mo = new MutationObserver(readState);
  const hook = () => mo.observe(document.documentElement, { subtree: true, attributes: true,
    attributeFilter: ['data-test-script-state'] });
  if (document.documentElement) hook(); else document.addEventListener('DOMContentLoaded', hook);
  // reset counters; returns the page time of the reset
  S.reset = () => { S.slots = []; S.mounts = []; return performance.now(); };  // keeps lastSig: only new changes count
  S.snapshot = () => ({ now: performance.now(), lastInput: S.lastInput, runStarts: S.runStarts.slice(),
    runEnds: S.runEnds.slice(), state: lastState, slots: S.slots.map(a => (a || []).slice()),
    mounts: Array.from(S.mounts, m => m || 0) });
})();
"""

# Predicate for wait_for_idle, evaluated in the page with {graceMs, settleMs}.
_IDLE_PREDICATE_JS = r"""
({graceMs, settleMs, since}) => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const S = window.__e2e; const now = performance.now();
  if (!S) return true;  // not instrumented: the caller falls back to polling
  const lastStart = S.runStarts.length ? S.runStarts[S.runStarts.length - 1] : -Infinity;
  const lastEnd = S.runEnds.length ? S.runEnds[S.runEnds.length - 1] : -Infinity;
  const trigger = Math.max(S.lastInput, since);
  if (lastStart >= trigger) return lastEnd >= lastStart && now - lastEnd >= settleMs;  // a run began after it and ended
  return now - trigger >= graceMs;  // nothing started after the last input: give it graceMs to start
}
"""


def instrument(page) -> None:
    """Install the page-side recorder (before navigation: it runs on every new document)."""
    page.add_init_script(PAGE_INSTRUMENTATION_JS)


def wait_for_idle(
    page, timeout: float = 60_000, *, grace_ms: float = 1_000, settle_ms: float = 50, since: float | None = None
) -> None:
    """Wait until the app is connected and its script has finished the run that the last input triggered.

    Right after an interaction the app may still report `notRunning` for a moment before the rerun
    starts. With the page instrumented (see `instrument`) this waits for a run that began after the last
    user input (or after `since`, a page time) to end; if none begins within `grace_ms`, the app counts as
    idle (the input triggered no rerun). Without instrumentation it waits up to `grace_ms` for `running`,
    then for `notRunning`. Timeouts in ms, like Playwright's.
    """
    page.wait_for_selector(CONNECTED_SELECTOR, timeout=timeout)
    if page.evaluate("() => !!window.__e2e"):
        page.wait_for_function(
            _IDLE_PREDICATE_JS,
            arg={"graceMs": grace_ms, "settleMs": settle_ms, "since": since if since is not None else -1e18},
            timeout=timeout, polling=25,
        )  # fmt: skip
        return
    with contextlib.suppress(Exception):  # playwright TimeoutError: the run may be over already, or never start
        page.wait_for_selector(f"{APP_SELECTOR}:not([data-test-script-state='notRunning'])", timeout=grace_ms)
    page.wait_for_selector(NOT_RUNNING_SELECTOR, timeout=timeout)


def wait_for_first_run(page, timeout: float = 120_000) -> None:
    """After `page.goto`: wait until the app's first script run has begun and ended.

    `wait_for_idle` alone cannot tell "before the first run" from "idle": a freshly connected app reports
    `notRunning` for a moment before its first run starts.
    """
    page.wait_for_selector(CONNECTED_SELECTOR, timeout=timeout)
    page.wait_for_function(
        """() => { const S = window.__e2e; const app = document.querySelector("[data-testid='stApp']");
                   return S && S.runEnds.length > 0
                     && app.getAttribute('data-test-script-state') === 'notRunning'; }""",
        timeout=timeout, polling=25,
    )  # fmt: skip


def wait_for_trained(page, timeout: float = 120_000) -> None:
    """After `page.goto`: wait until the app has trained once and the run chart shows the finished run."""
    wait_for_first_run(page, timeout)
    page.wait_for_selector(".gtl-view[data-state='done']", timeout=timeout)
    page.wait_for_selector(NOT_RUNNING_SELECTOR, timeout=timeout)


def trained_page(browser, url: str, *init_scripts: str, viewport=None, timeout: float = 600_000):
    """A new context and page (instrumented, with `init_scripts`), opened on `url` and trained once:
    (context, page). Close the context when done."""
    context = browser.new_context(viewport=viewport or {"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(timeout)
    instrument(page)
    for script in init_scripts:
        page.add_init_script(script)
    page.goto(url)
    wait_for_trained(page, timeout)
    return context, page


# The benches' frame clock, prefixed to their recorders: `afterEachFrame(check)` runs `check` once each
# frame is rendered. A task posted from an animation frame callback runs after that frame's rendering (the
# chart's drawing in the same frame, layout, paint); at user-blocking priority, the page's own queued tasks
# (React's renders among them) do not run first.
AFTER_EACH_FRAME_JS = r"""
const afterEachFrame = (check) => {
  const after = window.scheduler && scheduler.postTask ? () => scheduler.postTask(check, { priority: 'user-blocking' })
                                                       : () => setTimeout(check, 0);
  const frame = () => { after(); requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
};
"""

# For the benches: every key press (performance.now() and wall-clock ms) and every frame, checked once it is
# rendered (as in browser_bench.py), in which the chart's painted fit line changed (in Plotly's own data), as
# [time, run, step, state] with the chart's attributes then, in window.__paints.
PAINTS_JS = (
    AFTER_EACH_FRAME_JS
    + r"""
(() => {
  const B = window.__paints = { keys: [], wall: [], frames: [] };
  document.addEventListener('keydown', () => { B.keys.push(performance.now()); B.wall.push(Date.now()); }, true);
  let last = null;
  const check = () => {
    const r = document.querySelector('.gtl-view');
    const fit = r && r.querySelector('.gtl-plot[data-plot=fit]');
    if (!(fit && fit._fullData)) return;
    const line = fit._fullData.find((t) => t.name === 'current fit') || {};
    const d = r.dataset;
    const sig = JSON.stringify(Array.from(line.y || []));  // what is painted (d.run changes before it is drawn)
    if (sig !== last) { last = sig; B.frames.push([performance.now(), d.run, d.step, d.state]); }
  };
  afterEachFrame(check);
})();
"""
)


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG under <repo>/artifacts/screenshots/ and return its path.

    Streamlit scrolls its main area inside the window, so a "full page" screenshot would stop at the window's
    bottom: the window is made as tall as the main area for the shot, then restored.
    """
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    path = SCREENSHOT_DIR / (safe if safe.endswith(".png") else f"{safe}.png")
    size = page.viewport_size
    tall = page.evaluate("() => (document.querySelector('[data-testid=\"stMain\"]') || {}).scrollHeight || 0")
    if full_page and size and tall > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(tall, 6000)})
        page.wait_for_timeout(300)  # the charts follow the new size
        try:
            page.screenshot(path=str(path))
        finally:
            page.set_viewport_size(size)
    else:
        page.screenshot(path=str(path), full_page=full_page)
    return path


# ---- one measured interaction -------------------------------------------------------------------


@dataclass
class Interaction:
    """Page-time measurements of one input and the run it triggered (ms, except rates)."""

    first_update_ms: float | None  # input -> first painted chart update
    final_ms: float | None  # input -> script state back to notRunning
    last_update_ms: float | None  # input -> last painted chart update
    updates: int  # painted updates in the busiest chart slot
    updates_per_s: float | None  # over the live phase: first to last painted update of that slot
    mounts: int  # new plot elements in that slot since the input (one per update: every update remounts)
    max_gap_ms: float | None  # longest pause between two painted updates in that slot
    median_gap_ms: float | None  # typical spacing: 1000/median_gap_ms is the steady rate, blind to a final redraw
    slots: list[int]  # painted updates per slot
    t_input: float = 0.0  # page time of the input


def summarize(snap: dict, t_input: float) -> Interaction:
    slots = [[t for t in (s or []) if t >= t_input] for s in snap["slots"]]
    busiest = max(range(len(slots)), key=lambda i: len(slots[i]), default=None)
    ts = slots[busiest] if busiest is not None else []
    ends = [t for t in snap["runEnds"] if t >= t_input]
    first = ts[0] - t_input if ts else None
    rate = (len(ts) - 1) / ((ts[-1] - ts[0]) / 1000) if len(ts) >= 2 and ts[-1] > ts[0] else None
    gaps = [b - a for a, b in zip(ts, ts[1:], strict=False)]
    mounts = snap["mounts"][busiest] if busiest is not None and busiest < len(snap["mounts"]) else 0
    return Interaction(
        first_update_ms=first,
        final_ms=(ends[-1] - t_input) if ends else None,
        last_update_ms=(ts[-1] - t_input) if ts else None,
        updates=len(ts),
        updates_per_s=rate,
        mounts=mounts,
        max_gap_ms=max(gaps) if gaps else None,
        median_gap_ms=statistics.median(gaps) if gaps else None,
        slots=[len(s) for s in slots],
        t_input=t_input,
    )


def press_and_measure(page, selector: str, key: str = "ArrowRight", timeout: float = 120_000) -> Interaction:
    """Focus `selector`, press `key`, wait for the rerun to finish; measure its painted chart updates."""
    target = page.locator(selector).first
    target.focus()
    t0 = page.evaluate("() => window.__e2e.reset()")
    page.keyboard.press(key)
    t_input = page.evaluate("() => window.__e2e.lastInput")
    if t_input < t0:  # the key event did not reach the page (e.g. focus lost): fall back to the reset time
        t_input = t0
    wait_for_idle(page, timeout, since=t_input)
    return summarize(page.evaluate("() => window.__e2e.snapshot()"), t_input)
