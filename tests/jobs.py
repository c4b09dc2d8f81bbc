"""Helpers for the worker tests: read a job to its end, wait for its blocks, and train the same run here."""

import time

import numpy as np

from linreg_core.data import Dataset, load
from linreg_core.settings import Settings
from linreg_core.trainer import COLUMNS, TrainingRun

HEAVY = Settings(n=1_000_000, steps=3000)  # a few seconds of chunks: long enough to cancel or share


def drain(job, timeout: float = 120.0) -> np.ndarray:
    """Every block of `job` in order, once it has ended."""
    have, blocks, deadline = 0, [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        new, finished = job.wait(have, 1.0)
        have += len(new)
        blocks += new
        if finished and not job.wait(have, 0)[0]:
            firsts = [first for first, _ in blocks]
            assert firsts == sorted(firsts)
            return np.concatenate([v for _, v in blocks]) if blocks else np.empty((0, len(COLUMNS)), np.float32)
    raise AssertionError(f"job did not finish in {timeout} s")


def blocks_of(job, count: int, timeout: float = 120.0) -> int:
    """Wait until `job` has sent at least `count` blocks (it must still be training); how many it has."""
    have, deadline = 0, time.monotonic() + timeout
    while have < count:
        new, finished = job.wait(have, max(0.0, deadline - time.monotonic()))
        have += len(new)
        assert not finished, job.outcome
        assert time.monotonic() < deadline, f"{have} of {count} blocks in {timeout} s"
    return have


def engine(settings: Settings, data: Dataset | None = None) -> np.ndarray:
    run = TrainingRun(data or load(settings), settings)
    return np.concatenate([b.values for b in run.blocks()])
