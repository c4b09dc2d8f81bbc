"""Files that push the CSV reader: long headers, very wide files, huge names, blank lines, what pandas warns
about, and what a table may keep. Nothing is lost silently: each is read in full, or refused, or said in a
note, and nothing reaches stderr."""

import io
import tracemalloc

import numpy as np
import pytest

from linreg_core import csvfile
from linreg_core.csvfile import MAX_CELLS, MAX_COLUMNS, MAX_NAME, read_csv
from linreg_core.data import DataError, dataset_from_table


def rows_of(table: np.ndarray) -> bytes:
    return b"".join(b",".join(b"%g" % v for v in row) + b"\n" for row in table)


def test_a_header_line_over_64_kb_keeps_every_column_and_its_full_name():
    names = [f"measurement {i:03d} " + "of something long" * 4 for i in range(900)]  # ~77 KB of header
    data = np.arange(3 * 900, dtype=np.float64).reshape(3, 900)
    table = read_csv((",".join(names) + "\n").encode() + rows_of(data), name="long.csv")
    assert len(",".join(names)) > 64 * 1024
    assert table.columns[:2] + table.columns[-2:] == (names[0], names[1], names[-2], names[-1])
    assert table.left_out == () and table.rows == 3
    np.testing.assert_array_equal(table.values[names[-1]], data[:, -1])


def test_a_file_wider_than_the_column_limit_is_refused_with_the_limit():
    width = 100_000
    content = (",".join(f"c{i}" for i in range(width)) + "\n" + ",".join("1" for _ in range(width)) + "\n").encode()
    with pytest.raises(DataError) as err:
        read_csv(content, name="wide.csv")
    assert str(err.value).startswith(f"wide.csv has 100,000 columns; this lab reads files of up to {MAX_COLUMNS:,}")


def test_a_100_kb_column_name_is_read_and_shortened_with_a_note():
    long_name = "a very long name " * 6000  # ~100 KB
    table = read_csv(f"{long_name},y\n1,2\n2,4\n3,7\n".encode(), name="names.csv")
    x_name, y_name = table.columns
    assert y_name == "y" and len(x_name) == MAX_NAME and long_name.startswith(x_name[:-1])
    assert "1 column name(s) over 100 characters shortened" in table.notes
    np.testing.assert_array_equal(dataset_from_table(table).y, [2, 4, 7])


def test_a_first_line_that_never_ends_is_refused():
    with pytest.raises(DataError, match=r"^endless\.csv: its first line runs on for more than 4\.2 MB"):
        read_csv(b"x" * (5 * 1024 * 1024), name="endless.csv")


def test_blank_lines_do_not_count_toward_the_row_limit():
    rows = b"".join(b"%d,%d\n\n\n" % (i, 2 * i) for i in range(5))
    table = read_csv(b"x,y\n\n" + rows, name="spaced.csv", max_rows=5)
    assert table.rows == 5 and table.lines.tolist() == [3, 6, 9, 12, 15]
    with pytest.raises(DataError, match="more than 5 rows"):
        read_csv(b"x,y\n\n" + rows + b"5,10\n", name="spaced.csv", max_rows=5)


def test_what_pandas_warns_about_becomes_the_files_message_and_nothing_reaches_stderr(capfd):
    """A first data row too long for the layout check, with a value more than the header names: pandas
    would drop it with a warning on stderr."""
    content = b"x,y\n" + b"1" * 200_000 + b",2,3\n4,5\n"
    with pytest.raises(DataError) as err:
        read_csv(content, name="lossy.csv")
    assert str(err.value).startswith("lossy.csv cannot be read as CSV as it is: Length of header or names")
    assert capfd.readouterr().err == ""


def test_a_table_keeps_float32_columns_and_at_most_its_cap_of_numbers_saying_what_it_left_out():
    rng = np.random.default_rng(1)
    data = rng.integers(0, 1000, size=(1000, 9)).astype(np.float64)
    header = b"a,b,y,c,d,X,e,f,g\n"  # x and y by name come first, then the others in file order
    table = read_csv(header + rows_of(data), name="nine.csv", max_cells=4000)  # 1,000 rows: four columns fit
    assert table.columns == ("a", "b", "y", "X") and table.left_out == ("c", "d", "e", "f", "g")
    assert any("5 of 9 columns of numbers left out (c, d, e, f, g)" in n and "4,000 numbers" in n for n in table.notes)
    for name, column in zip("abycdXefg", data.T, strict=True):
        if name in table.values:
            assert table.values[name].dtype == np.float32
            np.testing.assert_array_equal(table.values[name], np.float32(column))
    assert table.nbytes == 4 * 4 * 1000  # four float32 columns (rows on consecutive lines need no line numbers)
    assert dataset_from_table(table).x_name == "X"


def test_a_data_set_with_nothing_dropped_shares_the_tables_columns():
    table = read_csv(b"x,y\n1,2\n2,4\n3,7\n", name="small.csv")
    data = dataset_from_table(table)
    assert np.shares_memory(data.x, table.values["x"]) and np.shares_memory(data.y, table.values["y"])


def test_chunks_join_seamlessly_and_text_or_huge_values_far_down_are_found_where_they_are(monkeypatch):
    monkeypatch.setattr(csvfile, "CHUNK_ROWS", 1000)
    x = np.arange(5000, dtype=np.float64)
    body = rows_of(np.column_stack([x, 2 * x + 1, x % 7]))
    table = read_csv(b"x,y,z\n" + body, name="chunks.csv")
    np.testing.assert_array_equal(table.values["y"], np.float32(2 * x + 1))
    assert table.lines.tolist() == list(range(2, 5002))
    late_text = body + b"1,2,three\n"
    assert read_csv(b"x,y,z\n" + late_text, name="chunks.csv").skipped == ("z",)
    with pytest.raises(DataError, match=r"^chunks\.csv, line 5002, column 'y': 1e\+39 is too large for float32"):
        dataset_from_table(read_csv(b"x,y,z\n" + body + b"1,1e39,1\n", name="chunks.csv"))


def test_reading_a_19_mb_upload_of_a_million_rows_holds_a_bounded_table(tmp_path):
    """The figures the README gives for an upload at the size limit: 1,000,000 rows × 9 columns."""
    block = rows_of(np.random.default_rng(2).integers(0, 10, size=(1000, 9)).astype(np.float64))
    content = b"x,y,a,b,c,d,e,f,g\n" + block * 1000
    import pandas  # noqa: F401  (imported before measuring: its import is not the read)

    tracemalloc.start()
    try:
        table = read_csv(io.BytesIO(content), name="big.csv")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert table.rows == 1_000_000 and len(table.values) == MAX_CELLS // 1_000_000
    assert table.nbytes == 4 * MAX_CELLS  # the pair of columns as float32: 8 MB
    assert peak < 64e6  # what the read allocates through Python's allocators (pandas' tokenizer aside)
