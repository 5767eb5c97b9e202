"""SPI trends: small multiples with interval bands, MSF average, targets and significance marks."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from .. import periods
from ..components.banner import absent
from ..components.downloads import figure_downloads, table_downloads
from ..components.state import checked, known, select, state_id
from ..figures.charts import crime_trend, trend_panels
from ..views.choices import crime_rates, crime_summary, has_survey_results
from ..views.exports import changes_export, estimates_export, geography_names
from ..views.select import ALL_DIVISIONS, optional_table, significance_policy
from ..views.words import NO_SURVEY_RESULTS, interval, percent
from .common import DIVISION, GRAPH_CONFIG, division_label, live, page

GRAPH, CAPTION, CRIME_GRAPH = "trends-graph", "trends-caption", "trends-crime"
GEOGRAPHY = state_id("area")


def _crime_block(snapshot):
    """Recorded crime over the periods for the selected force or division; nothing without it."""
    if crime_rates(snapshot) is None:
        return html.Div()
    return html.Div([html.H2("Recorded crime over time", className="h4 mt-4"),
                     dcc.Graph(id=CRIME_GRAPH, config=GRAPH_CONFIG)])


@callback(Output(CRIME_GRAPH, "figure"), Input(DIVISION, "value"))
def update_crime(division):
    snapshot, config = live()
    division = checked(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    rows = crime_summary(snapshot, config, latest_only=False)
    if rows is None:
        return {}
    geo = config.force_code if division == ALL_DIVISIONS else division
    where = config.force_name if division == ALL_DIVISIONS else division_label(config, division)
    return crime_trend(rows[rows["geography_code"] == geo], list(config.period_labels),
                       lambda p: periods.period_phrase(config, p), f"{where}: recorded crime per 1,000 residents",
                       significance_policy(snapshot).confidence)


def _body(snapshot, config):
    if not has_survey_results(snapshot):
        return html.Div([absent(NO_SURVEY_RESULTS), _crime_block(snapshot)])
    areas = snapshot.table("areas").sort_values("area_name")
    return html.Div([
        html.P("Force or division follows the division filter above; pick an area to see one area instead.",
               className="small"),
        select("area", "Area (optional)", [("none", "None: use the division filter")]
               + [(a.area_code, f"{a.area_name} ({a.division_name})") for a in areas.itertuples()], "none"),
        html.P(id=CAPTION, className="small", **{"aria-live": "polite"}),
        html.Div([figure_buttons(), table_buttons()]),
        dcc.Graph(id=GRAPH, config=GRAPH_CONFIG),
        _crime_block(snapshot),
    ])


def layout(**_query):
    return page("Trends", _body)


def _geography(snapshot, config, division, area, check=checked):
    """(level, code, label) shown; ``check`` is ``known`` for downloads (unknown selections refused)."""
    division = check(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    area = check(area, set(snapshot.table("areas")["area_code"]) | {"none"}, "none")
    if area != "none":
        return "area", area, snapshot.table("areas").set_index("area_code").loc[area, "area_name"]
    if division != ALL_DIVISIONS:
        return "division", division, division_label(config, division)
    return "force", config.force_code, config.force_name


def _panels(snapshot, config, level, geo):
    """Every indicator's series for the geography, one panel each."""
    est = snapshot.table("estimates")
    series = est[(est.level == level) & (est.geography_code == geo) & (est.subgroup_dimension == "all")]
    inds = [i for i in config.indicators if i.kind != "gap" and (series.indicator == i.id).any()]
    chg = optional_table(snapshot, "changes")  # none with a single period
    chg = (pd.DataFrame(columns=["indicator", "period", "flag", "direction"]) if chg is None else
           chg[(chg.level == level) & (chg.geography_code == geo) & (chg.subgroup_dimension == "all")])
    msf = optional_table(snapshot, "msf_comparisons") if level == "force" else None
    trends = optional_table(snapshot, "trends")  # none with too few periods
    trends = (pd.DataFrame(columns=["indicator", "geography_code", "direction"]) if trends is None else
              trends[trends.level == level])
    return trend_panels(series, inds, msf, chg, trends, geo, significance_policy(snapshot),
                        previous=periods.previous_phrase(config))


@callback(Output(GRAPH, "figure"), Output(CAPTION, "children"), Input(DIVISION, "value"), Input(GEOGRAPHY, "value"))
def update(division, area):
    snapshot, config = live()
    level, geo, label = _geography(snapshot, config, division, area)
    fig = _panels(snapshot, config, level, geo)
    policy = significance_policy(snapshot)
    trend = "Recent trend: chi-squared test for trend over the last periods"
    if policy.trend_periods and policy.trend_confidence:
        trend = (f"Recent trend: chi-squared test for trend over the last {policy.trend_periods} periods at "
                 f"{percent(policy.trend_confidence)}")
    caption = (f"{label}: estimate with its {interval(policy.confidence)} (band); ▲/▼ marks a change from the "
               f"previous period that the published flag calls better or worse (the arrow is the direction, the "
               f"colour and words say better or worse; no marker: no evidence of a change). "
               f"{policy.change_text_for(level)} Dotted line: MSF average; dashed line: target. {trend}. "
               "Indicators only surveyed at force level are shown for the force only. Points on fewer than "
               f"{config.suppression_threshold} respondents are withheld.")
    return fig, caption


def _table_export(division, area):
    """Every estimate of the geography shown, over time, with its interval and base, and the
    published changes with their tests (two blocks, one sheet)."""
    snapshot, config = live()
    level, geo, _ = _geography(snapshot, config, division, area)
    est = snapshot.table("estimates")
    series = est[(est.level == level) & (est.geography_code == geo) & (est.subgroup_dimension == "all")]
    names = geography_names(snapshot, config)
    policy = significance_policy(snapshot)
    out = estimates_export(series.sort_values(["indicator", "period"]), config, names, policy)
    chg = optional_table(snapshot, "changes")
    if chg is None:
        return out.assign(row_type="estimate"), f"trends-{geo}"
    chg = chg[(chg.level == level) & (chg.geography_code == geo) & (chg.subgroup_dimension == "all")]
    changes = changes_export(chg.sort_values(["indicator", "period", "compared_with"]), config, policy)
    changes = changes.rename(columns={"indicator": "indicator_id", "indicator_name": "indicator"})
    return pd.concat([out.assign(row_type="estimate"), changes.assign(row_type="change")], ignore_index=True), \
        f"trends-{geo}"


table_buttons = table_downloads("trends", _table_export, [State(DIVISION, "value"), State(GEOGRAPHY, "value")],
                                what="trend figures")


def _panels_export(division, area):
    """The panels rebuilt from the selections; unknown ones are refused."""
    snapshot, config = live()
    level, geo, _ = _geography(snapshot, config, division, area, check=known)
    return _panels(snapshot, config, level, geo)


figure_buttons = figure_downloads(GRAPH, "trends", _panels_export,
                                  [State(DIVISION, "value"), State(GEOGRAPHY, "value")], label="Chart")


dash.register_page(__name__, path="/trends", name="Trends", title="Trends", order=3, nav="Trends", layout=layout)
