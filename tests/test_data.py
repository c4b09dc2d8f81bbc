"""Data sources: the blog's generator, the bundled sets (against published figures and NumPy) and the choice."""

import numpy as np
import pytest

from linreg_core.analysis import analyse
from linreg_core.data import BUNDLED, SOURCE_TITLES, DataError, Dataset, bundled, linear_like, load
from linreg_core.optimizers import hyper_of
from linreg_core.settings import OPTIMIZERS, Settings, knobs
from linreg_core.theory import gap_factor, stable_lr


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


def test_dataset_rejects_mismatched_empty_or_non_finite_arrays():
    with pytest.raises(DataError, match="same length"):
        Dataset(np.zeros(3), np.zeros(2), source="t")
    with pytest.raises(DataError, match="no points"):
        Dataset(np.zeros(0), np.zeros(0), source="t")
    with pytest.raises(DataError, match="after conversion to float32"):
        Dataset(np.array([1.0, 1e39]), np.zeros(2), source="t")


# ---- the `data` choice --------------------------------------------------------------------------


def test_the_data_setting_offers_exactly_the_sources_the_engine_loads():
    name, _, default, k = knobs()[0]
    assert (name, default, k.widget, k.part) == ("data", "generator", "choice", "data")
    assert set(k.choices) == {"generator", "csv", *BUNDLED} and len(k.choices) == len(BUNDLED) + 2
    assert set(SOURCE_TITLES) == set(k.choices) and all(SOURCE_TITLES.values())


def test_the_generators_settings_apply_only_to_the_generator():
    generator_only = {name for name, *_, k in knobs() if k.when == ("data", ("generator",))}
    assert generator_only == {"n", "w0", "w1", "noise", "noise_kind", "seed"}
    tips = Settings(data="tips", n=5, noise=2.0, lr=0.001)
    assert not tips.applies("n") and Settings().applies("n")
    assert tips.non_default() == {"data": "tips", "lr": 0.001}
    assert tips.cli_args() == ["--data", "tips", "--lr", "0.001"] and tips.to_query() == {"data": "tips", "lr": "0.001"}


def test_load_picks_the_source_the_setting_names(blog_data):
    np.testing.assert_array_equal(load(Settings()).y, blog_data.y)
    assert load(Settings(data="iris")) is bundled("iris")  # bundled sets are shared, never rebuilt
    mine = Dataset(np.array([0.0, 1.0]), np.array([1.0, 3.0]), source="mine.csv", key="csv")
    assert load(Settings(data="csv"), csv=mine) is mine
    with pytest.raises(DataError, match="^data is 'csv' but no CSV file was given: choose a file to read$"):
        load(Settings(data="csv"))


def test_generated_data_knows_its_true_line_and_bundled_data_says_what_it_is(blog_data):
    assert blog_data.generated and (blog_data.true_w0, blog_data.true_w1) == (3.0, 4.0)
    assert (blog_data.key, blog_data.x_name, blog_data.y_name) == ("generator", "x", "y")
    for key in BUNDLED:
        data = bundled(key)
        assert not data.generated and data.key == key and data.title == BUNDLED[key].title
        assert data.description and data.x_label and data.y_label and data.source
    units = {key: (bundled(key).x_label, bundled(key).y_label) for key in ("tips", "iris", "hubble")}
    assert units == {
        "tips": ("total bill (US$)", "tip (US$)"),
        "iris": ("petal length (cm)", "petal width (cm)"),
        "hubble": ("distance (Mpc)", "recession velocity (km/s)"),
    }


def test_x_mean_and_spread_are_those_of_the_points():
    tips = bundled("tips")
    x = tips.x.astype(np.float64)
    assert tips.x_mean == pytest.approx(x.mean(), rel=1e-12) and tips.x_std == pytest.approx(x.std(), rel=1e-12)
    assert tips.x_mean > 2 * tips.x_std  # bills sit far from 0: what makes this set slow for gradient descent


# ---- the bundled sets, against their publications and NumPy ---------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_anscombe_sets_have_the_published_summary_statistics(k):
    """Anscombe (1973): for each set, mean x 9, variance of x 11, mean y 7.50, variance of y 4.12 (to 2
    decimals; the published 4.127 and 4.123 both round there), correlation 0.816, line y = 3.00 + 0.500x."""
    data = bundled(f"anscombe-{k}")
    x, y = data.x.astype(np.float64), data.y.astype(np.float64)
    assert data.n == 11
    assert x.mean() == pytest.approx(9.0) and x.var(ddof=1) == pytest.approx(11.0)
    assert round(y.mean(), 2) == 7.50 and round(y.var(ddof=1), 2) in (4.12, 4.13)
    assert round(float(np.corrcoef(x, y)[0, 1]), 3) in (0.816, 0.817)
    (slope, intercept), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
    assert round(intercept, 2) == 3.00 and round(slope, 3) == 0.500


def test_anscombe_sets_differ_only_where_anscombe_made_them_differ():
    xs = [bundled(f"anscombe-{k}").x for k in (1, 2, 3, 4)]
    np.testing.assert_array_equal(xs[0], xs[1])
    np.testing.assert_array_equal(xs[0], xs[2])
    assert sorted(xs[3].tolist()) == [8.0] * 10 + [19.0]  # set IV: one point alone sets the slope


@pytest.mark.parametrize("key, x_col, y_col", [("tips", "total_bill", "tip"), ("iris", "petal_length", "petal_width")])
def test_plotly_sets_give_numpys_least_squares_line(key, x_col, y_col):
    from plotly.express import data as px_data

    frame = getattr(px_data, key)()  # plotly's own table, read independently of linreg_core
    x, y = (frame[c].to_numpy(np.float64).astype(np.float32).astype(np.float64) for c in (x_col, y_col))
    (slope, intercept), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
    info = analyse(bundled(key))
    assert bundled(key).n == len(frame)
    assert (info.w0_star, info.w1_star) == pytest.approx((slope, intercept), rel=1e-9, abs=1e-12)


def test_the_tips_line_is_the_known_one():
    tips = analyse(bundled("tips"))
    assert (round(tips.w0_star, 3), round(tips.w1_star, 3)) == (0.105, 0.920)  # tip ≈ 0.92 $ + 10.5 % of the bill


def test_hubbles_data_give_his_expansion_rate():
    """Hubble (1929), Table 1: 24 galaxies; least squares with an intercept gives ~454 km/s/Mpc, through the
    origin ~424 (as in Ramsey & Schafer, The Statistical Sleuth, case 7.1)."""
    data = bundled("hubble")
    x, y = data.x.astype(np.float64), data.y.astype(np.float64)
    assert data.n == 24 and x.min() == pytest.approx(0.032) and x.max() == 2.0 and y.min() == -220
    info = analyse(data)
    assert info.w0_star == pytest.approx(454.16, abs=0.01) and info.w1_star == pytest.approx(-40.78, abs=0.01)
    assert float(x @ y / (x @ x)) == pytest.approx(423.94, abs=0.01)


# ---- the bundled sets through the trainer ----------------------------------------------------------


def critical(info) -> float:
    return stable_lr(info, OPTIMIZERS[0], hyper_of(Settings()))


def factor(info, lr) -> float:
    """The loss gap's per-step factor; the distance to the optimum shrinks by its square root."""
    return gap_factor(info, lr, OPTIMIZERS[0], hyper_of(Settings()))


def train(key: str, fraction_of_critical: float, steps: int):
    from linreg_core.trainer import TrainingRun

    data = bundled(key)
    info = analyse(data)
    settings = Settings(data=key, lr=fraction_of_critical * critical(info), steps=steps, standardize=False)
    run = TrainingRun(data, settings)
    records = list(run)
    assert run.divergence is None and len(records) == steps + 1
    return records[-1], info, settings


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_gradient_descent_reaches_each_anscombe_line(k):
    """x is 4 to 19, so the bowl is long and thin (condition number ~840) and the safe rate is small. At
    0.9 of the critical rate the slowest direction shrinks by 1 − lr·λmin ≈ 0.998 a step, so 10,001 updates
    leave ~5e-10 of the start. What is left is float32: the gradient near the optimum sums terms ~10 with
    relative error ~1e-6, and along the flat direction (λmin ≈ 0.22) that noise holds the weights ~5e-5 from
    the optimum; the tolerance is ten times that."""
    last, info, settings = train(f"anscombe-{k}", 0.9, 10_000)
    assert factor(info, settings.lr) ** ((settings.steps + 1) / 2) < 1e-9
    x, y = (v.astype(np.float64) for v in (bundled(f"anscombe-{k}").x, bundled(f"anscombe-{k}").y))
    (slope, intercept), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
    assert last.w0 == pytest.approx(slope, abs=5e-4) and last.w1 == pytest.approx(intercept, abs=5e-4)
    assert round(last.w1, 2) == 3.00 and round(last.w0, 3) == 0.500


def test_gradient_descent_reaches_the_iris_line():
    last, info, _ = train("iris", 0.9, 3000)
    assert (last.w0, last.w1) == pytest.approx((info.w0_star, info.w1_star), abs=1e-5)


def test_tips_converge_no_faster_than_theory_allows():
    """Bills of ~20 $ make the bowl 2,800 times longer than wide: even 10,001 steps at 0.9 of the critical
    rate leave the weights off the optimum, by what the slowest direction's factor predicts."""
    last, info, settings = train("tips", 0.9, 10_000)
    bound = factor(info, settings.lr) ** ((settings.steps + 1) / 2) * np.hypot(info.w0_star, info.w1_star)
    gap = np.hypot(last.w0 - info.w0_star, last.w1 - info.w1_star)
    assert gap <= 1.05 * bound + 1e-5  # never slower than the contraction bound (plus float32 rounding)
    assert gap > 1e-4  # and not done: this is the run a page can point at to show why scaling x matters


def test_the_bundled_tables_are_read_without_the_csv_file_reader():
    """Anscombe's and Hubble's tables are the lab's own files: the csv module reads them. The reader for a
    person's file (pandas under it) is not involved, so reading them loads no pandas."""
    import subprocess
    import sys

    code = (
        "import sys; from linreg_core.data import bundled; a = bundled('anscombe-3'); h = bundled('hubble'); "
        "print(a.n, h.n, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["11", "24", "False"], out.stderr[-500:]


def test_a_single_generated_point_is_one_point():
    assert linear_like(Settings(n=1)).description.startswith("1 point of y = ")
    assert linear_like(Settings(n=2)).description.startswith("2 points of y = ")
