"""Serving on this machine for tests and benchmarks: gunicorn with the project's config on a free
loopback port, and the flags that keep a headless Chromium offline."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

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


@contextlib.contextmanager
def gunicorn(store: Path, workers: int | None = None, quiet: bool = True, env: dict[str, str] | None = None):
    """gunicorn serving ``store`` on 127.0.0.1 (``env``: more settings, e.g. sign-in); yields the
    base URL once /health answers."""
    import requests

    port = free_port()
    env = {**os.environ, **(env or {}), "DASHBOARD_STORE": str(store), "BIND": f"127.0.0.1:{port}",
           "LOG_LEVEL": "warning"}
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    out = subprocess.DEVNULL if quiet else None
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "dashboard/gunicorn_conf.py",
                             "--access-logfile", "/dev/null", "dashboard.app:server"], cwd=REPO, env=env,
                            stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/health", timeout=10).status_code in (200, 503):
                    break
            except requests.RequestException:  # not listening yet, or still starting
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"gunicorn did not start on {base}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
