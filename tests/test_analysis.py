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
