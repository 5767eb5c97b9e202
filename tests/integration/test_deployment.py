"""The deployment for real (dashboard/deploy.py): Redis, two gunicorn instances and nginx in front
on loopback, signing users in at a real OpenID provider (Canaille through pytest-iam, as in
tests/integration/test_signin.py).

Checked (issue 14, item 5): a session made through one instance works on the other, and signing
out on one ends it on both (with signed cookies alone it would not: the cookie would stay valid);
a publish is seen by both instances and through nginx; killing one instance (SIGKILL to it and
its workers) while users are busy loses no request: nginx tries each failed GET and callback
POST again on the other instance. Written against the contracts of the other parts of the issue
and needing them merged: an answer cached through one instance is a hit on the other
(``X-Cache``, dashboard/cache.py); a pack job survives killing the Celery worker running it
(dashboard/jobs.py).
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path

import pytest
import redis
import requests

from dashboard.data.store import Store
from dashboard.deploy import deployment
from tests.conftest import need
from tests.integration.test_signin import iam  # noqa: F401  (the OpenID provider on loopback, module scope)
from tests.localserve import free_port
from tests.protocol import page_request

GROUPS = {"dash-analysts": "analyst", "dash-command": "command", "dash-panel": "panel"}
COOKIE = "dashboard_session"


@pytest.fixture(scope="module")
def deployed(iam, demo_store, tmp_path_factory):  # noqa: F811
    """Two instances behind nginx on a copy of the demo store, signing in at ``iam``."""
    for tool in ("nginx", "redis-server", "openssl"):
        need(bool(shutil.which(tool)), f"{tool} is needed (apt-get install nginx redis-server openssl)")
    root = tmp_path_factory.mktemp("deployment")
    store = root / "store"
    shutil.copytree(demo_store, store)
    https_port = free_port()
    base = f"https://127.0.0.1:{https_port}"
    with iam.app.app_context():
        client = iam.models.Client(
            client_id="deployed", client_secret="deployed-secret", client_name="dashboard", client_uri=base,
            redirect_uris=[f"{base}/auth/callback"], post_logout_redirect_uris=[f"{base}/signed-out"],
            grant_types=["authorization_code"], response_types=["code"],
            token_endpoint_auth_method="client_secret_basic", scope=["openid", "profile", "groups"])
        iam.backend.save(client)
        group = iam.models.Group(display_name="dash-analysts")
        iam.backend.save(group)
    env = {"DASHBOARD_AUTH": "oidc", "DASHBOARD_OIDC_ISSUER": iam.url.rstrip("/"),
           "DASHBOARD_OIDC_CLIENT_ID": "deployed", "DASHBOARD_OIDC_CLIENT_SECRET": "deployed-secret",
           "DASHBOARD_OIDC_SCOPES": "openid profile groups", "DASHBOARD_ROLE_CLAIM": "groups",
           "DASHBOARD_ROLE_MAP": ",".join(f"{k}={v}" for k, v in GROUPS.items()),
           "DASHBOARD_SESSION_MINUTES": "60", "DASHBOARD_AUDIT_LOG": str(root / "audit.jsonl"),
           "DASHBOARD_JOB_VISIBILITY_SECONDS": "15"}
    with deployment(store, instances=2, run_dir=root / "run", https_port=https_port, http_port=free_port(),
                    redis_port=free_port(), instance_ports=[free_port(), free_port()], workers=1, threads=4, env=env,
                    nginx_workers="1", stop_timeout=5) as (url, running):
        assert url == base
        yield {"base": base, "deployment": running, "store": store, "cert": str(running.cert), "client": client,
               "group": group, "redis": redis.Redis.from_url(running.redis_url)}


def browser(deployed, signed_in: requests.Session | None = None) -> requests.Session:
    """A client that trusts the deployment's certificate (and no CA bundle from the environment,
    which would take precedence over ``verify``), with a signed-in user's cookies if given."""
    session = requests.Session()
    session.trust_env = False
    session.verify = deployed["cert"]
    if signed_in is not None:
        session.cookies.update(signed_in.cookies)
    return session


def sign_in(iam, deployed, name: str) -> tuple[requests.Session, requests.Response]:  # noqa: F811
    """A browser's sign-in through nginx: a page, the provider (signed in there and consented), back."""
    with iam.app.app_context():
        user = iam.models.User(user_name=name, family_name=name, emails=[f"{name}@force.example"],
                               password="correct horse battery staple")
        iam.backend.save(user)
        user.groups = [deployed["group"]]
        iam.backend.save(user)
    iam.login(user)
    iam.consent(user, deployed["client"])
    try:
        session = browser(deployed)
        response = session.get(deployed["base"] + "/map", headers={"Accept": "text/html"}, timeout=60)
    finally:
        iam.logout()
    assert response.status_code == 200 and response.url == deployed["base"] + "/map", response.text[:300]
    return session, response


def direct(deployed, name: str, path: str, cookie: str, body: dict | None = None) -> requests.Response:
    """A request to one instance itself, bypassing nginx, with the session cookie."""
    url = deployed["deployment"].instance_url(name) + path
    headers = {"Accept": "text/html", "Cookie": f"{COOKIE}={cookie}"}
    if body is not None:
        return requests.post(url, json=body, headers=headers, allow_redirects=False, timeout=60)
    return requests.get(url, headers=headers, allow_redirects=False, timeout=60)


@pytest.fixture(scope="module")
def user(iam, deployed):  # noqa: F811
    """One signed-in user for the tests that only need a session."""
    session, _ = sign_in(iam, deployed, "dep-user")
    return session


def test_a_session_made_on_one_instance_works_on_the_other_and_sign_out_ends_it_on_both(iam, deployed):  # noqa: F811
    session, response = sign_in(iam, deployed, "dep-ana")
    cookie = next(c for c in session.cookies if c.name == COOKIE)
    assert cookie.secure and cookie.has_nonstandard_attr("HttpOnly")  # over TLS through nginx
    set_cookies = [h.headers["Set-Cookie"] for h in response.history if f"{COOKIE}=" in h.headers.get("Set-Cookie", "")]
    assert set_cookies and all("SameSite=Lax" in c and "HttpOnly" in c and "Secure" in c for c in set_cookies)
    # The session is in Redis under a random id that lives as long as the session, and the id the
    # visitor had before signing in (set on the way to the provider) was replaced and deleted.
    store = deployed["redis"]
    assert 3500 < store.ttl(f"dashboard:session:{cookie.value}") <= 3600
    before = re.match(rf"{COOKIE}=([^;]+)", set_cookies[0]).group(1)
    assert before != cookie.value and not store.exists(f"dashboard:session:{before}")
    for name in ("web1", "web2"):
        assert direct(deployed, name, "/map", cookie.value).status_code == 200, name
        assert direct(deployed, name, "/_dash-update-component", cookie.value, page_request("/")).status_code == 200
    out = direct(deployed, "web1", "/logout", cookie.value)
    assert out.status_code == 302
    page = direct(deployed, "web2", "/map", cookie.value)
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert direct(deployed, "web2", "/_dash-update-component", cookie.value, page_request("/")).status_code == 401
    assert not store.exists(f"dashboard:session:{cookie.value}")


def _health(url: str, cert: str | None = None) -> str:
    r = requests.get(url + "/health", timeout=30, verify=cert or True)
    assert r.status_code == 200
    return r.json()["snapshot"]


def test_a_publish_is_seen_by_both_instances_and_through_nginx(deployed, user, mini_source, monkeypatch):
    from dashboard.ingest import run_ingest

    running = deployed["deployment"]
    old = Store(deployed["store"]).current_id()
    assert {_health(running.instance_url(n)) for n in running.web_names} == {old}
    # Published as an analyst would, with the deployment's Redis (so its jobs go to the worker).
    monkeypatch.setenv("DASHBOARD_REDIS_URL", running.redis_url)
    result = run_ingest(mini_source, deployed["store"], accept_drops=("all",),
                        reason="deployment test: a smaller data set")
    assert result.code == 0
    new = Store(deployed["store"]).current_id()
    assert new != old
    assert _health(deployed["base"], deployed["cert"]) == new
    cookie = user.cookies[COOKIE]
    for name in running.web_names:
        assert _health(running.instance_url(name)) == new, name
        page = direct(deployed, name, "/_dash-update-component", cookie, page_request("/"))
        assert page.status_code == 200 and set(re.findall(r"Snapshot (\d{8}T\d+Z)", page.text)) == {new}, name


def test_the_site_file_balances_over_every_instance_and_retries_callbacks_only_there():
    from dashboard import gunicorn_conf
    from dashboard.proxy import render_site

    site = render_site(server_name="dashboard.force.example", cert="/c.pem", key="/k.pem",
                       upstream=["127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003"])
    upstream = site[site.index("upstream dashboard_app {"):]
    upstream = upstream[:upstream.index("}")]
    assert re.findall(r"server (\S+) max_fails=1", upstream) == ["127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003"]
    assert int(re.search(r"keepalive_timeout (\d+)s;", upstream).group(1)) < gunicorn_conf.keepalive
    directives = [line.split("#")[0].strip() for line in site.splitlines()]
    retried_posts = [i for i, line in enumerate(directives) if "non_idempotent" in line]
    assert len(retried_posts) == 1  # in the callbacks' location and nowhere else
    assert "location = /_dash-update-component" in "\n".join(directives[retried_posts[0] - 3:retried_posts[0]])
    with pytest.raises(ValueError, match="upstream 2 must be one word"):
        render_site(server_name="x", cert="/c", key="/k", upstream=["127.0.0.1:1", "127.0.0.1:2; include /etc"])


def test_without_sign_in_the_front_listens_on_loopback_only(tmp_path, monkeypatch):
    from dashboard.deploy import Deployment

    monkeypatch.setenv("DASHBOARD_AUTH", "none")
    monkeypatch.delenv("DASHBOARD_SIGNIN_BY_PROXY", raising=False)
    running = Deployment(tmp_path / "store", tmp_path / "run", 2, listen="0.0.0.0")
    with pytest.raises(RuntimeError, match="refusing to serve 0.0.0.0"):
        running.start_all()
    assert running.services == {}  # refused before anything started


# -- Needing the other parts of issue 14 (dashboard/cache.py, dashboard/jobs.py) -------------------


def test_an_answer_cached_through_one_instance_is_a_hit_on_the_other(deployed, user):
    """Contract of the answer cache: ``X-Cache: hit`` or ``miss`` on every callback answer, keyed
    by snapshot, callback, inputs and role, in the shared Redis."""
    cookie = user.cookies[COOKIE]
    snapshot = Store(deployed["store"]).open()
    area = sorted(snapshot.table("areas")["area_code"])[-1]  # an area page: not among the views warmed at publish
    body = page_request(f"/area/{area}")
    first = direct(deployed, "web1", "/_dash-update-component", cookie, body)
    assert first.status_code == 200 and first.headers.get("X-Cache") in ("hit", "miss"), first.headers
    second = direct(deployed, "web2", "/_dash-update-component", cookie, body)
    assert second.status_code == 200 and second.headers.get("X-Cache") == "hit"
    assert second.json() == first.json()
    assert next(deployed["redis"].scan_iter(match="dashboard:answer:*"), None) is not None  # kept in the shared Redis


def test_a_pack_job_survives_killing_the_worker(deployed, user, monkeypatch):
    """Contract of the jobs: a publish hands the snapshot's packs to the Celery worker
    (``dashboard.jobs.after_publish``, which ``dashboard ingest`` calls); a worker killed while
    building them loses nothing (the job goes back to the queue and the worker, started again,
    finishes it); /pack/all.pdf then serves the finished file."""
    from dashboard.jobs import after_publish

    running = deployed["deployment"]
    monkeypatch.setenv("DASHBOARD_REDIS_URL", running.redis_url)
    after_publish(deployed["store"], Store(deployed["store"]).current_id())  # its packs were never prepared
    worker_log = Path(running.run_dir) / "logs" / "worker.log"
    deadline = time.monotonic() + 60
    while "received" not in worker_log.read_text().rsplit("[command start]", 1)[-1]:
        assert time.monotonic() < deadline, worker_log.read_text()[-2000:]
        time.sleep(0.2)
    running.kill("worker")
    running.start("worker")
    session = browser(deployed, user)
    deadline = time.monotonic() + 300
    while True:
        r = session.get(deployed["base"] + "/pack/all.pdf", timeout=60)
        if r.status_code == 200 and r.content.startswith(b"%PDF"):
            break
        assert time.monotonic() < deadline, (r.status_code, r.text[:300])
        time.sleep(1)


# -- Last: it leaves one instance dead ------------------------------------------------------------


def _retried(deployed, dead: str) -> list[str]:
    """Lines of nginx's access log for requests that went to ``dead`` first and then to another
    instance (``upstream=DEAD, OTHER``; dashboard.proxy's log format)."""
    log = Path(deployed["deployment"].run_dir) / "nginx" / "logs" / "access.log"
    port = deployed["deployment"].ports[dead]
    return [line for line in log.read_text().splitlines() if f"upstream=127.0.0.1:{port}, " in line]


def test_killing_one_instance_loses_no_request(deployed, user):
    running = deployed["deployment"]
    victim = "web2"
    retried_before = len(_retried(deployed, victim))
    results: list[tuple[str, float, int]] = []
    stop = threading.Event()

    def browse(kind: str):
        session = browser(deployed, user)
        while not stop.is_set():
            try:
                if kind == "page":
                    r = session.get(deployed["base"] + "/map", headers={"Accept": "text/html"}, timeout=60)
                else:
                    r = session.post(deployed["base"] + "/_dash-update-component", json=page_request("/"),
                                     timeout=60)
                results.append((kind, time.monotonic(), r.status_code))
            except requests.RequestException as exc:
                results.append((kind, time.monotonic(), repr(exc)))

    threads = [threading.Thread(target=browse, args=(kind,)) for kind in ("page", "callback", "callback", "page")]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 30
        while len(results) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        killed_at = time.monotonic()
        running.kill(victim)
        assert not running.alive(victim)
        deadline = time.monotonic() + 30
        while (time.monotonic() < killed_at + 1 or len([r for r in results if r[1] > killed_at]) < 12) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    after = [r for r in results if r[1] > killed_at]
    assert len(after) >= 8 and {k for k, _, _ in after} == {"page", "callback"}, results
    assert [r for r in results if r[2] != 200] == []
    # nginx did send requests to the dead instance, and answered them from the other.
    retried = _retried(deployed, victim)[retried_before:]
    assert retried and all('" 200 ' in line for line in retried), retried
