"""A mixed tour of the page, replayed: `python tests/e2e/tour.py [--pace 0] [--visitors 3]`.

A class's session, as its visitors drive the page: the blog's run and a sweep of learning rates, n walked
up the grid to a million and back, every optimizer, mini-batches, a hold-out, standardised x, every bundled
data set, two uploaded files, long and short runs. Each visitor is a real page (Streamlit's AppTest runs
app.py in this process, as the server does) on the one training worker; the visitors take turns, a step at
a time. Prints how many times the worker was replaced and why, and the RSS of this process with the
worker (peak, and per phase).

Why a fast replay stands for a 30-minute session: the worker is replaced on memory alone, when it is idle
and holds more than its limit (never on a timer), and what it holds grows with the programs it has compiled
and the runs in hand, not with time. The same sequence of runs therefore leads to the same replacements
whatever the pauses between them; `--pace S` waits S seconds between steps to check that (60 steps at 30 s
is half an hour).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

sys.path.insert(0, str(harness.REPO_ROOT))


def csv_file(rows: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 50, rows)
    y = 1.5 * x - 7 + rng.normal(0, 3, rows)
    return b"hours,score\n" + "".join(f"{a:.3f},{b:.3f}\n" for a, b in zip(x, y, strict=True)).encode()


# One visitor's steps: (widget key, value), or ("upload", (name, bytes)). A step changes one control, as a
# person does; the page retrains (or streams a run someone trained before).
def steps(visitor: int) -> list[tuple[str, object]]:
    lrs = [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.45]
    walk = [200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000]
    tour: list[tuple[str, object]] = [("lr", lr) for lr in lrs]
    tour += [("n", n) for n in walk[visitor % 3 :: 1 + visitor % 2]]  # each visitor walks the grid its own way
    tour += [("optimizer", o) for o in ("momentum", "nesterov", "rmsprop", "adam", "gd")]
    tour += [("n", 10_000), ("batch_size", 100), ("optimizer", "adam"), ("batch_size", 0), ("optimizer", "gd")]
    tour += [("test_fraction", 0.2), ("standardize", True), ("n", 1_000_000), ("test_fraction", 0.0)]
    tour += [("standardize", False), ("n", 100), ("steps", 5000), ("steps", 200), ("steps", 1000)]
    tour += [("data", d) for d in ("anscombe-1", "anscombe-2", "anscombe-3", "anscombe-4", "tips", "iris", "hubble")]
    tour += [("standardize", True), ("data", "tips"), ("standardize", False)]
    tour += [("data", "csv"), ("upload", (f"class-{visitor}.csv", csv_file(2_000 + 700 * visitor, visitor)))]
    tour += [("lr", 0.0001), ("lr", 0.0002), ("upload", ("big.csv", csv_file(150_000, 99))), ("data", "generator")]
    return tour


def apply(at, key: str, value) -> None:
    if key == "upload":
        name, content = value
        at.file_uploader(key="csv-upload").upload(name, content, "text/csv").run()
    elif key in ("data", "optimizer"):
        at.selectbox(key=key).set_value(value).run()
    elif key == "standardize":
        at.toggle(key=key).set_value(value).run()
    elif key == "test_fraction":
        at.slider(key=key).set_value(value).run()
    else:
        at.select_slider(key=key).set_value(value).run()
    if at.exception:
        raise AssertionError(f"{key}={value!r}: {[e.value for e in at.exception]}")


def ended(at) -> str | None:
    """How the visitor's run shown ended (its status code), if there is one."""
    shown = at.session_state["shown-run"] if "shown-run" in at.session_state else None
    return shown.code if shown is not None else None


class Sampler(threading.Thread):
    """RSS of this process (the page, as in the server) with its training worker, every 100 ms."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = self.peak_page = self.peak_worker = 0.0
        self.stop_flag = threading.Event()

    def sizes(self) -> tuple[float, float]:
        """(this process, its children) in MB."""
        me = psutil.Process()
        children = 0
        for child in me.children(recursive=True):
            try:
                children += child.memory_info().rss
            except psutil.Error:
                pass
        return me.memory_info().rss / 2**20, children / 2**20

    def total(self) -> float:
        return sum(self.sizes())

    def run(self) -> None:
        while not self.stop_flag.is_set():
            own, children = self.sizes()
            self.peak = max(self.peak, own + children)
            self.peak_page, self.peak_worker = max(self.peak_page, own), max(self.peak_worker, children)
            time.sleep(0.1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visitors", type=int, default=3)
    ap.add_argument("--pace", type=float, default=0.5, help="seconds between two steps: the worker idles after each")
    args = ap.parse_args(argv)

    from streamlit.testing.v1 import AppTest

    from dashboard import page

    sampler = Sampler()
    sampler.start()
    visitors = [AppTest.from_file(str(harness.APP_PATH), default_timeout=600) for _ in range(args.visitors)]
    for at in visitors:
        at.run()
    service = page.training_service()
    plans = [steps(v) for v in range(args.visitors)]
    started, done, failed = time.monotonic(), 0, []
    for i in range(max(len(p) for p in plans)):
        for at, plan in zip(visitors, plans, strict=True):
            if i < len(plan):
                apply(at, *plan[i])
                if ended(at) not in (None, "finished"):
                    failed.append((plan[i][0], ended(at)))
                done += 1
                time.sleep(args.pace)
        if i % 10 == 9:
            print(f"  after {done} steps: {sampler.total():.0f} MB, worker restarts {service.restarts}", flush=True)
    sampler.stop_flag.set()
    minutes = (time.monotonic() - started) / 60
    print(f"{done} steps by {args.visitors} visitors in {minutes:.1f} min, {page.shared_runs().trained} runs trained")
    print(f"worker restarts: {service.restarts} {list(service.restart_reasons)}; runs that did not end well: {failed}")
    print(f"RSS of the page and its worker: peak {sampler.peak:.0f} MB, at the end {sampler.total():.0f} MB")
    print(f"  peaks apart: the page {sampler.peak_page:.0f} MB, the worker {sampler.peak_worker:.0f} MB")
    return 0 if service.restarts <= 1 and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
