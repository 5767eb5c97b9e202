"""The store in an S3-compatible object store: the same layout, published the same way.

``Store("s3://bucket/prefix?endpoint_override=host:port&scheme=http")`` gives an ``ObjectStore``.
The URI is handed to ``pyarrow.fs.FileSystem.from_uri`` (its query takes the options of
``pyarrow.fs.S3FileSystem``: ``endpoint_override``, ``scheme``, ``region``, ...); credentials come
from the standard ``AWS_*`` variables (pyarrow uses the AWS SDK's default chain).

How the guarantees of a store directory (``store.py``) carry over:

* **Publish.** Objects cannot be renamed, so a snapshot is written straight under
  ``snapshots/<id>/`` with ``manifest.json`` written LAST: a snapshot without its manifest is
  incomplete, is never listed, never opened and never served. Then ``CURRENT`` is replaced (one
  PUT: a reader sees the old object or the new one, whole). Readers read ``CURRENT`` once per
  request and pin that snapshot (``dashboard/live.py``). An ingest killed half way leaves a
  prefix without a manifest; the next ingest to take the lock removes it.
* **The lock** is the object ``.lock``, created with a conditional PUT (``If-None-Match: *``,
  which AWS S3, SeaweedFS, MinIO and Ceph honour): a second ingest gets 412 and StoreBusy. It
  holds the host, pid and time of its holder; a lock left by a killed process on the same host
  is taken over, one left by another host must be removed by hand (``docs/deploying.md``).
  pyarrow has no conditional write, so this one request is signed here (AWS Signature Version 4,
  https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
* **HISTORY.log** is rewritten whole under the lock (objects cannot be appended to): only the
  lock holder writes it.
* **Modes and the owner-only folder** have no meaning in an object store: access is the
  bucket policy's. Give the web service read-only credentials and deny it
  ``snapshots/*/owner-only/*`` (``docs/deploying.md``). Respondent-level tables are refused
  exactly as in a directory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from functools import lru_cache

import geopandas as gpd
import pandas as pd
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from .store import (
    OWNER_ONLY,
    OWNER_ONLY_TABLES,
    RESPONDENT_TABLE_PREFIX,
    Store,
    StoreBusy,
    StoreError,
    UnknownSnapshot,
    _plain_relative,
    is_respondent_level,
)
from .store import (
    log as store_log,
)

log = logging.getLogger(__name__)


@lru_cache(maxsize=16)
def _filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """One pyarrow file system per store URI in a process (making one starts the AWS SDK).

    Unless told otherwise, checksums are sent only where the server requires them: with the AWS
    SDK's newer default, pyarrow wrote objects in a chunked framing that some S3-compatible
    servers store as sent and it could not read back (seen with SeaweedFS)."""
    os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
    try:
        fs, path = pafs.FileSystem.from_uri(uri)
    except (ValueError, OSError) as exc:
        raise StoreError(f"{_public(uri)}: not a store this version can open ({exc})") from None
    return fs, path.rstrip("/")


if hasattr(os, "register_at_fork"):  # a forked worker makes its own connections (gunicorn's preload)
    os.register_at_fork(after_in_child=_filesystem.cache_clear)


def _public(uri: str) -> str:
    """The URI without its query (which may carry keys): for messages and logs."""
    return uri.split("?", 1)[0]


def locate(uri: str) -> tuple[pafs.FileSystem, str]:
    """(file system, path) of a URI: a snapshot key made by ``ObjectStore.snapshot_key``."""
    parts = urllib.parse.urlsplit(uri)
    fs, _ = _filesystem(urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", parts.query, "")))
    return fs, f"{parts.netloc}{parts.path}".rstrip("/")


class ObjectStore(Store):
    """A store in an S3-compatible object store (module docstring)."""

    def __init__(self, root: str):
        parts = urllib.parse.urlsplit(root)
        if not parts.netloc:
            raise StoreError(f"{root}: an object store URI names a bucket, e.g. s3://bucket/prefix")
        self.uri = root
        self.root = _public(root)
        self.base = f"{parts.netloc}{parts.path}".rstrip("/")
        self.fs = _filesystem(urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", parts.query, "")))[0]

    @property
    def location(self) -> str:
        return self.uri

    def __repr__(self) -> str:
        return f"ObjectStore({self.root!r})"

    # The store's objects ------------------------------------------------------------------
    def _path(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def _get(self, rel: str) -> bytes | None:
        try:
            with self.fs.open_input_stream(self._path(rel)) as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def _put(self, rel: str, data: bytes) -> None:
        """One object, whole: S3 makes an object visible only once its upload is complete."""
        with self.fs.open_output_stream(self._path(rel)) as fh:
            fh.write(data)

    def _remove(self, rel: str) -> None:
        if self.fs.get_file_info(self._path(rel)).type != pafs.FileType.NotFound:
            self.fs.delete_dir(self._path(rel))

    def _files(self, rel: str) -> list[str]:
        """Every object under ``rel/``, relative to it."""
        infos = self.fs.get_file_info(pafs.FileSelector(self._path(rel), recursive=True, allow_not_found=True))
        start = len(self._path(rel)) + 1
        return sorted(i.path[start:] for i in infos if i.type == pafs.FileType.File)

    # What Store does with files, done with objects -----------------------------------------
    def snapshot_key(self, snapshot_id: str) -> str:
        """``s3://bucket/prefix/snapshots/<id>?<the store's query>``: opens the snapshot in any process."""
        parts = urllib.parse.urlsplit(self.uri)
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"{parts.path.rstrip('/')}/snapshots/{snapshot_id}",
                                        parts.query, ""))

    def file_location(self, name: str) -> str:
        return f"{self.root}/{name}"

    def exists(self) -> bool:
        return self.current_id() is not None or bool(self._files("snapshots"))

    def read_text(self, name: str) -> str | None:
        data = self._get(_plain_relative(name))
        return None if data is None else data.decode("utf-8")

    def write_text(self, name: str, text: str) -> None:
        self._put(_plain_relative(name), text.encode("utf-8"))

    def current_id(self) -> str | None:
        data = self._get("CURRENT")
        return (data.decode("utf-8").strip() or None) if data is not None else None

    def snapshot_ids(self) -> list[str]:
        return sorted(f.split("/")[0] for f in self._files("snapshots") if f.count("/") == 1
                      and f.endswith("/manifest.json"))

    def _complete(self, snapshot_id: str) -> bool:
        return True  # Snapshot() refuses one without its manifest (one request fewer per page)

    def _require_root(self) -> None:
        pass  # an empty bucket or prefix is an empty store: "nothing is published" says the rest

    def _point_to(self, snapshot_id: str) -> None:
        self._put("CURRENT", (snapshot_id + "\n").encode("utf-8"))

    def _history(self, line: str) -> None:
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self._put("HISTORY.log", ((self.read_text("HISTORY.log") or "") + f"{stamp} {line}\n").encode("utf-8"))

    @contextmanager
    def lock(self):
        """Hold the ``.lock`` object (StoreBusy at once if another ingest holds it), tidying first."""
        _ObjectLock(self).take()
        try:
            self._tidy()
            yield
        finally:
            _ObjectLock(self).release()

    def _tidy(self) -> None:
        """Under the lock: remove snapshots a killed ingest left without a manifest; drop
        respondent-level tables that older versions published."""
        files = self._files("snapshots")
        complete = {f.split("/")[0] for f in files if f.endswith("/manifest.json") and f.count("/") == 1}
        for sid in sorted({f.split("/")[0] for f in files} - complete):
            self._remove(f"snapshots/{sid}")
            log.info("removed snapshot %s, left incomplete by an ingest that did not finish", sid)
        for sid in sorted(complete):
            found = [f for f in files if f.startswith(f"{sid}/{RESPONDENT_TABLE_PREFIX}_") and f.count("/") == 1]
            for f in found:
                self.fs.delete_file(self._path(f"snapshots/{f}"))
            if found:
                names = ", ".join(f.split("/")[1] for f in found)
                self._history(f"purge {sid}: {names} (respondent-level tables are no longer published)")

    def staging_dir(self, snapshot_id: str):
        raise StoreError(f"{self.root}: an object store has no staging directory; use Store.stage")

    def stage(self, snapshot_id: str) -> ObjectStaging:
        return ObjectStaging(self, snapshot_id)

    def publish(self, staged: ObjectStaging) -> str:
        """Write the staged snapshot's manifest (its last object), then CURRENT; prune."""
        snapshot_id = staged.name
        if staged.manifest is None:
            raise StoreError(f"snapshot {snapshot_id}: no manifest.json was written, so it cannot be published")
        prefix = f"snapshots/{snapshot_id}"
        found = [f for f in self._files(prefix) if f.endswith(".parquet") and "/" not in f
                 and is_respondent_level(f[:-8], pq.read_schema(self._path(f"{prefix}/{f}"), filesystem=self.fs).names)]
        if found:
            self._remove(prefix)
            raise StoreError(f"{self.root}/{prefix}: {', '.join(found)} holds respondent-level rows, "
                             "which are never published")
        self._put(f"{prefix}/manifest.json", staged.manifest.encode("utf-8"))
        previous = self.current_id()
        self._point_to(snapshot_id)
        self._history(f"publish {snapshot_id} (was {previous or 'none'})")
        self._prune()
        return snapshot_id

    def _prune(self) -> None:
        from .store import KEEP

        current = self.current_id()
        ids = self.snapshot_ids()
        for old in ids[: max(0, len(ids) - KEEP)]:
            if old != current:
                self._remove(f"snapshots/{old}")
                self._remove(f"artifacts/{old}")
                store_log.info("removed old snapshot %s (keeping the last %d)", old, KEEP)

    def write_artifact(self, snapshot_id: str, name: str, data: bytes) -> None:
        """Keep ``data`` as ``artifacts/<id>/<name>``: one PUT, so a reader gets all of it or nothing."""
        if snapshot_id not in self.snapshot_ids():
            raise UnknownSnapshot(f"{self.root}: no snapshot {snapshot_id!r} to keep {name!r} beside")
        if not name or "/" in name or name.startswith("."):
            raise StoreError(f"{name!r} is not a plain file name")
        self._put(f"artifacts/{snapshot_id}/{name}", data)

    def read_artifact(self, snapshot_id: str, name: str) -> bytes | None:
        if not name or "/" in name or name.startswith("."):
            raise StoreError(f"{name!r} is not a plain file name")
        return self._get(f"artifacts/{snapshot_id}/{name}")


class ObjectStaging:
    """A snapshot being written straight under ``snapshots/<id>/``; its manifest is kept back
    and written by ``ObjectStore.publish``, last (until then the snapshot does not exist)."""

    def __init__(self, store: ObjectStore, snapshot_id: str):
        self.store, self.name = store, snapshot_id
        self.manifest: str | None = None

    def write_table(self, frame: pd.DataFrame, name: str) -> None:
        if is_respondent_level(name, frame.columns):
            raise StoreError(f"{name}: respondent-level rows are never written to the store")
        rel = f"{OWNER_ONLY}/{name}.parquet" if name in OWNER_ONLY_TABLES else f"{name}.parquet"
        buffer = io.BytesIO()
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_parquet(buffer, index=False)
        else:
            frame.to_parquet(buffer, index=False, engine="pyarrow")
        self.store._put(f"snapshots/{self.name}/{rel}", buffer.getvalue())

    def write_bytes(self, name: str, data: bytes) -> None:
        self.store._put(f"snapshots/{self.name}/{name}", data)

    def write_text(self, name: str, text: str) -> None:
        if name == "manifest.json":
            self.manifest = text
        else:
            self.store._put(f"snapshots/{self.name}/{name}", text.encode("utf-8"))


class _ObjectLock:
    """The ``.lock`` object, made with a conditional PUT (module docstring)."""

    def __init__(self, store: ObjectStore):
        self.store = store
        parts = urllib.parse.urlsplit(store.uri)
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.region = query.get("region") or getattr(store.fs, "region", None) or "us-east-1"
        endpoint = query.get("endpoint_override")
        scheme = query.get("scheme", "https")
        if endpoint:  # path-style addressing, as pyarrow uses with an endpoint
            self.host = endpoint.split("://", 1)[-1]
            self.url_path = f"/{parts.netloc}{parts.path.rstrip('/')}/.lock"
        else:  # AWS: virtual-hosted style
            self.host = f"{parts.netloc}.s3.{self.region}.amazonaws.com"
            self.url_path = f"{parts.path.rstrip('/')}/.lock"
        self.url = f"{scheme}://{self.host}{urllib.parse.quote(self.url_path)}"
        self.access_key = query.get("access_key") or os.environ.get("AWS_ACCESS_KEY_ID")
        self.secret_key = query.get("secret_key") or os.environ.get("AWS_SECRET_ACCESS_KEY")
        self.token = query.get("session_token") or os.environ.get("AWS_SESSION_TOKEN")

    def take(self) -> None:
        holder = {"host": socket.gethostname(), "pid": os.getpid(),
                  "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        for _attempt in range(2):
            status = self._request("PUT", json.dumps(holder).encode("utf-8"), {"If-None-Match": "*"})
            if status in (200, 201):
                return
            if status == 501:  # the server has no conditional writes: one writer, by arrangement
                log.warning("%s: the server ignores conditional writes; the store relies on one ingest at a time",
                            self.store.root)
                self._request("PUT", json.dumps(holder).encode("utf-8"), {})
                return
            if status not in (409, 412):
                raise StoreError(f"{self.store.root}: could not take the store's lock (HTTP {status})")
            held = json.loads((self.store._get(".lock") or b"{}").decode("utf-8") or "{}")
            if not self._stale(held):
                raise StoreBusy(f"{self.store.root}: another ingest or rollback is changing this store "
                                f"(lock held by {held.get('host')} pid {held.get('pid')} since {held.get('since')})")
            log.info("taking over the lock left by pid %s, no longer running on this host", held.get("pid"))
            self._request("DELETE", b"", {})
        raise StoreBusy(f"{self.store.root}: another ingest took the store's lock first")

    def release(self) -> None:
        self._request("DELETE", b"", {})

    @staticmethod
    def _stale(held: dict) -> bool:
        """A lock of a process that is gone: only decidable on the host it was taken on."""
        if held.get("host") != socket.gethostname() or not isinstance(held.get("pid"), int):
            return False
        try:
            os.kill(held["pid"], 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def _request(self, method: str, body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(self.url, data=body if method == "PUT" else None, method=method,
                                         headers=self._signed(method, body, headers))
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def _signed(self, method: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
        """``headers`` plus AWS Signature Version 4 (unsigned when no credentials are set)."""
        now = dt.datetime.now(dt.UTC)
        amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        payload = hashlib.sha256(body).hexdigest()
        out = {"host": self.host, "x-amz-date": amz_date, "x-amz-content-sha256": payload,
               **{k.lower(): v for k, v in headers.items()}}
        if self.token:
            out["x-amz-security-token"] = self.token
        if not (self.access_key and self.secret_key):
            return out
        names = sorted(out)
        canonical = "\n".join([method, urllib.parse.quote(self.url_path), "",
                               *(f"{n}:{out[n].strip()}" for n in names), "", ";".join(names), payload])
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = f"AWS4{self.secret_key}".encode()
        for part in (day, self.region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        out["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
        return out
