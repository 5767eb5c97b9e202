"""Map: any area-level indicator, period and colouring, for the force or one division.

The map's geometry is a URL the browser fetches once a snapshot and keeps (``geometry_url``);
changing indicator, period, colouring or division sends only new value arrays (a Patch).
A sortable table and a ranked chart sit beside it.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, Patch, State, callback, ctx, dash_table, dcc, html, no_update
from dash.exceptions import PreventUpdate

from .. import periods
from ..components.banner import absent
from ..components.downloads import FIGURE_EXPORTS, FigureExport, figure_downloads, table_downloads
from ..components.glossary import KEEP_STATE, terms_line
from ..components.map_table import described_map, estimate_rows_table, flag_counts, map_name
from ..components.state import checked, known, select, state_id
from ..figures.charts import ranked_bars
from ..figures.images import figure_image
from ..figures.maps import area_map, snapshot_geojson, source_note, trace_arrays
from ..views.choices import crime_rates, map_choice, map_choices, periods_with_results
from ..views.exports import area_table_export, crime_table_export
from ..views.select import (
    ALL_DIVISIONS,
    CRIME_PREFIX,
    area_values,
    crime_area_values,
    optional_table,
    resource_levels,
    significance_policy,
)
from ..views.words import (
    NO_MAP_DATA,
    POLICE_RECORDED,
    base_text,
    flag_direction_glyph,
    flag_finding,
    interval,
    source_line,
    vs_force_phrase,
    withheld_note,
)
from .common import DIVISION, GRAPH_CONFIG, division_label, geometry_url, live, page

MAP = "map-graph"
DRAWN = "map-drawn"  # the snapshot whose geometry the browser's map holds
TABLE = "map-table"
BARS = "map-bars"
CAPTION = "map-caption"
RULE = "map-rule"
MAP_NAME, MAP_TABLE = "map-name", "map-areas-table"  # the map's caption (its accessible name) and its table
PNG_BUTTON, SVG_BUTTON, PDF_BUTTON, IMAGE_DOWNLOAD = "map-png", "map-svg", "map-pdf", "map-image-download"
COLOURINGS = [("value", "Value (continuous)"), ("quintile", "Value (quintiles)"),
              ("significance", "Better / similar / worse than the force"), ("resource", "Resource level")]
INDICATOR = state_id("indicator")
PERIOD = state_id("period")
COLOUR = state_id("colour")


CRIME_UNIT = " per 1,000"


def _periods(snapshot, config, choice: str | None = None) -> list[str]:
    """Periods with results, latest first: of the survey estimates, of the crime rates, or (no
    choice) of either."""
    return periods_with_results(snapshot, config, None if choice is None else choice.startswith(CRIME_PREFIX))


def _controls(snapshot, config):
    periods = _periods(snapshot, config)
    return html.Div([
        select("indicator", "Indicator", map_choices(snapshot, config), map_choice(snapshot, config)),
        select("period", "Period", [("latest", f"Latest ({periods[0]})")] + [(p, p) for p in periods], "latest"),
        select("colour", "Colour by", COLOURINGS, "value"),
    ], className="d-flex flex-wrap align-items-end")


def _body(snapshot, config):
    if map_choice(snapshot, config) is None:
        return absent(NO_MAP_DATA)
    return html.Div([
        _controls(snapshot, config),
        dcc.Store(id=DRAWN),
        html.P([html.Span(id=CAPTION), " ", html.A("Indicator definitions", href="/data#definitions", **KEEP_STATE)],
               className="small", **{"aria-live": "polite"}),
        # The rule is the snapshot's, the same for every selection: said once here, not resent on each switch.
        html.P(_rule_text(snapshot), id=RULE, className="small"),
        terms_line("interval", "base", "small-base", "suppression", "fdr", "resource-level"),
        dbc.Row([
            dbc.Col(described_map(dcc.Graph(id=MAP, config={**GRAPH_CONFIG, "scrollZoom": False}), MAP_NAME,
                               MAP_TABLE), lg=7),
            dbc.Col(dcc.Graph(id=BARS, config=GRAPH_CONFIG), lg=5, className="scroll-panel",
                    style={"maxHeight": "600px", "overflowY": "auto"}),
        ]),
        html.Div([html.H2("Areas", className="h5 mt-3 me-3 d-inline-block"),
                  table_buttons(),
                  html.Div([dbc.Button(f"Map as {fmt.upper()}", id=button, size="sm", color="secondary",
                                       outline=True, className="me-2 mb-1", title=f"Download the map as {fmt.upper()}")
                            for fmt, button in (("png", PNG_BUTTON), ("svg", SVG_BUTTON), ("pdf", PDF_BUTTON))]
                           + [dcc.Download(id=IMAGE_DOWNLOAD)], className="d-inline-block d-print-none"),
                  bars_buttons()]),
        dash_table.DataTable(id=TABLE, sort_action="native", page_action="none", style_table={"overflowX": "auto"},
                             style_cell={"fontFamily": "inherit", "fontSize": "0.9rem", "padding": "4px"},
                             columns=_columns(config, crime=False)),
    ])


def layout(**_query):
    return page("Map of areas", _body)


@callback(Output(MAP_NAME, "children"), Output(MAP_TABLE, "children"),
          Input(INDICATOR, "value"), Input(PERIOD, "value"), Input(DIVISION, "value"), Input(DRAWN, "data"))
def update_map_name(indicator, period, division, _drawn):
    """The map's accessible name (its figure caption) and its table: what a keyboard or
    screen-reader user has instead of hovering over the shapes. After the map (``_drawn``, see
    ``update_table``)."""
    snapshot, config, indicator, period, _, division, values = _selection(indicator, period, "value", division)
    unit = _unit(indicator)
    counts = (flag_counts(values["flag"]) if unit == "%" else
              f"{int(values['value'].notna().sum())} areas with a rate, none tested against the force")
    name = map_name(_name(snapshot, config, indicator), periods.period_phrase(config, period),
                    division_label(config, division), counts)
    table = estimate_rows_table(values, unit, interval(config.policy.confidence).capitalize(),
                                f"{len(values)} areas, in area code order.")
    return name, table


def _selection(indicator, period, colour, division, check=checked):
    """The selections checked (``known`` for downloads, which refuses unknown ones) and the values."""
    snapshot, config = live()
    default = map_choice(snapshot, config)
    if default is None:  # no area results: the page says so and has no map to update
        raise PreventUpdate
    indicator = check(indicator, {c for c, _ in map_choices(snapshot, config)}, default)
    mine = _periods(snapshot, config, indicator)
    period = check(period, set(_periods(snapshot, config)) | {"latest"}, "latest")
    period = (mine[0] if mine else period) if period == "latest" else period
    colour = check(colour, {c for c, _ in COLOURINGS}, "value")
    division = check(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    values = _values(snapshot, config, indicator, period, division)
    return snapshot, config, indicator, period, colour, division, values


def _values(snapshot, config, indicator, period, division):
    """One row per area shown: a survey indicator's estimates, or a crime measure's rates."""
    return (crime_area_values if indicator.startswith(CRIME_PREFIX) else area_values)(
        snapshot, config, indicator, period, division)


def _unit(indicator: str) -> str:
    return CRIME_UNIT if indicator.startswith(CRIME_PREFIX) else "%"


def _name(snapshot, config, indicator: str) -> str:
    return dict(map_choices(snapshot, config)).get(indicator, indicator)


@callback(Output(MAP, "figure"), Output(CAPTION, "children"), Output(DRAWN, "data"),
          Input(INDICATOR, "value"), Input(PERIOD, "value"), Input(COLOUR, "value"), Input(DIVISION, "value"),
          State(DRAWN, "data"))
def update_map(indicator, period, colour, division, drawn):
    """First call, or a new snapshot live: the whole figure. After that: a Patch with only the
    new arrays. The browser says which snapshot's geometry it holds (``drawn``, a few bytes)
    rather than sending its figure back, which at 10,000 areas would be megabytes a click."""
    snapshot, config, indicator, period, colour, division, values = _selection(indicator, period, colour, division)
    policy = _policy(snapshot)
    unit = _unit(indicator)
    if unit == "%":
        flagged = int(values["flag"].isin(("better", "worse")).sum())
        detail = (f"{int(values['suppressed'].sum())} withheld (fewer than {config.suppression_threshold} "
                  f"respondents, or to protect another withheld figure); {flagged} differ from the force "
                  f"({policy.label}). ")
    else:
        detail = (f"rate per 1,000 residents with its exact Poisson interval; {int(values['value'].isna().sum())} "
                  "without a rate (population not known); no area is tested against the force. ")
    caption = (f"{_name(snapshot, config, indicator)}, {periods.period_phrase(config, period)}, "
               f"{division_label(config, division)}: "
               f"{len(values)} areas; " + detail + "Hover for value, interval and base; click an area for its profile.")
    if drawn != snapshot.id:  # the whole figure once (its shapes a URL); the division filter then patches locations
        figure = area_map(geometry_url(snapshot), values, colour, resource_levels(config),
                          policy, unit, config.suppression_threshold, _source(snapshot, config, indicator, period))
        return figure, caption, snapshot.id
    arrays = trace_arrays(values, colour, resource_levels(config), policy, unit, config.suppression_threshold)
    patch = Patch()
    trace = patch["data"][0]
    triggered = {t["prop_id"] for t in ctx.triggered}
    if any('"division"' in t for t in triggered):  # the set of areas shown changes
        trace["locations"] = values["area_code"].tolist()
        trace["customdata"] = [[n, d] for n, d in zip(values["area_name"], values["division_name"])]
    # The scale and its key follow the values too (the grey band of suppressed areas, the ticks): a few bytes.
    changed = ["z", "text", "zmin", "zmax", "colorscale", "colorbar"]
    for key in changed:
        trace[key] = arrays[key]
    patch["layout"]["annotations"] = [source_note(_source(snapshot, config, indicator, period))]
    return patch, caption, no_update


def _source(snapshot, config, indicator, period) -> str:
    """The "Source: …" line of the map and the ranked chart: the survey (or police.uk), period, snapshot."""
    survey = (config.surveys[config.indicator(indicator).survey].name if not indicator.startswith(CRIME_PREFIX)
              else POLICE_RECORDED)
    return source_line([survey], periods.period_phrase(config, period), snapshot.id)


def _rule_text(snapshot) -> str:
    """What the colours of the significance view mean, and (where the force has crime data) that
    crime rates are not tested: said once per page, the same for every selection."""
    policy = _policy(snapshot)
    parts = [f"Better / worse than the force ({policy.label}): {policy.area_text}"] if policy is not None else []
    if crime_rates(snapshot) is not None:
        parts.append("Crime rates are shown with their intervals; they are not tested against the force.")
    return " ".join(parts)


def _columns(config, crime: bool) -> list[dict]:
    """The table's columns: a survey estimate's (%, respondents) or a crime rate's (per 1,000
    residents, recorded crimes)."""
    return [{"name": n, "id": i} for i, n in (
        ("area_name", "Area"), ("division_name", "Division"),
        ("value", "Rate per 1,000" if crime else "Value %"),
        ("interval", interval(config.policy.confidence).capitalize()),
        ("base", "Recorded crimes" if crime else "Base (respondents)"), ("flag", "Compared with the force"),
        ("resource_level", "Resource level"), ("note", "Note"))]


@callback(Output(TABLE, "data"), Output(BARS, "figure"), Output(TABLE, "columns"),
          Input(INDICATOR, "value"), Input(PERIOD, "value"), Input(DIVISION, "value"), Input(DRAWN, "data"))
def update_table(indicator, period, division, _drawn):
    """The areas' table and the ranked chart, after the map: ``DRAWN`` is an input only so that
    Dash's renderer holds this callback until the map's has answered (a callback whose input is
    another pending callback's output waits for it: Dash docs, "Dash App With Chained
    Callbacks"). On a fresh load the map, the page's subject, is then drawn without the table,
    the chart and their requests competing with it for the server and the browser."""
    snapshot, config, indicator, period, _, division, values = _selection(indicator, period, "value", division)
    crime = indicator.startswith(CRIME_PREFIX)
    force = _force_value(snapshot, indicator, period)
    rows = []
    for r in values.itertuples():
        shown = not r.suppressed and r.value == r.value
        rows.append({"area_name": r.area_name, "division_name": r.division_name,
                     "value": round(r.value, 1) if shown else None,
                     "interval": f"{r.lower_95:.1f}–{r.upper_95:.1f}" if shown else "",
                     "base": int(r.base) if r.base == r.base else base_text(r.base),
                     "flag": f"{flag_direction_glyph(r.flag, r.value, force)} {vs_force_phrase(r.flag)}",
                     "resource_level": r.resource_level,
                     "note": withheld_note(config.suppression_threshold) if r.suppressed
                     else ("rate per 1,000; base: recorded crimes" + ("" if r.value == r.value else
                                                                      ", population not known") if crime
                           else "small base" if r.small_base else "")})
    return rows, _bars(snapshot, config, indicator, period, values), _columns(config, crime)


def _force_value(snapshot, indicator, period):
    """The force's published value of the indicator (or crime rate) in the period; None if withheld."""
    if indicator.startswith(CRIME_PREFIX):
        rates = crime_rates(snapshot)
        force = rates[(rates["measure"] == indicator.removeprefix(CRIME_PREFIX)) & (rates["period"] == period)
                      & (rates["level"] == "force")].rename(columns={"rate": "value"}).assign(suppressed=False)
    else:
        est = snapshot.table("estimates")
        force = est[(est["indicator"] == indicator) & (est["period"] == period) & (est["level"] == "force")
                    & (est["subgroup_dimension"] == "all")]
    force_value = None if force.empty or bool(force["suppressed"].iloc[0]) else float(force["value"].iloc[0])
    return None if force_value != force_value else force_value


def _bars(snapshot, config, indicator, period, values):
    """The ranked chart of the areas shown, with the force's value as its reference line."""
    force_value = _force_value(snapshot, indicator, period)
    title = f"{_name(snapshot, config, indicator)}, {periods.period_phrase(config, period)}: "
    finding = flag_finding(values["flag"].tolist()) if _unit(indicator) == "%" else ""
    title += finding or "areas ranked"
    return ranked_bars(values, force_value, title, _policy(snapshot), _unit(indicator),
                       _source(snapshot, config, indicator, period))


def _policy(snapshot):
    """The published significance policy; None for a force with no survey results (none is published)."""
    return significance_policy(snapshot) if optional_table(snapshot, "significance_policy") is not None else None


@callback(Output("_pages_location", "pathname"), Input(MAP, "clickData"), prevent_initial_call=True)
def open_profile(click):
    """Clicking an area opens its profile (through the pages router's own location)."""
    if not click or not click.get("points"):
        return no_update
    code = click["points"][0].get("location")
    snapshot, _ = live()
    if code not in set(snapshot.table("areas")["area_code"]):
        return no_update
    return f"/area/{code}"


def _table_export(indicator, period, division):
    """The table as shown (suppression applied), with definition and method columns."""
    snapshot, config, indicator, period, _, division, values = _selection(indicator, period, "value", division)
    stem = f"{indicator.replace(CRIME_PREFIX, 'crime-').replace(' ', '-')}-{period.replace('/', '-')}-{division}"
    if indicator.startswith(CRIME_PREFIX):
        return crime_table_export(values, _name(snapshot, config, indicator), period,
                                  division_label(config, division), config.policy.confidence), stem
    frame = area_table_export(values, config.indicator(indicator), config, period, division_label(config, division),
                              significance_policy(snapshot))
    return frame, stem


table_buttons = table_downloads("map", _table_export, [State(INDICATOR, "value"), State(PERIOD, "value"),
                                                       State(DIVISION, "value")], what="areas table")


def _bars_export(indicator, period, division):
    """The ranked chart rebuilt from the selections; unknown ones are refused."""
    snapshot, config, indicator, period, _, division, values = _selection(indicator, period, "value", division,
                                                                          check=known)
    return _bars(snapshot, config, indicator, period, values)


bars_buttons = figure_downloads(BARS, "areas-ranked", _bars_export, [State(INDICATOR, "value"),
                                State(PERIOD, "value"), State(DIVISION, "value")], label="Ranked chart")


def map_figure(snapshot, config, indicator, period, colour, division):
    """The map as shown, as a whole figure with its title (for image exports)."""
    values = _values(snapshot, config, indicator, period, division)
    fig = area_map(snapshot_geojson(snapshot.key, tuple(values["area_code"])), values, colour,
                   resource_levels(config), _policy(snapshot), _unit(indicator), config.suppression_threshold,
                   _source(snapshot, config, indicator, period))
    fig.update_layout(title=dict(text=f"{_name(snapshot, config, indicator)}, {periods.period_phrase(config, period)}, "
                                      f"{division_label(config, division)}", x=0),
                      margin=dict(l=10, r=10, t=50, b=45))
    return fig


def _map_export(indicator, period, colour, division):
    """The map rebuilt whole from the selections; unknown ones are refused."""
    snapshot, config, indicator, period, colour, division, _ = _selection(indicator, period, colour, division,
                                                                          check=known)
    return map_figure(snapshot, config, indicator, period, colour, division)


MAP_STATES = (State(INDICATOR, "value"), State(PERIOD, "value"), State(COLOUR, "value"), State(DIVISION, "value"))
MAP_EXPORT = FIGURE_EXPORTS[IMAGE_DOWNLOAD] = FigureExport(_map_export, MAP_STATES, width=1200, height=800)


@callback(Output(IMAGE_DOWNLOAD, "data"), Input(PNG_BUTTON, "n_clicks"), Input(SVG_BUTTON, "n_clicks"),
          Input(PDF_BUTTON, "n_clicks"), *MAP_STATES, prevent_initial_call=True)
def download_image(_png, _svg, _pdf, indicator, period, colour, division):
    """The map rebuilt whole on the server from the selections (the browser's copy holds patches);
    its own buttons and file name, so not through figure_downloads."""
    # An unknown selection raises UnknownSelection: answered 400 by dashboard.serving.
    _, _, indicator, period, colour, division, _ = _selection(indicator, period, colour, division, check=known)
    fmt = {SVG_BUTTON: "svg", PDF_BUTTON: "pdf"}.get(ctx.triggered_id, "png")
    fig = MAP_EXPORT.build(indicator, period, colour, division)
    width, height = MAP_EXPORT.size(fig)
    image = figure_image(fig, fmt, width=width, height=height)
    return dcc.send_bytes(image, f"map-{indicator}-{period.replace('/', '-')}-{division}.{fmt}")


dash.register_page(__name__, path="/map", name="Map", title="Map of areas", order=1, nav="Map", layout=layout)
