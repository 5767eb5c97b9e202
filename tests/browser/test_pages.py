"""Every page in a real Chromium: loads without console errors; the division filter, the map's
indicator, links with selections, and clicking an area all work as a person would use them."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.ui import Select, WebDriverWait

from dashboard.app import create_app
from dashboard.data.store import Store
from dashboard.views.words import FLAGS

pytestmark = pytest.mark.browser


MAP_LOCATIONS = ("var gd = document.querySelector('#map-graph .js-plotly-plot');"
                 "return gd && gd._fullData && gd._fullData.length ? gd._fullData[0].locations : null;")
MAP_Z = ("var gd = document.querySelector('#map-graph .js-plotly-plot');"
         "return gd && gd._fullData && gd._fullData.length ? gd._fullData[0].z : null;")


def _select(dash_duo, key, value):
    element = dash_duo.wait_for_element(f'select[id*=\'"key":"{key}"\']', timeout=20)
    WebDriverWait(dash_duo.driver, 20).until(lambda d: element.get_attribute("value"))
    Select(element).select_by_value(value)


def _wait(dash_duo, condition, timeout=20):
    return WebDriverWait(dash_duo.driver, timeout).until(lambda d: condition())


@pytest.fixture()
def app_url(dash_duo, demo_store):
    dash_duo.start_server(create_app(demo_store))
    return dash_duo.server_url


def _csp_violations(logs: list[dict]) -> list[str]:
    return [e["message"] for e in logs if "Content Security Policy" in e["message"]]




def test_the_content_security_policy_refuses_an_injected_script(dash_duo, app_url):
    """The dashboard's Content-Security-Policy (dashboard/serving.py) holds in the browser: a
    script injected into the page is refused, and Chromium reports the violation. (Every page's
    console is empty, nothing points off the origin and axe finds no serious violation: the
    viewport sweep, tests/browser/test_viewports.py, checks those on every registered page.)"""
    dash_duo.driver.get(app_url + "/")
    dash_duo.wait_for_element("#meeting-board tbody tr", timeout=30)
    assert "Synthetic demonstration data" in dash_duo.find_element("#synthetic-banner").text
    assert dash_duo.get_logs() == []
    dash_duo.driver.execute_script("var s = document.createElement('script'); s.textContent = 'window.injected = 1';"
                                   "document.body.appendChild(s);")
    assert dash_duo.driver.execute_script("return window.injected") is None
    assert _wait(dash_duo, lambda: _csp_violations(dash_duo.get_logs()), timeout=10)


def test_division_filter_shows_exactly_that_division(dash_duo, app_url, demo_store):
    dash_duo.driver.get(app_url + "/map")
    _wait(dash_duo, lambda: (dash_duo.driver.execute_script(MAP_LOCATIONS) or [None]) and
          len(dash_duo.driver.execute_script(MAP_LOCATIONS) or []) == 145)
    _select(dash_duo, "division", "NW")
    expected = set(Store(demo_store).open().table("areas").query("division_code == 'NW'")["area_code"])
    _wait(dash_duo, lambda: set(dash_duo.driver.execute_script(MAP_LOCATIONS) or []) == expected)
    assert "division=NW" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_changing_indicator_recolours_the_map(dash_duo, app_url):
    dash_duo.driver.get(app_url + "/map")
    _wait(dash_duo, lambda: len(dash_duo.driver.execute_script(MAP_Z) or []) == 145)
    _wait(dash_duo, lambda: len(set(x for x in dash_duo.driver.execute_script(MAP_Z) if x is not None)) > 10)
    before = dash_duo.driver.execute_script(MAP_Z)
    _select(dash_duo, "indicator", "worry_burglary")
    _wait(dash_duo, lambda: dash_duo.driver.execute_script(MAP_Z) != before)
    assert "indicator=worry_burglary" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_a_link_restores_its_selections_and_back_works(dash_duo, app_url, demo_store):
    dash_duo.driver.get(app_url + "/map#colour=significance&division=SH&indicator=worry_burglary&period=2007%2F08")
    shropshire = set(Store(demo_store).open().table("areas").query("division_code == 'SH'")["area_code"])
    _wait(dash_duo, lambda: set(dash_duo.driver.execute_script(MAP_LOCATIONS) or []) == shropshire)
    for key, value in (("indicator", "worry_burglary"), ("colour", "significance"), ("period", "2007/08"),
                       ("division", "SH")):
        el = dash_duo.find_element(f'select[id*=\'"key":"{key}"\']')
        assert el.get_attribute("value") == value, key
    _wait(dash_duo, lambda: set(dash_duo.driver.execute_script(MAP_Z) or [None]) <= set(range(len(FLAGS))))
    _select(dash_duo, "division", "TW")
    _wait(dash_duo, lambda: "division=TW" in dash_duo.driver.current_url)
    dash_duo.driver.back()
    _wait(dash_duo, lambda: dash_duo.find_element('select[id*=\'"key":"division"\']').get_attribute("value") == "SH")
    _wait(dash_duo, lambda: set(dash_duo.driver.execute_script(MAP_LOCATIONS) or []) == shropshire)
    assert dash_duo.get_logs() == []


def test_clicking_an_area_opens_its_profile(dash_duo, app_url, screenshots):
    dash_duo.driver.get(app_url + "/map")
    _wait(dash_duo, lambda: len(dash_duo.driver.execute_script(MAP_LOCATIONS) or []) == 145)
    shapes = dash_duo.find_elements("#map-graph path.choroplethlocation")
    assert len(shapes) == 145
    # As a person does: move onto the shape (plotly needs the hover first), then click.
    ActionChains(dash_duo.driver).move_to_element(shapes[40]).pause(0.5).click().perform()
    _wait(dash_duo, lambda: "/area/" in dash_duo.driver.current_url)
    code = dash_duo.driver.current_url.rsplit("/area/", 1)[1].split("#")[0]
    _wait(dash_duo, lambda: f"({code})" in dash_duo.driver.execute_script(
        "var h = document.querySelector('main h2'); return h ? h.innerText : ''"))
    dash_duo.wait_for_element("#area-funnel .js-plotly-plot", timeout=20)
    dash_duo.driver.save_screenshot(str(screenshots / "area-profile-after-click.png"))
    assert dash_duo.get_logs() == []
