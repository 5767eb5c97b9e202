"""Sign-in settings, role mapping, the loopback rule and the redirect target (dashboard/access.py).
The sign-in itself runs against a real provider in tests/integration/test_signin.py."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dashboard.access import AccessConfigError, AccessSettings, _safe_next, check_bind
from tests.conftest import REPO

OIDC = {"DASHBOARD_AUTH": "oidc", "DASHBOARD_OIDC_ISSUER": "https://login.example/tenant/v2.0",
        "DASHBOARD_OIDC_CLIENT_ID": "id", "DASHBOARD_OIDC_CLIENT_SECRET": "secret",
        "DASHBOARD_SESSION_SECRET": "x" * 40}


def test_roles_come_from_the_claim_through_the_map():
    s = AccessSettings.from_env({**OIDC, "DASHBOARD_ROLE_CLAIM": "roles",
                                 "DASHBOARD_ROLE_MAP": "Dashboard.Analyst=analyst, Dashboard.Panel=panel,"
                                                       "Dashboard.Command=command"})
    assert s.role_from_claims({"roles": ["Dashboard.Panel"]}) == "panel"
    assert s.role_from_claims({"roles": "Dashboard.Command"}) == "command"
    assert s.role_from_claims({"roles": ["Dashboard.Panel", "Dashboard.Analyst"]}) == "analyst"  # the most privileged
    assert s.role_from_claims({"roles": ["Other"]}) is None
    assert s.role_from_claims({"groups": ["Dashboard.Analyst"]}) is None  # another claim grants nothing
    assert s.role_from_claims({}) is None


@pytest.mark.parametrize("env, message", [
    ({"DASHBOARD_AUTH": "ldap"}, "DASHBOARD_AUTH"),
    ({**OIDC, "DASHBOARD_OIDC_ISSUER": ""}, "DASHBOARD_OIDC_ISSUER: required"),
    ({**OIDC, "DASHBOARD_OIDC_CLIENT_SECRET": ""}, "DASHBOARD_OIDC_CLIENT_SECRET: required"),
    ({**OIDC, "DASHBOARD_SESSION_SECRET": "short"}, "DASHBOARD_SESSION_SECRET"),
    ({**OIDC, "DASHBOARD_OIDC_SCOPES": "profile"}, "must include 'openid'"),
    ({**OIDC, "DASHBOARD_ROLE_MAP": "Dashboard.Analyst=admin"}, "DASHBOARD_ROLE_MAP"),
    ({**OIDC, "DASHBOARD_ROLE_MAP": "no-equals-sign"}, "DASHBOARD_ROLE_MAP"),
    ({**OIDC, "DASHBOARD_SESSION_MINUTES": "0"}, "DASHBOARD_SESSION_MINUTES"),
    ({"DASHBOARD_NO_SIGNIN_ROLE": "root"}, "DASHBOARD_NO_SIGNIN_ROLE"),
])
def test_bad_settings_are_refused_naming_the_variable(env, message):
    with pytest.raises(AccessConfigError, match=message):
        AccessSettings.from_env(env)


def test_without_sign_in_only_loopback_is_served():
    none = AccessSettings.from_env({})
    for ok in (["127.0.0.1:8000"], ["localhost:8000"], ["[::1]:8000"], ["unix:/run/dashboard.sock"]):
        check_bind(ok, none)
    for bad in (["0.0.0.0:8000"], ["10.1.2.3:80"], ["127.0.0.1:8000", "[::]:8000"], ["dashboard.force.local:80"]):
        with pytest.raises(AccessConfigError, match="DASHBOARD_SIGNIN_BY_PROXY"):
            check_bind(bad, none)
    check_bind(["0.0.0.0:8000"], AccessSettings.from_env({"DASHBOARD_SIGNIN_BY_PROXY": "1"}))
    check_bind(["0.0.0.0:8000"], AccessSettings.from_env(OIDC))


def test_gunicorn_refuses_a_public_bind_without_sign_in():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    proc = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "dashboard/gunicorn_conf.py", "--bind",
                           "0.0.0.0:0", "dashboard.app:server"], cwd=REPO, env={**env, "DASHBOARD_AUTH": "none"},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "refusing to serve 0.0.0.0:0 with DASHBOARD_AUTH=none" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("target, expected", [
    ("/map#division=SH", "/map#division=SH"), ("/area/E05000001?x=1", "/area/E05000001?x=1"),
    ("https://evil.example/", "/"), ("//evil.example/", "/"), ("/\\evil.example", "/"), ("", "/"), (None, "/"),
    ("javascript:alert(1)", "/"),
])
def test_the_page_after_sign_in_is_always_on_this_site(target, expected):
    assert _safe_next(target) == expected


def test_gunicorn_refuses_bad_sign_in_settings_in_one_line():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASHBOARD_")}
    proc = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "dashboard/gunicorn_conf.py",
                           "dashboard.app:server"],
                          cwd=REPO, env={**env, "DASHBOARD_AUTH": "oidc"}, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "dashboard: DASHBOARD_OIDC_ISSUER: required with DASHBOARD_AUTH=oidc"
