"""Cached answers: every callback answer, page bodies included, kept by what it is a function of.

A published snapshot never changes, and every callback of the dashboard answers from the live
snapshot, the request's role and the callback's inputs and state alone. So an answer is kept
under the key (code version, store, snapshot id, variant, role, callback output, the validated
body's inputs, state, outputs and changed inputs) and served again to anyone who asks the same:
a new snapshot means new keys, so nothing is ever stale and nothing is invalidated (a rolled-back
snapshot finds its own answers again). Dash's page bodies are callbacks too (the pages router's
``_pages_content.children``), so one layer around ``/_dash-update-component`` covers both.

Where: ``install(app)`` (from ``dashboard.app.create_app``) registers a ``before_request`` hook
that runs after ``dashboard.serving``'s callback check, so only a body the check accepted is
looked up (a refused one is answered 400 before the cache, and leaves no entry), and an
``after_request`` hook, registered last so it runs first, that keeps a 200 answer Dash made
before compression. A hit returns the stored answer from ``before_request``: Flask still runs
every ``after_request`` hook on it (security headers, no-store, the audit of downloads in
``dashboard.access``), as for any response a ``before_request`` function returns (Flask docs,
"Application Structure and Lifecycle"). Every answer to a body the check accepted says
``X-Cache: hit`` or ``miss`` (``miss`` also for an answer that is never cached).

Backend (Flask-Caching 2.5, the shared cache of Dash's "Performance" docs): ``RedisCache`` with the
key prefix ``dashboard:answer:`` when ``DASHBOARD_REDIS_URL`` is set, so every instance shares
one cache; else ``FileSystemCache`` in ``DASHBOARD_CACHE_DIR``, shared by the workers of one
machine, bounded to ``FILE_THRESHOLD`` entries. Entries live ``TIMEOUT`` seconds (memory, not
freshness: a live snapshot's answer is never wrong). A cache that fails (Redis down) is logged
and the request answered by Dash.

Not cached (``cacheable``): answers that are not a function of (snapshot, inputs, role) alone —
the "Data and definitions" page, which shows the store's last rejected ingest (it changes
without a new snapshot); Excel and PDF downloads, whose files record the time they were made
(openpyxl's ``docProps/core.xml`` and zip entries, the PDF's creation date); and every answer
but a 200 (PreventUpdate's 204, refusals, errors). Reviewed for the rest: no callback in
``dashboard/pages``, ``dashboard/components`` or ``dashboard/app.py`` reads the clock, the
session's user, cookies or request headers, or writes anything; downloads are audited by
``dashboard.access``'s ``after_request`` hook, which runs on a cached answer as on a fresh one.

``warm(store)`` asks the common views through the app for each role, so the first users after a
publish are answered from the cache; ``dashboard warm --store S`` runs it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .serving import CALLBACK_PATH
from .settings import store_identity

logger = logging.getLogger(__name__)

KEY_PREFIX = "dashboard:answer:"
TIMEOUT = 7 * 24 * 3600      # seconds an answer is kept (bounds memory; answers never go stale)
FILE_THRESHOLD = 20_000      # entries in the filesystem cache before cachelib prunes it
REDIS_TIMEOUT = 2.0          # seconds
GZIP_MIN = 500               # as COMPRESS_MIN_SIZE in dashboard.app: smaller answers go as they are
EXTENSION = "dashboard_cache"

# Pages whose body reads more than the snapshot (dashboard/pages/data.py: the store's last
# rejection report, which a rejected ingest replaces without publishing).
UNCACHED_PAGES = {"/data"}
# Download buttons whose files carry the time they were made.
UNCACHED_BUTTONS = ("-xlsx.n_clicks", "-pdf.n_clicks")
PAGES_OUTPUT = ".._pages_content.children..._pages_store.data.."
# Components whose callbacks read more than the snapshot, each declared by its module with
# ``never_cache`` (the pack button says whether the pack beside the snapshot is built yet).
UNCACHED_OUTPUTS: set[str] = set()


def never_cache(component_id: str) -> str:
    """Declare that no answer with ``component_id`` among its outputs is ever kept; returns the id."""
    UNCACHED_OUTPUTS.add(f"{component_id}.")
    return component_id


def cache_config(environ=os.environ) -> dict:
    """Flask-Caching's configuration from the settings (docs/configuration.md)."""
    from .settings import setting

    redis_url = setting("DASHBOARD_REDIS_URL", environ).strip()
    if redis_url:
        # A Redis that stops answering costs a request at most REDIS_TIMEOUT, then Dash answers.
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url, "CACHE_KEY_PREFIX": KEY_PREFIX,
                "CACHE_DEFAULT_TIMEOUT": TIMEOUT,
                "CACHE_OPTIONS": {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT}}
    folder = private_folder(setting("DASHBOARD_CACHE_DIR", environ).strip() or default_cache_dir())
    return {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": folder, "CACHE_THRESHOLD": FILE_THRESHOLD,
            "CACHE_DEFAULT_TIMEOUT": TIMEOUT}


class CacheFolderError(RuntimeError):
    """The answer cache's folder could be written by someone else."""


def private_folder(folder: str) -> str:
    """``folder``, made 0700 if missing, refused unless this user owns it and nobody else may
    write in it. Flask-Caching's FileSystemCache stores answers pickled: whoever can plant a file
    there runs code in the dashboard (the Python docs, pickle: "never unpickle data that could
    have come from an untrusted source"), and the default folder's name under /tmp is predictable,
    so another account could make it first."""
    os.makedirs(folder, mode=0o700, exist_ok=True)
    st = os.lstat(folder)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise CacheFolderError(f"{folder}: the answer cache's folder is not a plain directory")
    if st.st_uid != os.geteuid():
        raise CacheFolderError(f"{folder}: the answer cache's folder belongs to another user (uid {st.st_uid}); "
                               "set DASHBOARD_CACHE_DIR to a folder of this account's")
    if st.st_mode & 0o022:
        raise CacheFolderError(f"{folder}: the answer cache's folder may be written by others "
                               f"(mode {stat.S_IMODE(st.st_mode):04o}); chmod go-w it")
    return folder


def default_cache_dir() -> str:
    """A folder per user under the system's temporary directory."""
    return str(Path(tempfile.gettempdir()) / f"dashboard-answers-{os.getuid()}")


@lru_cache(maxsize=1)
def code_version() -> str:
    """A digest of the dashboard's source and the Dash and plotly versions: answers made by other
    code (an upgrade, a rolling deploy) are never served."""
    from importlib.metadata import version

    h = hashlib.sha256(f"dash {version('dash')} plotly {version('plotly')}".encode())
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cacheable(body: dict) -> bool:
    """Whether a (validated) callback body's answer is a function of snapshot, inputs and role."""
    output, inputs = body.get("output"), body.get("inputs")
    if not isinstance(output, str) or not isinstance(inputs, list):
        return False  # never the case after serving's check; nothing is cached if that ever changes
    if output == PAGES_OUTPUT:
        path = next((i.get("value") for i in inputs if isinstance(i, dict) and i.get("property") == "pathname"), None)
        return isinstance(path, str) and path.rstrip("/") not in UNCACHED_PAGES
    if any(o in output for o in UNCACHED_OUTPUTS):
        return False
    if output.endswith("download.data"):
        return not any(c.endswith(UNCACHED_BUTTONS) for c in body.get("changedPropIds", []))
    return True


def answer_key(body: dict, store: str, snapshot, role: str) -> str:
    """The cache key of a validated callback body's answer for ``snapshot`` of ``store`` (its
    location as configured, the same on every instance sharing it) and ``role``. Everything Dash
    reads from the body (``dash.Dash._initialize_context``) is in it, as canonical JSON hashed
    (the map's state and the selects' options can be kilobytes)."""
    what = {k: body.get(k) for k in ("output", "outputs", "inputs", "state", "changedPropIds")}
    digest = hashlib.sha256(json.dumps(what, sort_keys=True, separators=(",", ":"),
                                       ensure_ascii=False).encode("utf-8")).hexdigest()
    where = hashlib.sha256(store_identity(store).encode("utf-8")).hexdigest()[:12]
    return ":".join([code_version(), where, snapshot.id,
                     snapshot.variant or "published", role, digest])


@dataclass(frozen=True)
class Answer:
    """A kept answer: what Dash sent, and the same gzipped once for clients that accept it."""
    status: int
    body: bytes
    content_type: str
    gzipped: bytes | None


class AnswerCache:
    """Get and put answers on the Flask-Caching backend; a failing backend is a miss."""

    def __init__(self, server, config: dict):
        from flask_caching import Cache

        self.config = dict(config)
        self.cache = Cache()
        self.cache.init_app(server, config=dict(config))

    def get(self, key: str) -> Answer | None:
        try:
            value = self.cache.get(key)
        except Exception as exc:  # noqa: BLE001 - redis or the file system: serve without the cache
            logger.warning("answer cache unavailable (%s): answering without it", exc)
            return None
        return value if isinstance(value, Answer) else None

    def put(self, key: str, status: int, body: bytes, content_type: str) -> None:
        gzipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN else None
        try:
            self.cache.set(key, Answer(status, body, content_type, gzipped))
        except Exception as exc:  # noqa: BLE001
            logger.warning("answer cache unavailable (%s): answer not kept", exc)


def install(app, config: dict | None = None) -> AnswerCache:
    """Look callback answers up before Dash and keep Dash's answers; see the module docstring.
    Must be called after ``dashboard.serving.install`` (its callback check runs first)."""
    from flask import Response, g, request

    from .access import current_role
    from .data.store import StoreError
    from .live import current_snapshot

    server = app.server
    answers = AnswerCache(server, config or cache_config())
    server.extensions[EXTENSION] = answers

    @server.before_request
    def answer_from_cache():
        if request.path != CALLBACK_PATH or request.method != "POST":
            return None
        body = request.get_json(silent=True)  # parsed and checked by dashboard.serving
        g.answer_checked = True  # a refused body never gets here: serving's check answered it
        if not isinstance(body, dict) or not cacheable(body):
            return None
        try:
            snapshot = current_snapshot()
        except StoreError:
            return None  # no data: the pages say so, uncached
        g.answer_key = answer_key(body, server.config["DASHBOARD_STORE"], snapshot, current_role())
        kept = answers.get(g.answer_key)
        if kept is None:
            return None
        g.answer_hit = True
        if kept.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
            response = Response(kept.gzipped, status=kept.status, content_type=kept.content_type)
            response.headers["Content-Encoding"] = "gzip"
            response.vary.add("Accept-Encoding")
            return response
        return Response(kept.body, status=kept.status, content_type=kept.content_type)

    @server.after_request
    def keep_answer(response):
        if not g.get("answer_checked"):
            return response
        key = g.get("answer_key")
        if g.get("answer_hit"):
            response.headers["X-Cache"] = "hit"
            return response
        response.headers["X-Cache"] = "miss"
        if key is not None and response.status_code == 200 and not response.is_streamed \
                and "Content-Encoding" not in response.headers:
            answers.put(key, response.status_code, response.get_data(), response.content_type)
        return response

    return answers


# ---------------------------------------------------------------------------------------------
# Warming

@dataclass(frozen=True)
class Warmed:
    snapshot_id: str
    requests: int
    answered: int  # with a 200 (kept in the cache, or already there)
    seconds: float


# Selects whose every choice is warmed, by page: the map's indicator is what users switch most
# (benchmarks/load.py's "map switch"); each switch is the callbacks the browser calls for it.
WARM_SWITCHES = {"/map": ("indicator",)}


def _skip_when_warming(output: str) -> bool:
    """Downloads (audited, and asked for by someone) and the map's click-through are not warmed."""
    return output.endswith("download.data") or output.startswith("_pages_location.")


def warm(store: Path | str, roles: tuple[str, ...] | None = None, config: dict | None = None,
         areas: bool = True, pages: list[str] | None = None) -> Warmed:
    """Ask every page of the navigation for the force and each division (and on the map each
    indicator, ``WARM_SWITCHES``), and every area's profile, through the app for each role, so
    their answers are in the cache. Callable from a fresh process (a job after publish): it makes
    its own apps on ``store`` with the cache of the settings (``config``, Flask-Caching's,
    overrides them). Downloads are not asked for. ``pages``: only these paths of the navigation."""
    from .access import ROLES, AccessSettings
    from .app import create_app, nav_pages
    from .data.store import Store
    from .live import snapshot_config
    from .protocol import PageDriver

    started = time.perf_counter()
    snapshot = Store(store).open()
    config_ = snapshot_config(snapshot)
    fragments = ["#division=all"] + [f"#division={code}" for code in config_.division_codes]
    codes = sorted(snapshot.table("areas")["area_code"]) if areas else []
    asked = answered = 0
    for role in roles or ROLES:
        app = create_app(store, AccessSettings(mode="none", no_signin_role=role, audit_log=os.devnull), cache=config)
        client = app.server.test_client()
        driver = PageDriver(app, client, skip=_skip_when_warming, apply_all=True)
        views = [(path, f) for path, _ in nav_pages() if pages is None or path in pages for f in fragments]
        views += [(f"/area/{c}", None) for c in codes]
        for path, fragment in views:
            statuses = [status for status, _ in driver.open(path, fragment).values()]
            for key in WARM_SWITCHES.get(path, ()) if statuses[0] == 200 else ():
                first = driver.components[json.dumps({"key": key, "type": "state"}, separators=(",", ":"))][1]
                shown = first.get("value")  # switched to last: back to it from another is a switch too
                for value in [v for v in driver.options(key) if v != shown] + [shown]:
                    statuses += [status for status, _ in driver.switch(key, value).values()]
            asked += len(statuses)
            answered += statuses.count(200)
    took = time.perf_counter() - started
    logger.debug("warmed snapshot %s: %d answers in %.1f s", snapshot.id, asked, took)
    return Warmed(snapshot.id, asked, answered, took)
