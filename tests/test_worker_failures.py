"""Every job ends, whatever befalls the training worker: each failure is injected into a real worker
(real TensorFlow), and the next run must train exactly what the trainer trains here, on a fresh worker."""

import os
import signal
import threading
import time

import numpy as np
import psutil
import pytest
from jobs import HEAVY, blocks_of, drain, engine

from dashboard.training import (
    READER_FAILED,
    RETRY_CODES,
    WORKER_HUNG,
    WORKER_LOST,
    Job,
    TrainingService,
    wait_until_ready,
)
from linreg_core.settings import Settings

OTHERS: set[int] = set()  # workers of services other tests left running in this process (the page's own)


@pytest.fixture
def svc():
    OTHERS.update(worker_processes())
    service = TrainingService()
    assert wait_until_ready(service, 120)
    yield service
    service.close()


def worker_processes() -> list[int]:
    """The live training workers of this process, but for those in OTHERS (a zombie has given its memory
    back already)."""
    found = []
    for p in psutil.Process().children():
        try:
            if p.pid in OTHERS or p.status() == psutil.STATUS_ZOMBIE:
                continue
            if "dashboard.worker" in " ".join(p.cmdline()):
                found.append(p.pid)
        except psutil.Error:  # it ended between the listing and the look
            pass
    return found


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def assert_trains_on_a_fresh_worker(svc: TrainingService, old_pid: int) -> None:
    np.testing.assert_array_equal(drain(svc.submit(Settings(lr=0.1))), engine(Settings(lr=0.1)))
    assert svc.worker_pid() not in (None, old_pid) and gone(old_pid)
    assert worker_processes() == [svc.worker_pid()]


def test_an_exception_in_the_reader_ends_every_open_job_and_the_next_run_gets_a_fresh_worker(svc, monkeypatch):
    """Any exception, not only the few the reader expects (here a MemoryError while routing a block)."""
    first = svc.submit(HEAVY)
    other = svc.submit(HEAVY.changed(lr=0.01))
    blocks_of(first, 1)
    pid = svc.worker_pid()

    def fail(self, *args):
        raise MemoryError("injected")

    monkeypatch.setattr(Job, "_add", fail)
    for job in (first, other):
        drain(job)
        assert (
            job.outcome.kind == "error"
            and job.outcome.code == READER_FAILED
            and "training process" in job.outcome.message
        )
    monkeypatch.undo()
    assert_trains_on_a_fresh_worker(svc, pid)


def test_a_worker_killed_between_a_visit_and_its_readers_report_orphans_no_job(monkeypatch):
    """The worker dies while its reader cannot report yet (the service is busy): the next visitor's run is
    handed to a new worker, the old worker's jobs still end, and idle recycling keeps working."""
    svc = TrainingService(recycle_mb=1)  # any real worker is over 1 MB: recycled whenever it idles
    try:
        assert wait_until_ready(svc, 120)
        old = svc.submit(HEAVY)
        blocks_of(old, 1)
        pid = svc.worker_pid()
        with svc._lock:  # the reader's report waits for this lock
            os.kill(pid, signal.SIGKILL)
            psutil.Process(pid).wait(30)
            new = svc.submit(Settings(lr=0.1))
        drain(old)
        assert old.outcome.code == WORKER_LOST and old.outcome.code in RETRY_CODES
        np.testing.assert_array_equal(drain(new), engine(Settings(lr=0.1)))
        replaced = svc.worker_pid()
        assert replaced != pid
        deadline = time.monotonic() + 60
        while svc.worker_pid() == replaced and time.monotonic() < deadline:  # idle over 1 MB: recycled
            time.sleep(0.05)
        assert svc.worker_pid() != replaced, "no idle recycling after the lost worker"
    finally:
        svc.close()


def test_a_stopped_worker_is_said_to_its_visitors_and_replaced(svc):
    """SIGSTOP: the process lives but answers nothing. Its heartbeat falls silent, the job ends with a
    code the chart can act on, and the stopped process is killed (not left holding its memory)."""
    job = svc.submit(HEAVY)
    blocks_of(job, 1)
    pid = svc.worker_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        drain(job, timeout=60)
    finally:
        if not gone(pid):
            os.kill(pid, signal.SIGKILL)
    assert job.outcome.code == WORKER_HUNG and job.outcome.code in RETRY_CODES
    assert "stopped answering" in job.outcome.message
    assert_trains_on_a_fresh_worker(svc, pid)


def test_a_worker_that_dies_fails_its_job_clearly_and_the_next_job_gets_a_new_worker(svc):
    job = svc.submit(HEAVY)
    blocks_of(job, 1)
    pid = svc.worker_pid()
    os.kill(pid, signal.SIGKILL)
    drain(job)
    assert job.outcome.code == WORKER_LOST and "stopped unexpectedly" in job.outcome.message
    assert_trains_on_a_fresh_worker(svc, pid)


def test_a_replacement_never_starts_while_the_worker_it_replaces_is_alive():
    """Recycled after every job, with runs submitted as the recycling happens: two TensorFlows (~500 MB
    each) never hold memory at once."""
    OTHERS.update(worker_processes())
    svc = TrainingService(recycle_mb=1)
    most, stop = [0], threading.Event()

    def sample():
        while not stop.is_set():
            most[0] = max(most[0], len(worker_processes()))
            time.sleep(0.002)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        assert wait_until_ready(svc, 120)
        for lr in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5):  # each submitted the moment the one before has ended
            np.testing.assert_array_equal(drain(svc.submit(Settings(lr=lr))), engine(Settings(lr=lr)))
            if svc.restarts >= 2:
                break
        assert svc.restarts >= 2
    finally:
        stop.set()
        sampler.join()
        svc.close()
    assert most[0] == 1


def test_a_silent_worker_that_still_runs_is_given_time_a_stopped_one_is_not(svc, monkeypatch):
    """Silence alone may be a worker starved of CPU at its low scheduling weight on a busy machine: it is
    kept until QUIET_S; a stopped process (or none) is failed after HUNG_S."""
    from dashboard import training

    silence = [10.0]  # heartbeats unheard for 10 s: past HUNG_S, short of QUIET_S
    monkeypatch.setattr(training._Worker, "silent_for", lambda self, now: silence[0])
    pid = svc.worker_pid()
    time.sleep(10 * training.WATCH_S)
    np.testing.assert_array_equal(drain(svc.submit(Settings(lr=0.3))), engine(Settings(lr=0.3)))
    assert svc.worker_pid() == pid and svc.restarts == 0
    job = svc.submit(HEAVY)
    silence[0] = training.QUIET_S + 1
    drain(job)
    assert job.outcome.code == WORKER_HUNG and svc.worker_pid() != pid


def test_a_process_is_known_as_stopped_only_when_it_is(tmp_path):
    import subprocess
    import sys

    from dashboard.training import _stopped

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert not _stopped(proc.pid)
        os.kill(proc.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 10
        while not _stopped(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _stopped(proc.pid)
        os.kill(proc.pid, signal.SIGCONT)
        deadline = time.monotonic() + 10
        while _stopped(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _stopped(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    assert _stopped(proc.pid)  # gone
