"""The chart's files reach the browser through Streamlit's documented static serving: the page publishes them
into static/ beside app.py (complete or not at all, again when missing), and says so plainly when it cannot."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import texts
from dashboard.chart import assets

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_publishing_writes_every_file_of_the_bundle_once(tmp_path):
    b = assets.publish(tmp_path)
    folder = tmp_path / b.folder
    published = b.published()
    assert {p.name for p in folder.iterdir()} == set(published)
    for name, content in published.items():
        assert (folder / name).read_bytes() == content, name
    assert b.url == f"app/static/{b.folder}/" and b.folder.startswith(assets.FOLDER_PREFIX)
    stamp = (folder / "main.js").stat().st_mtime_ns
    assert assets.publish(tmp_path) == b and (folder / "main.js").stat().st_mtime_ns == stamp  # not rewritten


def test_a_missing_folder_is_written_again_and_old_versions_go(tmp_path):
    old = tmp_path / (assets.FOLDER_PREFIX + "0123456789abcdef")
    old.mkdir()
    (old / "plotly.min.js").write_bytes(b"an older version")
    crashed = tmp_path / ".gtl-writing-crashed"
    crashed.mkdir()
    long_ago = time.time() - 2 * assets.STALE_WRITE_S
    os.utime(crashed, (long_ago, long_ago))
    writing = tmp_path / ".gtl-writing-another-server"  # another server of this checkout, busy right now
    writing.mkdir()
    mine = tmp_path / "cat.png"  # the app's own static files are left alone
    mine.write_bytes(b"\x89PNG")
    b = assets.publish(tmp_path)
    server = assets.server_file(assets.server_id())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([b.folder, server, writing.name, mine.name])
    for path in (tmp_path / b.folder).iterdir():
        path.unlink()
    (tmp_path / b.folder).rmdir()
    assets.publish(tmp_path)
    assert (tmp_path / b.folder / "main.js").read_bytes() == b.files["main.js"]


def test_each_server_has_its_file_and_the_files_of_servers_gone_go(tmp_path):
    """The chart tells a restarted server by its run's server file being "not found" (js/watch.js): a server's
    own file is there while it runs (written again if removed); a file of a process that ended, or of an
    earlier server that had this pid, goes; another running server's stays."""
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    files = {
        "ended": assets.server_file(f"{ended.pid}-0123456789ab"),
        "running": assets.server_file(f"{os.getppid()}-0123456789ab"),  # this test's parent
        "my pid before": assets.server_file(f"{os.getpid()}-0123456789ab"),
    }
    for name in files.values():
        (tmp_path / name).write_text("ok\n")
    assets.publish(tmp_path)
    mine = tmp_path / assets.server_file(assets.server_id())
    assert assets.server_id().startswith(f"{os.getpid()}-") and mine.read_text() == "ok\n"
    assert sorted(p.name for p in tmp_path.glob("gtl-server-*")) == sorted([mine.name, files["running"]])
    mine.unlink()
    assets.publish(tmp_path)
    assert mine.is_file()


def test_a_server_that_ends_takes_its_file_with_it(tmp_path):
    """A server stopped (Streamlit ends normally on SIGTERM) leaves no file: a tab reconnecting to the server
    started after it finds its run's server gone before that new server has run any script."""
    script = f"from pathlib import Path; from dashboard.chart import assets; assets.publish(Path({str(tmp_path)!r}))"
    root = Path(__file__).resolve().parents[1]
    probe = subprocess.run([sys.executable, "-c", script + "; print(assets.server_id())"], cwd=root,
                           capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    assert probe.stdout.strip().split("-")[0].isdigit()
    assert list(tmp_path.glob("gtl-server-*")) == [] and (tmp_path / assets.bundle().folder).is_dir()


def test_a_folder_that_cannot_be_written_raises_with_where_and_why(tmp_path):
    blocked = tmp_path / "static"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(assets.Unpublished, match=str(blocked)):
        assets.publish(blocked)


def visit() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_elements(at: AppTest) -> list:
    return [c for c in at.get("bidi_component") if c.proto.component_name == "gradienttape_lab.run_view"]


def test_the_page_says_why_when_the_chart_cannot_be_published(monkeypatch, tmp_path):
    blocked = tmp_path / "static"
    blocked.write_text("not a folder")
    monkeypatch.setattr(assets, "STATIC_DIR", blocked)
    with pytest.raises(assets.Unpublished) as why:
        assets.publish(blocked)
    at = visit()
    (error,) = at.error
    assert error.value == texts.chart_unavailable(str(why.value)) and str(blocked) in error.value
    assert not chart_elements(at)


def test_the_page_says_why_when_static_serving_is_off(tmp_path):
    """Streamlit reads .streamlit/config.toml from the folder it is started in (once per process: hence a
    process of its own): started elsewhere, the static serving the chart needs is off."""
    code = (
        "import json; from streamlit.testing.v1 import AppTest; "
        f"at = AppTest.from_file({APP!r}, default_timeout=180); at.run(); "
        "names = [c.proto.component_name for c in at.get('bidi_component')]; "
        "print(json.dumps([[e.value for e in at.error], [e.value for e in at.exception], names]))"
    )
    for cwd, serving in ((tmp_path, False), (Path(APP).parent, True)):
        out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        errors, exceptions, names = json.loads(out.stdout.strip().splitlines()[-1])
        assert not exceptions
        if serving:
            assert not errors and "gradienttape_lab.run_view" in names
        else:
            assert errors == [texts.chart_unavailable(None)] and "gradienttape_lab.run_view" not in names
