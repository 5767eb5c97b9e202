"""Force overview: a card per SPI/KDI (value, interval, base, changes, MSF, target, indicative
outcome with reasons) and the tartan rug of indicators by division or by area."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from .. import periods
from ..components.banner import absent
from ..components.downloads import table_downloads
from ..components.estimate_table import estimate_table
from ..components.state import checked, select, state_id
from ..views.choices import crime_summary, has_survey_results
from ..views.exports import comparisons_export, estimates_export, geography_names
from ..views.headline import Headline, change_text, headline_rows, msf_text, overall_outcome, target_text
from ..views.overview import overview_frame
from ..views.select import ALL_DIVISIONS, area_indicators, latest_period, optional_table, significance_policy
from ..views.words import FLAG_GLYPH, NO_SURVEY_RESULTS, base_text, ci, flag_word, interval, level_name
from .common import DIVISION, division_label, info_link, live, page

CARDS = "overview-cards"
RUG = "overview-rug"
OVERVIEW_TABLE = "overview-table"
RUG_LEVEL = state_id("rug")
READY = "overview-ready"  # an input inside the page, so its callbacks run when the page is rendered
RUG_NOTE = "overview-rug-note"


def _body(snapshot, config):
    crime = _crime_section(snapshot, config)
    if not has_survey_results(snapshot):
        return html.Div([absent(NO_SURVEY_RESULTS), crime])
    return html.Div([
        dcc.Store(id=READY, data=True),
        html.H2("Headline indicators", className="h4"),
        html.Div(id=CARDS),
        html.H2("Indicators by geography", className="h4 mt-4"),
        html.P(_rug_note(config, significance_policy(snapshot)), id=RUG_NOTE, className="small"),
        select("rug", "Show", [("divisions", f"{_level(config, 'division')}s"),
                               ("areas", f"All {level_name(config, 'area')}s, grouped by "
                                         f"{level_name(config, 'division')}")], "divisions"),
        rug_buttons(),
        html.Div(id=RUG),
        html.Div([html.H2("Every indicator, latest period", className="h4 mt-4 me-3 d-inline-block"),
                  table_buttons()]),
        html.Div(id="overview-table-holder", children=estimate_table(
            overview_frame(snapshot.table("estimates"), config), config, table_id=OVERVIEW_TABLE,
            confidence=significance_policy(snapshot).confidence)),
        crime,
    ])


def _crime_section(snapshot, config):
    """Recorded crime for the force and each division, latest period; nothing without crime data."""
    rows = crime_summary(snapshot, config)
    if rows is None:
        return html.Div()
    first = rows.iloc[0]
    left_out = rows[rows["level"] == "force"]["areas_left_out"].max()
    return html.Div([
        html.H2(f"Recorded crime, {periods.period_phrase(config, first.period)}", className="h4 mt-4"),
        html.P("police.uk crime per 1,000 residents"
               + (f" ({first.window})" if int(first.months) > 1 else "")
               + f", with its exact Poisson {interval(config.policy.confidence)}; "
               "rates are not tested against each other or the force."
               + (f" {int(left_out)} areas have no known population: their crimes and residents are left out of "
                  "every rate." if left_out else ""), className="small"),
        html.Div(html.Table([
            html.Thead(html.Tr([html.Th(h, scope="col") for h in
                                ("Geography", "Measure", "Crimes", "Residents",
                                 f"Rate per 1,000 ({interval(config.policy.confidence)})")])),
            html.Tbody([html.Tr([html.Td(r.geography), html.Td(r.measure_name), html.Td(f"{int(r['count']):,}"),
                                 html.Td(f"{int(r.population):,}" if r.population == r.population else "not known"),
                                 html.Td(f"{r.rate:.2f} ({r.lower:.2f}–{r.upper:.2f})" if r.rate == r.rate
                                         else "not calculated")])
                        for _, r in rows.iterrows()])], className="table table-sm w-auto", id="overview-crime"),
            className="table-responsive"),
    ])


def _level(config, level: str) -> str:
    return level_name(config, level).capitalize()


def _rug_note(config, policy) -> str:
    return ("Each cell shows the value and its published flag: better, similar or worse (▲ / ● / ▼ and "
            f"the word; colour repeats them, it never stands alone). {_level(config, 'area')}s: {policy.area_text} "
            f"{_level(config, 'division')}s: {policy.force_text}")


def layout(**_query):
    return page("Force overview", _body)


def _card(h: Headline, previous: str, baseline: str, confidence: float):
    ind, est = h.indicator, h.estimate
    if est is None or est.suppressed:
        value = html.P("suppressed" if est is not None else "no data", className="fs-4")
    else:
        value = html.P([html.Span(f"{est.value:.1f}%", className="fs-3 fw-semibold"),
                        html.Span(f"  {ci(confidence)} {est.lower_95:.1f}–{est.upper_95:.1f}, "
                                  f"n = {base_text(est.base)}", className="small ms-2")])
    lines = [change_text(h.previous, ind, previous), change_text(h.baseline, ind, baseline)]
    if h.msf is not None:
        lines.append(msf_text(h.msf, ind))
    if h.target is not None:
        lines.append(target_text(h.target))
    if h.outcome is not None:
        lines.append(html.Span([html.Strong(f"Indicative outcome: {h.outcome.verdict}. "), h.outcome.reasons]))
    return dbc.Col(dbc.Card(dbc.CardBody([
        html.H3([ind.short_name, info_link(ind.id)], className="h6 mb-0"),
        html.P(ind.name, className="small text-body-secondary mb-1"),
        value,
        html.Ul([html.Li(line, className="small") for line in lines], className="mb-0 ps-3"),
    ]), className="h-100"), md=6, xl=4, className="mb-3")


@callback(Output(CARDS, "children"), Input(DIVISION, "value"), Input(READY, "data"))
def cards(division, _ready=True):
    snapshot, config = live()
    division = checked(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    period = latest_period(snapshot.table("estimates"))
    policy = significance_policy(snapshot)
    cols = [_card(h, periods.previous_phrase(config).removeprefix("the "), config.baseline_period, policy.confidence)
            for h in headline_rows(snapshot, config, division, period)]
    overall = overall_outcome(snapshot)
    note = html.P([f"Showing {division_label(config, division)}, {periods.period_phrase(config, period)}. "
                   f"{policy.force_text} ",
                   html.Strong(f"Overall indicative outcome (force): {overall.verdict} ({overall.reasons}). ")
                   if overall is not None else "",
                   "Indicative: the statistical part of HMIC's assessment only."
                   if any(i.assessed for i in config.indicators) else ""], className="small")
    return [note, dbc.Row(cols)]


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


def _table_export(_division):
    """Every indicator for the force and each division in the latest period, as on the page."""
    snapshot, config = live()
    frame = overview_frame(snapshot.table("estimates"), config)
    period = frame["period"].iat[0] if len(frame) else "none"
    return (estimates_export(frame, config, geography_names(snapshot, config), significance_policy(snapshot)),
            f"indicators-{period.replace('/', '-')}-force-and-divisions")


table_buttons = table_downloads("overview", _table_export, [State(DIVISION, "value")], what="indicator table")


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


dash.register_page(__name__, path="/", name="Force overview", title="Force overview", order=0, nav="Overview",
                   layout=layout)
