"""For tests and benchmarks: a free loopback port, the flags that keep a headless Chromium
offline, and gunicorn on loopback (``dashboard.proxy.gunicorn``, which ``proxy run`` uses too)."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from dashboard.proxy import gunicorn  # noqa: F401  (for the tests)

REPO = Path(__file__).resolve().parent.parent
# Without the background-networking flags Chromium tries to reach Google's services at start.
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-quic", "--no-first-run", "--window-size=1400,1000")


def chromium_path() -> str:
    return shutil.which("chromium") or "/usr/bin/chromium"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
