"""Load test: `python tests/e2e/load_test.py [--sessions 1 4 8 16] [--runs 5]`.

For each N, N browser sessions at once on one fresh `streamlit run` server, each with its own settings
(its own seed and n, from its address), each pressing ArrowRight on the learning rate `runs` times and
waiting for each run to finish. Reports p50/p95 from the key to the first painted frame of the new run and
to its last, the server's RSS (with its training worker; peak, sampled every 100 ms), errors (exceptions
shown, console errors, runs that never finished: must be 0), and whether every session's final numbers
equal what `python -m linreg_core` prints for its settings. Not a pytest test.

All N browsers run on this machine's two cores, which a real server does not share with its visitors:
Chromium's scheduling group gets the training worker's weight, so the visitors' browsers take turns with
training and never hold the server back (`--browser-here` leaves Chromium at the server's weight, so
training gets a third of the CPU while N tabs render).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from server_bench import BrowserElsewhere, Sampler  # noqa: E402

sys.path.insert(0, str(harness.REPO_ROOT))  # the engine, for the command line's answers
from dashboard.worker import AUTOGROUP_NICE  # noqa: E402
from linreg_core.settings import LR_STOPS, Settings  # noqa: E402

LINE = re.compile(r"^STEP: (\d+) - loss: (\S+), w0: (-?\d+\.\d{4}), w1: (-?\d+\.\d{4})$")
SIZES = (100, 1_000, 10_000, 100_000)
DONE_JS = """(b) => { const r = document.querySelector('.gtl-view');
                  return r && r.dataset.run !== b && r.dataset.state === 'done'
                    && document.querySelector("[data-testid='stApp']").dataset.testScriptState !== 'running'; }"""


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
    await page.add_init_script(harness.PAINTS_JS)
    await page.goto(f"{base}/?{urllib.parse.urlencode(settings.to_query())}")
    await page.wait_for_function("() => (document.querySelector('.gtl-view') || {dataset: {}}).dataset.state == 'done'")
    first, final, finished = [], [], 0
    for _ in range(runs):
        before = await page.evaluate("() => document.querySelector('.gtl-view').dataset.run")
        await page.locator(".st-key-lr").get_by_role("slider").first.focus()
        await page.keyboard.press("ArrowRight")
        try:
            await page.wait_for_function(DONE_JS, arg=before, timeout=300_000)
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 8, 16])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--browser-here", action="store_true", help="leave Chromium at the server's weight")
    args = ap.parse_args(argv)
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
