"""A person's CSV file, read with pandas into a `CsvTable` (its numeric columns and what the read found).

Two steps, so a page can offer the columns before anything is fitted: `read_csv` -> `CsvTable`, then
`dataset_from_table` for the chosen x and y. Every problem is one DataError line that names the file, and the
line and column where it applies; whatever the reader leaves out (columns of text, rows without a value,
columns beyond its cap on numbers) it says in a note. The file is read as a stream, a chunk of rows at a
time, into float32 columns (the trainer's precision): a huge file is never parsed whole, the parser stops
after the rows allowed, and nothing is written to disk.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .csvbytes import (
    CONTROL,
    MAX_HEAD_BYTES,
    PEEK_BYTES,
    CsvSource,
    Stream,
    decode_head,
    encoding_of,
    label_of,
    megabytes,
    one_line,
    open_stream,
)
from .csvformat import NumberFormat, is_number_row, number_format, separator_of
from .dataset import DataError, Dataset
from .settings import FLOAT32_MAX, MAX_N

MAX_CSV_ROWS = MAX_N  # as many points as the generator makes
MAX_CSV_BYTES = 100_000_000  # a million rows of two numbers written in full (17 digits) is ~60 MB
MAX_COLUMNS = 1_000  # the lab fits a line to two columns; a file far wider is not a table of measurements
MAX_CELLS = 2_000_000  # numbers a table keeps (8 MB as float32): a million rows of the pair of columns in use
MAX_NAME = 100  # characters of a column name kept
CHUNK_ROWS = 65_536  # rows parsed at a time: their float64 frame is a few MB, whatever the file's length
SHOWN_LINES = 5  # line numbers listed in a notice before "…"
SNIFF_LINES = 20  # lines the separator is judged on: a header alone may hold any character in its quotes
SEPARATOR_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}
assert MAX_CELLS >= 2 * MAX_CSV_ROWS  # the chosen two columns always fit


@dataclass(frozen=True, eq=False)
class CsvTable:
    """The numeric columns of a CSV file and what the read found.

    `values[name]` is a read-only float32 vector per numeric column kept, NaN where a cell was empty and
    ±inf where it said so; rows with no value at all (blank lines) are left out. `too_large[name]` holds the
    rows (and their values) whose numbers float32 cannot hold, for the message if that column is chosen.
    `lines[i]` is the file's line number of row i, for messages (kept only when blank lines lie between
    rows; else worked out when asked). `columns` keep the file's order and are plain text from the file.
    """

    name: str
    columns: tuple[str, ...]
    values: Mapping[str, np.ndarray]
    rows: int
    header: bool  # whether the first row named the columns
    separator: str = ","
    encoding: str = "utf-8"
    skipped: tuple[str, ...] = ()  # columns with text (or nothing) in them, not offered for x or y
    left_out: tuple[str, ...] = ()  # columns of numbers beyond MAX_CELLS
    notes: tuple[str, ...] = ()
    too_large: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    first_line: int = 1  # the file's line number of the first row
    line_numbers: np.ndarray | None = None  # int32, when rows are not on consecutive lines

    @property
    def lines(self) -> np.ndarray:
        if self.line_numbers is not None:
            return self.line_numbers
        lines = np.arange(self.first_line, self.first_line + self.rows, dtype=np.int32)
        lines.setflags(write=False)
        return lines

    @property
    def nbytes(self) -> int:
        """The memory its arrays hold."""
        kept = [*self.values.values(), *(a for pair in self.too_large.values() for a in pair)]
        if self.line_numbers is not None:
            kept.append(self.line_numbers)
        return sum(int(a.nbytes) for a in kept)

    def default_pair(self) -> tuple[str, str]:
        """Columns named x and y (any case) when there are, else the first two numeric columns."""
        return _default_pair(self.columns)


def read_csv(
    source: CsvSource,
    name: str | None = None,
    header: bool | Literal["auto"] = "auto",
    max_rows: int = MAX_CSV_ROWS,
    max_bytes: int = MAX_CSV_BYTES,
    max_cells: int = MAX_CELLS,
) -> CsvTable:
    """Read the numeric columns of a CSV file: a path, bytes, or a binary file object (read from its start).

    header: True (the first row names the columns), False (it is data: columns are named "column 1",
    "column 2", ...) or "auto" (a first row of numbers only is data). Separators: commas, or semicolons or
    tabs when the first row has no comma. Raises DataError with one line naming the file (and the line and
    column where it applies). Reading stops after `max_rows` rows with a value; at most `max_cells`
    numbers are kept (the default pair of columns first, then the others in file order, as many as fit,
    with a note naming the rest); nothing is written to disk.
    """
    label = label_of(source, name)
    with open_stream(source, label, max_bytes) as stream:
        head = stream.peek_head(enough=_has_first_rows)
        encoding, encoding_note = encoding_of(head, label, whole=stream.at_end)
        text = decode_head(head, encoding, whole=stream.at_end)
        if CONTROL.search(text):
            raise DataError(f"{label} is not a CSV text file: it contains control characters (is it binary?)")
        layout = _layout(text, label, header, whole=stream.at_end)
        read = _parse(stream, encoding, layout, label, max_rows)
    return _table(read, layout, label, encoding, encoding_note, max_cells)


def dataset_from_table(table: CsvTable, x_col: str | None = None, y_col: str | None = None) -> Dataset:
    """The (x, y) points of two numeric columns (by default `table.default_pair()`).

    Rows where x or y is empty, NaN or infinite are dropped, with a note saying how many and where; a value
    float32 cannot hold, fewer than 2 rows left, or an x that never varies is a DataError.
    """
    label = table.name
    x_col, y_col = _pair(table, x_col, y_col)
    x, y = table.values[x_col], table.values[y_col]
    finite = {col: _finite_or_too_large(table, col) for col in (x_col, y_col)}
    usable = finite[x_col] & finite[y_col]
    notes = list(table.notes)
    dropped = table.lines[~usable]
    if dropped.size:
        notes.append(
            f"dropped {dropped.size:,} of {table.rows:,} rows with an empty, NaN or infinite value in "
            f"{_quoted(x_col)} or {_quoted(y_col)} ({_line_list(dropped)})"
        )
    for col in (x_col, y_col):
        _refuse_too_large(table, col, usable)
    if dropped.size:
        x, y = x[usable], y[usable]
    if x.size < 2:
        left = "no usable row" if x.size == 0 else "only 1 usable row"
        why = f" after dropping {dropped.size:,} with an empty, NaN or infinite value" if dropped.size else ""
        raise DataError(f"{label}: {left}{why}; a line needs at least 2 points")
    if x.min() == x.max():
        raise DataError(
            f"{label}: every value of {_quoted(x_col)} is {float(x[0]):g}, so the slope is undefined "
            "(the points stand on one vertical line); choose an x column whose values vary"
        )
    return Dataset(  # float32 columns with nothing dropped are shared with the table, not copied
        x, y, source=label, key="csv", title=label, x_label=x_col, y_label=y_col, x_name=x_col, y_name=y_col,
        description=f"{x.size:,} rows of {label}: {x_col} -> {y_col}", notes=tuple(notes),
    )  # fmt: skip


def from_csv(source: CsvSource, name: str | None = None, header: bool | Literal["auto"] = "auto") -> Dataset:
    """`read_csv` then `dataset_from_table` with the default pair of columns, in one call."""
    return dataset_from_table(read_csv(source, name=name, header=header))


def _default_pair(columns: tuple[str, ...]) -> tuple[str, str]:
    named = {c.strip().lower(): c for c in columns}
    if "x" in named and "y" in named:
        return named["x"], named["y"]
    return columns[0], columns[1]


def _finite_or_too_large(table: CsvTable, col: str) -> np.ndarray:
    finite = np.isfinite(table.values[col])
    rows = table.too_large.get(col)
    if rows is not None and rows[0].size:
        finite[rows[0]] = True  # a number, only too large: refused below if its row is used
    return finite


def _refuse_too_large(table: CsvTable, col: str, usable: np.ndarray) -> None:
    rows, values = table.too_large.get(col, (np.empty(0, np.int64), np.empty(0)))
    used = usable[rows] if rows.size else np.empty(0, bool)
    if used.any():
        i = int(np.argmax(used))
        raise DataError(
            f"{table.name}, line {int(table.lines[rows[i]])}, column {_quoted(col)}: {values[i]:g} is too large "
            f"for float32, the trainer's precision (at most about {FLOAT32_MAX:.3g})"
        )


# ---- the layout: separator, header, names ---------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    separator: str
    header: bool
    names: tuple[str, ...]
    skip: int  # records before the first data row: blank lines, then the header
    first_line: int  # the file's line number of the first data row
    notes: tuple[str, ...]  # how a file without a header was read, names shortened, its number format
    numbers: NumberFormat = NumberFormat()


def _has_first_rows(head: bytes) -> bool:
    """Whether the head holds two lines past any blank ones (the header and the first row) in full."""
    start = len(head) - len(head.lstrip())
    return head.count(b"\n", start) >= 2


def _layout(text: str, label: str, header: bool | str, whole: bool) -> _Layout:
    if not whole:  # the head may end inside a row: keep whole lines only
        if "\n" not in text.lstrip():
            raise DataError(
                f"{label}: its first line runs on for more than {megabytes(MAX_HEAD_BYTES)} without ending; "
                f"a CSV file's first line names its columns (this lab reads up to {MAX_COLUMNS:,} of them)"
            )
        text = text[: text.rfind("\n") + 1]
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    separator = separator_of("\n".join([line for line in text.splitlines() if line.strip()][:SNIFF_LINES]))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    first, blanks, starts_at = None, 0, 1
    try:
        for record in reader:  # the parser counts a blank line as a record, as csv.reader does
            cells = [c.strip() for c in record]
            if any(cells):
                first = cells
                break
            blanks, starts_at = blanks + 1, reader.line_num + 1
    except csv.Error:  # a name longer than the csv module's field limit (128 KB)
        raise DataError(
            f"{label}, line {reader.line_num}: a value over {csv.field_size_limit():,} characters long; "
            "is it a CSV file of numbers?"
        ) from None
    if first is None:
        raise DataError(f"{label} is empty: expected a header row such as x,y and rows of numbers")
    after_first = reader.line_num + 1
    try:
        next_row = next(reader, None)
    except csv.Error:  # the parser reads it (it has no such limit) and judges it
        next_row = None
    if len(first) > MAX_COLUMNS:
        raise DataError(
            f"{label} has {len(first):,} columns; this lab reads files of up to {MAX_COLUMNS:,} columns (it fits a "
            "line to two of them): save the columns you need in a file of their own"
        )
    # how numbers are written, judged on the rows after the first (which may be a header), or on it alone
    rest = "".join(text.splitlines(keepends=True)[after_first - 1 :])
    fmt = number_format(rest if rest.strip() else first_line, separator)
    all_numbers = is_number_row(first, separator, fmt)
    if header == "auto":
        header = not all_numbers
    elif header and all_numbers:
        raise DataError(
            f"{label}: the first row ({_clip(', '.join(first), 40)}) is all numbers, not a header naming the "
            "columns; add a header row such as x,y, or read the file without a header"
        )
    if header:
        names, notes = _unique_names(first)
    else:
        names = tuple(f"column {i}" for i in range(1, len(first) + 1))
        shown = ", ".join(names) if len(names) <= 4 else f"{names[0]} to {names[-1]}"
        notes = (f"no header row: columns named {shown}",)
    if header and next_row is not None and len(next_row) > len(names):
        # the parser would quietly take the extra value for a row label; refuse it as it does any later row
        raise DataError(_too_many_values(label, after_first, len(next_row), len(names), header))
    notes += fmt.notes()
    if header:
        return _Layout(separator, True, names, blanks + 1, after_first, notes, fmt)
    return _Layout(separator, False, names, blanks, starts_at, notes, fmt)


def _unique_names(cells: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Header cells as column names: one line each, never empty, never repeated, at most MAX_NAME
    characters (with a note when one was shortened)."""
    names: list[str] = []
    shortened = 0
    for i, cell in enumerate(cells, start=1):
        base = one_line(cell) or f"column {i}"
        if len(base) > MAX_NAME:
            base, shortened = _clip(base, MAX_NAME), shortened + 1
        name, k = base, 2
        while name in names:
            name, k = f"{base} ({k})", k + 1
        names.append(name)
    notes = (f"{shortened:,} column name(s) over {MAX_NAME} characters shortened",) if shortened else ()
    return tuple(names), notes


def _too_many_values(label: str, line: int, saw: int, expected: int, header: bool) -> str:
    has = "the header has" if header else "the first row has"
    return f"{label}, line {line}: {saw} values, but {has} {expected}"


# ---- parsing, a chunk of rows at a time, and the table ---------------------------------------------------


class _Columns:
    """The rows with a value, read a chunk at a time into float32 columns (a column with text stops being
    kept the moment its first text cell is seen)."""

    def __init__(self, layout: _Layout) -> None:
        self.names = layout.names
        self.parts: dict[str, list[np.ndarray]] = {name: [] for name in layout.names}
        self.text: dict[str, tuple[int, str]] = {}  # a text column's first text cell, for the message
        self.too_large: dict[str, tuple[list, list]] = {}  # rows and values float32 cannot hold
        self.lines: list[np.ndarray] = []
        self.rows = 0  # rows with a value
        self.next_line = layout.first_line

    def add(self, chunk) -> None:
        lines = self.next_line + np.arange(len(chunk), dtype=np.int64)
        self.next_line += len(chunk)
        has_values = chunk.notna().any(axis=1).to_numpy()  # blank lines and rows of empty cells are not data
        if not has_values.all():
            chunk, lines = chunk[has_values], lines[has_values]
        for name in self.names:
            if name in self.text:
                continue
            numbers, first_text = _numbers(chunk[name])
            if first_text is not None:
                self.text[name] = (int(lines[first_text]), str(chunk[name].iloc[first_text]))
                del self.parts[name]
                continue
            with np.errstate(over="ignore"):
                as32 = numbers.astype(np.float32)
            big = np.flatnonzero(np.isinf(as32) & np.isfinite(numbers))
            if big.size:
                rows, values = self.too_large.setdefault(name, ([], []))
                rows.append(self.rows + big)
                values.append(numbers[big])
            self.parts[name].append(as32)
        self.lines.append(lines.astype(np.int32))
        self.rows += len(lines)


def _parse(stream: Stream, encoding: str, layout: _Layout, label: str, max_rows: int) -> _Columns:
    import pandas as pd  # imported here: the generator and the command line's default run do not need it

    text = io.TextIOWrapper(io.BufferedReader(stream), encoding=encoding, newline="")
    columns = _Columns(layout)
    try:
        # pandas warns (on stderr) where it drops data; here each warning becomes the file's message
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pd.read_csv(
                text, sep=layout.separator, header=None, names=list(layout.names), skiprows=layout.skip,
                index_col=False, skip_blank_lines=False, skipinitialspace=True, engine="c", chunksize=CHUNK_ROWS,
                **layout.numbers.options(),
            ) as chunks:  # fmt: skip
                for chunk in chunks:
                    columns.add(chunk)
                    if columns.rows > max_rows:
                        raise DataError(f"{label} has more than {max_rows:,} rows, the limit; reading stopped there")
                    _refuse_warnings(caught, label)
            _refuse_warnings(caught, label)
    except UnicodeDecodeError:
        shown = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-32": "UTF-32"}.get(encoding, encoding)
        # the head was checked, so the bad byte lies beyond it
        raise DataError(
            f"{label} is not {shown} text throughout: a byte after its first {PEEK_BYTES // 1024} KB is not; "
            "save it as CSV (UTF-8)"
        ) from None
    except pd.errors.EmptyDataError:
        pass  # a header and nothing after it: no rows
    except pd.errors.ParserError as exc:
        raise DataError(_parser_message(str(exc), label, layout)) from None
    return columns


def _refuse_warnings(caught: list, label: str) -> None:
    """A warning from pandas while reading means it lost or guessed something: say so instead."""
    import pandas as pd

    for w in caught:
        if issubclass(w.category, (pd.errors.ParserWarning, pd.errors.DtypeWarning)) or "pandas" in w.filename:
            raise DataError(f"{label} cannot be read as CSV as it is: {_clip(one_line(str(w.message)), 160)}")
    caught.clear()


def _parser_message(message: str, label: str, layout: _Layout) -> str:
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        expected, line, saw = (int(v) for v in fields.groups())
        return _too_many_values(label, line, saw, expected, layout.header)
    if "EOF inside string" in message:
        where = re.search(r"starting at row (\d+)", message)
        at = f", line {int(where[1]) + 1}" if where else ""  # the parser counts records from 0
        return f"{label}{at}: a quoted value is never closed"
    return f"{label} cannot be read as CSV: {_clip(one_line(message), 120)}"


def _table(
    read: _Columns, layout: _Layout, label: str, encoding: str, encoding_note: str | None, max_cells: int
) -> CsvTable:
    if read.rows == 0:
        raise DataError(f"{label} has a header row ({_clip(', '.join(layout.names), 60)}) but no rows of numbers")
    empty = [n for n, parts in read.parts.items() if not any(np.isfinite(p).any() or np.isinf(p).any() for p in parts)]
    numeric = [n for n in layout.names if n in read.parts and n not in empty]
    if len(numeric) < 2:
        raise DataError(_too_few_columns(label, numeric, read.text, empty))
    # as many columns as MAX_CELLS allows: the default pair first, then the others in file order
    fit = max(2, max_cells // read.rows)
    first_two = _default_pair(tuple(numeric))
    kept = [n for n in numeric if n in first_two] + [n for n in numeric if n not in first_two][: fit - 2]
    kept = [n for n in numeric if n in kept]  # in file order
    values: dict[str, np.ndarray] = {}
    for name in numeric:
        parts = read.parts.pop(name)
        if name in kept:  # one column at a time: the chunks go as its vector is made
            values[name] = np.concatenate(parts) if len(parts) > 1 else parts[0]
            values[name].setflags(write=False)
    too_large = {n: (np.concatenate(r), np.concatenate(v)) for n, (r, v) in read.too_large.items() if n in values}
    lines = np.concatenate(read.lines)
    consecutive = int(lines[-1]) - int(lines[0]) == len(lines) - 1  # rows on lines one after the other
    lines.setflags(write=False)
    notes = [*layout.notes, *([encoding_note] if encoding_note else [])]
    if layout.separator != ",":
        notes.append(f"values separated by {SEPARATOR_NAMES[layout.separator]}")
    skipped = tuple(n for n in layout.names if n not in numeric)
    if skipped:
        notes.append(f"columns without numbers left out: {_clip(', '.join(skipped), 80)}")
    left_out = tuple(n for n in numeric if n not in values)
    if left_out:
        notes.append(
            f"{len(left_out):,} of {len(numeric):,} columns of numbers left out ({_clip(', '.join(left_out), 60)}): a "
            f"table keeps at most {max_cells:,} numbers, here {read.rows:,} rows × {len(values)} columns; upload a "
            "file with only the columns you need to use others"
        )
    return CsvTable(
        name=label, columns=tuple(values), values=values, rows=read.rows, header=layout.header,
        separator=layout.separator, encoding=encoding, skipped=skipped, left_out=left_out, notes=tuple(notes),
        too_large=too_large, first_line=int(lines[0]), line_numbers=None if consecutive else lines,
    )  # fmt: skip


def _numbers(column) -> tuple[np.ndarray, int | None]:
    """A chunk of a column as float64 (NaN where empty), or the row of its first text cell if it has one."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(column):  # True/False are words here, not 1 and 0
        return np.empty(0), 0
    # the parser already made numbers of a clean column; a column with text in it stays text, cell by cell
    numbers = column if pd.api.types.is_numeric_dtype(column) else pd.to_numeric(column, errors="coerce")
    is_text = (numbers.isna() & column.notna()).to_numpy()
    if is_text.any():
        return np.empty(0), int(np.argmax(is_text))
    return numbers.to_numpy(np.float64, na_value=np.nan), None


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


# ---- words ---------------------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(text: str, limit: int = 40) -> str:
    return repr(_clip(one_line(text), limit))


def _line_list(lines: np.ndarray) -> str:
    shown = ", ".join(str(int(v)) for v in lines[:SHOWN_LINES])
    word = "line" if lines.size == 1 else "lines"
    return f"{word} {shown}{', …' if lines.size > SHOWN_LINES else ''}"
