"""Where a signed-in user's session lives: in a signed cookie on one machine, in Redis when
several instances serve the dashboard (``DASHBOARD_REDIS_URL``).

A signed cookie needs nothing shared but the secret, yet signing out cannot end it: the cookie
stays valid wherever it is replayed until its lifetime is up. In Redis (Flask-Session 0.8's
``RedisSessionInterface``) the cookie holds only a random session id (32 bytes from
``secrets``); the data stays on the server, any instance reads it, and signing out on one
instance deletes it for all of them.

Both keep the same cookie: HttpOnly, SameSite=Lax, Secure whenever the request came over HTTPS
(through the proxy), a lifetime of ``DASHBOARD_SESSION_MINUTES`` from sign-in (the Redis entry
expires with it: ``SESSION_REFRESH_EACH_REQUEST`` is off, so it is written only at sign-in).
On sign-in the server-side session gets a new id (``regenerate``: the id a visitor had before
signing in is deleted), as the OWASP Session Management Cheat Sheet asks.

References: Flask-Session 0.8 (``flask_session.redis.RedisSessionInterface``, ``regenerate``);
Flask's ``SessionInterface``; OWASP Session Management Cheat Sheet ("Renew the Session ID After
Any Privilege Level Change").
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface, SessionInterface

STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
KEY_PREFIX = "dashboard:session:"


class _SameForEveryone:
    """Two differences from the library's interfaces, shared by both: the cookie is Secure
    whenever the request came over HTTPS (through the proxy), not only when configured; and the
    responses for script bundles and assets, which are the same whoever asks, carry no
    ``Vary: Cookie`` and set no cookie, so the proxy can keep one copy for everyone (it asks the
    guard first: ``/auth/check``)."""

    def get_cookie_secure(self, app) -> bool:
        return request.is_secure or bool(app.config.get("SESSION_COOKIE_SECURE"))

    def save_session(self, app, session, response) -> None:
        if request.path.startswith(STATIC_PREFIXES) and not session.modified:
            return
        super().save_session(app, session, response)


class CookieSessions(_SameForEveryone, SecureCookieSessionInterface):
    """Flask's signed-cookie sessions (HMAC with ``DASHBOARD_SESSION_SECRET``)."""


def _redis_interface():
    from flask_session.redis import RedisSessionInterface

    class RedisSessions(_SameForEveryone, RedisSessionInterface):
        """Flask-Session's Redis sessions: the cookie carries a random id, the data is in Redis."""

    return RedisSessions


def session_interface(app: Flask, redis_url: str) -> SessionInterface:
    """The session interface for ``app``: Redis at ``redis_url``, or signed cookies if it is empty."""
    if not redis_url:
        return CookieSessions()
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30)
    return _redis_interface()(app, client=client, key_prefix=KEY_PREFIX, permanent=True, sid_length=32,
                              serialization_format="msgpack")


def rotate(app: Flask, session) -> None:
    """Give a server-side session a new id, deleting the old one (nothing to do for a cookie,
    whose whole content changes at sign-in anyway)."""
    regenerate = getattr(app.session_interface, "regenerate", None)
    if regenerate is not None:
        regenerate(session)
