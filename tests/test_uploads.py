"""Uploads within the server's memory budget: one read at a time, every visitor's files (the bytes Streamlit
keeps and the tables read from them) within one budget, and a visitor's share given back when their table goes."""

import gc

import numpy as np
import pytest
from streamlit.runtime.uploaded_file_manager import UploadedFile, UploadedFileRec
from test_app import messages, shown_run, visit

from dashboard import data_choice, uploads
from dashboard.uploads import ROW_EXTRA_BYTES, Uploads

CSV = b"x,y\n1,2.5\n2,4.4\n3,6.6\n4,8.3\n"


def uploaded(content: bytes = CSV, name: str = "points.csv") -> UploadedFile:
    """A file as the uploader hands it to the page (Streamlit's own class, holding the bytes)."""
    return UploadedFile(UploadedFileRec(file_id="file-1", name=name, type="text/csv", data=content), None)


def test_a_tables_share_pays_for_its_columns_what_is_worked_out_and_the_bytes_streamlit_keeps():
    rows = b"x,y\n" + b"".join(b"%d,%d\n" % (i, 3 * i) for i in range(1_000))
    store = Uploads()
    upload = store.read(uploaded(rows))
    np.testing.assert_array_equal(upload.table.values["y"], np.arange(1_000, dtype=np.float32) * 3)
    assert upload.table.values["y"].dtype == np.float32
    assert store.held == 2 * 4 * 1_000 + ROW_EXTRA_BYTES * 1_000 + len(rows)
    upload.release()
    assert store.held == 0


def test_a_file_that_cannot_be_read_costs_nothing():
    store = Uploads()
    upload = store.read(uploaded(b"\x89PNG\r\n\x1a\n\x00"))
    assert upload.table is None and "is a PNG image" in upload.problem
    assert store.held == 0


def test_tables_share_one_budget_and_a_share_comes_back_when_its_table_goes():
    rows = b"x,y\n" + b"".join(b"%d,%d\n" % (i, 3 * i) for i in range(10_000))
    probe = Uploads()
    kept = probe.read(uploaded(rows))  # (a share lasts as long as its Upload)
    assert kept.table is not None
    store = Uploads(budget_mb=2.5 * probe.held / 2**20)  # room for two such files, not three
    first = store.read(uploaded(rows))
    second = store.read(uploaded(rows))
    assert first.table is not None and second.table is not None
    refused = store.read(uploaded(rows, name="third.csv"))
    assert refused.table is None and refused.problem.startswith("third.csv was read (10,000 rows), but this server")
    assert first.table.rows == 10_000  # the others' tables are untouched
    first.release()
    assert store.read(uploaded(rows)).table is not None  # its share came back
    held = store.held
    del second
    gc.collect()  # a session that is gone takes its Upload with it
    assert store.held < held


def test_files_are_read_one_at_a_time_and_a_wait_has_an_end(monkeypatch):
    store = Uploads()
    monkeypatch.setattr(uploads, "READ_WAIT_S", 0.2)
    file = uploaded()
    store._reading.acquire()  # another visitor's file is being read
    try:
        upload = store.read(file)
    finally:
        store._reading.release()
    assert upload.table is None and upload.problem.startswith("The server is busy reading other visitors' files")
    seen = []

    def read_and_note(*args, **kwargs):
        seen.append(store._reading.locked())
        return real_read(*args, **kwargs)

    real_read = uploads.read_csv
    monkeypatch.setattr(uploads, "read_csv", read_and_note)
    assert store.read(uploaded()).table is not None and seen == [True]  # read holding the lock


# ---- on the page (AppTest) ------------------------------------------------------------------------------


def test_an_uploaded_table_serves_later_runs_and_goes_when_the_visitor_leaves_csv():
    at = visit({"data": "csv", "steps": "3000", "lr": "0.05"})
    at.file_uploader(key="csv-upload").upload("points.csv", CSV, "text/csv").run()
    first = shown_run(at)
    at.select_slider(key="lr").set_value(0.04).run()  # a rerun: the table read once serves it
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
    assert not messages(at)  # no chart: nothing but the page's heartbeat was sent
