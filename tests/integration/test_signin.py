"""Sign-in and roles against a real OpenID provider on loopback (Canaille, through pytest-iam),
not a mock: the dashboard is served over HTTP in this process and signs users in with the
authorization-code flow exactly as it would with Entra ID.

Checked: anonymous requests to every route and callback are redirected or refused; role mapping
from the provider's `groups` claim; a user with no role gets 403; sign-out ends the session; an
expired session is refused; the panel role's callback JSON and downloads carry no value on a base
below its threshold, while the analyst's do (so the check can fail); the audit trail.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading
import uuid

import pytest
import requests
from werkzeug.serving import make_server

from dashboard.access import PUBLIC_PATHS, AccessSettings
from dashboard.app import create_app, page_paths
from dashboard.data.store import Store
from tests.localserve import free_port
from tests.protocol import download_request, fetch_pack, selections

GROUPS = {"dash-analysts": "analyst", "dash-command": "command", "dash-panel": "panel"}


@pytest.fixture(scope="module")
def iam(tmp_path_factory):
    """A Canaille OpenID provider on a loopback port, in a thread, for this module only (the
    pytest-iam session fixture keeps Canaille's app context pushed for the rest of the run)."""
    from canaille import create_app as canaille_app
    from canaille.backends import Backend
    from joserfc.jwk import JWKRegistry
    from pytest_iam import Server

    port = free_port()
    jwk = JWKRegistry.generate_key("RSA", 2048)
    jwk.ensure_kid()
    config = {
        "TESTING": True, "ENV_FILE": None, "SECRET_KEY": str(uuid.uuid4()), "WTF_CSRF_ENABLED": False,
        "PREFERRED_URL_SCHEME": "http", "SERVER_NAME": f"localhost:{port}",
        "CANAILLE": {"DATABASE": "memory", "JAVASCRIPT": False,
                     "ACL": {"DEFAULT": {"PERMISSIONS": ["use_oidc"]}}},
        "CANAILLE_OIDC": {"ACTIVE_JWKS": [jwk.as_dict(private=True)]},
    }
    app = canaille_app(config=config, env_file=None, env_prefix="PYTEST_IAM_")
    server = Server(app, port, Backend.instance)
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()


@pytest.fixture(scope="module")
def dashboard(iam, demo_store, tmp_path_factory):
    """The dashboard on the demo store, signing in at `iam`, served on a loopback port."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    secret = "s" * 48
    audit_log = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    with iam.app.app_context():
        client = iam.models.Client(
            client_id="dashboard", client_secret="dashboard-secret", client_name="dashboard",
            client_uri=base, redirect_uris=[f"{base}/auth/callback"], post_logout_redirect_uris=[f"{base}/signed-out"],
            grant_types=["authorization_code"], response_types=["code"],
            token_endpoint_auth_method="client_secret_basic", scope=["openid", "profile", "groups"])
        iam.backend.save(client)
        groups = {}
        for name in GROUPS:
            group = iam.models.Group(display_name=name)
            iam.backend.save(group)
            groups[name] = group
    settings = AccessSettings(mode="oidc", issuer=iam.url.rstrip("/"), client_id="dashboard",
                              client_secret="dashboard-secret", scopes="openid profile groups", role_claim="groups",
                              role_map=GROUPS, session_secret=secret, session_minutes=60, audit_log=str(audit_log))
    app = create_app(demo_store, settings)
    httpd = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield {"base": base, "app": app, "client": client, "groups": groups, "audit": audit_log, "secret": secret}
    httpd.shutdown()


def _user(iam, dashboard, name: str, group: str | None):
    with iam.app.app_context():
        user = iam.models.User(user_name=name, family_name=name, emails=[f"{name}@force.example"],
                               password="correct horse battery staple")
        iam.backend.save(user)
        if group:
            user.groups = [dashboard["groups"][group]]
            iam.backend.save(user)
    return user


def sign_in(iam, dashboard, name: str, group: str | None,
            start: str = "/map") -> tuple[requests.Session, requests.Response]:
    """The browser's journey: a page, the redirect to the provider (already signed in there and
    consented), the code back to the dashboard, the page."""
    user = _user(iam, dashboard, name, group)
    iam.login(user)
    iam.consent(user, dashboard["client"])
    try:
        session = requests.Session()
        response = session.get(dashboard["base"] + start, headers={"Accept": "text/html"}, timeout=30)
    finally:
        iam.logout()
    return session, response


def audit_lines(dashboard) -> list[dict]:
    return [json.loads(line) for line in dashboard["audit"].read_text().splitlines()]


def test_anonymous_requests_to_every_route_and_callback_are_redirected_or_refused(dashboard):
    app, base = dashboard["app"], dashboard["base"]
    rules = [r for r in app.server.url_map.iter_rules() if r.rule not in PUBLIC_PATHS]
    assert len(rules) >= 8
    for rule in rules:
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<{arg}>", "x").replace(f"<path:{arg}>", "x").replace(f"<string:{arg}>", "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            r = requests.request(method, base + path, headers={"Accept": "text/html"}, allow_redirects=False,
                                 timeout=30, json={} if method == "POST" else None)
            assert r.status_code in (302, 401), (method, path, r.status_code)
            if r.status_code == 302:
                assert r.headers["Location"].startswith("/login"), (path, r.headers["Location"])
    for path in page_paths("E05000001"):
        r = requests.get(base + path, headers={"Accept": "text/html"}, allow_redirects=False, timeout=30)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login?next="), path
    for key, cb in app.callback_map.items():
        body = {"output": key, "outputs": [], "inputs": [{"id": i["id"], "property": i["property"], "value": None}
                                                         for i in cb["inputs"]], "changedPropIds": [], "state": []}
        r = requests.post(base + "/_dash-update-component", json=body, timeout=30)
        assert r.status_code == 401, key
        assert "sign-in required" in r.text
    assert requests.get(base + "/pack/all.pdf", timeout=30).status_code == 401
    assert requests.get(base + "/health", timeout=30).status_code == 200


def test_sign_in_maps_the_role_and_sets_a_safe_cookie(iam, dashboard):
    session, response = sign_in(iam, dashboard, "ana", "dash-analysts", start="/map")
    assert response.status_code == 200 and response.url == dashboard["base"] + "/map"
    hops = [h.url for h in response.history]
    assert any(u.startswith(iam.url.rstrip("/")) for u in hops)  # it went to the provider and back
    cookie = next(c for c in session.cookies if c.name == "dashboard_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    raw = [h for h in response.history if "dashboard_session=" in h.headers.get("Set-Cookie", "")]
    assert raw and "SameSite=Lax" in raw[-1].headers["Set-Cookie"]
    assert "Secure" not in raw[-1].headers["Set-Cookie"]  # plain HTTP here; behind TLS the proxy makes it Secure
    r = session.post(dashboard["base"] + "/_dash-update-component",
                     json=download_request("map", "csv", selections(indicator="confidence_local", period="latest",
                                                                    division="all")), timeout=60)
    assert r.status_code == 200 and r.json()["response"]["map-download"]["data"]["filename"].endswith(".csv")
    events = audit_lines(dashboard)
    assert any(e["event"] == "sign-in" and e["user"] == "ana" and e["role"] == "analyst" for e in events)
    export = [e for e in events if e["event"] == "export" and e["user"] == "ana"]
    assert export and export[-1]["what"] == "map-download" and export[-1]["role"] == "analyst"
    assert [s["value"] for s in export[-1]["selections"]] == ["confidence_local", "latest", "all"]  # what was asked for
    pack = fetch_pack(session.get, dashboard["base"] + "/pack/SH.pdf", timeout=120)
    assert pack.status_code == 200 and pack.content.startswith(b"%PDF")
    assert any(e["event"] == "pack" and e["division"] == "SH" and e["user"] == "ana" for e in audit_lines(dashboard))


def _data_page(session, dashboard) -> str:
    from tests.protocol import page_request

    r = session.post(dashboard["base"] + "/_dash-update-component", json=page_request("/data"), timeout=60)
    assert r.status_code == 200
    return r.text


def test_ingest_reports_are_for_analysts_only(iam, dashboard, demo_store):
    reports = Store(demo_store).reports_dir
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "last-rejection.txt").write_text("Rejected: row 7, column q1, value 'SECRET-ANSWER'\n")
    try:
        analyst, _ = sign_in(iam, dashboard, "ana2", "dash-analysts")
        command, _ = sign_in(iam, dashboard, "cmd", "dash-command")
        assert "SECRET-ANSWER" in _data_page(analyst, dashboard)
        page = _data_page(command, dashboard)
        assert "SECRET-ANSWER" not in page and "shown to analysts only" in page
        assert str(demo_store.parent) not in page  # no server paths either
    finally:
        (reports / "last-rejection.txt").unlink()


def test_a_user_with_no_role_is_refused(iam, dashboard):
    session, response = sign_in(iam, dashboard, "nobody", None)
    assert response.status_code == 403 and "no role" in response.text
    r = session.post(dashboard["base"] + "/_dash-update-component",
                     json=download_request("map", "csv", selections(indicator="confidence_local", period="latest",
                                                                    division="all")), timeout=30)
    assert r.status_code == 403
    assert session.get(dashboard["base"] + "/", headers={"Accept": "text/html"}, timeout=30).status_code == 403
    assert any(e["event"] == "sign-in refused" and e["user"] == "nobody" for e in audit_lines(dashboard))


def test_sign_out_ends_the_session(iam, dashboard):
    session, response = sign_in(iam, dashboard, "leaving", "dash-command")
    assert response.status_code == 200
    r = session.get(dashboard["base"] + "/logout", allow_redirects=False, timeout=30)
    assert r.status_code == 302 and r.headers["Location"].startswith(iam.url.rstrip("/"))  # the provider's end_session
    assert "post_logout_redirect_uri" in r.headers["Location"]
    assert session.get(dashboard["base"] + "/signed-out", timeout=30).status_code == 200
    again = session.get(dashboard["base"] + "/map", headers={"Accept": "text/html"}, allow_redirects=False, timeout=30)
    assert again.status_code == 302 and again.headers["Location"].startswith("/login")
    assert any(e["event"] == "sign-out" and e["user"] == "leaving" for e in audit_lines(dashboard))


def test_an_expired_session_is_refused(dashboard):
    """A session signed with the real secret but started longer ago than the session lifetime."""
    app = dashboard["app"].server
    serializer = app.session_interface.get_signing_serializer(app)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61)
    cookie = serializer.dumps({"user": {"sub": "x", "name": "old"}, "role": "analyst",
                               "signed_in_at": old.timestamp(), "_permanent": True})
    fresh = serializer.dumps({"user": {"sub": "x", "name": "new"}, "role": "analyst",
                              "signed_in_at": dt.datetime.now(dt.UTC).timestamp(), "_permanent": True})
    body = download_request("map", "csv", selections(indicator="confidence_local", period="latest", division="all"))
    for value, expected in ((cookie, 401), (fresh, 200)):
        r = requests.post(dashboard["base"] + "/_dash-update-component", json=body,
                          cookies={"dashboard_session": value}, timeout=60)
        assert r.status_code == expected
    forged = requests.post(dashboard["base"] + "/_dash-update-component", json=body,
                           cookies={"dashboard_session": fresh[:-4] + "AAAA"}, timeout=30)
    assert forged.status_code == 401  # a cookie not signed with the secret is no session


def _map_table(session, dashboard, indicator: str, division: str = "all") -> list[dict]:
    cb = dashboard["app"].callback_map["..map-table.data...map-bars.figure...map-table.columns.."]
    values = {"indicator": indicator, "period": "latest", "division": division}
    inputs = []
    for i in cb["inputs"]:
        if not i["id"].startswith("{"):  # the snapshot the map holds (map_view.DRAWN): none yet
            inputs.append({"id": i["id"], "property": i["property"], "value": None})
            continue
        component = json.loads(i["id"])
        inputs.append({"id": component, "property": "value", "value": values[component["key"]]})
    body = {"output": "..map-table.data...map-bars.figure...map-table.columns..",
            "outputs": [{"id": "map-table", "property": "data"}, {"id": "map-bars", "property": "figure"},
                        {"id": "map-table", "property": "columns"}],
            "inputs": inputs, "changedPropIds": [], "state": []}
    r = session.post(dashboard["base"] + "/_dash-update-component", json=body, timeout=60)
    assert r.status_code == 200
    return r.json()["response"]["map-table"]["data"]


def _csv_rows(session, dashboard, indicator: str) -> list[dict]:
    r = session.post(dashboard["base"] + "/_dash-update-component",
                     json=download_request("map", "csv", selections(indicator=indicator, period="latest",
                                                                    division="all")), timeout=60)
    assert r.status_code == 200
    text = r.json()["response"]["map-download"]["data"]["content"]
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def test_the_panel_never_receives_a_value_on_a_base_below_its_threshold(iam, dashboard, demo_store):
    from dashboard.live import snapshot_config

    snapshot = Store(demo_store).open()
    config = snapshot_config(snapshot)
    threshold = config.panel_suppression_threshold
    assert threshold > config.suppression_threshold
    panel, _ = sign_in(iam, dashboard, "member", "dash-panel")
    analyst, _ = sign_in(iam, dashboard, "ana3", "dash-analysts")
    below_for_analyst = 0
    for ind in config.indicators:
        if ind.kind == "gap" or not ind.survey or config.surveys[ind.survey].level != "area":
            continue
        for row in _map_table(panel, dashboard, ind.id):
            if row["value"] is not None:
                assert isinstance(row["base"], int) and row["base"] >= threshold, (ind.id, row)
            else:
                assert not (isinstance(row["base"], int) and row["base"] < threshold), (ind.id, row)
        for row in _csv_rows(panel, dashboard, ind.id):
            base = row.get("base") or row.get("Base")
            if base not in (None, ""):
                assert float(base) >= threshold, (ind.id, row)
        below_for_analyst += sum(1 for row in _map_table(analyst, dashboard, ind.id)
                                 if row["value"] is not None and isinstance(row["base"], int)
                                 and row["base"] < threshold)
    assert below_for_analyst > 0  # the same requests as the analyst do carry such values: the check can fail
    assert f"fewer than {threshold} respondents" in _data_page(panel, dashboard)  # described by its own threshold


def test_the_cookie_is_secure_when_the_request_came_over_https(dashboard):
    """Behind nginx, gunicorn takes the scheme from X-Forwarded-Proto; here the test client
    makes the request over HTTPS directly."""
    client = dashboard["app"].server.test_client()
    r = client.get("/login?next=/map", base_url="https://dashboard.force.example")
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert "dashboard_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_panel_reads_its_own_tables_from_the_first_request(demo_store):
    """Dash's pages router sets itself up on a server's first request, before other hooks: the
    role must be known before anything reads the snapshot (once it was not, and the panel's first
    pages came from the published tables). DASHBOARD_AUTH=none with the panel role, first request
    the Data page (which states the threshold its tables were withheld under)."""
    from dashboard.live import snapshot_config
    from tests.protocol import page_request

    config = snapshot_config(Store(demo_store).open())
    client = create_app(demo_store, AccessSettings(no_signin_role="panel")).server.test_client()
    page = client.post("/_dash-update-component", json=page_request("/data")).get_data(as_text=True)
    assert f"fewer than {config.panel_suppression_threshold} respondents" in page
    assert f"fewer than {config.suppression_threshold} respondents" not in page
    analyst = create_app(demo_store).server.test_client()
    page = analyst.post("/_dash-update-component", json=page_request("/data")).get_data(as_text=True)
    assert f"fewer than {config.suppression_threshold} respondents" in page


def test_the_panels_tables_survive_the_disclosure_audit(demo_store):
    """The panel's variant gets the same attacks as the published tables (differencing within
    dimensions, geographies and windows, inversion, bounds, exports), at its own threshold."""
    from dashboard.audit import audit_store, variants

    assert variants(demo_store) == [None, "panel"]  # (the published set's audit: test_disclosure_audit.py)
    panel = audit_store(demo_store, "panel")
    assert panel.code == 0, panel.text()
    assert panel.variant == "panel" and "panel's tables" in panel.text()
    store = Store(demo_store)
    withheld = [int(store.open(variant=v).table("estimates")["suppressed"].sum()) for v in (None, "panel")]
    assert withheld[1] > withheld[0]  # a stricter threshold withholds more


def test_the_panel_sees_no_respondent_count_below_its_threshold(demo_store):
    """Who answered the survey, as the panel's tables hold it: force level only, every count
    under the threshold withheld, never exactly one withheld in a dimension (it would be the base
    minus the others); the published profile does have such counts, so the check can fail."""
    from dashboard.live import snapshot_config

    store = Store(demo_store)
    threshold = snapshot_config(store.open()).panel_suppression_threshold
    published = store.open().table("respondent_profile")
    assert ((published["respondents"] > 0) & (published["respondents"] < threshold)).any()
    panel = store.open(variant="panel").table("respondent_profile")
    assert set(panel["level"]) == {"force"} and len(panel)
    shown = panel["respondents"].dropna()
    assert not ((shown > 0) & (shown < threshold)).any()
    withheld = panel["respondents"].isna().groupby([panel["period"], panel["dimension"]]).sum()
    assert not (withheld == 1).any()
