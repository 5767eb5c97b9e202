"""SPI trends: small multiples with interval bands, MSF average, targets and significance marks."""

from __future__ import annotations

import dash
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, callback, dcc, html

from .. import periods
from ..components.banner import absent
from ..components.downloads import figure_downloads, table_downloads
from ..components.state import checked, known, select, state_id
from ..figures.charts import crime_trend, trend_panels
from ..views.choices import crime_rates, crime_summary, has_survey_results
from ..views.exports import changes_export, estimates_export, geography_names
from ..views.select import ALL_DIVISIONS, latest_period, optional_table, significance_policy
from ..views.words import FORCE_ONLY, NO_SURVEY_RESULTS, POLICE_RECORDED, interval, percent, source_line
from .common import DIVISION, GRAPH_CONFIG, division_label, live, page

GRAPH, CAPTION, CRIME_GRAPH = "trends-graph", "trends-caption", "trends-crime"
WIDTH = "trends-width"  # the browser window's width, read once on load: how many panel columns fit
COLUMNS = ((700, 1), (1100, 2))  # below 700 px one column, below 1,100 two, else three
GEOGRAPHY = state_id("area")


def _crime_block(snapshot):
    """Recorded crime over the periods for the selected force or division; nothing without it."""
    if crime_rates(snapshot) is None:
        return html.Div()
    return html.Div([html.H2("Recorded crime over time", className="h4 mt-4"),
                     dcc.Store(id=CRIME_READY, data=True),
                     dcc.Graph(id=CRIME_GRAPH, config=GRAPH_CONFIG)])


# An input inside the page: Dash runs a callback when the page is rendered only if one of its
# inputs is rendered with it (the division control lives in the header, so on its own it never did).
CRIME_READY = "trends-crime-ready"


@callback(Output(CRIME_GRAPH, "figure"), Input(DIVISION, "value"), Input(CRIME_READY, "data"))
def update_crime(division, _ready=True):
    snapshot, config = live()
    division = checked(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    rows = crime_summary(snapshot, config, latest_only=False)
    if rows is None:
        return {}
    geo = config.force_code if division == ALL_DIVISIONS else division
    where = config.force_name if division == ALL_DIVISIONS else division_label(config, division)
    return crime_trend(rows[rows["geography_code"] == geo], list(config.period_labels),
                       lambda p: periods.period_phrase(config, p), f"{where}: recorded crime per 1,000 residents",
                       significance_policy(snapshot).confidence, source_line([POLICE_RECORDED], None, snapshot.id))


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
        dcc.Store(id=WIDTH),
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


def _mine(table, level, geo, force_code, force_only):
    """The rows of the geography shown, and the force's rows of the force-only indicators."""
    return table[((table.level == level) & (table.geography_code == geo))
                 | ((table.level == "force") & (table.geography_code == force_code) & table.indicator.isin(force_only))]


def _panels(snapshot, config, level, geo, columns=3, label=None):
    """Every indicator's series for the geography, one panel each; under a division or an area the
    indicators surveyed for the force only follow, as the force's, titled so."""
    est = snapshot.table("estimates")
    est = est[est.subgroup_dimension == "all"]
    own = set(est.loc[(est.level == level) & (est.geography_code == geo), "indicator"])
    force_only = set() if level == "force" else (
        set(est.loc[est.level == "force", "indicator"]) - own)
    series = _mine(est, level, geo, config.force_code, force_only)
    inds = ([i for i in config.indicators if i.kind != "gap" and i.id in own]
            + [i for i in config.indicators if i.kind != "gap" and i.id in force_only])
    chg = optional_table(snapshot, "changes")  # none with a single period
    chg = (pd.DataFrame(columns=["indicator", "period", "flag", "direction", "compared_with"]) if chg is None else
           _mine(chg[chg.subgroup_dimension == "all"], level, geo, config.force_code, force_only))
    msf = optional_table(snapshot, "msf_comparisons") if level == "force" else None
    trends = optional_table(snapshot, "trends")  # none with too few periods
    trends = (pd.DataFrame(columns=["indicator", "geography_code", "direction"]) if trends is None else
              trends[trends.level.isin([level, "force"])])
    surveys = [config.surveys[i.survey].name for i in inds]
    latest = periods.period_phrase(config, latest_period(series)) if len(series) else None
    return trend_panels(series, inds, msf, chg, trends, geo, significance_policy(snapshot),
                        previous=periods.previous_phrase(config), columns=columns, force_only=force_only,
                        force_code=config.force_code, label=label,
                        source=source_line(surveys, latest and f"to {latest}", snapshot.id))


# assets/charts.js (an asset: the Content-Security-Policy refuses inline scripts)
dash.clientside_callback(ClientsideFunction("charts", "width"), Output(WIDTH, "data"), Input(WIDTH, "id"))


def columns_for(width) -> int:
    """Panel columns for a window ``width`` in px (anything else: three)."""
    if not isinstance(width, (int, float)) or isinstance(width, bool) or not 0 < width < 100_000:
        return 3
    return next((n for limit, n in COLUMNS if width < limit), 3)


@callback(Output(GRAPH, "figure"), Output(CAPTION, "children"), Input(DIVISION, "value"), Input(GEOGRAPHY, "value"),
          Input(WIDTH, "data"))
def update(division, area, width=None):
    snapshot, config = live()
    level, geo, label = _geography(snapshot, config, division, area)
    fig = _panels(snapshot, config, level, geo, columns_for(width), label)
    policy = significance_policy(snapshot)
    trend = "Recent trend: chi-squared test for trend over the last periods"
    if policy.trend_periods and policy.trend_confidence:
        trend = (f"Recent trend: chi-squared test for trend over the last {policy.trend_periods} periods at "
                 f"{percent(policy.trend_confidence)}")
    caption = (f"{label}: estimate with its {interval(policy.confidence)} (band); ▲/▼ marks a change from the "
               f"previous period that the published flag calls better or worse (the arrow is the direction, the "
               f"colour and words say better or worse; no marker: no evidence of a change). "
               f"{policy.change_text_for(level)} Dotted line: MSF average; dash-dot line: target. {trend}, in "
               "words under each panel's name (increasing or decreasing, and getting better or worse). "
               + (f"Indicators only surveyed at force level follow as the force's, each marked '{FORCE_ONLY}'. "
                  if level != "force" else "")
               + f"Points on fewer than {config.suppression_threshold} respondents are withheld.")
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
    level, geo, label = _geography(snapshot, config, division, area, check=known)
    return _panels(snapshot, config, level, geo, label=label)


figure_buttons = figure_downloads(GRAPH, "trends", _panels_export,
                                  [State(DIVISION, "value"), State(GEOGRAPHY, "value")], label="Chart")


dash.register_page(__name__, path="/trends", name="Trends", title="Trends", order=3, nav="Trends", layout=layout)
