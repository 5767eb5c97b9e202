"""The Dash application. ``server`` is gunicorn's target: ``gunicorn dashboard.app:server``.

Creating the app reads no data: pages read the live snapshot per request through
``dashboard.live.current_snapshot``, so a newly published snapshot is picked up without a
restart.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, dcc, html
from flask_compress import Compress

from .access import AccessSettings
from .access import install as install_access
from .cache import install as install_cache
from .cache import never_cache
from .components.state import URL, parse_fragment
from .data.store import per_snapshot
from .settings import SETTINGS

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT.parent / "assets"
PACK_LINK = never_cache("pack-link")  # its callback reads whether the pack is built yet
PACK_POLL = "pack-poll"
PACK_READY = "Meeting pack (PDF)"
PACK_CLASS = "btn btn-sm btn-outline-secondary mb-2 d-print-none"

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
                     html.A(PACK_READY, id=PACK_LINK, href="/pack/all.pdf", download="", className=PACK_CLASS,
                            title="A4 PDF for the selected division: headline indicators, targets, significant "
                                  "changes, the worklist, recorded crime, the matrix, equality, definitions and "
                                  "terms (prepared when the data are published)"),
                     # Asks whether the pack is ready only while it is not (_pack_readiness).
                     dcc.Interval(id=PACK_POLL, interval=5000, disabled=True)],
                    lg=4, className="d-flex justify-content-lg-end align-items-end"),
        ], className="align-items-end"), fluid=True, className="px-4 py-2"), className="border-bottom mb-3"),
        html.Main(dbc.Container(dash.page_container, fluid=True, className="px-4"), id="main", tabIndex="-1"),
    ])


def create_app(store: Path | str | None = None, access: AccessSettings | None = None,
               cache: dict | None = None) -> dash.Dash:
    """The dashboard on ``store``, with sign-in and roles from ``access`` (by default from the
    environment: ``DASHBOARD_AUTH`` and the rest, docs/configuration.md) and its answers cached
    as ``cache`` says (Flask-Caching's configuration; by default from the environment:
    ``DASHBOARD_REDIS_URL``, ``DASHBOARD_CACHE_DIR``; dashboard/cache.py)."""
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
    install_cache(app, cache)  # after _add_routes: only a body serving's check accepted is looked up
    callback_map, callback_list = _page_callbacks()
    app.callback_map.update(callback_map)
    app._callback_list.extend(callback_list)
    _render_index_once(app)
    return app


def _division_title(config, code: str) -> str:
    names = {d.code: d.name for d in config.divisions}
    force = config.force_short_name or config.force_name
    return f"{names[code]} division" if code in names else f"{force} (whole force)"


def _preparing(what: str, progress, refresh: int = 20):
    """202 (or 503 if the last attempt failed) with a short page: ``what`` ("meeting pack for
    ...") is being prepared, how far its job is, and when to try again (Retry-After, RFC 9110
    section 10.2.3; the page asks again by itself after ``refresh`` seconds)."""
    from flask import Response

    failed = progress is not None and progress.state == "failed"
    count = f" ({progress.done + 1} of {progress.total})" if progress and progress.total and not failed else ""
    text = (f"The {what} could not be prepared; it will be tried again. Try again in a minute." if failed
            else f"The {what} is being prepared{count}; try again in {'a minute' if refresh > 10 else 'a moment'}.")
    body = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Being prepared</title>"
            f"<meta http-equiv=\"refresh\" content=\"{refresh}\"></head><body><p>{escape(text)}</p></body></html>")
    return Response(body, status=503 if failed else 202, mimetype="text/html",
                    headers={"Retry-After": "60" if failed else str(refresh)})


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
        raw, gzipped = _geometry_bytes(store.open(snapshot_id).key)
        zipped = "gzip" in request.headers.get("Accept-Encoding", "")
        response = Response(gzipped if zipped else raw, mimetype="application/json")
        if zipped:
            response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
        response.set_etag(snapshot_id)
        return response


@per_snapshot(maxsize=2)
def _geometry_bytes(snapshot_key: str) -> tuple[bytes, bytes]:
    """A snapshot's geometry document, and gzipped once (snapshots never change)."""
    import gzip

    from .figures.maps import geometry_document

    raw = geometry_document(snapshot_key)
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

    # Imported here, before gunicorn forks (preload_app), not on each worker's first request: the
    # pack route's modules, and data.policeuk, which reading a snapshot's force.toml imports (0.8 s).
    from . import jobs, pack, serving  # noqa: F401
    from .data import policeuk  # noqa: F401
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
        """The meeting pack for a division code (or 'all') of the live snapshot: the file built
        when the snapshot was published (dashboard.jobs), or 202 "being prepared" while it is
        being built. Never built here."""
        from flask import Response, abort

        from .access import audit
        from .live import current_snapshot, snapshot_config
        from .pack import PackError, resolve_division

        try:
            snapshot = current_snapshot()
            config = snapshot_config(snapshot)
            code = resolve_division(config, division)
            store = Store(server.config["DASHBOARD_STORE"])
            name = jobs.pack_name(code, jobs.pack_variant(snapshot))
            pdf = store.read_artifact(snapshot.id, name)
            if pdf is None:
                progress = jobs.ensure_prepared(store, snapshot.id, name)
                return _preparing(f"meeting pack for {_division_title(config, code)}", progress)
        except StoreError as exc:
            abort(503, str(exc))
        except PackError as exc:
            abort(404, str(exc))
        audit("pack", division=code, snapshot=snapshot.id)
        name = f"meeting-pack-{code}-{snapshot.id}.pdf"
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @server.route("/profile/<code>.pdf")
    def area_profile(code):
        """An area's one-page profile, for a code of the live snapshot's areas (404 otherwise):
        built outside the request the first time it is asked for (dashboard.jobs), kept beside
        the snapshot, then served at once; 202 "being prepared" until then."""
        from flask import Response, abort

        from .access import audit
        from .live import current_snapshot

        try:
            snapshot = current_snapshot()
            areas = snapshot.table("areas").set_index("area_code")["area_name"]
            if code not in areas.index:  # checked before anything is built or kept
                abort(404, "no such area in the live snapshot")
            store = Store(server.config["DASHBOARD_STORE"])
            pdf = store.read_artifact(snapshot.id, jobs.profile_name(code, jobs.pack_variant(snapshot)))
            if pdf is None:
                jobs.ensure_profile(store, snapshot, code)
                return _preparing(f"area profile for {areas[code]} ({code})", None, refresh=5)
        except StoreError as exc:
            abort(503, str(exc))
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


@dash.callback(Output(PACK_LINK, "children"), Output(PACK_LINK, "className"), Output(PACK_LINK, "download"),
               Output(PACK_LINK, "target"), Output(PACK_POLL, "disabled"),
               Input({"type": "state", "key": "division"}, "value"), Input(PACK_POLL, "n_intervals"))
def _pack_readiness(division, _ticks):
    """The pack button says when the selected division's pack is being prepared (and is disabled
    until it is ready); while it is not ready, a dcc.Interval asks again every 5 s (Dash docs,
    dcc.Interval: ``disabled`` stops it). A pack not ready and not being prepared (lost) is not
    offered as a download: the link opens /pack's "being prepared" page in a new tab, which
    starts the job. Reads only what the job keeps beside the snapshot; starts nothing itself."""
    from flask import current_app

    from . import jobs
    from .data.store import Store, StoreError
    from .live import current_snapshot, snapshot_config
    from .pack import PackError, resolve_division

    ready_button = PACK_READY, PACK_CLASS, "", None, True
    try:
        snapshot = current_snapshot()
        code = resolve_division(snapshot_config(snapshot), division if isinstance(division, str) else "all")
        ready, progress = jobs.pack_status(Store(current_app.config["DASHBOARD_STORE"]), snapshot, code)
    except (StoreError, PackError):
        return ready_button  # the link answers for itself (404, 503)
    if ready:
        return ready_button
    if progress is None or progress.state in ("done", "failed"):  # not being prepared: the link starts it
        return PACK_READY, PACK_CLASS, None, "_blank", False
    count = f" {progress.done + 1} of {progress.total}" if progress.total else ""
    return f"Meeting pack (being prepared{count}…)", PACK_CLASS + " disabled", None, "_blank", False


# Last: every module-level callback above must be registered before the first app takes them.
app = create_app()
server = app.server
