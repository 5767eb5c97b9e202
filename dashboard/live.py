"""The live snapshot for the current request, and the configuration it was built with.

A request reads the store's CURRENT pointer once and keeps that snapshot for everything it
does (``flask.g``), so a snapshot published while the request runs can never give it a
mixture of old and new tables; the next request sees the new snapshot, with no restart.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from flask import current_app, g, has_request_context

from .config import ForceConfig, parse_config
from .data.store import Snapshot, Store

_configs: dict[str, ForceConfig] = {}


def current_snapshot() -> Snapshot:
    if has_request_context() and "snapshot" in g:
        return g.snapshot
    snapshot = Store(Path(current_app.config["DASHBOARD_STORE"])).open()
    if has_request_context():
        g.snapshot = snapshot
    return snapshot


def snapshot_config(snapshot: Snapshot) -> ForceConfig:
    """The force configuration the snapshot was built with (kept inside the snapshot)."""
    if snapshot.id not in _configs:
        text = (snapshot.path / "force.toml").read_text(encoding="utf-8")
        _configs[snapshot.id] = parse_config(tomllib.loads(text), snapshot.path / "force.toml", text)
    return _configs[snapshot.id]
