"""What every response carries and what every request may be: security headers with the one
Content-Security-Policy, the request body limit, the callback body check, and the bounded
cache of gzipped bundles (issue #11, item 3).

``install(app)`` registers all of it on the Dash app's Flask server; ``dashboard.app`` calls it
from ``_add_routes``. nginx in front (``deploy/nginx-site.conf.template``) passes these headers
through unchanged and adds only HSTS, which belongs to the TLS endpoint.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
from collections import OrderedDict

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/_dash-update-component"

# The largest real callback body, measured by driving every page, every select and the downloads
# in Chromium on the demo (145 areas): 9,418 bytes, the URL <-> controls callback on the trends
# page, which sends the options of every select on the page (the area list is most of it, about
# 35 bytes an area); every other callback body was under 4,400 bytes. tests/integration/
# test_hardening.py recomputes it from the pages on every run. 1 MiB is about 110 times that,
# room for a force of some 25,000 areas; before the limit a 52 MB body was parsed (issue #11).
# nginx's client_max_body_size is rendered from this number (dashboard/proxy.py).
MAX_CONTENT_LENGTH = 1024 * 1024

# Callback bodies are a few levels deep (body > state > list of controls > options > option:
# 5); 32 is generous. Python's json parser raises RecursionError near 1,000 levels, and a
# 10,000-deep list used to answer 500 with a traceback.
MAX_JSON_DEPTH = 32


def content_security_policy(script_hashes: list[str]) -> str:
    """The one Content-Security-Policy of the dashboard: its own origin only.

    - ``default-src 'self'``: nothing from another origin (a police network has no internet,
      and nothing from outside should run inside the dashboard anyway).
    - ``script-src 'self'`` plus the sha256 of each inline script Dash writes into the index
      (``Dash.csp_hashes()``: the clientside callback of the pages router and the renderer's
      start): no 'unsafe-inline'. No 'unsafe-eval': no page needs it (plotly.js reaches
      ``new Function`` only in trace types the dashboard does not draw, plotly/plotly.js#897);
      the browser test visits every page under this policy and fails on any violation.
    - ``style-src 'self' 'unsafe-inline'``: plotly.js, dcc, dash-table and the renderer inject
      ``<style>`` elements and style attributes (plotly/plotly.js#2355); with ``style-src 'self'``
      Chromium reported about 20 violations a page here. Inline styles cannot run code.
    - ``img-src 'self' data:``: Bootstrap's selects draw their arrow as a ``data:`` SVG
      (a violation on every page without it), and plotly's "download plot" goes through one.
    - Fetches (callbacks, plotly's topojson from /assets/) and fonts fall under default-src.
    - ``object-src 'none'``, ``base-uri 'self'``, ``form-action 'self'``: no plugins, no
      ``<base>`` pointing scripts elsewhere, no form posting off site.
    - ``frame-ancestors 'none'``: no other site may frame the dashboard (clickjacking);
      ``X-Frame-Options: DENY`` says the same to older browsers.
    No ``blob:`` workers: the maps are SVG (plotly geo), not MapLibre.
    """
    directives = [
        ("default-src", ["'self'"]),
        ("script-src", ["'self'", *script_hashes]),
        ("style-src", ["'self'", "'unsafe-inline'"]),
        ("img-src", ["'self'", "data:"]),
        ("object-src", ["'none'"]),
        ("base-uri", ["'self'"]),
        ("form-action", ["'self'"]),
        ("frame-ancestors", ["'none'"]),
    ]
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives)


def security_headers(csp: str) -> dict[str, str]:
    """The headers on every response, whatever produced it (page, callback, bundle, asset,
    pack, /health, 404, 400, 413, 500).

    - ``X-Content-Type-Options: nosniff``: a browser must not run a download or a JSON answer
      as a script or style because it looks like one.
    - ``Referrer-Policy: same-origin``: page paths (``/area/<code>``) never go to another site;
      the dashboard's own requests keep it for its logs.
    - ``X-Frame-Options: DENY``: frame-ancestors for browsers that predate CSP 2.
    - ``Cross-Origin-Opener-Policy: same-origin``: a page opened from another site gets no
      handle on the dashboard's window.
    HSTS is added by nginx, which terminates TLS (the app cannot know the scheme the browser used).
    """
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


# ---------------------------------------------------------------------------------------------
# Callback bodies

class CallbackBodyError(ValueError):
    """A callback request that does not fit the app's callbacks: answered 400."""


# What each property a callback reads may hold, as the browser sends it. Every Input and State
# of the app must be listed (a test checks): a new property is a decision, not a default.
_SCALAR = (str, int, float, bool, type(None))
PROPERTY_TYPES: dict[str, tuple[type, ...]] = {
    "value": (str, type(None)),         # dbc.Select: the option's value, a string
    "n_clicks": (int, type(None)),      # buttons
    "n_intervals": (int, type(None)),   # dcc.Interval (the pack button asks while a pack is prepared)
    "hash": (str, type(None)),          # dcc.Location fragment
    "pathname": (str, type(None)),      # dcc.Location path
    "search": (str, type(None)),        # dcc.Location query
    "id": (dict,),                      # a pattern-matching control's own id
    "options": (list, type(None)),      # a select's options: [{"label", "value"}]
    "clickData": (dict, type(None)),    # plotly's click event
    "data": (str, int, float, bool, dict, list, type(None)),  # dcc.Store: what the page put there
}
_WILDCARDS = (["ALL"], ["MATCH"], ["ALLSMALLER"])


def _depth(value, limit: int) -> int:
    """Nesting depth of a parsed JSON value, without recursion; raises past ``limit``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise CallbackBodyError(f"nested more than {limit} levels deep")
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def parse_body(data: bytes) -> object:
    """The request body as JSON, or CallbackBodyError."""
    try:
        body = json.loads(data)
    except RecursionError:
        raise CallbackBodyError(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    except (ValueError, UnicodeDecodeError):
        raise CallbackBodyError("the body is not JSON") from None
    _depth(body, MAX_JSON_DEPTH)
    return body


def _split_outputs(output: str) -> list[tuple[str, str]]:
    """(id, property) of each output in Dash's output key: ``a.b`` or ``..a.b...c.d..``."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [tuple(p.rsplit(".", 1)) for p in parts]


def _declared(component_id: str) -> str | dict:
    return json.loads(component_id) if component_id.startswith("{") else component_id


def _id_matches(declared: str | dict, sent) -> bool:
    if isinstance(declared, str):
        return sent == declared
    if not isinstance(sent, dict) or set(sent) != set(declared):
        return False
    return all(isinstance(sent[k], (str, int, float, bool)) if v in _WILDCARDS else sent[k] == v
               for k, v in declared.items())


def _is_multi(declared) -> bool:
    """Pattern ids with ALL or ALLSMALLER arrive as a list of matches; others as one entry."""
    return isinstance(declared, dict) and any(v in (["ALL"], ["ALLSMALLER"]) for v in declared.values())


def _check_entries(kind: str, declared: list[dict], sent, with_value: bool) -> list[str]:
    """Check inputs or state against the callback's declaration; return the concrete
    ``id.property`` strings sent (for changedPropIds)."""
    if not isinstance(sent, list) or len(sent) != len(declared):
        raise CallbackBodyError(f"{kind} do not match the callback ({len(declared)} expected)")
    prop_ids = []
    for spec, entry in zip(declared, sent):
        component = _declared(spec["id"])
        entries = entry if _is_multi(component) else [entry]
        if not isinstance(entries, list):
            raise CallbackBodyError(f"{kind}: a list of matches expected for {spec['id']}")
        for item in entries:
            if (not isinstance(item, dict) or not _id_matches(component, item.get("id"))
                    or item.get("property") != spec["property"]):
                raise CallbackBodyError(f"{kind} do not match the callback ({spec['id']}.{spec['property']})")
            if with_value:
                allowed = PROPERTY_TYPES.get(spec["property"])
                value = item.get("value")
                if allowed is None or not isinstance(value, allowed) or isinstance(value, bool) and bool not in allowed:
                    raise CallbackBodyError(f"{kind}: wrong kind of value for {spec['property']}")
            sent_id = item["id"]
            key = json.dumps(sent_id, separators=(",", ":"), sort_keys=True) if isinstance(sent_id, dict) else sent_id
            prop_ids.append(f"{key}.{spec['property']}")
    return prop_ids


def check_callback_body(body, callback_map: dict, prevent_initial: set[str]) -> None:
    """Raise CallbackBodyError unless ``body`` is a call of one of the app's callbacks with
    the inputs, state and outputs that callback declares, each value of the kind its property
    holds (PROPERTY_TYPES), and changedPropIds naming its inputs. ``prevent_initial`` holds the
    callbacks the browser calls only when an input changed (never with changedPropIds empty).
    """
    if not isinstance(body, dict):
        raise CallbackBodyError("the body must be a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        raise CallbackBodyError("no such callback")
    cb = callback_map[output]
    if "callback" not in cb:
        raise CallbackBodyError("a clientside callback runs in the browser")
    outputs = body.get("outputs")
    declared_outputs = _split_outputs(output)
    sent_outputs = outputs if output.startswith("..") else [outputs]
    if not isinstance(sent_outputs, list) or len(sent_outputs) != len(declared_outputs):
        raise CallbackBodyError("outputs do not match the callback")
    for (component_id, prop), sent in zip(declared_outputs, sent_outputs):
        component = _declared(component_id)
        for item in sent if _is_multi(component) and isinstance(sent, list) else [sent]:
            if not isinstance(item, dict) or not _id_matches(component, item.get("id")) or item.get("property") != prop:
                raise CallbackBodyError("outputs do not match the callback")
    inputs = _check_entries("inputs", cb["inputs"], body.get("inputs"), with_value=True)
    _check_entries("state", cb["state"], body.get("state", []), with_value=True)
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or any(c not in inputs for c in changed):
        raise CallbackBodyError("changedPropIds must name the callback's inputs")
    if not changed and output in prevent_initial:
        raise CallbackBodyError("this callback runs only when an input changes")


# ---------------------------------------------------------------------------------------------
# gzipped bundles

class GzipCache:
    """Gzipped bundles by their de-fingerprinted path, least recently used first out, bounded
    in entries and bytes. Dash serves ``plotly.v1m1.min.js`` and ``plotly.v1m2.min.js`` as the
    same file, so they share one entry; keyed by the request path, 120 spellings of the
    plotly bundle held 1.47 MB each per worker (issue #11)."""

    def __init__(self, max_entries: int = 64, max_bytes: int = 16 * 1024 * 1024):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(path: str) -> str:
        """``/_dash-component-suites/dash/dcc/x.v4_4_1m123.js`` -> ``.../dash/dcc/x.js``."""
        from dash.fingerprint import check_fingerprint

        prefix = "/_dash-component-suites/"
        if path.startswith(prefix):
            return prefix + check_fingerprint(path[len(prefix):])[0]
        return path

    def get(self, path: str) -> bytes | None:
        with self._lock:
            body = self._items.get(self.key(path))
            if body is not None:
                self._items.move_to_end(self.key(path))
            return body

    def put(self, path: str, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        key = self.key(path)
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes -= len(old) if old is not None else 0
            self._items[key] = body
            self._bytes += len(body)
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


GZIPPED = GzipCache()  # one per process: the bundles are the same for every app in it


def gzip_bundle(request, response):
    """Dash's JavaScript bundles and the assets, gzipped once per process and kept: they change
    only with a release, and plotly.js alone is 4.6 MB raw, 1.4 MB gzipped."""
    if (response.status_code != 200 or not request.path.startswith(("/_dash-component-suites/", "/assets/"))
            or "gzip" not in request.headers.get("Accept-Encoding", "")
            or "Content-Encoding" in response.headers
            or response.mimetype not in ("text/javascript", "application/javascript", "text/css",
                                         "application/json")):
        return response
    body = GZIPPED.get(request.path)
    if body is None:
        response.direct_passthrough = False
        body = gzip.compress(response.get_data(), compresslevel=6, mtime=0)
        GZIPPED.put(request.path, body)
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


# ---------------------------------------------------------------------------------------------

def install(app) -> None:
    """Register the limits, the callback check, the headers and the bundle compression on
    ``app``'s Flask server."""
    from dash.exceptions import DependencyException
    from flask import jsonify, request
    from werkzeug.exceptions import HTTPException

    from .components.state import UnknownSelection

    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    policy: dict[str, dict[str, str]] = {}

    def refuse(message: str, status: int = 400):
        logger.warning("%s %s refused (%d): %s", request.method, request.path, status, message)
        response = jsonify(error=message)
        response.status_code = status
        return response

    @server.before_request
    def check_callback():
        if request.path != CALLBACK_PATH or request.method != "POST":
            return None
        if request.mimetype != "application/json":
            return refuse("callback bodies are application/json")
        try:
            body = parse_body(request.get_data(cache=True))
            prevent = {c["output"] for c in app._callback_list if c.get("prevent_initial_call")}
            check_callback_body(body, app.callback_map, prevent)
        except CallbackBodyError as exc:
            return refuse(str(exc))
        request._cached_json = (body, body)  # Dash reads request.get_json(): parsed once
        return None

    @server.errorhandler(UnknownSelection)
    def unknown_selection(exc):
        return refuse(str(exc))

    @server.errorhandler(DependencyException)
    def unknown_bundle(exc):
        """Dash raises this for a bundle path it does not serve: a 404, not a 500 with a traceback."""
        return refuse("no such bundle", 404)

    @server.errorhandler(413)
    def too_large(exc: HTTPException):
        return refuse(f"request bodies are limited to {MAX_CONTENT_LENGTH:,} bytes", 413)

    @server.after_request
    def compress_bundles(response):
        return gzip_bundle(request, response)

    @server.after_request
    def add_security_headers(response):
        if "headers" not in policy:  # the inline scripts are known once the index was rendered
            policy["headers"] = security_headers(content_security_policy(list(app.csp_hashes())))
        for name, value in policy["headers"].items():
            response.headers[name] = value
        return response
