"""The live snapshot for the current request, and the configuration it was built with."""

from __future__ import annotations

import tomllib
from pathlib import Path

from flask import current_app

from .config import ForceConfig, parse_config
from .data.store import Snapshot, Store

_configs: dict[str, ForceConfig] = {}


def current_snapshot() -> Snapshot:
    return Store(Path(current_app.config["DASHBOARD_STORE"])).open()


def snapshot_config(snapshot: Snapshot) -> ForceConfig:
    """The force configuration the snapshot was built with (kept inside the snapshot)."""
    if snapshot.id not in _configs:
        text = (snapshot.path / "force.toml").read_text(encoding="utf-8")
        _configs[snapshot.id] = parse_config(tomllib.loads(text), snapshot.path / "force.toml", text)
    return _configs[snapshot.id]
