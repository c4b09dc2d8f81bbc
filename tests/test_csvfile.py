"""Reading a person's CSV file: every file here is written by the test, and every bad one gets one clear line."""

import io
import os
import threading

import numpy as np
import pytest

from linreg_core.data import MAX_CSV_ROWS, DataError, dataset_from_table, from_csv, read_csv


def read(content: bytes, **kw):
    """The table and the data set of `content`, read as the page reads an upload (a named byte stream)."""
    table = read_csv(io.BytesIO(content), name="upload.csv", **kw)
    return table, dataset_from_table(table)


def failure(content: bytes, **kw) -> str:
    with pytest.raises(DataError) as err:
        read(content, **kw)
    message = str(err.value)
    assert "\n" not in message and "\r" not in message and message.count("upload.csv") == 1
    return message


# ---- good files ----------------------------------------------------------------------------------


def test_a_path_bytes_and_a_file_object_read_the_same(tmp_path):
    content = b"x,y\n0,1\n1,3\n2,5.5\n-1.25,1e-3\n"
    path = tmp_path / "points.csv"
    path.write_bytes(content)
    with open(path, "rb") as fh:
        from_file = dataset_from_table(read_csv(fh))
    for data in (from_csv(path), from_csv(content, name="points.csv"), from_file):
        np.testing.assert_array_equal(data.x, np.float32([0, 1, 2, -1.25]))
        np.testing.assert_array_equal(data.y, np.float32([1, 3, 5.5, 1e-3]))
        assert data.key == "csv" and not data.generated and data.notes == ()
    assert from_csv(path).source == str(path) and from_file.source == str(path)  # an open file names its path


def test_an_upload_that_was_read_before_is_read_again_from_its_start():
    upload = io.BytesIO(b"x,y\n1,2\n3,4\n")
    upload.read()  # e.g. the page looked at it first
    assert read_csv(upload).rows == 2


def test_the_columns_of_numbers_are_offered_in_file_order_as_plain_text():
    content = b"name,=cmd|' /C calc'!A0,+1,@SUM(A1),-2+3,<b>y</b>\nalpha,1,2,3,4,5\nbeta,2,4,6,8,11\n"
    table, _ = read(content)
    assert table.columns == ("=cmd|' /C calc'!A0", "+1", "@SUM(A1)", "-2+3", "<b>y</b>")
    assert table.skipped == ("name",) and table.header
    assert table.notes == ("columns without numbers left out: name",)
    np.testing.assert_array_equal(table.values["-2+3"], [4.0, 8.0])
    assert table.lines.tolist() == [2, 3]


def test_columns_named_x_and_y_are_the_default_pair_else_the_first_two():
    table, data = read(b"t,Y,X\n0,10,1\n1,20,2\n2,31,3\n")
    assert table.default_pair() == ("X", "Y") and (data.x_name, data.y_name) == ("X", "Y")
    np.testing.assert_array_equal(data.x, [1, 2, 3])
    table, data = read(b"a,b,c\n0,10,1\n1,20,2\n")
    assert (data.x_name, data.y_name) == ("a", "b")
    picked = dataset_from_table(table, "c", "a")
    np.testing.assert_array_equal(picked.x, [1, 2])
    np.testing.assert_array_equal(picked.y, [0, 1])
    assert (picked.x_label, picked.y_label, picked.title) == ("c", "a", "upload.csv")


def test_a_file_without_a_header_keeps_its_first_row():
    table, data = read(b"1,2\n2,4\n3,6\n")
    assert not table.header and table.columns == ("column 1", "column 2")
    np.testing.assert_array_equal(data.x, [1, 2, 3])
    np.testing.assert_array_equal(data.y, [2, 4, 6])
    assert data.notes == ("no header row: columns named column 1, column 2",)
    assert table.lines.tolist() == [1, 2, 3]


def test_header_can_be_required_or_refused():
    message = failure(b"1,2\n2,4\n3,6\n", header=True)
    assert message == (
        "upload.csv: the first row (1, 2) is all numbers, not a header naming the columns; add a header row "
        "such as x,y, or read the file without a header"
    )
    # read without a header, a first row of names is text in a column of numbers
    assert failure(b"x,y\n1,2\n3,4\n", header=False) == (
        "upload.csv: needs 2 columns of numbers, found 0; column 'column 1' has text: 'x' on line 1"
    )
    _, data = read(b"1,2\n2,4\n3,7\n", header=False)
    assert data.n == 3


def test_empty_nan_and_infinite_cells_drop_their_rows_with_a_note():
    content = b"x,y,z\n1,2,a\nnan,4,b\n3,,c\n5,6,\n,,\n\n7,inf,e\n8,9,f\n-inf,1,g\n10,NA,h\n11,12,i\n12,\n"
    table, data = read(content)
    np.testing.assert_array_equal(data.x, [1, 5, 8, 11])
    np.testing.assert_array_equal(data.y, [2, 6, 9, 12])
    # lines 6 and 7 hold nothing at all (a row of empty cells, a blank line): not data, not counted
    assert table.rows == 10 and table.lines.tolist() == [2, 3, 4, 5, 8, 9, 10, 11, 12, 13]
    assert data.notes == (
        "columns without numbers left out: z",
        "dropped 6 of 10 rows with an empty, NaN or infinite value in 'x' or 'y' (lines 3, 4, 8, 10, 11, …)",
    )


def test_a_cell_missing_only_in_an_unused_column_drops_nothing():
    table, _ = read(b"x,y,z\n1,2,\n2,4,5\n3,5,6\n")
    assert dataset_from_table(table, "x", "y").n == 3
    assert dataset_from_table(table, "x", "z").n == 2


@pytest.mark.parametrize(
    "content, note",
    [
        (b"x;y\n1.5;2\n3;4\n", "values separated by semicolons"),
        (b"x\ty\n1.5\t2\n3\t4\n", "values separated by tabs"),
        (b"x,y\r\n1.5,2\r\n3,4\r\n", None),
        ("\ufeffx,y\n1.5,2\n3,4\n".encode(), None),  # a UTF-8 byte-order mark (Excel writes one)
        ("x,y\n1.5,2\n3,4\n".encode("utf-16"), None),  # UTF-16 with its byte-order mark
        (b"x,y\n 1.5 , 2\n3,4 \n", None),
        (b"x,y\n\n1.5,2\n\n3,4\n\n\n", None),
        (b'"x","y"\n"1.5","2"\n3,4\n', None),
    ],
)
def test_common_csv_dialects_read_the_same_points(content, note):
    table, data = read(content)
    np.testing.assert_array_equal(data.x, [1.5, 3])
    np.testing.assert_array_equal(data.y, [2, 4])
    assert table.columns == ("x", "y") and table.notes == ((note,) if note else ())


def test_windows_1252_text_is_read_with_a_note():
    _, data = read("température (°C),y\n1,2\n3,4\n".encode("cp1252"))
    assert data.x_name == "température (°C)" and data.notes == ("not UTF-8: read as Windows-1252 text",)


def test_header_names_are_one_line_never_empty_and_never_repeated():
    table, _ = read(b'"multi\nline",x,,x\n1,2,3,4\n2,3,4,5\n')
    assert table.columns == ("multi line", "x", "column 3", "x (2)")
    assert table.lines.tolist() == [3, 4]  # the header's quoted line break still counts as a line


def test_the_row_limit_is_inclusive():
    rows = b"x,y\n" + b"".join(b"%d,%d\n" % (i, i % 7) for i in range(5))
    assert read(rows, max_rows=5)[1].n == 5
    assert failure(rows + b"5,5\n", max_rows=5) == "upload.csv has more than 5 rows, the limit; reading stopped there"


def test_two_million_rows_stop_at_the_limit_without_reading_the_whole_file(tmp_path):
    assert MAX_CSV_ROWS == 1_000_000
    lines = [b"x,y\n"] + [b"%d,%d\n" % (i, 2 * i) for i in range(2_000_000)]
    path = tmp_path / "big.csv"
    path.write_bytes(b"".join(lines))
    size = path.stat().st_size
    needed = sum(len(line) for line in lines[: MAX_CSV_ROWS + 2])  # the header and one row past the limit
    with open(path, "rb") as fh:
        with pytest.raises(DataError) as err:
            read_csv(fh)
        stopped_at = fh.tell()
    assert str(err.value) == f"{path} has more than 1,000,000 rows, the limit; reading stopped there"
    assert needed <= stopped_at < size  # parsing stopped a little past the limit, far from the end


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(b"x,y\n" + b"1,2\n" * 1000)
    with pytest.raises(DataError, match=r"wide\.csv is 4,004 bytes, over the limit of 4,000 bytes for a CSV file$"):
        read_csv(path, max_bytes=4000)
    assert read_csv(path, max_bytes=4004).rows == 1000


def test_a_stream_of_unknown_size_is_cut_off_at_the_byte_limit():
    # a pipe cannot tell its size in advance: the reader counts the bytes as they come
    read_end, write_end = os.pipe()
    content = b"x,y\n" + b"1,2\n" * 5000

    def feed():
        with os.fdopen(write_end, "wb") as w:
            w.write(content)

    writer = threading.Thread(target=feed)
    writer.start()
    with os.fdopen(read_end, "rb") as pipe:
        assert not pipe.seekable()
        with pytest.raises(DataError) as err:
            read_csv(pipe, name="piped.csv", max_bytes=10_000)
    writer.join()
    assert str(err.value) == "piped.csv is larger than 10,000 bytes, the limit for a CSV file"


# ---- bad files: one line each ----------------------------------------------------------------------

EXPECTED = "upload.csv"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "upload.csv is empty: expected a header row such as x,y and rows of numbers"),
        (b" \n\r\n\t\n", "upload.csv is empty: expected a header row such as x,y and rows of numbers"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "upload.csv is a PNG image, not a CSV file"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "upload.csv is a JPEG image, not a CSV file"),
        (b"%PDF-1.7\n", "upload.csv is a PDF document, not a CSV file"),
        (
            b"PK\x03\x04\x14\x00\x06\x00",
            "upload.csv is a ZIP archive (an Excel .xlsx file is one; save the sheet as CSV), not a CSV file",
        ),
        (
            "x,y\n1,2\n3,4\n".encode("utf-16-le"),
            "upload.csv is not a CSV text file: it contains NUL bytes (a binary file, or UTF-16 text without a "
            "byte-order mark); save it as CSV (UTF-8)",
        ),
        (
            bytes([1, 2, 3, 200, 201, 44, 10]) * 20,
            "upload.csv is not a CSV text file: it contains control characters (is it binary?)",
        ),
        (b"x,y\n", "upload.csv has a header row (x, y) but no rows of numbers"),
        (b"x,y\n\n,\n", "upload.csv has a header row (x, y) but no rows of numbers"),
        (b"x,y\n1,2\n", "upload.csv: only 1 usable row; a line needs at least 2 points"),
        (
            b"x,y\n1,2\nnan,3\n4,\n",
            "upload.csv: only 1 usable row after dropping 2 with an empty, NaN or infinite value; a line needs at "
            "least 2 points",
        ),
        (
            b"x,y\nnan,1\n2,inf\n",
            "upload.csv: no usable row after dropping 2 with an empty, NaN or infinite value; a line needs at "
            "least 2 points",
        ),
        (
            b"name,city\nann,paris\nbob,oslo\n",
            "upload.csv: needs 2 columns of numbers, found 0; column 'name' has text: 'ann' on line 2",
        ),
        (
            b"x,y\n1,2\n3,abc\n",
            "upload.csv: needs 2 columns of numbers, found 1 (x); column 'y' has text: 'abc' on line 3",
        ),
        (
            b"x,y\nTrue,2\nFalse,3\n",
            "upload.csv: needs 2 columns of numbers, found 1 (y); column 'x' has text: 'True' on line 2",
        ),
        (
            b"x;y\n1,5;2\n1.5;4\n",  # a decimal comma and a decimal point: no one reading makes both numbers
            "upload.csv: needs 2 columns of numbers, found 1 (y); column 'x' has text: '1,5' on line 2 (a decimal "
            "comma? write 1.5, not 1,5)",
        ),
        (b"x\n1\n2\n", "upload.csv: needs 2 columns of numbers, found 1 (x); are the values separated by commas?"),
        (b"x,y\n1,\n2,\n", "upload.csv: needs 2 columns of numbers, found 1 (x); column 'y' has no values"),
        (
            b"x,y\n2,1\n2,5\n2,9\n",
            "upload.csv: every value of 'x' is 2, so the slope is undefined (the points stand on one vertical line); "
            "choose an x column whose values vary",
        ),
        (
            b"x,y\n2,1\n2,5\nnan,9\n",  # constant once the row without an x is gone
            "upload.csv: every value of 'x' is 2, so the slope is undefined (the points stand on one vertical line); "
            "choose an x column whose values vary",
        ),
        (
            b"x,y\n1,2\n3,-1e39\n",
            "upload.csv, line 3, column 'y': -1e+39 is too large for float32, the trainer's precision (at most "
            "about 3.4e+38)",
        ),
        (
            b"speed,x\n1e300,2\n3,4\n",
            "upload.csv, line 2, column 'speed': 1e+300 is too large for float32, the trainer's precision (at most "
            "about 3.4e+38)",
        ),
        (b"x,y\n1,2\n3,4,5\n6,7\n", "upload.csv, line 3: 3 values, but the header has 2"),
        (b"x,y\n1,2,5\n3,4\n", "upload.csv, line 2: 3 values, but the header has 2"),
        (b"\n\nx,y\n1,2\n\n3,4,5\n", "upload.csv, line 6: 3 values, but the header has 2"),
        (b"1,2\n3,4\n5,6,7\n", "upload.csv, line 3: 3 values, but the first row has 2"),
        (b'x,y\n1,2\n"3,4\n5,6\n', "upload.csv, line 3: a quoted value is never closed"),
        (
            b"x,y\n" + b"1,2\n" * 20_000 + b"3,\xff\n",
            "upload.csv is not UTF-8 text throughout: a byte after its first 64 KB is not; save it as CSV (UTF-8)",
        ),
    ],
    ids=lambda v: v[:30].decode("latin-1") if isinstance(v, bytes) else "",
)
def test_each_bad_file_gets_one_clear_line(content, message):
    assert failure(content) == message


def test_values_float32_can_hold_are_accepted_up_to_its_largest():
    _, data = read(b"x,y\n1,3.4e38\n2,-3.4e38\n")
    assert data.y.tolist() == [np.float32(3.4e38), np.float32(-3.4e38)]


def test_a_missing_file_a_folder_and_an_unknown_column(tmp_path):
    with pytest.raises(DataError, match=r"^.*missing\.csv: no such file$"):
        read_csv(tmp_path / "missing.csv")
    with pytest.raises(DataError, match=r"is a folder, not a CSV file$"):
        read_csv(tmp_path)
    table, _ = read(b"a,b\n1,2\n2,3\n")
    unknown = r"^upload\.csv has no column of numbers named 'c'; its columns of numbers are a, b$"
    with pytest.raises(DataError, match=unknown):
        dataset_from_table(table, "c", "a")
    with pytest.raises(DataError, match=r"^upload\.csv: x and y are the same column \('a'\); choose two columns$"):
        dataset_from_table(table, "a", "a")


def test_a_text_mode_file_object_is_read_through_its_bytes(tmp_path):
    path = tmp_path / "text.csv"
    path.write_text("x,y\n1,2\n2,4\n")
    with open(path) as fh:  # text mode: its bytes are read, so the encoding is still detected
        assert read_csv(fh).rows == 2
