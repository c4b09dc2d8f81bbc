"""The training worker process and its client, against the trainer run in this process (real TensorFlow)."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import psutil
import pytest
from jobs import HEAVY, blocks_of, drain, engine

from dashboard import training
from dashboard.training import TrainingService, wait_until_ready
from linreg_core.data import Dataset, load
from linreg_core.settings import Settings
from linreg_core.trainer import COLUMNS, TrainingRun


@pytest.fixture(scope="module")
def service():
    svc = TrainingService()
    assert wait_until_ready(svc, 120)
    yield svc
    svc.close()


def test_the_worker_trains_exactly_what_the_trainer_trains_here(service):
    for settings in (Settings(), Settings(lr=0.3, n=500, seed=3), Settings(optimizer="adam", lr=0.05)):
        job = service.submit(settings)
        got = drain(job)
        assert job.outcome.kind == "done" and job.columns == COLUMNS
        np.testing.assert_array_equal(got, engine(settings))


def test_uploaded_points_travel_with_their_job(service):
    data = Dataset(np.array([1.0, 2.0, 3.0, 5.0]), np.array([2.0, 4.5, 6.0, 10.5]), source="upload", key="csv")
    settings = Settings(data="csv", lr=0.05)
    np.testing.assert_array_equal(drain(service.submit(settings, data)), engine(settings, data))


def test_a_diverging_run_ends_with_its_divergence(service):
    job = service.submit(Settings(lr=10.0, steps=500))
    values = drain(job)
    run = TrainingRun(load(Settings()), Settings(lr=10.0, steps=500))
    list(run.blocks())
    assert job.outcome.divergence == (run.divergence.step, run.divergence.reason)
    assert len(values) == run.divergence.step and np.isfinite(values[:, :3]).all()


def test_a_cancelled_run_stops_before_the_next_one_starts(service):
    """The worker handles messages in order: once the new job's first block is out, the old job sends none."""
    old = service.submit(HEAVY)
    old.wait(0, 60)  # it is training
    service.log.clear()
    old.cancel()
    new = service.submit(Settings(lr=0.1))
    drain(new)
    order = [job_id for job_id in service.log]
    assert new.id in order
    assert old.id not in order[order.index(new.id) :]
    assert old.outcome.kind == "cancelled"


def test_two_heavy_runs_take_turns_a_chunk_at_a_time(service):
    service.log.clear()
    a, b = service.submit(HEAVY), service.submit(HEAVY.changed(lr=0.01))
    blocks_of(a, 3)
    blocks_of(b, 3)
    a.cancel()
    b.cancel()
    order = [job_id for job_id in service.log if job_id in (a.id, b.id)]
    assert order.count(a.id) >= 3 and order.count(b.id) >= 3
    switches = sum(1 for x, y in zip(order, order[1:], strict=False) if x != y)
    assert switches >= min(order.count(a.id), order.count(b.id))  # interleaved, not one after the other


def test_an_idle_worker_under_its_memory_limit_is_kept_however_long_it_idles():
    """Recycling is on memory alone: a worker that fits keeps its compiled programs, so nobody waits for
    TensorFlow to load again after a quiet spell."""
    svc = TrainingService(recycle_mb=10_000)
    try:
        assert wait_until_ready(svc, 120)
        first = svc.worker_pid()
        drain(svc.submit(Settings()))
        time.sleep(3 * training.HUNG_S)  # idle, and long past any heartbeat deadline
        np.testing.assert_array_equal(drain(svc.submit(Settings(lr=0.1))), engine(Settings(lr=0.1)))
        assert svc.worker_pid() == first and svc.restarts == 0
    finally:
        svc.close()


def test_an_idle_worker_over_its_memory_limit_is_replaced_and_keeps_training():
    svc = TrainingService(recycle_mb=1)  # any real worker is over 1 MB: recycled after each job
    try:
        assert wait_until_ready(svc, 120)
        first = svc.worker_pid()
        drain(svc.submit(Settings()))
        deadline = time.monotonic() + 30
        while svc.restarts < 1 and time.monotonic() < deadline:  # (its pid reads None while it is replaced)
            time.sleep(0.05)
        assert svc.restarts >= 1
        assert not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE
        np.testing.assert_array_equal(drain(svc.submit(Settings(lr=0.1))), engine(Settings(lr=0.1)))
    finally:
        svc.close()


def test_the_worker_trains_in_a_session_of_its_own_at_the_lowest_scheduling_weight(service):
    """Linux splits the CPU evenly between sessions before nice values count: in the server's session a
    busy worker took that session's share from the server (see worker._as_background). It takes that
    weight once its first chunk is trained (a cold start waits on TensorFlow's first compile)."""
    drain(service.submit(Settings(seed=5)))
    pid = service.worker_pid()
    assert os.getsid(pid) == pid != os.getsid(0)  # it leads a session, not the server's
    assert os.getpriority(os.PRIO_PROCESS, pid) >= 10
    group = f"/proc/{pid}/autogroup"
    if os.path.exists(group):  # Linux with autogroup (as here and on Community Cloud's Linux hosts)
        with open(group) as f:
            assert f.read().split()[-1] == "19"


def test_a_server_that_dies_takes_its_worker_with_it():
    """The worker has a session of its own, so a signal to the server's process group misses it: it must
    end on its own when its server's end closes their socket."""
    code = (
        "import sys, time; from dashboard.training import TrainingService, wait_until_ready; "
        "s = TrainingService(); assert wait_until_ready(s, 120); print(s.worker_pid(), flush=True); time.sleep(600)"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    server = subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        worker = int(server.stdout.readline())
        os.kill(worker, 0)  # alive
        server.kill()
        server.wait(30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(worker, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(worker, signal.SIGKILL)
            raise AssertionError("the worker outlived its server")
    finally:
        server.kill()


def test_at_most_two_million_points_train_at_once_and_the_rest_wait_in_order(service):
    """Each run in training holds its points as tensors: a third run of a million points waits until one
    of the first two has ended, so the worker's memory stays bounded however many ask at once."""
    big = [Settings(n=1_000_000, steps=400, lr=lr) for lr in (0.01, 0.02, 0.03)]
    service.log.clear()
    jobs = [service.submit(s) for s in big]
    for job, settings in zip(jobs, big, strict=True):
        np.testing.assert_array_equal(drain(job), engine(settings))
    order = list(service.log)
    a, b, c = (job.id for job in jobs)
    last = {j: len(order) - 1 - order[::-1].index(j) for j in (a, b)}
    assert order.index(b) < last[a] and order.index(a) < last[b]  # the first two took turns
    assert min(last.values()) < order.index(c)  # the third began once one of them had ended


def test_an_idle_worker_yields_what_the_budget_cannot_spare_but_never_for_less_than_a_fresh_one_holds():
    """With no budget left beside the server, the worker is still kept while it holds about what a fresh
    worker would after a run (replacing it would gain nothing); grown by MARGIN_MB, it is replaced."""
    svc = TrainingService(recycle_mb=100_000, budget_mb=0)
    try:
        assert wait_until_ready(svc, 120)
        drain(svc.submit(Settings()))
        drain(svc.submit(Settings(lr=0.1)))  # the same program: it holds what it held after its first run
        first = svc.worker_rss_mb()
        assert svc.restarts == 0
        grows = [Settings(n=n, steps=50, optimizer=o) for n in (1_000_000, 500_000, 200_000) for o in ("gd", "adam")]
        for settings in grows:  # new programs at large n: it grows until it is replaced
            drain(svc.submit(settings))
            deadline = time.monotonic() + 5  # its idle report follows the run's end
            while svc.restarts == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            if svc.restarts:
                break
        (reason,) = svc.restart_reasons
        held = float(reason.split()[2])
        assert held > first + training.MARGIN_MB, (held, first)
    finally:
        svc.close()
