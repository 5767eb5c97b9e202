"""Equality: the configured gap indicators (a measure's first group minus its second, e.g. white
minus minority-ethnic victims' satisfaction) over time, and who answered the force's survey of
residents against who lives in the area."""

from __future__ import annotations

import dash
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from .. import periods
from ..components.banner import absent
from ..components.downloads import figure_downloads, table_downloads
from ..components.state import checked, known
from ..figures.charts import gap_chart, profile_bars
from ..stats.disclosure import withheld_reason
from ..views.choices import equality_indicators, gaps_shown, geography_labels, has_survey_results, short_names
from ..views.exports import gaps_export, geography_names
from ..views.select import ALL_DIVISIONS, optional_table, respondent_profile, significance_policy
from ..views.words import (
    FORCE_ONLY,
    NO_GAP_INDICATORS,
    NO_GAP_RESULTS,
    NO_PROFILE,
    NO_SURVEY_RESULTS,
    base_text,
    ci,
    gap_phrase,
    interval,
    source_line,
)
from .common import DIVISION, GRAPH_CONFIG, division_label, info_link, live, page

GAP, GAP_TABLE, PROFILE, PROFILE_NOTE = "equality-gap", "equality-gap-table", "equality-profile", "equality-note"
READY = "equality-ready"  # an input inside the page, so its callback runs when the page is rendered


def _gap_section(snapshot, config):
    """The gap indicators (views.choices.equality_indicators) with their definitions, or the one
    sentence that says there are none, or none with results."""
    inds = equality_indicators(config)
    if not inds:
        return [absent(NO_GAP_INDICATORS)]
    gaps = optional_table(snapshot, "gaps")
    have = set() if gaps is None else set(gaps["indicator"])
    policy = significance_policy(snapshot)
    intro = [html.Li([html.Strong(f"{i.short_name}: {i.name}. "), i.definition, info_link(i.id),
                      "" if i.id in have else " " + NO_GAP_RESULTS]) for i in inds]
    section = [html.H2("Gaps between groups", className="h4"), html.Ul(intro, className="small"),
               html.P(f"Each gap is the first group's value minus the second's, with its {interval(policy.confidence)} "
                      f"(Newcombe). {policy.force_text} Small bases: 'no evidence of a gap' means the survey cannot "
                      "tell, not that there is no gap; where the bases are withheld it cannot tell at all.",
                      className="small")]
    if not have & {i.id for i in inds}:
        return section
    return section + [html.Div([gap_figure_buttons(), gap_table_buttons()]),
                      dcc.Graph(id=GAP, config=GRAPH_CONFIG),
                      # Scrolls sideways on a phone: focusable and named, so a keyboard can scroll it too.
                      html.Div(id=GAP_TABLE, className="table-responsive", tabIndex="0", role="region",
                               **{"aria-label": "Gaps between groups, latest period (scrolls)"})]


def _profile_section(snapshot, config):
    survey = _profile_survey(snapshot, config)
    if survey is None:
        return [html.H2("Who answered", className="h4 mt-4"), absent(NO_PROFILE)]
    return [html.H2(f"Who answered the {survey.name}", className="h4 mt-4"),
            html.P(id=PROFILE_NOTE, className="small"), profile_buttons(),
            dcc.Graph(id=PROFILE, config=GRAPH_CONFIG)]


def _body(snapshot, config):
    if not has_survey_results(snapshot):
        return absent(NO_SURVEY_RESULTS)
    return html.Div([dcc.Store(id=READY, data=True), *_gap_section(snapshot, config),
                     *_profile_section(snapshot, config)])


def layout(**_query):
    return page("Equality", _body)


def _profile_survey(snapshot, config):
    """The survey whose respondents the published profile counts (data/aggregate.respondent_profile), or None."""
    profile = optional_table(snapshot, "respondent_profile")
    if profile is None or profile.empty or profile["survey"].iat[0] not in config.surveys:
        return None
    return config.surveys[profile["survey"].iat[0]]


def _profile(snapshot, config, division):
    """(period, profile) of the profiled survey's latest period; profile None without one."""
    survey = _profile_survey(snapshot, config)
    if survey is None:
        return None, None
    periods = set(optional_table(snapshot, "respondent_profile")["period"])
    period = max(periods, key=list(config.period_labels).index)
    confidence = significance_policy(snapshot).confidence
    return period, respondent_profile(snapshot, config, division, period, confidence)


def _rate_text(group, rates, r, which) -> str:
    """'white: 84.1% (82.6–85.5), n = 2,412' from the published estimate of the group, or the gap
    table's own value where no estimate is found."""
    if r.suppressed:
        return f"{_group(group)}: suppressed"
    e = (rates or {}).get((r.indicator, r.geography_code, r.period, group))
    if e is None or e.suppressed:
        return f"{_group(group)}: {getattr(r, 'value_' + which):.1f}% ({base_text(getattr(r, 'base_' + which))})"
    return f"{_group(group)}: {e.value:.1f}% ({e.lower_95:.1f}–{e.upper_95:.1f}), n = {base_text(e.base)}"


def _gap_table(gaps, labels, config, policy, rates=None):
    latest = gaps.loc[gaps.groupby("indicator")["period"].transform(
        lambda p: p == max(p, key=list(config.period_labels).index))]
    names = short_names(config)
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in (
        "Indicator", "Period", "Geography", f"First group ({ci(policy.confidence)}, n)",
        f"Second group ({ci(policy.confidence)}, n)",
        f"Gap, pts ({ci(policy.confidence)})", "Does the gap differ from zero?")]))
    body = [html.Tr([html.Td(names.get(r.indicator, r.indicator)), html.Td(r.period),
                     html.Th(labels.get(r.geography_code, r.geography_code), scope="row"),
                     html.Td(_rate_text(r.group_1, rates, r, "1")),
                     html.Td(_rate_text(r.group_2, rates, r, "2")),
                     html.Td(r.suppression_reason or withheld_reason(config.suppression_threshold)
                             if r.suppressed else f"{r.gap:+.1f} ({r.lower:+.1f} to {r.upper:+.1f})"),
                     html.Td(gap_phrase("suppressed" if r.suppressed else r.flag), **{"data-flag": r.flag})])
            for r in latest.itertuples()]
    return html.Table([html.Caption("Latest period of each indicator"), head, html.Tbody(body)],
                      className="table table-sm")


def _group(name: str) -> str:
    return str(name).replace("_", " ")


def group_rates(snapshot, config, gaps, division):
    """The published estimates of each gap's two groups (its ``of`` indicator by its ``subgroup``):
    for the force, and for the division where one is chosen."""
    est = snapshot.table("estimates")
    geos = {config.force_code} | ({division} if division != ALL_DIVISIONS else set())
    parts = []
    for ind in equality_indicators(config):
        if ind.id not in set(gaps["indicator"]):
            continue
        part = est[(est.indicator == ind.of) & (est.subgroup_dimension == ind.subgroup)
                   & est.subgroup.isin(ind.groups) & est.geography_code.isin(geos)
                   & est.level.isin(["force", "division"])]
        parts.append(part.assign(gap_indicator=ind.id))
    return pd.concat(parts, ignore_index=True) if parts else None


def _gap_title(gaps, config, division):
    """The chart's title: the finding of the latest period from the published flags, and under a
    division whose own gap is withheld, that the figure is the force's."""
    names = short_names(config)
    latest = gaps.loc[gaps["period"] == max(gaps["period"], key=list(config.period_labels).index)]
    several = latest["indicator"].nunique() > 1
    ind = "Gaps" if several else names.get(latest["indicator"].iat[0], latest["indicator"].iat[0])
    mine = latest[latest["level"] == ("force" if division == ALL_DIVISIONS else "division")]
    shown = mine[~mine["suppressed"]]
    if division != ALL_DIVISIONS and shown.empty:
        return f"{ind}, {latest['period'].iat[0]}: {FORCE_ONLY} (the division's gap is withheld)"
    differ = int(shown["flag"].isin(["better", "worse"]).sum())
    where = division_label(config, division) if division != ALL_DIVISIONS else config.force_short_name
    verdict = "the gap differs from zero" if differ else "no evidence of a gap"
    if several:
        verdict = f"{differ} of {len(shown)} gaps differ from zero"
    if division == ALL_DIVISIONS:
        divs = latest[(latest["level"] == "division") & ~latest["suppressed"]]
        n = int(divs["flag"].isin(["better", "worse"]).sum())
        others = (f"; {n} of {len(divs)} division gaps differ from zero" if len(divs) else
                  "; every division's gap is withheld (too few respondents)")
        return f"{ind}, {latest['period'].iat[0]}: {where}: {verdict}{others}"
    return f"{ind}, {latest['period'].iat[0]}: {where}: {verdict}"


def _gap_source(snapshot, config, gaps):
    surveys = [config.surveys[config.indicator(i).survey].name for i in gaps["indicator"].unique()]
    last = max(gaps["period"], key=list(config.period_labels).index)
    return source_line(surveys, f"to {periods.period_phrase(config, last)}", snapshot.id)


def gap_figure(snapshot, config, division):
    """The gap chart as the page draws it (both groups' rates above the gap); None without gaps."""
    gaps = gaps_shown(snapshot, config, division)
    if gaps is None or gaps.empty:
        return None
    rates = group_rates(snapshot, config, gaps, division)
    return gap_chart(gaps, geography_labels(config), short_names(config), rates=rates, force_code=config.force_code,
                     title=_gap_title(gaps, config, division), source=_gap_source(snapshot, config, gaps))


@callback(Output(GAP, "figure"), Output(GAP_TABLE, "children"), Input(DIVISION, "value"), Input(READY, "data"))
def update_gaps(division, _ready=True):
    snapshot, config = live()
    division = checked(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    gaps = gaps_shown(snapshot, config, division)
    if gaps is None or gaps.empty:
        return {}, NO_GAP_RESULTS
    labels = geography_labels(config)
    return gap_figure(snapshot, config, division), _gap_table(gaps, labels, config, significance_policy(snapshot),
                                                              _every_rate(snapshot, config, gaps))


def _every_rate(snapshot, config, gaps):
    """Each group's published rate with its interval, by (gap indicator, geography, period, group),
    for every geography of the table (the divisions too)."""
    est = snapshot.table("estimates")
    out = {}
    for ind in equality_indicators(config):
        part = est[(est.indicator == ind.of) & (est.subgroup_dimension == ind.subgroup) & est.subgroup.isin(ind.groups)
                   & est.geography_code.isin(set(gaps["geography_code"]))]
        for r in part.itertuples():
            out[(ind.id, r.geography_code, r.period, r.subgroup)] = r
    return out


@callback(Output(PROFILE, "figure"), Output(PROFILE_NOTE, "children"), Input(DIVISION, "value"),
          Input(READY, "data"))
def update_profile(division, _ready=True):
    snapshot, config = live()
    division = checked(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    period, profile = _profile(snapshot, config, division)
    if profile is None or profile.empty:
        return {}, NO_PROFILE
    confidence = significance_policy(snapshot).confidence
    note = (f"{periods.period_phrase(config, period)}, {division_label(config, division)}: "
            f"{int(profile['base'].iat[0]):,} respondents. ")
    ages = profile[profile["dimension"] == "age_band"]
    if len(ages):
        y = ages.iloc[0]  # the youngest band, as the configuration lists them
        note += (f"The youngest age band ({y.category}) is {y.respondents_pct:.1f}% of respondents "
                 f"({ci(confidence)} {y.respondents_lower:.1f}–{y.respondents_upper:.1f}) and "
                 f"{y.residents_pct:.1f}% of residents; the estimates are weighted where the survey is.")
    return profile_bars(profile), note


def _gap_export(division):
    snapshot, config = live()
    division = checked(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    gaps = gaps_shown(snapshot, config, division)
    frame = (gaps_export(gaps, geography_names(snapshot, config), significance_policy(snapshot), config)
             if gaps is not None else pd.DataFrame())
    return frame, f"gaps-{division}"


gap_table_buttons = table_downloads("equality-gap-table", _gap_export, [State(DIVISION, "value")],
                                    what="table of gaps")


def _gap_figure(division):
    """The gap chart as the page draws it, rebuilt from the division; unknown ones are refused."""
    snapshot, config = live()
    division = known(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    return gap_figure(snapshot, config, division)


def _profile_figure(division):
    snapshot, config = live()
    division = known(division, set(config.division_codes) | {ALL_DIVISIONS}, ALL_DIVISIONS)
    _, profile = _profile(snapshot, config, division)
    return None if profile is None or profile.empty else profile_bars(profile)


gap_figure_buttons = figure_downloads(GAP, "gaps", _gap_figure, [State(DIVISION, "value")], label="Gap chart")
profile_buttons = figure_downloads(PROFILE, "survey-respondents", _profile_figure, [State(DIVISION, "value")],
                                   label="Respondents chart")


dash.register_page(__name__, path="/equality", name="Equality", title="Equality", order=4, nav="Equality",
                   layout=layout)
