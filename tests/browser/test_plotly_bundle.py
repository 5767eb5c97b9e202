"""In Chromium: the pages draw with the dashboard's own plotly.js (assets/plotly-partial.min.js,
tools/plotly-bundle/) and never ask for Dash's full bundle, and the map's shapes cross the wire
once: moving from /map to /matrix fetches nothing, and a reload takes them from the browser's
cache. Read from the browser's own Resource Timing."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.app import create_app
from tests.conftest import REPO

pytestmark = pytest.mark.browser

MANIFEST = json.loads((REPO / "tools" / "plotly-bundle" / "manifest.json").read_text())
# Dash's full bundle is package_data/plotly.min.js of the plotly package (dash.Dash._setup_plotlyjs),
# fetched by dcc.Graph when window.Plotly is not defined yet (dcc's plotly loader).
FULL_BUNDLE = "_dash-component-suites/plotly/"
RESOURCES = "return performance.getEntriesByType('resource').map(r => [r.name, r.transferSize, r.decodedBodySize]);"
# The map in ``graph`` is drawn: every location it was given has its shape on the page.
MAP_DRAWN = """var gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
if (!(gd && gd._fullData && gd._fullData.length && gd._fullData[0].locations)) return 0;
var n = gd._fullData[0].locations.length;
return document.querySelectorAll('#' + arguments[0] + ' path.choroplethlocation').length === n ? n : 0;"""


def _drawn(driver, graph: str) -> int:
    return WebDriverWait(driver, 30).until(lambda d: d.execute_script(MAP_DRAWN, graph))


def _geometry(driver) -> list[list]:
    return [r for r in driver.execute_script(RESOURCES) if "/geometry/" in r[0]]


def test_partial_bundle_and_shapes_once(dash_duo, demo_store):
    dash_duo.start_server(create_app(demo_store))
    driver = dash_duo.driver
    driver.get(dash_duo.server_url + "/map")
    assert _drawn(driver, "map-graph") == 145
    names = [r[0] for r in driver.execute_script(RESOURCES)]
    assert not [n for n in names if FULL_BUNDLE in n]
    assert any("/assets/plotly-partial.min.js" in n for n in names)
    # The plotly.js drawing the page is the bundle of the recipe: its version, its trace types.
    assert driver.execute_script("return Plotly.version") == MANIFEST["plotly_js"]
    assert sorted(driver.execute_script("return Object.keys(Plotly.PlotSchema.get().traces)")) == MANIFEST["traces"]
    fetched = _geometry(driver)
    assert len(fetched) == 1 and fetched[0][1] > 0, fetched  # the shapes, once, over the network

    driver.find_element("css selector", "nav a[href^='/matrix']").click()  # the pages router: no reload
    assert _drawn(driver, "matrix-map") > 0
    assert _geometry(driver) == fetched  # the same shapes: not asked for again
    assert not [r for r in driver.execute_script(RESOURCES) if FULL_BUNDLE in r[0]]

    driver.refresh()
    assert _drawn(driver, "matrix-map") > 0
    again = _geometry(driver)
    assert len(again) == 1 and again[0][1] == 0 and again[0][2] > 0, again  # from the browser's cache
    assert dash_duo.get_logs() == []  # no console error, no Content-Security-Policy violation
