"""Crime and worry: the matrix scatter with its cut lines, a map of resource levels, and a
table of every area's band, engagement advice and the force's own classification."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dash_table, dcc, html
from dash.exceptions import PreventUpdate

from ..components.banner import absent
from ..components.downloads import figure_downloads, table_downloads
from ..components.glossary import terms_line
from ..components.map_table import described_map, level_rows_table, map_name
from ..components.state import checked, known, select, state_id
from ..figures.charts import matrix_scatter
from ..figures.maps import area_map
from ..views.exports import matrix_export
from ..views.glossary import entry
from ..views.select import (
    ALL_DIVISIONS,
    matrix_selection,
    matrix_table_rows,
    optional_table,
    resource_levels,
    significance_policy,
)
from ..views.words import POLICE_RECORDED, interval, source_line
from .common import DIVISION, GRAPH_CONFIG, division_label, geometry_url, live, page

SCATTER, MAP, TABLE, SUMMARY = "matrix-scatter", "matrix-map", "matrix-table", "matrix-summary"
MAP_NAME, MAP_TABLE = "matrix-map-name", "matrix-map-table"  # the map's caption (accessible name) and table
PERIOD = state_id("mperiod")


def _body(snapshot, config):
    m = optional_table(snapshot, "matrix")
    if m is None or m.empty:
        window = f"{config.matrix.crime_window_months} months" if config.matrix else "a full window"
        return absent(f"No crime/worry matrix is published for this force: it needs a [matrix] configuration, "
                      f"{window} of crime data, respondent-level data of the worry-side survey and area populations.")
    periods = sorted(m["period"].unique(), reverse=True)
    return html.Div([
        select("mperiod", "Period", [("latest", f"Latest ({periods[0]})")] + [(p, p) for p in periods], "latest"),
        html.P(id=SUMMARY, className="small", **{"aria-live": "polite"}),
        terms_line("resource-level", "interval", "base", "suppression"),
        dbc.Row([
            dbc.Col(dcc.Graph(id=SCATTER, config=GRAPH_CONFIG), lg=7),
            dbc.Col(described_map(dcc.Graph(id=MAP, config=GRAPH_CONFIG), MAP_NAME, MAP_TABLE), lg=5),
        ]),
        scatter_buttons(),
        html.Div([html.H2("Areas, bands and engagement", className="h5 mt-3 me-3 d-inline-block"), table_buttons()]),
        dash_table.DataTable(id=TABLE, sort_action="native", page_action="none", style_table={"overflowX": "auto"},
                             style_cell={"fontFamily": "inherit", "fontSize": "0.85rem", "whiteSpace": "normal",
                                         "textAlign": "left", "padding": "4px"},
                             columns=[{"name": n, "id": i} for i, n in (
                                 ("area_name", "Area"), ("division_name", "Division"),
                                 ("crime", f"Crime index ({interval(significance_policy(snapshot).confidence)})"),
                                 ("worry", f"Worry index ({interval(significance_policy(snapshot).confidence)})"),
                                 ("band", "Crime / worry"),
                                 ("resource_level", "Resource level"), ("engagement", "Engagement"),
                                 ("frequency", "Frequency"), ("supplied", "Force's own matrix"))]),
    ])


def layout(**_query):
    return page("Crime and worry matrix", _body)


def _selected(period, division):
    """(snapshot, config, division, period, matrix rows, cuts) for the page's checked selections;
    PreventUpdate without a matrix (the page says so and draws nothing)."""
    snapshot, config = live()
    division = checked(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    selection = matrix_selection(snapshot, config, period, division)
    if selection is None:
        raise PreventUpdate
    period, m, cuts = selection
    return snapshot, config, division, period, m, cuts


@callback(Output(MAP_NAME, "children"), Output(MAP_TABLE, "children"),
          Input(PERIOD, "value"), Input(DIVISION, "value"))
def update_map_name(period, division):
    """The resource-level map's accessible name (its caption) and its table of areas."""
    snapshot, config, division, period, m, _ = _selected(period, division)
    counts = m["resource_level"].value_counts()
    said = ", ".join(f"{counts.get(name, 0)} {name}" for name, _ in resource_levels(config)[::-1])
    name = map_name(entry("resource-level").term.lower() + "s", period, division_label(config, division), said)
    rows = [(r["area_code"], r["area_name"], [r["division_name"], r["resource_level"], r["band"], r["crime"],
                                              r["worry"]]) for r in matrix_table_rows(m)]
    head = ["Area", "Division", "Resource level", "Crime / worry", "Crime index", "Worry index"]
    return name, level_rows_table(rows, head, f"{len(rows)} areas, in area code order.")


def _table_export(period, division):
    snapshot, config, division, period, m, _ = _selected(period, division)
    return matrix_export(m, significance_policy(snapshot).confidence), f"matrix-{period.replace('/', '-')}-{division}"


table_buttons = table_downloads("matrix", _table_export, [State(PERIOD, "value"), State(DIVISION, "value")],
                                what="matrix table")


def _scatter_export(period, division):
    """The scatter as the page draws it, rebuilt from the selections; unknown ones are refused."""
    snapshot, config = live()
    m = optional_table(snapshot, "matrix")
    if m is None or m.empty:
        return None
    period = known(period, set(m["period"]) | {"latest"}, "latest")
    division = known(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    period, m, cuts = matrix_selection(snapshot, config, period, division)
    return _scatter(snapshot, config, m, cuts, period, division)


def _scatter(snapshot, config, m, cuts, period: str, division: str):
    """The matrix chart, titled with how many areas are at each resource level, and its source:
    the worry side's survey and the police-recorded crime."""
    counts = m["resource_level"].value_counts()
    levels = resource_levels(config)
    finding = ", ".join(f"{counts.get(name, 0)} {name}" for name, _ in levels[::-1] if counts.get(name, 0))
    survey = config.surveys[config.matrix.worry_survey].name
    return matrix_scatter(m, levels, cuts, significance_policy(snapshot).confidence,
                          title=f"{division_label(config, division)}, {period}: {finding}",
                          source=source_line([survey, POLICE_RECORDED], period, snapshot.id))


scatter_buttons = figure_downloads(SCATTER, "crime-worry-matrix", _scatter_export,
                                   [State(PERIOD, "value"), State(DIVISION, "value")], label="Matrix chart")


@callback(Output(SCATTER, "figure"), Output(MAP, "figure"), Output(TABLE, "data"), Output(SUMMARY, "children"),
          Input(PERIOD, "value"), Input(DIVISION, "value"))
def update(period, division):
    snapshot, config, division, period, m, cuts = _selected(period, division)
    levels = resource_levels(config)
    confidence = significance_policy(snapshot).confidence
    scatter = _scatter(snapshot, config, m, cuts, period, division)
    # The map colours each area by its resource level (rank), with the level's name as hover text.
    fig = area_map(geometry_url(snapshot),  # the shapes the browser already holds
                   m.assign(value=m["rank"], lower_95=m["rank"], upper_95=m["rank"], base=m["worry_base"],
                            suppressed=False), "resource", levels)
    rows = matrix_table_rows(m)
    counts = m["resource_level"].value_counts()
    agree = optional_table(snapshot, "matrix_agreement")
    agree_text = ""
    if agree is not None and (agree["period"] == period).any():
        a = agree[agree["period"] == period].iloc[0]
        agree_text = (f" Agreement with the force's own matrix (whole force): crime level {a.crime_agree} of "
                      f"{a.areas}, worry level {a.worry_agree} of {a.areas}.")
    summary = (f"{period}, {division_label(config, division)}: " +
               ", ".join(f"{counts.get(name, 0)} {name}" for name, _ in levels[::-1]) +
               f". High or low only when the whole {interval(confidence)} clears the line (100 = force average); "
               "otherwise 'not distinguishable'." + agree_text)
    return scatter, fig, rows, summary


dash.register_page(__name__, path="/matrix", name="Crime and worry", title="Crime and worry matrix", order=2,
                   nav="Crime and worry", layout=layout)
