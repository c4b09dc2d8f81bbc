"""How the page follows a run: shared with every visitor who asks for the same one, always to an end, and
always with a code saying how it ended. Real page (AppTest), real worker, real TensorFlow."""

import numpy as np
import pytest
from jobs import HEAVY, blocks_of, drain, engine
from test_app import messages, shown_run, visit

from dashboard import page, training
from dashboard.chart.schema import Code
from dashboard.service import training_service
from dashboard.shared_runs import Replay, SharedRuns
from linreg_core.settings import Settings


def counters() -> tuple[int, int, int]:
    """Jobs handed to the worker, blocks it sent, and runs the page started (server-wide)."""
    service = training_service()
    return service.submitted, len(service.log), page.shared_runs().trained


def test_a_second_visitor_with_the_same_link_is_streamed_the_stored_run_without_training():
    settings = Settings(seed=31, lr=0.05, steps=700)  # a run no other test asks for
    first = shown_run(visit(settings.to_query()))
    np.testing.assert_array_equal(first["values"], engine(settings))
    before = counters()
    second = shown_run(visit(settings.to_query()))
    assert counters() == before  # nothing was trained for the second visitor
    np.testing.assert_array_equal(second["values"], engine(settings))
    assert "records" not in second["header"]  # streamed as feeds, so the chart animates it as it trains
    assert second["header"]["run"] != first["header"]["run"]
    assert second["status"] == first["status"] and second["status"]["code"] == Code.FINISHED


def test_a_diverging_run_is_shared_with_its_divergence():
    settings = Settings(seed=32, lr=1.5, steps=400)
    first = shown_run(visit(settings.to_query()))
    before = counters()
    second = shown_run(visit(settings.to_query()))
    assert counters() == before
    assert second["status"] == first["status"] and second["status"]["text"].startswith("Diverging")
    np.testing.assert_array_equal(second["values"], first["values"])


def test_run_again_animates_the_stored_run_anew():
    at = visit(Settings(seed=33, steps=300).to_query())
    first = shown_run(at)
    before = counters()
    at.button(key="run-again").click().run()
    again = shown_run(at)
    assert counters() == before
    assert again["header"]["run"] != first["header"]["run"] and "records" not in again["header"]
    np.testing.assert_array_equal(again["values"], first["values"])


def test_an_uploaded_files_runs_are_never_shared():
    csv = b"x,y\n1,2.1\n2,3.9\n3,6.2\n4,8.1\n"
    runs = []
    for _ in range(2):
        at = visit({"data": "csv", "steps": "200", "lr": "0.02"})
        before = counters()
        at.file_uploader(key="csv-upload").upload("same.csv", csv, "text/csv").run()
        runs.append(shown_run(at))
        assert counters()[0] == before[0] + 1  # each visitor trained its own
    np.testing.assert_array_equal(runs[0]["values"], runs[1]["values"])


def test_a_job_that_never_answers_ends_at_the_pages_deadline_with_its_code(monkeypatch):
    """The worker loses a job (its start message is swallowed): the page's wait still ends, on its deadline."""
    monkeypatch.setattr(training, "NO_NEWS_S", 1.0)
    send = training._Worker.send
    monkeypatch.setattr(training._Worker, "send", lambda w, m: True if m[0] == "start" else send(w, m))
    sent = messages(visit(Settings(seed=34).to_query()))
    assert not [m for m in sent if m.get("rows")]  # nothing was trained
    (end,) = [m for m in sent if m["kind"] == "end"]
    assert end["status"]["kind"] == "error" and end["status"]["code"] == Code.FAILED
    assert end["status"]["cause"] == training.NO_NEWS and end["status"]["cause"] in training.RETRY_CODES
    assert "training process" in end["status"]["text"]
    key = (repr(Settings(seed=34).data_key()), Settings(seed=34))
    assert page.shared_runs().stored(key) is None  # a run that failed is not kept for others


def test_a_run_over_the_work_budget_says_so_with_its_code():
    shown = visit({"n": "1000000", "steps": "10000"})
    (head,) = [m for m in messages(shown) if m["kind"] == "header"]
    assert head["status"]["kind"] == "error" and head["status"]["code"] == Code.REFUSED


# ---- the store itself, on a real worker ----------------------------------------------------------------


@pytest.fixture(scope="module")
def service():
    svc = training.TrainingService()
    assert training.wait_until_ready(svc, 120)
    yield svc
    svc.close()


def test_visitors_asking_for_a_run_in_training_follow_the_one_job(service):
    runs = SharedRuns()
    a = runs.watch("heavy", lambda: service.submit(HEAVY))
    b = runs.watch("heavy", lambda: service.submit(HEAVY))
    assert a.source is b.source and runs.trained == 1 and runs.shared == 1
    blocks_of(a.source, 2)
    a.leave()  # one visitor moves on: the other still follows, so the job goes on
    np.testing.assert_array_equal(drain(b.source), engine(HEAVY))
    b.leave()
    stored = runs.stored("heavy")
    np.testing.assert_array_equal(stored.values, engine(HEAVY))
    c = runs.watch("heavy", lambda: pytest.fail("a stored run is not trained again"))
    assert isinstance(c.source, Replay) and c.replay


def test_a_run_nobody_follows_any_more_is_cancelled_and_not_kept(service):
    runs = SharedRuns()
    a = runs.watch("left", lambda: service.submit(HEAVY.changed(lr=0.03)))
    b = runs.watch("left", lambda: service.submit(HEAVY.changed(lr=0.03)))
    blocks_of(a.source, 1)
    a.leave()
    b.leave()
    assert a.source.outcome.code == training.CANCELLED and runs.stored("left") is None
    again = runs.watch("left", lambda: service.submit(Settings(lr=0.03)))
    assert again.source is not a.source and runs.trained == 2
    drain(again.source)
    again.leave()


def test_the_store_keeps_the_most_recently_asked_runs_within_its_bytes(service):
    one = engine(Settings(steps=999)).nbytes  # every run below has 1,000 rows of the same columns
    runs = SharedRuns(max_bytes=int(2.5 * one))
    for lr in (0.01, 0.02, 0.03):
        watch = runs.watch(lr, lambda lr=lr: service.submit(Settings(steps=999, lr=lr)))
        drain(watch.source)
        watch.leave()
        if lr == 0.02:
            runs.watch(0.01, lambda: pytest.fail("stored")).leave()  # asked for again: kept over 0.02
    assert runs.nbytes <= runs.max_bytes and runs.stored(0.02) is None
    for lr in (0.01, 0.03):
        np.testing.assert_array_equal(runs.stored(lr).values, engine(Settings(steps=999, lr=lr)))
