"""Choropleth maps of the areas. In the browser the geometry is a URL (``/geometry/<snapshot
id>.json``, ``geometry_document``) that plotly.js fetches once and keeps; a change of indicator,
period or colouring replaces only the value arrays (see ``trace_arrays``). Image exports carry
the geometry inline (``snapshot_geojson``)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..data.store import per_snapshot, snapshot_at
from ..views.words import FLAG_FILL, FLAG_WORD, FLAGS, base_text, suppressed_label, vs_force_phrase
from .common import FONT, NO_VALUE, SEQUENTIAL, SOURCE_CHARS, SOURCE_SIZE, wrap

# The published flag as a code (its place in FLAGS) on a stepped scale: one band per flag.
FLAG_CODE = {f: i for i, f in enumerate(FLAGS)}
# A suppressed area is drawn grey (NO_VALUE), as in every other colouring: never white on white.
MAP_FILL = {**FLAG_FILL, "suppressed": NO_VALUE}
FLAG_SCALE = [pair for i, f in enumerate(FLAGS) for pair in ([i / len(FLAGS), MAP_FILL[f]],
                                                              [(i + 1) / len(FLAGS), MAP_FILL[f]])]


def geojson(display: pd.DataFrame) -> dict:
    """GeoJSON of the display geometry (already clockwise, WGS84), coordinates to 5 decimals (~1 m)."""
    doc = json.loads(display[["area_code", "geometry"]].to_json(drop_id=True))
    for f in doc["features"]:
        f["geometry"]["coordinates"] = _round(f["geometry"]["coordinates"])
    return doc


@per_snapshot(maxsize=8)
def snapshot_geojson(snapshot_key: str, codes: tuple[str, ...]) -> dict:
    """The display geometry of these areas as GeoJSON, built once per snapshot and set of areas
    (snapshots never change), for the map page, the matrix page and image exports."""
    display = snapshot_at(snapshot_key).table("boundaries_display")
    return geojson(display[display["area_code"].isin(codes)])


def geometry_document(snapshot_key: str) -> bytes:
    """Every area's display geometry of a snapshot as compact GeoJSON bytes: what the browser
    fetches once per snapshot (the map's ``geojson`` is its URL; plotly.js accepts a GeoJSON
    object or a URL string, plotly.js ``choropleth.geojson`` attribute) and keeps."""
    from ..data.store import snapshot_at

    display = snapshot_at(snapshot_key).table("boundaries_display")
    return json.dumps(geojson(display.sort_values("area_code")), separators=(",", ":")).encode()


def _round(coords):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], 5), round(coords[1], 5)]
    return [_round(c) for c in coords]


def base_map(geo: dict | str, codes: list[str], names: list[str], divisions: list[str]) -> go.Figure:
    """The map with every area's shape (``geo``: GeoJSON, or the URL plotly.js fetches it from);
    values are filled in by ``trace_arrays``."""
    fig = go.Figure(go.Choropleth(
        geojson=geo, featureidkey="properties.area_code", locations=codes, z=[0.0] * len(codes),
        customdata=list(zip(names, divisions)), marker_line_color="#444444", marker_line_width=0.6,
        colorscale=[[i / (len(SEQUENTIAL) - 1), c] for i, c in enumerate(SEQUENTIAL)], showscale=True,
        colorbar=dict(thickness=12, len=0.8),
    ))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    fig.update_layout(margin=dict(l=0, r=0, t=0, b=0), height=560, font=FONT, dragmode=False,
                      clickmode="event")
    return fig


HOVER = "%{customdata[0]} (%{customdata[1]})<br>%{text}<extra></extra>"


def trace_arrays(values: pd.DataFrame, mode: str, levels=None, policy=None, unit: str = "%",
                 threshold: int | None = None) -> dict:
    """The choropleth trace's properties for one colouring: values, hover text, scale, colour bar."""
    a = map_values(values, mode, levels, policy, unit, threshold)
    return {"z": a["z"], "text": a["text"], "zmin": a["zmin"], "zmax": a["zmax"], "colorscale": a["colorscale"],
            "colorbar": dict(thickness=12, len=0.8, **a["colorbar"]), "hovertemplate": HOVER}


def source_note(source: str) -> dict:
    """The map's "Source: …" line, at its foot (an annotation: a Patch can replace its text)."""
    return dict(text=wrap(source, SOURCE_CHARS), x=0, y=0, xref="paper", yref="paper", xanchor="left",
                yanchor="top", showarrow=False, align="left", font=dict(size=SOURCE_SIZE, color="#555555"))


def area_map(geo: dict | str, values: pd.DataFrame, mode: str, levels=None, policy=None, unit: str = "%",
             threshold: int | None = None, source: str | None = None) -> go.Figure:
    """The whole map of ``values`` (one row per area shown, with area and division names)
    coloured by ``mode``; ``geo`` may hold more areas than are shown."""
    fig = base_map(geo, values["area_code"].tolist(), values["area_name"].tolist(), values["division_name"].tolist())
    fig.update_traces(**trace_arrays(values, mode, levels, policy, unit, threshold))
    if source:
        fig.add_annotation(**source_note(source))
        fig.update_layout(margin=dict(b=45))
    return fig


def map_values(values: pd.DataFrame, mode: str, levels=None, policy=None, unit: str = "%",
               threshold: int | None = None) -> dict:
    """The arrays and scale for one colouring, in the order of ``values`` (one row per area).

    ``values`` has value, lower_95, upper_95, base, flag, suppressed; ``mode`` is "value"
    (continuous), "quintile", "significance" (the published flag against the force: better /
    similar / worse / not tested / suppressed, under ``policy``) or "resource" (resource level
    rank, with the levels' colours). ``unit`` follows each value: "%" for survey estimates (base:
    respondents), anything else (" per 1,000") for crime rates (base: crimes). Every area is
    drawn: a suppressed one grey, called "suppressed (base below N)" (``threshold``, the published
    suppression threshold) in its hover and in the colour bar's key.
    """
    v = values["value"].to_numpy(float)
    count = "n" if unit == "%" else "crimes"
    # Hover text is kept short (ASCII, no thousands separator): it is resent on every switch.
    withheld = suppressed_label(threshold) if threshold is not None else "suppressed"
    key = withheld.replace(" (", "<br>(")
    hover = [withheld if s else
             f"no value ({count}={base_text(b).replace(',', '')})" if x != x else
             f"{x:.1f}{unit} ({lo:.1f}-{hi:.1f}) {count}={base_text(b).replace(',', '')}"
             for x, lo, hi, b, s in zip(v, values["lower_95"], values["upper_95"], values["base"],
                                       values["suppressed"])]
    if mode == "significance":
        flags = values["flag"].tolist()
        rule = f" ({policy.label})" if policy is not None else ""
        return dict(z=[FLAG_CODE.get(f, FLAG_CODE["not tested"]) for f in flags], zmin=-0.5, zmax=len(FLAGS) - 0.5,
                    colorscale=FLAG_SCALE,
                    text=[f"{t}; {vs_force_phrase(f)}{rule if f in ('better', 'worse', 'similar') else ''}"
                          for t, f in zip(hover, flags)],
                    colorbar=dict(tickvals=list(range(len(FLAGS))),
                                  ticktext=[key if f == "suppressed" else FLAG_WORD[f] for f in FLAGS],
                                  title=dict(text="vs force" + (f"<br>{policy.label}" if policy is not None else ""))))
    if mode == "resource":
        ranks = values["rank"].to_numpy(float)
        n = len(levels)
        scale = []
        for i, (_name, colour) in enumerate(levels):
            scale += [[i / n, colour], [(i + 1) / n, colour]]
        return _drawn_without_value(dict(
            z=[None if np.isnan(r) else float(r) for r in ranks], zmin=-0.5, zmax=n - 0.5, colorscale=scale,
            text=values["resource_level"].tolist(),
            colorbar=dict(tickvals=list(range(n)), ticktext=[name for name, _ in levels],
                          title=dict(text="Resource level"))), step=1.0, label="not computed")
    if mode == "quintile":
        shown = ~np.isnan(v)
        q = np.full(len(v), np.nan)
        if shown.sum() >= 5:
            q[shown] = pd.qcut(v[shown], 5, labels=False, duplicates="drop")
        return _drawn_without_value(dict(
            z=[None if np.isnan(x) else int(x) for x in q], zmin=-0.5, zmax=4.5,
            colorscale=[[i / 5, SEQUENTIAL[2 * i]] for i in range(5)] + [[1, SEQUENTIAL[8]]], text=hover,
            colorbar=dict(tickvals=list(range(5)), ticktext=["Lowest fifth", "2nd", "3rd", "4th", "Highest fifth"],
                          title=dict(text="Quintile"))), step=1.0, label=_foot(values, key))
    finite = v[~np.isnan(v)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    scale = [[i / (len(SEQUENTIAL) - 1), c] for i, c in enumerate(SEQUENTIAL)]
    ticks = _nice_ticks(lo, hi)
    return _drawn_without_value(dict(z=[None if np.isnan(x) else round(float(x), 1) for x in v], zmin=lo, zmax=hi,
                                     colorscale=scale, text=hover,
                                     colorbar=dict(tickvals=ticks, ticktext=[f"{t:g}" for t in ticks],
                                                   title=dict(text=unit.strip()))),
                                step=max(hi - lo, 1.0) * 0.1, label=_foot(values, key))


def _foot(values: pd.DataFrame, suppressed: str) -> str:
    """The key of the grey band at the foot of the colour bar: suppressed areas, areas without a
    value (a crime rate without a population), or both."""
    kinds = [suppressed] if values["suppressed"].any() else []
    if (~values["suppressed"] & values["value"].isna()).any():
        kinds.append("no value")
    return " / ".join(kinds) or suppressed


def _nice_ticks(lo: float, hi: float) -> list[float]:
    """About five round ticks between lo and hi."""
    if hi <= lo:
        return [round(lo, 1)]
    raw = (hi - lo) / 5
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [round(t, 6) for t in np.arange(math.ceil(lo / step) * step, hi + step / 1000, step)]


def _drawn_without_value(arrays: dict, step: float, label: str = "no value") -> dict:
    """Every area is drawn: plotly leaves out a shape whose value is missing, so an area with no
    value (suppressed, or a crime rate without a population) gets a value ``step`` below the
    scale, coloured NO_VALUE grey in a band the colour scale gains at its foot (its hover text
    says why it has none), named ``label`` in the colour bar's key."""
    z = arrays["z"]
    if all(x is not None for x in z):
        return arrays
    lo, hi = arrays["zmin"] - step, arrays["zmax"]
    foot = step / (hi - lo)
    # Grey over the lower half of the foot only: the lowest real value (exactly at the foot's top)
    # takes the scale's first colour, never the grey.
    first = arrays["colorscale"][0][1]
    scale = ([[0.0, NO_VALUE], [foot / 2, NO_VALUE], [foot / 2, first]]
             + [[foot + (1 - foot) * f, c] for f, c in arrays["colorscale"]])
    bar = dict(arrays["colorbar"])
    ticks, text = list(bar.get("tickvals") or []), list(bar.get("ticktext") or [])
    bar["tickvals"], bar["ticktext"] = [lo + step / 4] + ticks, [label] + text
    return {**arrays, "z": [lo if x is None else x for x in z], "zmin": lo, "colorscale": scale, "colorbar": bar}
