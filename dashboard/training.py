"""The page's side of the training worker (see worker.py): start it, hand it runs, collect their blocks.

One `TrainingService` serves every visitor of a server. It keeps no visitor's data: a `Job` is a handle
the visitor's own script run holds while it streams the run to the browser, and each visitor's finished
runs live in that visitor's `st.session_state`. The service is thread-safe (every visitor's script runs
on its own thread).

Every job ends, whatever happens to the worker: it finishes, is cancelled, or fails with an `Outcome`
whose `code` says why (the worker process died, stopped answering its heartbeat, or the thread reading it
failed). A failed worker is killed and waited for before another starts, so two TensorFlows never hold
memory at once; one that had loaded TensorFlow is replaced at once, so the next visitor finds it warm.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the service starts before NumPy is needed: the sooner the worker starts, the sooner it is ready
    import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
# An idle worker is replaced on memory alone, never on a timer (a worker that fits keeps its compiled
# programs, and nobody waits for TensorFlow to load again): when it holds more than RECYCLE_MB, or more than
# the server leaves it of BUDGET_MB with HEADROOM_MB for training, though not for less than MARGIN_MB over
# what it held after its first run (a fresh worker would soon hold that again).
RECYCLE_MB = 700
BUDGET_MB = 900  # the server and its worker together
HEADROOM_MB = 60  # what a worker takes beyond its idle size while it trains (runs let in, a new compile)
MARGIN_MB = 50
HUNG_S = 3.0  # a ready worker silent this long (it sends a heartbeat every worker.HEARTBEAT_S) and stopped
# (SIGSTOP: its state says so) is failed; one still running may only be starved of CPU, at the lowest
# scheduling weight on a busy machine: it is failed only once silent for QUIET_S
QUIET_S = 30.0
STARTUP_S = 120.0  # to load TensorFlow and say it is ready, on a busy machine
STUCK_S = 60.0  # one piece of work (a chunk, a data set, a compile) taking longer than this never ends
SEND_TIMEOUT_S = HUNG_S  # a message the worker does not take within this means it has stopped reading
NO_NEWS_S = STARTUP_S + 30.0  # the page gives up on a job that brings nothing new for this long
WATCH_S = 0.25  # how often the watchdog looks
WORKER_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",  # TensorFlow's start-up chatter
    "MALLOC_ARENA_MAX": "2",  # glibc's per-thread arenas fragment memory that TensorFlow's threads free
    "OMP_NUM_THREADS": "2",
}

# Why a job ended, for programs: the chart decides by code whether to train again after a reconnect.
DONE, CANCELLED = "done", "cancelled"
WORKER_LOST = "worker-lost"  # the process ended (killed, crashed)
WORKER_HUNG = "worker-hung"  # it stopped answering (heartbeat), or one piece of work never ended
READER_FAILED = "reader-failed"  # the thread reading its messages failed
WORKER_UNREACHABLE = "worker-unreachable"  # the job could not be handed over
RUN_FAILED = "run-failed"  # the worker could not train these settings (a bug on the page side)
NO_NEWS = "no-news"  # the page waited NO_NEWS_S for the job and gave up
RETRY_CODES = frozenset({WORKER_LOST, WORKER_HUNG, READER_FAILED, WORKER_UNREACHABLE, NO_NEWS})
FAILURE_TEXTS = {
    WORKER_LOST: "the training process stopped unexpectedly; it restarts on the next run",
    WORKER_HUNG: "the training process stopped answering, so it was restarted; press Run again",
    READER_FAILED: "the server lost track of the training process, so it was restarted; press Run again",
    WORKER_UNREACHABLE: "the training process could not take the run; it restarts on the next run",
    NO_NEWS: f"no news from the training process for {NO_NEWS_S:.0f} s; press Run again",
}


@dataclass(frozen=True)
class Outcome:
    """How a job ended. kind: "done" (finished or diverged), "error" or "cancelled"; code: why (see above)."""

    kind: str
    code: str
    divergence: tuple[int, str] | None = None
    message: str = ""


def failure(code: str, detail: str = "") -> Outcome:
    return Outcome("error", code, message=detail or FAILURE_TEXTS[code])


class Job:
    """A run on the worker as the page sees it: blocks of steps arrive while the worker trains them."""

    def __init__(self, job_id: str, service: TrainingService) -> None:
        self.id = job_id
        self._service = service
        self._cond = threading.Condition()
        self._blocks: list[tuple[int, np.ndarray]] = []
        self.columns: tuple[str, ...] | None = None  # the names of a block's columns, from the worker that trains it
        self.outcome: Outcome | None = None
        self.worker: _Worker | None = None  # the process it was handed to

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
    """One worker process and the thread that reads its messages. The thread always reports its end
    (`on_exit(worker, error)`), whatever ended it."""

    def __init__(self, on_message, on_exit) -> None:
        parent, child = socket.socketpair()
        # a send that the worker does not take within SEND_TIMEOUT_S fails instead of blocking the server
        parent.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", int(SEND_TIMEOUT_S), 0))
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
        self.started = self.last_heard = time.monotonic()
        self.busy_s = 0.0  # how long the worker has been on its current piece of work, as of its last heartbeat
        self.first_idle_mb: float | None = None  # what it held, idle, after its first run
        self.retired = False  # set before this side closes the connection on purpose
        self._send_lock = threading.Lock()
        self._on_message, self._on_exit = on_message, on_exit
        threading.Thread(target=self._read, name="training-worker-reader", daemon=True).start()

    def _read(self) -> None:
        error: BaseException | None = None
        try:
            while True:
                message = self.conn.recv()
                self.last_heard = time.monotonic()
                if message[0] == "alive":
                    self.busy_s = message[1]
                elif message[0] == "ready":
                    self.columns = tuple(message[2])
                    self.ready.set()
                else:
                    self._on_message(self, message)
        except BaseException as e:  # noqa: BLE001 - whatever ended the reading, every job on this worker must end
            error = e
        finally:
            self._on_exit(self, error)

    def silent_for(self, now: float) -> float:
        return now - self.last_heard

    def send(self, message: tuple) -> bool:
        try:
            with self._send_lock:
                self.conn.send(message)
            return True
        except (OSError, ValueError):  # it died, or stopped reading (SEND_TIMEOUT_S): the caller fails it
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

    def _close(self) -> None:
        self.retired = True
        with contextlib.suppress(OSError):
            self.conn.close()
        with contextlib.suppress(OSError):
            self._sock.close()

    def kill(self, grace: float = 10.0) -> None:
        """End the process now and wait until it is gone (its memory with it). Safe on a stopped process."""
        self._close()
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=grace)

    def stop(self, grace: float = 5.0) -> None:
        """Ask the process to quit, and kill it if it has not within `grace` seconds."""
        self.send(("quit",))
        self._close()
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()


class TrainingService:
    """Hands runs to the worker and routes their blocks back to each run's `Job`."""

    def __init__(self, recycle_mb: float = RECYCLE_MB, hung_s: float = HUNG_S, budget_mb: float = BUDGET_MB) -> None:
        self.recycle_mb, self.hung_s, self.budget_mb = recycle_mb, hung_s, budget_mb
        self._closed = threading.Event()
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._worker: _Worker | None = None
        self.restarts = 0  # workers replaced: recycled for memory, or after a failure
        self.restart_reasons: deque[str] = deque(maxlen=100)
        self.submitted = 0  # jobs handed to a worker
        self.log: deque[str] = deque(maxlen=10_000)  # the job of each block received, in order (for tests)
        with self._lock:
            self._spawn_locked()
        threading.Thread(target=self._watch, name="training-watchdog", daemon=True).start()

    # ---- visitors ----------------------------------------------------------------------------

    def submit(self, settings: Any, data: Any = None) -> Job:
        """Start training `settings`. `data` is sent along only when the worker cannot make it from the
        settings (an uploaded file). The worker handles messages in order: cancel a visitor's previous job
        before submitting the next, and the old run stops before the new one starts."""
        job = Job(uuid.uuid4().hex, self)
        message = ("start", job.id, {"settings": settings.to_dict(), "data": data})
        with self._lock:
            if self._closed.is_set():
                job._end(Outcome("cancelled", CANCELLED))
                return job
            self.submitted += 1
            for _ in range(2):  # a worker found dead on the way is replaced, and the job handed to the new one
                worker = self._worker if self._worker is not None else self._spawn_locked()
                if worker.send(message):  # its answers wait for this lock: the job is registered first
                    job.worker = worker
                    self._jobs[job.id] = job
                    break
                # a half-sent message leaves the stream unreadable: this worker cannot be used any more
                self._fail_worker_locked(worker, WORKER_LOST if worker.proc.poll() is not None else WORKER_HUNG)
                if self._closed.is_set():
                    break
            if job.worker is None:
                job._end(failure(WORKER_UNREACHABLE))
        return job

    def cancel(self, job: Job) -> None:
        with self._lock:
            if job.id in self._jobs:
                if job.worker is not None and job.worker is self._worker:
                    job.worker.send(("cancel", job.id))
                self._finish_locked(job, Outcome("cancelled", CANCELLED))

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
            self._closed.set()
            worker, self._worker = self._worker, None
            for job in list(self._jobs.values()):
                self._finish_locked(job, Outcome("cancelled", CANCELLED))
        if worker is not None:
            worker.stop()

    # ---- internals --------------------------------------------------------------------------

    def _spawn_locked(self) -> _Worker:
        """A new worker. Only ever called with no other worker process alive (see _retire_locked)."""
        self._worker = _Worker(self._on_message, self._on_exit)
        return self._worker

    def _finish_locked(self, job: Job, outcome: Outcome) -> None:
        self._jobs.pop(job.id, None)
        job._end(outcome)

    def _jobs_on(self, worker: _Worker) -> list[Job]:
        return [job for job in self._jobs.values() if job.worker is worker]

    def _on_message(self, worker: _Worker, message: tuple) -> None:
        kind = message[0]
        with self._lock:
            if kind == "idle":
                self._maybe_recycle_locked(worker, message[1])
                return
            job_id = message[1]
            if kind == "block":
                self.log.append(job_id)  # every block the worker sends, a cancelled job's too
            job = self._jobs.get(job_id)
            if job is None:  # cancelled meanwhile: its late blocks go nowhere
                return
            if kind == "block":
                job._add(message[2], message[3], worker.columns)
            elif kind == "done":
                self._finish_locked(job, Outcome("done", DONE, divergence=message[2]))
            else:
                self._finish_locked(job, failure(RUN_FAILED, message[2]))

    def _maybe_recycle_locked(self, worker: _Worker, rss: float | None) -> None:
        """The worker is idle and has handed back what it could; `rss` is what it still holds (MB)."""
        if worker is not self._worker or rss is None:
            return
        if worker.first_idle_mb is None:
            worker.first_idle_mb = rss
        if self._jobs_on(worker):  # a run arrived meanwhile
            return
        server = _own_rss_mb()
        left = max(self.budget_mb - server - HEADROOM_MB, worker.first_idle_mb + MARGIN_MB)
        if rss > min(self.recycle_mb, left):
            self._retire_locked(worker, f"recycled at {rss:.0f} MB (the server held {server:.0f} MB)")

    def _on_exit(self, worker: _Worker, error: BaseException | None) -> None:
        """The reader of `worker` has stopped: on purpose (retired), because the process ended, or because
        reading failed. Whichever it was, no job on that worker is left waiting."""
        if worker.retired:
            code = WORKER_LOST
        elif error is None or isinstance(error, (EOFError, OSError)):
            code = WORKER_LOST
        else:
            code = READER_FAILED
        with self._lock:
            self._fail_worker_locked(worker, code, detail=None if code != READER_FAILED else repr(error))

    def _fail_worker_locked(self, worker: _Worker, code: str, detail: str | None = None) -> None:
        """End every job on `worker` with `code`, make sure its process is gone, and replace it if it was
        the current one (at once if it had loaded TensorFlow; else on the next run, so a worker that cannot
        start does not restart in a loop)."""
        for job in self._jobs_on(worker):
            self._finish_locked(job, failure(code))
        if worker is not self._worker:
            return
        was_ready = worker.ready.is_set()
        self._retire_locked(worker, code + (f": {detail}" if detail else ""), respawn=was_ready)

    def _retire_locked(self, worker: _Worker, reason: str, respawn: bool = True) -> None:
        """Kill `worker` and wait until its process is gone, then (if `respawn`) start a fresh one: two
        TensorFlows never hold memory at once."""
        self._worker = None
        worker.kill()
        self.restarts += 1
        self.restart_reasons.append(reason)
        if respawn and not self._closed.is_set():
            self._spawn_locked()

    def _watch(self) -> None:
        """The heartbeat's other end: a worker silent too long (stopped, or stuck in one piece of work) is
        failed, which ends its jobs at once and replaces it."""
        while not self._closed.wait(WATCH_S):
            with self._lock:
                w = self._worker
                if w is None:
                    continue
                silent = w.silent_for(time.monotonic())
                if not w.ready.is_set():
                    hung = silent > STARTUP_S
                else:
                    hung = silent > QUIET_S or (silent > self.hung_s and _stopped(w.proc.pid))
                if hung:
                    self._fail_worker_locked(w, WORKER_HUNG, detail=f"silent for {silent:.1f} s")
                elif w.busy_s + silent > STUCK_S:
                    self._fail_worker_locked(w, WORKER_HUNG, detail=f"busy for {w.busy_s + silent:.0f} s")


def _stopped(pid: int) -> bool:
    """Whether a process is stopped (by a signal or a debugger) or gone (Linux; elsewhere: not known)."""
    if not os.path.isdir("/proc/self"):
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]  # the field after the command name, which may hold spaces
    except FileNotFoundError:
        return True
    except (OSError, IndexError):
        return False
    return state in ("T", "t", "Z", "X")


def _own_rss_mb() -> float:
    """Resident memory of this process, the server (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0.0


def wait_until_ready(service: TrainingService, timeout: float) -> bool:
    """For tools and tests: block until TensorFlow has loaded in the worker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.ready:
            return True
        time.sleep(0.05)
    return service.ready
