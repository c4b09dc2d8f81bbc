"""`python -m linreg_core.bench`: time per step of the blog's eager loop, this trainer and plain NumPy.

All three run the same full-batch gradient descent on the same float32 data, interleaved within each
repeat so that the shared machine's noise hits them alike; the table shows medians over the repeats.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from .data import linear_like
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
    args = parser.parse_args(argv)
    print(f"median seconds per step over {args.repeats} interleaved repeats")
    columns = ("n", "blog eager", "trainer", "NumPy", "blog/trainer", "NumPy/trainer")
    widths = (9, 10, 10, 10, 12, 13)
    header = " | ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True))
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        t = measure(n, args.repeats)
        blog, ours, ref = t["blog eager loop"], t["linreg_core trainer"], t["NumPy loop"]
        cells = (f"{n:,}", _fmt(blog), _fmt(ours), _fmt(ref), f"{blog / ours:.0f}x", f"{ref / ours:.2f}x")
        print(" | ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)))


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.3f} ms"


if __name__ == "__main__":
    main()
