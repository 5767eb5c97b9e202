"""The tartan rug: every area-level indicator by division, or by area grouped by division, each
cell the value and its published flag against the force (shape, word and tint), with its key.

The areas view can be sorted by any column (area name, division, any indicator's value: withheld
and missing values last whichever the order) and searched by area name or code. Sort and order
are selects kept in the URL fragment like every other control (``components.state``); the
search is free text and stays out of the URL: the fragment's values are checked against each
control's offered options, which free text has not, and a look-up for a name is not a view to
share. The search is checked on the server (text only, at most SEARCH_MAX characters, matched
case-insensitively as a plain substring of the name or the code)."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, html

from ..components import markup
from ..components.downloads import table_downloads
from ..components.glossary import terms_line
from ..components.scroll import scroll_box
from ..components.state import checked, select, state_id
from ..live import live
from ..pages.common import DIVISION
from ..views.exports import comparisons_export, geography_names
from ..views.select import ALL_DIVISIONS, area_indicators, latest_period, optional_table, significance_policy
from ..views.words import FLAGS, KEY_GLYPH, KEY_MEANING, KEY_WORD, level_name, vs_force_phrase

RUG = "overview-rug"
RUG_LEVEL = state_id("rug")
RUG_SORT = state_id("rugsort")
RUG_ORDER = state_id("rugorder")
RUG_SEARCH = "overview-rug-search"
RUG_NOTE = "overview-rug-note"
RUG_KEY = "overview-rug-key"
RUG_AREA_CONTROLS = "overview-rug-area-controls"
RUG_STATUS = "overview-rug-status"
SEARCH_MAX = 40
BY_NAME, BY_DIVISION = "name", "division"
ORDERS = ("asc", "desc")
# The sort and search controls show with the areas only (Bootstrap's d-flex would beat display: none).
SHOWN = {"display": "flex", "flexWrap": "wrap", "alignItems": "flex-end"}
HIDDEN = {"display": "none"}


def _level(config, level: str) -> str:
    return level_name(config, level).capitalize()


def _sort_options(config) -> list[tuple[str, str]]:
    return [(BY_DIVISION, f"{_level(config, 'division')}, then code"), (BY_NAME, f"{_level(config, 'area')} name")] + [
        (i.id, f"{i.short_name}: value") for i in area_indicators(config)]


def rug_section(snapshot, config):
    """The rug's heading, note, key, level, sort and search controls, downloads and the table's holder."""
    area = level_name(config, "area")
    return html.Div([
        html.H2("Indicators by geography", className="h4 mt-4"),
        html.P(_rug_note(config, significance_policy(snapshot)), id=RUG_NOTE, className="small mb-0"),
        terms_line("significance", "fdr", "suppression"),
        rug_key(),
        html.Div([
            select("rug", "Show", [("divisions", f"{_level(config, 'division')}s"),
                                   ("areas", f"All {area}s, grouped by {level_name(config, 'division')}")],
                   "divisions"),
            html.Div([
                select("rugsort", "Sort by", _sort_options(config), BY_DIVISION),
                select("rugorder", "Order", [("asc", "Ascending (A–Z, lowest first)"),
                                             ("desc", "Descending (Z–A, highest first)")], "asc"),
                html.Div(html.Label([
                    html.Span(f"Find {area}s (name or code)", className="form-label small mb-0 d-block"),
                    dbc.Input(id=RUG_SEARCH, type="search", debounce=True, maxLength=SEARCH_MAX, size="sm",
                              placeholder="part of a name or code", autoComplete="off")],
                    className="d-block"), className="me-3 mb-2"),
            ], id=RUG_AREA_CONTROLS, style=HIDDEN),
        ], className="d-flex flex-wrap align-items-end"),
        rug_buttons(),
        html.P(id=RUG_STATUS, role="status", className="small mb-1"),
        html.Div(id=RUG),
    ])


def rug_key():
    """The rug's key: a swatch per flag, tinted by the same stylesheet rule as the cells (a cell of
    a one-row table with the cells' class and ``data-flag``), with its shape, word and meaning."""
    meaning = {f: rug_meaning(f) for f in FLAGS}
    cells = [html.Td(f"{KEY_GLYPH[f]}\u00a0{KEY_WORD[f]}", title=meaning[f], **{"data-flag": f}) for f in FLAGS]
    return html.Div([
        html.Table([html.Caption("Key to the cells", className="visually-hidden"),
                    html.Tbody(html.Tr(cells))], className="table table-sm table-bordered rug rug-key w-auto mb-1"),
        html.P("Shapes and words carry every flag; colour repeats them. " + " ".join(
            f"{KEY_WORD[f]}: {meaning[f]}." for f in FLAGS), className="small mb-2"),
    ], id=RUG_KEY)


def rug_meaning(flag: str) -> str:
    """What a rug cell's flag says: against the force (divisions: against the rest of the force)."""
    if flag in ("better", "similar", "worse"):
        return f"{vs_force_phrase(flag)} (published flag)"
    return KEY_MEANING[flag]


def _rug_note(config, policy) -> str:
    return ("Each cell shows the value and its published flag against the force (see the key: shape, word and "
            f"colour). {_level(config, 'area')}s: {policy.area_text} "
            f"{_level(config, 'division')}s: {policy.force_text}")


def _rug_selection(division, level):
    """(snapshot, config, division, level, estimates, latest period) for the rug and its download."""
    snapshot, config = live()
    division = checked(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    level = checked(level, {"divisions", "areas"}, "divisions")
    est = snapshot.table("estimates")
    return snapshot, config, division, level, est, latest_period(est)


def clean_search(text) -> str:
    """A search as the server uses it: text only, trimmed, at most SEARCH_MAX characters, casefolded."""
    return text.strip()[:SEARCH_MAX].casefold() if isinstance(text, str) else ""


def matching(areas: pd.DataFrame, search: str) -> pd.DataFrame:
    """The areas whose name or code contains ``search`` (already cleaned), as a plain substring."""
    if not search:
        return areas
    hit = (areas["area_name"].str.casefold().str.contains(search, regex=False)
           | areas["area_code"].str.casefold().str.contains(search, regex=False))
    return areas[hit]


def sorted_areas(areas: pd.DataFrame, keyed: dict, sort: str, order: str) -> pd.DataFrame:
    """Areas by name, by division (then code), or by an indicator's value; an area with no value
    (withheld or not published) comes last in either order; ties by name."""
    descending = order == "desc"
    if sort == BY_NAME:
        return areas.sort_values(["area_name", "area_code"], ascending=not descending, key=_fold)
    if sort == BY_DIVISION:
        return areas.sort_values(["division_name", "area_code"], ascending=not descending, key=_fold)
    values = pd.to_numeric(pd.Series([_value(keyed.get((sort, code))) for code in areas["area_code"]],
                                     index=areas.index, dtype=object), errors="coerce")
    out = areas.assign(_value=values).sort_values("area_name", key=_fold).sort_values(
        "_value", ascending=not descending, kind="stable", na_position="last")
    return out.drop(columns=["_value"])


def _fold(series: pd.Series) -> pd.Series:
    return series.str.casefold() if series.dtype != float else series


def _value(row):
    if row is None or bool(getattr(row, "suppressed", False)):
        return None
    value = getattr(row, "value", None)
    return None if value is None or value != value else float(value)


@callback(Output(RUG, "children"), Output(RUG_STATUS, "children"), Output(RUG_AREA_CONTROLS, "style"),
          Input(DIVISION, "value"), Input(RUG_LEVEL, "value"), Input(RUG_SORT, "value"), Input(RUG_ORDER, "value"),
          Input(RUG_SEARCH, "value"))
def rug(division, level, sort=None, order=None, search=None):
    snapshot, config, division, level, est, period = _rug_selection(division, level)
    inds = area_indicators(config)
    sort = checked(sort, {BY_NAME, BY_DIVISION} | {i.id for i in inds}, BY_DIVISION)
    order = checked(order, set(ORDERS), "asc")
    search = clean_search(search)
    status, controls = "", HIDDEN
    if level == "divisions":
        comp = optional_table(snapshot, "division_comparisons")
        cols = [d for d in config.divisions if division in (ALL_DIVISIONS, d.code)]
        keyed = {} if comp is None else {(r.indicator, r.division_code): r for r in
                                         comp[comp.period == period].itertuples()}
        vals = est[(est.period == period) & (est.level == "division") & (est.subgroup_dimension == "all")]
        vals = {(r.indicator, r.geography_code): r for r in vals.itertuples()}
        header = _th("Indicator") + "".join(_th(d.name) for d in cols)
        body = ["<tr>" + _th(i.short_name, scope="row") + "".join(
            _rug_cell(vals.get((i.id, d.code)), keyed.get((i.id, d.code)), i.id, d.code) for d in cols) + "</tr>"
            for i in inds]
    else:
        comp = optional_table(snapshot, "area_comparisons")
        comp = comp[comp.period == period] if comp is not None else comp
        areas = snapshot.table("areas")
        if division != ALL_DIVISIONS:
            areas = areas[areas.division_code == division]
        keyed = {} if comp is None else {(r.indicator, r.area_code): r for r in comp.itertuples()}
        shown = sorted_areas(matching(areas, search), keyed, sort, order)
        status, controls = _status(config, len(shown), len(areas), search), SHOWN
        sorted_by = {BY_NAME: "area", BY_DIVISION: "division"}.get(sort, sort)
        aria = {"asc": "ascending", "desc": "descending"}[order]
        header = "".join(_th(text, sort=aria if key == sorted_by else None) for text, key in
                         [(_level(config, "area"), "area"), (_level(config, "division"), "division")]
                         + [(i.short_name, i.id) for i in inds])
        body = ["<tr>" + _th(f'<a href="/area/{quote(a.area_code, safe="")}">{escape(a.area_name)}</a>',
                             scope="row", raw=True) + f"<td>{escape(a.division_name)}</td>" + "".join(
            _rug_cell(keyed.get((i.id, a.area_code)), keyed.get((i.id, a.area_code)), i.id, a.area_code)
            for i in inds) + "</tr>" for a in shown.itertuples()]
        if not body:
            body = [f'<tr><td colspan="{len(inds) + 2}">No {escape(level_name(config, "area"))} matches '
                    f"“{escape(search)}”.</td></tr>"]
    # The scrolling region is focusable and named, so keyboard users can scroll it (WCAG 2.1.1).
    table = scroll_box(_html_table(header, body), "Indicators by geography", max_height="70vh")
    return table, status, controls


def _html_table(header: str, body: list[str]):
    """The rug as one block of markup that this module wrote, every text and attribute in it
    escaped here (components/markup.py says why: a component per cell took most of a minute)."""
    return markup.table_block(f'<table class="table table-sm table-bordered rug" id="tartan-rug"><thead><tr>{header}'
                              f"</tr></thead><tbody>{''.join(body)}</tbody></table>", "rug-holder")


def _th(text: str, scope: str = "col", sort: str | None = None, raw: bool = False) -> str:
    aria = f' aria-sort="{sort}"' if sort else ""
    return f'<th scope="{scope}"{aria}>{text if raw else escape(text)}</th>'


def _status(config, shown: int, total: int, search: str) -> str:
    areas = f"{level_name(config, 'area')}s"
    if not search:
        return f"{total} {areas}."
    return f"{shown} of {total} {areas} match “{search}”."


def _rug_cell(value_row, comp_row, indicator: str, geography: str) -> str:
    """A value and its published flag (shape and word), as a ``<td>``. The stylesheet tints the
    cell by its ``data-flag`` (words.FLAG_TINT, through Bootstrap's own --bs-table-bg, so that the
    table rule does not paint it white). One text node per cell: its line break is kept by CSS."""
    flag = getattr(comp_row, "flag", None) if comp_row is not None else None
    if flag is None or flag != flag:
        flag = "not tested"
    if value_row is not None and getattr(value_row, "suppressed", False):
        flag = "suppressed"
    attrs = (f'data-flag="{escape(flag)}" data-indicator="{escape(indicator)}" '
             f'data-geography="{escape(geography)}"')
    if value_row is None:
        text = "–"
    elif flag == "suppressed":
        text = f"{KEY_GLYPH[flag]}\u00a0{KEY_WORD[flag]}"
    else:
        text = f"{value_row.value:.1f}\n{KEY_GLYPH[flag]}\u00a0{KEY_WORD[flag]}"
    return f"<td {attrs}>{escape(text)}</td>"


def _rug_export(division, level):
    """The rug as shown: each division (or area) against the force, with values and intervals."""
    snapshot, config, division, level, est, period = _rug_selection(division, level)
    inds = {i.id for i in area_indicators(config)}
    geo_level, code = ("division", "division_code") if level == "divisions" else ("area", "area_code")
    comp = optional_table(snapshot, f"{geo_level}_comparisons")
    comp = comp[(comp.period == period) & comp.indicator.isin(inds)] if comp is not None else pd.DataFrame()
    if division != ALL_DIVISIONS and len(comp):
        comp = comp[comp.division_code == division]
    values = est[(est.period == period) & (est.level == geo_level) & (est.subgroup_dimension == "all")]
    keep = ["indicator", "geography_code", "lower_95", "upper_95"] + [
        c for c in ("value", "suppressed", "suppression_reason") if c not in comp.columns]
    comp = comp.merge(values[keep].rename(columns={"geography_code": code}), on=["indicator", code], how="left")
    frame = comparisons_export(comp, geo_level, geography_names(snapshot, config), config,
                               significance_policy(snapshot))
    return frame, f"rug-{level}-{period.replace('/', '-')}-{division}"


rug_buttons = table_downloads("rug", _rug_export, [State(DIVISION, "value"), State(RUG_LEVEL, "value")],
                              what="table of indicators by geography")


