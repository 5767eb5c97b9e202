"""Download buttons for every table and figure, and the callbacks behind them.

Each page declares its downloads once, at import: ``table_downloads(prefix, build, states)``
gives CSV and Excel buttons whose callback calls ``build(*state_values) -> (frame, stem)``
(the table as shown, suppression applied, with definition and method columns), and
``figure_downloads(graph_id, stem)`` gives PNG, SVG and PDF buttons that export the figure the
graph is showing through kaleido. The returned function makes the buttons for the layout.
"""

from __future__ import annotations

from collections.abc import Callable

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, ctx, dcc, html

from ..figures.exports import to_csv, to_xlsx
from ..figures.images import FORMATS, figure_image


def _button(component_id: str, label: str, description: str):
    return dbc.Button(label, id=component_id, size="sm", color="secondary", outline=True, className="me-2 mb-1",
                      title=description)


def table_downloads(prefix: str, build: Callable, states: list[State], what: str = "table") -> Callable[[], html.Div]:
    """CSV and Excel downloads of a table. Ids: ``{prefix}-csv``, ``{prefix}-xlsx``, ``{prefix}-download``."""
    csv_id, xlsx_id, download_id = f"{prefix}-csv", f"{prefix}-xlsx", f"{prefix}-download"

    @callback(Output(download_id, "data"), Input(csv_id, "n_clicks"), Input(xlsx_id, "n_clicks"), *states,
              prevent_initial_call=True)
    def _download(_csv, _xlsx, *values):
        frame, stem = build(*values)
        if ctx.triggered_id == xlsx_id:
            return dcc.send_bytes(to_xlsx(frame, prefix), f"{stem}.xlsx")
        return dcc.send_string(to_csv(frame), f"{stem}.csv")

    def buttons() -> html.Div:
        return html.Div([_button(csv_id, "Download CSV", f"The {what} as CSV, with definitions and method"),
                         _button(xlsx_id, "Download Excel", f"The {what} as an Excel workbook"),
                         dcc.Download(id=download_id)], className="d-inline-block d-print-none")

    return buttons


def figure_downloads(graph_id: str, stem: str, label: str = "Chart", width: int = 1200,
                     height: int | None = None) -> Callable[[], html.Div]:
    """PNG, SVG and PDF of the figure the graph shows. Ids: ``{graph_id}-png`` (-svg, -pdf) and
    ``{graph_id}-image-download``. The figure's own height is kept when it sets one."""
    ids = {fmt: f"{graph_id}-{fmt}" for fmt in FORMATS}
    download_id = f"{graph_id}-image-download"

    @callback(Output(download_id, "data"), *[Input(i, "n_clicks") for i in ids.values()], State(graph_id, "figure"),
              prevent_initial_call=True)
    def _download(*args):
        figure = args[-1]
        fmt = next(f for f, i in ids.items() if i == ctx.triggered_id)
        fig = go.Figure(figure or {}, skip_invalid=True)
        fig_height = height or fig.layout.height or 700
        image = figure_image(fig, fmt, width=width, height=int(fig_height))
        return dcc.send_bytes(image, f"{stem}.{fmt}")

    def buttons() -> html.Div:
        return html.Div([_button(ids[fmt], f"{label} as {fmt.upper()}", f"Download the {label.lower()} as "
                                 f"{fmt.upper()}") for fmt in FORMATS] + [dcc.Download(id=download_id)],
                        className="d-inline-block d-print-none")

    return buttons
