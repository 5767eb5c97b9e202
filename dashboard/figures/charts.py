"""Charts built from the published tables: DataFrame in, go.Figure out (no Dash imports).

Every coloured mark also has a shape or a text label, so nothing depends on colour alone.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .common import BETTER, VERDICT_COLOUR, VERDICT_SYMBOL, WORSE, base_layout


def ranked_bars(values: pd.DataFrame, force_value: float | None, title: str) -> go.Figure:
    """Areas ranked by value with 95% interval whiskers; suppressed areas are listed, not drawn."""
    shown = values[~values["suppressed"]].sort_values("value")
    fig = go.Figure(go.Scatter(
        x=shown["value"], y=shown["area_name"], mode="markers",
        marker=dict(symbol=[VERDICT_SYMBOL.get(v, "circle") for v in shown["vs_force_95"]], size=9,
                    color=[VERDICT_COLOUR.get(v, "#777777") for v in shown["vs_force_95"]]),
        error_x=dict(type="data", symmetric=False, array=shown["upper_95"] - shown["value"],
                     arrayminus=shown["value"] - shown["lower_95"], color="#999999", thickness=1),
        customdata=np.c_[shown["lower_95"], shown["upper_95"], shown["base"], shown["vs_force_95"]],
        hovertemplate="%{y}: %{x:.1f}% (%{customdata[0]:.1f}–%{customdata[1]:.1f}), n = %{customdata[2]}"
                      "<br>%{customdata[3]} than the force at 95%<extra></extra>",
    ))
    if force_value is not None:
        fig.add_vline(x=force_value, line_dash="dash", line_color="#333333",
                      annotation_text=f"Force {force_value:.1f}%", annotation_position="top")
    base_layout(fig, title, height=max(300, 14 * len(shown) + 80))
    fig.update_yaxes(type="category", tickfont=dict(size=10))
    fig.update_xaxes(title="% (95% interval); ▲ better, ▼ worse, ● similar to the force")
    return fig


def trend_panels(series: pd.DataFrame, indicators: list, msf: pd.DataFrame | None, changes: pd.DataFrame,
                 trends: pd.DataFrame, geography: str, columns: int = 3) -> go.Figure:
    """Small multiples: estimate with its 95% band, MSF average, target line, and a marker on each
    point that differs significantly from the previous period (▲ / ▼ with text, not colour only)."""
    rows = math.ceil(len(indicators) / columns)
    titles = []
    for ind in indicators:
        t = trends[(trends["indicator"] == ind.id) & (trends["geography_code"] == geography)]
        verdict = t["direction"].iloc[0] if len(t) else "too few periods"
        titles.append(f"{ind.short_name}<br><sup>recent trend: {verdict}</sup>")
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=titles, vertical_spacing=0.12 / max(rows, 1) * 2)
    for k, ind in enumerate(indicators):
        r, c = k // columns + 1, k % columns + 1
        s = series[series["indicator"] == ind.id].sort_values("period")
        s = s[~s["suppressed"]]
        if s.empty:
            continue
        fig.add_trace(go.Scatter(x=list(s["period"]) + list(s["period"])[::-1],
                                 y=list(s["upper_95"]) + list(s["lower_95"])[::-1], fill="toself",
                                 fillcolor="rgba(0,119,187,0.15)", line=dict(width=0), hoverinfo="skip",
                                 showlegend=k == 0, name="95% interval"), row=r, col=c)
        ch = changes[(changes["indicator"] == ind.id) & (changes["compared_with"] == "previous")]
        ch = ch.set_index("period")
        marks, texts = [], []
        for p in s["period"]:
            if p in ch.index and bool(ch.loc[p, "significant"]):
                up = ch.loc[p, "difference"] > 0
                good = up == (ind.polarity == "higher")
                marks.append("triangle-up" if up else "triangle-down")
                texts.append(f"significant {'rise' if up else 'fall'} ({ch.loc[p, 'difference']:+.1f} pts,"
                             f" {'better' if good else 'worse'})")
            else:
                marks.append("circle")
                texts.append("no significant change from the previous period" if p in ch.index else "first period")
        fig.add_trace(go.Scatter(
            x=s["period"], y=s["value"], mode="lines+markers", name="Estimate", showlegend=k == 0,
            line=dict(color=BETTER), marker=dict(symbol=marks, size=[12 if m != "circle" else 7 for m in marks],
                                                  color=["#222222" if m != "circle" else BETTER for m in marks]),
            customdata=np.c_[s["lower_95"], s["upper_95"], s["base"], texts],
            hovertemplate="%{x}: %{y:.1f}% (%{customdata[0]:.1f}–%{customdata[1]:.1f}), n = %{customdata[2]}"
                          "<br>%{customdata[3]}<extra></extra>"), row=r, col=c)
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


def matrix_scatter(m: pd.DataFrame, levels: list[tuple[str, str]], cuts: tuple[float, float, float, float]) -> go.Figure:
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
            hovertemplate="%{customdata[0]}: crime %{x:.0f} (95%: %{customdata[3]:.0f}-%{customdata[4]:.0f}), "
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


def gap_chart(gaps: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """White minus minority-ethnic satisfaction by period, one line per geography, with intervals."""
    fig = go.Figure()
    for code, part in gaps.groupby("geography_code", sort=False):
        part = part.sort_values("period")
        shown = part[~part["suppressed"]]
        fig.add_trace(go.Scatter(
            x=shown["period"], y=shown["gap"], mode="lines+markers", name=labels.get(code, code),
            marker=dict(symbol=["diamond" if s else "circle" for s in shown["significant"]], size=9),
            error_y=dict(type="data", symmetric=False, array=shown["upper"] - shown["gap"],
                         arrayminus=shown["gap"] - shown["lower"], thickness=1),
            customdata=np.c_[shown["value_1"], shown["value_2"], shown["base_1"], shown["base_2"],
                             np.where(shown["significant"], "significant", "not significant")],
            hovertemplate="%{x}: gap %{y:+.1f} pts (%{customdata[4]})<br>white %{customdata[0]:.1f}% "
                          "(n = %{customdata[2]}), minority ethnic %{customdata[1]:.1f}% (n = %{customdata[3]})"
                          "<extra>%{fullData.name}</extra>"))
    fig.add_hline(y=0, line_color="#333333")
    base_layout(fig, None, height=380)
    fig.update_yaxes(title="Gap, percentage points (white minus minority ethnic); ◆ significant")
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


def spine_chart(rows: pd.DataFrame) -> go.Figure:
    """One row per indicator: the area (marker with interval), its division and the force, on a
    common percentage axis; the marker's shape says better / similar / worse than the force."""
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
        x=shown["value"], y=shown["label"], mode="markers", name="This area (95% interval)",
        marker=dict(symbol=[VERDICT_SYMBOL.get(v, "circle") for v in shown["verdict"]], size=11,
                    color=[VERDICT_COLOUR.get(v, "#777777") for v in shown["verdict"]]),
        error_x=dict(type="data", symmetric=False, array=shown["upper_95"] - shown["value"],
                     arrayminus=shown["value"] - shown["lower_95"], color="#999999"),
        customdata=np.c_[shown["base"], shown["verdict"]],
        hovertemplate="%{y}: %{x:.1f}%, n = %{customdata[0]}; %{customdata[1]} than the force<extra></extra>"))
    base_layout(fig, None, height=max(300, 30 * len(rows) + 80))
    fig.update_layout(legend=dict(orientation="h", y=1.05))
    fig.update_xaxes(title="%", range=[0, 100])
    return fig


def funnel_plot(points: pd.DataFrame, p0: float, limits: pd.DataFrame, highlight: str) -> go.Figure:
    """Every area's value against its base with the 95% and 99.8% funnel limits; the chosen area ringed."""
    fig = go.Figure()
    for col, dash_, name in (("lower_95", "dash", "95% limits"), ("upper_95", "dash", None),
                             ("lower_998", "solid", "99.8% limits"), ("upper_998", "solid", None)):
        fig.add_trace(go.Scatter(x=limits["n"], y=limits[col], mode="lines", line=dict(color="#777777", dash=dash_),
                                 name=name or col, showlegend=name is not None, hoverinfo="skip"))
    fig.add_hline(y=100 * p0, line_color="#333333", annotation_text=f"Force {100 * p0:.1f}%")
    other = points[points["area_code"] != highlight]
    fig.add_trace(go.Scatter(x=other["effective_base"], y=other["value"], mode="markers", name="Other areas",
                             marker=dict(color="#BBBBBB", size=6), text=other["area_name"],
                             hovertemplate="%{text}: %{y:.1f}% (effective base %{x:.0f})<extra></extra>"))
    me = points[points["area_code"] == highlight]
    fig.add_trace(go.Scatter(x=me["effective_base"], y=me["value"], mode="markers+text", name="This area",
                             marker=dict(color=BETTER, size=14, symbol="circle-open", line=dict(width=3)),
                             text=me["area_name"], textposition="top center"))
    base_layout(fig, None, height=360)
    fig.update_xaxes(title="Effective base (respondents)")
    fig.update_yaxes(title="%")
    return fig


def crime_by_type(rates: pd.DataFrame, force: pd.DataFrame) -> go.Figure:
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
    fig.update_xaxes(title="Rate per 1,000 residents (12 months, exact Poisson 95% interval)")
    return fig
