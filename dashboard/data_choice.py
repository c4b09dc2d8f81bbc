"""Which points the page fits: the blog's generator, a bundled real data set, or the visitor's own CSV.

A generated or bundled set is made from the settings alone, so it is cached for every visitor. An uploaded
file stays in its visitor's session: it is read in memory (never written to disk), its table kept in that
visitor's st.session_state within the server's upload budget (see uploads.py), and sent to the training
worker with the visitor's job only.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from linreg_core.analysis import Analysis, analyse
from linreg_core.data import SOURCE_TITLES, DataError, Dataset, dataset_from_table, load
from linreg_core.settings import Settings
from linreg_core.theory import RunTheory, prepared_analyses, theory

from . import memory
from .controls import escape_markdown
from .uploads import Upload, Uploads
from .view_model import Drawn, drawn

UPLOAD = "csv-upload"
X_COL, Y_COL = "csv-x", "csv-y"
TABLE = "csv-table"  # the visitor's file as read: an uploads.Upload
CHOSEN, PREPARED = "csv-chosen", "csv-prepared"  # what is worked out from it, kept between reruns
UPLOAD_MB = 20  # matches server.maxUploadSize in .streamlit/config.toml


@dataclass(frozen=True, eq=False)
class Chosen:
    """The points of the current settings and their analysis, or why there are none yet."""

    data: Dataset | None
    analysis: Analysis | None
    identity: str  # changes whenever the points do (for uploads: the file's digest and the two columns)
    problem: str | None = None  # why there are no points: a prompt, or (error=True) what is wrong with the file
    uploaded: bool = False
    error: bool = False
    points: Drawn | None = None  # what the chart draws of them


@st.cache_resource(max_entries=2, show_spinner=False)
def _made(data_key: tuple) -> Dataset:
    """Shared by every visitor, not copied per call: a Dataset's arrays are read-only."""
    data = load(Settings(**dict(data_key)))
    memory.trim()  # the generator's float64 temporaries (~50 MB at a million points) go back
    return data


@st.cache_resource(show_spinner=False)
def uploads() -> Uploads:
    """The server's uploads: one read at a time, every visitor's tables within one budget."""
    return Uploads()


@st.cache_data(max_entries=8, show_spinner=False)
def _analysed(data_key: tuple) -> Analysis:
    return analyse(_made(data_key))


@st.cache_resource(max_entries=8, show_spinner=False)
def _drawn(data_key: tuple) -> Drawn:
    return drawn(_made(data_key))


@st.cache_resource(max_entries=4, show_spinner=False)
def _prepared(data_key: tuple, test_fraction: float, standardize: bool, seed: int) -> tuple:
    settings = Settings(**dict(data_key), test_fraction=test_fraction, standardize=standardize, shuffle_seed=seed)
    return prepared_analyses(_made(data_key), settings, _analysed(data_key))


def theory_for(chosen: Chosen, settings: Settings) -> RunTheory:
    """The run's theory (see linreg_core.theory): its hold-out and scaling, worked out once per data set
    and choice of them, then the bound and rates of its optimizer and rate."""
    split = (settings.test_fraction, settings.standardize, settings.shuffle_seed)
    if chosen.uploaded:
        memo = st.session_state.get(PREPARED)
        if memo is None or memo[0] != (chosen.identity, split):
            memo = ((chosen.identity, split), prepared_analyses(chosen.data, settings, chosen.analysis))
            st.session_state[PREPARED] = memo
        parts = memo[1]
    else:
        parts = _prepared(settings.data_key(), *split)
    return theory(chosen.data, settings, parts)


def title_of(key: str) -> str:
    return SOURCE_TITLES.get(key, key)


def upload_controls(where, values: dict) -> None:
    """Under the data choice: the uploader and the column pickers when the choice is "csv"."""
    if values.get("data") != "csv":
        _forget_upload()  # the uploader is gone from the page, and its file with it
        return
    file = where.file_uploader(
        "your CSV file", key=UPLOAD, max_upload_size=UPLOAD_MB, on_change=_file_changed,
        help="A table with a header row, or just two columns of numbers. It stays in this browser tab's session: "
        "it is never stored on the server or shown to anyone else.",
    )  # fmt: skip
    upload: Upload | None = st.session_state.get(TABLE)
    # a file is read once, when it arrives; later runs use the table read from it
    if file is not None and (upload is None or upload.file_id != file.file_id):
        _forget_upload()
        upload = st.session_state[TABLE] = uploads().read(file)
    if upload is None or upload.table is None:
        return
    table = upload.table
    x_default, y_default = table.default_pair()
    for key, label, default in ((X_COL, "x column", x_default), (Y_COL, "y column", y_default)):
        if st.session_state.get(key) not in table.columns:
            st.session_state[key] = default
        where.selectbox(label, table.columns, key=key, help="Columns of numbers in your file.")


def _file_changed() -> None:
    """The uploader's value changed: the visitor removed the file or chose another."""
    upload: Upload | None = st.session_state.get(TABLE)
    if upload is None or getattr(st.session_state.get(UPLOAD), "file_id", None) != upload.file_id:
        _forget_upload()


def _forget_upload() -> None:
    """The visitor removed the file, chose another, or left "csv": what was read from it goes, and its part
    of the server's upload budget with it."""
    upload: Upload | None = st.session_state.pop(TABLE, None)
    if upload is not None:
        upload.release()
    st.session_state.pop(CHOSEN, None)
    st.session_state.pop(PREPARED, None)


def choose(settings: Settings) -> Chosen:
    """The points for these settings (from the cache, or from this visitor's upload)."""
    if settings.data != "csv":
        key = settings.data_key()
        return Chosen(_made(key), _analysed(key), repr(key), points=_drawn(key))
    upload: Upload | None = st.session_state.get(TABLE)
    if upload is None:
        return Chosen(None, None, "csv:none", "Choose a CSV file in the sidebar to fit your own points.", True)
    if upload.table is None:
        return Chosen(None, None, f"csv:{upload.digest}", upload.problem, True, error=True)
    x_col, y_col = st.session_state.get(X_COL), st.session_state.get(Y_COL)
    identity = f"csv:{upload.digest}:{x_col}:{y_col}"
    memo = st.session_state.get(CHOSEN)
    if memo is not None and memo.identity == identity:
        return memo
    try:
        data = dataset_from_table(upload.table, x_col, y_col)
        chosen = Chosen(data, analyse(data), identity, uploaded=True, points=drawn(data))
    except DataError as e:
        chosen = Chosen(None, None, identity, str(e), True, error=True)
    st.session_state[CHOSEN] = chosen
    return chosen


def describe(chosen: Chosen) -> None:
    """What the points are, in a line under the title (text from a file is escaped, never markup)."""
    data = chosen.data
    if data is None:
        return
    text = f"**{escape_markdown(data.title)}**: {escape_markdown(data.description)}."
    if not data.generated:
        text += f" x is {escape_markdown(data.x_label)}, y is {escape_markdown(data.y_label)}."
    st.caption(text)
    for note in data.notes:
        st.caption(":material/info: " + escape_markdown(note))
