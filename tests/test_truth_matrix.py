"""The truth matrix: in every mode of the lab, every claim the page makes about a run holds against the run
itself or an independent computation.

Modes: every optimizer × full batch or mini-batches × hold-out on or off × standardised x on or off × the
generator, each bundled set or an uploaded CSV × a rate below the fastest, between the fastest and the
critical rate, just past it, or far past it. A pairwise covering of that grid (every pair of values of two
factors appears in some row), plus degenerate data, each trained for real (TensorFlow, the trainer) and
judged by the claims the page would show: its texts, the chart's messages (view_model) and the controls.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

import numpy as np
import pytest

from dashboard import texts, view_model
from linreg_core.claims import SAFE_SHARE, claims, outcome, threshold
from linreg_core.data import BUNDLED, dataset_from_table, linear_like, load, read_csv
from linreg_core.prepare import held_out_count
from linreg_core.settings import N_STOPS, OPTIMIZERS, STEP_STOPS, Settings, knobs
from linreg_core.theory import predicted_gap, theory
from linreg_core.trainer import TrainingRun
from linreg_core.words import loss_text, rate_text

STEPS = 400
FACTORS = {
    "optimizer": OPTIMIZERS,
    "batch": ("full", "mini"),
    "hold_out": (False, True),
    "standardize": (False, True),
    "data": ("generator", *BUNDLED, "csv"),
    "rate": ("below best", "between best and critical", "just past critical", "far past"),
}
# an upload: three columns, y is the third, x the second (far from 0, so the bowl is long unless standardised)
UPLOAD_X = [40 + (i * 37) % 23 * 0.5 for i in range(60)]
UPLOAD = "id,x,y\n" + "".join(f"{i},{x},{2.5 * x - 30 + (i % 7) * 0.3}\n" for i, x in enumerate(UPLOAD_X))
LR_LO, LR_HI = next((k.lo, k.hi) for name, _, _, k in knobs() if name == "lr")


def pairwise(factors: dict[str, tuple]) -> list[dict]:
    """Rows covering every pair of values of every two factors (greedy, deterministic)."""
    names = list(factors)
    todo = {((a, va), (b, vb)) for a, b in itertools.combinations(names, 2) for va in factors[a] for vb in factors[b]}
    rows = []
    while todo:
        (a, va), (b, vb) = min(todo, key=repr)  # seed each row with an uncovered pair
        row = {a: va, b: vb}
        for name in names:
            if name not in row:  # the value that covers most pairs still uncovered with the row so far
                row[name] = max(factors[name], key=lambda value, name=name, row=row: _new_pairs(todo, row, name, value))
        rows.append(row)
        todo -= {((x, row[x]), (y, row[y])) for x, y in itertools.combinations(names, 2)}
    return rows


def _new_pairs(todo: set, row: dict, name: str, value) -> int:
    return sum(((n, row[n]), (name, value)) in todo or ((name, value), (n, row[n])) in todo for n in row)


ROWS = pairwise(FACTORS)


def test_the_rows_cover_every_pair_of_mode_values():
    for a, b in itertools.combinations(FACTORS, 2):
        seen = {(row[a], row[b]) for row in ROWS}
        assert seen == set(itertools.product(FACTORS[a], FACTORS[b])), (a, b)
    assert len(ROWS) < 70  # a covering, not the full grid (9 × 5 × 4 × 8 = 1,440 modes)


# ---- one mode, trained ------------------------------------------------------------------------------


def upload():
    return dataset_from_table(read_csv(UPLOAD.encode(), name="upload.csv"), "x", "y")


def rate_for(base: Settings, data, level: str) -> float:
    """The mode's rate, placed against the run's own fastest and critical rates (for an adaptive optimizer,
    against plain gradient descent's on the same points)."""
    c = claims(theory(data, base))
    reference = c if c.bound is not None else claims(theory(data, base.changed(optimizer=OPTIMIZERS[0], batch_size=0)))
    exact = claims(theory(data, base.changed(batch_size=0))) if reference.regime == "mini" else reference
    best = exact.fastest.lo if exact.fastest is not None else 0.5 * reference.bound
    critical = reference.bound
    low = min(0.5 * best, 0.4 * critical) if reference.regime == "mini" else 0.5 * best
    between = (max(best, SAFE_SHARE * critical) + critical) / 2 if best < critical else 0.75 * critical
    rates = {
        "below best": low,
        "between best and critical": between,
        "just past critical": 1.05 * critical,
        "far past": 3 * exact.full_bound if exact.full_bound is not None else 3 * critical,
    }  # fmt: skip
    return float(min(max(rates[level], LR_LO), LR_HI))


@dataclass
class Mode:
    row: dict
    settings: Settings
    data: object
    claims: object
    values: np.ndarray
    divergence: object
    status: texts.Status


def build(row: dict) -> Mode:
    data = upload() if row["data"] == "csv" else load(Settings(data=row["data"]))
    n_train = data.n - held_out_count(data.n, 0.25 if row["hold_out"] else 0.0)
    base = Settings(
        data=row["data"], optimizer=row["optimizer"], steps=STEPS, test_fraction=0.25 if row["hold_out"] else 0.0,
        standardize=row["standardize"], batch_size=max(1, n_train // 4) if row["batch"] == "mini" else 0,
        momentum=0.6, init_w0=0.5, init_w1=-1.0,
    )  # fmt: skip
    settings = base.changed(lr=rate_for(base, data, row["rate"]))
    return trained(row, settings, data)


def trained(row: dict, settings: Settings, data) -> Mode:
    c = claims(theory(data, settings))
    run = TrainingRun(data, settings)
    blocks = [b.values for b in run.blocks()]
    values = np.concatenate(blocks) if blocks else np.empty((0, 6), np.float32)
    return Mode(row, settings, data, c, values, run.divergence, texts.run_status(c, values, run.divergence))


def counted(name: str) -> bool:
    """Marks a claim as checked in this mode (the test counts them)."""
    return True


# ---- the claims, each against the run or an independent computation -------------------------------------


def check_verdict(m: Mode) -> bool:
    """What the sidebar and the status say the run does, against what it did."""
    c, v, losses = m.claims, m.values, m.values[:, 0].astype(np.float64)
    grew = m.divergence is not None or (len(v) and losses[-1] > c.start_loss)
    if c.verdict in ("converges", "settles"):  # a promise: the run must keep it
        assert not grew, (c.verdict, m.status.text)
        assert m.status.kind != "error"
    if c.verdict == "diverges":
        assert m.status.kind == "error" and m.status.text.startswith("Diverging")
        gaps = losses - c.loss_star
        assert grew or gaps[-1] > gaps[-2] or m.status.text.count("has not turned up")
    if m.status.kind == "error":  # never a divergence the run did not show or theory did not predict
        assert grew or c.verdict == "diverges"
    if m.status.kind == "success":
        assert losses[-1] - c.loss_star <= threshold(c) and not grew
        assert c.regime != "mini" or c.floor <= threshold(c)
    return counted("verdict")


def check_status_names_the_last_record(m: Mode) -> bool:
    """One step, one number: the status names the last record the chart shows and that record's loss."""
    last = len(m.values) - 1
    assert m.status.step == last
    if m.divergence is not None:
        assert m.divergence.step == last + 1
        if last >= 0:
            assert f"to {loss_text(m.values[-1, 0])} at step {last:,}, where the run stopped" in m.status.text
    elif last >= 0 and "has not turned up" not in m.status.text and not m.status.text.startswith("Stopped"):
        assert f"the loss is {loss_text(m.values[-1, 0])}" in m.status.text or f"to {loss_text(m.values[-1, 0])}" in (
            m.status.text)  # fmt: skip
    return counted("last record")


def check_bound_against_runs(m: Mode) -> bool:
    """Full batch: a run 3% under the bound settles, 3% over it grows (3,000 steps, from the mode's start)."""
    c = m.claims
    if c.regime != "exact":
        return False
    under = trained(m.row, m.settings.changed(lr=0.97 * c.bound, steps=3000), m.data)
    over = trained(m.row, m.settings.changed(lr=1.03 * c.bound, steps=3000), m.data)
    assert under.divergence is None and under.values[-1, 0] <= under.claims.start_loss
    gaps = under.values[:, 0].astype(np.float64) - c.loss_star
    assert gaps[-1] <= gaps[len(gaps) // 2] + 1e-6 * c.start_loss  # still falling (or at float32's floor)
    assert over.divergence is not None or over.values[-1, 0] > over.values[len(over.values) // 2, 0]
    return counted("bound")


def check_theory_against_the_run(m: Mode) -> bool:
    """Exact regime: theory's gap record by record, and the per-step factor against the run's measured one."""
    c = m.claims
    if c.regime != "exact":
        return False
    observed = m.values[:, 0].astype(np.float64) - c.loss_star
    predicted = c.predicted[: len(observed)]
    noise = 1e-5 * (c.start_loss + c.loss_star)  # float32's rounding of a loss of this size, with room
    big = predicted > 1e3 * noise
    np.testing.assert_allclose(observed[big], predicted[big], rtol=5e-3)
    return counted("predicted gap")


def check_factor(m: Mode) -> bool:
    """The loss gap's per-step factor the sidebar and the caption name, against the run's own measured one:
    the slope of log(gap) over the steps where the slow direction alone is left and float32 still resolves it."""
    c = m.claims
    if c.regime != "exact" or c.verdict != "converges" or c.factor < 0.05:
        return False
    note = texts.stability_note(c)
    said = re.search(r"(shrinks|grows) ([\d.,]+)× a step", note)
    assert float(said[2].replace(",", "")) == pytest.approx(c.factor, rel=5e-4, abs=5e-5)
    assert f"the gap {said[0]}" in texts.captions(c, m.data)["gap"]  # one factor, of one named quantity
    observed = m.values[:, 0].astype(np.float64) - c.loss_star
    resolved = np.flatnonzero(c.predicted[: len(observed)] > 1e-5 * (c.start_loss + c.loss_star))
    window = resolved[resolved >= 20]  # past the fast direction's start
    if len(window) >= 40:  # else it reached float32's floor within a few steps: the factor is small, as said
        measured = math.exp(np.polyfit(window, np.log(observed[window]), 1)[0])
        assert measured == pytest.approx(c.factor, rel=0.02, abs=0.002)
    return counted("factor")


def check_kappa(m: Mode) -> bool:
    """κ from the Gram matrix of the points as trained on (NumPy's condition number), and the rings' √κ."""
    c = m.claims
    x = c.theory.prepared.fit.x.astype(np.float64)
    design = np.column_stack([x, np.ones_like(x)])
    kappa = np.linalg.cond(design.T @ design)
    caption = texts.captions(c, m.data)["landscape"]
    if c.kappa is None:
        assert kappa > 1e12 and "flat along the valley" in caption
    else:
        assert c.kappa == pytest.approx(kappa, rel=1e-6)
        rings = "the bowl is round" if math.sqrt(kappa) < 1.05 else f"the rings are {math.sqrt(kappa):.3g} times longer"
        assert f"condition number {texts.big(kappa)}: {rings}" in caption
    return counted("condition number")


def check_landscape(m: Mode) -> bool:
    """The landscape, its optimum and the path (the records mapped with its shift and scale) in one system."""
    c = m.claims
    land = view_model.landscape(c)
    p = c.theory.prepared
    assert (land["shift"], land["scale"]) == (p.shift, p.scale)
    to_land = lambda w0, w1: (w0 * land["scale"], w1 + w0 * land["shift"])  # noqa: E731
    start = view_model.header("run", c, view_model.background(c, m.data), None)["start"]
    assert to_land(m.settings.init_w0, m.settings.init_w1) == pytest.approx(start, abs=1e-9)
    size = land["size"]
    # the grid holds the start (the default start, and the run's own when it lies elsewhere)
    assert land["w0"][0] <= start[0] <= land["w0"][1] and land["w1"][0] <= start[1] <= land["w1"][1]
    grid = np.linspace(*land["w0"], size), np.linspace(*land["w1"], size)
    assert (grid[0][size // 2], grid[1][size // 2]) == pytest.approx(land["optimum"], rel=1e-9, abs=1e-9)
    # the optimum is where the independent loss of the trained points is smallest
    x = p.fit.x.astype(np.float64)
    y = p.fit.y.astype(np.float64)
    loss = lambda v0, v1: np.mean((v0 * x + v1 - y) ** 2)  # noqa: E731
    at = loss(*land["optimum"])
    assert at == pytest.approx(c.loss_star, rel=1e-6, abs=1e-9 * c.start_loss)
    if len(m.values) and m.status.kind == "success":
        end = to_land(*m.values[-1, 1:3].astype(np.float64))
        span = land["w0"][1] - land["w0"][0]
        assert loss(*end) == pytest.approx(c.loss_star, rel=2e-3, abs=1e-6 * c.start_loss)
        if not c.degenerate:
            assert np.hypot(end[0] - land["optimum"][0], end[1] - land["optimum"][1]) < 0.05 * span
    return counted("landscape")


def reachable(setting: str, value, c) -> bool:
    if setting == "lr":
        return value in {p.lr for p in c.picks} and LR_LO <= value <= LR_HI
    if setting == "steps":
        return value in STEP_STOPS
    if setting == "n":
        return value in N_STOPS
    if setting == "standardize":
        return value is True
    return False


def check_advice(m: Mode) -> bool:
    """Every value the page suggests is one its control can take, and the rates it names are those values."""
    c = m.claims
    out = outcome(c, m.values[:, 0], m.divergence is not None)
    for advice in out.advice:
        assert reachable(advice.setting, advice.value, c), advice
    for pick in c.picks:  # each pick does what its label says, at the rate it sets (as the page writes it)
        assert LR_LO <= pick.lr <= LR_HI and rate_text(pick.lr) == f"{pick.lr:g}"
        verdict = claims(theory(m.data, m.settings.changed(lr=pick.lr))).verdict
        expected = {"best": "converges", "critical × 0.95": "converges", "critical × 1.05": "diverges",
                    f"safe × {SAFE_SHARE:g}": "settles", "safe × 0.95": "edge"}[pick.label]  # fmt: skip
        assert verdict == expected, (pick, verdict)
    for steps in re.findall(r"set steps to ([\d,]+)", m.status.text):
        assert int(steps.replace(",", "")) in STEP_STOPS
    for rate in re.findall(r"(?:fastest stable rate is|At) ([\d.e-]+)(?: it settles|\.)", m.status.text):
        assert float(rate) in {p.lr for p in c.picks}
    problem = texts.budget_problem(m.settings.changed(steps=10_000), 1_000_000)
    for name, value in re.findall(r"(steps|n) to ([\d,]+)", problem or ""):
        assert reachable(name, int(value.replace(",", "")), c)
    return counted("advice")


def check_legends(m: Mode) -> bool:
    c = m.claims
    background = view_model.background(c, m.data)
    header = view_model.header("run", c, background, None)
    legends = {panel: [e["label"] for e in entries] for panel, entries in header["legends"].items()}
    assert ("true line" in legends["fit"]) == ("true" in legends["weights"]) == (background["true"] is not None)
    assert ("theory" in legends["gap"]) == (header["predicted"] is not None) == (c.regime == "exact")
    assert ("held-out loss" in legends["loss"]) == (m.settings.test_fraction > 0) == background["held_out"]
    return counted("legends")


def check_no_borrowed_theory(m: Mode) -> bool:
    """Where full-batch theory does not apply, no text borrows it."""
    c = m.claims
    words = " ".join([texts.stability_note(c), m.status.text, *texts.captions(c, m.data).values()])
    if c.regime != "exact":
        assert "theory predicts" not in words and "Stable below" not in words and "fastest stable" not in words
    if c.regime == "mini":
        assert "does not hold" in texts.stability_note(c) and "noisy" in texts.captions(c, m.data)["gap"]
        assert "More steps, or a rate nearer the fastest" not in words
    if c.regime == "adaptive":
        assert "No simple bound is known" in texts.stability_note(c)
    return counted("no borrowed theory")


def check_floor(m: Mode) -> bool:
    """Mini-batches at a settling rate: the gap ends near the expected noise floor (the trainer reshuffles
    each epoch, which often lands lower), and the floor grows with the rate and shrinks with the batch."""
    c = m.claims
    if c.regime != "mini" or c.verdict != "settles":
        return False
    tail = m.values[-100:, 0].astype(np.float64) - c.loss_star
    s = m.settings
    # in expectation the gap is what the full batch would still have left, plus the floor
    left = predicted_gap(c.theory.fit, c.start_trained, s.lr, s.steps, s.optimizer, c.theory.hyper)[-100:]
    assert tail.mean() <= 3 * (c.floor + left.mean()) + threshold(c)
    slower = claims(theory(m.data, s.changed(lr=s.lr / 2))).floor
    bigger = claims(theory(m.data, s.changed(batch_size=min(2 * s.batch_size, c.n_train - 1)))).floor
    assert slower < c.floor and (bigger < c.floor or 2 * s.batch_size >= c.n_train)
    return counted("noise floor")


CHECKS = (
    check_verdict, check_status_names_the_last_record, check_bound_against_runs, check_theory_against_the_run,
    check_factor, check_kappa, check_landscape, check_advice, check_legends, check_no_borrowed_theory, check_floor,
)  # fmt: skip


@pytest.mark.parametrize("i", range(len(ROWS)), ids=[" | ".join(map(str, r.values())) for r in ROWS])
def test_every_claim_holds_in_this_mode(i):
    m = build(ROWS[i])
    applied = [check.__name__ for check in CHECKS if check(m)]
    assert len(applied) >= 7, applied  # the checks that apply to every mode, at least


DEGENERATE = [
    # seed 4: rounding leaves the singular Hessian's zero eigenvalue at +2e-16 (a κ of 4e16 if taken as is)
    ({"data": "generator", "optimizer": "gd"}, Settings(n=1, seed=4, steps=STEPS, lr=0.1, init_w0=2.0)),
    ({"data": "generator", "optimizer": "momentum"}, Settings(n=2, test_fraction=0.5, optimizer="momentum",
                                                                 momentum=0.6, steps=STEPS, lr=0.05)),
    ({"data": "generator", "optimizer": "adam"}, Settings(n=1, optimizer="adam", standardize=True, steps=STEPS)),
]  # fmt: skip


@pytest.mark.parametrize("row, settings", DEGENERATE)
def test_every_claim_holds_on_degenerate_data(row, settings):
    m = trained(row, settings, linear_like(settings))
    assert m.claims.degenerate and m.claims.kappa is None
    note = texts.scaling_note(m.claims, m.data)
    assert note.startswith("Every x here is ") and "standardise" not in note
    applied = [check.__name__ for check in CHECKS if check(m)]
    assert len(applied) >= 7, applied


# ---- the page states what the matrix checked -----------------------------------------------------------

# three visits (each costs seconds): full batch with standardised x, mini-batches, an upload
PAGE_ROWS = [
    next(i for i, r in enumerate(ROWS) if r["batch"] == "full" and r["standardize"] and r["optimizer"] == "gd"),
    next(i for i, r in enumerate(ROWS) if r["batch"] == "mini" and r["data"] != "csv"),
    next(i for i, r in enumerate(ROWS) if r["data"] == "csv"),
]


@pytest.mark.parametrize("i", PAGE_ROWS, ids=[" | ".join(map(str, ROWS[i].values())) for i in PAGE_ROWS])
def test_the_page_sends_the_claims_the_matrix_checks(i):
    """A visit to the page (AppTest) with the mode's settings sends the very status, captions, legends, bound and
    landscape the matrix checked against the run, and the sidebar's note with them."""
    import json
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    m = build(ROWS[i])
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=180)
    for key, value in m.settings.to_query().items():
        at.query_params[key] = value
    at.run()
    if ROWS[i]["data"] == "csv":
        at.file_uploader(key="csv-upload").upload("upload.csv", UPLOAD.encode(), "text/csv").run()
    assert not at.exception
    sent = [json.loads(c.proto.bytes) for c in at.get("bidi_component") if c.proto.bytes]
    (head,) = [s for s in sent if s["kind"] == "header"]
    (background,) = [s for s in sent if s["kind"] == "background"]
    (end,) = [s for s in sent if s["kind"] == "end"]
    assert end["status"] == {**m.status.to_dict(), "code": "finished"}
    assert head["captions"] == texts.captions(m.claims, m.data) and head["legends"] == view_model.legends(m.claims)
    assert head["bound"] == m.claims.bound
    assert background["landscape"] == view_model.landscape(m.claims)
    assert texts.stability_note(m.claims) in [c.value for c in at.main.caption]


# the noise floor is claimed only for mini-batches at a settling rate: a few more of those than the covering has
SETTLING = [
    Settings(batch_size=1, lr=0.1, steps=2000),
    Settings(data="tips", standardize=True, batch_size=10, lr=0.2, steps=1500),
    Settings(data="hubble", standardize=True, optimizer="momentum", momentum=0.6, batch_size=5, lr=0.05, steps=1500),
    Settings(data="iris", optimizer="nesterov", momentum=0.6, batch_size=15, test_fraction=0.2, lr=0.02, steps=1500),
]


@pytest.mark.parametrize("settings", SETTLING, ids=lambda s: f"{s.data} {s.optimizer} batch {s.batch_size}")
def test_every_claim_holds_for_mini_batches_at_a_settling_rate(settings):
    m = trained({"data": settings.data, "optimizer": settings.optimizer}, settings, load(settings))
    assert m.claims.verdict == "settles"
    applied = [check.__name__ for check in CHECKS if check(m)]
    assert "check_floor" in applied and len(applied) >= 8, applied
