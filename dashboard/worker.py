"""The training worker: one process per server that owns TensorFlow and trains every visitor's runs.

Why a process of its own (measured on this app, see README "Memory and latency"):
- the Streamlit server never imports TensorFlow, so Streamlit's per-rerun `gc.collect(2)` walks far fewer
  objects and its `keras.backend.clear_session()` never fires: no rerun freezes other visitors;
- the server answers health checks while TensorFlow loads (its import holds a GIL for seconds);
- memory that TensorFlow and XLA keep can be given back by restarting this process when it is idle.

Protocol (pickled tuples over a socket, `multiprocessing.connection`):
  page -> worker   ("start", job_id, spec)   spec: dict(settings=dict, data=None | Dataset)
                   ("cancel", job_id)
  worker -> page   ("ready", pid, columns)   once TensorFlow has loaded; columns: trainer.COLUMNS
                   ("alive", busy_s)        every HEARTBEAT_S from the start, from a thread of its own; busy_s:
                                            how long the work in hand (a chunk, a data set) has taken so far
                   ("block", job_id, first, values)   float32 rows, trainer.COLUMNS wide
                   ("done", job_id, divergence | None)  divergence: (step, reason)
                   ("error", job_id, message)
                   ("idle", rss_mb)          no job left: memory handed back to the system, what remains
The page fails a worker that falls silent or whose work in hand never ends, and kills it (see training.py).
Jobs take turns a chunk at a time (each chunk is ~20 ms of work, see trainer.CHUNK_ELEMENTS), so a heavy
run from one visitor slows the others' by a fair share instead of starving them; at most POINTS_IN_FLIGHT
points train at once, the other runs wait in order. A cancel takes effect before the next chunk; messages
are handled in order, so a visitor's old run stops before the new starts.
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import os
import queue
import sys
import threading
import time
import types
from collections import OrderedDict, deque
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

NICENESS = 10
AUTOGROUP_NICE = 19  # the weight of this process's scheduling group (see _as_background)
DATA_CACHE = 2  # data sets kept by their settings: a burst of learning rates reuses a million points
HEARTBEAT_S = 0.5
POINTS_IN_FLIGHT = 2_000_000  # points of the runs training at once (see _Runs)


def _without_keras() -> None:
    """TensorFlow's import probes for Keras and loads all of it (~100 MB, ~0.5 s) though the trainer never
    uses it. A placeholder package with no submodules answers the probe in this process only."""
    if "keras" in sys.modules:
        return
    stub = types.ModuleType("keras")
    stub.__spec__ = importlib.machinery.ModuleSpec("keras", None, is_package=True)
    stub.__spec__.submodule_search_locations = []
    stub.__path__ = []
    sys.modules["keras"] = stub


def _hand_back_memory() -> float | None:
    """Return freed heap pages to the system and report the resident size (MB): XLA's compiler frees its
    working memory after a new program, which glibc would otherwise keep mapped (Linux only)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration, AttributeError):
        return None


class _Job:
    def __init__(self, job_id: str, blocks: Iterator[Any], run: Any, points: int) -> None:
        self.id, self.blocks, self.run, self.points = job_id, blocks, run, points
        self.chunks = 0
        # which XLA program its first chunk compiles (or finds compiled): one per program and n
        self.program = (run.blog_step, run.data.n)


class _Runs:
    """The runs in this process: those training, in turns, and those waiting to be let in.

    A run in training holds its points as tensors (and a mini-batch table): at most POINTS_IN_FLIGHT points
    train at once (always at least one run), so however many visitors ask for large runs together, the
    worker's memory stays bounded; the others wait their turn in the order they came, holding only their
    request."""

    def __init__(self, send) -> None:
        from linreg_core.data import load
        from linreg_core.settings import Settings
        from linreg_core.trainer import TrainingRun

        self._load, self._settings, self._run = load, Settings, TrainingRun
        self.send = send
        self.jobs: dict[str, _Job] = {}
        self.turns: deque[str] = deque()
        self.waiting: OrderedDict[str, dict] = OrderedDict()
        self.in_flight = 0
        self.compiled: set[tuple] = set()
        self._datasets: OrderedDict[tuple, Any] = OrderedDict()

    @property
    def busy(self) -> bool:
        return bool(self.jobs or self.waiting)

    def handle(self, message: tuple) -> bool:
        kind = message[0]
        if kind == "start":
            self.waiting[message[1]] = message[2]
        elif kind == "cancel":
            job = self.jobs.pop(message[1], None)
            if job is not None:
                self.turns.remove(job.id)
                self.in_flight -= job.points
            self.waiting.pop(message[1], None)
        elif kind == "quit":
            return False
        return True

    def admit(self) -> None:
        while self.waiting:
            job_id, spec = next(iter(self.waiting.items()))
            try:
                settings = self._settings.from_mapping(spec["settings"])
                points = _points(settings, spec.get("data"))
                if self.jobs and self.in_flight + points > POINTS_IN_FLIGHT:
                    return
                del self.waiting[job_id]
                run = self._run(self._dataset(settings, spec.get("data")), settings)
            except Exception as e:  # bad input reaches here only through a bug on the page side
                self.waiting.pop(job_id, None)
                self.send(("error", job_id, f"{type(e).__name__}: {e}"))
                continue
            self.jobs[job_id] = _Job(job_id, run.blocks(), run, points)
            self.turns.append(job_id)
            self.in_flight += points

    def step(self) -> _Job:
        """Train one chunk of the run whose turn it is, and send it; end the run when it is over."""
        job = self.jobs[self.turns[0]]
        self.turns.rotate(-1)
        try:
            block = next(job.blocks, None)
        except Exception as e:
            self.send(("error", job.id, f"{type(e).__name__}: {e}"))
            block, finished = None, True
        else:
            finished = block is None
            if block is not None:
                self.send(("block", job.id, block.first, block.values))
            elif job.run.divergence is not None:
                d = job.run.divergence
                self.send(("done", job.id, (d.step, d.reason)))
            else:
                self.send(("done", job.id, None))
        job.chunks += 1
        if finished:
            del self.jobs[job.id]
            self.turns.remove(job.id)
            self.in_flight -= job.points
        return job

    def _dataset(self, settings: Any, given: Any):
        if given is not None:  # uploaded points travel with the job; generated ones are made here
            return given
        key = settings.data_key()
        if key not in self._datasets:
            self._datasets[key] = self._load(settings)
            while len(self._datasets) > DATA_CACHE:
                self._datasets.popitem(last=False)
        self._datasets.move_to_end(key)
        return self._datasets[key]


def _points(settings: Any, given: Any) -> int:
    """How many points a run trains on, known before its data is made (bundled sets are small)."""
    if given is not None:
        return given.n
    return settings.n if settings.data == "generator" else 0


def serve(conn: Connection) -> None:
    inbox: queue.Queue = queue.Queue()
    send_lock = threading.Lock()
    busy_since: list[float | None] = [None]  # when the main loop took up the work in hand; None while it waits

    def send(message: tuple) -> None:
        with send_lock:
            conn.send(message)

    def read() -> None:  # started before TensorFlow loads, so the page's messages never back up
        try:
            while True:
                inbox.put(conn.recv())
        except BaseException:  # noqa: BLE001 - the server has gone, or sent what cannot be read: end either way
            inbox.put(None)

    def beat() -> None:
        while True:
            time.sleep(HEARTBEAT_S)
            since = busy_since[0]
            try:
                send(("alive", 0.0 if since is None else time.monotonic() - since))
            except OSError:
                return

    threading.Thread(target=read, name="worker-inbox", daemon=True).start()
    threading.Thread(target=beat, name="worker-heartbeat", daemon=True).start()
    _without_keras()
    from linreg_core.trainer import COLUMNS

    runs = _Runs(send)
    send(("ready", os.getpid(), COLUMNS))
    background = False  # until the first chunk (TensorFlow's first compile) is done: a cold start waits on it
    while True:
        busy_since[0] = time.monotonic() if runs.busy else None
        try:
            message = inbox.get(block=not runs.busy)
        except queue.Empty:
            message = ()
        busy_since[0] = time.monotonic()
        while message is not None:
            if message and not runs.handle(message):
                return
            try:
                message = inbox.get_nowait()
            except queue.Empty:
                break
        if message is None:
            return
        runs.admit()
        if runs.turns:
            job = runs.step()
            if not background:  # from here on, training yields to the server
                _as_background()
                background = True
            if job.chunks == 1 and job.program not in runs.compiled:
                runs.compiled.add(job.program)
                _hand_back_memory()  # the compiler's working memory goes back before the next chunk
            if not runs.busy:
                send(("idle", _hand_back_memory()))


def _as_background() -> None:
    """Training is background work: the server's own threads (health checks, every visitor's websocket and
    script) come first when the cores are busy. A nice value orders threads within one scheduling group;
    Linux groups processes by session (autogroup, on by default), and splits the CPU evenly among groups
    whatever their members' nice values. This process has a session of its own (see training.py), and its
    group gets the lowest weight, so a busy worker cannot hold the server (or anything else on the
    machine) back for a scheduler period at a time."""
    os.nice(NICENESS)
    try:
        with open("/proc/self/autogroup", "w") as f:
            f.write(str(AUTOGROUP_NICE))
    except OSError:
        pass  # not Linux, or autogroup is off: the nice value above is all there is


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        serve(Connection(int(sys.argv[1])))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server went away mid-message: nothing is waiting for this process any more


if __name__ == "__main__":
    main()
