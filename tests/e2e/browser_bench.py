"""Browser benchmark of the run chart: `python tests/e2e/browser_bench.py [--reps 5] [--n 100 1000000] [--cold 3]`.

Starts `streamlit run app.py` like the e2e fixtures and opens it in Debian's Chromium. For each n it opens
`?n=<n>`, waits for the first run, then presses ArrowRight/ArrowLeft on the learning-rate slider `reps`
times and reads, in the page, every animation frame in which the run chart painted something new (the fit
line or the loss marker changed in Plotly's own data):
- key -> first frame: from the key press to the first painted frame of the new run (its id on the chart),
- live frames/s: that run's painted frames while it is live, from its first to its last,
- longest gap: the longest pause between two painted frames from the first live frame until the chart is in
  its replay state ("done"),
- shift: how far the chart grid and the numbers table moved (px) from the first live frame to the end,
- dragging the start on the landscape (this checkout only): pointer move -> predicted path painted (median,
  p95) and release -> the first painted frame of the run it trains, beside key -> first frame.
Then `--cold` fresh servers: when the title, the controls, the first chart and the first finished run
appear after the page is opened. And, side by side, Streamlit's own floor on this machine (`--floor`): a page
of one slider and one component that writes the slider's value, timed from key press to painted value, alone
and with 30 more sliders in its sidebar (this page has about as many elements). Prints medians. With
`--against DIR` (another checkout, e.g. main's) both pages are measured in turn in the same run, each on a
server of its own, and the ratios of their medians are printed. Not a pytest test (its name does not match
test_*.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

VIEWPORT = {"width": 1400, "height": 900}
THIS, OTHER = "this", "other"  # this checkout, and the one given with --against
LR_SLIDER = ".st-key-lr >> role=slider"

# After each frame is rendered: if the chart's painted fit line or loss marker changed (in Plotly's own data),
# log the time, the run and step it shows, its state, and the boxes of the grid and the numbers table.
FRAMES_JS = (
    harness.AFTER_EACH_FRAME_JS
    + r"""
(() => {
  const B = window.__bench = { frames: [], keys: [] };
  document.addEventListener('keydown', () => B.keys.push(performance.now()), true);
  let last = null;
  const box = (el) => { if (!el) return null; const b = el.getBoundingClientRect();
                        return [Math.round(b.x), Math.round(b.y), Math.round(b.width), Math.round(b.height)]; };
  const check = () => {
    const r = document.querySelector('.gtl-view');
    const fit = r && r.querySelector('.gtl-plot[data-plot=fit]');
    const loss = r && r.querySelector('.gtl-plot[data-plot=loss]');
    if (!(fit && fit._fullData && loss && loss._fullData)) return;
    const named = (gd, name) => gd._fullData.find((t) => t.name === name) || {};
    const line = named(fit, 'current fit'), marker = named(loss, 'shown step');
    // what is painted, not the chart's own attributes (its run id changes when it hears a header, before
    // it draws that run)
    const sig = JSON.stringify([Array.from(line.y || []), Array.from(marker.x || [])]);
    if (sig !== last) {
      last = sig;
      B.frames.push({ t: performance.now(), run: r.dataset.run, step: r.dataset.step, state: r.dataset.state,
                      grid: box(r.querySelector('.gtl-grid')), table: box(r.querySelector('.gtl-numbers')) });
    }
    B.doneAt = B.doneAt || {};  // when each run reached its replay state
    if (r.dataset.state === 'done' && !(r.dataset.run in B.doneAt)) B.doneAt[r.dataset.run] = performance.now();
  };
  afterEachFrame(check);  // each frame as it was painted (harness.AFTER_EACH_FRAME_JS)
})();
"""
)


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _fmt(v, nd=0):
    return "-" if v is None else f"{v:,.{nd}f}"


def measure_press(page, key: str) -> dict:
    before = page.evaluate("() => document.querySelector('.gtl-view').dataset.run")
    page.locator(LR_SLIDER).first.focus()
    page.keyboard.press(key)
    page.wait_for_function(
        """(b) => { const r = document.querySelector('.gtl-view');
                    return r.dataset.run !== b && r.dataset.state === 'done'; }""",
        arg=before, timeout=600_000, polling=50,
    )  # fmt: skip
    harness.wait_for_idle(page, 600_000)
    bench = page.evaluate("() => window.__bench")
    t_key = bench["keys"][-1]
    run = page.evaluate("() => document.querySelector('.gtl-view').dataset.run")
    frames = [f for f in bench["frames"] if f["run"] == run and f["t"] >= t_key]
    live = [f for f in frames if f["state"] == "live"]
    done_at = (bench.get("doneAt") or {}).get(run)
    until = [f["t"] for f in frames if done_at is None or f["t"] <= done_at + 1]
    gaps = [b - a for a, b in zip(until, until[1:], strict=False)]
    first = frames[0] if frames else None
    shift = max(
        (max(abs(a - b) for a, b in zip(f[k], first[k], strict=True)) for f in frames for k in ("grid", "table")),
        default=None,
    )
    span = (live[-1]["t"] - live[0]["t"]) / 1000 if len(live) >= 2 else 0
    return {
        "first_frame_ms": first["t"] - t_key if first else None,
        "live_fps": (len(live) - 1) / span if span > 0 else None,
        "live_frames": len(live),
        "max_gap_ms": max(gaps) if gaps else None,
        "shift_px": shift,
        "finished_ms": (done_at - t_key) if done_at else None,
    }


# While the start is dragged on the landscape (js/drag.js): each pointer move's time, and each frame, checked once
# it is rendered, in which the painted predicted path changed; and each pointer release.
DRAG_JS = (
    harness.AFTER_EACH_FRAME_JS
    + r"""
(() => {
  const D = window.__drag = { moves: [], paints: [], ups: [] };
  document.addEventListener('pointermove', (e) => { if (e.buttons) D.moves.push(performance.now()); }, true);
  document.addEventListener('pointerup', () => D.ups.push(performance.now()), true);
  let last = null;
  const check = () => {
    const t = document.querySelector('.gtl-panel-landscape .gtl-sketch [data-name="predicted path"]');
    if (!t) return;
    const sig = t.getAttribute('d');
    if (sig !== last) { last = sig; D.paints.push(performance.now()); }
  };
  afterEachFrame(check);
})();
"""
)
DRAG_MOVES = 24  # pointer moves per drag
MOVE_EVERY_MS = 80  # between moves: each one's preview is painted before the next comes


def measure_drag(page, turn: int) -> dict:
    """One drag of the start: press, DRAG_MOVES moves around the bowl, release (each turn somewhere else, so
    that each release is a new start). Each move -> the first frame after it that painted a new predicted
    path; the release -> the first painted frame of the run it trains."""
    before = page.evaluate("() => document.querySelector('.gtl-view').dataset.run")
    page.locator(".gtl-panel-landscape").scroll_into_view_if_needed()
    box = page.locator(".gtl-panel-landscape .gtl-stack").bounding_box()
    left, top = box["x"] + 64, box["y"] + 8  # the plot area (js/layers.js margins)
    width, height = box["width"] - 76, box["height"] - 54
    seen = page.evaluate("() => ({ moves: window.__drag.moves.length, paints: window.__drag.paints.length })")
    page.mouse.move(left + 0.3 * width, top + 0.3 * height)
    page.mouse.down()
    for k in range(DRAG_MOVES):
        a = 0.3 + 0.4 * k / (DRAG_MOVES - 1) - 0.05 * (turn % 5)
        page.mouse.move(left + a * width, top + (0.7 - 0.4 * (k % 5) / 4) * height)
        page.wait_for_timeout(MOVE_EVERY_MS)
    page.mouse.up()
    page.wait_for_function(
        """(b) => { const r = document.querySelector('.gtl-view');
                    return r.dataset.run !== b && r.dataset.state === 'done'; }""",
        arg=before, timeout=600_000, polling=50,
    )  # fmt: skip
    harness.wait_for_idle(page, 600_000)
    drag = page.evaluate("() => window.__drag")
    moves, paints = drag["moves"][seen["moves"] :], drag["paints"][seen["paints"] :]
    latencies = []
    for k, t in enumerate(moves):
        end = moves[k + 1] if k + 1 < len(moves) else t + MOVE_EVERY_MS
        after = [p for p in paints if t <= p < end + 1000 / 60]
        latencies.append(after[0] - t if after else None)  # None: this move painted nothing new (same grid point)
    bench = page.evaluate("() => window.__bench")
    run = page.evaluate("() => document.querySelector('.gtl-view').dataset.run")
    up = drag["ups"][-1]
    frames = [f["t"] for f in bench["frames"] if f["run"] == run and f["t"] >= up]
    return {
        "move_ms": [x for x in latencies if x is not None],
        "release_first_frame_ms": frames[0] - up if frames else None,
    }


def _p95(values):
    values = sorted(v for v in values if v is not None)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))] if values else None


def bench_n(browser, bases: dict[str, str], n: int, reps: int, warmup: int) -> dict[str, dict]:
    """Each checkout's page (label -> server address), its presses taking turns with the others' so that a
    busy moment of a shared machine weighs on each alike."""
    opened = {label: harness.trained_page(browser, f"{base}/?n={n}", FRAMES_JS, DRAG_JS, viewport=VIEWPORT)
              for label, base in bases.items()}  # fmt: skip
    drags: dict = {label: [] for label in bases}
    results: dict = {label: [] for label in bases}
    problems: dict = {label: [] for label in bases}
    for i in range(warmup + reps):
        for label, (_, page) in opened.items():
            r = measure_press(page, "ArrowRight" if i % 2 == 0 else "ArrowLeft")  # stay near the default rate
            if page.get_by_test_id("stException").count():
                problems[label].append(f"{label} n={n}: an exception is shown")
            if not r["live_frames"]:
                problems[label].append(
                    f"{label} n={n}: no painted frame was seen (has the chart's trace naming changed?)"
                )
            if i >= warmup:
                results[label].append(r)
            time.sleep(0.3)
            if page.locator(".gtl-draggable").count():  # a page with the start to drag (this checkout's)
                d = measure_drag(page, i)
                if i >= warmup:
                    drags[label].append(d)
                time.sleep(0.3)
    keys = ("first_frame_ms", "live_fps", "live_frames", "max_gap_ms", "shift_px", "finished_ms")
    out = {}
    for label, (context, page) in opened.items():
        harness.screenshot(page, f"bench-n{n}" + ("" if label == THIS else f"-{label}"))
        context.close()
        rs = results[label]
        out[label] = {"n": n, **{k: _median([r[k] for r in rs]) for k in keys}, "raw": rs, "problems": problems[label]}
        moves = [ms for d in drags[label] for ms in d["move_ms"]]
        out[label].update(move_ms=_median(moves), move_p95_ms=_p95(moves), moves=len(moves),
                          release_ms=_median([d["release_first_frame_ms"] for d in drags[label]]))  # fmt: skip
    return out


# The floor: the least a key press on a Streamlit slider costs before a component can paint its new value.
FLOOR_APP = """
import os
import streamlit as st

echo = st.components.v2.component("floor.echo", isolate_styles=False, js=\"\"\"
export default function ({ data, parentElement }) {
  let el = parentElement.querySelector('.floor-value');
  if (!el) { el = document.createElement('div'); el.className = 'floor-value'; parentElement.append(el); }
  el.textContent = String(data.value);
}
\"\"\")
value = st.slider("value", 0, 100, 50, key="value")
for i in range(int(os.environ.get("FLOOR_EXTRA", "0"))):
    st.sidebar.slider(f"other {i}", 0, 10, 5, key=f"other-{i}", help="Another control.")
echo(data={"value": value}, key="echo")
"""

# When the painted value changes (checked after each frame is rendered, as FRAMES_JS does).
FLOOR_JS = (
    harness.AFTER_EACH_FRAME_JS
    + r"""
(() => {
  const B = window.__floor = { keys: [], frames: [] };
  document.addEventListener('keydown', () => B.keys.push(performance.now()), true);
  let last = null;
  const check = () => {
    const el = document.querySelector('.floor-value');
    const text = el && el.textContent;
    if (text !== last) { last = text; B.frames.push(performance.now()); }
  };
  afterEachFrame(check);
})();
"""
)


def floor(browser, reps: int, extra: int) -> float | None:
    """Median ms from a key press on the floor page's slider to its value painted by the component."""
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "floor_app.py"
        app.write_text(FLOOR_APP)
        env = {**os.environ, "FLOOR_EXTRA": str(extra)}
        with harness.StreamlitServer(app=app, cwd=Path(tmp), env=env) as server:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            page.add_init_script(FLOOR_JS)
            page.goto(server.url)
            page.wait_for_selector(".floor-value")
            harness.wait_for_idle(page, 60_000)
            times = []
            for i in range(reps + 1):
                page.locator(".st-key-value").get_by_role("slider").first.focus()
                seen = page.evaluate("() => window.__floor.frames.length")
                page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
                page.wait_for_function(f"() => window.__floor.frames.length > {seen}")
                harness.wait_for_idle(page, 60_000)
                b = page.evaluate("() => window.__floor")
                if i:  # the first press warms up
                    times.append(b["frames"][seen] - b["keys"][-1])
            context.close()
    return _median(times)


def _page_time_when(page, condition_js: str) -> float:
    handle = page.wait_for_function(f"() => ({condition_js}) && performance.now()", polling="raf", timeout=600_000)
    return handle.json_value()


def cold_start(browser, root: Path) -> dict:
    """A fresh server of the checkout at `root` and a fresh browser context: when do the title, the controls,
    the first chart and the first finished run appear, in ms after the page is opened?"""
    server = harness.StreamlitServer(app=root / "app.py", cwd=root)
    base = server.start()
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(base, wait_until="commit")
        title = _page_time_when(page, "document.querySelector('h1')")
        controls = _page_time_when(page, "document.querySelectorAll('[data-testid=stSlider]').length >= 5")
        chart = _page_time_when(page, "(document.querySelector('.gtl-plot[data-plot=fit]') || {})._fullLayout")
        done = _page_time_when(page, "(document.querySelector('.gtl-view') || {dataset: {}}).dataset.state === 'done'")
        return {"title_ms": title, "controls_ms": controls, "first_chart_ms": chart, "trained_ms": done}
    finally:
        context.close()
        server.stop()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[100, 1_000_000])
    ap.add_argument("--reps", type=int, default=5, help="measured presses per n (median reported)")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured presses first")
    ap.add_argument("--cold", type=int, default=3, help="fresh servers to time a cold start on (0: skip)")
    ap.add_argument("--floor", type=int, default=1, help="1: also time Streamlit's own floor (0: skip)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--against", type=Path, help="another checkout: its page measured in turn with this one's")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    roots = {THIS: harness.REPO_ROOT, **({OTHER: args.against.resolve()} if args.against else {})}
    by_label: dict = {label: [] for label in roots}
    colds: dict = {label: [] for label in roots}
    floors = {}
    with sync_playwright() as p, contextlib.ExitStack() as stack:
        browser = harness.launch_chromium(p)
        for rep in range(args.cold):
            turns = list(roots.items())
            for label, root in turns if rep % 2 == 0 else reversed(turns):  # neither always goes first
                colds[label].append(cold_start(browser, root))
        servers = {label: stack.enter_context(harness.StreamlitServer(app=root / "app.py", cwd=root)).url
                   for label, root in roots.items()}  # fmt: skip
        for n in args.n:
            for label, row in bench_n(browser, servers, n, args.reps, args.warmup).items():
                by_label[label].append(row)
            print(f"n={n:,} done", flush=True)
        stack.close()
        if args.floor:
            floors = {extra: floor(browser, args.reps, extra) for extra in (0, 30)}
        browser.close()
    for label in roots:
        if len(roots) > 1:
            print(f"\n==== {label}: {roots[label]}")
        report(by_label[label], colds[label], floors if label == THIS else {}, args)
    if len(roots) > 1:
        compare(by_label, colds)
    if args.json:
        args.json.write_text(json.dumps({"roots": {k: str(v) for k, v in roots.items()}, "cold_start": colds,
                                         "runs": by_label, "floor": floors}, indent=2))  # fmt: skip
    return 1 if any(p for rows in by_label.values() for r in rows for p in r["problems"]) else 0


def report(rows: list[dict], colds: list[dict], floors: dict, args) -> None:
    """One checkout's medians."""
    head = ["n", "key->1st frame ms", "live frames/s", "live frames", "longest gap ms", "shift px", "key->done ms"]
    print(f"\nmedians over {args.reps} learning-rate key presses (after {args.warmup} warm-up), warm server")
    print(" | ".join(f"{h:>17}" for h in head))
    for r in rows:
        cells = [f"{r['n']:,}", _fmt(r["first_frame_ms"]), _fmt(r["live_fps"], 1), _fmt(r["live_frames"]),
                 _fmt(r["max_gap_ms"]), _fmt(r["shift_px"]), _fmt(r["finished_ms"])]  # fmt: skip
        print(" | ".join(f"{c:>17}" for c in cells))
    dragged = [r for r in rows if r.get("moves")]
    if dragged:
        print(f"\ndragging the start on the landscape, {args.reps} drags of {DRAG_MOVES} moves each, medians")
        for r in dragged:
            line = (f"n={r['n']:,}: pointer move -> predicted path painted {_fmt(r['move_ms'], 1)} ms "
                    f"(p95 {_fmt(r['move_p95_ms'], 1)}, {r['moves']} moves); release -> first trained frame "
                    f"{_fmt(r['release_ms'])} ms, key -> first frame {_fmt(r['first_frame_ms'])} ms")  # fmt: skip
            if r["release_ms"] and r["first_frame_ms"]:
                line += f" (release / key = {r['release_ms'] / r['first_frame_ms']:.2f})"
            if floors.get(30) and r["move_ms"]:
                line += f"; move -> preview / Streamlit's floor = {r['move_ms'] / floors[30]:.3f}"
            print(line)
    if floors:
        print(f"\nStreamlit's floor here: key -> a component's painted value, medians over {args.reps} presses")
        for extra, ms in floors.items():
            print(f"{'one slider' if not extra else f'one slider + {extra} in the sidebar':>34}: {_fmt(ms)} ms")
        if rows and floors.get(30):
            ratios = ", ".join(
                f"n={r['n']:,} {r['first_frame_ms'] / floors[30]:.2f}x" for r in rows if r["first_frame_ms"]
            )
            print(f"{'this page against the second':>34}: {ratios}")
    if colds:
        print(f"\ncold start, medians over {len(colds)} fresh servers (ms after the page is opened; range)")
        for label, key in COLD_KEYS:
            values = [c[key] for c in colds]
            print(f"{label:>20}: {_fmt(_median(values))}  ({_fmt(min(values))} to {_fmt(max(values))})")
    for msg in [p for r in rows for p in r["problems"]]:
        print("PROBLEM:", msg)


COLD_KEYS = (("title", "title_ms"), ("controls", "controls_ms"), ("first chart", "first_chart_ms"),
             ("first run finished", "trained_ms"))  # fmt: skip


def compare(by_label: dict, colds: dict) -> None:
    """This checkout's medians over the other's, measured in turn in this one run."""
    print(f"\n{THIS} / {OTHER}, medians measured in turn in this run (below 1: {THIS} is faster / fewer)")
    for mine, theirs in zip(by_label[THIS], by_label[OTHER], strict=True):
        cells = []
        for key, label in (("first_frame_ms", "key->1st frame"), ("live_fps", "live frames/s"),
                           ("max_gap_ms", "longest gap"), ("finished_ms", "key->done")):  # fmt: skip
            a, b = mine[key], theirs[key]
            cells.append(f"{label} {_fmt(a)} / {_fmt(b)} = {a / b:.2f}" if a and b else f"{label} -")
        print(f"  n={mine['n']:,}: " + "; ".join(cells))
    if colds[THIS]:
        for label, key in COLD_KEYS:
            a, b = _median([c[key] for c in colds[THIS]]), _median([c[key] for c in colds[OTHER]])
            print(f"  cold {label}: {_fmt(a)} / {_fmt(b)} ms = {a / b:.2f}")


if __name__ == "__main__":
    sys.exit(main())
