"""Equality: white and minority-ethnic victims' satisfaction and the gap (SPI 3b) over time, and
who answered the local survey against who lives in the area."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from ..components.downloads import figure_downloads, table_downloads
from ..components.state import checked, known
from ..figures.charts import gap_chart, profile_bars
from ..views.exports import gaps_export, geography_names
from ..views.select import ALL_DIVISIONS, gaps_shown, respondent_profile, significance_policy
from ..views.words import base_text, ci, gap_phrase, interval
from .common import DIVISION, division_label, info_link, live, page

GAP, GAP_TABLE, PROFILE, PROFILE_NOTE = "equality-gap", "equality-gap-table", "equality-profile", "equality-note"
READY = "equality-ready"  # an input inside the page, so its callback runs when the page is rendered
YOUNG_TARGET = 12.0  # the local survey's target share of 16-24 year-olds among respondents


def _body(snapshot, config):
    policy = significance_policy(snapshot)
    return html.Div([
        dcc.Store(id=READY, data=True),
        html.H2(["Satisfaction of white and minority-ethnic victims (SPI 3b)", info_link("spi3b")], className="h4"),
        html.P(f"The gap is white minus minority-ethnic satisfaction with the whole experience, with its "
               f"{interval(policy.confidence)} (Newcombe). {policy.force_text} "
               "Minority-ethnic bases are small: 'no evidence of a gap' means the survey cannot tell, not that "
               "there is no gap; where the bases are withheld it cannot tell at all. HMIC found this was not "
               "monitored anywhere.", className="small"),
        html.Div([gap_figure_buttons(), gap_table_buttons()]),
        dcc.Graph(id=GAP, config={"displaylogo": False}),
        html.Div(id=GAP_TABLE),
        html.H2("Who answered the local survey", className="h4 mt-4"),
        html.P(id=PROFILE_NOTE, className="small"),
        profile_buttons(),
        dcc.Graph(id=PROFILE, config={"displaylogo": False}),
    ])


def layout(**_query):
    return page("Equality", _body)


def _profile(snapshot, config, division):
    """(period, profile) of the latest local survey's respondents; profile None without one."""
    est = snapshot.table("estimates")
    period = max(est.loc[est["survey"] == "LOCAL", "period"]) if (est["survey"] == "LOCAL").any() else None
    confidence = significance_policy(snapshot).confidence
    return period, (respondent_profile(snapshot, config, division, period, confidence) if period else None)


@callback(Output(GAP, "figure"), Output(GAP_TABLE, "children"), Output(PROFILE, "figure"),
          Output(PROFILE_NOTE, "children"), Input(DIVISION, "value"), Input(READY, "data"))
def update(division, _ready=True):
    snapshot, config = live()
    division = checked(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    labels = {config.force_code: config.force_short_name, **{d.code: d.name for d in config.divisions}}
    gaps = gaps_shown(snapshot, division)
    fig = gap_chart(gaps, labels) if gaps is not None else {}
    table = ""
    if gaps is not None and len(gaps):
        latest = gaps[gaps["period"] == gaps["period"].max()]
        policy = significance_policy(snapshot)
        head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
            "Geography", "White (n)", "Minority ethnic (n)", f"Gap, pts ({ci(policy.confidence)})",
            "Does the gap differ from zero?")]))
        body = [html.Tr([html.Th(labels.get(r.geography_code, r.geography_code), scope="row"),
                         html.Td("suppressed" if r.suppressed else f"{r.value_1:.1f}% ({base_text(r.base_1)})"),
                         html.Td("suppressed" if r.suppressed else f"{r.value_2:.1f}% ({base_text(r.base_2)})"),
                         html.Td(f"suppressed: {r.suppression_reason or 'base ' + base_text(r.base)}"
                                 if r.suppressed else f"{r.gap:+.1f} ({r.lower:+.1f} to {r.upper:+.1f})"),
                         html.Td(gap_phrase(r.flag), **{"data-flag": r.flag})]) for r in latest.itertuples()]
        table = html.Table([html.Caption(f"Latest period, {latest['period'].iat[0]}"), head, html.Tbody(body)],
                           className="table table-sm")
    period, profile = _profile(snapshot, config, division)
    confidence = significance_policy(snapshot).confidence
    if profile is None or profile.empty:
        return fig, table, {}, "No local survey respondents in this snapshot."
    young = profile[(profile["dimension"] == "age_band") & (profile["category"] == "16-24")]
    note = (f"Local survey {period}, {division_label(config, division)}: {int(profile['base'].iat[0]):,} respondents. ")
    if len(young):
        y = young.iloc[0]
        note += (f"16-24 year-olds are {y.respondents_pct:.1f}% of respondents "
                 f"({ci(confidence)} {y.respondents_lower:.1f}–"
                 f"{y.respondents_upper:.1f}) against a target of {YOUNG_TARGET:g}% and {y.residents_pct:.1f}% of "
                 "adult residents; estimates are weighted to correct for this.")
    return fig, table, profile_bars(profile), note


def _gap_export(division):
    snapshot, config = live()
    division = checked(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    gaps = gaps_shown(snapshot, division)
    frame = (gaps_export(gaps, geography_names(snapshot, config), significance_policy(snapshot))
             if gaps is not None else pd.DataFrame())
    return frame, f"spi3b-gap-{division}"


gap_table_buttons = table_downloads("equality-gap-table", _gap_export, [State(DIVISION, "value")],
                                    what="SPI 3b table")


def _gap_figure(division):
    """The gap chart as the page draws it, rebuilt from the division; unknown ones are refused."""
    snapshot, config = live()
    division = known(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    labels = {config.force_code: config.force_short_name, **{d.code: d.name for d in config.divisions}}
    gaps = gaps_shown(snapshot, division)
    return gap_chart(gaps, labels) if gaps is not None else None


def _profile_figure(division):
    snapshot, config = live()
    division = known(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    _, profile = _profile(snapshot, config, division)
    return None if profile is None or profile.empty else profile_bars(profile)


gap_figure_buttons = figure_downloads(GAP, "spi3b-gap", _gap_figure, [State(DIVISION, "value")], label="Gap chart")
profile_buttons = figure_downloads(PROFILE, "local-survey-respondents", _profile_figure, [State(DIVISION, "value")],
                                   label="Respondents chart")


dash.register_page(__name__, path="/equality", name="Equality", title="Equality", order=4, nav="Equality", layout=layout)
