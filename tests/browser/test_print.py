"""A browser print of a page is readable on A4: Chromium prints it (the DevTools protocol's
printToPDF, A4, the page's own @page rules) and poppler reads it back: the page's title, the
selected division and the figures' table are on paper; buttons and navigation are not."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.app import create_app
from tests.conftest import need

pytestmark = pytest.mark.browser
A4_POINTS = (595, 842)


def _print(dash_duo, tmp_path, name):
    result = dash_duo.driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(base64.b64decode(result["data"]))
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size"))
    width, height = (round(float(v)) for v in size.split(":")[1].split("pts")[0].split(" x "))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-l", "1", str(pdf), str(tmp_path / name)], check=True)
    return (width, height), text


@pytest.mark.parametrize(("path", "ready", "expected"), [
    ("/map#division=NW&indicator=confidence", "#map-table .dash-cell", ["Map of areas", "North Worcestershire"]),
    ("/#division=SH", "#meeting-board tbody tr", ["Force overview", "Shropshire", "Headline indicators"]),
])
def test_a_printed_page_fits_a4_and_keeps_its_figures(dash_duo, demo_store, tmp_path, path, ready, expected):
    need(bool(shutil.which("pdftotext")), "poppler-utils is needed to read the printout "
                                          "(apt-get install poppler-utils)")
    dash_duo.start_server(create_app(demo_store))
    dash_duo.driver.get(dash_duo.server_url + path)
    dash_duo.wait_for_element(ready, timeout=30)
    WebDriverWait(dash_duo.driver, 30).until(lambda d: d.execute_script(
        "return Array.from(document.querySelectorAll('.js-plotly-plot')).every(g => g._fullData)"))
    size, text = _print(dash_duo, tmp_path, path.strip("/#").split("#")[0] or "overview")
    assert size == A4_POINTS
    flat = " ".join(text.split())
    for words in expected:
        assert words in flat
    assert "Download CSV" not in flat and "Meeting pack (PDF)" not in flat and "Skip to main content" not in flat
    assert "Synthetic demonstration data" in flat
