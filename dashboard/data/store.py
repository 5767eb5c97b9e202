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

The store can also be an S3-compatible object store, named by a URI
(``s3://bucket/prefix?endpoint_override=host:port&scheme=http``): ``Store(uri)`` gives an
``ObjectStore`` (``dashboard/data/store_s3.py``) with the same layout and the same guarantees,
and snapshots are read through ``pyarrow.fs`` whichever the store is. docs/deploying.md says
how the lock and HISTORY.log work there.

A process keeps the tables of at most ``OPEN_SNAPSHOTS`` snapshots (the live one and one a
request still pinned when the next was published); what is worked out from a snapshot and kept
(``per_snapshot``) goes when its snapshot does.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import json
import logging
import os
import shutil
import stat
import threading
import weakref
from collections import OrderedDict
from contextlib import contextmanager, suppress
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ..settings import is_uri, store_location  # noqa: F401  (store_location: for callers, beside Store)

log = logging.getLogger(__name__)

KEEP = 5
OPEN_SNAPSHOTS = 2  # the live snapshot and one an in-flight request pinned before a publish
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


class Store:
    """A store directory (local or a shared file system); ``Store(uri)`` for an object store.

    ``Store("s3://bucket/prefix?...")`` returns an ``ObjectStore`` (``store_s3.py``) with the
    same methods: callers never need to know which it is."""

    def __new__(cls, root: Path | str):
        if cls is Store and is_uri(root):
            from .store_s3 import ObjectStore

            return super().__new__(ObjectStore)
        return super().__new__(cls)

    def __init__(self, root: Path | str):
        self.root = Path(root)

    @property
    def location(self) -> str:
        """The store as the user named it (a directory, or a URI)."""
        return str(self.root)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.location == self.location

    def __hash__(self) -> int:
        return hash(self.location)

    def snapshot_key(self, snapshot_id: str) -> str:
        """The string ``snapshot_at`` opens this store's snapshot ``snapshot_id`` from (and caches it under)."""
        return str(self.snapshots_dir / snapshot_id)

    def exists(self) -> bool:
        return self.root.is_dir()

    def file_location(self, name: str) -> Path | str:
        """Where a file of the store is, for messages and reports (a Path in a store directory)."""
        return self.root / name

    def read_text(self, name: str) -> str | None:
        """A file of the store outside its snapshots (``reports/last-rejection.txt``), or None."""
        try:
            return (self.root / _plain_relative(name)).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write_text(self, name: str, text: str) -> None:
        """Write a file of the store outside its snapshots (a rejection report), FILE_MODE."""
        path = self.root / _plain_relative(name)
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        write_text(path, text)

    def stage(self, snapshot_id: str) -> LocalStaging:
        """Somewhere to write a new snapshot's files before ``publish`` (``staging/<id>``)."""
        return LocalStaging(self.staging_dir(snapshot_id))

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
                    raise StoreBusy(f"{self.location}: another ingest or rollback is changing this store") from None
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

    def publish(self, staged: Path | LocalStaging) -> str:
        """Move a complete staged snapshot into place and point CURRENT at it."""
        staged = getattr(staged, "path", staged)
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
                raise StoreError(f"{self.location}: nothing is published, so there is nothing to roll back")
            kept = set(self.snapshot_ids())
            earlier = self.live_stack()[:-1]
            while earlier and (earlier[-1] not in kept or earlier[-1] == current):
                earlier.pop()
            if not earlier:
                raise StoreError(f"{self.location}: no snapshot that was live before {current} is still kept; "
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
                raise UnknownSnapshot(f"{self.location}: no snapshot {snapshot_id!r}; kept: {', '.join(ids) or 'none'}")
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
        for line in (self.read_text("HISTORY.log") or "").splitlines():
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
            raise StoreError(f"{self.location}: no store here (not a directory)")

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
            raise UnknownSnapshot(f"{self.location}: no snapshot {snapshot_id!r} to keep {name!r} beside")
        if not name or "/" in name or name.startswith("."):
            raise StoreError(f"{name!r} is not a plain file name")
        folder = self.artifacts_dir / snapshot_id
        for directory in (self.artifacts_dir, folder):  # DIR_MODE whatever the umask (a worker's, a thread's)
            directory.mkdir(mode=DIR_MODE, exist_ok=True)
            _restrict(directory)
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

    def _complete(self, snapshot_id: str) -> bool:
        return (self.snapshots_dir / snapshot_id / "manifest.json").is_file()

    def open(self, snapshot_id: str | None = None, variant: str | None = None) -> Snapshot:
        snapshot_id = snapshot_id or self.current_id()
        if snapshot_id is None:
            raise StoreError(f"{self.location}: no snapshot is published yet; run `dashboard ingest SOURCE_DIR "
                             f"--store {self.location}` (or `dashboard serve --demo`)")
        if not self._complete(snapshot_id):
            raise StoreError(f"{self.location}: CURRENT names {snapshot_id}, which is not a complete snapshot")
        return snapshot_at(self.snapshot_key(snapshot_id), variant)


def _plain_relative(name: str) -> str:
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts) or parts[0] == "snapshots":
        raise StoreError(f"{name!r} is not a file of the store outside its snapshots")
    return name


class LocalStaging:
    """A snapshot being written into ``staging/<id>`` of a store directory (``Store.stage``)."""

    def __init__(self, path: Path):
        self.path = path
        self.name = path.name

    def write_table(self, frame: pd.DataFrame, name: str) -> None:
        write_table(frame, self.path, name)

    def write_text(self, name: str, text: str) -> None:
        write_text(self.path / name, text)

    def write_bytes(self, name: str, data: bytes) -> None:
        """A file copied whole from another snapshot (``copy_snapshot``); publish sets its mode."""
        path = self.path / name
        path.parent.mkdir(mode=OWNER_DIR_MODE if OWNER_ONLY in Path(name).parts else DIR_MODE,
                          parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb") as fh:
            fh.write(data)


def copy_snapshot(source: Store, target: Store, snapshot_id: str | None = None) -> str:
    """Publish a copy of ``source``'s snapshot (the live one by default) in ``target``, under a new
    id: moving a store to a shared file system or an object store. Every file is copied as it is
    (the manifest last); ``target``'s publish refuses respondent-level tables as ever."""
    snapshot = source.open(snapshot_id)
    selector = pafs.FileSelector(snapshot._dir, recursive=True)
    names = sorted(i.path[len(snapshot._dir) + 1:] for i in snapshot.fs.get_file_info(selector)
                   if i.type == pafs.FileType.File)
    with target.lock():
        new_id = new_snapshot_id()
        staged = target.stage(new_id)
        for name in [n for n in names if n != "manifest.json"] + ["manifest.json"]:
            data = snapshot.read_bytes(name)
            if name == "manifest.json":
                manifest = json.loads(data) | {"snapshot_id": new_id, "copied_from": snapshot.id}
                staged.write_text(name, json.dumps(manifest, indent=2))
            else:
                staged.write_bytes(name, data)
        return target.publish(staged)


_open: OrderedDict[str, Snapshot] = OrderedDict()
_alive: weakref.WeakValueDictionary[str, Snapshot] = weakref.WeakValueDictionary()
_open_lock = threading.Lock()


def snapshot_at(key: str, variant: str | None = None) -> Snapshot:
    """The snapshot named by ``key`` (``Store.snapshot_key``; ``Snapshot.key``), as ``variant`` sees it.

    A process keeps the last ``OPEN_SNAPSHOTS`` snapshots open (their tables read once and kept:
    snapshots never change); opening another drops the least recently used, and with it what
    ``per_snapshot`` functions kept for it. A dropped snapshot that a request still holds is
    given back as it is (not read again, and not opened again at the live one's expense)."""
    with _open_lock:
        snapshot = _open.get(key)
        if snapshot is not None:
            _open.move_to_end(key)
        else:
            snapshot = _alive.get(key)
    if snapshot is None:
        snapshot = Snapshot(key)  # read outside the lock: it may be a network round trip
        dropped = []
        with _open_lock:
            snapshot = _open.setdefault(key, snapshot)
            _alive[key] = snapshot
            _open.move_to_end(key)
            while len(_open) > OPEN_SNAPSHOTS:
                dropped.append(_open.popitem(last=False)[1])
        if dropped:
            del dropped  # the last reference, unless a request still holds one
            _give_back_memory()
    return snapshot if variant is None else snapshot.as_variant(variant)


def _give_back_memory() -> None:
    """Return what a dropped snapshot's tables used to the system, not only to the allocators:
    Arrow's pool (``MemoryPool.release_unused``) and glibc's heap (``malloc_trim``) otherwise keep
    freed pages, and a worker's resident memory would stay at its highest."""
    import ctypes
    import ctypes.util

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    if libc and "libc.so" in libc:  # glibc only (malloc_trim is a GNU extension)
        with suppress(OSError, AttributeError):
            ctypes.CDLL(libc).malloc_trim(0)


def open_snapshot_keys() -> frozenset[str]:
    with _open_lock:
        return frozenset(_open)


def close_snapshots() -> None:
    """Forget every open snapshot (tests; a process that must give its memory back)."""
    with _open_lock:
        _open.clear()


snapshot_at.cache_clear = close_snapshots  # the name functools.lru_cache gave it


def per_snapshot(maxsize: int = 16):
    """Memoise ``fn(snapshot_key, *args)`` (hashable arguments) while that snapshot is open.

    Entries of snapshots ``snapshot_at`` has dropped are removed whenever the function stores a
    new answer, so a process never holds what it worked out from a snapshot it no longer serves;
    at most ``maxsize`` answers are kept, least recently used first out."""
    def decorate(fn):
        cache: OrderedDict[tuple, object] = OrderedDict()
        lock = threading.Lock()

        @functools.wraps(fn)
        def wrapper(snapshot_key: str, *args):
            key = (snapshot_key, *args)
            with lock:
                if key in cache:
                    cache.move_to_end(key)
                    return cache[key]
            value = fn(snapshot_key, *args)
            live = open_snapshot_keys()
            with lock:
                for old in [k for k in cache if k[0] not in live]:
                    del cache[old]
                if snapshot_key in live:
                    cache[key] = value
                while len(cache) > maxsize:
                    cache.popitem(last=False)
            return value

        wrapper.cache_clear = cache.clear
        wrapper.cache_len = lambda: len(cache)
        return wrapper
    return decorate


def _locate(where: Path | str) -> tuple[pafs.FileSystem, str, Path | None]:
    """(file system, path in it, local directory or None) of a snapshot named by a key or a directory."""
    if is_uri(where):
        from .store_s3 import locate

        fs, path = locate(str(where))
        return fs, path, None
    return pafs.LocalFileSystem(), os.path.abspath(where), Path(where)


class Snapshot:
    """A published snapshot; tables are read on first use and kept (snapshots never change).

    ``where`` is a snapshot directory or a key (``Store.snapshot_key``: a directory, or the URI
    of the snapshot's prefix in an object store); everything is read through ``pyarrow.fs``.
    ``path`` is the directory of a local snapshot (None in an object store): only the store's
    owner tools and tests use it; the app reads through ``read_text`` and ``table``.

    ``variant`` (``"panel"``) reads the variant's own disclosure-controlled tables from the
    snapshot's ``panel/`` folder where it has one, and the shared tables (areas, boundaries,
    police-recorded crime) from the snapshot itself (``dashboard/access.py``): a variant's view
    shares those tables with the snapshot instead of reading them twice."""

    def __init__(self, where: Path | str, variant: str | None = None, *, _of: Snapshot | None = None):
        self.key = str(where)
        self.fs, self._dir, self.path = _locate(where)
        self.id = self._dir.rstrip("/").rsplit("/", 1)[-1]
        self.variant = variant
        if _of is not None:  # a variant's view: the snapshot's manifest and shared tables, no link back
            self.manifest, self._shared = _of.manifest, _of._shared
        else:
            text = self.read_text("manifest.json", missing=None)
            if text is None:
                raise StoreError(f"snapshot {self.id} is not complete (no manifest.json): never served")
            self.manifest, self._shared = json.loads(text), {}
        self._tables: dict[str, pd.DataFrame] = {}  # the variant's own (the snapshot's: _shared)
        self._files: dict[str, str] = {}  # table name -> the file it is read from
        self._variants: dict[str, Snapshot] = {}

    def as_variant(self, variant: str) -> Snapshot:
        """This snapshot as ``variant`` reads it (one view per variant, kept with the snapshot).

        A view holds the snapshot's shared tables but not the snapshot, so that nothing keeps a
        dropped snapshot's tables alive but a request still using them."""
        if variant == self.variant:
            return self
        if self.variant is not None:
            return Snapshot(self.key, variant, _of=self)
        if variant not in self._variants:
            self._variants.setdefault(variant, Snapshot(self.key, variant, _of=self))
        return self._variants[variant]

    def location(self, name: str) -> Path | str:
        """Where a file of the snapshot is, for messages (a Path for a local snapshot)."""
        return self.path / name if self.path is not None else f"{self.key.split('?')[0]}/{name}"

    def exists(self, name: str) -> bool:
        return self.fs.get_file_info(f"{self._dir}/{name}").type == pafs.FileType.File

    def read_bytes(self, name: str) -> bytes:
        with self.fs.open_input_stream(f"{self._dir}/{name}") as fh:
            return fh.read()

    _RAISE = object()

    def read_text(self, name: str, missing=_RAISE) -> str:
        """A text file of the snapshot (``force.toml``, ``ingest-report.txt``); StoreError if absent
        (or ``missing`` if given)."""
        try:
            return self.read_bytes(name).decode("utf-8")
        except FileNotFoundError:
            if missing is not Snapshot._RAISE:
                return missing
            raise StoreError(f"snapshot {self.id} has no file {name!r}") from None

    def table(self, name: str) -> pd.DataFrame:
        if is_respondent_level(name):
            raise StoreError(f"snapshot {self.id}: {name!r} would be respondent-level; such tables are never "
                             "published (the ingest publishes the aggregates the pages need)")
        if name not in self._files:
            self._files[name] = self._file_of(name)
        file = self._files[name]
        # A variant's own table is the view's; any other is the snapshot's, read once for every view.
        kept = self._tables if self.variant and file.startswith(f"{self.variant}/") else self._shared
        if name not in kept:
            with self.fs.open_input_file(f"{self._dir}/{file}") as fh:
                kept[name] = gpd.read_parquet(fh) if name in GEO_TABLES else pd.read_parquet(fh)
        return kept[name]

    def _file_of(self, name: str) -> str:
        file = f"{name}.parquet"
        if name in OWNER_ONLY_TABLES and self.exists(f"{OWNER_ONLY}/{name}.parquet"):
            file = f"{OWNER_ONLY}/{name}.parquet"  # the owner's tools only (module docstring)
        elif self.variant and self.exists(f"{self.variant}/{name}.parquet"):
            file = f"{self.variant}/{name}.parquet"
        elif self.variant and name in self.manifest.get("variant_tables", {}).get(self.variant, ()):
            raise StoreError(f"snapshot {self.id} has no {self.variant} table {name!r}")
        if not self.exists(file):
            raise StoreError(f"snapshot {self.id} has no table {name!r}")
        return file

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
