"""The store: immutable snapshots of published tables and an atomic pointer to the live one.

Layout of a store directory::

    CURRENT                 the live snapshot's id (one line), replaced atomically
    HISTORY.log             one line per change of CURRENT, oldest first (see below)
    snapshots/<id>/         one published snapshot: Parquet/GeoParquet files + manifest.json
    staging/<id>/           a snapshot being built (never read by the app; cleared on next ingest)
    reports/                rejection reports of ingests that did not publish
    .lock                   held while an ingest or rollback changes the store

Publishing writes every file into ``staging/<id>``, fsyncs them, renames the directory into
``snapshots/`` (atomic on one file system), then writes ``CURRENT.tmp``, fsyncs it and renames
it over ``CURRENT``. A process killed at any moment leaves ``CURRENT`` naming a complete
snapshot. The last ``KEEP`` snapshots are kept for rollback.

Every change of ``CURRENT`` is made under ``.lock`` and appends one line to ``HISTORY.log``::

    <utc time> publish <id> (was <previous id or none>)
    <utc time> rollback <id> -> <id now live>
    <utc time> activate <id> (was <previous id or none>)

Replayed in order, the lines give the stack of snapshots that were live in turn: publish and
activate push, rollback pops. Rollback returns to the snapshot that was live before the current
one, not to the next-older id, so rolling back after ``publish A, B, C; rollback; rollback;
publish D`` returns to A. Logs written before ``activate`` existed replay the same way.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

log = logging.getLogger(__name__)

KEEP = 5
GEO_TABLES = {"boundaries", "boundaries_display"}


class StoreError(RuntimeError):
    """The store has nothing to serve, or cannot do what was asked."""


class StoreBusy(StoreError):
    """Another ingest, rollback or activate holds the store's lock."""


class UnknownSnapshot(StoreError):
    """The snapshot id asked for is not among the snapshots kept."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for p in sorted(path.rglob("*")):
        if p.is_file():
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
    for d in sorted({p.parent for p in path.rglob("*")} | {path}):
        _fsync_dir(d)


def new_snapshot_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S%fZ")


@dataclass(frozen=True)
class Store:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def pointer(self) -> Path:
        return self.root / "CURRENT"

    @property
    def snapshots_dir(self) -> Path:
        return self.root / "snapshots"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    def current_id(self) -> str | None:
        try:
            text = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return text or None

    def snapshot_ids(self) -> list[str]:
        if not self.snapshots_dir.is_dir():
            return []
        return sorted(p.name for p in self.snapshots_dir.iterdir()
                      if p.is_dir() and (p / "manifest.json").is_file())

    @contextmanager
    def lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreBusy(f"{self.root}: another ingest or rollback is changing this store") from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def clear_staging(self) -> None:
        staging = self.root / "staging"
        if staging.exists():
            shutil.rmtree(staging)

    def staging_dir(self, snapshot_id: str) -> Path:
        path = self.root / "staging" / snapshot_id
        path.mkdir(parents=True)
        return path

    def publish(self, staged: Path) -> str:
        """Move a complete staged snapshot into place and point CURRENT at it."""
        snapshot_id = staged.name
        _fsync_tree(staged)
        for p in staged.rglob("*"):
            if p.is_file():
                p.chmod(0o444)  # published snapshots are never edited
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        final = self.snapshots_dir / snapshot_id
        os.rename(staged, final)
        _fsync_dir(self.snapshots_dir)
        previous = self.current_id()
        self._point_to(snapshot_id)
        self._history(f"publish {snapshot_id} (was {previous or 'none'})")
        self._prune()
        return snapshot_id

    def rollback(self) -> tuple[str, str]:
        """Point CURRENT back at the snapshot that was live before the current one; returns (old, new).

        Takes the store lock (raises StoreBusy at once if it is held). Snapshots pruned since they
        were live are skipped.
        """
        self._require_root()
        with self.lock():
            current = self.current_id()
            if current is None:
                raise StoreError(f"{self.root}: nothing is published, so there is nothing to roll back")
            kept = set(self.snapshot_ids())
            earlier = self.live_stack()[:-1]
            while earlier and (earlier[-1] not in kept or earlier[-1] == current):
                earlier.pop()
            if not earlier:
                raise StoreError(f"{self.root}: no snapshot that was live before {current} is still kept; "
                                 "nothing earlier to roll back to")
            target = earlier[-1]
            self._point_to(target)
            self._history(f"rollback {current} -> {target}")
            return current, target

    def activate(self, snapshot_id: str) -> tuple[str | None, str]:
        """Make a kept snapshot live (undoes a rollback); returns (old, new). Takes the store lock."""
        self._require_root()
        with self.lock():
            ids = self.snapshot_ids()
            if snapshot_id not in ids:
                raise UnknownSnapshot(f"{self.root}: no snapshot {snapshot_id!r}; kept: {', '.join(ids) or 'none'}")
            current = self.current_id()
            if current != snapshot_id:
                self._point_to(snapshot_id)
                self._history(f"activate {snapshot_id} (was {current or 'none'})")
            return current, snapshot_id

    def live_stack(self) -> list[str]:
        """Snapshots live in turn, from HISTORY.log: publish and activate push, rollback pops.

        Ends with CURRENT even if the log does not (a store older than its log, or one edited by hand).
        """
        stack: list[str] = []
        try:
            lines = (self.root / "HISTORY.log").read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            lines = []
        for line in lines:
            words = line.split()
            if len(words) >= 5 and words[1] in ("publish", "activate") and words[3] == "(was":
                was = words[4].rstrip(")")
                if not stack and was != "none":
                    stack.append(was)
                stack.append(words[2])
            elif len(words) >= 5 and words[1] == "rollback" and words[3] == "->":
                if stack and stack[-1] == words[2]:
                    stack.pop()
                if not stack or stack[-1] != words[4]:
                    stack.append(words[4])
        current = self.current_id()
        if current is not None and (not stack or stack[-1] != current):
            stack.append(current)
        return stack

    def _require_root(self) -> None:
        if not self.root.is_dir():
            raise StoreError(f"{self.root}: no store here (not a directory)")

    def _point_to(self, snapshot_id: str) -> None:
        tmp = self.root / "CURRENT.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(snapshot_id + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.pointer)
        _fsync_dir(self.root)

    def _history(self, line: str) -> None:
        stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        with open(self.root / "HISTORY.log", "a", encoding="utf-8") as fh:
            fh.write(f"{stamp} {line}\n")

    def _prune(self) -> None:
        current = self.current_id()
        ids = self.snapshot_ids()
        for old in ids[: max(0, len(ids) - KEEP)]:
            if old != current:
                path = self.snapshots_dir / old
                for p in path.rglob("*"):
                    if p.is_file():
                        p.chmod(0o644)
                shutil.rmtree(path)
                log.info("removed old snapshot %s (keeping the last %d)", old, KEEP)

    def open(self, snapshot_id: str | None = None, variant: str | None = None) -> Snapshot:
        snapshot_id = snapshot_id or self.current_id()
        if snapshot_id is None:
            raise StoreError(f"{self.root}: no snapshot is published yet; run `dashboard ingest SOURCE_DIR "
                             f"--store {self.root}` (or `dashboard serve --demo`)")
        path = self.snapshots_dir / snapshot_id
        if not (path / "manifest.json").is_file():
            raise StoreError(f"{self.root}: CURRENT names {snapshot_id}, which is not a complete snapshot")
        return snapshot_at(str(path), variant)


@lru_cache(maxsize=4)
def snapshot_at(path: str, variant: str | None = None) -> Snapshot:
    return Snapshot(Path(path), variant)


class Snapshot:
    """A published snapshot; tables are read on first use and kept (snapshots never change).

    ``variant`` (``"panel"``) reads the variant's own disclosure-controlled tables from the
    snapshot's ``panel/`` folder where it has one, and the shared tables (areas, boundaries,
    police-recorded crime) from the snapshot itself (``dashboard/access.py``)."""

    def __init__(self, path: Path, variant: str | None = None):
        self.path = path
        self.id = path.name
        self.variant = variant
        self.manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        self._tables: dict[str, pd.DataFrame] = {}

    def table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            file = self.path / f"{name}.parquet"
            if self.variant and (self.path / self.variant / f"{name}.parquet").is_file():
                file = self.path / self.variant / f"{name}.parquet"
            elif self.variant and name in self.manifest.get("variant_tables", {}).get(self.variant, ()):
                raise StoreError(f"snapshot {self.id} has no {self.variant} table {name!r}")
            if not file.is_file():
                raise StoreError(f"snapshot {self.id} has no table {name!r}")
            self._tables[name] = gpd.read_parquet(file) if name in GEO_TABLES else pd.read_parquet(file)
        return self._tables[name]

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic"))


def write_table(frame: pd.DataFrame, directory: Path, name: str) -> None:
    path = directory / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)  # a variant's tables: "panel/estimates"
    if isinstance(frame, gpd.GeoDataFrame):
        frame.to_parquet(path, index=False)
    else:
        frame.to_parquet(path, index=False, engine="pyarrow")
