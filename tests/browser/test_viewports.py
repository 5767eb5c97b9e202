"""Every page at the three screens it is read on: a projector (1920x1080), a laptop (1366x768) and a
phone (390x844). No chart text sticks out of its chart, no HTML text is cut off by a box that hides
its overflow, and on the phone the page never scrolls sideways (wide tables scroll in their own
box). Every page is photographed at every width (whole page, capped) into
test-artifacts/screenshots/<page>-<width>.png. At every width the console stays empty (a
Content-Security-Policy violation is a console error); at the laptop width nothing on the page
points off the dashboard's origin and axe-core finds no serious or critical WCAG violation
(tests/browser/audits.py).

One browser and one server go through every page at every width once (the ``sweep`` fixture);
the tests below each read one finding of that sweep, so a failure names its page and width. The
pages come from Dash's page registry: a page added later is covered without a change here."""

from __future__ import annotations

import base64
import json
import time

import dash
import pandas as pd
import pytest
from dash.testing.application_runners import ThreadedRunner
from dash.testing.composite import DashComposite
from selenium.common.exceptions import JavascriptException, TimeoutException

from dashboard.app import create_app  # imports the pages, so the registry is full
from tests.browser.audits import OFF_ORIGIN, axe_source, serious_violations

pytestmark = pytest.mark.browser

WIDTHS = {1920: 1080, 1366: 768, 390: 844}
PHONE = 390
AUDITED = 1366  # the width at which origin and accessibility are audited (they do not change with width)
MAX_SHOT_HEIGHT = 6000  # a full-page screenshot stops here
TOLERANCE = 1.0  # px: sub-pixel rounding is not clipping


def _pages() -> list[tuple[str, str]]:
    """(name, path or path template) of every registered page, in the navigation's order: the
    name is the path's first part ("overview" for the root)."""
    pages = sorted(dash.page_registry.values(), key=lambda p: p["order"])
    return [((p.get("path_template") or p["path"]).strip("/").split("/")[0] or "overview",
             p.get("path_template") or p["path"]) for p in pages]


PAGES = _pages()

# The page has rendered, no callback is waiting, and every chart has been drawn by plotly.
READY = """
var main = document.querySelector('#main');
if (document.readyState !== 'complete' || !main || !main.innerText.trim() || !window.store
    || window.store.getState().isLoading || document.querySelector('[data-dash-is-loading="true"]')) return null;
// No callback still on its way (a chart whose figure arrives late would be checked, and shot, empty).
var cb = window.store.getState().callbacks || {};
if (['requested', 'prioritized', 'blocked', 'executing', 'watched', 'executed', 'stored'].some(function (k) {
      return (cb[k] || []).length > 0; })) return null;
var graphs = Array.from(document.querySelectorAll('.js-plotly-plot'));
if (!graphs.every(function (gd) { return gd._fullLayout && gd.querySelector('.main-svg'); })) return null;
return JSON.stringify([document.documentElement.scrollWidth, document.documentElement.scrollHeight,
  graphs.map(function (gd) { var r = gd.getBoundingClientRect();
    var svg = gd.querySelector('.main-svg').getBoundingClientRect();
    return [r.width, r.height, svg.width, svg.height, (gd._fullData || []).length,
            gd.querySelectorAll('text').length]; })]);"""

# Charts drawn with nothing in them (a callback that never ran leaves its graph's empty axes).
EMPTY_CHARTS = """return Array.from(document.querySelectorAll('.js-plotly-plot')).filter(function (gd) {
  return !(gd._fullData || []).length; }).map(function (gd) { var g = gd.closest('[id]'); return g ? g.id : '?'; });"""

# What the page is still waiting for, when it never gets ready.
WAITING = """
var main = document.querySelector('#main');
return {readyState: document.readyState, mainText: !!(main && main.innerText.trim()),
  storeLoading: !!(window.store && window.store.getState().isLoading),
  componentsLoading: document.querySelectorAll('[data-dash-is-loading="true"]').length,
  chartsNotDrawn: Array.from(document.querySelectorAll('.js-plotly-plot')).filter(function (gd) {
    return !(gd._fullLayout && gd.querySelector('.main-svg')); }).length};"""

# Every SVG text of every chart that reaches outside its chart: the graph div, its SVG, any
# ancestor that hides its overflow, and the page's own left edge (nothing scrolls left of 0).
CHART_TEXT_OUTSIDE = """
function visible(e) {
  for (var n = e; n && n.nodeType === 1; n = n.parentNode) {
    var cs = getComputedStyle(n);
    if (cs.display === 'none' || cs.visibility === 'hidden' || cs.opacity === '0') return false;
  }
  return e.getClientRects().length > 0;
}
var out = [];
document.querySelectorAll('.js-plotly-plot').forEach(function (gd, i) {
  var holder = gd.closest('[id]');
  var chart = holder ? holder.id : 'chart ' + i;
  var r = gd.getBoundingClientRect();
  var box = {left: Math.max(0, r.left), right: r.right, top: r.top, bottom: r.bottom};
  var svg = gd.querySelector('.main-svg');
  if (svg) { var s = svg.getBoundingClientRect(); box.left = Math.max(box.left, s.left);
    box.right = Math.min(box.right, s.right); box.top = Math.max(box.top, s.top);
    box.bottom = Math.min(box.bottom, s.bottom); }
  for (var a = gd.parentElement; a && a !== document.body; a = a.parentElement) {
    var cs = getComputedStyle(a), q = a.getBoundingClientRect();
    if (/hidden|clip/.test(cs.overflowX)) {
      box.left = Math.max(box.left, q.left); box.right = Math.min(box.right, q.right); }
    if (/hidden|clip/.test(cs.overflowY)) {
      box.top = Math.max(box.top, q.top); box.bottom = Math.min(box.bottom, q.bottom); }
  }
  gd.querySelectorAll('.main-svg text').forEach(function (t) {
    var text = (t.textContent || '').trim();
    if (!text || t.closest('.hoverlayer') || !visible(t)) return;
    var b = t.getBoundingClientRect();
    if (b.width === 0 || b.height === 0) return;
    var over = {left: box.left - b.left, right: b.right - box.right,
                top: box.top - b.top, bottom: b.bottom - box.bottom};
    var sides = Object.keys(over).filter(function (k) { return over[k] > %TOLERANCE%; });
    if (sides.length) out.push({chart: chart, text: text.slice(0, 80),
      cut: sides.map(function (k) { return k + ' ' + Math.round(over[k]) + 'px'; }).join(', ')});
  });
});
return out;""".replace("%TOLERANCE%", str(TOLERANCE))

# HTML text cut off by a box that hides its overflow (boxes that scroll are meant to: they are
# not counted). Charts (checked above) and visually-hidden text for screen readers are left out.
HTML_TEXT_CLIPPED = """
var out = [];
document.querySelectorAll('body *').forEach(function (e) {
  if (e.closest('.js-plotly-plot, svg, .visually-hidden, .visually-hidden-focusable, script, style')) return;
  var cs = getComputedStyle(e);
  var hx = /hidden|clip/.test(cs.overflowX), hy = /hidden|clip/.test(cs.overflowY);
  if (!(hx || hy) || cs.display === 'none' || !e.getClientRects().length) return;
  var text = (e.innerText || '').trim();
  if (!text) return;
  var x = hx && e.scrollWidth > e.clientWidth + %TOLERANCE%, y = hy && e.scrollHeight > e.clientHeight + %TOLERANCE%;
  if (x || y) out.push({element: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.className && e.className.baseVal === undefined ? '.' + e.className.trim().split(/\\s+/).join('.') : ''),
    text: text.replace(/\\s+/g, ' ').slice(0, 80),
    cut: (x ? 'width ' + e.scrollWidth + ' > ' + e.clientWidth : '') + (x && y ? ', ' : '') +
         (y ? 'height ' + e.scrollHeight + ' > ' + e.clientHeight : '')});
});
// A closed select shows its chosen option in one line: cut off when the text is wider than its box.
var ctx = document.createElement('canvas').getContext('2d');
document.querySelectorAll('select').forEach(function (e) {
  if (!e.getClientRects().length || e.selectedIndex < 0) return;
  var cs = getComputedStyle(e), text = e.options[e.selectedIndex].text;
  ctx.font = cs.fontStyle + ' ' + cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily;
  var room = e.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  var need = ctx.measureText(text).width;
  var label = e.closest('label');
  if (need > room + %TOLERANCE%) out.push({element: 'select' + (e.id && e.id[0] !== '{' ? '#' + e.id : '') +
    (label ? ' "' + label.innerText.split('\\n')[0] + '"' : ''), text: text,
    cut: 'text ' + Math.round(need) + ' px in ' + Math.round(room) + ' px'});
});
return out;""".replace("%TOLERANCE%", str(TOLERANCE))

# The page scrolls sideways when the document is wider than the window; the culprits are the
# outermost elements that reach past the window's right edge outside a box that scrolls itself.
SIDEWAYS = """
var width = window.innerWidth, doc = document.documentElement.scrollWidth;
if (doc <= width) return {doc: doc, width: width, culprits: []};
function scrolls(e) { for (var a = e.parentElement; a && a !== document.body; a = a.parentElement) {
  if (/auto|scroll|hidden|clip/.test(getComputedStyle(a).overflowX)) return true; } return false; }
var culprits = [];
document.querySelectorAll('body *').forEach(function (e) {
  var r = e.getBoundingClientRect();
  if (r.right <= width + 1 || scrolls(e)) return;
  if (culprits.some(function (c) { return c.contains(e); })) return;
  culprits.push(e);
});
return {doc: doc, width: width, culprits: culprits.slice(0, 5).map(function (e) {
  return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + e.className + ' right='
    + Math.round(e.getBoundingClientRect().right); })};"""


# A phone lays the page out at its own width only if the page asks for it.
VIEWPORT_META = "var m = document.querySelector('meta[name=viewport]'); return m ? m.content : null;"


def _viewport(driver, width: int, height: int) -> None:
    """The page's window in CSS pixels, exactly: the layout follows the width, as Bootstrap's
    breakpoints do. At phone width the scrollbar floats over the page as a phone's does (a
    desktop's takes 15 px of the 390); the page's viewport meta tag is checked separately."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    driver.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": width <= PHONE})


def _settle(driver, what: str, timeout: float = 60) -> None:
    """Wait until the page is ready and its size and charts stay the same for 0.3 s."""
    deadline, last, since = time.monotonic() + timeout, None, 0.0
    while time.monotonic() < deadline:
        try:
            now = driver.execute_script(READY)
        except (JavascriptException, TimeoutException):  # a page still busy drawing answers late
            now = None
        if now is not None and now == last:
            if time.monotonic() - since >= 0.3:
                return
        else:
            last, since = now, time.monotonic()
        time.sleep(0.1)
    logs = [e["message"][:300] for e in driver.get_log("browser")]
    pytest.fail(f"{what} did not settle in {timeout:g} s ({driver.execute_script(WAITING)}); console: {logs}")


def _screenshot(driver, path, width: int) -> None:
    """The whole page (up to MAX_SHOT_HEIGHT) as one PNG."""
    height = min(driver.execute_script("return document.documentElement.scrollHeight"), MAX_SHOT_HEIGHT)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True, "optimizeForSpeed": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))


def _sweep(duo, paths: dict[str, str], widths: dict[int, int], shots, prefix: str = "", axe: str | None = None) -> dict:
    """Every page at every width: what the scripts above find, and a screenshot of each. Each
    page is loaded afresh at each width, as a phone or a projector first shows it: the server
    may answer by the window's width (the trends page picks its number of panel columns from it
    when the page loads), so narrowing a page loaded wide would not show what a phone shows."""
    found = {}
    driver = duo.driver
    for width, height in widths.items():
        _viewport(driver, width, height)
        for name, path in paths.items():
            driver.get(duo.server_url + path)
            _settle(driver, f"{path} at {width} px")
            found[name, width] = {"chart": driver.execute_script(CHART_TEXT_OUTSIDE),
                                  "html": driver.execute_script(HTML_TEXT_CLIPPED),
                                  "sideways": driver.execute_script(SIDEWAYS),
                                  "viewport_meta": driver.execute_script(VIEWPORT_META),
                                  "empty": driver.execute_script(EMPTY_CHARTS),
                                  "console": [e["message"][:300] for e in driver.get_log("browser")
                                              if e["level"] == "SEVERE"]}
            if width == AUDITED:
                found[name, width]["off_origin"] = driver.execute_script(OFF_ORIGIN)
                found[name, width]["banner"] = driver.execute_script(
                    "var b = document.querySelector('#synthetic-banner'); return b ? b.innerText : null;")
                if axe is not None:
                    found[name, width]["axe"] = serious_violations(driver, axe)
            _screenshot(driver, shots / f"{prefix}{name}-{width}.png", width)
    # All findings in one file beside the screenshots, for whoever fixes them.
    (shots.parent / f"{prefix or 'west-mercia-'}viewports.json").write_text(json.dumps(
        [{"page": n, "width": w, **f} for (n, w), f in found.items()], indent=1, ensure_ascii=False))
    return found


@pytest.fixture(scope="module")
def browser(request, tmp_path_factory):
    """One Chromium for the module (dash_duo starts one per test)."""
    with DashComposite(
            server=None, browser=request.config.getoption("webdriver"),
            headless=request.config.getoption("headless"),
            options=request.config.hook.pytest_setup_options(),
            download_path=str(tmp_path_factory.mktemp("download")), percy_run=False) as duo:
        yield duo


def _paths(store) -> dict[str, str]:
    from dashboard.data.store import Store

    code = Store(store).open().table("areas")["area_code"].sort_values().iloc[0]
    return {name: path.replace("<code>", code) for name, path in PAGES}


@pytest.fixture(scope="module")
def sweep(browser, demo_store, screenshots) -> dict:
    """West Mercia's demo, every page at every width."""
    started = time.monotonic()
    with ThreadedRunner() as browser.server:
        browser.start_server(create_app(demo_store))
        found = _sweep(browser, _paths(demo_store), WIDTHS, screenshots, axe=axe_source())
    print(f"\nviewport sweep: {len(found)} page views in {time.monotonic() - started:.0f} s")
    return found


def _lines(findings: list[dict]) -> str:
    return "\n".join("  " + json.dumps(f, ensure_ascii=False) for f in findings)


CASES = [pytest.param(name, width, id=f"{name}-{width}") for width in WIDTHS for name, _ in PAGES]


@pytest.mark.parametrize(("name", "width"), CASES)
def test_no_chart_text_sticks_out_of_its_chart(sweep, name, width):
    """Titles, axis titles, tick labels, legend entries and annotations all inside their chart."""
    found = sweep[name, width]["chart"]
    assert found == [], f"{name} at {width} px: chart text outside its chart:\n{_lines(found)}"


@pytest.mark.parametrize(("name", "width"), CASES)
def test_no_html_text_is_cut_off(sweep, name, width):
    found = sweep[name, width]["html"]
    assert found == [], f"{name} at {width} px: text cut off by a box that hides overflow:\n{_lines(found)}"
    assert sweep[name, width]["console"] == []


@pytest.mark.parametrize(("name", "width"), CASES)
def test_no_sideways_scroll(sweep, name, width):
    """The page is never wider than the window (the acceptance asks it of the phone; a laptop
    should not scroll sideways either): wide tables and charts scroll in their own box."""
    assert "width=device-width" in (sweep[name, width]["viewport_meta"] or ""), "no viewport meta tag"
    found = sweep[name, width]["sideways"]
    assert found["doc"] <= found["width"], (
        f"{name} at {width} px is {found['doc']} px wide; reaching past the edge: {found['culprits']}")


@pytest.mark.parametrize(("name", "width"), CASES)
def test_every_chart_draws_something(sweep, name, width):
    """West Mercia's demo has data for every chart on every page: a chart with empty axes is a
    callback that never ran (Recorded crime over time did not, before its page had an input of its
    own) or a figure that lost its traces."""
    assert sweep[name, width]["empty"] == [], f"{name} at {width} px: empty charts {sweep[name, width]['empty']}"


AUDITS = [pytest.param(name, id=name) for name, _ in PAGES]


@pytest.mark.parametrize("name", AUDITS)
def test_nothing_points_off_the_dashboards_origin(sweep, name):
    """No link, form, script, image or stylesheet leaves the origin, and no chart offers to upload
    itself to Plotly Cloud; the demo says on every page that its data are synthetic."""
    found = sweep[name, AUDITED]
    assert found["off_origin"] == [], f"{name}: off-origin {found['off_origin']}"
    assert "Synthetic demonstration data" in (found["banner"] or ""), f"{name}: no synthetic-data banner"


@pytest.mark.parametrize("name", AUDITS)
def test_no_serious_or_critical_accessibility_violations(sweep, name):
    """axe-core's WCAG 2.0 / 2.1 / 2.2 A and AA rules, on the page as it was drawn."""
    found = sweep[name, AUDITED]["axe"]
    assert found == [], f"{name}: " + json.dumps(found, indent=1)


PROBES = """
var main = document.body.appendChild(document.createElement('div'));
main.innerHTML = '<div id="probe-box" style="width:60px;overflow:hidden;white-space:nowrap">'
  + 'Whole force (West Mercia)</div><label>Division<select id="probe-select" style="width:80px">'
  + '<option>Whole force (West Mercia)</option></select></label>'
  + '<div id="probe-chart" class="js-plotly-plot" style="width:200px;height:100px">'
  + '<svg class="main-svg" width="200" height="100"><text x="10" y="50">inside</text>'
  + '<text x="-40" y="50">sticks out left</text><text x="150" y="50">sticks out right</text></svg></div>'
  + '<div style="overflow-x:auto"><div style="width:900px">wide, in its own box</div></div>';"""


def test_the_checks_find_what_they_look_for(browser):
    """The scripts above on a page made to fail them: clipped box, select and chart text, a wide
    element, and nothing reported for what fits or scrolls in its own box."""
    driver = browser.driver
    _viewport(driver, PHONE, WIDTHS[PHONE])
    driver.get("data:text/html,<!DOCTYPE html><html lang=en><title>probe</title><body></body></html>")
    driver.execute_script(PROBES)
    assert driver.execute_script(SIDEWAYS)["doc"] <= PHONE
    chart = driver.execute_script(CHART_TEXT_OUTSIDE)
    assert [(f["chart"], f["text"], f["cut"].split()[0]) for f in chart] == [
        ("probe-chart", "sticks out left", "left"), ("probe-chart", "sticks out right", "right")]
    html = driver.execute_script(HTML_TEXT_CLIPPED)
    assert [f["element"] for f in html] == ["div#probe-box", 'select#probe-select "Division"'], html
    driver.execute_script("document.body.appendChild(document.createElement('div')).style.cssText = "
                          "'width: 1000px; height: 1em';")
    wide = driver.execute_script(SIDEWAYS)
    assert wide["doc"] > PHONE and wide["culprits"][0].startswith("div"), wide


def test_another_force_fits_a_phone(browser, example_stores, screenshots):
    """Eastmoor (other divisions, indicators and names) at phone width: no page scrolls sideways."""
    example = example_stores["eastmoor"]
    first = pd.read_csv(example.source / "areas.csv", dtype=str)["area_code"].iloc[0]
    paths = {name: path.replace("<code>", first) for name, path in PAGES}
    with ThreadedRunner() as browser.server:
        browser.start_server(create_app(example.store))
        found = _sweep(browser, paths, {PHONE: WIDTHS[PHONE]}, screenshots, prefix="eastmoor-")
    wide = {name: f["sideways"] for (name, _), f in found.items() if f["sideways"]["doc"] > f["sideways"]["width"]}
    assert wide == {}, f"eastmoor pages wider than {PHONE} px: {wide}"
    cut = {name: f["html"] for (name, _), f in found.items() if f["html"]}
    assert cut == {}, f"eastmoor at {PHONE} px: text cut off by a box that hides overflow: {cut}"
