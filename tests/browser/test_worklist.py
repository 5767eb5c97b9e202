"""The commander's worklist page in a real Chromium: it is in the navigation, follows the page-wide
division control, lists each area's reasons in words beside its figures, links to the area, and
offers its downloads; the area page links to the one-page profile PDF. Eastmoor (no matrix)
says what it cannot list."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.app import create_app
from dashboard.data.store import Store
from dashboard.live import snapshot_config
from dashboard.views.words import WORKLIST_DIVISION_TARGETS, WORKLIST_NO_MATRIX
from dashboard.views.worklist import worklist
from tests.browser.audits import OFF_ORIGIN, axe_source, serious_violations
from tests.browser.test_pages import _select

pytestmark = pytest.mark.browser

ROWS = "return Array.from(document.querySelectorAll('.worklist-table tbody tr')).map(" \
       "r => [r.dataset.geography, r.dataset.kind, r.dataset.verdict, r.innerText]);"


@pytest.fixture(scope="module")
def axe_js() -> str:
    return axe_source()


def _rows(dash_duo, count):
    WebDriverWait(dash_duo.driver, 30).until(lambda d: len(d.execute_script(ROWS)) == count)
    return dash_duo.driver.execute_script(ROWS)


def test_the_worklist_follows_the_division_and_links_to_each_area(dash_duo, demo_store, screenshots, axe_js):
    snapshot = Store(demo_store).open()
    config = snapshot_config(snapshot)
    dash_duo.start_server(create_app(demo_store))
    dash_duo.driver.set_window_size(1366, 768)
    dash_duo.driver.get(dash_duo.server_url + "/worklist#division=NW")
    nw = worklist(snapshot, config, "NW")
    rows = _rows(dash_duo, len(nw.rows))
    assert [r[0] for r in rows] == list(nw.rows["geography_code"])
    assert [(r[1], r[2]) for r in rows] == list(zip(nw.rows["kind"], nw.rows["verdict"]))
    # Each row shows the reason in words and its figures with interval and base.
    for (_, _, _, text), reason, figures in zip(rows, nw.rows["reason"], nw.rows["figures"]):
        assert reason in text and figures in text
    page = dash_duo.find_element("#main").text
    assert WORKLIST_DIVISION_TARGETS in page and "Download CSV" in page and "Download Excel" in page
    nav = [a.text for a in dash_duo.find_elements("nav a")]
    assert "Worklist" in nav
    dash_duo.driver.save_screenshot(str(screenshots / "worklist_NW_1366.png"))
    found = serious_violations(dash_duo.driver, axe_js)
    assert found == [], found
    # The page-wide control changes the list in place: another division's areas only.
    _select(dash_duo, "division", "SH")
    sh = worklist(snapshot, config, "SH")
    assert [r[0] for r in _rows(dash_duo, len(sh.rows))] == list(sh.rows["geography_code"])
    # An area's name is a link to its profile, which offers the one-page PDF.
    first = sh.rows[sh.rows.level == "area"].iloc[0]
    link = dash_duo.find_element(f'.worklist-table a[href="/area/{first.geography_code}"]')
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", link)
    link = dash_duo.wait_for_element("#area-profile-pdf", timeout=30)
    assert link.get_attribute("href").endswith(f"/profile/{first.geography_code}.pdf")
    assert dash_duo.driver.execute_script(OFF_ORIGIN) == []
    assert dash_duo.get_logs() == []


def test_eastmoors_worklist_says_it_has_no_matrix(dash_duo, example_stores, screenshots):
    store = example_stores["eastmoor"].store
    snapshot = Store(store).open()
    wl = worklist(snapshot, snapshot_config(snapshot), "all")
    dash_duo.start_server(create_app(store))
    dash_duo.driver.get(dash_duo.server_url + "/worklist")
    rows = _rows(dash_duo, len(wl.rows))
    assert len(rows) and WORKLIST_NO_MATRIX in dash_duo.find_element("#main").text
    headings = [h.text for h in dash_duo.find_elements("#worklist-list h2")]
    assert [h.split(":")[0] for h in headings] == [d[1] for d, _ in wl.groups()]
    dash_duo.driver.save_screenshot(str(screenshots / "worklist_eastmoor_all.png"))
    assert dash_duo.get_logs() == []
