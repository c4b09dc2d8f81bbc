"""Runs shared by everyone who asks for the same one: a class opening one link trains it once.

A run is named by what makes it: the identity of its points and its settings (the trainer is
deterministic: the same points and settings give the same records, bit for bit). While it trains, every
visitor who asks for it follows the one job; once it has finished, its records are kept (float32,
read-only, within `max_bytes`, least recently asked for dropped first) and whoever asks next is streamed
them without training. Only runs on generated and bundled points are shared: an uploaded file's runs
stay with the visitor who uploaded it.

A stored run reaches the chart as a run that trained faster than its frames does (every record at once,
then its end), so the chart animates it the same way: its log-spaced live frames, then the replay.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from .training import DONE, Job, Outcome

STORE_MB = 32  # records of finished runs kept for everyone: ~130 of the longest runs, thousands of short ones


@dataclass(frozen=True, eq=False)
class StoredRun:
    """A finished run's records (rows × columns, float32, read-only) and how it ended."""

    values: np.ndarray
    columns: tuple[str, ...]
    outcome: Outcome

    @property
    def nbytes(self) -> int:
        return int(self.values.nbytes)


class Replay:
    """A stored run, read as a job is: all its records at once, and it has ended."""

    def __init__(self, stored: StoredRun) -> None:
        self.stored = stored
        self.columns: tuple[str, ...] | None = stored.columns
        self.outcome: Outcome | None = stored.outcome

    def wait(self, have: int, timeout: float) -> tuple[list[tuple[int, np.ndarray]], bool]:
        rows = self.stored.values
        return ([(0, rows)] if have == 0 and len(rows) else []), True


class _Live:
    """A job in training and how many visitors follow it."""

    def __init__(self, job: Job) -> None:
        self.job, self.watchers = job, 0


class Watch:
    """One visitor following a run: `source` is read like a Job (`wait`, `columns`, `outcome`). Leave it
    when done (or interrupted): a job nobody follows any more is cancelled."""

    def __init__(
        self, runs: SharedRuns | None, key: Hashable, source: Job | Replay, live: _Live | None, started: bool = False
    ) -> None:
        self._runs, self._key, self.source, self._live = runs, key, source, live
        self.started = started  # whether this visitor's asking started the job
        self._left = False

    @property
    def replay(self) -> bool:
        """Whether the run had finished already: nothing trains for this visitor."""
        return isinstance(self.source, Replay)

    def leave(self) -> None:
        if self._left:
            return
        self._left = True
        if self._runs is not None and self._live is not None:
            self._runs._leave(self._key, self._live)
        elif isinstance(self.source, Job) and not self.source.finished:
            self.source.cancel()


def own(job: Job) -> Watch:
    """A visitor's own run, shared with nobody (an uploaded file's)."""
    return Watch(None, None, job, None, started=True)


class SharedRuns:
    """The runs in training and the finished runs' records, for every visitor of a server. Thread-safe."""

    def __init__(self, max_bytes: int = STORE_MB * 2**20) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._live: dict[Hashable, _Live] = {}
        self._done: OrderedDict[Hashable, StoredRun] = OrderedDict()
        self._bytes = 0
        self.trained = 0  # runs started here (for tests and benchmarks)
        self.shared = 0  # visitors who followed or replayed a run someone else started

    def watch(self, key: Hashable, start: Callable[[], Job]) -> Watch:
        """Follow the run named `key`: its stored records, the job training it, or a job `start()`s now."""
        with self._lock:
            stored = self._done.get(key)
            if stored is not None:
                self._done.move_to_end(key)
                self.shared += 1
                return Watch(self, key, Replay(stored), None)
            live = self._live.get(key)
            if live is not None and live.job.finished:
                self._settle_locked(key, live)  # ended with nobody left to file it
                stored = self._done.get(key)
                if stored is not None:
                    self.shared += 1
                    return Watch(self, key, Replay(stored), None)
                live = None
            started = live is None
            if started:
                live = self._live[key] = _Live(start())
                self.trained += 1
            else:
                self.shared += 1
            live.watchers += 1
            return Watch(self, key, live.job, live, started)

    def stored(self, key: Hashable) -> StoredRun | None:
        with self._lock:
            return self._done.get(key)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def _leave(self, key: Hashable, live: _Live) -> None:
        with self._lock:
            live.watchers -= 1
            if live.watchers > 0:
                return
            if not live.job.finished:
                live.job.cancel()  # nobody follows it any more
            self._settle_locked(key, live)

    def _settle_locked(self, key: Hashable, live: _Live) -> None:
        """A job has ended or been given up: file its records if it finished, and forget it."""
        if self._live.get(key) is live:
            del self._live[key]
        outcome = live.job.outcome
        if outcome is None or outcome.code != DONE or key in self._done:
            return
        blocks, _ = live.job.wait(0, 0)
        columns = live.job.columns
        if not blocks or columns is None:
            return
        values = np.concatenate([v for _, v in blocks])
        values.setflags(write=False)
        self._keep_locked(key, StoredRun(values, columns, outcome))

    def _keep_locked(self, key: Hashable, run: StoredRun) -> None:
        if run.nbytes > self.max_bytes:
            return
        self._done[key] = run
        self._bytes += run.nbytes
        while self._bytes > self.max_bytes:
            _, dropped = self._done.popitem(last=False)
            self._bytes -= dropped.nbytes
