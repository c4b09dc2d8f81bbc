"""Uploads within the server's memory budget: Streamlit's copy of the bytes dropped once read, one read at a
time, every visitor's tables within one budget, and a visitor's share given back when their table goes."""

import gc

import numpy as np
import pytest
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec
from test_app import shown_run, visit

from dashboard import data_choice, uploads
from dashboard.uploads import Uploads

CSV = b"x,y\n1,2.5\n2,4.4\n3,6.6\n4,8.3\n"


class Session:
    """A visitor's script run as uploads.py sees it: Streamlit's real file manager, holding the upload."""

    def __init__(self, monkeypatch, content: bytes = CSV, name: str = "points.csv") -> None:
        self.uploaded_file_mgr, self.session_id = MemoryUploadedFileManager("/upload"), "visitor"
        record = UploadedFileRec(file_id="file-1", name=name, type="text/csv", data=content)
        self.uploaded_file_mgr.add_file(self.session_id, record)
        self.file = UploadedFile(record, None)
        monkeypatch.setattr(uploads, "get_script_run_ctx", lambda: self)

    def holds_bytes(self) -> bool:
        return bool(self.uploaded_file_mgr.get_files(self.session_id, ["file-1"]))


def test_streamlits_copy_of_the_bytes_is_dropped_once_the_file_is_read(monkeypatch):
    session = Session(monkeypatch)
    assert session.holds_bytes()
    upload = Uploads().read(session.file)
    assert not session.holds_bytes()
    np.testing.assert_array_equal(upload.table.values["y"], np.float32([2.5, 4.4, 6.6, 8.3]))


def test_a_file_that_cannot_be_read_is_dropped_too_and_costs_nothing(monkeypatch):
    session = Session(monkeypatch, content=b"\x89PNG\r\n\x1a\n\x00")
    store = Uploads()
    upload = store.read(session.file)
    assert upload.table is None and "is a PNG image" in upload.problem
    assert not session.holds_bytes() and store.held == 0


def test_tables_share_one_budget_and_a_share_comes_back_when_its_table_goes(monkeypatch):
    rows = b"x,y\n" + b"".join(b"%d,%d\n" % (i, 3 * i) for i in range(10_000))
    store = Uploads(budget_mb=0.75)  # room for two tables of 10,000 rows (0.31 MB each with what is worked out)
    first = store.read(Session(monkeypatch, rows).file)
    second = store.read(Session(monkeypatch, rows).file)
    assert first.table is not None and second.table is not None
    refused = store.read(Session(monkeypatch, rows, name="third.csv").file)
    assert refused.table is None and refused.problem.startswith("third.csv was read (10,000 rows), but this server")
    assert first.table.rows == 10_000  # the others' tables are untouched
    first.release()
    assert store.read(Session(monkeypatch, rows).file).table is not None  # its share came back
    held = store.held
    del second
    gc.collect()  # a session that is gone takes its Upload with it
    assert store.held < held


def test_files_are_read_one_at_a_time_and_a_wait_has_an_end(monkeypatch):
    store = Uploads()
    monkeypatch.setattr(uploads, "READ_WAIT_S", 0.2)
    session = Session(monkeypatch)
    store._reading.acquire()  # another visitor's file is being read
    try:
        upload = store.read(session.file)
    finally:
        store._reading.release()
    assert upload.table is None and upload.problem.startswith("The server is busy reading other visitors' files")
    seen = []

    def read_and_note(*args, **kwargs):
        seen.append(store._reading.locked())
        return real_read(*args, **kwargs)

    real_read = uploads.read_csv
    monkeypatch.setattr(uploads, "read_csv", read_and_note)
    assert store.read(Session(monkeypatch).file).table is not None and seen == [True]  # read holding the lock


# ---- on the page (AppTest) ------------------------------------------------------------------------------


def test_an_uploaded_table_serves_later_runs_and_goes_when_the_visitor_leaves_csv():
    at = visit({"data": "csv", "steps": "3000", "lr": "0.05"})
    at.file_uploader(key="csv-upload").upload("points.csv", CSV, "text/csv").run()
    first = shown_run(at)
    at.select_slider(key="lr").set_value(0.04).run()  # a rerun long after the upload's bytes were dropped
    x, y = np.array([1, 2, 3, 4.0]), np.array([2.5, 4.4, 6.6, 8.3])
    (slope, intercept), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
    again = shown_run(at)
    assert again["header"]["run"] != first["header"]["run"]
    assert again["values"][-1, 1] == pytest.approx(slope, abs=2e-3)
    assert again["values"][-1, 2] == pytest.approx(intercept, abs=1e-2)
    held = data_choice.uploads().held
    assert held > 0
    at.selectbox(key="data").set_value("generator").run()
    assert data_choice.TABLE not in at.session_state and data_choice.uploads().held < held


def test_an_upload_over_the_servers_budget_gets_a_message_and_no_chart(monkeypatch):
    full = Uploads(budget_mb=0)
    monkeypatch.setattr(data_choice, "uploads", lambda: full)
    at = visit({"data": "csv"})
    at.file_uploader(key="csv-upload").upload("points.csv", CSV, "text/csv").run()
    assert not at.exception
    (error,) = at.error
    assert "holding as many uploaded tables as it can" in error.value.replace("\\", "")
    assert not [e for e in at.get("bidi_component") if e.proto.bytes]
