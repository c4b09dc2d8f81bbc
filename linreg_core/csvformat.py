"""How a CSV file writes its table, for csvfile.py: the separator, and how its numbers are written (a
decimal point or comma, a thousands separator), as spreadsheets in different countries export them.

Nothing here parses a number by hand: the separator comes from the standard library's sniffer (what pandas
itself uses for `sep=None`), and the number format is whichever of pandas' own `decimal`/`thousands`
readings of the file's first rows makes the most columns numbers.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from dataclasses import dataclass

SEPARATORS = ",;\t"
# A semicolon or a tab is never part of a number, a comma may be (a decimal comma): when a line has both,
# the comma is the data's.
PREFERRED = ["\t", ";", ","]


@dataclass(frozen=True)
class NumberFormat:
    decimal: str = "."
    thousands: str | None = None

    def options(self) -> dict:
        return {"decimal": self.decimal, "thousands": self.thousands}

    def notes(self) -> tuple[str, ...]:
        said = ("numbers with decimal commas",) if self.decimal == "," else ()
        if self.thousands is not None:
            mark = "a space" if self.thousands == " " else f"'{self.thousands}'"
            said += (f"{mark} read as a thousands separator",)
        return said


# Tried in this order; a later reading wins only if it makes more columns numbers, so a plain file stays plain
# and a comma in a number is a decimal comma before it is a thousands separator (pandas checks no grouping:
# with a thousands separator, 1.5 reads as 15, so one is used only where the rows need it).
FORMATS = (
    NumberFormat(".", None), NumberFormat(",", None), NumberFormat(",", "."), NumberFormat(",", " "),
    NumberFormat(".", ","),
)  # fmt: skip


def separator_of(lines: str) -> str:
    """The separator of a file that starts with these lines: commas when the sniffer finds none."""
    sniffer = csv.Sniffer()
    sniffer.preferred = PREFERRED
    try:
        return sniffer.sniff(lines, delimiters=SEPARATORS).delimiter
    except csv.Error:  # one column, or nothing the sniffer can tell: commas, as a CSV file's name says
        return ","


def number_format(rows: str, separator: str) -> NumberFormat:
    """The reading of these rows (whole lines of data, no header) that makes the most columns numbers. With
    commas between values a decimal comma cannot be told from a separator, so only points are tried."""
    best, most = FORMATS[0], -1
    cells = _cells(rows, separator)
    for fmt in FORMATS:
        if separator == fmt.decimal or (fmt.thousands is not None and not _grouped(cells, fmt)):
            continue
        count = numeric_columns(rows, separator, fmt)
        if count > most:
            best, most = fmt, count
    return best


def _cells(rows: str, separator: str) -> list[str]:
    cells: list[str] = []
    try:
        for row in csv.reader(io.StringIO(rows, newline=""), delimiter=separator):
            cells.extend(c.strip() for c in row)
    except csv.Error:  # a cell past the csv module's limit: the full read judges the file
        pass
    return cells


def _grouped(cells: list[str], fmt: NumberFormat) -> bool:
    """Whether every cell with a digit on each side of the thousands mark groups its digits by three, so a
    decimal 1.5 is never read as 15: pandas takes the mark out wherever it stands."""
    mark, decimal = re.escape(fmt.thousands), re.escape(fmt.decimal)
    between = re.compile(rf"\d{mark}\d")
    grouped = re.compile(rf"[+-]?\d{{1,3}}({mark}\d{{3}})+({decimal}\d*)?")
    return all(grouped.fullmatch(c) for c in cells if between.search(c))


def numeric_columns(rows: str, separator: str, fmt: NumberFormat) -> int:
    """How many columns pandas reads as numbers (with at least one value) from these lines in this format."""
    import pandas as pd

    if not rows.strip():
        return 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a row that does not fit is the full read's to report
            frame = pd.read_csv(
                io.StringIO(rows), sep=separator, header=None, index_col=False, skipinitialspace=True,
                on_bad_lines="skip", engine="c", **fmt.options(),
            )  # fmt: skip
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return 0
    return sum(
        1
        for name in frame.columns
        if pd.api.types.is_numeric_dtype(frame[name])
        and not pd.api.types.is_bool_dtype(frame[name])
        and frame[name].notna().any()
    )


def is_number_row(cells: list[str], separator: str, fmt: NumberFormat) -> bool:
    """Whether every non-empty cell of a row (a header or the first data row) is a number in this format."""
    filled = [c for c in cells if c]
    if not filled or any("_" in c for c in filled):  # Python reads 1_000, a CSV parser does not
        return False
    out = io.StringIO()
    csv.writer(out, delimiter=separator, lineterminator="\n").writerow(filled)
    return numeric_columns(out.getvalue(), separator, fmt) == len(filled)
