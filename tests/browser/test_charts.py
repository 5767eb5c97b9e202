"""The charts as Chromium draws them on a phone (390×844; test_viewports checks every width): no title, axis
title, annotation, legend entry or tick label outside its chart's box; every mark named in a
legend; the matrix's log axes read 25, 50, 100, 200, 400; titles state the published finding
with a "Source:" line; trend panels say the published trend in words; the equality chart shows
both groups' rates, and under a division says the figure is the force's; every area is drawn on
the map, the suppressed ones grey and named "suppressed (base below N)"; the ranked chart's and
the spine chart's arrows give the direction of the value against the force. Everything is read
from what the browser drew (the SVG and plotly's full data), checked against the published tables."""

from __future__ import annotations

import time

import pytest
from selenium.common.exceptions import JavascriptException, TimeoutException
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.app import create_app
from dashboard.data.store import Store
from dashboard.figures.common import NO_VALUE
from dashboard.live import snapshot_config
from dashboard.views.words import FLAG_COLOUR, FORCE_ONLY, suppressed_label, trend_words

pytestmark = pytest.mark.browser

# The phone, where most can go wrong (one trends column, wrapped titles); tests/browser/test_viewports.py
# checks every chart's text at 1920, 1366 and 390 px.
WIDTHS = [(390, 844)]

# Every text of every chart on the page whose box leaves its chart's box (1 px of slack).
CLIPPED = """
var out = [];
document.querySelectorAll('.js-plotly-plot').forEach(function (gd) {
  var svg = gd.querySelector('.main-svg');
  if (!svg) { return; }
  var box = svg.getBoundingClientRect();
  gd.querySelectorAll('.gtitle, .g-gtitle text, .g-xtitle, .g-ytitle, .annotation-text, .legendtext, '
                      + '.xtick text, .ytick text, .cbtitle text, .cbaxis text').forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) { return; }
    if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
      out.push((gd.parentElement.id || gd.id) + ': ' + (e.textContent || '').slice(0, 60));
    }
  });
});
return out;"""
DRAWN = ("var gd = document.querySelector(arguments[0] + ' .js-plotly-plot');"
         "return !!(gd && gd._fullData && gd._fullData.length > 0 && gd.querySelector('.main-svg'));")
# A text's lines (plotly draws each line of a <br>-broken text as a tspan.line) joined by spaces.
LINES = ("function txt(e) { if (!e) return ''; var l = e.querySelectorAll('tspan.line');"
         " return (l.length ? Array.from(l).map(x => x.textContent).join(' ') : e.textContent)"
         ".replace(/\u200b/g, ''); }")
TEXTS = (LINES + "var gd = document.querySelector(arguments[0] + ' .js-plotly-plot');"
         "return gd ? Array.from(gd.querySelectorAll(arguments[1])).map(txt) : [];")
TITLE = (LINES + "var gd = document.querySelector(arguments[0] + ' .js-plotly-plot');"
         "return [txt(gd && gd.querySelector('.gtitle')), txt(gd && gd.querySelector('.gtitle-subtitle'))];")
MAP_PATHS = """var gd = document.querySelector('#map-graph .js-plotly-plot');
if (!gd || !gd._fullData || !gd._fullData.length) return null;
var t = gd._fullData[0];
return {locations: Array.from(t.locations), text: Array.from(t.text),
        fills: Array.from(document.querySelectorAll('#map-graph path.choroplethlocation'))
                  .map(p => [p.__data__ && p.__data__.loc, getComputedStyle(p).fill])};"""
BARS = """var gd = document.querySelector('#map-bars .js-plotly-plot');
if (!gd || !gd._fullData || !gd._fullData.length) return null;
var t = gd._fullData[0];
var line = (gd._fullLayout.shapes || []).filter(s => s.type === 'line' && s.x0 === s.x1)[0];
return {y: Array.from(t.y), x: Array.from(t.x), color: Array.from(t.marker.color),
        symbol: Array.from(t.marker.symbol), force: line ? line.x0 : null};"""


def _wait(dash_duo, condition, timeout=30):
    return WebDriverWait(dash_duo.driver, timeout, ignored_exceptions=(TimeoutException, JavascriptException)).until(
        lambda d: condition())


def _drawn(dash_duo, *graphs):
    for graph in graphs:
        _wait(dash_duo, lambda graph=graph: dash_duo.driver.execute_script(DRAWN, graph))


def _texts(dash_duo, graph, selector):
    return dash_duo.driver.execute_script(TEXTS, graph, selector)


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))


def _shot(dash_duo, graph, path):
    """A screenshot of the chart itself (scrolled into view), as the reader sees it."""
    element = dash_duo.find_element(graph)
    size = dash_duo.driver.get_window_size()
    tall = int(dash_duo.driver.execute_script("return arguments[0].getBoundingClientRect().height;", element))
    dash_duo.driver.set_window_size(size["width"], max(size["height"], tall + 150))
    dash_duo.driver.execute_script("arguments[0].scrollIntoView();", element)
    time.sleep(0.5)  # plotly redraws on the resize
    dash_duo.driver.save_screenshot(str(path))
    dash_duo.driver.set_window_size(size["width"], size["height"])


def _not_clipped(dash_duo, where):
    assert dash_duo.driver.execute_script(CLIPPED) == [], where


@pytest.mark.parametrize("size", WIDTHS, ids=[f"{w}px" for w, _ in WIDTHS])
def test_charts_fit_and_explain_themselves(size, dash_duo, demo_store, screenshots):
    snapshot = Store(demo_store).open()
    config = snapshot_config(snapshot)
    width = size[0]
    dash_duo.driver.set_window_size(*size)
    dash_duo.start_server(create_app(demo_store))
    base = dash_duo.server_url

    # Trends, the force: each panel's title gives the published trend in words; the change markers
    # and reference lines are in the legend; on a phone, one panel a row.
    dash_duo.driver.get(base + "/trends")
    _drawn(dash_duo, "#trends-graph")
    _wait(dash_duo, lambda: len(_texts(dash_duo, "#trends-graph", ".legendtext")) >= 4)
    trends = snapshot.table("trends")
    spi1e = config.indicator("spi1e")
    published = trends[(trends.level == "force") & (trends.indicator == "spi1e")]["direction"].iat[0]
    panels = _texts(dash_duo, "#trends-graph", ".annotation-text")
    assert any(t.startswith(spi1e.short_name) and trend_words(published, spi1e.polarity) in t for t in panels)
    legend = _texts(dash_duo, "#trends-graph", ".legendtext")
    assert {"▲ significant rise", "▼ significant fall", "blue: the change is better",
            "red: the change is worse"} <= set(legend)
    assert {"Estimate", "Target", "MSF average"} <= set(legend)
    title, source = dash_duo.driver.execute_script(TITLE, "#trends-graph")
    assert source.startswith("Source: ") and snapshot.id in source
    starts = dash_duo.driver.execute_script(
        "var L = document.querySelector('#trends-graph .js-plotly-plot')._fullLayout;"
        "return Object.keys(L).filter(k => /^xaxis\\d*$/.test(k)).map(k => L[k].domain[0]);")
    assert len({round(s, 3) for s in starts}) == (1 if width < 700 else 3)
    _shot(dash_duo, "#trends-graph", screenshots / f"charts-trends-{width}.png")
    _not_clipped(dash_duo, "trends")

    # Trends under a division: the force-only indicators are there, titled as the force's.
    dash_duo.driver.get(base + "/trends#division=NW")
    _wait(dash_duo, lambda: any(FORCE_ONLY in t for t in _texts(dash_duo, "#trends-graph", ".annotation-text")))
    est = snapshot.table("estimates")
    force_only = set(est.loc[est.level == "force", "indicator"]) - set(est.loc[est.level == "division", "indicator"])
    names = {config.indicator(i).short_name for i in force_only if config.indicator(i).kind != "gap"}
    marked = {t.split(FORCE_ONLY)[0].strip() for t in _texts(dash_duo, "#trends-graph", ".annotation-text")
              if FORCE_ONLY in t}
    assert marked == names
    _not_clipped(dash_duo, "trends, a division")

    # Equality under a division: both groups' rates with intervals, a legend naming every line, and
    # the force's figure said to be the force's where the division's own gap is withheld.
    gaps = snapshot.table("gaps")
    latest = gaps[(gaps.indicator == "spi3b")]["period"].max()
    own = gaps[(gaps.geography_code == "NW") & (gaps.period == latest) & ~gaps.suppressed]
    dash_duo.driver.get(base + "/equality#division=NW")
    _drawn(dash_duo, "#equality-gap")
    _wait(dash_duo, lambda: "Gap" in " ".join(_texts(dash_duo, "#equality-gap", ".legendtext")))
    legend = _texts(dash_duo, "#equality-gap", ".legendtext")
    gap = config.indicator("spi3b")
    for group in gap.groups:
        assert any(t.startswith(group.replace("_", " ") + ":") for t in legend), group
    assert any("Each group's rate" in t and "interval" in t for t in _texts(dash_duo, "#equality-gap",
                                                                           ".annotation-text"))
    assert any(t.startswith("Gap") and "(force)" in t for t in legend)
    assert any("differs from zero" in t for t in legend)
    title, source = dash_duo.driver.execute_script(TITLE, "#equality-gap")
    assert (FORCE_ONLY in title) == own.empty
    assert source.startswith("Source: ")
    _shot(dash_duo, "#equality-gap", screenshots / f"charts-equality-{width}.png")
    _not_clipped(dash_duo, "equality")
    # A withheld row never says "no": the survey cannot tell.
    verdicts = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('#equality-gap-table td[data-flag=\"suppressed\"]'))"
        ".map(td => td.textContent);")
    assert all(v.startswith("cannot tell") for v in verdicts)

    # The matrix's log axes read in round numbers.
    dash_duo.driver.get(base + "/matrix")
    _drawn(dash_duo, "#matrix-scatter")
    _wait(dash_duo, lambda: _texts(dash_duo, "#matrix-scatter", ".xtick text"))
    for axis in (".xtick text", ".ytick text"):
        ticks = _texts(dash_duo, "#matrix-scatter", axis)
        assert "100" in ticks and set(ticks) <= {"12.5", "25", "50", "100", "200", "400", "800"}, ticks
    assert "Cut between bands" in _texts(dash_duo, "#matrix-scatter", ".legendtext")
    _shot(dash_duo, "#matrix-scatter", screenshots / f"charts-matrix-{width}.png")
    _not_clipped(dash_duo, "matrix")

    # The map: SPI 1e by area (many suppressed). Every area drawn; the suppressed ones grey, named
    # so in the colour bar and the hover; the ranked chart's title states the published finding.
    period = est["period"].max()
    area_est = est[(est.indicator == "spi1e") & (est.level == "area") & (est.period == period)
                   & (est.subgroup_dimension == "all")]
    suppressed = set(area_est.loc[area_est.suppressed, "geography_code"])
    areas = snapshot.table("areas")
    suppressed |= set(areas.area_code) - set(area_est.geography_code)
    assert len(suppressed) > 50
    dash_duo.driver.get(base + "/map#indicator=spi1e")
    drawn = _wait(dash_duo, lambda: (lambda v: v if v and len(v["fills"]) == len(areas) else None)(
        dash_duo.driver.execute_script(MAP_PATHS)))
    assert sorted(drawn["locations"]) == sorted(areas.area_code)
    grey = {code for code, fill in drawn["fills"] if fill == _rgb(NO_VALUE)}
    assert grey == suppressed
    label = suppressed_label(config.suppression_threshold)
    hover = dict(zip(drawn["locations"], drawn["text"]))
    assert all(hover[c] == label for c in suppressed)
    assert label.replace(" (", "(") in "".join(_texts(dash_duo, "#map-graph", ".cbaxis text")).replace(" (", "(")
    note = _texts(dash_duo, "#map-graph", ".annotation-text")
    assert any(t.startswith("Source: ") and snapshot.id in t for t in note)
    _drawn(dash_duo, "#map-bars")
    title, source = dash_duo.driver.execute_script(TITLE, "#map-bars")
    assert "differs significantly" in title or "significantly" in title
    assert source.startswith("Source: ") and "survey" in source
    _shot(dash_duo, "#map-graph", screenshots / f"charts-map-{width}.png")
    _shot(dash_duo, "#map-bars", screenshots / f"charts-ranked-{width}.png")
    _not_clipped(dash_duo, "map")

    # Ranked bars of an indicator with flagged areas, lower is better: ▲ / ▼ is the direction of
    # the value against the force, never "better"; better / worse is the colour.
    dash_duo.driver.get(base + "/map#indicator=worry_burglary")
    bars = _wait(dash_duo, lambda: (lambda v: v if v and v["force"] is not None and len(v["y"]) > 50 else None)(
        dash_duo.driver.execute_script(BARS)))
    arrows = 0
    for x, colour, symbol in zip(bars["x"], bars["color"], bars["symbol"]):
        if colour in (FLAG_COLOUR["better"], FLAG_COLOUR["worse"]):
            arrows += 1
            assert symbol == ("triangle-up" if x >= bars["force"] else "triangle-down"), (x, bars["force"])
    assert arrows
    legend = _texts(dash_duo, "#map-bars", ".legendtext")
    assert {"▲ higher than the force", "▼ lower than the force", "blue: better than the force",
            "red: worse than the force"} <= set(legend)
    _not_clipped(dash_duo, "map, worry")

    # The area profile's spine chart: legend, finding, source; no text clipped.
    code = sorted(areas.area_code)[0]
    dash_duo.driver.get(base + f"/area/{code}")
    _drawn(dash_duo, "#area-spine", "#area-funnel")
    legend = _texts(dash_duo, "#area-spine", ".legendtext")
    assert {"25th to 75th percentile", "Division"} <= set(legend) and any("Force" in t for t in legend)
    assert _texts(dash_duo, "#area-spine", ".xtick text") == ["worst", "force", "best"]
    title, source = dash_duo.driver.execute_script(TITLE, "#area-spine")
    ac = snapshot.table("area_comparisons")
    mine = ac[(ac.area_code == code) & (ac.period == period)]
    if mine["flag"].isin(["better", "worse"]).any():
        assert "significantly" in title
    assert source.startswith("Source: ")
    _shot(dash_duo, "#area-spine", screenshots / f"charts-spine-{width}.png")
    _not_clipped(dash_duo, "area profile")
    logs = dash_duo.get_logs()
    assert logs == [], [e["message"][90:700] for e in logs]


def test_another_forces_charts_fit_a_phone(dash_duo, example_stores, screenshots):
    """Eastmoor (a force with other indicators, periods and groups) at 390 px: no chart text outside
    its chart on the pages with charts, and each of the main charts carries its Source line."""
    example = example_stores["eastmoor"]
    snapshot = Store(example.store).open()
    code = sorted(snapshot.table("areas")["area_code"])[0]
    dash_duo.driver.set_window_size(390, 844)
    dash_duo.start_server(create_app(example.store))
    for path, graphs in (("/trends", ["#trends-graph"]), ("/equality", ["#equality-gap"]),
                         ("/map", ["#map-graph", "#map-bars"]), (f"/area/{code}", ["#area-spine"])):
        dash_duo.driver.get(dash_duo.server_url + path)
        _drawn(dash_duo, *graphs)
        for graph in graphs:
            title, source = dash_duo.driver.execute_script(TITLE, graph)
            notes = _texts(dash_duo, graph, ".annotation-text")
            assert any(t.startswith("Source: ") for t in [title, source, *notes]), (path, graph)
        _shot(dash_duo, graphs[-1], screenshots / f"charts-eastmoor{path.split('/')[1] or 'area'}-390.png")
        _not_clipped(dash_duo, path)
    logs = dash_duo.get_logs()
    assert logs == [], [e["message"][90:700] for e in logs]
