"""`python -m linreg_core.bench`: time per step of the blog's eager loop, this trainer and plain NumPy.

All three run the same full-batch gradient descent on the same float32 data, interleaved within each
repeat so that the shared machine's noise hits them alike; the table shows medians over the repeats.
A second table times each optimizer (and mini-batches, a hold-out) in the trainer against the blog's
eager loop; `--shapes` measures what a new n, batch size or hold-out costs in XLA compiles and memory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from .data import linear_like
from .optimizers import KEYS, REGISTRY
from .settings import Settings


def blog_loop(X, Y, steps: int, lr: float) -> None:
    """The blog's loop as printed: eager tape, assign_sub, loss every 100 steps."""
    from .trainer import compute_gradients, loss_mse, tf, update_weights

    w0, w1 = tf.Variable(0.0), tf.Variable(0.0)
    for step in range(steps):
        _, dw0, dw1 = compute_gradients(X, Y, w0, w1)
        w0, w1 = update_weights(w0, w1, dw0, dw1, lr)
        if step % 100 == 0:
            float(loss_mse(X, Y, w0, w1))


def numpy_loop(x: np.ndarray, y: np.ndarray, steps: int, lr: float) -> list[tuple[float, float, float]]:
    """Hand-written float32 gradient descent keeping the same per-step history as the trainer."""
    n = x.size
    w0, w1, lr32 = np.float32(0), np.float32(0), np.float32(lr)
    history = []
    for _ in range(steps):
        r = w0 * x + w1 - y
        loss = r @ r / n
        dw0 = 2 * (r @ x) / n
        dw1 = 2 * r.sum() / n
        w0, w1 = w0 - lr32 * dw0, w1 - lr32 * dw1
        history.append((float(loss), float(w0), float(w1)))
    return history


def trainer_loop(data, settings: Settings) -> None:
    from .trainer import TrainingRun

    for _ in TrainingRun(data, settings):
        pass


def per_step(fn: Callable[[], None], steps: int) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) / steps


def measure(n: int, repeats: int) -> dict[str, float]:
    from .trainer import tf  # TensorFlow as the trainer loads it, with its start-up logging quieted

    settings = Settings(n=n, steps=_steps_for(n, fast=True) - 1)
    data = linear_like(settings)
    X, Y = tf.constant(data.x), tf.constant(data.y)
    slow_steps, fast_steps = _steps_for(n, fast=False), settings.steps + 1
    trainer_loop(data, settings.changed(steps=0))  # XLA compiles once per n; not part of a step's cost
    times: dict[str, list[float]] = {"blog eager loop": [], "linreg_core trainer": [], "NumPy loop": []}
    for _ in range(repeats):
        times["blog eager loop"].append(per_step(lambda: blog_loop(X, Y, slow_steps, settings.lr), slow_steps))
        times["linreg_core trainer"].append(per_step(lambda: trainer_loop(data, settings), fast_steps))
        times["NumPy loop"].append(per_step(lambda: numpy_loop(data.x, data.y, fast_steps, settings.lr), fast_steps))
    return {name: statistics.median(values) for name, values in times.items()}


# the optimizer table's rows: a label and the settings that differ from the blog's run: every optimizer of the
# registry, then mini-batches, and the costliest kind of run (an adaptive optimizer, batches, a hold-out)
_ADAPTIVE = next(k for k in KEYS if not REGISTRY[k].linear)
VARIANTS: tuple[tuple[str, dict], ...] = (
    *((f"{k} (the blog's rule)" if REGISTRY[k].plain else k, {"optimizer": k}) for k in KEYS),
    (f"{KEYS[0]}, batch 10", {"batch_size": 10}),
    (f"{_ADAPTIVE}, batch 32, 20% held out, standardised",
     {"optimizer": _ADAPTIVE, "batch_size": 32, "test_fraction": 0.2, "standardize": True}),
)  # fmt: skip


def measure_optimizers(n: int, repeats: int) -> dict[str, float]:
    """Median seconds per step of the blog's eager loop and of each VARIANTS row in the trainer."""
    from .trainer import tf

    settings = Settings(n=n, steps=_steps_for(n, fast=True) - 1)
    data = linear_like(settings)
    X, Y = tf.constant(data.x), tf.constant(data.y)
    slow_steps, fast_steps = _steps_for(n, fast=False), settings.steps + 1
    runs = {label: settings.changed(**changes) for label, changes in VARIANTS}
    for each in runs.values():
        trainer_loop(data, each.changed(steps=0))  # trace and compile outside the timing
    times: dict[str, list[float]] = {"blog eager loop": [], **{label: [] for label in runs}}
    for _ in range(repeats):
        times["blog eager loop"].append(per_step(lambda: blog_loop(X, Y, slow_steps, settings.lr), slow_steps))
        for label, each in runs.items():
            times[label].append(per_step(lambda each=each: trainer_loop(data, each), fast_steps))
    return {name: statistics.median(values) for name, values in times.items()}


def rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def shape_costs(sizes: list[int]) -> list[tuple[str, float, float]]:
    """(what, seconds, MB of resident memory added) for first runs of one step: a new n compiles the loop;
    another optimizer, batch size, hold-out or standardisation at a known n should not."""
    from .trainer import TrainingRun

    def first_run(label: str, settings: Settings) -> tuple[str, float, float]:
        data = linear_like(settings)
        before, start = rss_mb(), time.perf_counter()
        for _ in TrainingRun(data, settings):
            pass
        return label, time.perf_counter() - start, rss_mb() - before

    others = [k for k in KEYS if not REGISTRY[k].plain]
    variants = (
        ("again", {}),
        (others[-1], {"optimizer": others[-1]}),
        (f"{others[0]}, batch 10", {"optimizer": others[0], "batch_size": 10}),
        (f"{others[-2]}, batch 37, 30% held out, standardised",
         {"optimizer": others[-2], "batch_size": 37, "test_fraction": 0.3, "standardize": True}),
    )  # fmt: skip
    rows = []
    for n in sizes:
        rows.append(first_run(f"new n = {n:,} ({KEYS[0]})", Settings(n=n, steps=0)))
        rows += [first_run(f"  same n, {label}", Settings(n=n, steps=0, **changes)) for label, changes in variants]
    return rows


def _steps_for(n: int, fast: bool) -> int:
    # enough steps that a run's fixed costs (copying the data in, the first small chunks) fade out
    if n <= 1_000:
        return 5_000 if fast else 300
    if n <= 100_000:
        return 3_000 if fast else 100
    return 500 if fast else 20


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m linreg_core.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 10_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--optimizer-sizes", type=int, nargs="*", default=[100], help="n for the optimizer table")
    parser.add_argument("--shapes", type=int, nargs="*", help="only measure compiles and memory for these new n")
    args = parser.parse_args(argv)
    if args.shapes:
        print_shapes(args.shapes)
        return
    print_steps(args.sizes, args.repeats)
    for n in args.optimizer_sizes:
        print_optimizers(n, args.repeats)


def print_steps(sizes: list[int], repeats: int) -> None:
    print(f"median seconds per step over {repeats} interleaved repeats")
    columns = ("n", "blog eager", "trainer", "NumPy", "blog/trainer", "NumPy/trainer")
    widths = (9, 10, 10, 10, 12, 13)
    header = " | ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True))
    print(header)
    print("-" * len(header))
    for n in sizes:
        t = measure(n, repeats)
        blog, ours, ref = t["blog eager loop"], t["linreg_core trainer"], t["NumPy loop"]
        cells = (f"{n:,}", _fmt(blog), _fmt(ours), _fmt(ref), f"{blog / ours:.0f}x", f"{ref / ours:.2f}x")
        print(" | ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)))


def print_optimizers(n: int, repeats: int) -> None:
    t = measure_optimizers(n, repeats)
    blog = t.pop("blog eager loop")
    print(f"\nn = {n:,}: median seconds per step over {repeats} interleaved repeats, blog eager loop {_fmt(blog)}")
    width = max(len(label) for label in t)
    header = f"{'trainer (compiled)':<{width}} | {'per step':>10} | {'blog/this':>9}"
    print(header)
    print("-" * len(header))
    for label, seconds in t.items():
        print(f"{label:<{width}} | {_fmt(seconds):>10} | {blog / seconds:>8.0f}x")


def print_shapes(sizes: list[int]) -> None:
    from .trainer import tf  # noqa: F401  (loaded before the baseline, so it is not counted below)

    print(f"first runs of one step in this process; {rss_mb():,.0f} MB resident after loading TensorFlow")
    rows = shape_costs(sizes)
    width = max(len(label) for label, *_ in rows)
    for label, seconds, grown in rows:
        print(f"{label:<{width}} | {seconds * 1e3:8.1f} ms | {grown:+6.1f} MB")


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.3f} ms"


if __name__ == "__main__":
    main()
