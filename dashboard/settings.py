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
            "Store directory the app serves: the snapshot named by its CURRENT file."),
)


@dataclass(frozen=True)
class Settings:
    store: Path

    @classmethod
    def from_env(cls) -> Settings:
        values = {s.env: os.environ.get(s.env, s.default) for s in SETTINGS_HELP}
        return cls(store=Path(values["DASHBOARD_STORE"]))


SETTINGS = Settings.from_env()
