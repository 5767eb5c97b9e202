"""The tartan rug: every area-level indicator by division, or by area grouped by division, each
cell the value and its published flag against the force (glyph, word and tint)."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, callback, html

from ..components.downloads import table_downloads
from ..components.state import checked, select, state_id
from ..live import live
from ..pages.common import DIVISION
from ..views.exports import comparisons_export, geography_names
from ..views.select import ALL_DIVISIONS, area_indicators, latest_period, optional_table, significance_policy
from ..views.words import FLAG_GLYPH, flag_word, level_name

RUG = "overview-rug"
RUG_LEVEL = state_id("rug")
RUG_NOTE = "overview-rug-note"


def _level(config, level: str) -> str:
    return level_name(config, level).capitalize()


def rug_section(snapshot, config):
    """The rug's heading, note, level control, downloads and the table's holder."""
    return html.Div([
        html.H2("Indicators by geography", className="h4 mt-4"),
        html.P(_rug_note(config, significance_policy(snapshot)), id=RUG_NOTE, className="small"),
        select("rug", "Show", [("divisions", f"{_level(config, 'division')}s"),
                               ("areas", f"All {level_name(config, 'area')}s, grouped by "
                                         f"{level_name(config, 'division')}")], "divisions"),
        rug_buttons(),
        html.Div(id=RUG),
    ])


def _rug_note(config, policy) -> str:
    return ("Each cell shows the value and its published flag: better, similar or worse (▲ / ● / ▼ and "
            f"the word; colour repeats them, it never stands alone). {_level(config, 'area')}s: {policy.area_text} "
            f"{_level(config, 'division')}s: {policy.force_text}")


def _rug_selection(division, level):
    """(snapshot, config, division, level, estimates, latest period) for the rug and its download."""
    snapshot, config = live()
    division = checked(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    level = checked(level, {"divisions", "areas"}, "divisions")
    est = snapshot.table("estimates")
    return snapshot, config, division, level, est, latest_period(est)


@callback(Output(RUG, "children"), Input(DIVISION, "value"), Input(RUG_LEVEL, "value"))
def rug(division, level):
    snapshot, config, division, level, est, period = _rug_selection(division, level)
    inds = area_indicators(config)
    if level == "divisions":
        comp = optional_table(snapshot, "division_comparisons")
        cols = [d for d in config.divisions if division in (ALL_DIVISIONS, d.code)]
        keyed = {} if comp is None else {(r.indicator, r.division_code): r for r in
                                         comp[comp.period == period].itertuples()}
        vals = est[(est.period == period) & (est.level == "division") & (est.subgroup_dimension == "all")]
        vals = {(r.indicator, r.geography_code): r for r in vals.itertuples()}
        header = [html.Th("Indicator", scope="col")] + [html.Th(d.name, scope="col") for d in cols]
        body = [html.Tr([html.Th(i.short_name, scope="row")]
                        + [_rug_cell(vals.get((i.id, d.code)), keyed.get((i.id, d.code)), i.id, d.code) for d in cols])
                for i in inds]
    else:
        comp = optional_table(snapshot, "area_comparisons")
        comp = comp[comp.period == period] if comp is not None else comp
        areas = snapshot.table("areas").sort_values(["division_code", "area_code"])
        if division != ALL_DIVISIONS:
            areas = areas[areas.division_code == division]
        keyed = {} if comp is None else {(r.indicator, r.area_code): r for r in comp.itertuples()}
        header = [html.Th(_level(config, "area"), scope="col"), html.Th(_level(config, "division"), scope="col")] + [
            html.Th(i.short_name, scope="col") for i in inds]
        body = [html.Tr([html.Th(html.A(a.area_name, href=f"/area/{a.area_code}"), scope="row"),
                         html.Td(a.division_name)]
                        + [_rug_cell(keyed.get((i.id, a.area_code)), keyed.get((i.id, a.area_code)), i.id, a.area_code)
                           for i in inds]) for a in areas.itertuples()]
    # The scrolling region is focusable and named, so keyboard users can scroll it (WCAG 2.1.1).
    return html.Div(html.Table([html.Thead(html.Tr(header)), html.Tbody(body)],
                               className="table table-sm table-bordered rug", id="tartan-rug"),
                    className="table-responsive", style={"maxHeight": "70vh"}, tabIndex="0", role="region",
                    **{"aria-label": "Indicators by geography (scrolls)"})


def _rug_cell(value_row, comp_row, indicator: str, geography: str):
    """A value and its published flag (glyph and word). The stylesheet tints the cell by its
    ``data-flag`` (words.FLAG_TINT, through Bootstrap's own --bs-table-bg, so that the table rule
    does not paint it white); an inline style per cell made the areas table slower to draw."""
    flag = getattr(comp_row, "flag", None) if comp_row is not None else None
    if flag is None or flag != flag:
        flag = "not tested"
    if value_row is not None and getattr(value_row, "suppressed", False):
        flag = "suppressed"
    attrs = {"data-flag": flag, "data-indicator": indicator, "data-geography": geography}
    if value_row is None:
        return html.Td("–", **attrs)
    if flag == "suppressed":
        return html.Td("Withheld", className="small", **attrs)
    # One text node per cell (the line break is kept by CSS): with 145 areas × 16 indicators, four
    # components a cell made the browser take minutes to draw the table.
    return html.Td(f"{value_row.value:.1f}\n{FLAG_GLYPH[flag]}\u00a0{flag_word(flag)}", **attrs)


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


