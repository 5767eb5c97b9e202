"""The Dash application. ``server`` is gunicorn's target: ``gunicorn dashboard.app:server``.

Creating the app reads no data: pages read the live snapshot per request through
``dashboard.live.current_snapshot``, so a newly published snapshot is picked up without a
restart.
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, dcc, html
from flask_compress import Compress

from .access import AccessSettings
from .access import install as install_access
from .components.state import URL, parse_fragment
from .settings import SETTINGS

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT.parent / "assets"
PACK_LINK = "pack-link"

INDEX = """<!DOCTYPE html>
<html lang="en">
<head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}</head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""


def _division_options():
    from .data.store import StoreError
    from .live import current_snapshot, snapshot_config

    try:
        config = snapshot_config(current_snapshot())
    except StoreError:
        return [("all", "Whole force")]
    return [("all", f"Whole force ({config.force_short_name})")] + [(d.code, d.name) for d in config.divisions]


def nav_pages() -> list[tuple[str, str]]:
    """(path, label) of the pages in the navigation, in order: those registered with ``nav=``."""
    pages = sorted(dash.page_registry.values(), key=lambda p: p["order"])
    return [(p["path"], p["nav"]) for p in pages if p.get("nav")]


def page_paths(area_code: str) -> list[str]:
    """Every page's path, the area profile's for ``area_code``."""
    pages = sorted(dash.page_registry.values(), key=lambda p: p["order"])
    return [p["path_template"].replace("<code>", area_code) if p.get("path_template") else p["path"]
            for p in pages]


def _shell():
    from .components.state import select

    nav = html.Nav(dbc.Nav([dbc.NavItem(dbc.NavLink(label, href=path, id={"type": "nav", "path": path},
                                                    active="exact"))
                            for path, label in nav_pages()], pills=True, className="flex-wrap"),
                   **{"aria-label": "Pages"})
    return html.Div([
        dcc.Location(id=URL, refresh=False),
        # assets/keyboard.js moves focus to <main> and leaves the URL (and the state in it) alone.
        html.A("Skip to main content", href="#main", className="visually-hidden-focusable skip-link"),
        html.Header(dbc.Container(dbc.Row([
            dbc.Col(nav, lg=8),
            dbc.Col([select("division", "Division", _division_options(), "all"),
                     html.A("Meeting pack (PDF)", id=PACK_LINK, href="/pack/all.pdf", download="",
                            className="btn btn-sm btn-outline-secondary mb-2 d-print-none",
                            title="A4 PDF for the selected division: headline indicators, targets, significant "
                                  "changes, the worklist, recorded crime, the matrix, equality, definitions and "
                                  "terms (takes a few seconds)")],
                    lg=4, className="d-flex justify-content-lg-end align-items-end"),
        ], className="align-items-end"), fluid=True, className="px-4 py-2"), className="border-bottom mb-3"),
        html.Main(dbc.Container(dash.page_container, fluid=True, className="px-4"), id="main", tabIndex="-1"),
    ])


def create_app(store: Path | str | None = None, access: AccessSettings | None = None) -> dash.Dash:
    """The dashboard on ``store``, with sign-in and roles from ``access`` (by default from the
    environment: ``DASHBOARD_AUTH`` and the rest, docs/configuration.md)."""
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
    install_access(app.server, access or AccessSettings.from_env())  # first: its guard runs before anything
    # Callback JSON and HTML are compressed by Flask-Compress; the JavaScript bundles and assets
    # by dashboard.serving (gzip_bundle), once per process (compressing them on every request under
    # gunicorn's threaded workers with Flask-Compress answered 500 for some, seen here).
    app.server.config["COMPRESS_MIMETYPES"] = ["text/html", "application/json"]
    app.server.config["COMPRESS_MIN_SIZE"] = 500
    Compress(app.server)
    app.layout = _shell
    _add_routes(app)
    callback_map, callback_list = _page_callbacks()
    app.callback_map.update(callback_map)
    app._callback_list.extend(callback_list)
    _render_index_once(app)
    return app


@functools.lru_cache(maxsize=32)
def _pack_bytes(snapshot_path: str, division: str, variant: str | None) -> bytes:
    """A division's pack, built once per snapshot (and variant: the panel's has its own tables)
    and kept (snapshots never change): the second person asking for it gets it at once instead
    of waiting for the charts again."""
    from .data.store import snapshot_at
    from .live import snapshot_config
    from .pack import build_pack

    snapshot = snapshot_at(snapshot_path, variant)
    return build_pack(snapshot, snapshot_config(snapshot), division)


def _add_geometry_route(server) -> None:
    """/geometry/<snapshot id>.json: the maps' shapes, fetched once a snapshot by the browser."""
    from flask import request

    from .data.store import Store

    @server.route("/geometry/<snapshot_id>.json")
    def geometry(snapshot_id):
        """Every area's display geometry of a published snapshot, GeoJSON. The maps name this URL
        instead of carrying the shapes (``dashboard.pages.common.geometry_url``): plotly.js fetches
        it once a page and keeps it (``window.PlotlyGeoAssets``), and the browser's HTTP cache keeps
        it across pages and reloads, since a snapshot never changes (``immutable``, RFC 8246).
        ``private``: behind sign-in, no shared cache keeps it. Any snapshot still in the store is
        served, so a map drawn just before a publish still finds its shapes."""
        from flask import Response, abort

        store = Store(server.config["DASHBOARD_STORE"])
        if snapshot_id not in store.snapshot_ids():
            abort(404, "no such snapshot")
        raw, gzipped = _geometry_bytes(str(store.open(snapshot_id).path))
        zipped = "gzip" in request.headers.get("Accept-Encoding", "")
        response = Response(gzipped if zipped else raw, mimetype="application/json")
        if zipped:
            response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
        response.set_etag(snapshot_id)
        return response


@functools.lru_cache(maxsize=4)
def _geometry_bytes(snapshot_path: str) -> tuple[bytes, bytes]:
    """A snapshot's geometry document, and gzipped once (snapshots never change)."""
    import gzip

    from .figures.maps import geometry_document

    raw = geometry_document(snapshot_path)
    return raw, gzip.compress(raw, compresslevel=6, mtime=0)


def _render_index_once(app: dash.Dash) -> None:
    """Render the index page once, now. Dash records which script bundles it may serve when it
    first renders the index, and refuses (500) a bundle before that. Under gunicorn the index
    and the bundles can go to different workers, so a worker that never rendered the index
    answered 500 for the scripts of a page another worker had served (seen here with 2 workers).
    Rendered here, before gunicorn forks (preload_app), every worker starts with the list.
    Rendered directly (not through a request), so that sign-in, which guards every request,
    does not stand in the way."""
    with app.server.test_request_context("/"):
        app.index()


def _add_routes(app: dash.Dash) -> None:
    """/health for load balancers and monitoring; long cache lifetimes for static assets; the
    security headers, body limit, callback check and bundle compression of dashboard.serving."""
    from flask import jsonify, request

    from . import serving
    from .data.store import Store, StoreError

    server = app.server
    serving.install(app)
    _add_geometry_route(server)

    @server.route("/health")
    def health():
        store = Store(server.config["DASHBOARD_STORE"])
        try:
            snapshot = store.open()
        except StoreError as exc:
            return jsonify(status="no data", detail=str(exc)), 503
        return jsonify(status="ok", snapshot=snapshot.id, published=snapshot.manifest.get("created"),
                       synthetic=snapshot.synthetic, force=snapshot.manifest.get("force_name"))

    @server.route("/pack/<division>.pdf")
    def meeting_pack(division):
        """The meeting pack for a division code (or 'all'), built from the live snapshot."""
        from flask import Response, abort

        from .access import audit
        from .figures.images import ImageExportError
        from .live import current_snapshot, snapshot_config
        from .pack import PackError, resolve_division

        try:
            snapshot = current_snapshot()
            config = snapshot_config(snapshot)
            code = resolve_division(config, division)
            pdf = _pack_bytes(str(snapshot.path), code, snapshot.variant)
            audit("pack", division=code, snapshot=snapshot.id)
        except StoreError as exc:
            abort(503, str(exc))
        except PackError as exc:
            abort(404, str(exc))
        except ImageExportError as exc:
            abort(500, f"the meeting pack's charts could not be drawn: {exc}")
        name = f"meeting-pack-{code}-{snapshot.id}.pdf"
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @functools.lru_cache(maxsize=64)
    def profile_bytes(snapshot_path: str, code: str, variant: str | None) -> bytes:
        """An area's one-page profile, built once per snapshot and variant (like the pack)."""
        from .data.store import snapshot_at
        from .live import snapshot_config
        from .profile import build_area_profile

        snapshot = snapshot_at(snapshot_path, variant)
        return build_area_profile(snapshot, snapshot_config(snapshot), code)

    @server.route("/profile/<code>.pdf")
    def area_profile(code):
        """An area's one-page profile, for a code of the live snapshot's areas (404 otherwise)."""
        from flask import Response, abort

        from .access import audit
        from .live import current_snapshot

        try:
            snapshot = current_snapshot()
        except StoreError as exc:
            abort(503, str(exc))
        codes = set(snapshot.table("areas")["area_code"])
        if code not in codes:  # checked before anything is built or cached
            abort(404, "no such area in the live snapshot")
        pdf = profile_bytes(str(snapshot.path), code, snapshot.variant)
        audit("profile", area=code, snapshot=snapshot.id)
        name = f"area-profile-{code}-{snapshot.id}.pdf"
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @server.after_request
    def cache_headers(response):
        if response.status_code >= 400:
            response.headers["Cache-Control"] = "no-store"  # an error must not stick in a cache
        elif request.path.startswith(("/assets/", "/_dash-component-suites/")):
            # A fingerprinted bundle (name.v4_4_1m123.js) or an asset with Dash's ?m=<mtime> is
            # a new URL whenever its content changes: a year, immutable (browsers and nginx's
            # cache keep it). Anything else (plotly's topojson fetch) for a day.
            versioned = serving.GzipCache.key(request.path) != request.path or "m" in request.args
            response.headers["Cache-Control"] = ("public, max-age=31536000, immutable" if versioned
                                                 else "public, max-age=86400")
        elif request.path.startswith(("/_dash-", "/pack/", "/profile/")) or request.path == "/health":
            response.headers["Cache-Control"] = "no-store"  # always the live snapshot
        return response


_CALLBACKS: tuple[dict, list] | None = None


def _page_callbacks() -> tuple[dict, list]:
    """The callbacks of every page, for every app made here.

    ``dash.callback`` puts callbacks in a process-wide list that the first app to serve takes
    for itself; several apps in one process (tests, a reloading server) would leave the others
    without callbacks. They are taken once here, after the pages are imported, and given to
    each app.
    """
    global _CALLBACKS
    if _CALLBACKS is None:
        from dash import _callback

        from .components import state  # noqa: F401  (the URL <-> controls callback)
        from .pages import import_pages

        import_pages()

        _CALLBACKS = dict(_callback.GLOBAL_CALLBACK_MAP), list(_callback.GLOBAL_CALLBACK_LIST)
        _callback.GLOBAL_CALLBACK_MAP.clear()
        _callback.GLOBAL_CALLBACK_LIST.clear()
    return _CALLBACKS


@dash.callback(Output({"type": "nav", "path": ALL}, "href"), Output(PACK_LINK, "href"),
               Input({"type": "state", "key": "division"}, "value"), Input(URL, "hash"))
def _nav_keeps_division(division, fragment):
    """Links to other pages, and the meeting pack, carry the division, so every view stays filtered.
    A page opened from a definition or glossary link (``from=PATH`` in the fragment, put there by
    assets/keyboard.js) gives the link back to PATH every selection it was opened with."""
    value = division if isinstance(division, str) and division else "all"
    suffix = "" if value == "all" else f"#division={value}"
    params = parse_fragment(fragment if isinstance(fragment, str) else "")
    came_from = params.pop("from", None)
    params.pop("goto", None)
    params["division"] = value
    back = "#" + urlencode(sorted(params.items()))
    return [path + (back if path == came_from else suffix) for path, _ in nav_pages()], f"/pack/{value}.pdf"


app = create_app()
server = app.server
