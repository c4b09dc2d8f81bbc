"""The optimizer registry: one declaration per optimizer, and theory derived from it, against oracles that
share no code with it (the whole iteration as a matrix in weight space, its eigenvalues by NumPy, float64
runs of the textbook rules)."""

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from linreg_core import optimizers
from linreg_core.analysis import analyse, mse, mse_gradient
from linreg_core.optimizers import REGISTRY, hyper_of
from linreg_core.settings import OPTIMIZERS, Settings, knobs
from linreg_core.theory import fastest, gap_factor, predicted_gap, stable_lr

ROOT = Path(__file__).resolve().parents[1]
LINEAR = [k for k, o in REGISTRY.items() if o.linear]
ADAPTIVE = [k for k, o in REGISTRY.items() if not o.linear]


def hyper(momentum=0.0):
    return hyper_of(Settings(momentum=momentum))


def iteration_matrix(hessian, lr, optimizer, momentum):
    """The optimizer on the quadratic as one linear map of (offset, velocity) in weight space, from the
    textbook rules (not from the registry)."""
    h, eye, b = np.array(hessian), np.eye(2), momentum
    if optimizer == "gd":
        return eye - lr * h
    if optimizer == "momentum":  # v' = βv + H·d, d' = d − lr·v'
        return np.block([[eye - lr * h, -lr * b * eye], [h, b * eye]])
    # nesterov: v' = βv + H·d, d' = d − lr·(H·d + β·v')
    return np.block([[eye - lr * (1 + b) * h, -lr * b * b * eye], [h, b * eye]])


def radius(info, lr, optimizer, momentum):
    return np.abs(np.linalg.eigvals(iteration_matrix(info.hessian, lr, optimizer, momentum))).max()


# ---- the declaration ---------------------------------------------------------------------------


def test_the_settings_offer_exactly_the_registrys_optimizers_and_show_their_own_settings_with_them():
    assert OPTIMIZERS == tuple(REGISTRY) and LINEAR and ADAPTIVE
    when = {name: k.when for name, _, _, k in knobs()}
    for o in REGISTRY.values():
        for name in o.hyper:  # every setting a rule reads is shown with it, and only with optimizers reading it
            assert when[name][0] == "optimizer" and o.key in when[name][1]
            assert set(when[name][1]) == {k for k, p in REGISTRY.items() if name in p.hyper}
        assert o.label and o.summary and o.mechanism and o.why.endswith(".")
        assert (o.limit is None) == (o.formula is None) == (o.characteristic is None)
    assert [k for k, o in REGISTRY.items() if o.plain] == [OPTIMIZERS[0]] == [Settings().optimizer]


OPTIMIZER_WORDS = {
    "gd": [r"\bgd\b"], "momentum": [r"\bheavy[- ]ball\b", r"\bPolyak\b"], "nesterov": [r"\bNesterov\b"],
    "rmsprop": [r"\bRMSProp\b"], "adam": [r"\bAdam\b"],
}  # fmt: skip


def production_files():
    files = [
        ROOT / "app.py",
        *sorted((ROOT / "linreg_core").rglob("*.py")),
        *sorted((ROOT / "dashboard").rglob("*.py")),
    ]
    return [p for p in files if p != ROOT / "linreg_core" / "optimizers.py"]


def named_optimizers(path: Path) -> set[str]:
    """The optimizers a file names: a string equal to a registry key, or an optimizer's own name anywhere
    in it (code, strings, comments)."""
    text = path.read_text()
    found = {k for k in REGISTRY for pattern in OPTIMIZER_WORDS[k] if re.search(pattern, text, re.IGNORECASE)}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in REGISTRY:
            found.add(node.value)
    return found


def test_the_registry_is_the_only_place_an_optimizer_is_named():
    assert set(OPTIMIZER_WORDS) == set(REGISTRY)  # a new entry needs its words here too
    assert named_optimizers(ROOT / "linreg_core" / "optimizers.py") == set(REGISTRY)  # the check sees names
    offenders = {str(p.relative_to(ROOT)): named for p in production_files() if (named := named_optimizers(p))}
    assert offenders == {}


# ---- theory from the declaration -------------------------------------------------------------------


@pytest.mark.parametrize("optimizer, momentum", [("gd", 0.0), ("momentum", 0.5), ("momentum", 0.9),
                                                 ("nesterov", 0.5), ("nesterov", 0.9)])  # fmt: skip
def test_the_stability_bound_is_where_the_iteration_stops_contracting(blog_data, optimizer, momentum):
    """The spectral radius of the whole iteration (a 2×2 or 4×4 matrix, NumPy's eigen-solver, no formula) is
    below 1 just under the bound and above 1 just over it; the loss gap's factor is its square."""
    info, h = analyse(blog_data), hyper(momentum)
    bound = stable_lr(info, optimizer, h)
    for scale, stable in [(0.999, True), (1.001, False)]:
        lr = scale * bound
        r = radius(info, lr, optimizer, momentum)
        assert bool(r < 1) == stable, (scale, r)
        assert gap_factor(info, lr, optimizer, h) == pytest.approx(r**2, rel=1e-9)


def test_gradient_descents_bounds_are_the_classic_ones(blog_data):
    info = analyse(blog_data)
    assert stable_lr(info, "gd", hyper()) == pytest.approx(2 / info.lambda_max)
    assert stable_lr(info, "momentum", hyper(0.9)) == pytest.approx(2 * 1.9 / info.lambda_max)
    assert stable_lr(info, "nesterov", hyper(0.0)) == pytest.approx(2 / info.lambda_max)
    best = fastest(info, "gd", hyper())
    assert best.lr == pytest.approx(2 / (info.lambda_min + info.lambda_max), rel=1e-6) and best.lo == best.hi
    worst = max(abs(1 - best.lr * info.lambda_min), abs(1 - best.lr * info.lambda_max))
    assert best.factor == pytest.approx(worst**2, rel=1e-6)


@pytest.mark.parametrize("optimizer, momentum", [("gd", 0.0), ("momentum", 0.3), ("momentum", 0.9), ("nesterov", 0.6)])
def test_the_fastest_rate_has_the_smallest_spectral_radius_of_any_rate(blog_data, optimizer, momentum):
    """Brute force over 20,000 rates of the weight-space iteration: none is faster than the rate found, and
    every rate of a plateau (momentum's complex roots) is as fast."""
    info, h = analyse(blog_data), hyper(momentum)
    found = fastest(info, optimizer, h)
    rates = np.linspace(1e-6, stable_lr(info, optimizer, h), 20_000)
    best = min(radius(info, lr, optimizer, momentum) for lr in rates) ** 2
    assert found.factor <= best * (1 + 1e-6)
    for lr in (found.lo, found.lr, found.hi):
        assert radius(info, lr, optimizer, momentum) ** 2 == pytest.approx(found.factor, rel=1e-5)


@pytest.mark.parametrize("optimizer", ADAPTIVE)
def test_adaptive_optimizers_have_no_bound_no_factor_and_no_gap_formula(blog_data, optimizer):
    info = analyse(blog_data)
    assert stable_lr(info, optimizer, hyper()) is None and gap_factor(info, 0.1, optimizer, hyper()) is None
    assert fastest(info, optimizer, hyper()) is None
    assert predicted_gap(info, (0.0, 0.0), 0.01, 10, optimizer, hyper()) is None
    assert REGISTRY[optimizer].why.startswith("No simple bound is known")


@pytest.mark.parametrize("optimizer, momentum, lr", [("gd", 0.0, 0.3), ("gd", 0.0, 0.45), ("momentum", 0.7, 0.1),
                                                     ("nesterov", 0.6, 0.2), ("momentum", 0.0, 0.2)])  # fmt: skip
def test_the_predicted_gap_is_the_gap_of_the_iteration_run_in_float64(blog_data, optimizer, momentum, lr):
    """Record k is after k + 1 updates: the oracle runs the optimizer's updates on the weights themselves
    (loss by a pass over the data), the prediction works along the eigenvectors without the data."""
    info, start, steps = analyse(blog_data), np.array([-1.0, 9.0]), 60
    w, v, gaps = start.copy(), np.zeros(2), []
    for _ in range(steps + 1):
        g = np.array(mse_gradient(blog_data.x, blog_data.y, *w))
        v = momentum * v + g
        w = w - lr * {"gd": g, "momentum": v, "nesterov": g + momentum * v}[optimizer]
        gaps.append(mse(blog_data.x, blog_data.y, *w) - info.loss_star)
    predicted = predicted_gap(info, start, lr, steps, optimizer, hyper(momentum))
    assert predicted.shape == (steps + 1,)
    # float64 loss differences near loss* ≈ 0.02 are good to ~1e-15; a diverging rate (0.45) grows to ~1e3
    np.testing.assert_allclose(predicted, gaps, rtol=1e-9, atol=1e-13)


def test_a_diverging_rate_predicts_a_growing_gap_and_overflows_to_inf(blog_data):
    info = analyse(blog_data)
    gaps = predicted_gap(info, (0.0, 0.0), 1.02 * stable_lr(info, "gd", hyper()), 10_000, "gd", hyper())
    assert gaps[100] > gaps[10] > gaps[0] and gaps[-1] == np.inf
    gaps = predicted_gap(info, (0.0, 0.0), 1.5 * stable_lr(info, "momentum", hyper(0.5)), 5_000, "momentum",
                         hyper(0.5))  # fmt: skip
    assert gaps[-1] == np.inf and not np.isnan(gaps).any()


def test_an_unknown_optimizer_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'; there are gd, momentum"):
        optimizers.get("sgd")
