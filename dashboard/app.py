"""The Dash application. ``server`` is gunicorn's target: ``gunicorn dashboard.app:server``.

Creating the app reads no data: pages read the live snapshot per request through
:func:`current_snapshot`, so a newly published snapshot is picked up without a restart.
"""

from __future__ import annotations

from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import html
from .settings import SETTINGS

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT.parent / "assets"

INDEX = """<!DOCTYPE html>
<html lang="en">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}</head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""


def _shell():
    return dbc.Container([
        html.A("Skip to main content", href="#main", className="visually-hidden-focusable"),
        html.Header(id="site-header", className="py-2"),
        html.Main(dash.page_container, id="main"),
    ], fluid=True, className="px-4")


def create_app(store: Path | str | None = None) -> dash.Dash:
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",  # pages are imported below, as modules of this package
        assets_folder=str(ASSETS),
        serve_locally=True,
        title="Confidence and satisfaction dashboard",
        update_title=None,
        suppress_callback_exceptions=True,
    )
    app.index_string = INDEX
    app.server.config["DASHBOARD_STORE"] = str(store or SETTINGS.store)
    app.layout = _shell
    from .pages import overview  # noqa: F401  (registers its page)
    return app


app = create_app()
server = app.server
