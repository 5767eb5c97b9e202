"""The store: immutable snapshots of published tables and an atomic pointer to the live one.

Layout of a store directory::

    CURRENT                 the live snapshot's id (one line), replaced atomically
    HISTORY.log             one line per change of CURRENT, oldest first (see below)
    snapshots/<id>/         one published snapshot: Parquet/GeoParquet files + manifest.json
    artifacts/<id>/         what is built from a published snapshot after it is live (meeting
                            packs): never part of the snapshot itself, removed with it
    staging/<id>/           a snapshot being built (never read by the app)
    reports/                rejection reports of ingests that did not publish
    .lock                   held while an ingest, rollback or activate changes the store

Permissions: the ingest runs as the data owner; the web process reads through membership of
the store's group. Every file the store writes is 0640 and every directory 0750 (a directory's
setgid bit is kept, so a store directory made ``chgrp GROUP; chmod 2750`` passes its group on to
everything below it). Nothing is readable by other users.

Respondent-level tables are never published: ``publish`` refuses a staged snapshot holding one
(a table named ``respondents_*`` or with a ``respondent_id`` column) and ``Snapshot.table``
will not read one. The ingest publishes the aggregates the pages need instead.

Whoever takes ``.lock`` first tidies the store (``Store.lock``): it removes what a killed ingest
left in ``staging/`` (no other ingest can be running while the lock is held), sets the modes
above on everything kept, and removes respondent-level tables that snapshots published by
older versions still carry.

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
import stat
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

KEEP = 5
GEO_TABLES = {"boundaries", "boundaries_display"}
FILE_MODE, DIR_MODE = 0o640, 0o750  # owner writes, the service group reads, others nothing
# What marks a table as respondent-level (one row per respondent): never published.
RESPONDENT_TABLE_PREFIX = "respondents"
RESPONDENT_LEVEL_COLUMNS = ("respondent_id", "fieldwork_date")
# Tables no page reads and the web process must not: the unsuppressed survey cells (every count,
# small ones included), kept for the disclosure audit's ground truth and for re-derivation.
# They live in the snapshot's OWNER_ONLY folder, 0700 / 0600: the store's owner (the ingest
# account) reads them; the service group the web process is in cannot even list the folder.
OWNER_ONLY_TABLES = frozenset({"survey_results"})
OWNER_ONLY = "owner-only"
OWNER_FILE_MODE, OWNER_DIR_MODE = 0o600, 0o700


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


def _restrict(path: Path) -> None:
    """FILE_MODE or DIR_MODE on one path (a directory keeps its setgid bit); links are left alone."""
    st = path.lstat()
    if st.st_uid != os.geteuid() and os.geteuid() != 0:
        return  # not ours to change (chmod would fail): what we create is restricted when written
    owner_only = OWNER_ONLY in path.parts
    if stat.S_ISDIR(st.st_mode):
        mode = OWNER_DIR_MODE if owner_only else DIR_MODE | (st.st_mode & stat.S_ISGID)
    elif stat.S_ISREG(st.st_mode):
        mode = OWNER_FILE_MODE if owner_only else FILE_MODE
    else:
        return
    if stat.S_IMODE(st.st_mode) != mode:
        path.chmod(mode)


def _restrict_tree(path: Path, itself: bool = True) -> None:
    for p in path.rglob("*"):
        _restrict(p)
    if itself:
        _restrict(path)


def is_respondent_level(name: str, columns=()) -> bool:
    """True for a table with one row per respondent: named ``respondents_*`` or keyed by respondent."""
    return name.split("_")[0] == RESPONDENT_TABLE_PREFIX or any(c in RESPONDENT_LEVEL_COLUMNS for c in columns)


def respondent_level_files(snapshot_dir: Path) -> list[Path]:
    """The Parquet files of a snapshot (or staging) directory that hold respondent-level rows."""
    return [p for p in sorted(snapshot_dir.glob("*.parquet"))
            if is_respondent_level(p.stem, pq.read_schema(p).names)]


def new_snapshot_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
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
        """Hold the store's lock (StoreBusy at once if another process holds it), tidying first.

        While it is held, files are created 0640 and directories 0750 at most (umask 027).
        """
        self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        old_umask = os.umask(0o027)
        try:
            fd = os.open(self.root / ".lock", os.O_WRONLY | os.O_CREAT, FILE_MODE)
            with os.fdopen(fd, "w") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise StoreBusy(f"{self.root}: another ingest or rollback is changing this store") from None
                try:
                    self._tidy()
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        finally:
            os.umask(old_umask)

    def _tidy(self) -> None:
        """Under the lock: clear a killed ingest's staging, restrict modes, drop respondent-level tables."""
        staging = self.root / "staging"
        if staging.exists():
            leftovers = sorted(p.name for p in staging.iterdir()) if staging.is_dir() else [staging.name]
            shutil.rmtree(staging)
            if leftovers:
                log.info("removed staging left by an ingest that did not finish: %s", ", ".join(leftovers))
        for sid in self.snapshot_ids():
            # Older versions published them under this name; nothing else needs a schema read here.
            found = sorted((self.snapshots_dir / sid).glob(f"{RESPONDENT_TABLE_PREFIX}_*.parquet"))
            for p in found:
                p.unlink()
            if found:
                names = ", ".join(p.name for p in found)
                log.info("snapshot %s: removed respondent-level tables %s (no longer published)", sid, names)
                self._history(f"purge {sid}: {names} (respondent-level tables are no longer published)")
        _restrict_tree(self.root, itself=False)  # the store directory's own mode is the administrator's

    def staging_dir(self, snapshot_id: str) -> Path:
        staging = self.root / "staging"
        staging.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        path = staging / snapshot_id
        path.mkdir(mode=DIR_MODE)
        return path

    def publish(self, staged: Path) -> str:
        """Move a complete staged snapshot into place and point CURRENT at it."""
        snapshot_id = staged.name
        found = respondent_level_files(staged)
        if found:
            raise StoreError(f"{staged}: {', '.join(p.name for p in found)} holds respondent-level rows, "
                             "which are never published")
        _restrict_tree(staged)
        _fsync_tree(staged)
        self.snapshots_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
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
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "w", encoding="utf-8") as fh:
            fh.write(snapshot_id + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.pointer)
        _fsync_dir(self.root)

    def _history(self, line: str) -> None:
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        fd = os.open(self.root / "HISTORY.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(f"{stamp} {line}\n")

    @property
    def artifacts_dir(self) -> Path:
        return self.root / "artifacts"

    def write_artifact(self, snapshot_id: str, name: str, data: bytes) -> None:
        """Keep ``data`` as ``name`` beside snapshot ``snapshot_id`` (a meeting pack built from it).

        Written to a temporary name, fsynced and renamed, so a reader sees the whole file or none.
        ``name`` is a plain file name chosen by the code, never by a request."""
        if snapshot_id not in self.snapshot_ids():
            raise UnknownSnapshot(f"{self.root}: no snapshot {snapshot_id!r} to keep {name!r} beside")
        if not name or "/" in name or name.startswith("."):
            raise StoreError(f"{name!r} is not a plain file name")
        folder = self.artifacts_dir / snapshot_id
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        tmp = folder / f".{name}.tmp"
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / name)
        _fsync_dir(folder)

    def read_artifact(self, snapshot_id: str, name: str) -> bytes | None:
        """The artifact ``name`` kept beside ``snapshot_id``, or None if it has not been built (yet)."""
        if not name or "/" in name or name.startswith("."):
            raise StoreError(f"{name!r} is not a plain file name")
        try:
            return (self.artifacts_dir / snapshot_id / name).read_bytes()
        except FileNotFoundError:
            return None

    def _prune(self) -> None:
        current = self.current_id()
        ids = self.snapshot_ids()
        for old in ids[: max(0, len(ids) - KEEP)]:
            if old != current:
                shutil.rmtree(self.snapshots_dir / old)
                shutil.rmtree(self.artifacts_dir / old, ignore_errors=True)
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
        if is_respondent_level(name):
            raise StoreError(f"snapshot {self.id}: {name!r} would be respondent-level; such tables are never "
                             "published (the ingest publishes the aggregates the pages need)")
        if name not in self._tables:
            file = self.path / f"{name}.parquet"
            if name in OWNER_ONLY_TABLES and (self.path / OWNER_ONLY / f"{name}.parquet").is_file():
                file = self.path / OWNER_ONLY / f"{name}.parquet"  # the owner's tools only (module docstring)
            elif self.variant and (self.path / self.variant / f"{name}.parquet").is_file():
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


def write_text(path: Path, text: str) -> None:
    """Write a text file into the store, FILE_MODE from the start."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "w", encoding="utf-8") as fh:
        fh.write(text)
    _restrict(path)  # an existing file keeps its mode through O_TRUNC


def write_table(frame: pd.DataFrame, directory: Path, name: str) -> None:
    if is_respondent_level(name, frame.columns):
        raise StoreError(f"{name}: respondent-level rows are never written to the store")
    path = directory / (f"{OWNER_ONLY}/{name}.parquet" if name in OWNER_ONLY_TABLES else f"{name}.parquet")
    if not path.parent.is_dir():  # a variant's tables ("panel/estimates") or the owner's
        path.parent.mkdir(parents=True, mode=OWNER_DIR_MODE if path.parent.name == OWNER_ONLY else DIR_MODE)
        _restrict(path.parent)
    if isinstance(frame, gpd.GeoDataFrame):
        frame.to_parquet(path, index=False)
    else:
        frame.to_parquet(path, index=False, engine="pyarrow")
