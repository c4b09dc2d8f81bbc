"""A person's CSV file, read with pandas into a `CsvTable` (its numeric columns and what the read found).

Two steps, so a page can offer the columns before anything is fitted: `read_csv` -> `CsvTable`, then
`dataset_from_table` for the chosen x and y. Every problem is one DataError line that names the file, and the
line and column where it applies. The file is read as a stream: the parser stops after the rows allowed, so a
huge file is never parsed whole, and nothing is written to disk.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Literal, Union

import numpy as np

from .dataset import DataError, Dataset
from .settings import FLOAT32_MAX, MAX_N

CsvSource = Union[str, "os.PathLike[str]", bytes, IO[bytes], io.StringIO]
MAX_CSV_ROWS = MAX_N  # as many points as the generator makes
MAX_CSV_BYTES = 100_000_000  # a million rows of two numbers written in full (17 digits) is ~60 MB
PEEK_BYTES = 64 * 1024  # enough to see the encoding, the separator, the header and the first row
SHOWN_LINES = 5  # line numbers listed in a notice before "…"

# First bytes of files people pick by mistake
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx file is one; save the sheet as CSV)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.xls or .doc; save the sheet as CSV)"),
    (b"\x1f\x8b", "gzip-compressed (unpack it first)"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # not in text; \t, \n, \f and \r are
_BOM_CODECS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts with UTF-16 LE's
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
SEPARATOR_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}


@dataclass(frozen=True, eq=False)
class CsvTable:
    """The numeric columns of a CSV file and what the read found.

    `values[name]` is a read-only float64 vector per numeric column, NaN where a cell was empty and ±inf
    where it said so; rows with no value at all (blank lines) are left out. `lines[i]` is the file's line
    number of row i, for messages. `columns` keep the file's order and are plain text from the file.
    """

    name: str
    columns: tuple[str, ...]
    values: Mapping[str, np.ndarray]
    lines: np.ndarray
    header: bool  # whether the first row named the columns
    separator: str = ","
    encoding: str = "utf-8"
    skipped: tuple[str, ...] = ()  # columns with text (or nothing) in them, not offered for x or y
    notes: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        return int(self.lines.size)

    def default_pair(self) -> tuple[str, str]:
        """Columns named x and y (any case) when there are, else the first two numeric columns."""
        named = {c.strip().lower(): c for c in self.columns}
        if "x" in named and "y" in named:
            return named["x"], named["y"]
        return self.columns[0], self.columns[1]


def read_csv(
    source: CsvSource,
    name: str | None = None,
    header: bool | Literal["auto"] = "auto",
    max_rows: int = MAX_CSV_ROWS,
    max_bytes: int = MAX_CSV_BYTES,
) -> CsvTable:
    """Read the numeric columns of a CSV file: a path, bytes, or a binary file object (read from its start).

    header: True (the first row names the columns), False (it is data: columns are named "column 1",
    "column 2", ...) or "auto" (a first row of numbers only is data). Separators: commas, or semicolons or
    tabs when the first row has no comma. Raises DataError with one line naming the file (and the line and
    column where it applies). Reading stops after `max_rows` rows; nothing is written to disk.
    """
    label = _label(source, name)
    with _open(source, label, max_bytes) as stream:
        head = stream.peek_head()
        encoding, encoding_note = _encoding(head, label, whole=stream.at_end)
        text = _decode_head(head, encoding, whole=stream.at_end)
        if _CONTROL.search(text):
            raise DataError(f"{label} is not a CSV text file: it contains control characters (is it binary?)")
        layout = _layout(text, label, header, whole=stream.at_end)
        frame = _parse(stream, encoding, layout, label, max_rows)
    return _table(frame, layout, label, encoding, encoding_note)


def dataset_from_table(table: CsvTable, x_col: str | None = None, y_col: str | None = None) -> Dataset:
    """The (x, y) points of two numeric columns (by default `table.default_pair()`).

    Rows where x or y is empty, NaN or infinite are dropped, with a note saying how many and where; a value
    float32 cannot hold, fewer than 2 rows left, or an x that never varies is a DataError.
    """
    label = table.name
    x_col, y_col = _pair(table, x_col, y_col)
    x, y = table.values[x_col], table.values[y_col]
    usable = np.isfinite(x) & np.isfinite(y)
    notes = list(table.notes)
    dropped = table.lines[~usable]
    if dropped.size:
        notes.append(
            f"dropped {dropped.size:,} of {table.rows:,} rows with an empty, NaN or infinite value in "
            f"{_quoted(x_col)} or {_quoted(y_col)} ({_line_list(dropped)})"
        )
    x, y, lines = x[usable], y[usable], table.lines[usable]
    for col, values in ((x_col, x), (y_col, y)):
        _check_float32(values, lines, col, label)
    if x.size < 2:
        left = "no usable row" if x.size == 0 else "only 1 usable row"
        why = f" after dropping {dropped.size:,} with an empty, NaN or infinite value" if dropped.size else ""
        raise DataError(f"{label}: {left}{why}; a line needs at least 2 points")
    x32 = x.astype(np.float32)
    if x32.min() == x32.max():
        raise DataError(
            f"{label}: every value of {_quoted(x_col)} is {float(x32[0]):g}, so the slope is undefined "
            "(the points stand on one vertical line); choose an x column whose values vary"
        )
    return Dataset(
        x, y, source=label, key="csv", title=label, x_label=x_col, y_label=y_col, x_name=x_col, y_name=y_col,
        description=f"{x.size:,} rows of {label}: {x_col} -> {y_col}", notes=tuple(notes),
    )  # fmt: skip


def from_csv(source: CsvSource, name: str | None = None, header: bool | Literal["auto"] = "auto") -> Dataset:
    """`read_csv` then `dataset_from_table` with the default pair of columns, in one call."""
    return dataset_from_table(read_csv(source, name=name, header=header))


# ---- reading the bytes --------------------------------------------------------------------------------


def _label(source: CsvSource, name: str | None) -> str:
    if name:
        return _one_line(name)
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    given = getattr(source, "name", None)  # an open file's path, or an uploaded file's name
    return _one_line(given) if isinstance(given, str) and given else "the uploaded file"


class _Stream(io.RawIOBase):
    """The file's bytes as a stream that refuses to go past `limit` bytes.

    It is read twice: its first PEEK_BYTES to learn the encoding and the layout, then from the start by
    the CSV parser, which stops after the rows it needs, so a huge file is never read whole.
    """

    def __init__(self, raw: IO[bytes], label: str, limit: int, close: bool) -> None:
        super().__init__()
        self._raw, self._label, self._limit, self._close = raw, label, limit, close
        self._head = b""
        self._pos = 0  # position in the replayed head
        self.count = 0  # bytes taken from the file
        self.at_end = False

    def readable(self) -> bool:
        return True

    def _take(self, size: int) -> bytes:
        chunk = self._raw.read(size)
        if isinstance(chunk, str):
            raise TypeError("read_csv needs a binary file object (open it with 'rb')")
        chunk = bytes(chunk or b"")
        self.count += len(chunk)
        if self.count > self._limit:
            raise DataError(f"{self._label} is larger than {_megabytes(self._limit)}, the limit for a CSV file")
        if not chunk:
            self.at_end = True
        return chunk

    def peek_head(self) -> bytes:
        parts, size = [], 0
        while size < PEEK_BYTES and not self.at_end:
            chunk = self._take(PEEK_BYTES - size)
            parts.append(chunk)
            size += len(chunk)
        self._head = b"".join(parts)
        if not self.at_end:  # a file of exactly PEEK_BYTES: learn that it ended, so the head counts as whole
            extra = self._take(1)
            self._head += extra
        return self._head

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._pos < len(self._head):
            chunk = self._head[self._pos : self._pos + len(buffer)]
            self._pos += len(chunk)
        else:
            chunk = self._take(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        if self._close and not self.closed:
            self._raw.close()
        super().close()


def _open(source: CsvSource, label: str, max_bytes: int) -> _Stream:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _checked_size(_Stream(io.BytesIO(bytes(source)), label, max_bytes, close=True), len(source))
    if isinstance(source, (str, os.PathLike)):
        try:
            size = os.stat(source).st_size
            if os.path.isdir(source):
                raise DataError(f"{label} is a folder, not a CSV file")
            return _checked_size(_Stream(open(source, "rb"), label, max_bytes, close=True), size)
        except FileNotFoundError:
            raise DataError(f"{label}: no such file") from None
        except OSError as exc:
            raise DataError(f"{label}: cannot read it ({exc.strerror or exc})") from None
    if isinstance(source, io.StringIO):  # text already in memory: read it as the UTF-8 bytes it stands for
        return _open(source.getvalue().encode("utf-8"), label, max_bytes)
    raw = getattr(source, "buffer", source)  # a text-mode file: read its bytes
    size = None
    if getattr(raw, "seekable", lambda: False)():
        raw.seek(0, io.SEEK_END)
        size = raw.tell()
        raw.seek(0)
    return _checked_size(_Stream(raw, label, max_bytes, close=False), size)


def _checked_size(stream: _Stream, size: int | None) -> _Stream:
    if size is not None and size > stream._limit:
        stream.close()
        raise DataError(
            f"{stream._label} is {_megabytes(size)}, over the limit of {_megabytes(stream._limit)} for a CSV file"
        )
    return stream


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 1e5 else f"{size:,} bytes"


def _encoding(head: bytes, label: str, whole: bool) -> tuple[str, str | None]:
    """The text encoding to read with, and a note if it is not UTF-8; a DataError if it is not text."""
    for bom, codec in _BOM_CODECS:
        if head.startswith(bom):
            return codec, None
    for signature, what in SIGNATURES:
        if head.startswith(signature):
            raise DataError(f"{label} is {what}, not a CSV file")
    if not head.strip():
        raise DataError(f"{label} is empty: expected a header row such as x,y and rows of numbers")
    if b"\x00" in head:
        # UTF-16 text without its byte-order mark has a NUL beside every ASCII character
        raise DataError(
            f"{label} is not a CSV text file: it contains NUL bytes (a binary file, or UTF-16 text without a "
            "byte-order mark); save it as CSV (UTF-8)"
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=whole)
        return "utf-8", None
    except UnicodeDecodeError as exc:
        try:
            head.decode("cp1252")  # Excel on Windows writes this; it leaves only five byte values undefined
        except UnicodeDecodeError:
            raise DataError(f"{label} is not a text file in UTF-8 (byte {exc.start:,} is not text)") from None
        return "cp1252", "not UTF-8: read as Windows-1252 text"


def _decode_head(head: bytes, encoding: str, whole: bool) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=whole)


# ---- the layout: separator, header, names ---------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    separator: str
    header: bool
    names: tuple[str, ...]
    skip: int  # records before the first data row: blank lines, then the header
    first_line: int  # the file's line number of the first data row
    note: str | None  # how a file without a header was read


def _layout(text: str, label: str, header: bool | str, whole: bool) -> _Layout:
    if not whole and "\n" in text:  # the head may end inside a row: keep whole lines only
        text = text[: text.rfind("\n") + 1]
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    separator = next((s for s in (",", "\t", ";") if s in first_line), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    first, blanks, starts_at = None, 0, 1
    for record in reader:  # the parser counts a blank line as a record, as csv.reader does
        cells = [c.strip() for c in record]
        if any(cells):
            first = cells
            break
        blanks, starts_at = blanks + 1, reader.line_num + 1
    if first is None:
        raise DataError(f"{label} is empty: expected a header row such as x,y and rows of numbers")
    after_first = reader.line_num + 1
    next_row = next(reader, None)
    all_numbers = all(_is_number(c) for c in first if c)
    if header == "auto":
        header = not all_numbers
    elif header and all_numbers:
        raise DataError(
            f"{label}: the first row ({_clip(', '.join(first), 40)}) is all numbers, not a header naming the "
            "columns; add a header row such as x,y, or read the file without a header"
        )
    if header:
        names, note = _unique_names(first), None
    else:
        names = tuple(f"column {i}" for i in range(1, len(first) + 1))
        shown = ", ".join(names) if len(names) <= 4 else f"{names[0]} to {names[-1]}"
        note = f"no header row: columns named {shown}"
    if header and next_row is not None and len(next_row) > len(names):
        # the parser would quietly take the extra value for a row label; refuse it as it does any later row
        raise DataError(_too_many_values(label, after_first, len(next_row), len(names), header))
    if header:
        return _Layout(separator, True, names, blanks + 1, after_first, None)
    return _Layout(separator, False, names, blanks, starts_at, note)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return "_" not in cell  # Python reads 1_000, a CSV parser does not


def _unique_names(cells: list[str]) -> tuple[str, ...]:
    """Header cells as column names: one line each, never empty, never repeated."""
    names: list[str] = []
    for i, cell in enumerate(cells, start=1):
        base = _one_line(cell) or f"column {i}"
        name, k = base, 2
        while name in names:
            name, k = f"{base} ({k})", k + 1
        names.append(name)
    return tuple(names)


def _too_many_values(label: str, line: int, saw: int, expected: int, header: bool) -> str:
    has = "the header has" if header else "the first row has"
    return f"{label}, line {line}: {saw} values, but {has} {expected}"


# ---- parsing and the table ---------------------------------------------------------------------------


def _parse(stream: _Stream, encoding: str, layout: _Layout, label: str, max_rows: int):
    import pandas as pd  # imported here: the generator and the command line's default run do not need it

    text = io.TextIOWrapper(io.BufferedReader(stream), encoding=encoding, newline="")
    try:
        frame = pd.read_csv(
            text, sep=layout.separator, header=None, names=list(layout.names), skiprows=layout.skip,
            nrows=max_rows + 1,  # one more than allowed tells a file over the limit, without reading it all
            index_col=False, skip_blank_lines=False, skipinitialspace=True, low_memory=False, engine="c",
        )  # fmt: skip
    except UnicodeDecodeError:
        shown = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32"}.get(encoding, encoding)
        # the head was checked, so the bad byte lies beyond it
        raise DataError(
            f"{label} is not {shown} text throughout: a byte after its first {PEEK_BYTES // 1024} KB is not; "
            "save it as CSV (UTF-8)"
        ) from None
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=list(layout.names))
    except pd.errors.ParserError as exc:
        raise DataError(_parser_message(str(exc), label, layout)) from None
    if len(frame) > max_rows:
        raise DataError(f"{label} has more than {max_rows:,} rows, the limit; reading stopped there")
    return frame


def _parser_message(message: str, label: str, layout: _Layout) -> str:
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        expected, line, saw = (int(v) for v in fields.groups())
        return _too_many_values(label, line, saw, expected, layout.header)
    if "EOF inside string" in message:
        where = re.search(r"starting at row (\d+)", message)
        at = f", line {int(where[1]) + 1}" if where else ""  # the parser counts records from 0
        return f"{label}{at}: a quoted value is never closed"
    return f"{label} cannot be read as CSV: {_clip(_one_line(message), 120)}"


def _table(frame, layout: _Layout, label: str, encoding: str, encoding_note: str | None) -> CsvTable:
    lines = layout.first_line + np.arange(len(frame))
    has_values = frame.notna().any(axis=1).to_numpy()  # blank lines and rows of empty cells are not data
    frame, lines = frame[has_values], lines[has_values]
    if len(frame) == 0:
        raise DataError(f"{label} has a header row ({_clip(', '.join(layout.names), 60)}) but no rows of numbers")
    values: dict[str, np.ndarray] = {}
    text: dict[str, tuple[int, str]] = {}  # a text column's first text cell, for the message
    empty: list[str] = []
    for name in layout.names:
        numbers, first_text = _numbers(frame[name])
        if first_text is not None:
            text[name] = (int(lines[first_text]), str(frame[name].iloc[first_text]))
        elif np.isnan(numbers).all():
            empty.append(name)
        else:
            values[name] = numbers
    if len(values) < 2:
        raise DataError(_too_few_columns(label, values, text, empty))
    notes = [n for n in (layout.note, encoding_note) if n]
    if layout.separator != ",":
        notes.append(f"values separated by {SEPARATOR_NAMES[layout.separator]}")
    skipped = tuple(n for n in layout.names if n not in values)
    if skipped:
        notes.append(f"columns without numbers left out: {_clip(', '.join(skipped), 80)}")
    lines.setflags(write=False)
    return CsvTable(
        name=label, columns=tuple(values), values=values, lines=lines, header=layout.header,
        separator=layout.separator, encoding=encoding, skipped=skipped, notes=tuple(notes),
    )  # fmt: skip


def _numbers(column) -> tuple[np.ndarray, int | None]:
    """A column as read-only float64 (NaN where empty), and the row of its first text cell if it has one."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(column):  # True/False are words here, not 1 and 0
        return np.empty(0), 0
    # the parser already made numbers of a clean column; a column with text in it stays text, cell by cell
    numbers = column if pd.api.types.is_numeric_dtype(column) else pd.to_numeric(column, errors="coerce")
    is_text = (numbers.isna() & column.notna()).to_numpy()
    if is_text.any():
        return np.empty(0), int(np.argmax(is_text))
    arr = numbers.to_numpy(np.float64, na_value=np.nan)
    arr.setflags(write=False)
    return arr, None


def _too_few_columns(label: str, values: Mapping, text: Mapping, empty: list[str]) -> str:
    found = f"found {len(values)}" + (f" ({_clip(', '.join(values), 40)})" if values else "")
    if text:
        name, (line, cell) = next(iter(text.items()))
        hint = " (a decimal comma? write 1.5, not 1,5)" if re.fullmatch(r"-?\d+,\d+", cell.strip()) else ""
        why = f"; column {_quoted(name)} has text: {_quoted(cell)} on line {line}{hint}"
    elif empty:
        why = f"; column {_quoted(empty[0])} has no values"
    else:
        why = "; are the values separated by commas?"
    return f"{label}: needs 2 columns of numbers, {found}{why}"


def _pair(table: CsvTable, x_col: str | None, y_col: str | None) -> tuple[str, str]:
    default_x, default_y = table.default_pair()
    x_col = default_x if x_col is None else x_col
    if y_col is None:
        y_col = default_y if default_y != x_col else next(c for c in table.columns if c != x_col)
    for col in (x_col, y_col):
        if col not in table.values:
            raise DataError(
                f"{table.name} has no column of numbers named {_quoted(col)}; "
                f"its columns of numbers are {_clip(', '.join(table.columns), 80)}"
            )
    if x_col == y_col:
        raise DataError(f"{table.name}: x and y are the same column ({_quoted(x_col)}); choose two columns")
    return x_col, y_col


def _check_float32(values: np.ndarray, lines: np.ndarray, col: str, label: str) -> None:
    with np.errstate(over="ignore"):
        overflow = np.isinf(values.astype(np.float32))
    if overflow.any():
        i = int(np.argmax(overflow))
        raise DataError(
            f"{label}, line {int(lines[i])}, column {_quoted(col)}: {values[i]:g} is too large for float32, "
            f"the trainer's precision (at most about {FLOAT32_MAX:.3g})"
        )


# ---- words ---------------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(text: str, limit: int = 40) -> str:
    return repr(_clip(_one_line(text), limit))


def _line_list(lines: np.ndarray) -> str:
    shown = ", ".join(str(int(v)) for v in lines[:SHOWN_LINES])
    word = "line" if lines.size == 1 else "lines"
    return f"{word} {shown}{', …' if lines.size > SHOWN_LINES else ''}"
