"""Charts built from the published tables: DataFrame in, go.Figure out (no Dash imports).

Every coloured mark also has a shape or a text label, so nothing depends on colour alone.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..views.words import (
    BETTER,
    DIRECTION_SYMBOL,
    FLAG_COLOUR,
    FLAG_SYMBOL,
    FLAGGED,
    FORCE_ONLY,
    VALUE_DIRECTION_SYMBOL,
    base_text,
    change_phrase,
    gap_phrase,
    interval,
    percent,
    trend_flag,
    trend_words,
    value_direction,
    vs_force_phrase,
)
from .common import axis_title, base_layout

ESTIMATE = "#333333"  # the estimate's own line: dark grey, so blue and red only ever mean better / worse
FORCE_LINE = "#333333"


def _key(fig: go.Figure, name: str, symbol: str = "circle", colour: str = "#777777", line: dict | None = None,
         group: str | None = None) -> None:
    """A legend entry for marks drawn by other traces or shapes (reference lines, marker kinds):
    every marker and line on a chart is named in its legend."""
    mode = "lines" if line is not None else "markers"
    fig.add_trace(go.Scatter(x=[None], y=[None], mode=mode, name=name, showlegend=True, hoverinfo="skip",
                             legendgroup=group, line=line,
                             marker=None if line is not None else dict(symbol=symbol, color=colour, size=10,
                                                                       line=dict(color="#222222", width=1))))


def flag_symbols(flags, values, reference) -> list[str]:
    """The marker of each published flag against a reference value: for better / worse an arrow
    that gives the DIRECTION (▲ higher than the reference, ▼ lower) whatever the polarity, with
    better / worse in its colour and words; the flag's own shape otherwise."""
    out = []
    for f, v, r in zip(flags, values, reference):
        if f in FLAGGED and v == v and r is not None and r == r:
            out.append(VALUE_DIRECTION_SYMBOL[value_direction(v, r)])
        else:
            out.append(FLAG_SYMBOL.get(f, "circle"))
    return out


def flag_keys(fig: go.Figure, reference: str = "the force") -> None:
    """The legend of the flag markers: the arrow is the direction, the colour better or worse."""
    _key(fig, f"▲ higher than {reference}", "triangle-up", "#555555")
    _key(fig, f"▼ lower than {reference}", "triangle-down", "#555555")
    _key(fig, f"blue: better than {reference}", "square", FLAG_COLOUR["better"])
    _key(fig, f"red: worse than {reference}", "square", FLAG_COLOUR["worse"])
    _key(fig, f"● similar to {reference}", FLAG_SYMBOL["similar"], FLAG_COLOUR["similar"])


def ranked_bars(values: pd.DataFrame, force_value: float | None, title: str, policy, unit: str = "%",
                source: str | None = None) -> go.Figure:
    """Areas ranked by value with interval whiskers, each marked by its published flag against the
    force: ▲ / ▼ give the direction (higher / lower than the force), the colour and the hover's
    words better or worse; ● similar. Suppressed areas are listed, not drawn. ``unit`` follows each
    value ("%" for survey estimates, whose base is respondents; " per 1,000" for crime rates,
    untested against the force, whose base is crimes); ``policy`` may be None where nothing is tested."""
    shown = values[~values["suppressed"] & values["value"].notna()].sort_values("value")
    rule = f" ({policy.label})" if policy is not None else ""
    count = "n" if unit == "%" else "crimes"
    flags = shown["flag"].tolist()
    # Two areas may share a name (wards called "Central" in two districts): a row for each.
    twice = shown["area_name"].duplicated(keep=False)
    labels = shown["area_name"].where(~twice, shown["area_name"] + " (" + shown["area_code"] + ")")
    fig = go.Figure(go.Scatter(
        x=shown["value"], y=labels, mode="markers", name="Area", showlegend=False,
        marker=dict(symbol=flag_symbols(flags, shown["value"], [force_value] * len(shown)), size=9,
                    color=[FLAG_COLOUR.get(f, "#777777") for f in flags]),
        error_x=dict(type="data", symmetric=False, array=shown["upper_95"] - shown["value"],
                     arrayminus=shown["value"] - shown["lower_95"], color="#999999", thickness=1),
        customdata=np.c_[shown["lower_95"], shown["upper_95"], [base_text(b) for b in shown["base"]],
                         [vs_force_phrase(f) for f in flags]],
        hovertemplate="%{y}: %{x:.1f}" + unit + " (%{customdata[0]:.1f}–%{customdata[1]:.1f}), " + count
                      + " = %{customdata[2]}<br>%{customdata[3]}" + rule + "<extra></extra>",
    ))
    if force_value is not None:
        fig.add_vline(x=force_value, line_dash="dash", line_color=FORCE_LINE)
        _key(fig, f"Force {force_value:.1f}{unit}", line=dict(color=FORCE_LINE, dash="dash"))
    if policy is None or unit != "%":
        fig.update_xaxes(title=axis_title(f"{unit.strip()}, exact Poisson interval; not tested against the force"))
    else:
        flag_keys(fig)
        fig.update_xaxes(title=axis_title(f"% ({interval(policy.confidence)}); {policy.label}"))
    base_layout(fig, title, height=max(300, 14 * len(shown) + 150), source=source, legend="above")
    fig.update_yaxes(type="category", tickfont=dict(size=10))
    return fig


TARGET_LINE = dict(color="#000000", dash="dashdot", width=1.5)
MSF_LINE = dict(color="#777777", dash="dot")


def trend_panels(series: pd.DataFrame, indicators: list, msf: pd.DataFrame | None, changes: pd.DataFrame,
                 trends: pd.DataFrame, geography: str, policy, columns: int = 3,
                 previous: str = "the previous period", force_only=frozenset(), force_code: str | None = None,
                 source: str | None = None, label: str | None = None) -> go.Figure:
    """Small multiples: estimate with its interval band, MSF average, target line, and a marker
    on each point whose published change from ``previous`` (``dashboard.periods.previous_phrase``:
    with rolling windows, the window before, not overlapping) is flagged better or worse
    (``changes.flag``): ▲ / ▼ for the direction, colour and hover words for better or worse.
    Points whose change is 'similar' carry no marker. Each panel's title gives the published
    recent trend in Fingertips' words ("increasing and getting better"); indicators in
    ``force_only`` (not surveyed at the geography shown) are the force's series (``force_code``),
    titled as such. Every mark is named in the legend; the title (with ``label``, the geography's
    name) counts the published trends getting better and worse."""
    columns = max(1, min(columns, len(indicators) or 1))
    rows = max(1, math.ceil(len(indicators) / columns))
    titles, verdicts = [], []
    for ind in indicators:
        geo = force_code if ind.id in force_only else geography
        t = trends[(trends["indicator"] == ind.id) & (trends["geography_code"] == geo)]
        verdict = trend_words(t["direction"].iloc[0], ind.polarity) if len(t) else trend_words(None, ind.polarity)
        colour = FLAG_COLOUR[trend_flag(t["direction"].iloc[0], ind.polarity)] if len(t) else "#555555"
        verdicts.append(trend_flag(t["direction"].iloc[0], ind.polarity) if len(t) else None)
        where = f"<br><span style='font-size:11px'>{FORCE_ONLY}</span>" if ind.id in force_only else ""
        titles.append(f"{ind.short_name}{where}<br><span style='font-size:12px;color:{colour}'>{verdict}</span>")
    spacing = min(0.3, 95 / (250 * rows)) if rows > 1 else 0.0
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=titles, vertical_spacing=spacing,
                        horizontal_spacing=0.06 if columns > 1 else 0.02)
    for k, ind in enumerate(indicators):
        _trend_panel(fig, k // columns + 1, k % columns + 1, ind, series, changes, msf)
    band = interval(policy.confidence)
    _key(fig, "Estimate", line=dict(color=ESTIMATE))
    fig.add_trace(go.Scatter(x=[None], y=[None], fill="toself", fillcolor="rgba(68,68,68,0.15)", mode="lines",
                             line=dict(width=0), name=band, hoverinfo="skip"))
    _key(fig, "▲ significant rise", "triangle-up", "#555555")
    _key(fig, "▼ significant fall", "triangle-down", "#555555")
    _key(fig, "blue: the change is better", "square", FLAG_COLOUR["better"])
    _key(fig, "red: the change is worse", "square", FLAG_COLOUR["worse"])
    if msf is not None and len(msf):
        _key(fig, "MSF average", line=MSF_LINE)
    if any(ind.target is not None for ind in indicators):
        _key(fig, "Target", line=TARGET_LINE)
    tested = [v for v in verdicts if v is not None]
    title = (f"{label}: recent trend getting better on {tested.count('better')} of {len(tested)} indicators, "
             f"worse on {tested.count('worse')}" if tested else f"{label}: too few periods to test a trend")
    base_layout(fig, title if label else None, height=250 * rows + 60, source=source, top=50)
    fig.update_annotations(font_size=13)
    # At most five period labels a panel, level: many quarters would otherwise turn on end and
    # run into the next row's panel titles on a narrow screen.
    fig.update_xaxes(nticks=5, tickangle=0, type="category")
    return fig


def _trend_panel(fig, r, c, ind, series, changes, msf) -> None:
    s = series[series["indicator"] == ind.id].sort_values("period")
    s = s[~s["suppressed"]]
    if s.empty:
        return
    fig.add_trace(go.Scatter(x=list(s["period"]) + list(s["period"])[::-1],
                             y=list(s["upper_95"]) + list(s["lower_95"])[::-1], fill="toself", mode="lines",
                             fillcolor="rgba(68,68,68,0.15)", line=dict(width=0), hoverinfo="skip",
                             showlegend=False, name="interval"), row=r, col=c)
    ch = changes[(changes["indicator"] == ind.id) & (changes["compared_with"] == "previous")]
    ch = ch.drop_duplicates("period").set_index("period")
    texts = [change_phrase(ch.loc[p, "flag"], ch.loc[p, "direction"])
             + (f" ({ch.loc[p, 'difference']:+.1f} pts)" if ch.loc[p, "flag"] in FLAGGED else "")
             if p in ch.index else "first period" for p in s["period"]]
    fig.add_trace(go.Scatter(
        x=s["period"], y=s["value"], mode="lines+markers", name="Estimate", showlegend=False,
        line=dict(color=ESTIMATE), marker=dict(symbol="circle", size=5, color=ESTIMATE),
        customdata=np.c_[s["lower_95"], s["upper_95"], [base_text(b) for b in s["base"]], texts],
        hovertemplate="%{x}: %{y:.1f}% (%{customdata[0]:.1f}–%{customdata[1]:.1f}), n = %{customdata[2]}"
                      "<br>%{customdata[3]}<extra></extra>"), row=r, col=c)
    # The change markers: only the published better / worse flags, never a 'similar' one.
    marked = s[s["period"].isin([p for p in ch.index if ch.loc[p, "flag"] in FLAGGED])]
    if len(marked):
        flags = [ch.loc[p, "flag"] for p in marked["period"]]
        directions = [ch.loc[p, "direction"] for p in marked["period"]]
        fig.add_trace(go.Scatter(
            x=marked["period"], y=marked["value"], mode="markers", name="Flagged change", showlegend=False,
            marker=dict(symbol=[DIRECTION_SYMBOL[d] for d in directions], size=13,
                        color=[FLAG_COLOUR[f] for f in flags], line=dict(color="#222222", width=1)),
            customdata=np.c_[[change_phrase(f, d) for f, d in zip(flags, directions)],
                             [ch.loc[p, "difference"] for p in marked["period"]]],
            meta=["change-marker", ind.id],
            hovertemplate="%{x}: %{customdata[0]} (%{customdata[1]:+.1f} pts)<extra></extra>"), row=r, col=c)
    if msf is not None and len(msf):
        m = msf[msf["indicator"] == ind.id].sort_values("period")
        if len(m):
            fig.add_trace(go.Scatter(x=m["period"], y=m["msf_average"], mode="lines", name="MSF average",
                                     line=MSF_LINE, showlegend=False,
                                     hovertemplate="MSF average %{y:.1f}%<extra></extra>"), row=r, col=c)
    if ind.target is not None:
        fig.add_hline(y=ind.target.value, line=TARGET_LINE, row=r, col=c)
        fig.add_trace(go.Scatter(x=[s["period"].iloc[-1]], y=[ind.target.value], mode="text", showlegend=False,
                                 text=[f"target {ind.target.value:g}%"], textposition="top left",
                                 textfont=dict(size=10), hoverinfo="skip", name="target"), row=r, col=c)


def matrix_scatter(m: pd.DataFrame, levels: list[tuple[str, str]], cuts: tuple[float, float, float, float],
                   confidence: float, title: str | None = None, source: str | None = None) -> go.Figure:
    """Crime index against worry index with interval whiskers and the cut lines; colour and
    marker shape both show the resource level."""
    symbols = ["circle", "square", "diamond", "triangle-up", "star", "cross", "x"]
    fig = go.Figure()
    for i, (name, colour) in enumerate(levels):
        part = m[m["resource_level"] == name]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=part["crime_index"], y=part["worry_index"], mode="markers", name=name,
            marker=dict(color=colour, symbol=symbols[i % len(symbols)], size=10, line=dict(color="#333333", width=1)),
            error_x=dict(type="data", symmetric=False, array=part["crime_upper"] - part["crime_index"],
                         arrayminus=part["crime_index"] - part["crime_lower"], color="#BBBBBB", thickness=0.8),
            error_y=dict(type="data", symmetric=False, array=part["worry_upper"] - part["worry_index"],
                         arrayminus=part["worry_index"] - part["worry_lower"], color="#BBBBBB", thickness=0.8),
            customdata=np.c_[part["area_name"], part["crime_level"], part["worry_level"], part["crime_lower"],
                             part["crime_upper"], part["worry_lower"], part["worry_upper"], part["worry_base"]],
            hovertemplate="%{customdata[0]}: crime %{x:.0f} (" + percent(confidence)
                          + ": %{customdata[3]:.0f}-%{customdata[4]:.0f}), "
                          "worry %{y:.0f} (%{customdata[5]:.0f}-%{customdata[6]:.0f}, n = %{customdata[7]})"
                          "<br>crime %{customdata[1]}, worry %{customdata[2]}<extra>" + name + "</extra>"))
    c_lo, c_hi, w_lo, w_hi = cuts
    for x in {c_lo, c_hi}:
        fig.add_vline(x=x, line_dash="dash", line_color="#333333")
    for y in {w_lo, w_hi}:
        fig.add_hline(y=y, line_dash="dash", line_color="#333333")
    _key(fig, "Cut between bands", line=dict(color="#333333", dash="dash"))
    base_layout(fig, title, height=560, source=source)
    fig.update_xaxes(type="log", title=axis_title("Crime index (100 = force average, log scale)"),
                     **log_ticks(pd.concat([m["crime_lower"], m["crime_upper"], m["crime_index"]])))
    fig.update_yaxes(type="log", title=axis_title("Worry index (100 = force average, log scale)"),
                     **log_ticks(pd.concat([m["worry_lower"], m["worry_upper"], m["worry_index"]])))
    return fig


def log_ticks(values: pd.Series) -> dict:
    """Readable ticks for an index on a log axis (100 = average): 25, 50, 100, 200, 400 — powers of
    two around 100 that cover the values — rather than plotly's '2 3 … 9 100 2 3'."""
    v = pd.to_numeric(values, errors="coerce")
    v = v[(v > 0) & np.isfinite(v)]
    lo, hi = (float(v.min()), float(v.max())) if len(v) else (50.0, 200.0)
    k_lo = min(-2, math.floor(math.log2(lo / 100)))
    k_hi = max(2, math.ceil(math.log2(hi / 100)))
    ticks = [100 * 2.0 ** k for k in range(k_lo, k_hi + 1)]
    return dict(tickvals=ticks, ticktext=[f"{t:g}" for t in ticks], minor=dict(showgrid=False))


# Paul Tol's "muted" scheme for lines that name geographies (no blue / red: those mean better / worse),
# and two of his "vibrant" colours for the two groups.
LINES = ["#332288", "#117733", "#999933", "#882255", "#44AA99", "#AA4499", "#DDCC77", "#88CCEE", "#CC6677"]
GROUPS = ["#EE7733", "#009988"]


def gap_chart(gaps: pd.DataFrame, labels: dict[str, str], names: dict[str, str] | None = None,
              rates: pd.DataFrame | None = None, title: str | None = None, source: str | None = None,
              force_code: str | None = None) -> go.Figure:
    """Gap indicators by period (the first group's value minus the second's), one line per
    geography (and indicator, where there are several), with intervals; ◆ where the published
    flag says the gap differs from zero. With ``rates`` (the published estimates of the two groups:
    geography_code, period, subgroup, value, lower_95, upper_95, base, suppressed) a panel above
    shows both groups' rates with their intervals. The force's line is named as the force's
    (``force_code``); every line and marker is in the legend."""
    with_rates = rates is not None and len(rates) and not rates["suppressed"].all()
    several = gaps["indicator"].nunique() > 1
    groups = [str(g).replace("_", " ") for g in (gaps["group_1"].iat[0], gaps["group_2"].iat[0])] if len(gaps) \
        else ["first group", "second group"]
    pairs = {(a, b) for a, b in zip(gaps["group_1"], gaps["group_2"])}
    what = ("{} minus {}".format(*(str(g).replace("_", " ") for g in next(iter(pairs)))) if len(pairs) == 1
            else "first group minus second")
    band = interval(float(rates["confidence"].iat[0])) if with_rates and "confidence" in rates.columns \
        else "interval"
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.14, row_heights=[0.5, 0.5],
                        subplot_titles=[axis_title("Each group's rate, % (bars: " + band + ")", 34),
                                        axis_title(f"The gap: {what} (pts)", 34)]
                        ) if with_rates else go.Figure()
    where = dict(row=2, col=1) if with_rates else {}
    for k, ((indicator, code), part) in enumerate(gaps.groupby(["indicator", "geography_code"], sort=False)):
        part = part.sort_values("period")
        shown = part[~part["suppressed"]]
        flags = shown["flag"].tolist()
        name = labels.get(code, code) + (" (force)" if code == force_code else "")
        g1, g2 = (str(part[c].iat[0]).replace("_", " ") for c in ("group_1", "group_2"))
        fig.add_trace(go.Scatter(
            x=shown["period"], y=shown["gap"], mode="lines+markers", legendgroup="gap",
            name=("Gap, " + (f"{(names or {}).get(indicator, indicator)}: {name}" if several else name)),
            showlegend=True,
            line=dict(color=LINES[k % len(LINES)], dash="solid" if code != force_code else "dash"),
            marker=dict(symbol=["diamond" if f in FLAGGED else "circle" for f in flags], size=9,
                        color=LINES[k % len(LINES)]),
            error_y=dict(type="data", symmetric=False, array=shown["upper"] - shown["gap"],
                         arrayminus=shown["gap"] - shown["lower"], thickness=1),
            customdata=np.c_[shown["value_1"], shown["value_2"], [base_text(b) for b in shown["base_1"]],
                             [base_text(b) for b in shown["base_2"]], [gap_phrase(f) for f in flags]],
            hovertemplate="%{x}: gap %{y:+.1f} pts (%{customdata[4]})<br>" + g1 + " %{customdata[0]:.1f}% "
                          "(n = %{customdata[2]}), " + g2 + " %{customdata[1]:.1f}% (n = %{customdata[3]})"
                          "<extra>%{fullData.name}</extra>"), **where)
    fig.add_hline(y=0, line_color="#333333", **where)
    _key(fig, "◆ gap differs from zero", "diamond", "#555555", group="key")
    _key(fig, "● no evidence of a gap", "circle", "#555555", group="key")
    if with_rates:
        _group_rates(fig, rates, groups, labels, force_code, names if several else None)
        fig.update_yaxes(title="%", row=1, col=1)
    base_layout(fig, title, height=560 if with_rates else 380, source=source, top=25 if with_rates else 0)
    fig.update_yaxes(title="Gap, pts" if with_rates else axis_title(f"Gap, pts ({what})", 30), **where)
    fig.update_xaxes(type="category", nticks=5, tickangle=0)
    return fig


def _group_rates(fig: go.Figure, rates: pd.DataFrame, groups: list[str], labels: dict, force_code,
                 names: dict | None = None) -> None:
    """Both groups' published rates with their intervals, one line per group and geography (the
    force's dashed), in the top panel; with ``names`` (several gap indicators: ``rates`` has
    gap_indicator) one per indicator too, named by it and drawn with its own marker."""
    key = "gap_indicator" if names and "gap_indicator" in rates.columns else None
    kinds = list(dict.fromkeys(rates[key])) if key else [None]
    shapes = ["square", "circle", "diamond", "triangle-up", "cross", "x"]
    for (which, code, group), part in rates.assign(_k=rates[key] if key else "").groupby(
            ["_k", "geography_code", "subgroup"], sort=False):
        part = part[~part["suppressed"]].sort_values("period")
        if part.empty:
            continue
        label = str(group).replace("_", " ")
        colour = GROUPS[groups.index(label)] if label in groups else "#555555"
        where = labels.get(code, code) + (" (force)" if code == force_code else "")
        if key:
            where = f"{names.get(which, which)}, {where}"
        shape = shapes[kinds.index(which) % len(shapes)] if key else (
            "square" if label == groups[0] else "circle")
        fig.add_trace(go.Scatter(
            x=part["period"], y=part["value"], mode="lines+markers", name=f"{label}: {where}",
            legendgroup="rates",
            line=dict(color=colour, dash="dash" if code == force_code else "solid"),
            marker=dict(color=colour, size=7, symbol=shape),
            error_y=dict(type="data", symmetric=False, array=part["upper_95"] - part["value"],
                         arrayminus=part["value"] - part["lower_95"], thickness=1, color=colour),
            customdata=np.c_[part["lower_95"], part["upper_95"], [base_text(b) for b in part["base"]]],
            hovertemplate=f"{label}, {where}, " + "%{x}: %{y:.1f}% (%{customdata[0]:.1f}–%{customdata[1]:.1f}), "
                          "n = %{customdata[2]}<extra></extra>"), row=1, col=1)


def profile_bars(profile: pd.DataFrame) -> go.Figure:
    """Share of respondents against share of residents, by category, with the respondents' interval."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=profile["category"], y=profile["residents_pct"], name="Residents", marker_color="#BBBBBB",
                         text=[f"{v:.1f}%" for v in profile["residents_pct"]], textposition="outside"))
    fig.add_trace(go.Bar(x=profile["category"], y=profile["respondents_pct"], name="Respondents",
                         marker_color=BETTER, marker_pattern_shape="/",
                         text=[f"{v:.1f}%" for v in profile["respondents_pct"]], textposition="outside",
                         error_y=dict(type="data", symmetric=False,
                                      array=profile["respondents_upper"] - profile["respondents_pct"],
                                      arrayminus=profile["respondents_pct"] - profile["respondents_lower"])))
    base_layout(fig, None, height=320)
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="% of people")
    return fig


def spine_scale(rows: pd.DataFrame) -> pd.DataFrame:
    """Fingertips' spine-chart scale: for each indicator the force value sits at 0.5 and the area
    furthest from it (worst or best among the force's areas) at 0 or 1; better is always to the
    right (the scale is reversed where lower is better). Adds x_* columns for value, division,
    worst, 25th and 75th percentiles and best."""
    out = rows.copy()
    sign = np.where(out["polarity"] == "lower", -1.0, 1.0)
    force = out["force_value"].astype(float)
    half = np.maximum((out["worst"] - force).abs(), (out["best"] - force).abs())
    half = half.where(half > 0, 1.0)
    for col in ("value", "division_value", "worst", "q25", "q75", "best", "lower_95", "upper_95"):
        out[f"x_{col}"] = 0.5 + sign * (out[col].astype(float) - force) / (2 * half)
    # The quartile nearer the worst end, and the one nearer the best (the 75th where lower is better).
    out["x_inner_worst"] = np.minimum(out["x_q25"], out["x_q75"])
    out["x_inner_best"] = np.maximum(out["x_q25"], out["x_q75"])
    out["inner_worst"] = np.where(sign < 0, out["q75"], out["q25"])
    out["inner_best"] = np.where(sign < 0, out["q25"], out["q75"])
    return out


SPINE_METHOD = ("Spine chart (as Public Health England's Fingertips): each indicator on its own scale, the force "
                "value at the centre line and the area furthest from it at the end; the bar runs from the worst "
                "to the best of the force's areas, darker between the 25th and 75th percentiles; better is always "
                "to the right (the scale is turned round where lower is better). The marker is this area, coloured "
                "by its published flag against the force; ▲ / ▼ say whether its value is higher or lower.")


def spine_chart(rows: pd.DataFrame, policy, title: str | None = None, source: str | None = None) -> go.Figure:
    """One row per indicator on Fingertips' normalised scale (:func:`spine_scale`, ``SPINE_METHOD``):
    worst / 25th / 75th percentile / best of the force's areas as a bar, the force as the centre
    line, the division as an open diamond, the area as a marker coloured by its published flag
    against the force (▲ / ▼: its value higher / lower than the force's). ``rows`` has label,
    polarity, value, lower_95, upper_95, base, suppressed, flag, division_value, force_value,
    worst, q25, q75, best."""
    fig = go.Figure()
    if rows.empty:  # an area with no survey result: an empty chart that says so
        fig.add_annotation(text="No survey result is published for this area.", showarrow=False)
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return base_layout(fig, title, height=200, source=source)
    rows = spine_scale(rows.iloc[::-1].reset_index(drop=True))
    y = rows["label"]
    for lo, hi, colour, name in (("x_worst", "x_inner_worst", "#D9D9D9", "Worst to best of the force's areas"),
                                 ("x_inner_worst", "x_inner_best", "#8C8C8C", "25th to 75th percentile"),
                                 ("x_inner_best", "x_best", "#D9D9D9", "rest")):
        fig.add_trace(go.Bar(y=y, x=rows[hi] - rows[lo], base=rows[lo], orientation="h", marker_color=colour,
                             name=name, showlegend=name != "rest", width=0.5, legendgroup=colour,
                             customdata=np.c_[rows[lo.replace("x_", "")], rows[hi.replace("x_", "")]],
                             hovertemplate="%{y}: %{customdata[0]:.1f}% to %{customdata[1]:.1f}%<extra></extra>"))
    fig.add_vline(x=0.5, line_color=FORCE_LINE, line_width=2)
    _key(fig, "Force (centre line)", line=dict(color=FORCE_LINE, width=2))
    fig.add_trace(go.Scatter(x=rows["x_division_value"], y=y, mode="markers", name="Division",
                             marker=dict(symbol="diamond-open", size=10, color="#333333", line=dict(width=2)),
                             customdata=rows["division_value"],
                             hovertemplate="Division %{customdata:.1f}%<extra></extra>"))
    shown = rows[~rows["suppressed"]]
    fig.add_trace(go.Scatter(
        x=shown["x_value"], y=shown["label"], mode="markers", name="This area", showlegend=False,
        marker=dict(symbol=flag_symbols(shown["flag"], shown["value"], shown["force_value"]), size=13,
                    color=[FLAG_COLOUR.get(f, "#777777") for f in shown["flag"]], line=dict(color="#222222", width=1)),
        customdata=np.c_[shown["value"], shown["lower_95"], shown["upper_95"], [base_text(b) for b in shown["base"]],
                         [vs_force_phrase(f) for f in shown["flag"]], shown["force_value"]],
        hovertemplate="%{y}: %{customdata[0]:.1f}% (%{customdata[1]:.1f}–%{customdata[2]:.1f}), n = %{customdata[3]}"
                      "; force %{customdata[5]:.1f}%<br>%{customdata[4]} (" + policy.label + ")<extra></extra>"))
    flag_keys(fig)
    # Each indicator's name above its bar, not beside it: the spine keeps the whole width on a phone.
    for label, value, flag in zip(rows["label"], rows["value"], rows["flag"]):
        shown_value = "suppressed" if flag == "suppressed" else f"{value:.1f}%"
        fig.add_annotation(x=0, xref="paper", y=label, yref="y", yshift=15, xanchor="left", showarrow=False,
                           text=f"{label}: {shown_value}", font=dict(size=11, color="#333333"),
                           bgcolor="rgba(255,255,255,0.85)")
    base_layout(fig, title, height=max(320, 46 * len(rows) + 170), source=source)
    fig.update_layout(barmode="overlay", bargap=0.55)
    fig.update_yaxes(showticklabels=False, range=[-0.7, len(rows) - 0.2])
    fig.update_xaxes(range=[-0.03, 1.03], tickvals=[0, 0.5, 1], ticktext=["worst", "force", "best"],
                     showgrid=False, zeroline=False)
    return fig


def funnel_plot(points: pd.DataFrame, p0: float, limits: pd.DataFrame, highlight: str, policy) -> go.Figure:
    """Every area's value against its effective base with exactly the limits its published flag
    uses (``limits``: n, lower, upper in %), each point marked by that flag; the chosen area ringed."""
    fig = go.Figure()
    for col, name in (("lower", f"Limits of the flag ({policy.label})"), ("upper", None)):
        fig.add_trace(go.Scatter(x=limits["n"], y=limits[col], mode="lines", line=dict(color="#555555"),
                                 name=name or col, legendgroup="limits", showlegend=name is not None,
                                 hoverinfo="skip"))
    fig.add_hline(y=100 * p0, line_color="#333333", annotation_text=f"Force {100 * p0:.1f}%")
    for flag in ("similar", "better", "worse", "not tested"):
        part = points[points["flag"] == flag]
        if part.empty:
            continue
        arrows = " (▲ higher, ▼ lower)" if flag in FLAGGED else ""
        fig.add_trace(go.Scatter(
            x=part["effective_base"], y=part["value"], mode="markers",
            name=vs_force_phrase(flag).capitalize() + arrows,
            marker=dict(color=FLAG_COLOUR[flag], size=7 if flag == "similar" else 9,
                        symbol=flag_symbols([flag] * len(part), part["value"], [100 * p0] * len(part))),
            text=part["area_name"], meta=flag,
            hovertemplate="%{text}: %{y:.1f}% (effective base %{x:.0f})<br>" + vs_force_phrase(flag)
                          + "<extra></extra>"))
    me = points[points["area_code"] == highlight]
    fig.add_trace(go.Scatter(x=me["effective_base"], y=me["value"], mode="markers+text", name="This area",
                             marker=dict(color="#222222", size=16, symbol="circle-open", line=dict(width=3)),
                             text=me["area_name"], textposition="top center", hoverinfo="skip"))
    base_layout(fig, None, height=360)
    fig.update_xaxes(title=axis_title("Effective base (respondents)"))
    fig.update_yaxes(title="%")
    return fig


def crime_trend(rows: pd.DataFrame, order: list[str], phrase, title: str, confidence: float,
                source: str | None = None) -> go.Figure:
    """Recorded crime per 1,000 residents over the periods, one line per measure (``measure_name``),
    each point with its exact Poisson interval; ``order`` puts the periods in time order and
    ``phrase(label)`` says each one in words. Rates are not tested against one another."""
    fig = go.Figure()
    # The muted line colours (never blue or red: on this dashboard those mean better and worse).
    for k, (name, part) in enumerate(rows.groupby("measure_name", sort=True)):
        part = part.sort_values("period", key=lambda s: s.map(order.index))
        colour = LINES[k % len(LINES)]
        fig.add_trace(go.Scatter(
            x=[phrase(p) for p in part["period"]], y=part["rate"], mode="lines+markers", name=name,
            line=dict(color=colour), marker=dict(color=colour),
            error_y=dict(type="data", symmetric=False, array=part["upper"] - part["rate"],
                         arrayminus=part["rate"] - part["lower"], thickness=1),
            customdata=np.c_[part["lower"], part["upper"], part["count"]],
            hovertemplate=f"{name}, " + "%{x}: %{y:.2f} per 1,000 (%{customdata[0]:.2f}–%{customdata[1]:.2f}), "
                          "%{customdata[2]:,} crimes<extra></extra>"))
    base_layout(fig, f"{title} (exact Poisson {interval(confidence)})", height=420, source=source)
    fig.update_yaxes(title="per 1,000 residents", rangemode="tozero")
    fig.update_xaxes(type="category")
    return fig


def crime_by_type(rates: pd.DataFrame, force: pd.DataFrame, confidence: float,
                  source: str | None = None) -> go.Figure:
    """Rate per 1,000 by crime type for the area (with exact Poisson interval) against the force."""
    rates = rates.sort_values("rate")
    f = force.set_index("measure").reindex(rates["measure"])
    fig = go.Figure()
    fig.add_trace(go.Bar(y=rates["measure"], x=rates["rate"], orientation="h", name="This area",
                         marker_color=BETTER, text=[f"{c:,} crimes" for c in rates["count"]], textposition="auto",
                         error_x=dict(type="data", symmetric=False, array=rates["upper"] - rates["rate"],
                                      arrayminus=rates["rate"] - rates["lower"])))
    fig.add_trace(go.Scatter(y=f.index, x=f["rate"], mode="markers", name="Force rate",
                             marker=dict(symbol="line-ns-open", size=16, color="#333333", line=dict(width=2))))
    months = int(rates["months"].iloc[0]) if "months" in rates.columns and len(rates) else None
    window = f"{months} months; " if months else ""
    # The long words go in the title, which wraps under the toolbar: an axis title is centred on
    # the plot, which long crime-type names leave narrow on a phone.
    base_layout(fig, f"Rate per 1,000 residents ({window}exact Poisson {interval(confidence)})",
                height=max(300, 26 * len(rates) + 80), source=source)
    fig.update_xaxes(title="per 1,000")
    return fig
