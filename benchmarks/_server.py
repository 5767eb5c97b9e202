"""Shared by the benchmarks: a demo store, and gunicorn serving it on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def demo_store(store: Path | None):
    """The given store, or the demo set generated and ingested into a temporary one."""
    if store is not None:
        yield store
        return
    from dashboard.data.demo import write_demo
    from dashboard.ingest import run_ingest

    with tempfile.TemporaryDirectory() as tmp:
        write_demo(Path(tmp) / "src")
        assert run_ingest(Path(tmp) / "src", Path(tmp) / "store").code == 0
        yield Path(tmp) / "store"


@contextlib.contextmanager
def gunicorn(store: Path, workers: int | None = None):
    """gunicorn with the project's config on 127.0.0.1; yields the base URL once /health answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DASHBOARD_STORE": str(store), "BIND": f"127.0.0.1:{port}", "LOG_LEVEL": "warning"}
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "dashboard/gunicorn_conf.py",
                             "--access-logfile", "/dev/null", "dashboard.app:server"], cwd=REPO, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if requests.get(base + "/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
