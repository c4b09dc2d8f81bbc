"""Nothing from a file is ever markup on the chart: column names with links and styled spans, uploaded as a CSV,
are painted as the literal text they are, in the chart and in the downloaded HTML figure."""

import csv
import io

import pytest
from harness import screenshot
from view import read, trace, wait_done

pytestmark = pytest.mark.e2e
LINK = '<a href="https://evil.example/phish">Click to verify your account</a>'
STYLED = '<b><span style="font-size:40px;color:red">big</span></b>'

# What Plotly's pseudo-HTML makes of markup in an SVG: links, and styled or bold text.
MARKUP_IN_SVG_JS = """
(root) => {
  const svgs = Array.from((root || document).querySelectorAll('svg'));
  const links = svgs.flatMap((s) => Array.from(s.querySelectorAll('a')));
  const styled = svgs.flatMap((s) => Array.from(s.querySelectorAll('tspan[style], text[style]')))
    .map((t) => t.getAttribute('style')).filter((st) => /font-size:\\s*40px|color:\\s*red|fill:\\s*red|bold/i.test(st));
  const titles = svgs.flatMap((s) => Array.from(s.querySelectorAll('.g-xtitle, .g-ytitle, .gtitle')));
  const texts = titles.map((t) => t.textContent);
  return { svgs: svgs.length, links: links.length, styled, texts };
}
"""


def hostile_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([LINK, STYLED])
    for x in range(12):
        writer.writerow([x, 2 * x + 1 + (x % 3) * 0.1])
    return out.getvalue().encode()


def test_column_names_with_markup_are_painted_as_text_in_the_chart_and_the_html_download(page, streamlit_server):
    page.goto(f"{streamlit_server}/?data=csv&steps=50")
    page.get_by_test_id("stFileUploader").wait_for()
    page.locator("[data-testid='stFileUploader'] input[type=file]").set_input_files(
        files=[{"name": "phish.csv", "mimeType": "text/csv", "buffer": hostile_csv()}]
    )
    view = wait_done(page)
    assert len(trace(view, "fit", "data")["x"]) == 12  # the file's points are drawn
    found = page.evaluate(MARKUP_IN_SVG_JS, page.locator(".gtl-view").element_handle())
    assert found["svgs"] >= 10 and found["links"] == 0 and found["styled"] == [], found
    assert LINK in found["texts"] and STYLED in found["texts"], found["texts"]  # the literal names, as titles
    assert page.locator(".gtl-view a, .gtl-view [style*='40px']").count() == 0  # nor in the chart's own text
    screenshot(page, "hostile-column-names")

    with page.expect_download() as info:
        page.get_by_role("button", name="Charts (HTML)").click()
    figure = open(info.value.path(), encoding="utf-8").read()
    shown = page.context.new_page()
    try:
        shown.set_content(figure, wait_until="load")
        shown.wait_for_selector(".js-plotly-plot .main-svg")
        found = shown.evaluate(MARKUP_IN_SVG_JS, None)
        assert found["svgs"] >= 1 and found["links"] == 0 and found["styled"] == [], found
        assert LINK in found["texts"] and STYLED in found["texts"], found["texts"]
    finally:
        shown.close()
    assert read(page)["run"] == view["run"]  # downloading did not rerun the page
