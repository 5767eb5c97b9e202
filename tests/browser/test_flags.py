"""One significance policy, shown everywhere: for one indicator and period the areas coloured on
the map (the fills Chromium drew), marked in the tartan rug (the cells' computed backgrounds),
marked in the ranked chart (the drawn markers) and listed in the meeting pack are the same set,
and it is exactly the set the published ``area_comparisons.flag`` marks, for the whole force
and for one division. Trend markers on an area's page appear only where the published change
flag is better or worse. Nothing is read from the server's answers: only what the browser drew."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import JavascriptException, TimeoutException
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.app import create_app
from dashboard.data.store import Store
from dashboard.live import snapshot_config
from dashboard.views.words import FLAG_COLOUR, FLAG_FILL, FLAG_TINT
from dashboard.views.worklist import worklist

pytestmark = pytest.mark.browser
INDICATOR = "confidence_local"
FLAGGED = ("better", "worse")
ARROWS = {"triangle-up", "triangle-down"}

MAP_DRAWN = """var gd = document.querySelector('#map-graph .js-plotly-plot');
if (!gd || !gd._fullData || !gd._fullData.length || gd._fullData[0].zmax !== 4.5) return null;
var paths = document.querySelectorAll('#map-graph path.choroplethlocation');
return Array.from(paths).map(p => [p.__data__ && p.__data__.loc, getComputedStyle(p).fill]);"""
RUG_DRAWN = """return Array.from(document.querySelectorAll('#tartan-rug td[data-indicator="' + arguments[0] + '"]'))
    .map(td => [td.dataset.geography, getComputedStyle(td).backgroundColor]);"""
BARS_DRAWN = """var gd = document.querySelector('#map-bars .js-plotly-plot');
if (!gd || !gd._fullData || !gd._fullData.length) return null;
var t = gd._fullData[0];
return {y: Array.from(t.y), color: Array.from(t.marker.color), symbol: Array.from(t.marker.symbol)};"""
TREND_MARKERS = """var gd = document.querySelector('#trends-graph .js-plotly-plot');
if (!gd || !gd._fullData || !gd._fullData.length) return null;
return gd._fullData.filter(t => Array.isArray(t.meta) && t.meta[0] === 'change-marker')
    .map(t => ({indicator: t.meta[1], x: Array.from(t.x), symbol: Array.from(t.marker.symbol),
                color: Array.from(t.marker.color)}));"""
FUNNEL_DRAWN = """var gd = document.querySelector('#area-funnel .js-plotly-plot');
if (!gd || !gd._fullData || gd._fullData.length < 3) return null;
return gd._fullData.map(t => ({name: t.name, meta: t.meta, x: Array.from(t.x), y: Array.from(t.y)}));"""
TREND_TRACES = ("var gd = document.querySelector('#trends-graph .js-plotly-plot');"
                "return gd && gd._fullData ? gd._fullData.length : 0;")


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))


def _wait(dash_duo, condition, timeout=30):
    # A script can time out while the browser is busy drawing a large table: poll again.
    return WebDriverWait(dash_duo.driver, timeout, ignored_exceptions=(TimeoutException, JavascriptException)).until(
        lambda d: condition())


def _published(snapshot, config, period, division=None) -> set[str]:
    ac = snapshot.table("area_comparisons")
    ac = ac[(ac.indicator == INDICATOR) & (ac.period == period)]
    if division:
        ac = ac[ac.division_code == division]
    return set(ac.loc[ac.flag.isin(FLAGGED), "area_code"])


def _map_coloured(dash_duo, expected_count) -> set[str]:
    drawn = _wait(dash_duo, lambda: (lambda v: v if v and len(v) == expected_count and all(c for c, _ in v)
                                     else None)(dash_duo.driver.execute_script(MAP_DRAWN)))
    coloured = {_rgb(FLAG_FILL[f]) for f in FLAGGED}
    return {code for code, fill in drawn if fill in coloured}


def _rug_marked(dash_duo, expected_count) -> set[str]:
    # The areas table is large (145 areas × 16 indicators): the browser takes a while to draw it.
    cells = _wait(dash_duo, lambda: (lambda v: v if v and len(v) == expected_count else None)(
        dash_duo.driver.execute_script(RUG_DRAWN, INDICATOR)), timeout=300)
    tints = {_rgb(FLAG_TINT[f]) for f in FLAGGED}
    # The flag's tint really renders (Bootstrap's table rule once painted every cell white).
    assert {bg for _, bg in cells} - {"rgba(0, 0, 0, 0)"}, "no rug cell has a background"
    return {code for code, bg in cells if bg in tints}


def _bars_marked(dash_duo, names_to_code, expected) -> set[str]:
    bars = _wait(dash_duo, lambda: (lambda v: v if v and set(names_to_code[n] for n in v["y"]) <= expected
                                    and len(v["y"]) else None)(dash_duo.driver.execute_script(BARS_DRAWN)))
    marked = set()
    for name, colour, symbol in zip(bars["y"], bars["color"], bars["symbol"]):
        flag = next((f for f in FLAGGED if colour == FLAG_COLOUR[f]), None)
        # Shape as well as colour: an arrow for the direction against the force (tests/browser/test_charts.py
        # checks which one), never on an unflagged area.
        if flag is not None:
            assert symbol in ARROWS, (name, symbol)
            marked.add(names_to_code[name])
        else:
            assert symbol not in ARROWS, (name, symbol)
    return marked


def _worklist_listed(snapshot, config, division) -> set[str]:
    """The areas the worklist (its page and the meeting pack) lists as differing from the force."""
    rows = worklist(snapshot, config, division).rows
    return set(rows.loc[(rows["kind"] == "vs_force") & (rows["indicator"] == INDICATOR), "geography_code"])


def test_every_view_marks_exactly_the_published_flags(dash_duo, demo_store):
    snapshot = Store(demo_store).open()
    config = snapshot_config(snapshot)
    est = snapshot.table("estimates")
    period = est["period"].max()
    areas = snapshot.table("areas")
    names_to_code = dict(zip(areas.area_name, areas.area_code))
    force_flagged = _published(snapshot, config, period)
    assert force_flagged, "the demo should have at least one area flagged on confidence"
    # The division with most flagged areas, so the division check is not vacuous.
    division = areas.set_index("area_code").loc[sorted(force_flagged), "division_code"].value_counts().index[0]

    dash_duo.start_server(create_app(demo_store))
    base = dash_duo.server_url
    for scope, n_areas in ((None, len(areas)), (division, int((areas.division_code == division).sum()))):
        expected = _published(snapshot, config, period, scope)
        fragment = f"#colour=significance&indicator={INDICATOR}" + (f"&division={scope}" if scope else "")
        dash_duo.driver.get(base + "/map" + fragment)
        assert _map_coloured(dash_duo, n_areas) == expected, scope
        shown = set(areas.area_code if scope is None else areas.loc[areas.division_code == scope, "area_code"])
        assert _bars_marked(dash_duo, names_to_code, shown) == expected, scope

        dash_duo.driver.get(base + "/#rug=areas" + (f"&division={scope}" if scope else ""))
        assert _rug_marked(dash_duo, n_areas) == expected, scope

        assert _worklist_listed(snapshot, config, scope or "all") == expected, scope
    assert dash_duo.get_logs() == []

    # The area's funnel draws exactly the flag's limits: every flagged area outside them at its own
    # effective base, every similar one inside (the line passes through each area's base).
    flagged_area = sorted(force_flagged)[0]
    dash_duo.driver.get(base + f"/area/{flagged_area}#funnel={INDICATOR}")
    traces = _wait(dash_duo, lambda: dash_duo.driver.execute_script(FUNNEL_DRAWN))
    lower = next(t for t in traces if t["name"].startswith("Limits"))
    upper = traces[traces.index(lower) + 1]
    lo, hi = dict(zip(lower["x"], lower["y"])), dict(zip(upper["x"], upper["y"]))
    points = [(t["meta"], x, y) for t in traces if t["meta"] in ("better", "similar", "worse")
              for x, y in zip(t["x"], t["y"])]
    assert {f for f, _, _ in points} >= {"similar"} and any(f in FLAGGED for f, _, _ in points)
    for flag, x, y in points:
        outside = y < lo[x] or y > hi[x]
        assert outside == (flag in FLAGGED), (flag, x, y, lo[x], hi[x])
    assert dash_duo.get_logs() == []

    # Trend markers on an area's page: only the published better/worse changes from the previous
    # period, never a 'similar' one; the arrow is the direction.
    chg = snapshot.table("changes")
    chg = chg[(chg.level == "area") & (chg.subgroup_dimension == "all") & (chg.compared_with == "previous")]
    flagged_changes = chg[chg.flag.isin(FLAGGED)]
    code = flagged_changes["geography_code"].iloc[0] if len(flagged_changes) else areas.area_code.iloc[0]
    mine = chg[chg.geography_code == code]
    shown_points = est[(est.level == "area") & (est.geography_code == code) & (est.subgroup_dimension == "all")
                       & ~est.suppressed]
    dash_duo.driver.get(base + f"/trends#area={code}")
    _wait(dash_duo, lambda: dash_duo.driver.execute_script(TREND_TRACES) > 10
          and f"area={code}" in dash_duo.driver.current_url)
    drawn = _wait(dash_duo, lambda: (lambda v: v if v is not None else None)(
        dash_duo.driver.execute_script(TREND_MARKERS)))
    marked = {(t["indicator"], x) for t in drawn for x in t["x"]}
    visible = set(zip(shown_points.indicator, shown_points.period))
    expected = {(r.indicator, r.period) for r in mine.itertuples() if r.flag in FLAGGED} & visible
    similar = {(r.indicator, r.period) for r in mine.itertuples() if r.flag == "similar"}
    assert marked == expected
    assert similar and not marked & similar
    direction = {(r.indicator, r.period): r.direction for r in mine.itertuples()}
    for t in drawn:
        for x, symbol in zip(t["x"], t["symbol"]):
            assert symbol == {"up": "triangle-up", "down": "triangle-down"}[direction[(t["indicator"], x)]]
    assert dash_duo.get_logs() == []
