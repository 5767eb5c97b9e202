"""Area profile: every indicator against the division and the force, the funnel plot, raw and
shrunken estimates, crime by type, the matrix band and advice, bases and suppression notes."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from .. import periods
from ..components.banner import absent
from ..components.downloads import figure_downloads, table_downloads
from ..components.state import checked, known, select, state_id
from ..figures.charts import SPINE_METHOD, crime_by_type, funnel_plot, spine_chart
from ..stats.areas import flag_limits
from ..views.choices import crime_rates, map_indicator, map_indicators
from ..views.exports import estimates_export, geography_names
from ..views.select import area_indicators, latest_period, optional_table, significance_policy
from ..views.words import (
    NO_AREA_RESULTS,
    NO_CRIME_RATES,
    POLICE_RECORDED,
    base_text,
    ci,
    flag_direction_glyph,
    flag_finding,
    source_line,
    vs_force_phrase,
    withheld_note,
)
from .common import GRAPH_CONFIG, info_link, live, page

FUNNEL, SPINE, CRIME = "area-funnel", "area-spine", "area-crime"
SPINE_NOTE = "area-spine-note"
FUNNEL_INDICATOR = state_id("funnel")
AREA_CODE = "area-code"


def _indicator_rows(snapshot, config, code) -> list[dict]:
    """Every area indicator of the latest period: the area's estimate beside its division's and
    the force's, with the published flag and shrunken estimate."""
    division = snapshot.table("areas").set_index("area_code").loc[code, "division_code"]
    est = snapshot.table("estimates")
    period = latest_period(est)
    # The rows this page shows (the area, its division, the force), picked in one pass.
    sel = est[(est.period == period) & (est.subgroup_dimension == "all") & (
        (est.level == "force") | ((est.level == "division") & (est.geography_code == division))
        | ((est.level == "area") & (est.geography_code == code)))]
    ac = optional_table(snapshot, "area_comparisons")
    ac = ac[(ac.period == period) & (ac.area_code == code)].set_index("indicator") if ac is not None else None
    # The spine chart's bar: the spread of the force's areas (not suppressed) on each indicator.
    spread = est[(est.period == period) & (est.subgroup_dimension == "all") & (est.level == "area")
                 & ~est.suppressed].groupby("indicator")["value"]
    spread = pd.DataFrame({"low": spread.min(), "q25": spread.quantile(0.25), "q75": spread.quantile(0.75),
                           "high": spread.max()})
    rows = []
    for ind in area_indicators(config):
        a = sel[(sel.indicator == ind.id) & (sel.level == "area") & (sel.geography_code == code)]
        d = sel[(sel.indicator == ind.id) & (sel.level == "division") & (sel.geography_code == division)]
        f = sel[(sel.indicator == ind.id) & (sel.level == "force")]
        if a.empty:
            continue
        a = a.iloc[0]
        c = ac.loc[ind.id] if ac is not None and ind.id in ac.index else None
        flag = "suppressed" if a.suppressed else (c.flag if c is not None else "not tested")
        q = spread.loc[ind.id] if ind.id in spread.index else pd.Series(dict.fromkeys(spread.columns, np.nan))
        low_best = ind.polarity == "lower"
        rows.append({"id": ind.id, "label": ind.short_name, "polarity": ind.polarity,
                     "worst": q["low"] if not low_best else q["high"], "best": q["high"] if not low_best else q["low"],
                     "q25": q["q25"], "q75": q["q75"], "value": a.value, "lower_95": a.lower_95,
                     "upper_95": a.upper_95, "base": a.base, "suppressed": bool(a.suppressed),
                     "small_base": bool(a.small_base),
                     "division_value": d.value.iloc[0] if len(d) else np.nan,
                     "force_value": f.value.iloc[0] if len(f) else np.nan, "flag": flag,
                     "shrunk": (c.shrunk_value, c.shrunk_lower, c.shrunk_upper) if c is not None else None,
                     "shrink_note": _shrink_note(c)})
    return rows


def _spine_figure(snapshot, config, code, rows=None):
    """The spine chart of the area's indicators in the latest period (``SPINE_METHOD``)."""
    rows = _indicator_rows(snapshot, config, code) if rows is None else rows
    period = latest_period(snapshot.table("estimates"))
    tested = [r["flag"] for r in rows]
    finding = flag_finding(tested, level="indicator")
    surveys = [config.surveys[config.indicator(r["id"]).survey].name for r in rows]
    name = snapshot.table("areas").set_index("area_code").loc[code, "area_name"]
    title = f"{name}, {periods.period_phrase(config, period)}" + (f": {finding}" if finding else "")
    return spine_chart(pd.DataFrame(rows), significance_policy(snapshot), title=title,
                       source=source_line(surveys, periods.period_phrase(config, period), snapshot.id))


def _shrink_note(c) -> str | None:
    """Why the area has no shrunken estimate (published with it), or None when it has one."""
    if c is None:
        return None
    note = getattr(c, "shrink_note", None)
    if isinstance(note, str) and note:
        return note
    # A snapshot published before the note existed: an absent value is still said to be absent.
    return None if pd.notna(c.shrunk_value) else "not computed"


def _crime_rows(snapshot, config, code):
    """(the area's rows by crime type, the force's rows) of the latest period with crime rates
    (``crime_rates``, published at ingest by dashboard/derived_crime.py); None without them."""
    rates = crime_rates(snapshot)
    if rates is None:
        return None
    rp = max(rates["period"].unique(), key=list(config.period_labels).index)
    latest = rates[(rates.period == rp) & ~rates.measure.str.startswith("basket:")]
    return latest[(latest.level == "area") & (latest.geography_code == code)], latest[latest.level == "force"]


def _crime_figure(snapshot, config, code):
    """The area's recorded crime rates by type against the force's; None without rates for it."""
    rows = _crime_rows(snapshot, config, code)
    if rows is None or rows[0]["rate"].isna().all():
        return None
    period = rows[1]["period"].iat[0] if len(rows[1]) else None
    return crime_by_type(rows[0], rows[1], significance_policy(snapshot).confidence,
                         source_line([POLICE_RECORDED], period, snapshot.id))


def _crime_block(snapshot, config, code):
    rows = _crime_rows(snapshot, config, code)
    if rows is None:
        return absent(NO_CRIME_RATES)
    mine, force = rows
    f = force.iloc[0]
    window = f"{f.period} ({f.window}, {int(f.months)} month{'s' if f.months != 1 else ''} of crime data)"
    left_out = (f" The force's rates leave out the {int(f.areas_left_out)} areas whose population is not known "
                f"(and their {int(force['count_left_out'].sum()):,} recorded crimes and incidents)."
                if f.areas_left_out else "")
    if mine["rate"].isna().all():
        return html.P(f"This area's population is not known, so its crime rates are not calculated: "
                      f"{int(mine['count'].sum()):,} recorded crimes and incidents in {window}." + left_out)
    return html.Div([html.P(f"{window}: rate per 1,000 residents by crime type, against the force." + left_out,
                            className="small"),
                     crime_buttons(), dcc.Graph(id=CRIME, figure=_crime_figure(snapshot, config, code),
                                                config=GRAPH_CONFIG)])


def _survey_block(snapshot, config, code):
    """Every indicator against the division and the force, the funnel plot and the table; or the
    one sentence that says there are no area results."""
    default = map_indicator(snapshot, config)
    if default is None:
        return absent(NO_AREA_RESULTS)
    period = latest_period(snapshot.table("estimates"))
    inds = map_indicators(snapshot, config)
    policy = significance_policy(snapshot)
    rows = _indicator_rows(snapshot, config, code)
    table_rows = [html.Tr([
        html.Th([r["label"], info_link(r["id"])], scope="row"),
        html.Td("suppressed" if r["suppressed"] else f"{r['value']:.1f}% ({r['lower_95']:.1f}–{r['upper_95']:.1f})"),
        html.Td(base_text(r["base"]) + (" †" if r["small_base"] else "")),
        html.Td("" if r["shrunk"] is None or r["suppressed"] else r["shrink_note"] or
                f"{r['shrunk'][0]:.1f}% ({r['shrunk'][1]:.1f}–{r['shrunk'][2]:.1f})"),
        html.Td(f"{r['division_value']:.1f}%"), html.Td(f"{r['force_value']:.1f}%"),
        html.Td(f"{flag_direction_glyph(r['flag'], r['value'], r['force_value'])} {vs_force_phrase(r['flag'])}",
                **{"data-flag": r["flag"]}),
    ]) for r in rows]
    suppressed = [r["label"] for r in rows if r["suppressed"]]
    return html.Div([
        html.P(f"Latest survey period: {periods.period_phrase(config, period)}.", className="small"),
        dbc.Row([
            dbc.Col([html.H3("Every indicator against the force's areas (spine chart)", className="h5"),
                     html.P(SPINE_METHOD, className="small", id=SPINE_NOTE),
                     spine_buttons(),
                     dcc.Graph(id=SPINE, figure=_spine_figure(snapshot, config, code, rows),
                               config=GRAPH_CONFIG)],
                    lg=6),
            dbc.Col([html.H3("Funnel plot", className="h5"),
                     html.P(f"Limits: {policy.area_text}", className="small"),
                     select("funnel", "Indicator", [(i.id, i.short_name) for i in inds], default),
                     funnel_buttons(),
                     dcc.Graph(id=FUNNEL, config=GRAPH_CONFIG)], lg=6),
        ]),
        table_buttons(),
        html.Div(html.Table([
            html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                "Indicator", f"Value ({ci(policy.confidence)})", "Base",
                f"Shrunken estimate ({ci(policy.confidence)})", "Division", "Force",
                f"Compared with the force ({policy.label})")])),
            html.Tbody(table_rows)], className="table table-sm"), className="table-responsive"),
        html.P((f"Withheld ({withheld_note(config.suppression_threshold)}): " + ", ".join(suppressed) + ". ")
               if suppressed else "No estimate is suppressed. ", className="small"),
        html.P("† small base. The shrunken estimate borrows strength from the division's other areas; it is shown "
               "beside the raw estimate, never instead of it.", className="small"),
    ])


def _body_for(code):
    def body(snapshot, config):
        areas = snapshot.table("areas").set_index("area_code")
        if code not in areas.index:
            return html.P(f"There is no area {code!r} in this snapshot.", className="alert alert-warning")
        area = areas.loc[code]
        m = optional_table(snapshot, "matrix")
        matrix_block = html.P("No crime/worry matrix in this snapshot.")
        if m is not None and (m.area_code == code).any():
            mm = m[m.area_code == code].sort_values("period", key=lambda s: s.map(list(config.period_labels).index)
                                                    ).iloc[-1]
            crime_index = ("not calculated (population not known)" if mm.crime_index != mm.crime_index else
                           f"{mm.crime_index:.0f} ({mm.crime_lower:.0f}–{mm.crime_upper:.0f})")
            matrix_block = html.Div([
                html.P([html.Span("■ ", style={"color": mm.colour}), html.Strong(mm.resource_level),
                        (f" ({mm.period}): crime {mm.crime_level}, worry {mm.worry_level}"
                         .replace("nd", "not distinguishable")),
                        " (held from an earlier period)" if mm.held else ""]),
                html.P(f"Crime index {crime_index}; worry index "
                       + ("suppressed" if mm.worry_index != mm.worry_index else
                          f"{mm.worry_index:.0f} ({mm.worry_lower:.0f}–{mm.worry_upper:.0f}), n = {mm.worry_base}"),
                       className="small"),
                html.P([html.Strong("Engagement: "), mm.engagement, " ", html.Strong("Frequency: "), mm.frequency]),
            ])
        return html.Div([
            html.H2(f"{area.area_name} ({code}), {area.division_name}", className="h4"),
            html.A("One-page profile (PDF)", id="area-profile-pdf", href=f"/profile/{code}.pdf", download="",
                   className="btn btn-sm btn-outline-secondary mb-2 d-print-none",
                   title="This area on one A4 page: indicators, matrix band, worklist reasons, recorded crime"),
            html.P(f"Resident population {int(area.population):,}." if area.population == area.population
                   else "Population not known.", className="small"),
            dcc.Store(id=AREA_CODE, data=code),
            _survey_block(snapshot, config, code),
            html.H3("Crime/worry matrix", className="h5 mt-3"), matrix_block,
            html.H3("Recorded crime by type", className="h5 mt-3"), _crime_block(snapshot, config, code),
        ])
    return body


def layout(code: str | None = None, **_query):
    return page("Area profile", _body_for(code))


@callback(Output(FUNNEL, "figure"), Input(FUNNEL_INDICATOR, "value"), Input(AREA_CODE, "data"))
def funnel(indicator, code):
    if code is None:
        raise PreventUpdate
    snapshot, config = live()
    default = map_indicator(snapshot, config)
    if default is None:
        raise PreventUpdate
    inds = {i.id for i in map_indicators(snapshot, config)}
    fig = _funnel_figure(snapshot, checked(indicator, inds, default), code)
    return {} if fig is None else fig


def _funnel_figure(snapshot, indicator, code):
    """The indicator's funnel plot with the area highlighted; None when no area has a value."""
    ac = optional_table(snapshot, "area_comparisons")
    period = latest_period(snapshot.table("estimates"))
    pts = ac[(ac.indicator == indicator) & (ac.period == period) & ~ac.suppressed]
    pts = pts.merge(snapshot.table("areas")[["area_code", "area_name"]], on="area_code")
    if pts.empty:
        return None
    # Exactly the limits the published flags use: force value ± flag_z·sqrt(p0(1-p0)/n + flag_tau2).
    p0 = float(pts["force_value"].iloc[0]) / 100
    tested = pts[pts["flag_z"].notna()]
    # The grid holds every area's own base, so the drawn line passes exactly through each area's limit.
    n = np.union1d(np.linspace(max(10, pts["effective_base"].min() * 0.8), pts["effective_base"].max() * 1.2, 80),
                   pts["effective_base"].to_numpy(float))
    if len(tested):
        lower, upper = flag_limits(p0, n, float(tested["flag_z"].iloc[0]), float(tested["flag_tau2"].iloc[0]))
    else:
        lower = upper = np.full(n.shape, np.nan)
    limits = pd.DataFrame({"n": n, "lower": 100 * np.asarray(lower), "upper": 100 * np.asarray(upper)})
    return funnel_plot(pts, p0, limits, code, significance_policy(snapshot))


def _table_export(code):
    """Every estimate for the area, its division and the force, every period, with the area's
    comparisons in the latest period beside them."""
    snapshot, config = live()
    areas = snapshot.table("areas").set_index("area_code")
    if code not in areas.index:
        raise PreventUpdate
    division = areas.loc[code, "division_code"]
    est = optional_table(snapshot, "estimates")
    if est is None:
        raise PreventUpdate
    sel = est[(est.subgroup_dimension == "all") & (
        ((est.level == "area") & (est.geography_code == code)) | ((est.level == "division") & (
            est.geography_code == division)) | (est.level == "force"))
        & est.indicator.isin([i.id for i in area_indicators(config)])]
    policy = significance_policy(snapshot)
    frame = estimates_export(sel.sort_values(["indicator", "period", "level"]), config,
                             geography_names(snapshot, config), policy)
    ac = optional_table(snapshot, "area_comparisons")
    if ac is not None:
        cols = ["indicator", "period", "flag", "flag_rule", "flag_adjusted_p", "shrunk_value", "shrunk_lower",
                "shrunk_upper", "shrink_note"]
        mine = ac.loc[ac.area_code == code, [c for c in cols if c in ac.columns]]
        mine = mine.rename(columns={"indicator": "indicator_id"})
        mine[["shrunk_value", "shrunk_lower", "shrunk_upper"]] = mine[
            ["shrunk_value", "shrunk_lower", "shrunk_upper"]].round(1)
        frame = frame.merge(mine.assign(level="area"), on=["indicator_id", "period", "level"], how="left")
        frame.loc[frame["level"] == "area", "method"] += ". " + policy.area_text
    return frame, f"area-{code}"


table_buttons = table_downloads("area-table", _table_export, [State(AREA_CODE, "data")], what="area's figures")


def _area(snapshot, code):
    """The area code, if the snapshot has it; any other is refused."""
    return known(code, set(snapshot.table("areas")["area_code"]), None)


def _spine_export(code):
    """The area's charts rebuilt on the server from its code (and the funnel's indicator)."""
    snapshot, config = live()
    code = _area(snapshot, code)
    return (None if code is None or map_indicator(snapshot, config) is None
            else _spine_figure(snapshot, config, code))


def _funnel_export(indicator, code):
    snapshot, config = live()
    code = _area(snapshot, code)
    inds = {i.id for i in map_indicators(snapshot, config)}
    indicator = known(indicator, inds, map_indicator(snapshot, config))
    return None if code is None or indicator is None else _funnel_figure(snapshot, indicator, code)


def _crime_export(code):
    snapshot, config = live()
    code = _area(snapshot, code)
    return None if code is None else _crime_figure(snapshot, config, code)


spine_buttons = figure_downloads(SPINE, "area-indicators", _spine_export, [State(AREA_CODE, "data")], label="Chart")
funnel_buttons = figure_downloads(FUNNEL, "area-funnel", _funnel_export,
                                  [State(FUNNEL_INDICATOR, "value"), State(AREA_CODE, "data")], label="Funnel plot")
crime_buttons = figure_downloads(CRIME, "area-crime-by-type", _crime_export, [State(AREA_CODE, "data")],
                                 label="Crime chart")


dash.register_page(__name__, path_template="/area/<code>", name="Area profile", title="Area profile", order=6,
                   layout=layout)
