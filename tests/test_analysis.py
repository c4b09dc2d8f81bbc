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


def test_learning_rate_bounds(blog_data):
    info = analyse(blog_data)
    assert info.critical_lr == pytest.approx(2 / info.lambda_max)
    assert info.best_lr == pytest.approx(2 / (info.lambda_min + info.lambda_max))
    assert info.convergence_factor(info.best_lr) < info.convergence_factor(0.5 * info.best_lr)
    assert info.convergence_factor(0.99 * info.critical_lr) < 1 < info.convergence_factor(1.01 * info.critical_lr)


def test_constant_x_has_a_zero_eigenvalue_and_a_finite_answer():
    data = Dataset(np.full(5, 2.0), np.arange(5.0), source="flat")
    info = analyse(data)
    assert info.lambda_min == 0.0
    assert info.condition_number == float("inf")
    assert np.isfinite([info.w0_star, info.w1_star, info.critical_lr, info.best_lr]).all()


# ---- the landscape ------------------------------------------------------------------------------

from linreg_core.analysis import (  # noqa: E402
    convergence_factor,
    landscape,
    landscape_grid,
    moments,
    predicted_gap,
    stability_bound,
)
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


def iteration_matrix(hessian, lr, optimizer, momentum):
    """The optimizer on the quadratic as one linear map of (offset, velocity) in weight space."""
    h, eye, b = np.array(hessian), np.eye(2), momentum
    if optimizer == "momentum":  # v' = βv + H·d, d' = d − lr·v'
        return np.block([[eye - lr * h, -lr * b * eye], [h, b * eye]])
    # nesterov: v' = βv + H·d, d' = d − lr·(H·d + β·v')
    return np.block([[eye - lr * (1 + b) * h, -lr * b * b * eye], [h, b * eye]])


@pytest.mark.parametrize("optimizer, momentum", [("gd", 0.0), ("momentum", 0.5), ("momentum", 0.9),
                                                 ("nesterov", 0.5), ("nesterov", 0.9)])  # fmt: skip
def test_stability_bound_is_where_the_iteration_stops_contracting(blog_data, optimizer, momentum):
    """The spectral radius of the whole iteration in weight space (an eigen-solver on a 2×2 or 4×4 matrix,
    no formula) is below 1 just under the bound and above 1 just over it."""
    info = analyse(blog_data)
    bound, reason = stability_bound(info, optimizer, momentum)
    assert reason.endswith(".")
    for scale, stable in [(0.999, True), (1.001, False)]:
        lr = scale * bound
        if optimizer == "gd":
            radius = np.abs(np.linalg.eigvals(np.eye(2) - lr * np.array(info.hessian))).max()
        else:
            radius = np.abs(np.linalg.eigvals(iteration_matrix(info.hessian, lr, optimizer, momentum))).max()
        assert bool(radius < 1) == stable, (scale, radius)
        assert convergence_factor(info, lr, optimizer, momentum) == pytest.approx(radius, rel=1e-9)


def test_gd_bounds_are_the_classic_ones(blog_data):
    info = analyse(blog_data)
    assert stability_bound(info).lr == pytest.approx(2 / info.lambda_max)
    assert stability_bound(info, "momentum", 0.9).lr == pytest.approx(2 * 1.9 / info.lambda_max)
    assert stability_bound(info, "nesterov", 0.0).lr == pytest.approx(2 / info.lambda_max)
    assert convergence_factor(info, 0.3) == pytest.approx(info.convergence_factor(0.3))


@pytest.mark.parametrize("optimizer", ["rmsprop", "adam"])
def test_adaptive_methods_have_no_bound_and_no_gap_formula(blog_data, optimizer):
    bound, reason = stability_bound(analyse(blog_data), optimizer)
    assert bound is None and reason.startswith("No simple bound is known")
    with pytest.raises(ValueError, match="no exact loss gap"):
        predicted_gap(analyse(blog_data), 0.0, 0.0, 0.01, 10, optimizer=optimizer)


@pytest.mark.parametrize("optimizer, momentum, lr", [("gd", 0.0, 0.3), ("gd", 0.0, 0.45), ("momentum", 0.7, 0.1),
                                                     ("nesterov", 0.6, 0.2)])  # fmt: skip
def test_predicted_gap_is_the_gap_of_the_iteration_run_in_float64(blog_data, optimizer, momentum, lr):
    """Record k is after k + 1 updates: the oracle runs the optimizer's updates on the weights themselves
    (loss by a pass over the data), the prediction works along the eigenvectors without the data."""
    info, start, steps = analyse(blog_data), np.array([-1.0, 9.0]), 60
    w, v, gaps = start.copy(), np.zeros(2), []
    for _ in range(steps + 1):
        g = np.array(mse_gradient(blog_data.x, blog_data.y, *w))
        v = momentum * v + g
        w = w - lr * {"gd": g, "momentum": v, "nesterov": g + momentum * v}[optimizer]
        gaps.append(mse(blog_data.x, blog_data.y, *w) - info.loss_star)
    predicted = predicted_gap(info, *start, lr, steps, optimizer=optimizer, momentum=momentum)
    assert predicted.shape == (steps + 1,)
    # float64 loss differences near loss* ≈ 0.02 are good to ~1e-15; a diverging rate (0.45) grows to ~1e3
    np.testing.assert_allclose(predicted, gaps, rtol=1e-9, atol=1e-13)


def test_a_diverging_rate_predicts_a_growing_gap_and_overflows_to_inf(blog_data):
    info = analyse(blog_data)
    gaps = predicted_gap(info, 0.0, 0.0, 1.02 * info.critical_lr, 10_000)
    assert gaps[100] > gaps[10] > gaps[0] and gaps[-1] == np.inf


def test_standardising_makes_the_bowl_round(blog_data):
    original, trained = analyse(blog_data), analyse(prepare(blog_data, standardize=True).fit)
    assert original.condition_number > 15
    assert trained.condition_number == pytest.approx(1.0)
    assert trained.lambda_min == pytest.approx(2.0) and trained.best_lr == pytest.approx(0.5)
