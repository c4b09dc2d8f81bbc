import io

import numpy as np
import pytest

from linreg_core.data import DataError, Dataset, from_csv, linear_like
from linreg_core.settings import Settings


def test_blog_generator_shape_and_ranges(blog_data):
    assert blog_data.n == 100 and blog_data.x.dtype == np.float32 and blog_data.y.dtype == np.float32
    assert 0 <= blog_data.x.min() and blog_data.x.max() < 2
    noise = blog_data.y - (3 * blog_data.x + 4)
    # the blog's noise is 0.5·U[0,1): never negative, mean 0.25
    assert noise.min() >= -1e-5 and noise.max() < 0.5 + 1e-5
    assert noise.mean() == pytest.approx(0.25, abs=0.06)


def test_seeded_data_is_the_same_on_every_machine():
    # PCG64 is a specified stream: these are the first draws for seed 0 anywhere
    rng = np.random.default_rng(0)
    x_expected = 2 * rng.random(3)
    data = linear_like(Settings(n=3, seed=0))
    np.testing.assert_array_equal(data.x, x_expected.astype(np.float32))
    np.testing.assert_allclose(data.x, [1.2739233746, 0.5395734275, 0.0819470479], rtol=1e-6)


def test_same_seed_same_data_other_seed_other_data():
    a, b = linear_like(Settings(seed=5)), linear_like(Settings(seed=5))
    c = linear_like(Settings(seed=6))
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.y, c.y)


def test_gaussian_noise_is_zero_mean():
    data = linear_like(Settings(n=20_000, noise=1.0, noise_kind="gaussian", seed=3))
    noise = data.y - (3 * data.x + 4)
    assert noise.mean() == pytest.approx(0.0, abs=0.03)
    assert noise.std() == pytest.approx(1.0, rel=0.03)
    assert noise.min() < 0


def test_dataset_arrays_are_read_only(blog_data):
    with pytest.raises(ValueError):
        blog_data.x[0] = 1.0


def test_csv_round_trip(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y\n0,1\n1,3\n2,5.5\n")
    data = from_csv(path)
    np.testing.assert_array_equal(data.x, [0, 1, 2])
    np.testing.assert_array_equal(data.y, [1, 3, 5.5])
    assert data.true_w0 is None


def test_csv_from_uploaded_bytes_with_bom_and_blank_lines():
    data = from_csv(io.BytesIO("\ufeffx,y\n1,2\n\n3,4\n".encode()), name="upload.csv")
    assert data.n == 2 and data.source == "upload.csv"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "is empty"),
        ("x,y\n1,2\n", "need at least 2 rows"),
        ("x,y,z\n1,2,3\n4,5,6\n", "expected 2 columns"),
        ("x,y\n1,2\n3,abc\n", "line 3: 'abc' is not a number"),
        ("x,y\n1,2\nnan,4\n", "line 3: 'nan' is not a finite number"),
        ("x,y\n1,2\n3,inf\n", "'inf' is not a finite number"),
        ("x,y\n1,2\n3\n", "line 3: expected 2 values"),
        ("x,y\n1,2\n3,1e39\n", "NaN or infinite values (after conversion to float32)"),
    ],
)
def test_bad_csv_gives_one_clear_message(text, message):
    with pytest.raises(DataError, match=None) as err:
        from_csv(text.encode(), name="bad.csv")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        from_csv(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="not a UTF-8 text file"):
        from_csv(b"\xff\xfe\x00bad", name="blob")


def test_dataset_rejects_mismatched_or_empty_arrays():
    with pytest.raises(DataError, match="same length"):
        Dataset(np.zeros(3), np.zeros(2), source="t")
    with pytest.raises(DataError, match="no points"):
        Dataset(np.zeros(0), np.zeros(0), source="t")
