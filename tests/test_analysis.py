import numpy as np
import pytest

from linreg_core.analysis import analyse, mse, mse_gradient
from linreg_core.data import Dataset


def test_optimum_matches_polyfit(blog_data):
    info = analyse(blog_data)
    slope, intercept = np.polyfit(blog_data.x.astype(np.float64), blog_data.y.astype(np.float64), 1)
    assert info.w0_star == pytest.approx(slope, rel=1e-9)
    assert info.w1_star == pytest.approx(intercept, rel=1e-9)
    assert info.loss_star == pytest.approx(mse(blog_data.x, blog_data.y, slope, intercept), rel=1e-9)


def test_gradient_is_zero_at_the_optimum(blog_data):
    info = analyse(blog_data)
    np.testing.assert_allclose(mse_gradient(blog_data.x, blog_data.y, info.w0_star, info.w1_star), 0, atol=1e-9)


def test_hessian_matches_finite_differences_of_the_gradient(blog_data):
    info = analyse(blog_data)
    h, w = 1e-4, np.array([1.0, 2.0])
    numeric = np.empty((2, 2))
    for j in range(2):
        e = np.eye(2)[j] * h
        plus = np.array(mse_gradient(blog_data.x, blog_data.y, *(w + e)))
        minus = np.array(mse_gradient(blog_data.x, blog_data.y, *(w - e)))
        numeric[:, j] = (plus - minus) / (2 * h)
    np.testing.assert_allclose(info.hessian, numeric, rtol=1e-6)
    np.testing.assert_allclose(sorted(np.linalg.eigvalsh(numeric)), [info.lambda_min, info.lambda_max], rtol=1e-6)


@pytest.mark.parametrize("x", [np.full(5, 2.0), np.array([1.2739233746]), np.full(3, 1e4)])
def test_constant_x_is_a_flat_valley_with_a_finite_answer(x):
    """One point, or every x equal: the Hessian is singular. Rounding would make its small eigenvalue a tiny
    number of either sign (a condition number of inf or 1e17 by chance); it is 0, and the data degenerate."""
    data = Dataset(x, np.arange(x.size, dtype=float), source="flat")
    info = analyse(data)
    assert info.lambda_min == 0.0 and info.degenerate
    assert info.condition_number == float("inf")
    assert np.isfinite([info.w0_star, info.w1_star, info.lambda_max]).all()
    assert not analyse(Dataset(np.array([1.0, 1.0 + 1e-3]), np.zeros(2), source="two")).degenerate


# ---- the landscape ------------------------------------------------------------------------------

from linreg_core.analysis import landscape, landscape_grid, moments  # noqa: E402
from linreg_core.prepare import prepare  # noqa: E402

OFFSET_DATA = Dataset(1e4 + np.linspace(0, 1, 50), 3 * np.linspace(0, 1, 50) + np.sin(np.arange(50)), "far from 0")


@pytest.mark.parametrize("name", ["blog", "offset", "flat"])
def test_landscape_is_the_mse_of_each_grid_cell(blog_data, name):
    data = {"blog": blog_data, "offset": OFFSET_DATA, "flat": Dataset(np.full(5, 2.0), np.arange(5.0), "flat")}[name]
    info = analyse(data)
    w0_grid, w1_grid = landscape_grid(info, include=[(0.0, 0.0)], size=41)
    surface = landscape(data, w0_grid, w1_grid)
    assert surface.shape == (41, 41)
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, 41, size=(25, 2)):
        direct = mse(data.x, data.y, w0_grid[j], w1_grid[i])  # row i is w1, column j is w0
        assert surface[i, j] == pytest.approx(direct, rel=1e-9, abs=1e-12 * direct + 1e-15)
    # the bowl's floor is the least-squares loss, at the optimum
    assert landscape(info, [info.w0_star], [info.w1_star])[0, 0] == pytest.approx(info.loss_star, rel=1e-9)
    assert surface.min() >= info.loss_star * (1 - 1e-12)


def test_landscape_takes_data_moments_or_an_analysis_alike(blog_data):
    grid = (np.linspace(-1, 5, 7), np.linspace(0, 8, 5))
    by_data = landscape(blog_data, *grid)
    np.testing.assert_array_equal(by_data, landscape(moments(blog_data), *grid))
    np.testing.assert_array_equal(by_data, landscape(analyse(blog_data), *grid))


def test_the_grid_is_centred_on_the_optimum_and_holds_the_path(blog_data):
    info = analyse(blog_data)
    path = [(0.0, 0.0), (5.0, 1.0), (-2.0, 6.5)]
    w0_grid, w1_grid = landscape_grid(info, include=path, size=61, margin=0.1)
    assert w0_grid[30] == pytest.approx(info.w0_star) and w1_grid[30] == pytest.approx(info.w1_star)
    for w0, w1 in path:
        assert w0_grid[0] < w0 < w0_grid[-1] and w1_grid[0] < w1 < w1_grid[-1]
    # a start at the optimum still shows the bowl: its edges are at least loss* above the floor
    w0_grid, w1_grid = landscape_grid(info, include=[(info.w0_star, info.w1_star)])
    assert landscape(info, w0_grid[[0, -1]], [info.w1_star]).min() >= 1.99 * info.loss_star
    assert np.isfinite(landscape_grid(info, include=[(np.inf, 0.0)])).all()  # a diverged point is left out


# ---- eigen-decomposition, bounds and predicted gaps ----------------------------------------------


def test_eigenvectors_are_unit_and_belong_to_their_eigenvalues(blog_data):
    info = analyse(blog_data)
    h = np.array(info.hessian)
    for lam, u in [(info.lambda_min, info.u_min), (info.lambda_max, info.u_max)]:
        np.testing.assert_allclose(h @ np.array(u), lam * np.array(u), atol=1e-12)
        assert np.linalg.norm(u) == pytest.approx(1.0)
    assert np.dot(info.u_min, info.u_max) == pytest.approx(0.0, abs=1e-12)


def test_standardising_makes_the_bowl_round(blog_data):
    original, trained = analyse(blog_data), analyse(prepare(blog_data, standardize=True).fit)
    assert original.condition_number > 15
    assert trained.condition_number == pytest.approx(1.0)
    assert trained.lambda_min == pytest.approx(2.0) and trained.lambda_max == pytest.approx(2.0)


def test_a_square_grid_spans_both_axes_alike_around_the_given_centre(blog_data):
    info = analyse(blog_data)
    w0_grid, w1_grid = landscape_grid(info, include=[(0.0, 0.0)], size=21, centre=(1.0, 2.0), square=True)
    assert w0_grid[10] == pytest.approx(1.0) and w1_grid[10] == pytest.approx(2.0)
    assert w0_grid[-1] - w0_grid[0] == pytest.approx(w1_grid[-1] - w1_grid[0])
    assert w0_grid[0] < 0 < w0_grid[-1] and w1_grid[0] < 0 < w1_grid[-1]
