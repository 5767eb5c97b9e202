"""The live snapshot for the current request, and the configuration it was built with.

A request reads the store's CURRENT pointer once and keeps that snapshot for everything it
does (``flask.g``), so a snapshot published while the request runs can never give it a
mixture of old and new tables; the next request sees the new snapshot, with no restart.

The snapshot is the variant for the request's role (``dashboard.access.data_variant``): the
panel reads its own, more strictly suppressed tables, described by its own threshold.
"""

from __future__ import annotations

import tomllib

from flask import current_app, g, has_request_context

from .config import ForceConfig, parse_config
from .data.store import Snapshot, Store, per_snapshot, snapshot_at


def current_snapshot() -> Snapshot:
    from .access import data_variant

    variant = data_variant()
    if has_request_context() and variant in g.get("snapshots", {}):
        return g.snapshots[variant]
    snapshot = Store(current_app.config["DASHBOARD_STORE"]).open(variant=variant)
    if has_request_context():
        g.setdefault("snapshots", {})[variant] = snapshot
    return snapshot


def snapshot_config(snapshot: Snapshot) -> ForceConfig:
    """The force configuration the snapshot was built with (kept inside the snapshot), as its
    variant's tables were built: the panel's with the panel's threshold."""
    return _config(snapshot.key, getattr(snapshot, "variant", None))


@per_snapshot(maxsize=8)
def _config(snapshot_key: str, variant: str | None) -> ForceConfig:
    snapshot = snapshot_at(snapshot_key)
    text = snapshot.read_text("force.toml")
    config = parse_config(tomllib.loads(text), snapshot.location("force.toml"), text)
    return config.for_panel() if variant == "panel" and config.panel_variant else config


def live() -> tuple[Snapshot, ForceConfig]:
    """(snapshot, config) of the request, or raises StoreError."""
    snapshot = current_snapshot()
    return snapshot, snapshot_config(snapshot)
