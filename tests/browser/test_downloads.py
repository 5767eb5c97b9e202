"""Downloads as a person gets them: click the button in Chromium, the file lands in the
download folder and opens (PNG decodes at its size, XLSX reads back with the published values,
the meeting pack is a PDF that poppler renders with the division's name on page one)."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from dashboard.app import create_app
from dashboard.data.store import Store
from tests.conftest import need

pytestmark = pytest.mark.browser


def _downloaded(folder: Path, suffix: str, timeout: float = 90) -> Path:
    """The finished file with this suffix (Chromium writes .crdownload until done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(f"*{suffix}") if not p.name.endswith(".crdownload")]
        if done and done[0].stat().st_size > 0:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} file in {folder} after {timeout:g} s: "
                         f"{sorted(p.name for p in folder.iterdir())}")


def _press(dash_duo, selector):
    """Focus the control and press Enter, as a keyboard user would (the page is still laying out
    its table below, so a pointer click can land on a moving target)."""
    button = dash_duo.wait_for_element(selector, timeout=30)
    WebDriverWait(dash_duo.driver, 20).until(lambda d: button.is_enabled() and button.is_displayed())
    button.send_keys(Keys.ENTER)


@pytest.fixture()
def started(dash_duo, demo_store):
    dash_duo.start_server(create_app(demo_store))
    return dash_duo, Path(dash_duo.download_path)


def _allow_downloads(dash_duo):
    """Headless Chromium saves downloads only when told where, for the page now open."""
    dash_duo.driver.execute_cdp_cmd("Page.setDownloadBehavior",
                                    {"behavior": "allow", "downloadPath": str(dash_duo.download_path)})


def test_map_png_and_table_xlsx_download_and_open(started, demo_store):
    need(bool(shutil.which("chromium")), "chromium is needed for image exports")
    dash_duo, folder = started
    dash_duo.driver.get(dash_duo.server_url + "/map#division=TW&indicator=confidence")
    _allow_downloads(dash_duo)
    WebDriverWait(dash_duo.driver, 30).until(lambda d: d.execute_script(
        "var gd = document.querySelector('#map-graph .js-plotly-plot');"
        "return gd && gd._fullData && gd._fullData.length && gd._fullData[0].locations.length < 145"))
    _press(dash_duo, "#map-png")
    png = _downloaded(folder, ".png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1200, 800)

    _press(dash_duo, "#map-xlsx")
    xlsx = pd.read_excel(io.BytesIO(_downloaded(folder, ".xlsx").read_bytes()))
    snapshot = Store(demo_store).open()
    areas = snapshot.table("areas")
    assert set(xlsx["area_code"]) == set(areas.loc[areas.division_code == "TW", "area_code"])
    est = snapshot.table("estimates")
    est = est[(est.indicator == "confidence_local") & (est.period == est.period.max()) & (est.level == "area")
              & (est.subgroup_dimension == "all")].set_index("geography_code")
    for r in xlsx.itertuples():
        if est.loc[r.area_code, "suppressed"]:
            assert pd.isna(r.value_pct)
        else:
            assert r.value_pct == round(est.loc[r.area_code, "value"], 1)
            assert r.unweighted_base == est.loc[r.area_code, "base"]
    assert dash_duo.get_logs() == []


def test_meeting_pack_downloads_for_the_selected_division(started):
    need(bool(shutil.which("pdftotext")), "poppler-utils is needed to read the pack (apt-get install poppler-utils)")
    dash_duo, folder = started
    dash_duo.driver.get(dash_duo.server_url + "/")
    _allow_downloads(dash_duo)
    select = dash_duo.wait_for_element('select[id*=\'"key":"division"\']', timeout=30)
    WebDriverWait(dash_duo.driver, 20).until(lambda d: select.get_attribute("value"))
    Select(select).select_by_value("SW")
    WebDriverWait(dash_duo.driver, 20).until(
        lambda d: d.find_element("id", "pack-link").get_attribute("href").endswith("/pack/SW.pdf"))
    # Let the page finish redrawing for the division before pressing (a press during the redraw is lost).
    WebDriverWait(dash_duo.driver, 30).until(
        lambda d: "South Worcestershire" in d.find_element("id", "overview-board").text)
    dash_duo.wait_for_no_elements("._dash-loading", timeout=30)
    link = dash_duo.find_element("#pack-link")
    if link.get_attribute("download") is None:
        # Not prepared (the shared demo store is published without its packs): the button opens
        # the "being prepared" page in a new tab, which starts the build, then says so until
        # the pack is ready (dashboard.app._pack_readiness polls while it is not).
        _press(dash_duo, "#pack-link")
        WebDriverWait(dash_duo.driver, 30).until(lambda d: "being prepared" in link.text)
        assert "disabled" in link.get_attribute("class")
        WebDriverWait(dash_duo.driver, 240).until(lambda d: link.get_attribute("download") is not None)
        assert link.text == "Meeting pack (PDF)" and "disabled" not in link.get_attribute("class")
        if any(folder.glob("*.pdf")):  # the new tab's page asked again (it refreshes) and got the file
            for old in folder.glob("*.pdf"):
                old.unlink()
    _press(dash_duo, "#pack-link")
    pdf = _downloaded(folder, ".pdf", timeout=120)
    assert pdf.read_bytes().startswith(b"%PDF-")
    first = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], check=True, capture_output=True,
                           text=True).stdout
    assert "South Worcestershire division" in first
