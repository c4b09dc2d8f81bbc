"""Server benchmarks for Streamlit Community Cloud's limits: memory, freezes and bursts.

  python tests/e2e/server_bench.py memory   # 10 sessions, one walking n up to 1,000,000: RSS peak and after
  python tests/e2e/server_bench.py health   # health-check latency while sessions rerun (does a run freeze others?)
  python tests/e2e/server_bench.py burst    # 16 learning-rate keys at n = 1,000,000: last key -> new run painted

Each starts `streamlit run` like the e2e fixtures (`--app` picks another script, e.g. an older app.py in a git
worktree, for before/after tables), drives Debian's Chromium by keyboard only (so any version of the page
works), and samples the resident memory of the server and every process it started (the training worker) with
psutil. Not a pytest test; prints a table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

sys.path.insert(0, str(harness.REPO_ROOT))  # the chart's module address (view.chart_module)
from view import timeline as chart_timeline  # noqa: E402

VIEWPORT = {"width": 1400, "height": 900}
TRIM_PROBE = False  # --trim-probe
TRACE = False  # --trace: the server writes a timeline (GTL_TRACE) and the burst prints the final run's


def tree_rss_mb(pid: int) -> tuple[float, float]:
    """(server RSS, server + its child processes RSS) in MB."""
    try:
        proc = psutil.Process(pid)
        own = proc.memory_info().rss
        children = 0
        for child in proc.children(recursive=True):
            try:
                children += child.memory_info().rss
            except psutil.Error:  # it ended between the listing and the reading
                pass
    except psutil.Error:
        return 0.0, 0.0
    return own / 2**20, (own + children) / 2**20


class Sampler(threading.Thread):
    """Samples the server tree's RSS every `every` s; `peak` and `last` in MB."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.stop_flag = pid, every, threading.Event()
        self.peak = self.peak_server = 0.0
        self.peak_children: list[tuple[int, str]] = []  # the server's child processes at the peak
        self.samples: list[tuple[float, float, float]] = []

    def run(self) -> None:
        while not self.stop_flag.is_set():
            server, total = tree_rss_mb(self.pid)
            self.samples.append((time.monotonic(), server, total))
            if total > self.peak:
                children = psutil.Process(self.pid).children()
                self.peak_children = [(c.pid, " ".join(c.cmdline()[-3:])[:60]) for c in children]
            self.peak, self.peak_server = max(self.peak, total), max(self.peak_server, server)
            time.sleep(self.every)

    def stop(self) -> None:
        self.stop_flag.set()
        self.join()


def press(page, key: str, name: str, times: int = 1, wait: bool = True) -> None:
    thumb = page.locator(f".st-key-{key}").get_by_role("slider").first
    for _ in range(times):
        thumb.focus()
        page.keyboard.press(name)
        if wait:
            harness.wait_for_idle(page, 600_000)


class BrowserElsewhere(threading.Thread):
    """Keeps this machine's Chromium at a low priority while in a `with` block: visitors' browsers run on
    their own machines, not on the server's two cores, so the server's latency is measured with the browser
    out of its way. Linux (autogroup, on by default) first splits the CPU evenly among sessions, and
    Chromium runs in a session of its own: its group is given the lowest weight. Within it, niceness is per
    thread, Chromium starts a renderer per new page and raises some threads itself (its compositor to -8),
    so this looks again every 0.25 s."""

    def __init__(self, nice: int = 10, group_nice: int = 19) -> None:
        super().__init__(daemon=True)
        self.nice, self.group_nice, self._stop_flag = nice, group_nice, threading.Event()

    def run(self) -> None:
        while not self._stop_flag.is_set():
            # this bench's own Chromium only (Playwright's driver is our child, Chromium its): the machine's
            # other browsers are someone else's
            for proc in psutil.Process().children(recursive=True):
                try:
                    if "chrom" not in proc.name().lower():
                        continue
                except psutil.Error:
                    continue
                try:
                    _set_group_nice(proc.pid, self.group_nice)
                    for thread in proc.threads():
                        if os.getpriority(os.PRIO_PROCESS, thread.id) != self.nice:
                            os.setpriority(os.PRIO_PROCESS, thread.id, self.nice)
                except (psutil.Error, OSError):
                    pass
            self._stop_flag.wait(0.25)

    def __enter__(self) -> BrowserElsewhere:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop_flag.set()
        self.join()


def _set_group_nice(pid: int, nice: int) -> None:
    """The weight of the scheduling group (autogroup) of `pid`'s session, where Linux has one."""
    path = Path(f"/proc/{pid}/autogroup")
    try:
        if not path.read_text().strip().endswith(f"nice {nice}"):
            path.write_text(str(nice))
    except OSError:
        pass  # no autogroup here: the per-thread niceness is what counts


def open_session(browser, url: str):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(600_000)
    harness.instrument(page)
    page.goto(url)
    harness.wait_for_first_run(page, 600_000)
    harness.wait_for_idle(page, 600_000)
    return context, page


def timeline(samples, every: float = 5.0) -> list[tuple[int, int]]:
    """(seconds from the start, the highest server + worker RSS in MB) per `every` seconds."""
    if not samples:
        return []
    t0, out = samples[0][0], {}
    for t, _, total in samples:
        slot = int((t - t0) // every * every)
        out[slot] = max(out.get(slot, 0), round(total))
    return sorted(out.items())


def memory(browser, server, sessions: int, settle: float) -> dict:
    """`sessions` visitors, each with its own learning rate; then one walks n 1,000 -> 1,000,000 (1-2-5 stops)
    and reruns; then every session closes. RSS of the server tree, sampled every 100 ms."""
    sampler = Sampler(server.proc.pid)
    sampler.start()
    started = tree_rss_mb(server.proc.pid)
    open_ = []
    try:
        for i in range(sessions):
            context, page = open_session(browser, server.url)
            press(page, "lr", "ArrowRight" if i % 2 else "ArrowLeft", times=1 + i % 4)
            open_.append(context)
        with_sessions = tree_rss_mb(server.proc.pid)
        walker = open_[0].pages[0]
        press(walker, "n", "ArrowRight", times=6)  # 100 -> 200 -> 500 -> 1,000 -> 2,000 -> 5,000 -> 10,000
        press(walker, "n", "ArrowRight", times=6)  # -> 100,000 -> 1,000,000 (the grid's last stops)
        walker.get_by_role("button", name="Run again").first.click()
        harness.wait_for_idle(walker, 600_000)
        walked = tree_rss_mb(server.proc.pid)
    finally:
        for context in open_:
            context.close()
    time.sleep(settle)  # sessions drop when their websockets close; an idle worker is replaced after a minute
    after = tree_rss_mb(server.proc.pid)
    sampler.stop()
    result = {"start": started, "sessions": with_sessions, "walked": walked, "after_close": after,
              "peak_total": sampler.peak, "peak_server": sampler.peak_server,
              "peak_processes": sampler.peak_children,
              "timeline": timeline(sampler.samples)}  # fmt: skip
    if TRIM_PROBE:  # how much of the server's memory is freed heap that glibc keeps (gdb calls malloc_trim)
        import subprocess

        subprocess.run(["gdb", "-p", str(server.proc.pid), "-batch", "-ex", "call (int)malloc_trim(0)"],
                       capture_output=True, timeout=120)  # fmt: skip
        result["after_trim_probe"] = tree_rss_mb(server.proc.pid)
    return result


def _ask_health(url: str, stop, out) -> None:
    """Ask `url` every 20 ms until `stop` is set; send the latencies (ms) through `out`."""
    latencies = []
    while not stop.is_set():
        t = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as r:
            r.read()
        latencies.append((time.perf_counter() - t) * 1000)
        time.sleep(0.02)
    out.send(latencies)


class HealthProbe:
    """Asks the server's health check every 20 ms while in a `with` block; `latencies` in ms. A script run
    that holds the server (its GIL, its event loop) shows up as a slow answer. The asking runs in a process
    of its own, clear of this one's GIL, which Playwright's client holds while it drives the browser (asked
    from a thread here instead, a burst's figures came out the same)."""

    def __init__(self, url: str) -> None:
        self.url, self.latencies = f"{url}/_stcore/health", []

    def __enter__(self) -> HealthProbe:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        self._receive, send = ctx.Pipe(duplex=False)
        self._process = ctx.Process(target=_ask_health, args=(self.url, self._stop, send), daemon=True)
        self._process.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.latencies = self._receive.recv()
        self._process.join()


def health(browser, server, presses: int, n: int) -> dict:
    """Health-check latency while one session reruns `presses` times, against an idle server's."""
    context, page = open_session(browser, f"{server.url}/?n={n}")
    try:
        with HealthProbe(server.url) as quiet:
            time.sleep(3)
        with HealthProbe(server.url) as loaded:
            for i in range(presses):
                press(page, "lr", "ArrowRight" if i % 2 == 0 else "ArrowLeft")
        idle, busy = quiet.latencies, loaded.latencies
    finally:
        context.close()

    def stats(values):
        values = sorted(values)
        return {"p50": statistics.median(values), "p99": values[int(0.99 * (len(values) - 1))], "max": values[-1],
                "count": len(values)}  # fmt: skip

    return {"idle": stats(idle), "reruns": stats(busy)}


def burst_once(page, server, keys: int, gap_ms: int, rep: int) -> dict:
    thumb = page.locator(".st-key-lr").get_by_role("slider").first
    thumb.focus()
    for _ in range(keys):
        page.keyboard.press("ArrowRight" if rep % 2 == 0 else "ArrowLeft")
        page.wait_for_timeout(gap_ms)
    page.wait_for_function("() => document.querySelector('.gtl-view').dataset.state === 'done'")
    harness.wait_for_idle(page, 600_000)
    data = page.evaluate("() => window.__paints")
    last_key = data["keys"][-1]
    final = page.evaluate("() => document.querySelector('.gtl-view').dataset.run")
    frames = [t for t, run, *_ in data["frames"] if run == final and t >= last_key]
    done = [t for t, run, step, _ in data["frames"] if run == final and step not in ("", "start")]
    if TRACE:  # the final run's timeline, ms after the last key: the server's side and the chart's
        wall = data["wall"][-1]
        chart = chart_timeline(page)
        server_lines = [json.loads(line) for line in server.stderr_tail(200_000).splitlines() if line.startswith("[")]
        events = sorted([(t - wall, "server " + e) for t, e, run in server_lines if run == final]
                        + [(t - wall, "chart " + e) for t, e, run, _ in chart if run == final])  # fmt: skip
        print("  timeline of the final run:", ", ".join(f"{e} {t:.0f}" for t, e in events[:8]))
    return {"first_frame_ms": frames[0] - last_key if frames else None,
            "first_step_ms": done[0] - last_key if done else None}  # fmt: skip


def burst(browser, servers: dict, keys: int, gap_ms: int, n: int, reps: int) -> dict:
    """`keys` learning-rate key presses `gap_ms` apart at n; from the last key to the first painted frame of
    the run that ends up shown (and to its end), and the health-check latency meanwhile. With more than one
    server (label: server), the reps take turns among them, so a noisy machine weighs on each alike."""
    pages = {label: harness.trained_page(browser, f"{server.url}/?n={n}", harness.PAINTS_JS, viewport=VIEWPORT)
             for label, server in servers.items()}  # fmt: skip
    results: dict = {label: [] for label in servers}
    try:
        with contextlib.ExitStack() as stack:
            probes = {label: stack.enter_context(HealthProbe(server.url)) for label, server in servers.items()}
            for rep in range(reps):
                for label, server in servers.items():
                    results[label].append(burst_once(pages[label][1], server, keys, gap_ms, rep))
    finally:
        for context, _ in pages.values():
            context.close()
    out = {}
    for label, rs in results.items():
        latencies = probes[label].latencies
        out[label] = {
            "first_frame_ms": statistics.median([r["first_frame_ms"] for r in rs]),
            "first_step_ms": statistics.median([r["first_step_ms"] for r in rs]),
            "raw": [round(r["first_step_ms"]) for r in rs],
            "health_max_ms": max(latencies),
            "health_p99_ms": sorted(latencies)[int(0.99 * (len(latencies) - 1))],
        }
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["memory", "health", "burst"])
    ap.add_argument("--app", type=Path, default=harness.APP_PATH)
    ap.add_argument("--against", type=Path, help="burst: another app.py (e.g. in a git worktree), reps in turn")
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--presses", type=int, default=10)
    ap.add_argument("--keys", type=int, default=16)
    ap.add_argument("--gap-ms", type=int, default=40, help="between two keys of a burst")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--settle", type=float, default=75.0, help="memory: seconds after the sessions close")
    ap.add_argument("--server-arg", action="append", default=[], help="extra `streamlit run` flag, repeatable")
    ap.add_argument("--trim-probe", action="store_true", help="memory: then ask the server's glibc to trim (gdb)")
    ap.add_argument("--trace", action="store_true", help="burst: print the final run's timeline")
    ap.add_argument(
        "--browser-here",
        action="store_true",
        help="health, burst: leave Chromium at normal priority (it shares the server's 2 cores)",
    )
    args = ap.parse_args(argv)
    global TRIM_PROBE, TRACE
    TRIM_PROBE, TRACE = args.trim_probe, args.trace
    if TRACE:
        os.environ["GTL_TRACE"] = "1"  # inherited by the server

    from playwright.sync_api import sync_playwright

    app = args.app.resolve()
    with harness.StreamlitServer(app=app, cwd=app.parent, extra_args=args.server_arg) as server:
        with sync_playwright() as p:
            browser = harness.launch_chromium(p)
            elsewhere = args.what != "memory" and not args.browser_here
            with BrowserElsewhere() if elsewhere else contextlib.nullcontext():
                if args.what == "memory":
                    r = memory(browser, server, args.sessions, args.settle)
                    print(f"server tree RSS, MB ({app}): server alone / server + worker")
                    for key in ("start", "sessions", "walked", "after_close", "after_trim_probe"):
                        if key in r:
                            print(f"{key:>16}: {r[key][0]:7.0f} / {r[key][1]:7.0f}")
                    print(f"{'peak':>16}: {r['peak_server']:7.0f} / {r['peak_total']:7.0f}")
                    print("  processes at the peak:", r["peak_processes"])
                    print("  highest RSS per 5 s (s: MB):", ", ".join(f"{t}: {mb}" for t, mb in r["timeline"]))
                elif args.what == "health":
                    r = health(browser, server, args.presses, args.n)
                    print(f"health-check latency, ms ({args.presses} reruns at n = {args.n:,})")
                    for key in ("idle", "reruns"):
                        s = r[key]
                        line = f"p50 {s['p50']:6.1f}  p99 {s['p99']:6.1f}  max {s['max']:6.1f}  ({s['count']} checks)"
                        print(f"{key:>8}: {line}")
                else:
                    servers = {str(app): server}
                    with contextlib.ExitStack() as stack:
                        if args.against:
                            other = args.against.resolve()
                            servers[str(other)] = stack.enter_context(
                                harness.StreamlitServer(app=other, cwd=other.parent, extra_args=args.server_arg)
                            )
                        rs = burst(browser, servers, args.keys, args.gap_ms, args.n, args.reps)
                    print(f"{args.keys} keys {args.gap_ms} ms apart at n = {args.n:,}, medians of {args.reps}:")
                    for label, r in rs.items():
                        print(f"  {label}")
                        print(f"    last key -> first painted frame of the final run: {r['first_frame_ms']:.0f} ms")
                        print(f"    last key -> its first trained step painted:       {r['first_step_ms']:.0f} ms")
                        p99, most = r["health_p99_ms"], r["health_max_ms"]
                        print(f"    health checks meanwhile: p99 {p99:.1f} ms, max {most:.1f} ms")
                        print(f"    each rep, first trained step: {r['raw']}")
                    if len(rs) == 2:
                        (_, a), (_, b) = rs.items()
                        print(f"  ratio, first trained step: {a['first_step_ms'] / b['first_step_ms']:.2f}")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
