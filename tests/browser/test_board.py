"""The meeting board and the tartan rug as a room and a commander see them, in Chromium.

The board: read on a 1920x1080 projector (no text in it below 20 px, every headline row above
the fold with the header and navigation above it), one row per headline indicator with SPI 3b's
gap among them, each cell's shape, word and fill from the one key (the key's swatches drawn in
the same colours), arrows only for the direction of a published significant change, the
sentences one keystroke away; under a division, force-level figures and force-only comparisons
say so, and a suppressed figure carries no verdict. The rug: its cells drawn in the key's tints
(read from the page and checked against words.FLAG_TINT), sorted by an indicator's value with
withheld values last, and searched by code or name. Everything is read from what the browser drew.
"""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from dashboard.app import create_app
from dashboard.data.store import Store
from dashboard.live import snapshot_config
from dashboard.views.choices import headline_indicators
from dashboard.views.words import DIRECTION_GLYPH, FLAG_TINT, KEY_FILL, KEY_GLYPH, KEY_WORD, force_figure_note

pytestmark = pytest.mark.browser

ROWS = "return document.querySelectorAll('#meeting-board tbody tr').length;"
# Every element inside the board that draws text of its own, with its computed font size.
TEXT_SIZES = """
var out = [];
document.querySelectorAll('#meeting-board caption, #meeting-board th, #meeting-board td, #meeting-board span')
  .forEach(function (e) {
    var own = Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (own) { out.push([e.tagName + '.' + e.className, parseFloat(getComputedStyle(e).fontSize)]); }
  });
return out;"""
FOLD = """return {inner: window.innerHeight, rows: Array.from(document.querySelectorAll('#meeting-board tbody tr'))
  .map(r => r.getBoundingClientRect().bottom + window.scrollY)};"""
CELLS = """return Array.from(document.querySelectorAll('#meeting-board td[data-column]')).map(td => ({
  indicator: td.dataset.indicator, column: td.dataset.column, state: td.dataset.state,
  bg: getComputedStyle(td).backgroundColor, colour: getComputedStyle(td).color, text: td.innerText,
  word: (td.querySelector('.board-word') || {}).innerText || '', note: (td.querySelector('.board-note') || {})
    .innerText || ''}));"""
HEADERS = """return Array.from(document.querySelectorAll('#meeting-board tbody th')).map(th => ({
  indicator: th.dataset.indicator, text: th.innerText}));"""
KEY_SWATCHES = """return Array.from(document.querySelectorAll('#meeting-board-key [data-state]'))
  .map(s => [s.dataset.state, getComputedStyle(s).backgroundColor, s.innerText.trim()]);"""
RUG_ROWS = """var ind = arguments[0];
return Array.from(document.querySelectorAll('#tartan-rug tbody tr')).map(function (tr) {
  var a = tr.querySelector('th a'); var td = tr.querySelector('td[data-indicator="' + ind + '"]');
  return [a ? a.getAttribute('href').split('/').pop() : null, a ? a.innerText : null, td ? td.innerText : null];
});"""
RUG_CELLS = """return Array.from(document.querySelectorAll('#tartan-rug td[data-flag]')).map(td => [td.dataset.flag,
  getComputedStyle(td).backgroundColor]);"""
RUG_KEY = """return Array.from(document.querySelectorAll('#overview-rug-key td[data-flag]')).map(td => [td.dataset.flag,
  getComputedStyle(td).backgroundColor, td.innerText]);"""


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))


def _wait(dash_duo, condition, timeout=30):
    """Until ``condition()``; an element replaced while it is read (the board redrawn for a new
    division, sooner now that answers come from the cache) is read again at the next poll."""
    return WebDriverWait(dash_duo.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: condition())


def _board_drawn(dash_duo, n_rows: int, caption: str):
    _wait(dash_duo, lambda: dash_duo.driver.execute_script(ROWS) == n_rows and caption in dash_duo.driver
          .find_element("css selector", "#meeting-board caption").text)


def _projector(dash_duo):
    dash_duo.driver.set_window_size(1920, 1080)
    dash_duo.driver.execute_script("document.body.style.zoom = '100%'")


def _check_readable(dash_duo, what: str):
    sizes = dash_duo.driver.execute_script(TEXT_SIZES)
    assert sizes, what
    small = [(e, s) for e, s in sizes if s < 20]
    assert not small, (what, small[:5])
    fold = dash_duo.driver.execute_script(FOLD)
    assert all(bottom <= fold["inner"] for bottom in fold["rows"]), (what, fold)


def _check_key_colours(cells, swatches):
    drawn = {state: bg for state, bg, _ in swatches}
    assert set(drawn) == set(KEY_FILL)  # every state of the key has its swatch, with its word
    for state, _, text in swatches:
        assert KEY_GLYPH[state] in text and KEY_WORD[state] in text
    for state, bg in drawn.items():
        assert bg == _rgb(KEY_FILL[state]), state
    for c in cells:
        if c["state"] in KEY_FILL:
            assert c["bg"] == drawn[c["state"]], c
            assert KEY_GLYPH[c["state"]] in c["text"], c  # a shape as well as the colour


def _published_changes(snapshot, config, level, geo, period):
    chg = snapshot.table("changes")
    chg = chg[(chg.period == period) & (chg.subgroup_dimension == "all") & (chg.level == level)
              & (chg.geography_code == geo)]
    return {(r.indicator, r.compared_with): r for r in chg.itertuples()}


def test_the_board_reads_from_across_the_room(dash_duo, demo_store, screenshots):
    snapshot = Store(demo_store).open()
    config = snapshot_config(snapshot)
    est = snapshot.table("estimates")
    period = est["period"].max()
    headline = headline_indicators(snapshot, config)
    assert any(i.kind == "gap" for i in headline), "SPI 3b (the gap) belongs on the board by default"
    dash_duo.start_server(create_app(demo_store))
    _projector(dash_duo)
    dash_duo.driver.get(dash_duo.server_url + "/")
    _board_drawn(dash_duo, len(headline), "whole force")
    _check_readable(dash_duo, "force")
    heads = dash_duo.driver.execute_script(HEADERS)
    assert [h["indicator"] for h in heads] == [i.id for i in headline]
    cells = dash_duo.driver.execute_script(CELLS)
    _check_key_colours(cells, dash_duo.driver.execute_script(KEY_SWATCHES))
    dash_duo.driver.save_screenshot(str(screenshots / "board-1920x1080-force.png"))

    # Change cells: the published flag's word and colour; an arrow only on a significant change,
    # pointing the way the figure moved; never an arrow standing for better or worse.
    published = _published_changes(snapshot, config, "force", config.force_code, period)
    arrows = set(DIRECTION_GLYPH.values()) - {""}
    columns = {"previous": "previous", "baseline": "baseline"}
    checked = 0
    for c in cells:
        assert not arrows & set(c["word"]), c
        if c["column"] in columns and (c["indicator"], columns[c["column"]]) in published:
            row = published[(c["indicator"], columns[c["column"]])]
            assert c["state"] == row.flag, c
            arrow = DIRECTION_GLYPH[row.direction] if row.flag in ("better", "worse") else ""
            assert (c["note"].startswith(arrow + " ") if arrow else not arrows & set(c["note"])), c
            assert f"{row.difference:+.1f} pts" in c["note"], c
            checked += 1
    assert checked >= 10 and {c["state"] for c in cells} >= {"better", "similar", "no comparison"}
    gap = next(i for i in headline if i.kind == "gap")
    gaps = snapshot.table("gaps")
    force_gap = gaps[(gaps.indicator == gap.id) & (gaps.period == period) & (gaps.level == "force")].iloc[0]
    gap_value = next(c for c in cells if c["indicator"] == gap.id and c["column"] == "value")
    assert f"{force_gap.gap:+.1f} pts" in gap_value["text"] and f"{int(force_gap.base_2):,}" in gap_value["text"]

    # The sentences behind the cells: one keystroke on the summary.
    summary = dash_duo.find_element("#meeting-board-details summary")
    summary.send_keys(Keys.ENTER)
    _wait(dash_duo, lambda: dash_duo.find_element("#meeting-board-details").get_attribute("open") is not None)
    details = dash_duo.find_element("#meeting-board-details").text
    spi = headline[0]
    assert f"{spi.short_name}: {spi.name}" in details and "significantly" in details and "95% CI" in details

    # Under a division: the force-level surveys say their figure is the force's, MSF and outcomes
    # say they are the force's only, and a withheld figure carries no verdict.
    division = config.divisions[0]
    by_division = set(est.loc[(est.level == "division") & (est.period == period), "indicator"])
    dash_duo.driver.get(dash_duo.server_url + f"/#division={division.code}")
    _board_drawn(dash_duo, len(headline), division.name)
    _check_readable(dash_duo, division.name)
    heads = {h["indicator"]: h["text"] for h in dash_duo.driver.execute_script(HEADERS)}
    cells = dash_duo.driver.execute_script(CELLS)
    force_only = [i.id for i in headline if i.kind != "gap" and i.id not in by_division]
    assert force_only, "the demo has force-level surveys on the board"
    for i in headline:
        assert (force_figure_note(config) in heads[i.id]) == (i.id in force_only), i.id
    own = [c for c in cells if c["column"] in ("msf", "outcome") and c["indicator"] in by_division
           and c["state"] == "no comparison"]
    assert any("Force only" in c["text"] for c in own)
    division_gap = gaps[(gaps.indicator == gap.id) & (gaps.period == period) & (gaps.geography_code == division.code)]
    assert len(division_gap) == 1 and bool(division_gap.suppressed.iat[0]), "the demo withholds this division's gap"
    mine = {c["column"]: c for c in cells if c["indicator"] == gap.id}
    shown = mine["value"]["text"]
    assert KEY_WORD["suppressed"] in shown and f"base below {config.suppression_threshold}" in shown
    assert mine["target"]["state"] == "suppressed" and "Cannot tell" in mine["target"]["text"]
    assert not any(c["state"] in ("better", "similar", "worse") for c in mine.values())
    _check_key_colours(cells, dash_duo.driver.execute_script(KEY_SWATCHES))
    dash_duo.driver.save_screenshot(str(screenshots / "board-1920x1080-division.png"))
    assert dash_duo.get_logs() == []


def _number(text: str | None):
    first = (text or "").split("\n")[0]
    try:
        return float(first)
    except ValueError:
        return None


def test_the_rug_is_coloured_as_its_key_sorted_and_searchable(dash_duo, demo_store, screenshots):
    snapshot = Store(demo_store).open()
    config = snapshot_config(snapshot)
    areas = snapshot.table("areas")
    ac = snapshot.table("area_comparisons")
    ac = ac[ac.period == snapshot.table("estimates")["period"].max()]
    # The indicator with the most areas on both sides of the sort: with a value, and withheld.
    counts = ac.groupby("indicator")["suppressed"].agg(lambda s: min(int((~s.astype(bool)).sum()),
                                                                        int(s.astype(bool).sum())))
    indicator = counts.idxmax()
    ac = ac[ac.indicator == indicator]
    assert counts.max() >= 5, counts
    dash_duo.start_server(create_app(demo_store))
    dash_duo.driver.set_window_size(1920, 1080)
    dash_duo.driver.get(dash_duo.server_url + f"/#rug=areas&rugsort={indicator}&rugorder=desc")
    rows = _wait(dash_duo, lambda: (lambda v: v if len(v) == len(areas) else None)(
        dash_duo.driver.execute_script(RUG_ROWS, indicator)), timeout=120)

    # Colours: the key's swatches, read from the page, are the vocabulary's tints, and every cell
    # is drawn in its flag's swatch colour.
    key = {flag: (bg, text) for flag, bg, text in dash_duo.driver.execute_script(RUG_KEY)}
    assert set(key) == set(FLAG_TINT)
    for flag, (bg, text) in key.items():
        assert bg == _rgb(FLAG_TINT[flag]) and KEY_GLYPH[flag] in text and KEY_WORD[flag] in text, flag
    drawn = dash_duo.driver.execute_script(RUG_CELLS)
    assert {f for f, _ in drawn} >= {"better", "similar", "worse"}
    assert all(bg == key[flag][0] for flag, bg in drawn), [d for d in drawn if d[1] != key[d[0]][0]][:5]

    # Sorted by the indicator's value, highest first; withheld and missing last.
    values = [_number(text) for _, _, text in rows]
    shown = [v for v in values if v is not None]
    assert shown == sorted(shown, reverse=True) and len(shown) == int((~ac.suppressed.astype(bool)).sum())
    assert values[:len(shown)] == shown and len(values) > len(shown)  # withheld after every value
    top = ac[~ac.suppressed.astype(bool)].sort_values("value", ascending=False).iloc[0]
    assert rows[0][0] == top.area_code
    sorted_th = dash_duo.find_element('#tartan-rug th[aria-sort="descending"]')
    assert sorted_th.text == config.indicator(indicator).short_name
    y = dash_duo.driver.execute_script("var e = document.querySelector('#overview-rug-note');"
                                       "return e.getBoundingClientRect().top + window.scrollY - 8;")
    dash_duo.driver.execute_script("window.scrollTo(0, arguments[0]);", y)
    _wait(dash_duo, lambda: abs(dash_duo.driver.execute_script("return window.scrollY;") - y) < 2)
    dash_duo.driver.save_screenshot(str(screenshots / "rug-areas-sorted-1920x1080.png"))

    # By name, from the control, and the choice goes into the link.
    Select(dash_duo.find_element('select[id*=\'"key":"rugsort"\']')).select_by_value("name")
    Select(dash_duo.find_element('select[id*=\'"key":"rugorder"\']')).select_by_value("asc")
    _wait(dash_duo, lambda: "rugsort=name" in dash_duo.driver.current_url and "rugorder=asc" in
          dash_duo.driver.current_url)
    names = _wait(dash_duo, lambda: (lambda v: v if v == sorted(v, key=str.casefold) else None)(
        [name for _, name, _ in dash_duo.driver.execute_script(RUG_ROWS, indicator)]))
    assert len(names) == len(areas)

    # Search by part of a code, then by part of a name (any case): only the matching areas.
    code_part = areas.area_code.iloc[0][:3]
    name = areas.area_name.iloc[len(areas) // 2]
    for query in (code_part, name[1:-1].upper()):
        box = dash_duo.find_element("#overview-rug-search")
        box.clear()
        box.send_keys(query, Keys.ENTER)
        q = query.casefold()
        expected = set(areas.loc[areas.area_code.str.casefold().str.contains(q, regex=False)
                                 | areas.area_name.str.casefold().str.contains(q, regex=False), "area_code"])
        assert 0 < len(expected) < len(areas)
        found = _wait(dash_duo, lambda e=expected: (lambda v: v if v == e else None)(
            {code for code, _, _ in dash_duo.driver.execute_script(RUG_ROWS, indicator)}))
        assert found == expected
        assert f"{len(expected)} of {len(areas)}" in dash_duo.find_element("#overview-rug-status").text
    assert dash_duo.get_logs() == []


def test_another_force_gets_its_board(dash_duo, example_stores, screenshots):
    """Eastmoor: no [display] section, eight divisions, quarters, no MSF or HMIC outcome: the rules
    choose its headline set (its targeted indicator and that indicator's gap)."""
    example = example_stores["eastmoor"]
    snapshot = Store(example.store).open()
    config = snapshot_config(snapshot)
    headline = headline_indicators(snapshot, config)
    assert [i.kind for i in headline].count("gap") >= 1 and len(config.divisions) == 8
    dash_duo.start_server(create_app(example.store))
    _projector(dash_duo)
    dash_duo.driver.get(dash_duo.server_url + f"/#division={config.divisions[-1].code}")
    _board_drawn(dash_duo, len(headline), config.divisions[-1].name)
    _check_readable(dash_duo, "eastmoor")
    heads = [h["indicator"] for h in dash_duo.driver.execute_script(HEADERS)]
    assert heads == [i.id for i in headline]
    header = dash_duo.find_element("#meeting-board thead").text
    assert "MSF" not in header and "HMIC" not in header  # nothing published: no empty column
    cells = dash_duo.driver.execute_script(CELLS)
    _check_key_colours(cells, dash_duo.driver.execute_script(KEY_SWATCHES))
    dash_duo.driver.save_screenshot(str(screenshots / "board-1920x1080-eastmoor.png"))
    assert dash_duo.get_logs() == []
