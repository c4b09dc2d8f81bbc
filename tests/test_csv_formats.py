"""CSV files as spreadsheets export them around the world: semicolons or tabs between values, decimal commas,
thousands separators, quoted headers, byte-order marks. Each is read to the numbers written in it (checked
against the values the file was made from), says how it was read, and a file no reading fits is refused
with one line."""

import numpy as np
import pytest

from linreg_core.csvfile import read_csv
from linreg_core.data import dataset_from_table
from linreg_core.dataset import DataError

X = [14.5, 16.25, 11.0, 1215.5, -3.75, 2400.0]
Y = [1215.5, 1325.0, 985.75, 12.0, 0.5, 1000000.25]


def german(v: float) -> str:
    """As Excel in Germany writes a number with grouping: 1.215,5"""
    return f"{v:,}".replace(",", "_").replace(".", ",").replace("_", ".")


def french(v: float) -> str:
    return f"{v:,}".replace(",", " ").replace(".", ",")


def us(v: float) -> str:
    return f'"{v:,}"'


def plain_comma(v: float) -> str:
    return str(v).replace(".", ",")


FILES = {
    # Excel (DE) "CSV UTF-8": a byte-order mark, quoted headers, semicolons, CRLF, decimal commas, '.' grouping
    "excel-de": ("\ufeff", '"Temperatur (°C)";"Umsatz (€)"', ";", german, "\r\n"),
    "excel-fr": ("", "température;ventes", ";", french, "\n"),
    "tabs": ("", "x\ty", "\t", plain_comma, "\n"),
    "us-grouped": ("", "x,y", ",", us, "\n"),
    "semicolons-points": ("", "x;y", ";", str, "\n"),
    "no-header-de": ("", None, ";", plain_comma, "\n"),
}
SEMICOLONS = "values separated by semicolons"
NOTES = {
    "excel-de": ("numbers with decimal commas", "'.' read as a thousands separator", SEMICOLONS),
    "excel-fr": ("numbers with decimal commas", "a space read as a thousands separator", SEMICOLONS),
    "tabs": ("numbers with decimal commas", "values separated by tabs"),
    "us-grouped": ("',' read as a thousands separator",),
    "semicolons-points": ("values separated by semicolons",),
    "no-header-de": ("no header row: columns named column 1, column 2", "numbers with decimal commas",
                     "values separated by semicolons"),
}  # fmt: skip


def written(kind: str) -> bytes:
    bom, header, sep, number, end = FILES[kind]
    lines = ([header] if header else []) + [f"{number(x)}{sep}{number(y)}" for x, y in zip(X, Y, strict=True)]
    return (bom + end.join(lines) + end).encode()


@pytest.mark.parametrize("kind", FILES)
def test_a_file_as_exported_reads_to_the_numbers_written_in_it(kind):
    table = read_csv(written(kind), name=f"{kind}.csv")
    data = dataset_from_table(table)
    np.testing.assert_array_equal(data.x, np.float32(X))
    np.testing.assert_array_equal(data.y, np.float32(Y))
    assert table.notes == NOTES[kind]
    if kind == "excel-de":
        assert table.columns == ("Temperatur (°C)", "Umsatz (€)") and table.encoding == "utf-8-sig"


def test_a_plain_file_is_read_as_before_with_nothing_to_say():
    table = read_csv(b"x,y\n1,2\n3.5,4\n", name="plain.csv")
    assert table.notes == () and table.separator == "," and table.values["x"].tolist() == [1.0, 3.5]


@pytest.mark.parametrize(
    "content, message",
    [
        # a decimal point among decimal commas: no reading makes the column numbers, and 1.5 is never 15
        (b"x;y\n1,5;2\n1.5;4\n", "column 'x' has text: '1,5' on line 2"),
        # digits grouped by two are not thousands: refused rather than read as 12345
        (b"x;y\n1.23.45;2\n3;4\n", "column 'x' has text: '1.23.45' on line 2"),
        (b'x,y\n"1,5",2\n"2,5",4\n', "column 'x' has text: '1,5' on line 2 (a decimal comma? write 1.5, not 1,5)"),
    ],
)
def test_a_file_no_reading_fits_is_refused_in_one_line(content, message):
    with pytest.raises(DataError) as err:
        read_csv(content, name="mixed.csv")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_quoted_header_with_semicolons_inside_does_not_decide_the_separator():
    """Markup in a column name (style="a:1;b:2") holds semicolons: the rows below say the commas separate."""
    content = b'"<span style=""font-size:40px;color:red"">x</span>","y; z"\r\n0,1.0\r\n1,3.1\r\n2,5.2\r\n'
    table = read_csv(content, name="styled.csv")
    assert table.separator == "," and table.rows == 3 and table.notes == ()
    np.testing.assert_array_equal(table.values["y; z"], np.float32([1.0, 3.1, 5.2]))
