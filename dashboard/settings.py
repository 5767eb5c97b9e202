"""Run-time settings: one frozen object from the environment, each setting with help text.

docs/configuration.md lists every setting; a test checks that it does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO_INPUT = REPO / "data" / "demo" / "input"
DEMO_STORE = REPO / "data" / "demo" / "store"


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


SETTINGS_HELP = (
    Setting("DASHBOARD_STORE", str(Path("data") / "store"),
            "The store the app serves (the snapshot named by its CURRENT pointer): a directory, local or on a "
            "shared file system, or an S3-compatible object store as a URI, e.g. "
            "`s3://bucket/prefix?endpoint_override=HOST:PORT&scheme=https` (credentials from the standard "
            "`AWS_*` variables; docs/deploying.md)."),
    # Sign-in and roles (dashboard/access.py).
    Setting("DASHBOARD_AUTH", "none",
            "`oidc` to sign users in with OpenID Connect; `none` (the local demo) serves everyone in the role "
            "`DASHBOARD_NO_SIGNIN_ROLE` and only on loopback."),
    Setting("DASHBOARD_OIDC_ISSUER", "",
            "The identity provider's issuer URL (its discovery document is ISSUER/.well-known/openid-configuration); "
            "for Entra ID https://login.microsoftonline.com/TENANT_ID/v2.0."),
    Setting("DASHBOARD_OIDC_CLIENT_ID", "", "The dashboard's client (application) id at the identity provider."),
    Setting("DASHBOARD_OIDC_CLIENT_SECRET", "", "The dashboard's client secret at the identity provider."),
    Setting("DASHBOARD_OIDC_SCOPES", "openid profile email",
            "Scopes asked for at sign-in (must include `openid`; add the one that releases the role claim if the "
            "provider needs it, e.g. `groups`)."),
    Setting("DASHBOARD_ROLE_CLAIM", "roles",
            "The ID-token (or userinfo) claim holding the user's roles or groups (Entra ID app roles: `roles`)."),
    Setting("DASHBOARD_ROLE_MAP", "analyst=analyst,command=command,panel=panel",
            "Comma-separated CLAIM_VALUE=ROLE pairs mapping the claim's values to the roles `analyst`, `command` "
            "and `panel`; a user with none of them is refused (403), one with several gets the most privileged."),
    Setting("DASHBOARD_SESSION_SECRET", "",
            "Key that signs the session cookie (at least 32 characters; required with `oidc`; the same on every "
            "instance)."),
    Setting("DASHBOARD_SESSION_MINUTES", "480", "A session ends this many minutes after sign-in."),
    Setting("DASHBOARD_PUBLIC_URL", "",
            "The address users reach the dashboard at, e.g. https://dashboard.force.police.uk (the redirect URI "
            "registered at the provider is this plus /auth/callback); empty: taken from each request."),
    Setting("DASHBOARD_NO_SIGNIN_ROLE", "analyst", "The role everyone has when `DASHBOARD_AUTH=none`."),
    Setting("DASHBOARD_SIGNIN_BY_PROXY", "0",
            "Set to 1 only when the network in front signs users in: allows `DASHBOARD_AUTH=none` on an address "
            "other than loopback."),
    Setting("DASHBOARD_AUDIT_LOG", "-",
            "Where the audit trail of sign-ins, sign-outs, exports and packs is appended as JSON lines: a file "
            "path, or `-` for standard error (the service's journal)."),
    # Many users, many machines (docs/deploying.md).
    Setting("DASHBOARD_REDIS_URL", "",
            "Redis for everything instances share: the answer cache, sign-in sessions and the background-job "
            "queue (e.g. `redis://127.0.0.1:6379/0`). Empty (one machine): answers are cached in "
            "`DASHBOARD_CACHE_DIR` and background jobs run in the process that publishes."),
    Setting("DASHBOARD_CACHE_DIR", "",
            "Folder of the answer cache when there is no Redis; empty: a folder under the system's temporary "
            "directory, one per user."),
    Setting("DASHBOARD_JOB_VISIBILITY_SECONDS", "900",
            "With Redis: seconds after which a background job whose worker died (unacknowledged) is given to "
            "another worker; longer than the longest job (a snapshot's packs), or a job still running is "
            "started twice."),
)


def is_uri(location) -> bool:
    """True for a store named by a URI (``s3://bucket/prefix``), not a directory."""
    return isinstance(location, str) and "://" in location.split("?", 1)[0]


def store_location(text: str) -> Path | str:
    """A store as given on the command line or in DASHBOARD_STORE: a URI stays text (a Path would
    fold its ``//``), anything else is a directory."""
    return text if is_uri(text) else Path(text)


def store_identity(location) -> str:
    """The store as one spelling, the same in every process and on every machine sharing it: a
    URI as it is, a folder as its real absolute path (an operator may give ``data/store`` where
    gunicorn has ``/srv/dashboard/data/store``). Keys of shared answers and jobs are built on it."""
    text = str(location)
    return text if is_uri(text) else os.path.realpath(text)


def setting(env: str, environ=os.environ) -> str:
    """One setting's value from the environment, or its documented default."""
    spec = next(s for s in SETTINGS_HELP if s.env == env)
    return environ.get(env, spec.default)


@dataclass(frozen=True)
class Settings:
    store: Path | str

    @classmethod
    def from_env(cls) -> Settings:
        values = {s.env: os.environ.get(s.env, s.default) for s in SETTINGS_HELP}
        return cls(store=store_location(values["DASHBOARD_STORE"]))


SETTINGS = Settings.from_env()
