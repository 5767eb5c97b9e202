"""Every example force (`dashboard demo --force NAME`) in a real Chromium: every page loads with
an empty console and no server error, says which force it shows (and, for synthetic data only,
that the data are synthetic), and the map draws every area of the force's areas file."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest
import requests
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.app import create_app, page_paths
from dashboard.components.banner import SYNTHETIC_BANNER
from dashboard.data.examples import EXAMPLES
from tests.browser.audits import OFF_ORIGIN

pytestmark = pytest.mark.browser

# The page has rendered and no callback is waiting for an answer.
SETTLED = ("var main = document.querySelector('#main');"
           "return document.readyState === 'complete' && !!main && main.innerText.trim().length > 0"
           " && !!window.store && !window.store.getState().isLoading"
           " && !document.querySelector('[data-dash-is-loading=\"true\"]');")
MAP_LOCATIONS = ("var gd = document.querySelector('#map-graph .js-plotly-plot');"
                 "return gd && gd._fullData && gd._fullData.length ? gd._fullData[0].locations : null;")
HEADING = "var h = document.querySelector('main h1'); return h ? h.innerText : '';"


# West Mercia's demo is the store every other browser test uses (test_pages, test_viewports walk all
# its pages, console and off-origin checks included): here, the forces that are not West Mercia.
OTHER_FORCES = [name for name in EXAMPLES if name != "west-mercia"]


@pytest.mark.parametrize("name", OTHER_FORCES)
def test_every_page_of_every_example_force_loads_and_the_map_draws_every_area(name, dash_duo, example_stores,
                                                                               screenshots):
    example = example_stores[name]
    codes = pd.read_csv(example.source / "areas.csv", dtype=str)["area_code"].tolist()
    force_name = tomllib.loads((example.source / "force.toml").read_text(encoding="utf-8"))["force"]["name"]
    dash_duo.start_server(create_app(example.store))
    for path in page_paths(codes[0]):
        url = dash_duo.server_url + path
        assert requests.get(url, timeout=30).status_code < 500, path
        dash_duo.driver.get(url)
        _wait(dash_duo, SETTLED, f"{path} did not settle")
        if path == "/map":
            _wait(dash_duo, MAP_LOCATIONS, "the map drew nothing")
            assert sorted(dash_duo.driver.execute_script(MAP_LOCATIONS)) == sorted(codes)
            assert len(dash_duo.find_elements("#map-graph path.choroplethlocation")) == len(codes)
        shot = path.replace("/", "_") if path != "/" else "_"
        dash_duo.driver.save_screenshot(str(screenshots / f"{name}{shot}.png"))
        assert dash_duo.driver.execute_script(HEADING).startswith(force_name), path
        assert len(dash_duo.find_elements(f"#{SYNTHETIC_BANNER}")) == int(EXAMPLES[name].synthetic), path
        assert dash_duo.driver.execute_script(OFF_ORIGIN) == [], path
        # A callback answered 5xx shows here too: Chromium logs every failed request as an error.
        assert dash_duo.get_logs() == [], path


def _wait(dash_duo, script: str, what: str, timeout: float = 30) -> None:
    """Wait for ``script`` to return something true; if it never does, fail with the console."""
    try:
        WebDriverWait(dash_duo.driver, timeout).until(lambda d: d.execute_script(script))
    except TimeoutException:
        pytest.fail(f"{what} in {timeout:g} s; console: {[e['message'][:300] for e in dash_duo.get_logs()]}")
