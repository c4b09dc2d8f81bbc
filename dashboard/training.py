"""The page's side of the training worker (see worker.py): start it, hand it runs, collect their blocks.

One `TrainingService` serves every visitor of a server. It keeps no visitor's data: a `Job` is a handle
the visitor's own script run holds while it streams the run to the browser, and each visitor's finished
runs live in that visitor's `st.session_state`. The service is thread-safe (every visitor's script runs
on its own thread).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
# A worker holds ~515 MB with TensorFlow loaded, ~570 MB once it has trained, and ~4 MB more per number of
# points it has compiled a program for. A restart gives all of that back, at the cost of a ~2 s load for
# whoever trains next: so an idle worker over RECYCLE_MB is restarted at once, and one over IDLE_RECYCLE_MB
# only after IDLE_RECYCLE_S with nobody training (the last visitors have left, most likely).
RECYCLE_MB = 700
IDLE_RECYCLE_MB = 600
IDLE_RECYCLE_S = 60.0
WORKER_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",  # TensorFlow's start-up chatter
    "MALLOC_ARENA_MAX": "2",  # glibc's per-thread arenas fragment memory that TensorFlow's threads free
    "OMP_NUM_THREADS": "2",
}


@dataclass(frozen=True)
class Outcome:
    """How a job ended. kind: "done" (finished or diverged), "error" or "cancelled"."""

    kind: str
    divergence: tuple[int, str] | None = None
    message: str = ""


class Job:
    """A run on the worker as the page sees it: blocks of steps arrive while the worker trains them."""

    def __init__(self, job_id: str, service: TrainingService) -> None:
        self.id = job_id
        self._service = service
        self._cond = threading.Condition()
        self._blocks: list[tuple[int, np.ndarray]] = []
        self.columns: tuple[str, ...] | None = None  # the names of a block's columns, from the worker that trains it
        self.outcome: Outcome | None = None

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    def wait(self, have: int, timeout: float) -> tuple[list[tuple[int, np.ndarray]], bool]:
        """The blocks after the first `have`, once there are any or the job has ended (or `timeout` passed);
        and whether the job has ended. Blocks that arrive before the end are always returned first."""
        with self._cond:
            self._cond.wait_for(lambda: len(self._blocks) > have or self.outcome is not None, timeout)
            return self._blocks[have:], self.outcome is not None

    def cancel(self) -> None:
        self._service.cancel(self)

    def _add(self, first: int, values: np.ndarray, columns: tuple[str, ...]) -> None:
        with self._cond:
            if self.outcome is None:
                self.columns = columns
                self._blocks.append((first, values))
                self._cond.notify_all()

    def _end(self, outcome: Outcome) -> None:
        with self._cond:
            if self.outcome is None:
                self.outcome = outcome
                self._cond.notify_all()


class _Worker:
    """One worker process and the thread that reads its messages."""

    def __init__(self, on_message, on_exit) -> None:
        parent, child = socket.socketpair()
        path = os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])
        env = {**os.environ, **WORKER_ENV, "PYTHONPATH": path}
        # a session of its own: the scheduler then weighs it apart from the server (see worker._as_background);
        # it still ends with the server, whose end closes its socket
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard.worker", str(child.fileno())],
            pass_fds=(child.fileno(),), cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        child.close()
        self._sock = parent  # the Connection below shares its descriptor; keep the socket object alive
        self.conn = Connection(os.dup(parent.fileno()))
        self.ready = threading.Event()
        self.columns: tuple[str, ...] | None = None  # the trainer's Block columns, told by the worker
        self._send_lock = threading.Lock()
        self._on_message, self._on_exit = on_message, on_exit
        threading.Thread(target=self._read, name="training-worker-reader", daemon=True).start()

    def _read(self) -> None:
        try:
            while True:
                message = self.conn.recv()
                if message[0] == "ready":
                    self.columns = tuple(message[2])
                    self.ready.set()
                else:
                    self._on_message(message, self.columns)
        except (EOFError, OSError, TypeError):  # TypeError: our own stop() closed the connection mid-read
            pass
        self._on_exit(self)

    def send(self, message: tuple) -> bool:
        try:
            with self._send_lock:
                self.conn.send(message)
            return True
        except (OSError, ValueError):  # the process died: the reader thread reports it
            return False

    def rss_mb(self) -> float | None:
        """Resident memory of the worker (Linux), for recycling and for the memory report."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def stop(self, grace: float = 5.0) -> None:
        self.send(("quit",))
        with contextlib.suppress(OSError):
            self.conn.close()
        with contextlib.suppress(OSError):
            self._sock.close()
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=grace)


class TrainingService:
    """Hands runs to the worker and routes their blocks back to each run's `Job`."""

    def __init__(
        self, recycle_mb: float = RECYCLE_MB, idle_mb: float = IDLE_RECYCLE_MB, idle_s: float = IDLE_RECYCLE_S
    ) -> None:
        self.recycle_mb, self.idle_mb, self.idle_s = recycle_mb, idle_mb, idle_s
        self._idle_timer: threading.Timer | None = None
        self._closed = False
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._worker: _Worker | None = None
        self.restarts = 0
        self.log: deque[str] = deque(maxlen=10_000)  # the job of each block received, in order (for tests)
        self._ensure_worker()

    # ---- visitors ----------------------------------------------------------------------------

    def submit(self, settings: Any, data: Any = None) -> Job:
        """Start training `settings`. `data` is sent along only when the worker cannot make it from the
        settings (an uploaded file). The worker handles messages in order: cancel a visitor's previous job
        before submitting the next, and the old run stops before the new one starts."""
        job = Job(uuid.uuid4().hex, self)
        with self._lock:
            self._cancel_idle_timer_locked()
            worker = self._ensure_worker()
            self._jobs[job.id] = job
            spec = {"settings": settings.to_dict(), "data": data}
            if not worker.send(("start", job.id, spec)):
                self._finish_locked(job, Outcome("error", message="the training process is restarting; try again"))
        return job

    def cancel(self, job: Job) -> None:
        with self._lock:
            if job.id in self._jobs:
                self._cancel_locked(job)

    @property
    def ready(self) -> bool:
        """Whether TensorFlow has loaded in the worker (a new server takes a few seconds)."""
        w = self._worker
        return w is not None and w.ready.is_set()

    @property
    def columns(self) -> tuple[str, ...] | None:
        """The names of a block's columns (known once the worker is ready, before any block arrives)."""
        w = self._worker
        return w.columns if w is not None else None

    def worker_rss_mb(self) -> float | None:
        w = self._worker
        return w.rss_mb() if w is not None else None

    def worker_pid(self) -> int | None:
        w = self._worker
        return w.proc.pid if w is not None else None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._cancel_idle_timer_locked()
            worker, self._worker = self._worker, None
            for job in list(self._jobs.values()):
                self._finish_locked(job, Outcome("cancelled"))
        if worker is not None:
            worker.stop()

    # ---- internals --------------------------------------------------------------------------

    def _ensure_worker(self) -> _Worker:
        if self._worker is None or self._worker.proc.poll() is not None:
            self._worker = _Worker(self._on_message, self._on_exit)
        return self._worker

    def _cancel_locked(self, job: Job) -> None:
        if self._worker is not None:
            self._worker.send(("cancel", job.id))
        self._finish_locked(job, Outcome("cancelled"))

    def _finish_locked(self, job: Job, outcome: Outcome) -> None:
        self._jobs.pop(job.id, None)
        job._end(outcome)

    def _on_message(self, message: tuple, columns: tuple[str, ...]) -> None:
        kind, job_id = message[0], message[1]
        if kind == "idle":
            with self._lock:
                self._maybe_recycle_locked(message[1])
            return
        with self._lock:
            if kind == "block":
                self.log.append(job_id)  # every block the worker sends, a cancelled job's too
            job = self._jobs.get(job_id)
            if job is None:  # cancelled meanwhile: its late blocks go nowhere
                return
            if kind == "block":
                job._add(message[2], message[3], columns)
                return
            if kind == "done":
                self._finish_locked(job, Outcome("done", divergence=message[2]))
            else:
                self._finish_locked(job, Outcome("error", message=message[2]))

    def _maybe_recycle_locked(self, rss: float | None) -> None:
        """The worker is idle and has handed back what it could; `rss` is what it still holds (MB)."""
        if self._worker is None or self._jobs or rss is None:
            return
        if rss > self.recycle_mb:
            self._recycle_locked()
        elif rss > self.idle_mb:
            self._cancel_idle_timer_locked()
            self._idle_timer = threading.Timer(self.idle_s, self._recycle_if_still_idle, args=(self._worker,))
            self._idle_timer.daemon = True
            self._idle_timer.start()

    def _recycle_if_still_idle(self, worker: _Worker) -> None:
        with self._lock:
            if self._worker is worker and not self._jobs:
                self._recycle_locked()

    def _cancel_idle_timer_locked(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _recycle_locked(self) -> None:
        """Stop the worker, then start a fresh one: one after the other, never two TensorFlows at once (a
        visitor submitting in between starts the new one a little earlier)."""
        worker, self._worker = self._worker, None
        self.restarts += 1

        def replace() -> None:
            worker.stop()
            with self._lock:
                if not self._closed:
                    self._ensure_worker()

        threading.Thread(target=replace, name="training-worker-restart", daemon=True).start()

    def _on_exit(self, worker: _Worker) -> None:
        with self._lock:
            if self._worker is not worker:
                return  # a worker we retired on purpose
            self._worker = None
            lost = Outcome("error", message="the training process stopped unexpectedly; it restarts on the next run")
            for job in list(self._jobs.values()):
                self._finish_locked(job, lost)


def wait_until_ready(service: TrainingService, timeout: float) -> bool:
    """For tools and tests: block until TensorFlow has loaded in the worker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.ready:
            return True
        time.sleep(0.05)
    return service.ready
