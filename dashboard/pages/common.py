"""Pieces every page uses: the live snapshot, the header, the division control's id."""

from __future__ import annotations

import dash
from dash import html

from ..components.banner import no_data_notice, page_header
from ..components.glossary import KEEP_STATE
from ..components.state import state_id
from ..data.store import StoreError
from ..live import live

DIVISION = state_id("division")
# Every chart's toolbar: no Plotly logo link, no "Share chart…" upload to Plotly Cloud, no Chart
# Studio link (the dashboard is offline: nothing leaves the force network), and the map's
# topojson from the dashboard's own assets.
GRAPH_CONFIG = {"displaylogo": False, "showSendToCloud": False, "showEditInChartStudio": False, "showLink": False,
                "plotlyServerURL": "", "topojsonURL": "/assets/topojson/"}


def page(title: str, body_builder):
    """Layout wrapper: header with the synthetic banner, or the no-data notice."""
    try:
        snapshot, config = live()
    except StoreError as exc:
        return no_data_notice(exc)
    return html.Div([page_header(snapshot, config, title), body_builder(snapshot, config)])


def geometry_url(snapshot) -> str:
    """Where the browser fetches the snapshot's area shapes (``dashboard.app``'s /geometry route):
    a map's ``geojson`` names it instead of carrying them, so they cross the wire once a snapshot."""
    return dash.get_relative_path(f"/geometry/{snapshot.id}.json")


def division_label(config, division: str) -> str:
    names = {d.code: d.name for d in config.divisions}
    return names.get(division, f"the whole force ({config.force_short_name})")


def info_link(indicator_id: str, text: str = "definition"):
    """The link beside every number to the indicator's definition, source question and method.
    It keeps the page's selections: assets/keyboard.js carries the URL's state to the definitions
    and back (Back, or the navigation link to the page left), as for glossary terms."""
    return html.A(f"({text})", href=f"/data#def-{indicator_id}", className="small ms-1",
                  title="Definition, source question, polarity and method", **KEEP_STATE)
