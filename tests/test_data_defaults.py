"""Every data source starts on a run that works: its defaults (settings.STANDARDISED_BY_DEFAULT) held against
real TensorFlow runs, the same address giving the same numbers on the page, the command line and in Python,
and the page saying the choice with one click back to the raw x."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import texts
from dashboard.view_model import decode
from linreg_core.claims import claims, outcome
from linreg_core.data import BUNDLED, dataset_from_table, load, read_csv
from linreg_core.settings import STANDARDISED_BY_DEFAULT, Settings, data_defaults
from linreg_core.theory import theory

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SOURCES = ["generator", *BUNDLED]
# An ice-cream file (temperature in °C) and a yearly sales file: x far from 0, as people's files are
ICE = "temperature,ice cream sales\n14,215\n16,325\n11,185\n15,332\n18,406\n22,522\n19,412\n25,614\n23,544\n"
YEARS = "year;units\n" + "".join(f"{2000 + k};{1000 + 37 * k + (k * k) % 11}\n" for k in range(21))


def trained(data, settings: Settings):
    """A real run: (its outcome by the claims' own rule, the trainer's divergence, its last record)."""
    from linreg_core.trainer import TrainingRun

    run = TrainingRun(data, settings)
    records = list(run)
    c = claims(theory(data, settings))
    end = outcome(c, [r.loss for r in records], run.divergence is not None)
    return end, run.divergence, records[-1] if records else None


@pytest.mark.parametrize("source", SOURCES)
def test_each_bundled_source_arrives_on_a_converging_run_and_the_default_is_needed_exactly_where_declared(source):
    arrival = Settings(data=source)
    assert arrival.standardize is (source in STANDARDISED_BY_DEFAULT)
    end, divergence, _ = trained(load(arrival), arrival)
    assert divergence is None and end.kind == "converged", (source, end)
    raw = arrival.changed(standardize=False)
    raw_end, raw_divergence, _ = trained(load(raw), raw)
    if source in STANDARDISED_BY_DEFAULT:  # the default is there because the raw x diverges
        assert raw_divergence is not None and raw_end.kind == "diverged", (source, raw_end)
    else:  # and nowhere else: the raw x converges, so nothing is changed behind the visitor's back
        assert raw_divergence is None and raw_end.kind == "converged", (source, raw_end)


def test_the_blogs_run_is_untouched():
    assert Settings().standardize is False and Settings().to_query() == {} and Settings().cli_args() == []
    assert data_defaults("generator") == {"standardize": False}


@pytest.mark.parametrize("text, name", [(ICE, "ice.csv"), (YEARS, "years.csv")])
def test_a_persons_file_arrives_standardised_and_converges_where_the_raw_x_diverges(tmp_path, text, name):
    path = tmp_path / name
    path.write_text(text)
    table = read_csv(str(path))
    data = dataset_from_table(table, None, None)
    arrival = Settings(data="csv")
    assert arrival.standardize is True
    end, divergence, last = trained(data, arrival)
    assert divergence is None and end.kind == "converged", end
    (slope, intercept), *_ = np.linalg.lstsq(np.column_stack([data.x, np.ones(data.n)]).astype(np.float64),
                                             data.y.astype(np.float64), rcond=None)  # fmt: skip
    assert last.w0 == pytest.approx(slope, rel=1e-3) and last.w1 == pytest.approx(intercept, rel=1e-3, abs=1e-2)
    raw_end, raw_divergence, _ = trained(data, arrival.changed(standardize=False))
    assert raw_divergence is not None and raw_end.kind == "diverged"
    cli = subprocess.run([sys.executable, "-m", "linreg_core", "--csv", str(path)], capture_output=True, text=True,
                         timeout=300, cwd=ROOT)  # fmt: skip
    assert cli.returncode == 0, cli.stderr[-300:]
    assert "note: x is standardised by default with --csv; --standardize false trains on the raw x" in cli.stderr
    assert cli.stdout.splitlines()[-1] == f"STEP: 1000 - loss: {last.loss}, w0: {last.w0:.4f}, w1: {last.w1:.4f}"


@pytest.mark.parametrize("source", ["anscombe-1", "tips"])
def test_the_note_says_what_the_raw_run_does(source):
    """The page's sentence about the raw x, from the raw run's claims, against the raw run itself."""
    raw = Settings(data=source, standardize=False)
    data = load(raw)
    c = claims(theory(data, raw))
    run = claims(theory(data, Settings(data=source)))
    note = texts.data_default_note(c, run, data.title)
    end, divergence, _ = trained(data, raw)
    assert divergence is not None
    assert note.startswith(f"*Standardise x* is on by default for {data.title}. On the raw x, gradient descent at "
                           f"0.02 diverges: it is stable only below {texts.limit_text(c.bound)} there")  # fmt: skip
    assert 0.02 > c.bound  # the bound named is one the run is above
    assert f"stable below {texts.limit_text(run.full_bound)}." in note and 0.02 < run.full_bound  # and the run not


def page_records(at: AppTest) -> np.ndarray:
    sent = [json.loads(c.proto.bytes) for c in at.get("bidi_component") if c.proto.bytes]
    return np.concatenate([decode(m["values"], len(m["columns"])) for m in sent if m.get("rows")])


def test_one_address_gives_one_run_on_the_page_the_command_line_and_in_python():
    from linreg_core.trainer import TrainingRun

    settings = Settings(data="anscombe-3", steps=300)
    *_, last = TrainingRun(load(settings), settings)
    line = f"STEP: 300 - loss: {last.loss}, w0: {last.w0:.4f}, w1: {last.w1:.4f}"
    cli = subprocess.run([sys.executable, "-m", "linreg_core", "--data", "anscombe-3", "--steps", "300"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)  # fmt: skip
    assert cli.stdout.strip().splitlines()[-1] == line
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["data"], at.query_params["steps"] = "anscombe-3", "300"
    at.run()
    assert not at.exception and at.toggle(key="standardize").value is True
    loss, w0, w1 = page_records(at)[-1, :3]
    assert line == f"STEP: 300 - loss: {float(loss)}, w0: {w0:.4f}, w1: {w1:.4f}"
    assert dict(at.query_params) == {"data": "anscombe-3", "steps": "300"}


def test_choosing_a_source_lands_on_its_defaults_and_one_click_undoes_it():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["steps"] = "100"
    at.run()
    assert at.toggle(key="standardize").value is False
    at.selectbox(key="data").set_value("tips").run()
    assert not at.exception and at.toggle(key="standardize").value is True
    said = [i.value for i in at.info if "is on by default for Restaurant tips" in i.value]
    assert len(said) == 1 and "diverges" in said[0]
    assert dict(at.query_params) == {"data": "tips", "steps": "100"}
    at.button(key="raw-x").click().run()
    assert at.toggle(key="standardize").value is False
    assert dict(at.query_params) == {"data": "tips", "steps": "100", "standardize": "false"}
    assert not [i for i in at.info if "is on by default" in i.value]
    at.selectbox(key="data").set_value("iris").run()  # iris converges on its raw x: nothing is changed
    assert at.toggle(key="standardize").value is False
    assert not [i for i in at.info if "is on by default" in i.value]
    at.selectbox(key="data").set_value("anscombe-2").run()
    assert at.toggle(key="standardize").value is True
    at.selectbox(key="data").set_value("generator").run()  # back to the blog's run, exactly
    assert at.toggle(key="standardize").value is False and dict(at.query_params) == {"steps": "100"}


def test_a_link_that_asks_for_the_raw_x_keeps_it():
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in {"data": "tips", "standardize": "false", "steps": "20"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and at.toggle(key="standardize").value is False
    assert not [i for i in at.info if "is on by default" in i.value]
