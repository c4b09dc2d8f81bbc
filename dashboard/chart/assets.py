"""The chart's files in the browser: its ES modules and Plotly, served by Streamlit's static file serving.

Streamlit serves the folder `static/` beside app.py at `app/static/` when `[server] enableStaticServing` is on
(.streamlit/config.toml), with each file's real content type (docs: "Static file serving"). The page copies
the chart's modules (js/), the schema's constants and the Plotly bundle of the `plotly` package it already
depends on (the same version as the Python side) into one folder there, named by a hash of their contents:
a new version gets a new address, so no browser keeps an old copy. The folder is git-ignored, written when
missing (a fresh clone, a new version) by whichever script run gets there first, and complete or absent
(written aside, then renamed into place). Copies, not links: the static route refuses links leading out of
its folder.
"""

from __future__ import annotations

import atexit
import functools
import gzip
import hashlib
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import plotly

from . import schema

HERE = Path(__file__).resolve().parent
APP_DIR = HERE.parents[1]  # where app.py is: Streamlit serves APP_DIR/static
STATIC_DIR = APP_DIR / "static"
URL_PREFIX = "app/static/"  # the documented address of that folder, relative to the app's own
FOLDER_PREFIX = "gtl-chart-"
PLOTLY = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
# Plotly goes out compressed once, here: the static route would gzip its 4.8 MB again for every visitor
# (about 0.2 s of the server's time), but sends a .gz file as it is (application/gzip is not compressed
# again); the chart decompresses it in the browser (js/plotly.js).
PLOTLY_GZ = "plotly.min.js.gz"
ENTRY = "main.js"  # the module the page's loaders import
PROBE = "probe.txt"  # a tiny file the chart fetches to learn whether the server answers
# And one file per server process, beside the folder, named by that process (schema.SERVER_PREFIX): the chart
# fetches the one of the server that sent its run, so a server restarted in the meantime answers "not found"
# (a restart quicker than the chart's probes would otherwise go unseen, and the tab would wait for an input
# that never comes).
STALE_WRITE_S = 600.0
# The static route sends Last-Modified but no Cache-Control, so browsers keep a file for a tenth of its age.
# A folder named by its contents never changes: an old date lets a returning visitor keep Plotly for months.
LAST_MODIFIED = 946_684_800  # 2000-01-01


class Unpublished(RuntimeError):
    """The chart's files could not be written where Streamlit serves them (the message says where and why)."""


@dataclass(frozen=True)
class Bundle:
    files: dict[str, bytes]  # name in the folder -> content, as served
    compressed: dict[str, bytes]  # name in the folder -> content before gzip (served compressed)
    digest: str

    def published(self) -> dict[str, bytes]:
        """Every file of the folder as written (compressing takes a moment: only when publishing)."""
        return {**self.files, **{name: _gzip(content) for name, content in self.compressed.items()}}

    @property
    def folder(self) -> str:
        return FOLDER_PREFIX + self.digest

    @property
    def url(self) -> str:
        """The folder's address relative to the app's (the browser resolves it against the page's)."""
        return f"{URL_PREFIX}{self.folder}/"


@functools.cache
def bundle() -> Bundle:
    """Every file the browser loads, read once per server process."""
    files = {p.name: p.read_bytes() for p in sorted((HERE / "js").glob("*.js"))}
    files["schema.js"] = schema.js_constants().encode()
    files[PROBE] = b"ok\n"
    compressed = {PLOTLY_GZ: PLOTLY.read_bytes()}
    digest = hashlib.sha256()
    for name, content in sorted({**files, **compressed}.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return Bundle(files, compressed, digest.hexdigest()[:16])


@functools.cache
def _gzip(content: bytes) -> bytes:
    return gzip.compress(content, compresslevel=9, mtime=0)


@functools.cache
def server_id() -> str:
    """This server process, as the chart names it: its pid (to forget the files of servers gone) and a random
    part (a restarted server may get the same pid)."""
    return f"{os.getpid()}-{secrets.token_hex(6)}"


def server_file(server: str) -> str:
    return f"{schema.SERVER_PREFIX}{server}.txt"


def publish(static_dir: Path | None = None) -> Bundle:
    """Make sure the chart's folder and this server's file are in `static_dir` (STATIC_DIR by default; cheap
    when they are there: two stats); raise Unpublished if they cannot be written there."""
    static_dir = STATIC_DIR if static_dir is None else static_dir
    b = bundle()
    target = static_dir / b.folder
    if target.is_dir():
        _announce(static_dir)
        return b
    try:
        static_dir.mkdir(exist_ok=True)
        aside = Path(tempfile.mkdtemp(prefix=".gtl-writing-", dir=static_dir))
        for name, content in b.published().items():
            (aside / name).write_bytes(content)
            os.chmod(aside / name, 0o644)
            os.utime(aside / name, (LAST_MODIFIED, LAST_MODIFIED))
        os.chmod(aside, 0o755)
        try:
            aside.rename(target)
        except OSError:  # another server of this checkout got there first: its copy is the same
            shutil.rmtree(aside, ignore_errors=True)
            if not target.is_dir():
                raise
    except OSError as e:
        raise Unpublished(f"{static_dir}: {e.strerror or e}") from e
    _forget_others(static_dir, keep=b.folder)
    _announce(static_dir)
    return b


def _announce(static_dir: Path) -> None:
    """This server's file, written once (and again if removed) and removed when the process ends normally (a
    stopped server: Streamlit ends on SIGTERM); the files of servers that ended otherwise go here."""
    mine = static_dir / server_file(server_id())
    if mine.is_file():
        return
    try:
        mine.write_bytes(b"ok\n")
        os.chmod(mine, 0o644)
    except OSError as e:
        raise Unpublished(f"{static_dir}: {e.strerror or e}") from e
    atexit.register(mine.unlink, missing_ok=True)
    for path in static_dir.glob(f"{schema.SERVER_PREFIX}*.txt"):
        pid = path.name[len(schema.SERVER_PREFIX) :].split("-", 1)[0]
        if path != mine and (not pid.isdigit() or int(pid) == os.getpid() or not _running(int(pid))):
            path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _forget_others(static_dir: Path, keep: str) -> None:
    """Older versions' folders (each holds a copy of Plotly), and half-written ones a crash left (not one
    another server may be writing now)."""
    for path in static_dir.iterdir():
        old = path.name.startswith(FOLDER_PREFIX) and path.name != keep
        stale = path.name.startswith(".gtl-writing-") and time.time() - path.stat().st_mtime > STALE_WRITE_S
        if (old or stale) and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
