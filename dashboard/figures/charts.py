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
    FLAG_GLYPH,
    FLAG_SYMBOL,
    FLAGGED,
    WORSE,
    base_text,
    change_phrase,
    gap_phrase,
    interval,
    percent,
    vs_force_phrase,
)
from .common import base_layout


def ranked_bars(values: pd.DataFrame, force_value: float | None, title: str, policy, unit: str = "%") -> go.Figure:
    """Areas ranked by value with interval whiskers, each marked by its published flag against the
    force (shape and colour); suppressed areas are listed, not drawn. ``unit`` follows each value
    ("%" for survey estimates, whose base is respondents; " per 1,000" for crime rates, untested
    against the force, whose base is crimes); ``policy`` may be None where nothing is tested."""
    shown = values[~values["suppressed"] & values["value"].notna()].sort_values("value")
    rule = f" ({policy.label})" if policy is not None else ""
    count = "n" if unit == "%" else "crimes"
    flags = shown["flag"].tolist()
    # Two areas may share a name (wards called "Central" in two districts): a row for each.
    twice = shown["area_name"].duplicated(keep=False)
    labels = shown["area_name"].where(~twice, shown["area_name"] + " (" + shown["area_code"] + ")")
    fig = go.Figure(go.Scatter(
        x=shown["value"], y=labels, mode="markers",
        marker=dict(symbol=[FLAG_SYMBOL.get(f, "circle") for f in flags], size=9,
                    color=[FLAG_COLOUR.get(f, "#777777") for f in flags]),
        error_x=dict(type="data", symmetric=False, array=shown["upper_95"] - shown["value"],
                     arrayminus=shown["value"] - shown["lower_95"], color="#999999", thickness=1),
        customdata=np.c_[shown["lower_95"], shown["upper_95"], [base_text(b) for b in shown["base"]],
                         [vs_force_phrase(f) for f in flags]],
        hovertemplate="%{y}: %{x:.1f}" + unit + " (%{customdata[0]:.1f}–%{customdata[1]:.1f}), " + count
                      + " = %{customdata[2]}<br>%{customdata[3]}" + rule + "<extra></extra>",
    ))
    if force_value is not None:
        fig.add_vline(x=force_value, line_dash="dash", line_color="#333333",
                      annotation_text=f"Force {force_value:.1f}{unit}", annotation_position="top")
    base_layout(fig, title, height=max(300, 14 * len(shown) + 80))
    fig.update_yaxes(type="category", tickfont=dict(size=10))
    if policy is None or unit != "%":
        fig.update_xaxes(title=f"{unit.strip()} with its exact Poisson interval; not tested against the force")
    else:
        fig.update_xaxes(title=f"% ({interval(policy.confidence)}); {FLAG_GLYPH['better']} better, "
                               f"{FLAG_GLYPH['worse']} worse, {FLAG_GLYPH['similar']} similar to the force "
                               f"({policy.label})")
    return fig


def trend_panels(series: pd.DataFrame, indicators: list, msf: pd.DataFrame | None, changes: pd.DataFrame,
                 trends: pd.DataFrame, geography: str, policy, columns: int = 3,
                 previous: str = "the previous period") -> go.Figure:
    """Small multiples: estimate with its interval band, MSF average, target line, and a marker
    on each point whose published change from ``previous`` (``dashboard.periods.previous_phrase``:
    with rolling windows, the window before, not overlapping) is flagged better or worse
    (``changes.flag``): ▲ / ▼ for the direction, colour and hover words for better or worse.
    Points whose change is 'similar' carry no marker."""
    rows = math.ceil(len(indicators) / columns)
    titles = []
    for ind in indicators:
        t = trends[(trends["indicator"] == ind.id) & (trends["geography_code"] == geography)]
        verdict = t["direction"].iloc[0] if len(t) else "too few periods"
        titles.append(f"{ind.short_name}<br><sup>recent trend: {verdict}</sup>")
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=titles, vertical_spacing=0.12 / max(rows, 1) * 2)
    band = interval(policy.confidence)
    for k, ind in enumerate(indicators):
        r, c = k // columns + 1, k % columns + 1
        s = series[series["indicator"] == ind.id].sort_values("period")
        s = s[~s["suppressed"]]
        if s.empty:
            continue
        fig.add_trace(go.Scatter(x=list(s["period"]) + list(s["period"])[::-1],
                                 y=list(s["upper_95"]) + list(s["lower_95"])[::-1], fill="toself",
                                 fillcolor="rgba(0,119,187,0.15)", line=dict(width=0), hoverinfo="skip",
                                 showlegend=k == 0, name=band), row=r, col=c)
        ch = changes[(changes["indicator"] == ind.id) & (changes["compared_with"] == "previous")]
        ch = ch.drop_duplicates("period").set_index("period")
        texts = [change_phrase(ch.loc[p, "flag"], ch.loc[p, "direction"])
                 + (f" ({ch.loc[p, 'difference']:+.1f} pts)" if ch.loc[p, "flag"] in FLAGGED else "")
                 if p in ch.index else "first period" for p in s["period"]]
        fig.add_trace(go.Scatter(
            x=s["period"], y=s["value"], mode="lines+markers", name="Estimate", showlegend=k == 0,
            line=dict(color=BETTER), marker=dict(symbol="circle", size=6, color=BETTER),
            customdata=np.c_[s["lower_95"], s["upper_95"], [base_text(b) for b in s["base"]], texts],
            hovertemplate="%{x}: %{y:.1f}% (%{customdata[0]:.1f}–%{customdata[1]:.1f}), n = %{customdata[2]}"
                          "<br>%{customdata[3]}<extra></extra>"), row=r, col=c)
        # The change markers: only the published better / worse flags, never a 'similar' one.
        marked = s[s["period"].isin([p for p in ch.index if ch.loc[p, "flag"] in FLAGGED])]
        if len(marked):
            flags = [ch.loc[p, "flag"] for p in marked["period"]]
            directions = [ch.loc[p, "direction"] for p in marked["period"]]
            fig.add_trace(go.Scatter(
                x=marked["period"], y=marked["value"], mode="markers", name=f"Flagged change from {previous}",
                legendgroup="change", showlegend=not any(t.legendgroup == "change" for t in fig.data),
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
                                         line=dict(color="#777777", dash="dot"), showlegend=k == 0,
                                         hovertemplate="MSF average %{y:.1f}%<extra></extra>"), row=r, col=c)
        if ind.target is not None:
            fig.add_hline(y=ind.target.value, line_dash="dash", line_color=WORSE, row=r, col=c,
                          annotation_text=f"target {ind.target.value:g}%", annotation_font_size=10)
    base_layout(fig, None, height=260 * rows + 60)
    fig.update_layout(legend=dict(orientation="h", y=-0.05))
    return fig


def matrix_scatter(m: pd.DataFrame, levels: list[tuple[str, str]], cuts: tuple[float, float, float, float],
                   confidence: float) -> go.Figure:
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
    base_layout(fig, None, height=560)
    fig.update_xaxes(type="log", title="Crime index (100 = force average, log scale)")
    fig.update_yaxes(type="log", title="Worry index (100 = force average, log scale)")
    return fig


def gap_chart(gaps: pd.DataFrame, labels: dict[str, str], names: dict[str, str] | None = None) -> go.Figure:
    """Gap indicators by period (the first group's value minus the second's), one line per
    geography (and indicator, where there are several), with intervals; ◆ where the published
    flag says the gap differs from zero."""
    fig = go.Figure()
    several = gaps["indicator"].nunique() > 1
    for (indicator, code), part in gaps.groupby(["indicator", "geography_code"], sort=False):
        part = part.sort_values("period")
        shown = part[~part["suppressed"]]
        flags = shown["flag"].tolist()
        name = labels.get(code, code)
        g1, g2 = (str(part[c].iat[0]).replace("_", " ") for c in ("group_1", "group_2"))
        fig.add_trace(go.Scatter(
            x=shown["period"], y=shown["gap"], mode="lines+markers",
            name=f"{(names or {}).get(indicator, indicator)}: {name}" if several else name,
            marker=dict(symbol=["diamond" if f in FLAGGED else "circle" for f in flags], size=9),
            error_y=dict(type="data", symmetric=False, array=shown["upper"] - shown["gap"],
                         arrayminus=shown["gap"] - shown["lower"], thickness=1),
            customdata=np.c_[shown["value_1"], shown["value_2"], [base_text(b) for b in shown["base_1"]],
                             [base_text(b) for b in shown["base_2"]], [gap_phrase(f) for f in flags]],
            hovertemplate="%{x}: gap %{y:+.1f} pts (%{customdata[4]})<br>" + g1 + " %{customdata[0]:.1f}% "
                          "(n = %{customdata[2]}), " + g2 + " %{customdata[1]:.1f}% (n = %{customdata[3]})"
                          "<extra>%{fullData.name}</extra>"))
    fig.add_hline(y=0, line_color="#333333")
    base_layout(fig, None, height=380)
    pairs = {(a, b) for a, b in zip(gaps["group_1"], gaps["group_2"])}
    what = ("{} minus {}".format(*(str(g).replace("_", " ") for g in next(iter(pairs)))) if len(pairs) == 1
            else "first group minus second")
    fig.update_yaxes(title=f"Gap, percentage points ({what}); ◆ gap differs from zero")
    return fig


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
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=1.1))
    fig.update_yaxes(title="% of people")
    return fig


def spine_chart(rows: pd.DataFrame, policy) -> go.Figure:
    """One row per indicator: the area (marker with interval), its division and the force, on a
    common percentage axis; the marker's shape and colour give the published flag against the force."""
    rows = rows.iloc[::-1]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=rows["force_value"], y=rows["label"], mode="markers", name="Force",
                             marker=dict(symbol="line-ns-open", size=18, color="#333333", line=dict(width=2)),
                             hovertemplate="Force %{x:.1f}%<extra></extra>"))
    fig.add_trace(go.Scatter(x=rows["division_value"], y=rows["label"], mode="markers", name="Division",
                             marker=dict(symbol="diamond-open", size=10, color="#777777"),
                             hovertemplate="Division %{x:.1f}%<extra></extra>"))
    shown = rows[~rows["suppressed"]]
    fig.add_trace(go.Scatter(
        x=shown["value"], y=shown["label"], mode="markers", name=f"This area ({interval(policy.confidence)})",
        marker=dict(symbol=[FLAG_SYMBOL.get(f, "circle") for f in shown["flag"]], size=11,
                    color=[FLAG_COLOUR.get(f, "#777777") for f in shown["flag"]]),
        error_x=dict(type="data", symmetric=False, array=shown["upper_95"] - shown["value"],
                     arrayminus=shown["value"] - shown["lower_95"], color="#999999"),
        customdata=np.c_[[base_text(b) for b in shown["base"]], [vs_force_phrase(f) for f in shown["flag"]]],
        hovertemplate="%{y}: %{x:.1f}%, n = %{customdata[0]}; %{customdata[1]} (" + policy.label
                      + ")<extra></extra>"))
    base_layout(fig, None, height=max(300, 30 * len(rows) + 80))
    fig.update_layout(legend=dict(orientation="h", y=1.05))
    fig.update_xaxes(title="%", range=[0, 100])
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
        fig.add_trace(go.Scatter(
            x=part["effective_base"], y=part["value"], mode="markers", name=vs_force_phrase(flag).capitalize(),
            marker=dict(color=FLAG_COLOUR[flag], symbol=FLAG_SYMBOL[flag], size=7 if flag == "similar" else 9),
            text=part["area_name"], meta=flag,
            hovertemplate="%{text}: %{y:.1f}% (effective base %{x:.0f})<br>" + vs_force_phrase(flag)
                          + "<extra></extra>"))
    me = points[points["area_code"] == highlight]
    fig.add_trace(go.Scatter(x=me["effective_base"], y=me["value"], mode="markers+text", name="This area",
                             marker=dict(color="#222222", size=16, symbol="circle-open", line=dict(width=3)),
                             text=me["area_name"], textposition="top center", hoverinfo="skip"))
    base_layout(fig, None, height=360)
    fig.update_xaxes(title="Effective base (respondents)")
    fig.update_yaxes(title="%")
    return fig


def crime_trend(rows: pd.DataFrame, order: list[str], phrase, title: str, confidence: float) -> go.Figure:
    """Recorded crime per 1,000 residents over the periods, one line per measure (``measure_name``),
    each point with its exact Poisson interval; ``order`` puts the periods in time order and
    ``phrase(label)`` says each one in words. Rates are not tested against one another."""
    fig = go.Figure()
    for name, part in rows.groupby("measure_name", sort=True):
        part = part.sort_values("period", key=lambda s: s.map(order.index))
        fig.add_trace(go.Scatter(
            x=[phrase(p) for p in part["period"]], y=part["rate"], mode="lines+markers", name=name,
            error_y=dict(type="data", symmetric=False, array=part["upper"] - part["rate"],
                         arrayminus=part["rate"] - part["lower"], thickness=1),
            customdata=np.c_[part["lower"], part["upper"], part["count"]],
            hovertemplate=f"{name}, " + "%{x}: %{y:.2f} per 1,000 (%{customdata[0]:.2f}–%{customdata[1]:.2f}), "
                          "%{customdata[2]:,} crimes<extra></extra>"))
    base_layout(fig, f"{title} (exact Poisson {interval(confidence)})", height=420)
    fig.update_yaxes(title="per 1,000 residents", rangemode="tozero")
    fig.update_xaxes(type="category")
    return fig


def crime_by_type(rates: pd.DataFrame, force: pd.DataFrame, confidence: float) -> go.Figure:
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
    base_layout(fig, None, height=max(300, 26 * len(rates) + 80))
    months = int(rates["months"].iloc[0]) if "months" in rates.columns and len(rates) else None
    window = f"{months} months, " if months else ""
    fig.update_xaxes(title=f"Rate per 1,000 residents ({window}exact Poisson {interval(confidence)})")
    return fig
