"""Keyboard and screen-reader use, in a real Chromium, as a person with no mouse would: the skip
link and the definition and glossary links keep the selections (they live in the URL's fragment),
every focus ring stands out at least 3:1 from the background beside it, the chart toolbars take no
Tab stop, and every map has a name that says what it shows and a table of its areas."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.app import create_app
from dashboard.data.store import Store
from dashboard.live import snapshot_config
from dashboard.views.words import FLAG_WORD, small_base_note

pytestmark = pytest.mark.browser

STATE = "colour=significance&division=SH&indicator=worry_burglary&period=2007%2F08"
SELECTIONS = {"indicator": "worry_burglary", "colour": "significance", "period": "2007/08", "division": "SH"}

# The focused element and what a sighted keyboard user sees of its focus: the outline's colour,
# style and width, and the colour of the background next to it (the first ancestor with an opaque
# background; the page's white where none has).
FOCUSED = """
var el = document.activeElement;
if (!el || el === document.body) { return null; }
var s = getComputedStyle(el);
var bg = 'rgb(255, 255, 255)';
for (var p = el.parentElement; p; p = p.parentElement) {
  var c = getComputedStyle(p).backgroundColor;
  var alpha = /rgba\\(.*,\\s*([\\d.]+)\\)$/.exec(c);  // a see-through background: look further up
  if (c && c !== 'transparent' && !(alpha && parseFloat(alpha[1]) < 1)) { bg = c; break; }
}
return {tag: el.tagName, id: el.id || '', text: (el.innerText || el.value || '').slice(0, 60),
        cls: (el.className && el.className.baseVal !== undefined) ? el.className.baseVal : (el.className || ''),
        modebar: !!el.closest('.modebar'), inMain: !!el.closest('main'),
        outlineColor: s.outlineColor, outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth),
        boxShadow: s.boxShadow, background: bg};"""


def _rgb(text: str) -> tuple[float, float, float]:
    r, g, b = (float(x) for x in re.findall(r"[\d.]+", text)[:3])
    return r, g, b


def contrast(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio of two CSS rgb() colours."""
    def lum(c):
        ch = [v / 255 for v in _rgb(c)]
        ch = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_of_known_pairs():
    # WCAG's own extremes, and Bootstrap 5.3's focus ring (#0d6efd at 25% on white = rgb(194, 219, 254)).
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21.0)
    assert contrast("rgb(255, 255, 255)", "rgb(255, 255, 255)") == pytest.approx(1.0)
    assert contrast("rgb(194, 219, 254)", "rgb(255, 255, 255)") < 1.5


def _wait(dash_duo, condition, timeout=20):
    return WebDriverWait(dash_duo.driver, timeout).until(lambda d: condition())


def _value(dash_duo, key):
    return dash_duo.find_element(f'select[id*=\'"key":"{key}"\']').get_attribute("value")


def _selections_are(dash_duo, expected: dict) -> bool:
    try:
        return all(_value(dash_duo, k) == v for k, v in expected.items())
    except Exception:  # the page is being replaced
        return False


def _hash(dash_duo) -> str:
    return dash_duo.driver.execute_script("return location.hash")


def _tab(dash_duo, shift: bool = False):
    keys = ActionChains(dash_duo.driver)
    (keys.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT) if shift else keys.send_keys(Keys.TAB)).perform()
    return dash_duo.driver.execute_script(FOCUSED)


def _open_map_with_state(dash_duo, demo_store):
    dash_duo.start_server(create_app(demo_store))
    dash_duo.driver.get(dash_duo.server_url + "/map#" + STATE)
    _wait(dash_duo, lambda: _selections_are(dash_duo, SELECTIONS), timeout=30)
    dash_duo.wait_for_element("#map-graph .js-plotly-plot", timeout=30)
    return "#" + STATE


def test_glossary_and_definition_links_keep_the_selections(dash_duo, demo_store):
    before = _open_map_with_state(dash_duo, demo_store)
    link = dash_duo.find_element('a.glossary-term[href="/glossary#fdr"]')
    dash_duo.driver.execute_script("arguments[0].focus()", link)
    ActionChains(dash_duo.driver).send_keys(Keys.ENTER).perform()
    _wait(dash_duo, lambda: dash_duo.driver.execute_script("return location.pathname") == "/glossary")
    # The entry is shown and has the focus; the division is still the one chosen.
    _wait(dash_duo, lambda: dash_duo.driver.execute_script("return document.activeElement.id") == "fdr")
    assert "allowing for chance" in dash_duo.driver.execute_script("return document.activeElement.innerText")
    _wait(dash_duo, lambda: _value(dash_duo, "division") == "SH")
    # The navigation's link back to the map carries every selection, not the division alone.
    nav_map = dash_duo.find_element('nav a[href^="/map"]')
    _wait(dash_duo, lambda: all(p in nav_map.get_attribute("href") for p in STATE.split("&")))
    dash_duo.driver.back()
    _wait(dash_duo, lambda: dash_duo.driver.execute_script("return location.pathname") == "/map")
    _wait(dash_duo, lambda: _selections_are(dash_duo, SELECTIONS), timeout=30)
    assert _hash(dash_duo) == before
    # The map's "Indicator definitions" link, then back by the navigation link.
    link = dash_duo.wait_for_element('a[data-keep-state][href="/data#definitions"]', timeout=20)
    dash_duo.driver.execute_script("arguments[0].focus()", link)
    ActionChains(dash_duo.driver).send_keys(Keys.ENTER).perform()
    _wait(dash_duo, lambda: dash_duo.driver.execute_script("return document.activeElement.id") == "definitions",
          timeout=30)
    nav_map = dash_duo.find_element('nav a[href^="/map"]')
    _wait(dash_duo, lambda: all(p in nav_map.get_attribute("href") for p in STATE.split("&")))
    dash_duo.driver.execute_script("arguments[0].focus()", nav_map)
    ActionChains(dash_duo.driver).send_keys(Keys.ENTER).perform()
    _wait(dash_duo, lambda: dash_duo.driver.execute_script("return location.pathname") == "/map")
    _wait(dash_duo, lambda: _selections_are(dash_duo, SELECTIONS), timeout=30)
    # An indicator's "(definition)" link (equality page) to its definition and back.
    dash_duo.driver.get(dash_duo.server_url + "/equality#division=SH")
    link = dash_duo.wait_for_element('a[data-keep-state][href^="/data#def-"]', timeout=30)
    target = link.get_attribute("href").rsplit("#", 1)[1]
    _wait(dash_duo, lambda: _value(dash_duo, "division") == "SH")
    dash_duo.driver.execute_script("arguments[0].focus()", link)
    ActionChains(dash_duo.driver).send_keys(Keys.ENTER).perform()
    _wait(dash_duo, lambda: dash_duo.driver.execute_script("return document.activeElement.id") == target, timeout=30)
    assert _value(dash_duo, "division") == "SH"
    dash_duo.driver.back()
    _wait(dash_duo, lambda: dash_duo.driver.execute_script("return location.pathname") == "/equality")
    _wait(dash_duo, lambda: _value(dash_duo, "division") == "SH", timeout=30)
    assert _hash(dash_duo) == "#division=SH"
    assert dash_duo.get_logs() == []


def test_skip_link_focus_rings_and_no_chart_toolbar_stops(dash_duo, demo_store, screenshots):
    """Tab through the map page from the top to the table of the map: the first stop is the skip
    link; every stop has a ring of at least 3:1 against the background beside it; no chart-toolbar
    button takes a stop. Then the skip link moves focus to <main> and leaves the URL as it was."""
    before = _open_map_with_state(dash_duo, demo_store)
    dash_duo.wait_for_element("#map-graph .modebar-btn", timeout=20)
    assert len(dash_duo.find_elements(".modebar-btn")) >= 8  # the toolbars are there, and skipped
    dash_duo.driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
    stops, kinds, shot = [], set(), False
    for _ in range(60):
        f = _tab(dash_duo)
        if f is None:
            continue
        stops.append(f)
        assert not f["modebar"], f"a chart toolbar button took a Tab stop: {f}"
        assert f["outlineStyle"] != "none" and f["outlineWidth"] >= 2, f
        ratio = contrast(f["outlineColor"], f["background"])
        assert ratio >= 3, f"focus ring {f['outlineColor']} on {f['background']}: {ratio:.2f}:1 ({f['text']!r})"
        kinds.add("nav" if "nav-link" in f["cls"] else "select" if f["tag"] == "SELECT" else
                  "button" if f["tag"] == "BUTTON" or "btn" in f["cls"] else f["tag"].lower())
        if f["tag"] == "SELECT" and not shot:
            dash_duo.driver.save_screenshot(str(screenshots / "keyboard-focus-select.png"))
            shot = True
        if f["tag"] == "SUMMARY":
            break
    else:
        pytest.fail("60 Tab stops without reaching the table of the map")
    assert {"nav", "select", "button", "a", "summary"} <= kinds, kinds
    # The map's table is the first stop after the map: all the stops are the header's, the page's
    # controls and links, never the chart's.
    assert len(stops) <= 30, [s["text"] for s in stops]
    assert stops[0]["text"] == "Skip to main content" and not stops[0]["inMain"]
    # The skip link: focus to main, the URL (and the selections in it) untouched.
    dash_duo.driver.execute_script("window.scrollTo(0, 0); document.querySelector('a.skip-link').focus()")
    assert dash_duo.driver.execute_script("return document.activeElement.getBoundingClientRect().width") > 20
    ActionChains(dash_duo.driver).send_keys(Keys.ENTER).perform()
    _wait(dash_duo, lambda: dash_duo.driver.execute_script("return document.activeElement.id") == "main")
    assert _hash(dash_duo) == before
    assert _selections_are(dash_duo, SELECTIONS)
    # The next Tab goes into the page's content, not back to the navigation.
    assert _tab(dash_duo)["inMain"]
    assert dash_duo.get_logs() == []


def test_every_map_has_a_name_and_a_table(dash_duo, demo_store, screenshots):
    """The map's caption (its accessible name) counts the published verdicts; the table has one
    row per area drawn, with a link to its profile; the same on the matrix page's map."""
    snapshot = Store(demo_store).open()
    _open_map_with_state(dash_duo, demo_store)
    comparisons = snapshot.table("area_comparisons")
    areas = snapshot.table("areas").query("division_code == 'SH'")
    flags = comparisons[(comparisons["indicator"] == "worry_burglary") & (comparisons["period"] == "2007/08")
                        & comparisons["area_code"].isin(areas["area_code"])]["flag"]
    _wait(dash_duo, lambda: "Map of" in dash_duo.find_element("#map-name").text)
    # The figure that holds the map is named by its caption.
    name = dash_duo.driver.execute_script(
        "var f = document.querySelector('#map-graph').closest('figure');"
        "var c = document.getElementById(f.getAttribute('aria-labelledby')); return c ? c.innerText : '';")
    assert name.startswith("Map of ") and "by area" in name and "2007/08" in name and "Shropshire" in name
    better, worse = int((flags == "better").sum()), int((flags == "worse").sum())
    for flag, count in (("better", better), ("worse", worse)):
        assert (f"{count} {FLAG_WORD[flag].lower()}" in name) == (count > 0), name
    summary = dash_duo.find_element("#map-areas-table").find_element(By.XPATH, "./ancestor::details/summary")
    dash_duo.driver.execute_script("arguments[0].focus()", summary)
    ActionChains(dash_duo.driver).send_keys(Keys.ENTER).perform()
    _wait(dash_duo, lambda: dash_duo.find_element("#map-areas-table").is_displayed())
    rows = dash_duo.find_elements("#map-areas-table tbody tr")
    assert len(rows) == len(areas)
    links = [r.find_element(By.CSS_SELECTOR, "th a").get_attribute("href") for r in rows]
    assert {h.rsplit("/area/", 1)[1] for h in links} == set(areas["area_code"])
    dash_duo.driver.save_screenshot(str(screenshots / "keyboard-map-table.png"))
    # The matrix page's map of resource levels.
    dash_duo.driver.get(dash_duo.server_url + "/matrix#division=SH")
    _wait(dash_duo, lambda: "Map of resource levels" in dash_duo.find_element("#matrix-map-name").text, timeout=30)
    assert dash_duo.driver.execute_script(
        "return document.querySelector('#matrix-map').closest('figure').getAttribute('aria-labelledby')") \
        == "matrix-map-name"
    assert len(dash_duo.find_elements("#matrix-map-table tbody tr")) == len(areas)
    assert dash_duo.get_logs() == []


def test_another_forces_map_has_a_name_a_table_and_a_glossary(dash_duo, example_stores):
    """Eastmoor (8 divisions, 40 areas, a survey given as area tables only): the map's caption and
    table cover its areas, its glossary says its own thresholds, and a glossary link keeps its
    division."""
    example = example_stores["eastmoor"]
    snapshot = Store(example.store).open()
    areas = snapshot.table("areas")
    division = sorted(areas["division_code"].unique())[1]
    mine = areas[areas["division_code"] == division]
    dash_duo.start_server(create_app(example.store))
    dash_duo.driver.get(dash_duo.server_url + f"/map#division={division}")
    _wait(dash_duo, lambda: "Map of" in dash_duo.find_element("#map-name").text, timeout=30)
    name = dash_duo.find_element("#map-name").text
    assert mine["division_name"].iloc[0] in name and "by area" in name
    _wait(dash_duo, lambda: len(dash_duo.find_elements("#map-areas-table tbody tr")) == len(mine))
    links = {a.get_attribute("href").rsplit("/area/", 1)[1]
             for a in dash_duo.find_elements("#map-areas-table tbody th a")}
    assert links == set(mine["area_code"])
    link = dash_duo.find_element('a.glossary-term[href="/glossary#small-base"]')
    dash_duo.driver.execute_script("arguments[0].focus()", link)
    ActionChains(dash_duo.driver).send_keys(Keys.ENTER).perform()
    _wait(dash_duo, lambda: dash_duo.driver.execute_script("return document.activeElement.id") == "small-base",
          timeout=30)
    assert _value(dash_duo, "division") == division
    entry = dash_duo.driver.execute_script("return document.getElementById('small-base').nextElementSibling.innerText")
    assert small_base_note(snapshot_config(snapshot)) in entry
    assert dash_duo.get_logs() == []
