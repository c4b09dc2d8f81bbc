"""Load tests: `python tests/e2e/load_test.py [--sessions 1 4 8 16] [--runs 5]`, and a class:
`python tests/e2e/load_test.py --classroom 30 [--uploads 4] [--link "n=1000&steps=2000&lr=0.05"]`.

For each N, N browser sessions at once on one fresh `streamlit run` server, each with its own settings
(its own seed and n, from its address), each pressing ArrowRight on the learning rate `runs` times and
waiting for each run to finish. Reports p50/p95 from the key to the first painted frame of the new run and
to its last, the server's RSS (with its training worker; peak, sampled every 100 ms), errors (exceptions
shown, console errors, runs that never finished: must be 0), and whether every session's final numbers
equal what `python -m linreg_core` prints for its settings. Not a pytest test.

The classroom: N sessions open one shared link within 10 s (a fresh server); once every one shows its run,
each changes the learning rate twice, at a moment of its own (a random 0-10 s, then 1-4 s after its first
change is done). Half the class move to the same values (one stop up, twice: they share those runs); the
other half each drag the slider to values of their own (2j+1 stops down, then one more: a burst of keys 40 ms
apart, timed from the last key). Reports key -> first painted frame p50/p95 of the 2N changes, open -> first
run shown, whether every session ends on the command line's numbers, errors, the server + worker RSS peak,
the health check's p50/p99 throughout (asked every 20 ms from a process of its own), and how many runs the
worker trained against those streamed from another visitor's. `--uploads K`: K more sessions, as the changes
begin, each upload a 19 MB file of 1,000,000 rows x 9 columns at the same moment and train on it (their final
numbers against the command line's on the same file).

All N browsers run on this machine's two cores, which a real server does not share with its visitors:
Chromium's scheduling group gets the training worker's weight, so the visitors' browsers take turns with
training and never hold the server back (`--browser-here` leaves Chromium at the server's weight, so
training gets a third of the CPU while N tabs render).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from server_bench import BrowserElsewhere, HealthProbe, Sampler  # noqa: E402

sys.path.insert(0, str(harness.REPO_ROOT))  # the engine, for the command line's answers
from dashboard.worker import AUTOGROUP_NICE  # noqa: E402
from linreg_core.settings import LR_STOPS, Settings  # noqa: E402

LINE = re.compile(r"^STEP: (\d+) - loss: (\S+), w0: (-?\d+\.\d{4}), w1: (-?\d+\.\d{4})$")
SIZES = (100, 1_000, 10_000, 100_000)
DONE_JS = """(b) => { const r = document.querySelector('.gtl-view');
                  return r && r.dataset.run !== b && r.dataset.state === 'done'
                    && document.querySelector("[data-testid='stApp']").dataset.testScriptState !== 'running'; }"""


# harness.PAINTS_JS's record (keys, and each frame whose painted fit line changed), but its frame loop runs
# only from a key until the new run is done and still for a second: a loop on every frame of every idle tab
# kept 30 tabs rendering frames for nothing, and the browsers took both cores from the class they measure.
ARMED_PAINTS_JS = r"""
(() => {
  const B = window.__paints = { keys: [], wall: [], frames: [] };
  const after = window.scheduler && scheduler.postTask ? (f) => scheduler.postTask(f, { priority: 'user-blocking' })
                                                       : (f) => setTimeout(f, 0);
  let last = null, armed = false, quietSince = 0, runAtKey = null;
  const check = () => {
    const r = document.querySelector('.gtl-view');
    const fit = r && r.querySelector('.gtl-plot[data-plot=fit]');
    if (!(fit && fit._fullData)) return;
    const line = fit._fullData.find((t) => t.name === 'current fit') || {};
    const sig = JSON.stringify(Array.from(line.y || []));  // what is painted (d.run changes before it is drawn)
    const now = performance.now();
    if (sig !== last) {
      last = sig;
      quietSince = now;
      B.frames.push([now, r.dataset.run, r.dataset.step, r.dataset.state]);
    }
    if (r.dataset.run !== runAtKey && r.dataset.state === 'done' && now - quietSince > 1000) armed = false;
  };
  const frame = () => { after(check); if (armed) requestAnimationFrame(frame); };
  document.addEventListener('keydown', () => {
    B.keys.push(performance.now());
    B.wall.push(Date.now());
    const r = document.querySelector('.gtl-view');
    runAtKey = r ? r.dataset.run : null;
    if (!armed) { armed = true; requestAnimationFrame(frame); }
  }, true);
})();
"""
POLL_MS = 100  # Playwright's waits look this often, not on every frame (its default): many tabs wait at once


def session_settings(i: int) -> Settings:
    return Settings(n=SIZES[i % len(SIZES)], seed=i, lr=0.01)


async def one_session(browser, base: str, i: int, runs: int) -> dict:
    settings = session_settings(i)
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(600_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.add_init_script(ARMED_PAINTS_JS)
    await page.goto(f"{base}/?{urllib.parse.urlencode(settings.to_query())}")
    await page.wait_for_function(
        "() => (document.querySelector('.gtl-view') || {dataset: {}}).dataset.state == 'done'", polling=POLL_MS
    )
    first, final, finished = [], [], 0
    for _ in range(runs):
        before = await page.evaluate("() => document.querySelector('.gtl-view').dataset.run")
        await page.locator(".st-key-lr").get_by_role("slider").first.focus()
        await page.keyboard.press("ArrowRight")
        try:
            await page.wait_for_function(DONE_JS, arg=before, timeout=300_000, polling=POLL_MS)
            finished += 1
        except Exception as e:  # noqa: BLE001 - a run that never finished is counted as an error
            errors.append(f"run did not finish: {e}")
            continue
        data = await page.evaluate("() => window.__paints")
        key = data["keys"][-1]
        run = await page.evaluate("() => document.querySelector('.gtl-view').dataset.run")
        times = [t for t, r, *_ in data["frames"] if r == run and t >= key]
        if times:
            first.append(times[0] - key)
            final.append(times[-1] - key)
    exceptions = await page.get_by_test_id("stException").count()
    cells = await page.evaluate(
        """() => Array.from(document.querySelectorAll('.gtl-numbers tbody tr'),
                            tr => tr.querySelectorAll('td')[0].textContent)"""
    )
    await context.close()
    lr = LR_STOPS[LR_STOPS.index(settings.lr) + runs]
    return {"settings": settings.changed(lr=lr), "first": first, "final": final, "errors": errors,
            "exceptions": exceptions, "finished": finished, "shown": cells}  # fmt: skip


def cli_final(settings: Settings) -> tuple[str, str]:
    out = subprocess.run([sys.executable, "-m", "linreg_core", *settings.cli_args()], capture_output=True, text=True)
    match = LINE.match(out.stdout.strip().splitlines()[-1])
    return match[3], match[4]


async def load(n_sessions: int, runs: int, browser_here: bool) -> dict:
    from playwright.async_api import async_playwright

    weight = contextlib.nullcontext() if browser_here else BrowserElsewhere(nice=0, group_nice=AUTOGROUP_NICE)
    with harness.StreamlitServer() as server, weight:
        sampler = Sampler(server.proc.pid)
        sampler.start()
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=harness.chromium_path(), args=harness.CHROMIUM_ARGS)
            t0 = time.monotonic()
            results = await asyncio.gather(*(one_session(browser, server.url, i, runs) for i in range(n_sessions)))
            seconds = time.monotonic() - t0
            await browser.close()
        sampler.stop()
    first = [v for r in results for v in r["first"]]
    final = [v for r in results for v in r["final"]]
    matches = sum(1 for r in results if r["shown"][:2] == list(cli_final(r["settings"])))

    def pct(values, q):
        values = sorted(values)
        return values[min(len(values) - 1, int(q * len(values)))] if values else None

    return {
        "sessions": n_sessions, "runs": sum(r["finished"] for r in results), "seconds": seconds,
        "first_p50": statistics.median(first) if first else None, "first_p95": pct(first, 0.95),
        "final_p50": statistics.median(final) if final else None, "final_p95": pct(final, 0.95),
        "peak_children": sampler.peak_children, "peak_mb": sampler.peak,
        "peak_server_mb": sampler.peak_server, "errors": sum(len(r["errors"]) + r["exceptions"] for r in results),
        "error_sample": [e for r in results for e in r["errors"]][:3], "cli_match": f"{matches}/{n_sessions}",
    }  # fmt: skip


# ---- a class on one link ----------------------------------------------------------------------------


async def _press(page, keys: list[str], gap_s: float = 0.04) -> None:
    await page.locator(".st-key-lr").get_by_role("slider").first.focus()
    for k, key in enumerate(keys):
        if k:
            await asyncio.sleep(gap_s)
        await page.keyboard.press(key)


async def student(browser, url: str, i: int, opens_in: float, everyone_in, delays: tuple) -> dict:
    """Session i: opens the link, waits for the class, then changes the learning rate twice."""
    await asyncio.sleep(opens_in)
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(600_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.add_init_script(ARMED_PAINTS_JS)
    opened = time.monotonic()
    await page.goto(url)
    await page.wait_for_function(DONE_JS, arg=None, polling=POLL_MS)
    open_s = time.monotonic() - opened
    everyone_in[0] += 1
    while everyone_in[0] < everyone_in[1]:
        await asyncio.sleep(0.05)
    j = i // 2  # the same values for even sessions; values of their own for odd ones
    plans = [["ArrowRight"], ["ArrowRight"]] if i % 2 == 0 else [["ArrowLeft"] * (2 * j + 1), ["ArrowLeft"]]
    first, offset = [], 0
    for plan, delay in zip(plans, delays, strict=True):
        await asyncio.sleep(delay)
        before = await page.evaluate("() => document.querySelector('.gtl-view').dataset.run")
        await _press(page, plan)
        offset += len(plan) if plan[0] == "ArrowRight" else -len(plan)
        try:
            await page.wait_for_function(DONE_JS, arg=before, timeout=300_000, polling=POLL_MS)
        except Exception as e:  # noqa: BLE001 - a run that never finished is counted as an error
            errors.append(f"run did not finish: {e}")
            continue
        data = await page.evaluate("() => window.__paints")
        run = await page.evaluate("() => document.querySelector('.gtl-view').dataset.run")
        times = [t for t, r, *_ in data["frames"] if r == run and t >= data["keys"][-1]]
        if times:
            first.append(times[0] - data["keys"][-1])
    shown = await page.evaluate(
        "() => Array.from(document.querySelectorAll('.gtl-numbers tbody tr'), tr => tr.querySelector('td').textContent)"
    )
    exceptions = await page.get_by_test_id("stException").count()
    await context.close()
    return {"first": first, "open_s": open_s, "offset": offset, "shown": shown, "errors": errors,
            "exceptions": exceptions}  # fmt: skip


def big_upload(folder: Path) -> Path:
    """A 19 MB CSV of 1,000,000 rows x 9 columns of small integers, under the page's 20 MB upload limit."""
    path = folder / "class-upload.csv"
    import numpy as np

    rows = np.random.default_rng(7).integers(0, 10, size=(1000, 9))
    rows[:, 1] = 3 * rows[:, 0] + rows[:, 1]
    block = "".join(",".join(map(str, r)) + "\n" for r in rows.tolist())
    path.write_text("x,y,a,b,c,d,e,f,g\n" + block * 1000)
    return path


async def uploader(browser, base: str, path: Path, go) -> dict:
    """A visitor who uploads the big file the moment `go` is set, and waits for its run."""
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(600_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{base}/?data=csv")
    await page.get_by_test_id("stFileUploader").wait_for()
    await go.wait()
    await page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(str(path))
    problem = None
    try:
        await page.wait_for_function(DONE_JS, arg=None, timeout=600_000, polling=POLL_MS)
    except Exception:  # noqa: BLE001 - refused (the upload budget), or never finished: said below
        alerts = await page.get_by_test_id("stAlert").all_inner_texts()
        problem = alerts[-1] if alerts else "no run and no message"
    shown = await page.evaluate(
        """() => Array.from(document.querySelectorAll('.gtl-numbers tbody tr'),
                            tr => tr.querySelector('td').textContent)"""
    )
    await context.close()
    return {"shown": shown, "problem": problem, "errors": errors}


def cli_numbers(args: list[str]) -> tuple[str, str]:
    out = subprocess.run([sys.executable, "-m", "linreg_core", *args], capture_output=True, text=True, check=True)
    match = LINE.match(out.stdout.strip().splitlines()[-1])
    return match[3], match[4]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else None


async def classroom(n: int, link: str, uploads: int, browser_here: bool, seed: int) -> dict:
    from playwright.async_api import async_playwright

    base_settings = Settings.from_mapping(dict(urllib.parse.parse_qsl(link)))
    rng = random.Random(seed)
    delays = [(rng.uniform(0, 10), rng.uniform(1, 4)) for _ in range(n)]
    weight = contextlib.nullcontext() if browser_here else BrowserElsewhere(nice=0, group_nice=AUTOGROUP_NICE)
    env = {"GTL_TRACE": "1"}  # the server says which runs it trained and which it streamed from another's
    with tempfile.TemporaryDirectory() as tmp, harness.StreamlitServer(env=env) as server, weight:
        upload_path = big_upload(Path(tmp)) if uploads else None
        sampler = Sampler(server.proc.pid)
        sampler.start()
        with HealthProbe(server.url) as probe:
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=harness.chromium_path(), args=harness.CHROMIUM_ARGS)
                everyone_in, go = [0, n], asyncio.Event()
                url = f"{server.url}/?{link}"
                tasks = [student(browser, url, i, 10 * i / n, everyone_in, delays[i]) for i in range(n)]
                uploaders = [uploader(browser, server.url, upload_path, go) for _ in range(uploads)]

                async def start_uploads():
                    while everyone_in[0] < n:
                        await asyncio.sleep(0.05)
                    go.set()

                t0 = time.monotonic()
                *results, _ = await asyncio.gather(*tasks, *uploaders, start_uploads())
                seconds = time.monotonic() - t0
                await browser.close()
        sampler.stop()
        trace = server.stderr_tail(50_000_000)
        upload_cli = cli_numbers(["--csv", str(upload_path)]) if uploads else None
    students, ups = results[:n], results[n:]
    events = {e: trace.count(f'"{e}"') for e in ("submitted", "followed", "replayed")}
    first = [v for r in students for v in r["first"]]
    opens = [r["open_s"] for r in students]
    stop = LR_STOPS.index(base_settings.lr)
    matches = sum(
        1
        for r in students
        if r["shown"][:2] == list(cli_numbers(base_settings.changed(lr=LR_STOPS[stop + r["offset"]]).cli_args()))
    )
    errors = [e for r in students + ups for e in r["errors"]] + [
        f"exception shown in session {i}" for i, r in enumerate(students) if r["exceptions"]
    ]
    return {
        "sessions": n, "seconds": seconds, "changes": len(first),
        "first_p50": statistics.median(first) if first else None, "first_p95": pct(first, 0.95),
        "open_p50": statistics.median(opens), "open_p95": pct(opens, 0.95),
        "cli_match": f"{matches}/{n}", "errors": errors,
        "peak_mb": sampler.peak, "peak_server_mb": sampler.peak_server, "peak_children": sampler.peak_children,
        "health": sorted(probe.latencies), "runs": events,
        "uploads": [(u["shown"][:2] == list(upload_cli)) if not u["problem"] else u["problem"] for u in ups],
    }  # fmt: skip


def print_classroom(r: dict) -> None:
    h = r["health"]
    print(
        f"classroom: {r['sessions']} sessions on one link, {r['changes']} learning-rate changes, {r['seconds']:.0f} s"
    )
    print(f"  key -> first painted frame: p50 {r['first_p50']:.0f} ms, p95 {r['first_p95']:.0f} ms")
    print(f"  open -> first run shown:    p50 {r['open_p50']:.2f} s, p95 {r['open_p95']:.2f} s")
    print(f"  final numbers = CLI: {r['cli_match']}; errors: {len(r['errors'])}", *r["errors"][:3])
    print(f"  server + worker RSS peak {r['peak_mb']:.0f} MB (server alone {r['peak_server_mb']:.0f} MB)")
    p50, p99 = statistics.median(h), pct(h, 0.99)
    print(f"  health check: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {h[-1]:.1f} ms ({len(h)} checks)")
    runs = r["runs"]
    print(
        f"  runs trained {runs['submitted']}, followed while training {runs['followed']}, replayed {runs['replayed']}"
    )
    if r["uploads"]:
        print(f"  uploads (final numbers = CLI on the same file, or what the page said): {r['uploads']}")
    print("  at the RSS peak, the server's children were:", r["peak_children"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 8, 16])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--browser-here", action="store_true", help="leave Chromium at the server's weight")
    ap.add_argument("--classroom", type=int, metavar="N", help="N sessions on one shared link (see above)")
    ap.add_argument("--link", default="n=1000&steps=2000&lr=0.05", help="classroom: the shared link's query")
    ap.add_argument("--uploads", type=int, default=0, help="classroom: K more sessions upload 19 MB files at once")
    ap.add_argument("--seed", type=int, default=0, help="classroom: the moments the sessions change their rate")
    args = ap.parse_args(argv)
    if args.classroom:
        r = asyncio.run(classroom(args.classroom, args.link, args.uploads, args.browser_here, args.seed))
        print_classroom(r)
        return 1 if r["errors"] or r["cli_match"] != f"{args.classroom}/{args.classroom}" else 0
    rows = [asyncio.run(load(n, args.runs, args.browser_here)) for n in args.sessions]
    head = ("sessions", "runs", "key->1st frame p50/p95 ms", "key->last frame p50/p95 ms", "peak RSS MB",
            "errors", "final = CLI")  # fmt: skip
    print(" | ".join(head))
    for r in rows:
        print(" | ".join([
            f"{r['sessions']}", f"{r['runs']}", f"{r['first_p50']:.0f} / {r['first_p95']:.0f}",
            f"{r['final_p50']:.0f} / {r['final_p95']:.0f}", f"{r['peak_mb']:.0f} ({r['peak_server_mb']:.0f} server)",
            f"{r['errors']}", r["cli_match"],
        ]))  # fmt: skip
        print("   at the peak, the server's children were:", r["peak_children"])
        if r["error_sample"]:
            print("   errors, e.g.:", r["error_sample"])
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
