"""The production recipe, for real: Debian's nginx in front of gunicorn on loopback, with the site
file rendered from deploy/nginx-site.conf.template by dashboard.proxy (issue #11, item 3).

Thirty clients that trickle a 100,000-byte body a byte a second stall gunicorn on its own (the
control below shows it) but not the dashboard behind nginx, which buffers every body before a
worker sees it: the p95 of ``GET /`` stays under 200 ms while they trickle. The security headers
reach the browser through the proxy, HSTS is added, http redirects to https, and the proxy's
body limit is the app's.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import statistics
import threading
import time

import pytest
import requests

from dashboard import serving
from dashboard.proxy import render_site, serve
from tests.conftest import need
from tests.localserve import free_port
from tests.protocol import fetch_pack, page_request

SLOW_CLIENTS = 30
BODY = 100_000
SLOW_HEAD = (f"POST /_dash-update-component HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
             f"Content-Length: {BODY}\r\n\r\n").encode()
FIXED_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}


@pytest.fixture(scope="module")
def proxied(demo_store, tmp_path_factory):
    need(bool(shutil.which("nginx")), "nginx is needed (apt-get install nginx)")
    need(bool(shutil.which("openssl")), "openssl is needed for the test certificate")
    prefix = tmp_path_factory.mktemp("nginx")
    http_port = free_port()
    with serve(demo_store, prefix, https_port=free_port(), http_port=http_port, workers=2) as (base, upstream, cert):
        yield base, upstream, str(cert), http_port


class Trickle:
    """``SLOW_CLIENTS`` connections, each sending a POST's headers and then one byte of its
    100,000-byte body a second, from one thread."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None):
        self.sockets = []
        for _ in range(SLOW_CLIENTS):
            sock = socket.create_connection((host, port), timeout=5)
            if tls:
                sock = tls.wrap_socket(sock, server_hostname="localhost")
            sock.sendall(SLOW_HEAD)
            self.sockets.append(sock)
        self.sent, self.errors = 0, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(1.0):
            for sock in self.sockets:
                try:
                    sock.sendall(b" ")
                except OSError as exc:
                    self.errors.append(exc)
            self.sent += 1

    def still_waiting(self) -> int:
        """How many connections are open with no answer yet (their bodies are incomplete)."""
        waiting = 0
        for sock in self.sockets:
            sock.settimeout(0.01)
            try:
                sock.recv(1)  # an answer, or b"" for a closed connection: not waiting
            except TimeoutError:
                waiting += 1
            except OSError:
                pass
        return waiting

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


def _timed_gets(url: str, n: int, interval: float, verify) -> list[float]:
    """``n`` GETs of ``url``, each on a new connection (another user), ``interval`` apart; seconds each."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = requests.get(url, timeout=10, verify=verify, headers={"Connection": "close"})
        times.append(time.perf_counter() - start)
        assert response.status_code == 200 and '<html lang="en">' in response.text
        time.sleep(max(0.0, interval - times[-1]))
    return times


def test_slow_body_clients_do_not_stall_other_users(proxied, capsys):
    base, upstream, cert, _ = proxied
    host, port = upstream.removeprefix("http://").split(":")
    # Control: straight at gunicorn, the trickling clients hold every worker thread.
    trickle = Trickle(host, int(port), None)
    try:
        with pytest.raises(requests.Timeout):
            requests.get(upstream + "/", timeout=3)
    finally:
        trickle.close()
    # Through nginx: the bodies are buffered there, and other users are served at once.
    requests.get(base + "/", timeout=10, verify=cert)  # gunicorn's threads are free again
    https_port = int(base.rsplit(":", 1)[1])
    trickle = Trickle("127.0.0.1", https_port, ssl.create_default_context(cafile=cert))
    try:
        time.sleep(1.5)
        times = _timed_gets(base + "/", 40, 0.25, cert)
        waiting = trickle.still_waiting()
    finally:
        trickle.close()
    p95 = statistics.quantiles(times, n=20)[-1]
    with capsys.disabled():
        print(f"\nGET / through nginx while {SLOW_CLIENTS} clients trickle: p95 {p95 * 1000:.0f} ms, "
              f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
              f"({trickle.sent} s of trickling)")
    assert trickle.sent >= 10 and not trickle.errors, (trickle.sent, trickle.errors[:3])
    assert waiting == SLOW_CLIENTS  # held by nginx, not refused or dropped
    assert p95 < 0.200, sorted(times)


def test_the_security_headers_reach_the_browser_through_nginx(proxied):
    """`curl -I` through the proxy on the index, a callback, an asset, a bundle, a meeting pack
    and a 404: the app's headers unchanged, HSTS added by nginx."""
    base, upstream, cert, _ = proxied
    index = requests.get(base + "/", timeout=10, verify=cert)
    expected_csp = requests.get(upstream + "/", timeout=10).headers["Content-Security-Policy"]
    bundle = next(u for u in index.text.split('"') if u.startswith("/_dash-component-suites/"))
    responses = {
        "index": index,
        "callback": requests.post(base + "/_dash-update-component", json=page_request("/"), timeout=30, verify=cert),
        "asset": requests.get(base + "/assets/bootstrap.min.css", timeout=10, verify=cert),
        "bundle": requests.get(base + bundle, timeout=10, verify=cert),
        "pack": fetch_pack(requests.get, base + "/pack/all.pdf", timeout=120, verify=cert),
        "404": requests.get(base + "/assets/no-such.css", timeout=10, verify=cert),
    }
    for where, r in responses.items():
        assert r.status_code == (404 if where == "404" else 200), (where, r.status_code)
        assert r.headers["Content-Security-Policy"] == expected_csp, where
        assert "frame-ancestors 'none'" in expected_csp and "default-src 'self'" in expected_csp
        for name, value in FIXED_HEADERS.items():
            assert r.headers.get(name) == value, (where, name)
        assert r.headers["Strict-Transport-Security"] == "max-age=63072000", where
    assert responses["pack"].content.startswith(b"%PDF-")
    assert responses["bundle"].headers["Content-Encoding"] == "gzip"


def test_http_redirects_to_https_and_the_body_limit_is_the_apps(proxied):
    base, _, cert, http_port = proxied
    redirect = requests.get(f"http://127.0.0.1:{http_port}/map", timeout=10, allow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["Location"] == base + "/map"
    over = requests.post(base + "/_dash-update-component", data=b" " * (serving.MAX_CONTENT_LENGTH + 1),
                         headers={"Content-Type": "application/json"}, timeout=30, verify=cert)
    assert over.status_code == 413 and "nginx" in over.text  # refused by the proxy before gunicorn
    under = requests.post(base + "/_dash-update-component", data=b" " * (serving.MAX_CONTENT_LENGTH - 2) + b"[]",
                          headers={"Content-Type": "application/json"}, timeout=30, verify=cert)
    assert under.status_code == 400 and under.json()["error"]  # passed on, and refused by the app for its content


def test_the_template_renders_completely_and_refuses_bad_values():
    site = render_site(server_name="dashboard.force.example", cert="/etc/ssl/certs/dashboard.pem",
                       key="/etc/ssl/private/dashboard.key")
    assert "{{" not in site and f"client_max_body_size {serving.MAX_CONTENT_LENGTH};" in site
    for directive in ("proxy_request_buffering on;", "ssl_protocols TLSv1.2 TLSv1.3;", "client_body_timeout 10s;",
                      "client_header_timeout 10s;", "listen 443 ssl http2;",
                      "server 127.0.0.1:8000 max_fails=1 fail_timeout=10s;"):
        assert directive in site, directive
    with pytest.raises(ValueError, match="server_name"):
        render_site(server_name="x; include /etc/passwd", cert="/c", key="/k")


def test_the_proxy_cache_serves_bundles_only_to_signed_in_users(demo_store, tmp_path_factory):
    """nginx caches the script bundles, but asks the app's guard (auth_request) before serving one
    from its cache: a bundle fetched by a signed-in user is then refused to an anonymous client.
    The session is signed with the instance's own secret, as the sign-in would sign it."""
    import datetime as dt

    from flask import Flask

    need(bool(shutil.which("nginx")), "nginx is needed (apt-get install nginx)")
    secret = "k" * 48
    env = {"DASHBOARD_AUTH": "oidc", "DASHBOARD_OIDC_ISSUER": "http://127.0.0.1:9/unused",
           "DASHBOARD_OIDC_CLIENT_ID": "dashboard", "DASHBOARD_OIDC_CLIENT_SECRET": "x",
           "DASHBOARD_SESSION_SECRET": secret}
    signer = Flask("signer")
    signer.secret_key = secret
    cookie = signer.session_interface.get_signing_serializer(signer).dumps(
        {"user": {"sub": "u1", "name": "analyst"}, "role": "analyst",
         "signed_in_at": dt.datetime.now(dt.UTC).timestamp()})
    prefix = tmp_path_factory.mktemp("nginx-oidc")
    with serve(demo_store, prefix, https_port=free_port(), http_port=free_port(), workers=1,
               env=env) as (base, _, cert):
        signed_in = requests.Session()
        signed_in.cookies.set("dashboard_session", cookie)
        index = signed_in.get(base + "/", timeout=10, verify=str(cert))
        assert index.status_code == 200
        bundle = next(u for u in index.text.split('"') if u.startswith("/_dash-component-suites/"))
        for _ in range(2):  # the second is a cache hit
            assert signed_in.get(base + bundle, timeout=10, verify=str(cert)).status_code == 200
        assert signed_in.get(base + "/assets/bootstrap.min.css", timeout=10, verify=str(cert)).status_code == 200
        for path in (bundle, "/assets/bootstrap.min.css", "/"):
            anonymous = requests.get(base + path, timeout=10, verify=str(cert), allow_redirects=False)
            assert anonymous.status_code in (302, 401), (path, anonymous.status_code)
            assert b"function" not in anonymous.content and b"bootstrap" not in anonymous.content
