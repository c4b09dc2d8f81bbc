"""Browser benchmark of the live chart: `python tests/e2e/browser_bench.py [--reps 5] [--n 100 1000000]`.

Starts `streamlit run app.py` like the e2e fixtures, opens it in Debian's Chromium, and for each n:
opens `?n=<n>` in a fresh browser context (cold cache: includes the lazy ~4.6 MB Plotly bundle), waits for the
first run, then repeatedly presses ArrowRight/ArrowLeft on the learning-rate slider and measures in the page:
- first update: key press -> first painted change of any Plotly chart,
- final: key press -> script state back to notRunning,
- painted updates/s of the busiest chart from its first to its last painted update (this window ends with
  the swap from the live chart to the replay, so it counts that pause), and the steady rate 1000/median gap,
- live frames/s: the live chart's own paints (it logs them) from its first to its last, i.e. the live phase,
- longest pause between two painted updates, and how many new plot elements appeared (remounts).
Prints a table of medians. Not a pytest test (its name does not match test_*.py). Exit code 1 when a run
showed an exception or painted nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

# ---- what the bench touches in the app (change here if the app changes) -----------------------------------
# Streamlit 1.67 sliders are react-aria <input type=range>: implicit role "slider", no [role=slider] attribute
LR_SLIDER = ".st-key-lr >> role=slider"
N_WIDGET = ".st-key-n"  # select_slider (role=slider; aria-valuetext "1,000,000"), slider or number input
SET_N = "query"  # "query": open ?n=<n>, then check N_WIDGET and fall back to the keyboard;  "keys": keyboard only
PLOT_SELECTOR = ".js-plotly-plot"  # every Plotly div, whether st.plotly_chart's or a component's
EXCEPTION_SELECTOR = "[data-testid='stException']"
SLIDER_SELECTOR = "[data-testid='stSlider']"  # cold start counts the controls as shown when 6 sliders are
# the live chart's own log of its painted frames (page times); the live phase is its first to last paint
LIVE_PAINTS_JS = "() => (window.__gradientTapeLabPlots && window.__gradientTapeLabPlots.get('live') || {}).paints || []"
VIEWPORT = {"width": 1400, "height": 900}
# ------------------------------------------------------------------------------------------------------------


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _fmt(v, nd=0):
    return "-" if v is None else f"{v:,.{nd}f}"


def shown_n(page) -> int | None:
    """The n that N_WIDGET shows (slider's aria-valuetext/value or number input's value), digits only."""
    return page.evaluate(
        """(sel) => { const w = document.querySelector(sel); if (!w) return null;
             const el = w.querySelector('input[type=range], [role=slider], input');
             if (!el) return null;
             const t = el.getAttribute('aria-valuetext') || el.value || '';
             const d = t.replace(/[^0-9.eE+-]/g, ''); const v = Number(d);
             return d && Number.isFinite(v) ? Math.round(v) : null; }""",
        N_WIDGET,
    )


def set_n(page, base: str, n: int, extra_query: str = "") -> str:
    """Open the app with n set: by URL query first; if the widget disagrees, by keyboard on its slider.
    Returns how: "query" or "keys" (then the open->first chart time is that of the default n)."""
    extra = extra_query.lstrip("?&")
    query = "&".join(q for q in ((f"n={n}" if SET_N == "query" else ""), extra) if q)
    page.goto(f"{base}/?{query}" if query else base)
    harness.wait_for_trained(page, 600_000)
    if shown_n(page) in (n, None):  # None: no such widget; trust the URL
        return "query"
    thumb = page.locator(N_WIDGET).get_by_role("slider").first
    if thumb.count() == 0:
        box = page.locator(N_WIDGET).locator("input").first
        box.fill(str(n))
        box.press("Enter")
        harness.wait_for_idle(page, 600_000)
        return "keys"
    now = shown_n(page)
    thumb.focus()
    page.keyboard.press("End" if now is None or now < n else "Home")  # jump to the nearer end, then step back
    harness.wait_for_idle(page, 600_000)
    for _ in range(100):  # each key press is one rerun; select_slider options are few
        now = shown_n(page)
        if now == n:
            return "keys"
        thumb.focus()
        page.keyboard.press("ArrowRight" if now is None or now < n else "ArrowLeft")
        harness.wait_for_idle(page, 600_000)
        if shown_n(page) == now:  # hit an end without reaching n
            break
    raise SystemExit(f"could not set n={n} (the app shows {shown_n(page)})")


def open_and_first_chart(page, base: str, n: int, extra_query: str = "") -> tuple[float | None, str]:
    """Open the app at n; return (ms from navigation start to the first painted chart or None, how n was set)."""
    how = set_n(page, base, n, extra_query)  # waits for the first run (at n=1e6 it may compile for a while)
    snap = page.evaluate("() => window.__e2e.snapshot()")
    firsts = [s[0] for s in snap["slots"] if s]
    return (min(firsts) if firsts else None), how


def bench_n(browser, base: str, n: int, reps: int, warmup: int, extra_query: str = "") -> dict:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(600_000)
    harness.instrument(page)
    page.add_init_script(f"window.__e2e && (window.__e2e.plotSelector = {json.dumps(PLOT_SELECTOR)});")
    webgl_warnings = []
    page.on("console", lambda m: webgl_warnings.append(m.text) if "WebGL" in m.text else None)
    first_chart_ms, how = open_and_first_chart(page, base, n, extra_query)
    results, problems, live = [], [], []
    for i in range(warmup + reps):
        key = "ArrowRight" if i % 2 == 0 else "ArrowLeft"  # stay near the starting learning rate
        it = harness.press_and_measure(page, LR_SLIDER, key, timeout=600_000)
        if page.locator(EXCEPTION_SELECTOR).count():
            problems.append(f"n={n}: exception shown: {page.locator(EXCEPTION_SELECTOR).first.inner_text()[:300]}")
        if it.updates == 0:
            problems.append(f"n={n} run {i}: no chart update painted")
        if i >= warmup:
            paints = [t for t in page.evaluate(LIVE_PAINTS_JS) if t >= it.t_input]
            span = (paints[-1] - paints[0]) / 1000 if len(paints) >= 2 else 0
            live.append(((len(paints) - 1) / span if span > 0 else None, len(paints)))
            results.append(it)
        time.sleep(0.2)
    harness.screenshot(page, f"bench-n{n}")
    context.close()
    return {
        "n": n,
        "n_set_by": how,
        "open_to_first_chart_ms": first_chart_ms,
        "first_update_ms": _median([r.first_update_ms for r in results]),
        "final_ms": _median([r.final_ms for r in results]),
        "updates_per_s": _median([r.updates_per_s for r in results]),
        "updates": _median([r.updates for r in results]),
        "max_gap_ms": _median([r.max_gap_ms for r in results]),
        "steady_per_s": _median([1000 / r.median_gap_ms if r.median_gap_ms else None for r in results]),
        "remounts": _median([r.mounts for r in results]),
        "live_per_s": _median([rate for rate, _ in live]),
        "live_frames": _median([count for _, count in live]),
        "webgl_warnings": len(webgl_warnings),
        "webgl_sample": sorted({w[:120] for w in webgl_warnings}, key=lambda w: "Too many" not in w)[:3],
        "raw": [r.__dict__ for r in results],
        "problems": problems,
    }


def _page_time_when(page, condition_js: str) -> float:
    """Page time (ms since navigation start) of the first animation frame where `condition_js` holds."""
    handle = page.wait_for_function(f"() => ({condition_js}) && performance.now()", polling="raf", timeout=600_000)
    return handle.json_value()


def cold_start(browser, app: Path) -> dict:
    """A fresh server (TensorFlow not yet imported) and a fresh browser context: when do title, controls,
    the first chart and the first finished run appear, in ms after the page is opened?"""
    server = harness.StreamlitServer(app=app, cwd=harness.REPO_ROOT)
    base = server.start()
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        harness.instrument(page)
        page.goto(base, wait_until="commit")
        title = _page_time_when(page, "document.querySelector('h1')")
        controls = _page_time_when(page, f"document.querySelectorAll({json.dumps(SLIDER_SELECTOR)}).length >= 6")
        chart = _page_time_when(page, "[...document.querySelectorAll('.js-plotly-plot')].some(el => el._fullLayout)")
        harness.wait_for_trained(page, 600_000)
        trained = page.evaluate("() => window.__e2e.runEnds.slice(-1)[0]")
        return {"title_ms": title, "controls_ms": controls, "first_chart_ms": chart, "trained_ms": trained}
    finally:
        context.close()
        server.stop()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100, 1_000_000])
    ap.add_argument("--reps", type=int, default=5, help="measured presses per n (median reported)")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured presses first")
    ap.add_argument("--app", type=Path, default=harness.APP_PATH, help="script to run (default: repo app.py)")
    ap.add_argument("--url", help="use this running server instead of starting one")
    ap.add_argument("--query", default="", help="extra URL query, e.g. 'steps=500&seed=1'")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--cold", type=int, default=3, help="fresh servers to time a cold start on (0: skip)")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    server = None
    if args.url:
        base = args.url.rstrip("/")
    else:
        server = harness.StreamlitServer(app=args.app.resolve(), cwd=harness.REPO_ROOT)
        t0 = time.perf_counter()
        base = server.start()
        print(f"server up in {time.perf_counter() - t0:.1f} s at {base}", flush=True)
    rows = []
    try:
        with sync_playwright() as p:
            browser = harness.launch_chromium(p)
            colds = [] if args.url else [cold_start(browser, args.app.resolve()) for _ in range(args.cold)]
            for n in args.n:
                rows.append(bench_n(browser, base, n, args.reps, args.warmup, args.query))
                print(f"n={n:,} done", flush=True)
            browser.close()
    finally:
        if server:
            server.stop()

    head = ["n", "open->1st chart ms", "key->1st update ms", "key->final ms", "painted upd/s", "steady upd/s",
            "updates", "max gap ms", "remounts", "live frames/s", "live frames"]  # fmt: skip
    print(f"\nmedians over {args.reps} presses (after {args.warmup} warm-up), page-side timings")
    print(" | ".join(f"{h:>18}" for h in head))
    for r in rows:
        label = f"{r['n']:,}" + ("" if r["n_set_by"] == "query" else " (keys)")
        cells = [
            label, _fmt(r["open_to_first_chart_ms"]), _fmt(r["first_update_ms"]), _fmt(r["final_ms"]),
            _fmt(r["updates_per_s"], 1), _fmt(r["steady_per_s"], 1), _fmt(r["updates"]), _fmt(r["max_gap_ms"]),
            _fmt(r["remounts"]), _fmt(r["live_per_s"], 1), _fmt(r["live_frames"]),
        ]  # fmt: skip
        print(" | ".join(f"{c:>18}" for c in cells))
    if colds:
        print(f"\ncold start, medians over {len(colds)} fresh servers (ms after the page is opened)")
        for label, key in (("title", "title_ms"), ("controls", "controls_ms"), ("first chart", "first_chart_ms"),
                           ("first run finished", "trained_ms")):  # fmt: skip
            values = [c[key] for c in colds]
            print(f"{label:>20}: {_fmt(_median(values))}  ({', '.join(_fmt(v) for v in values)})")
    problems = [p for r in rows for p in r["problems"]]
    for r in rows:  # SwiftShader's "GPU stall due to ReadPixels" is noise; lost contexts are not
        lost = [w for w in r["webgl_sample"] if "Too many active WebGL contexts" in w or "CONTEXT_LOST" in w]
        if lost:
            problems.append(f"n={r['n']}: WebGL contexts lost (a Scattergl chart remounted per frame?): {lost[0]}")
        elif r["webgl_warnings"]:
            print(f"note: n={r['n']}: {r['webgl_warnings']} WebGL driver messages, e.g. {r['webgl_sample'][0]}")
    for msg in problems:
        print("PROBLEM:", msg)
    if args.json:
        args.json.write_text(json.dumps({"cold_start": colds, "runs": rows}, indent=2))
    return 1 if any("exception" in m or "no chart update" in m for m in problems) else 0


if __name__ == "__main__":
    sys.exit(main())
