"""Real and uploaded data in Chromium: the chart paints the chosen points, an upload trains to its own
least-squares line and stays in its session, and every download holds what the page showed."""

import csv
import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest
from harness import screenshot
from view import read, trace, wait_done

from linreg_core.analysis import analyse
from linreg_core.data import BUNDLED, bundled
from linreg_core.settings import Settings

pytestmark = pytest.mark.e2e
CSV = "temperature,ice cream sales\n14,215\n16,325\n11,185\n15,332\n18,406\n22,522\n19,412\n25,614\n23,544\n"


def choose_data(page, title: str) -> None:
    page.locator(".st-key-data").click()
    page.get_by_role("option", name=title, exact=True).click()


def test_a_bundled_set_is_painted_with_its_own_points_and_labels(page, streamlit_server):
    page.goto(f"{streamlit_server}/?lr=0.001&steps=300")
    before = wait_done(page)["run"]
    choose_data(page, "Anscombe's quartet, set II")
    view = wait_done(page, other_than=before)
    data = bundled("anscombe-2")
    points = trace(view, "fit", "data")
    np.testing.assert_array_equal(np.float32(points["x"]), data.x)
    np.testing.assert_array_equal(np.float32(points["y"]), data.y)
    info = analyse(data)
    line = trace(view, "fit", "least squares")
    np.testing.assert_allclose(line["y"], [info.w0_star * x + info.w1_star for x in line["x"]], rtol=1e-9)
    assert page.locator(".st-key-w0").count() == 0 and page.locator(".st-key-n").count() == 0
    page.get_by_text("A smooth curve: a straight line is the wrong model").wait_for()
    screenshot(page, "anscombe-2")


def test_an_uploaded_csv_trains_to_its_line_and_another_visitor_never_sees_it(browser, streamlit_server):
    mine, theirs = browser.new_context(), browser.new_context()
    try:
        page = mine.new_page()
        page.goto(f"{streamlit_server}/?data=csv&lr=0.003&steps=10000&standardize=true")
        page.get_by_test_id("stFileUploader").wait_for()
        page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(
            files=[{"name": "ice cream.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
        )
        view = wait_done(page)
        rows = np.array([[float(v) for v in line.split(",")] for line in CSV.strip().splitlines()[1:]])
        x, y = rows[:, 0], rows[:, 1]
        (slope, intercept), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)
        assert float(view["table"]["w0"][0]) == pytest.approx(slope, abs=1e-3)
        assert float(view["table"]["w1"][0]) == pytest.approx(intercept, abs=2e-2)
        np.testing.assert_array_equal(np.float32(trace(view, "fit", "data")["x"]), np.float32(x))
        assert "data=csv" in page.url and "ice" not in page.url
        screenshot(page, "uploaded-csv")
        other = theirs.new_page()
        other.goto(page.url)
        other.get_by_test_id("stFileUploader").wait_for()
        other.get_by_text("Choose a CSV file in the sidebar").wait_for()
        assert other.locator(".gtl-view").count() == 0 and "ice cream" not in other.content()
    finally:
        mine.close()
        theirs.close()


def test_a_png_named_like_a_csv_gets_a_clear_message(page, streamlit_server):
    page.goto(f"{streamlit_server}/?data=csv")
    page.get_by_test_id("stFileUploader").wait_for()
    page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(
        files=[{"name": "points.csv", "mimeType": "text/csv", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(64)}]
    )
    alert = page.get_by_test_id("stAlert").filter(has_text="is a PNG image, not a CSV file")
    alert.wait_for()
    assert page.get_by_test_id("stException").count() == 0


def download(page, label: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    return open(info.value.path(), "rb").read()


def test_every_download_holds_what_the_page_showed(page, streamlit_server):
    settings = Settings(steps=400, lr=0.05, seed=2)
    page.goto(f"{streamlit_server}/?steps=400&lr=0.05&seed=2")
    view = wait_done(page)
    shown_w0, shown_w1, shown_loss = view["table"]["w0"][0], view["table"]["w1"][0], view["table"]["loss"][0]

    rows = list(csv.DictReader(io.StringIO(download(page, "Trajectory (CSV)").decode())))
    assert [int(r["step"]) for r in rows] == list(range(401))
    assert (f"{float(rows[-1]['w0']):.4f}", f"{float(rows[-1]['w1']):.4f}") == (shown_w0, shown_w1)
    assert f"{float(rows[-1]['loss']):.6g}" == f"{float(shown_loss):.6g}"  # the table shows 6 digits

    points = list(csv.reader(io.StringIO(download(page, "Data (CSV)").decode())))
    assert points[0] == ["x", "y"]
    painted = trace(view, "fit", "data")
    np.testing.assert_array_equal(np.float32([p[0] for p in points[1:]]), np.float32(painted["x"]))

    html = download(page, "Charts (HTML)").decode()
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    assert "Plotly.newPlot" in html and len(html) > 1_000_000  # plotly.js is inside
    spec = json.loads(re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*(\[.*?\]),\s*\{", html, re.S)[1])
    fit = next(t for t in spec if t["name"].startswith("fit at step 400"))
    assert fit["y"]  # the final line, as the page drew it
    script = download(page, "Script (Python)").decode()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.splitlines()[-1].endswith(f"w0: {shown_w0}, w1: {shown_w1}"), out.stdout[-200:]
    assert settings.cli_args() == ["--seed", "2", "--steps", "400", "--lr", "0.05"]
    assert read(page)["run"] == view["run"]  # downloading did not rerun the page


@pytest.mark.parametrize("source", sorted(BUNDLED))
def test_each_bundled_set_opened_by_address_arrives_on_a_converging_run(page, streamlit_server, source):
    """No red "Diverging" on arrival: the painted run reaches the least-squares loss, and where x was
    standardised by the data's default, the page says so with the way back."""
    page.goto(f"{streamlit_server}/?data={source}")
    view = wait_done(page)
    assert view["kind"] == "success" and not view["status"].startswith("Diverging"), view["status"]
    loss = trace(view, "loss", "loss")["y"]
    info = analyse(bundled(source))
    assert np.all(np.isfinite(loss)) and loss[-1] == pytest.approx(info.loss_star, rel=1e-3)
    said = page.get_by_test_id("stAlert").filter(has_text="is on by default for")
    if Settings(data=source).standardize:
        said.wait_for()
        assert page.get_by_role("button", name="Train on the raw x").is_visible()
    else:
        assert said.count() == 0
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, f"arrival-{source}")


def test_a_semicolon_file_with_decimal_commas_fits_its_least_squares_line(page, streamlit_server):
    """Excel's CSV export in Germany: a byte-order mark, quoted headers, semicolons, decimal commas, CRLF.
    Uploaded on the page's defaults, it trains to the least-squares line of the numbers written in it."""
    x = [14.5, 16.25, 11.0, 15.75, 18.5, 22.0, 19.25, 25.5, 23.0]
    y = [215.5, 325.0, 185.25, 332.0, 406.75, 522.0, 412.5, 614.0, 544.25]
    rows = [f"{a};{b}".replace(".", ",") for a, b in zip(x, y, strict=True)]
    content = ("\ufeff" + '"Temperatur (°C)";"Umsatz (€)"\r\n' + "\r\n".join(rows) + "\r\n").encode()
    page.goto(f"{streamlit_server}/?data=csv")
    page.get_by_test_id("stFileUploader").wait_for()
    page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(
        files=[{"name": "Eisverkauf.csv", "mimeType": "text/csv", "buffer": content}]
    )
    view = wait_done(page)
    assert view["kind"] == "success", view["status"]
    (slope, intercept), *_ = np.linalg.lstsq(np.column_stack([x, np.ones(len(x))]), np.array(y), rcond=None)
    assert float(view["table"]["w0"][0]) == pytest.approx(slope, abs=1e-3)
    assert float(view["table"]["w1"][0]) == pytest.approx(intercept, abs=2e-2)
    np.testing.assert_array_equal(np.float32(trace(view, "fit", "data")["x"]), np.float32(x))
    page.get_by_text("numbers with decimal commas").wait_for()
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, "upload-semicolons-decimal-commas")


def test_an_adam_mini_batch_run_on_standardised_x_goes_home_whole(page, streamlit_server):
    """The downloaded script reruns Adam with batches of 16 on standardised x and prints the page's final line;
    the HTML holds the page's five panels, titled, under a proper <title>."""
    page.goto(f"{streamlit_server}/?optimizer=adam&batch_size=16&standardize=true&steps=300&lr=0.05")
    view = wait_done(page)
    shown_w0, shown_w1, shown_loss = view["table"]["w0"][0], view["table"]["w1"][0], view["table"]["loss"][0]
    script = download(page, "Script (Python)").decode()
    assert "batch_of_each_point" in script and "scale = " in script and "beta2" in script
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-500:]
    last = out.stdout.splitlines()[-1]
    assert last.startswith("STEP: 300 - ") and last.endswith(f"w0: {shown_w0}, w1: {shown_w1}"), (last, view["table"])
    # the page trains compiled, the script eagerly: a mean of 80 float32 squares summed in another order
    # differs by up to ~80 float32 roundings (the script's header says so); the weights agree to the digit
    assert float(last.split("loss: ")[1].split(",")[0]) == pytest.approx(float(shown_loss), rel=80 * 2**-23)
    report = download(page, "Charts (HTML)").decode()
    assert re.search(r"<title>GradientTape Lab: The blog&#x27;s generator, Adam at learning rate 0.05</title>", report)
    decoder = json.JSONDecoder()
    traces, end = decoder.raw_decode(report, re.search(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*", report).end())
    layout, _ = decoder.raw_decode(report, re.compile(r",\s*").match(report, end).end())
    assert [a["text"] for a in layout["annotations"]] == [
        "Data and fit", "Loss landscape: the path on the bowl", "Loss", "Gap to the optimum: run against theory",
        "Weights",
    ]  # fmt: skip
    assert {t.get("xaxis", "x") for t in traces} == {"x", "x2", "x3", "x4", "x5"}  # something drawn in each
    assert "<li>batch size: 16</li>" in report and "<li>standardise x: true</li>" in report
