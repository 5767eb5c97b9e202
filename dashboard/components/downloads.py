"""Download buttons for every table and figure, and the callbacks behind them.

Each page declares its downloads once, at import: ``table_downloads(prefix, build, states)``
gives CSV and Excel buttons whose callback calls ``build(*state_values) -> (frame, stem)``
(the table as shown, suppression applied, with definition and method columns), and
``figure_downloads(graph_id, stem, build, states)`` gives PNG, SVG and PDF buttons whose callback
rebuilds the chart on the server, ``build(*state_values) -> go.Figure | None``, with the figure
builder the page's own graph uses, and renders it through kaleido at a size fixed here. The
browser's copy of the figure is never read: rendering a figure from the request let a client
make the server's Chromium fetch URLs and read local files (issue #11). The returned function
makes the buttons for the layout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from ..figures.images import FORMATS, figure_image
from ..views.exports import to_csv, to_xlsx

DEFAULT_HEIGHT = 700
MAX_HEIGHT = 4000  # a chart with a height per row (areas, indicators) stops growing here


@dataclass(frozen=True)
class FigureExport:
    """How one chart is exported: its builder, the selections it reads, its size."""
    build: Callable[..., go.Figure | None]
    states: tuple[State, ...]
    width: int
    height: int | None  # None: the height the server's builder gave the figure (per row), capped

    def size(self, fig: go.Figure) -> tuple[int, int]:
        """(width, height) in pixels; the figure was built on the server, never taken from a request."""
        height = self.height or fig.layout.height or DEFAULT_HEIGHT
        return self.width, min(int(height), MAX_HEIGHT)


# Every figure download, by its dcc.Download id (tests enumerate them).
FIGURE_EXPORTS: dict[str, FigureExport] = {}


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


def figure_downloads(graph_id: str, stem: str, build: Callable[..., go.Figure | None], states: list[State],
                     label: str = "Chart", width: int = 1200, height: int | None = None) -> Callable[[], html.Div]:
    """PNG, SVG and PDF of the chart, rebuilt from the selections. Ids: ``{graph_id}-png`` (-svg,
    -pdf) and ``{graph_id}-image-download``. ``build(*state_values)`` returns the figure, or None
    for no download, or raises UnknownSelection (answered 400). Without ``height`` the builder's
    own height (computed from its rows) is used, capped at MAX_HEIGHT."""
    ids = {fmt: f"{graph_id}-{fmt}" for fmt in FORMATS}
    download_id = f"{graph_id}-image-download"
    export = FIGURE_EXPORTS[download_id] = FigureExport(build, tuple(states), width, height)

    @callback(Output(download_id, "data"), *[Input(i, "n_clicks") for i in ids.values()], *states,
              prevent_initial_call=True)
    def _download(*args):
        values = args[len(ids):]
        fmt = next(f for f, i in ids.items() if i == ctx.triggered_id)
        fig = export.build(*values)  # an UnknownSelection is answered 400 by dashboard.serving
        if fig is None:
            return no_update
        w, h = export.size(fig)
        return dcc.send_bytes(figure_image(fig, fmt, width=w, height=h), f"{stem}.{fmt}")

    def buttons() -> html.Div:
        return html.Div([_button(ids[fmt], f"{label} as {fmt.upper()}", f"Download the {label.lower()} as "
                                 f"{fmt.upper()}") for fmt in FORMATS] + [dcc.Download(id=download_id)],
                        className="d-inline-block d-print-none")

    return buttons
