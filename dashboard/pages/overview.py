"""Force overview: each indicator's latest value for the force and each division."""

from __future__ import annotations

import dash
from dash import html

from ..live import current_snapshot, snapshot_config
from ..components.banner import no_data_notice, page_header
from ..data.store import StoreError
from ..components.estimate_table import estimate_table
from ..figures.overview import overview_frame

OVERVIEW_TABLE = "overview-table"


def layout(**_query):
    try:
        snapshot = current_snapshot()
    except StoreError as exc:
        return no_data_notice(exc)
    config = snapshot_config(snapshot)
    frame = overview_frame(snapshot.table("estimates"), config)
    period = frame["period"].iat[0] if len(frame) else "—"
    return html.Div([
        page_header(snapshot, config, "Force overview"),
        html.P(f"Latest period: {period}. Each cell shows the estimate, its 95% confidence interval and "
               "the unweighted number of respondents it rests on.", className="lead"),
        estimate_table(frame, config, table_id=OVERVIEW_TABLE),
    ])


dash.register_page(__name__, path="/", name="Force overview", title="Force overview", layout=layout)
