"""Who may see what: sign-in with OpenID Connect, roles, and the audit trail.

Three roles, mapped from a claim of the identity provider's ID token (Entra ID puts app roles
in ``roles``; other providers use ``groups``):

``analyst``
    everything, including ingest rejection reports (which quote input values).
``command``
    every page, area, export and meeting pack; no ingest reports.
``panel``
    the police authority panel: published force, division and area figures under the stricter
    ``[statistics] panel_suppression_threshold``. Its tables are a separate disclosure-controlled
    variant of the snapshot, computed at ingest (``dashboard/ingest.py``), so no value on a base
    below that threshold, and no base below it, ever leaves the server for this role, and none
    can be recovered by differencing (the same secondary suppression as the published tables).

Roles are enforced where data leaves the server: one ``before_request`` guard sees every route
(pages, Dash's layout, dependency and callback endpoints, bundles, assets, packs), and the
snapshot a request reads is the variant for its role (``dashboard.live.current_snapshot``).
Hiding links is never the control.

Sessions are Flask's signed cookies (HMAC with ``DASHBOARD_SESSION_SECRET``) on one machine, and
kept in Redis when ``DASHBOARD_REDIS_URL`` is set, so that any instance serves any user and
signing out on one ends the session on all (``dashboard.sessions``). Either way the cookie is
HttpOnly, SameSite=Lax (the identity provider's redirect back is a cross-site top-level GET,
which Strict would strip), Secure whenever the request came over HTTPS (gunicorn takes the
scheme from the proxy's ``X-Forwarded-Proto`` on loopback). A session lasts
``DASHBOARD_SESSION_MINUTES`` from sign-in, whatever the activity.

The audit trail is JSON lines (one object per line: ``time``, ``event``, ``user``, ``role``,
``what``...), appended to ``DASHBOARD_AUDIT_LOG``: sign-ins (and refusals), sign-outs, every
download (image, table, definitions) and every meeting pack.

References: OpenID Connect Core 1.0 (authorization code flow, ``nonce``); RP-Initiated Logout 1.0
(``client_id`` and ``post_logout_redirect_uri``); OWASP Session Management Cheat Sheet.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, g, jsonify, redirect, request, session, url_for

from .sessions import rotate, session_interface

ROLES = ("analyst", "command", "panel")  # most privileged first: a user with several gets the first
PUBLIC_PATHS = ("/login", "/auth/callback", "/logout", "/signed-out", "/health")
DEFAULT_ROLE_MAP = "analyst=analyst,command=command,panel=panel"


class AccessConfigError(ValueError):
    """A sign-in setting is missing or invalid; the message names the environment variable."""


def _parse_role_map(text: str) -> dict[str, str]:
    mapping = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        claim_value, sep, role = item.rpartition("=")
        if not sep or not claim_value.strip() or role.strip() not in ROLES:
            raise AccessConfigError(f"DASHBOARD_ROLE_MAP: {item!r} is not CLAIM_VALUE=ROLE with ROLE one of "
                                    + ", ".join(ROLES))
        mapping[claim_value.strip()] = role.strip()
    if not mapping:
        raise AccessConfigError("DASHBOARD_ROLE_MAP: no CLAIM_VALUE=ROLE pairs")
    return mapping


@dataclass(frozen=True)
class AccessSettings:
    """The sign-in settings (environment variables in ``dashboard.settings.SETTINGS_HELP``)."""

    mode: str = "none"
    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    scopes: str = "openid profile email"
    role_claim: str = "roles"
    role_map: dict[str, str] = field(default_factory=lambda: _parse_role_map(DEFAULT_ROLE_MAP))
    session_secret: str = ""
    session_minutes: int = 480
    no_signin_role: str = "analyst"
    signin_by_proxy: bool = False
    audit_log: str = "-"
    public_url: str = ""
    redis_url: str = ""  # sessions in Redis (shared by every instance); empty: signed cookies

    @classmethod
    def from_env(cls, environ=os.environ) -> AccessSettings:
        from .settings import setting

        def get(name):
            return setting(name, environ)

        mode = get("DASHBOARD_AUTH").strip().lower()
        if mode not in ("oidc", "none"):
            raise AccessConfigError(f"DASHBOARD_AUTH: {mode!r} is not 'oidc' or 'none'")
        try:
            minutes = int(get("DASHBOARD_SESSION_MINUTES"))
        except ValueError:
            raise AccessConfigError("DASHBOARD_SESSION_MINUTES: not a whole number of minutes") from None
        if minutes < 1:
            raise AccessConfigError("DASHBOARD_SESSION_MINUTES: must be at least 1")
        no_signin_role = get("DASHBOARD_NO_SIGNIN_ROLE").strip()
        if no_signin_role not in ROLES:
            raise AccessConfigError(f"DASHBOARD_NO_SIGNIN_ROLE: {no_signin_role!r} is not one of " + ", ".join(ROLES))
        out = cls(mode=mode, issuer=get("DASHBOARD_OIDC_ISSUER").rstrip("/"), client_id=get("DASHBOARD_OIDC_CLIENT_ID"),
                  client_secret=get("DASHBOARD_OIDC_CLIENT_SECRET"), scopes=get("DASHBOARD_OIDC_SCOPES"),
                  role_claim=get("DASHBOARD_ROLE_CLAIM"), role_map=_parse_role_map(get("DASHBOARD_ROLE_MAP")),
                  session_secret=get("DASHBOARD_SESSION_SECRET"), session_minutes=minutes,
                  no_signin_role=no_signin_role,
                  signin_by_proxy=get("DASHBOARD_SIGNIN_BY_PROXY").strip().lower() in ("1", "true", "yes"),
                  audit_log=get("DASHBOARD_AUDIT_LOG"), public_url=get("DASHBOARD_PUBLIC_URL").rstrip("/"),
                  redis_url=get("DASHBOARD_REDIS_URL").strip())
        out.check()
        return out

    def check(self) -> None:
        if self.mode != "oidc":
            return
        for name, value in (("DASHBOARD_OIDC_ISSUER", self.issuer), ("DASHBOARD_OIDC_CLIENT_ID", self.client_id),
                            ("DASHBOARD_OIDC_CLIENT_SECRET", self.client_secret)):
            if not value:
                raise AccessConfigError(f"{name}: required with DASHBOARD_AUTH=oidc")
        if len(self.session_secret) < 32:
            raise AccessConfigError("DASHBOARD_SESSION_SECRET: required with DASHBOARD_AUTH=oidc, at least 32 "
                                    "characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`); "
                                    "every instance serving the dashboard must share it")
        if "openid" not in self.scopes.split():
            raise AccessConfigError("DASHBOARD_OIDC_SCOPES: must include 'openid'")

    def role_from_claims(self, claims: dict) -> str | None:
        """The most privileged role any value of the role claim maps to, or None."""
        values = claims.get(self.role_claim)
        if values is None:
            return None
        if isinstance(values, str):
            values = [values]
        granted = {self.role_map[v] for v in values if isinstance(v, str) and v in self.role_map}
        return next((r for r in ROLES if r in granted), None)


def check_bind(addresses: list[str], settings: AccessSettings) -> None:
    """Refuse to serve without sign-in on anything but loopback, unless the operator has said the
    network in front signs users in (``DASHBOARD_SIGNIN_BY_PROXY``)."""
    if settings.mode != "none" or settings.signin_by_proxy:
        return
    for address in addresses:
        host = address.rsplit(":", 1)[0].strip("[]") if ":" in address and not address.startswith("unix:") else address
        if address.startswith(("unix:", "fd://")):
            continue
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise AccessConfigError(
                f"refusing to serve {address} with DASHBOARD_AUTH=none: without sign-in the dashboard only binds to "
                "loopback (127.0.0.1). Set DASHBOARD_AUTH=oidc with the identity provider's settings, or, if the "
                "network in front already signs users in, DASHBOARD_SIGNIN_BY_PROXY=1 (docs/configuration.md)")


class AuditLog:
    """Append-only JSON lines; one ``write`` per event, serialised within the process, each line
    written with a single ``write`` on an O_APPEND file so lines from several workers never
    interleave."""

    def __init__(self, target: str):
        self.target = target
        self._lock = threading.Lock()

    def record(self, event: str, **what) -> None:
        user = getattr(g, "user", None) if _in_request() else None
        entry = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "event": event,
                 "user": (user or {}).get("name"), "subject": (user or {}).get("sub"),
                 "role": getattr(g, "role", None) if _in_request() else None,
                 "address": request.remote_addr if _in_request() else None, **what}
        line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            if self.target == "-":
                import sys

                sys.stderr.write(line)
                sys.stderr.flush()
                return
            path = Path(self.target)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)


def _in_request() -> bool:
    from flask import has_request_context

    return has_request_context()


def current_role() -> str:
    """The role of the current request (analyst outside a request: the command line and tests
    building a pack or figure directly act as the data owner)."""
    if not _in_request():
        return "analyst"
    return getattr(g, "role", None) or "analyst"


def data_variant() -> str | None:
    """Which variant of the snapshot the current request reads: the panel's, or the published one."""
    return "panel" if current_role() == "panel" else None


def may_see_ingest_reports() -> bool:
    return current_role() == "analyst"


def audit(event: str, **what) -> None:
    from flask import current_app

    log: AuditLog | None = current_app.extensions.get("dashboard_audit") if _in_request() else None
    if log is not None:
        log.record(event, **what)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no '//' or backslash tricks)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return "/"
    return target[:2000]


def _wants_page() -> bool:
    return request.method == "GET" and not request.path.startswith(("/_dash-", "/pack/", "/assets/", "/_favicon")) \
        and "text/html" in request.headers.get("Accept", "")


def install(app: Flask, settings: AccessSettings) -> None:
    """Put sign-in, the role guard and the audit trail on the Flask server."""
    app.extensions["dashboard_access"] = settings
    app.extensions["dashboard_audit"] = AuditLog(settings.audit_log)
    if settings.mode == "oidc":
        _install_oidc(app, settings)
    else:
        def _no_signin_role():
            g.role = settings.no_signin_role
            g.user = None

        _first(app, _no_signin_role)

    @app.route("/auth/check")
    def auth_check():
        """204 for a request the guard let through: nginx asks this before serving a cached
        bundle (``auth_request``), so its cache never serves anyone the app would refuse."""
        return "", 204

    @app.after_request
    def _audit_downloads(response):
        """Every download leaves through a ``dcc.Download`` callback (ids ``*-download``), its
        selections in the callback's State: one audit line each, naming the download and them."""
        if request.path == "/_dash-update-component" and response.status_code == 200:
            body = request.get_json(silent=True)
            output = body.get("output") if isinstance(body, dict) else None
            if isinstance(output, str) and output.endswith("download.data"):
                state = body.get("state") or []
                audit("export", what=output.removesuffix(".data")[:200],
                      selections=[{"id": str(s.get("id"))[:200], "value": str(s.get("value"))[:200]}
                                  for s in state if isinstance(s, dict)][:20])
        return response


def _first(app: Flask, hook) -> None:
    """Run ``hook`` before every other before-request function: Dash's own (the pages router's
    first-request set-up) would otherwise run first and could read data before the role is known,
    or answer before the guard has looked at the request."""
    app.before_request_funcs.setdefault(None, []).insert(0, hook)


def _install_oidc(app: Flask, settings: AccessSettings) -> None:
    from authlib.integrations.flask_client import OAuth

    app.secret_key = settings.session_secret
    # The lifetime is absolute (from sign-in), so the cookie is not re-sent on every request.
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="dashboard_session", SESSION_REFRESH_EACH_REQUEST=False,
                      PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=settings.session_minutes))
    app.session_interface = session_interface(app, settings.redis_url)

    oauth = OAuth(app)
    idp = oauth.register("idp", client_id=settings.client_id, client_secret=settings.client_secret,
                         server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
                         client_kwargs={"scope": settings.scopes})
    app.extensions["dashboard_signin"] = (settings, idp)
    _first(app, _guard)
    for rule, view in (("/login", login), ("/auth/callback", auth_callback), ("/logout", logout),
                       ("/signed-out", signed_out)):
        app.add_url_rule(rule, view.__name__, view)


def _signin() -> tuple[AccessSettings, Any]:
    """The sign-in settings and the provider's client, as _install_oidc registered them."""
    return current_app.extensions["dashboard_signin"]


def _redirect_uri() -> str:
    settings = _signin()[0]
    if settings.public_url:
        return settings.public_url + "/auth/callback"
    return url_for("auth_callback", _external=True)


def _guard():
    settings = _signin()[0]
    g.user, g.role = None, None
    if request.path in PUBLIC_PATHS:
        return None
    user = session.get("user")
    started = session.get("signed_in_at")
    now = dt.datetime.now(dt.UTC).timestamp()
    if user and started and now - float(started) > settings.session_minutes * 60:
        session.clear()
        user = None
    if not user:
        if _wants_page():
            return redirect(url_for("login", next=request.full_path.rstrip("?")))
        return jsonify(error="sign-in required", login="/login"), 401
    g.user, g.role = user, session.get("role")
    if g.role not in ROLES:
        return _forbidden(user)
    return None


def _forbidden(user):
    message = (f"Signed in as {user.get('name')}, with no role for this dashboard. Ask the force's dashboard "
               "administrator to give you the analyst, command or panel role.")
    if _wants_page():
        return (f"<!DOCTYPE html><html lang=\"en\"><head><title>No access</title></head><body><main><h1>No access"
                f"</h1><p>{_escape(message)}</p><p><a href=\"/logout\">Sign out</a></p></main></body></html>",
                403, {"Content-Type": "text/html; charset=utf-8"})
    return jsonify(error=message), 403


def login():
    idp = _signin()[1]
    session["next"] = _safe_next(request.args.get("next"))
    return idp.authorize_redirect(_redirect_uri(), nonce=secrets.token_urlsafe(16))


def auth_callback():
    settings, idp = _signin()
    try:
        token = idp.authorize_access_token()
    except Exception as exc:  # authlib raises OAuthError and friends; the user gets a plain refusal
        audit("sign-in refused", reason=f"{type(exc).__name__}: {exc}"[:300])
        return jsonify(error="sign-in failed; start again at /login"), 400
    claims = dict(token.get("userinfo") or {})
    if settings.role_claim not in claims:
        with contextlib.suppress(Exception):  # a provider without a userinfo endpoint: the ID token is all
            claims.update(idp.userinfo(token=token))
    role = settings.role_from_claims(claims)
    name = claims.get("preferred_username") or claims.get("email") or claims.get("name") or claims.get("sub")
    target = session.get("next", "/")
    session.clear()
    session.permanent = True
    session.update(user={"sub": claims.get("sub"), "name": name}, role=role,
                   signed_in_at=dt.datetime.now(dt.UTC).timestamp())
    rotate(current_app, session)  # a new session id now that the visitor is signed in
    g.user, g.role = session["user"], role
    if role is None:
        audit("sign-in refused", reason=f"no role: claim {settings.role_claim!r} had no mapped value")
        return _forbidden(session["user"])
    audit("sign-in")
    return redirect(_safe_next(target))


def logout():
    settings, idp = _signin()
    g.user, g.role = session.get("user"), session.get("role")
    if g.user:
        audit("sign-out")
    session.clear()
    back = (settings.public_url or request.host_url.rstrip("/")) + "/signed-out"
    try:
        end = idp.load_server_metadata().get("end_session_endpoint")
    except Exception:  # noqa: BLE001 - the provider is down: the local session is gone anyway
        end = None
    if end:
        return redirect(f"{end}?{urlencode({'client_id': settings.client_id, 'post_logout_redirect_uri': back})}")
    return redirect("/signed-out")


def signed_out():
    return ("<!DOCTYPE html><html lang=\"en\"><head><title>Signed out</title></head><body><main><h1>Signed out</h1>"
            "<p>You have signed out of the dashboard.</p><p><a href=\"/login\">Sign in again</a></p></main>"
            "</body></html>", 200, {"Content-Type": "text/html; charset=utf-8"})


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))
