"""Force overview: a card per SPI/KDI (value, interval, base, changes, MSF, target, indicative
outcome with reasons) and the tartan rug of indicators by division or by area."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from .. import periods
from ..components.banner import absent
from ..components.downloads import table_downloads
from ..components.estimate_table import estimate_table
from ..components.rug import rug_section
from ..components.state import checked
from ..views.choices import crime_summary, has_survey_results
from ..views.exports import estimates_export, geography_names
from ..views.headline import Headline, change_text, headline_rows, msf_text, overall_outcome, target_text
from ..views.overview import overview_frame
from ..views.select import ALL_DIVISIONS, latest_period, significance_policy
from ..views.words import NO_SURVEY_RESULTS, base_text, ci, interval, level_name
from .common import DIVISION, division_label, info_link, live, page

CARDS = "overview-cards"
OVERVIEW_TABLE = "overview-table"
READY = "overview-ready"  # an input inside the page, so its callbacks run when the page is rendered


def _body(snapshot, config):
    crime = _crime_section(snapshot, config)
    if not has_survey_results(snapshot):
        return html.Div([absent(NO_SURVEY_RESULTS), crime])
    return html.Div([
        dcc.Store(id=READY, data=True),
        html.H2("Headline indicators", className="h4"),
        html.Div(id=CARDS),
        rug_section(snapshot, config),
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


def _table_export(_division):
    """Every indicator for the force and each division in the latest period, as on the page."""
    snapshot, config = live()
    frame = overview_frame(snapshot.table("estimates"), config)
    period = frame["period"].iat[0] if len(frame) else "none"
    return (estimates_export(frame, config, geography_names(snapshot, config), significance_policy(snapshot)),
            f"indicators-{period.replace('/', '-')}-force-and-divisions")


table_buttons = table_downloads("overview", _table_export, [State(DIVISION, "value")], what="indicator table")


dash.register_page(__name__, path="/", name="Force overview", title="Force overview", order=0, nav="Overview",
                   layout=layout)
